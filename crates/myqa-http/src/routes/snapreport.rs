//! SnapReport (SPEC §6): `POST /api/v1/snapreport/analyze` and its job route.

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use myqa_core::ErrorCode;
use myqa_core::capture::{Language, MAX_TRANSCRIPT_CHARS};
use myqa_core::job::Product;
use myqa_core::snapreport::{
    EvidenceInput, EvidenceKind, FileKind, MAX_EVIDENCE_ITEMS, MAX_FILES, SnapJob,
};
use myqa_core::standard::Standard;
use myqa_media::EvidenceFile;
use myqa_store::input_key;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, Permitted, SnapReportGenerate};
use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::parse_json;
use crate::routes::captureiq::callback;
use crate::routes::jobs::{self, JobAccepted, Submission};
use crate::state::AppState;
use crate::upload::{AnalyzeBody, FormFields, MultipartBody, UploadedFile, store_file};

/// A chapter of the standard, by id or number (`"4"` or `4`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ChapterRef {
    Text(String),
    #[schema(value_type = u32)]
    Number(serde_json::Number),
}

impl ChapterRef {
    fn text(&self) -> String {
        match self {
            ChapterRef::Text(s) => s.trim().to_owned(),
            ChapterRef::Number(n) => n.to_string(),
        }
    }
}

/// An inline evidence item.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceEntry {
    /// `text`, `transcript` (string content) or `structured` (any JSON value).
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    pub name: Option<String>,
}

/// The JSON request. In multipart, the scalar fields are form fields,
/// `processes`, `notes` and `evidence` JSON-encoded strings, and every file
/// is an evidence item.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapRequest {
    /// The standard: its id or its code (`ISO9001`, `ifs food` …).
    pub standard_id: Option<String>,
    /// Chapters to grade (ids or numbers); default: all.
    pub processes: Option<Vec<ChapterRef>>,
    /// `en` (default), `fr` or `de`: the language of comments and reasoning.
    pub language: Option<String>,
    pub evidence: Option<Vec<EvidenceEntry>>,
    pub notes: Option<Vec<String>>,
    pub callback_url: Option<String>,
    pub callback_secret: Option<String>,
}

/// The multipart form, for the documentation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SnapForm {
    pub standard_id: String,
    /// JSON array, e.g. `["4", "7"]`.
    pub processes: Option<String>,
    pub language: Option<String>,
    /// JSON array of `{type, content, name?}`.
    pub evidence: Option<String>,
    /// JSON array of strings.
    pub notes: Option<String>,
    pub callback_url: Option<String>,
    pub callback_secret: Option<String>,
    /// Any other field holding a file is evidence: audio (≤ 2 GiB), JPEG/PNG/WebP/GIF
    /// (≤ 20 MiB), PDF (≤ 50 MiB), text/Markdown/CSV or JSON (≤ 10 MiB).
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<Vec<u8>>,
}

/// A SnapReport request from either body type, its files already stored.
pub struct SnapBody {
    job_id: Uuid,
    fields: SnapRequest,
    files: Vec<(UploadedFile, FileKind, String)>,
}

const SCALAR_FIELDS: [&str; 7] = [
    "standard_id",
    "processes",
    "language",
    "evidence",
    "notes",
    "callback_url",
    "callback_secret",
];

const EVIDENCE_TYPES: &str =
    "audio, images (JPEG, PNG, WebP, GIF), PDF, text, Markdown, CSV or JSON";

impl FromRequest<AppState> for SnapBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let job_id = Uuid::now_v7();
        // Up to 20 files, the largest (audio) 2 GiB each.
        let max_body = MAX_FILES as u64 * FileKind::Audio.limit_bytes();
        match AnalyzeBody::<SnapRequest>::read(request, state, max_body, "2 GiB").await? {
            AnalyzeBody::Multipart(body) => from_multipart(body, job_id, state).await,
            AnalyzeBody::Json(fields) => Ok(SnapBody {
                job_id,
                fields,
                files: Vec::new(),
            }),
        }
    }
}

fn json_field<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> ApiResult<T> {
    parse_json(text.as_bytes()).map_err(|e| {
        ApiError::invalid_input(format!(
            "Field `{name}` must hold JSON: {}",
            e.message.trim_start_matches("Invalid JSON body: ")
        ))
    })
}

async fn from_multipart(
    mut body: MultipartBody,
    job_id: Uuid,
    state: &AppState,
) -> ApiResult<SnapBody> {
    let mut request = SnapBody {
        job_id,
        fields: SnapRequest::default(),
        files: Vec::new(),
    };
    let mut scalars = FormFields::new(&SCALAR_FIELDS, " (and files)");
    while let Some(field) = body.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            // Any field holding a file is evidence, whatever its name.
            if request.files.len() == MAX_FILES {
                return Err(ApiError::invalid_input(format!(
                    "At most {MAX_FILES} files may be sent."
                )));
            }
            let file = store_evidence(field, &name, job_id, request.files.len(), state).await?;
            request.files.push(file);
            continue;
        }
        scalars.admit(&name)?;
        let text = body.text(field, &name).await?;
        let fields = &mut request.fields;
        match name.as_str() {
            "standard_id" => fields.standard_id = Some(text),
            "language" => fields.language = Some(text),
            "callback_url" => fields.callback_url = Some(text),
            "callback_secret" => fields.callback_secret = Some(text),
            "processes" => fields.processes = Some(json_field(&name, &text)?),
            "notes" => fields.notes = Some(json_field(&name, &text)?),
            _ => fields.evidence = Some(json_field(&name, &text)?),
        }
    }
    Ok(request)
}

/// Streams one evidence file into the blob store, its kind decided by its
/// bytes and its size counted against that kind's limit.
async fn store_evidence(
    field: multer::Field<'static>,
    name: &str,
    job_id: Uuid,
    number: usize,
    state: &AppState,
) -> ApiResult<(UploadedFile, FileKind, String)> {
    let mut detected = None;
    let transcription = state.settings.transcription_enabled;
    let key = input_key(job_id, &format!("evidence-{number}"));
    let file = store_file(field, &state.blobs, key, name, |head| {
        let file = myqa_media::sniff_evidence(head);
        let kind = match &file {
            EvidenceFile::Audio(_) if !transcription => {
                return Err(ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    format!("Field `{name}` is audio, but audio transcription is not configured on this server."),
                ));
            }
            EvidenceFile::Audio(_) => FileKind::Audio,
            EvidenceFile::Image(_) => FileKind::Image,
            EvidenceFile::Pdf => FileKind::Pdf,
            EvidenceFile::Text => FileKind::Text,
            EvidenceFile::Json => FileKind::Json,
            EvidenceFile::Other(kind) => {
                return Err(ApiError::invalid_input(format!(
                    "Field `{name}` is {kind}, not a supported evidence type ({EVIDENCE_TYPES})."
                )));
            }
        };
        detected = Some((kind, file.mime()));
        Ok((kind.limit_bytes(), kind.limit_label().to_owned()))
    })
    .await?;
    let (kind, mime) = detected.expect("classify accepted the file");
    if kind == FileKind::Audio
        && let Err(e) = crate::upload::probe_audio(&state.blobs, &file.key).await?
    {
        return Err(ApiError::new(
            ErrorCode::InvalidAudioFormat,
            format!("Field `{name}` cannot be decoded as audio: {e}."),
        ));
    }
    Ok((file, kind, mime))
}

/// The standard a request names, or 404 `STANDARD_NOT_FOUND`.
fn standard(state: &AppState, wanted: Option<&str>) -> ApiResult<std::sync::Arc<Standard>> {
    let wanted = wanted
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_input(
                "standard_id is required: a standard's id or code, e.g. ISO9001.",
            )
        })?;
    super::standards::find_standard(state, wanted, "standard_id")
}

/// Checks every rule of SPEC §6 and turns the request into a job.
async fn validate(body: SnapBody, state: &AppState) -> ApiResult<(Submission, Vec<UploadedFile>)> {
    let SnapBody {
        job_id,
        fields,
        files,
    } = body;
    let standard = standard(state, fields.standard_id.as_deref())?;
    let mut processes = Vec::new();
    for (i, wanted) in fields.processes.unwrap_or_default().iter().enumerate() {
        let wanted = wanted.text();
        let chapter = standard
            .chapters
            .iter()
            .find(|c| c.number == wanted || Uuid::parse_str(&wanted).is_ok_and(|id| id == c.id))
            .ok_or_else(|| {
                let numbers: Vec<&str> = standard
                    .chapters
                    .iter()
                    .map(|c| c.number.as_str())
                    .collect();
                ApiError::invalid_input(format!(
                    "processes[{i}] `{wanted}` is not a chapter of {}; its chapters are {}.",
                    standard.code,
                    numbers.join(", ")
                ))
            })?;
        if !processes.contains(&chapter.id) {
            processes.push(chapter.id);
        }
    }
    let language = match fields.language.as_deref().map(str::trim) {
        None | Some("") => Language::En,
        Some(code) => Language::parse(code)
            .ok_or_else(|| ApiError::invalid_input("language must be one of: en, fr, de."))?,
    };

    let entries = fields.evidence.unwrap_or_default();
    let notes = fields.notes.unwrap_or_default();
    let count = entries.len() + notes.len() + files.len();
    if count == 0 {
        return Err(ApiError::invalid_input(
            "Send at least one evidence item: `evidence`, `notes` or a file.",
        ));
    }
    if count > MAX_EVIDENCE_ITEMS {
        return Err(ApiError::invalid_input(format!(
            "At most {MAX_EVIDENCE_ITEMS} evidence items (evidence, notes and files together) may be sent; got {count}."
        )));
    }
    let mut evidence = Vec::with_capacity(count);
    for (i, entry) in entries.into_iter().enumerate() {
        let kind = match entry.kind.trim() {
            "text" => EvidenceKind::Text,
            "transcript" => EvidenceKind::Transcript,
            "structured" => EvidenceKind::Structured,
            _ => {
                return Err(ApiError::invalid_input(format!(
                    "evidence[{i}].type must be one of: text, transcript, structured."
                )));
            }
        };
        match (&kind, &entry.content) {
            (EvidenceKind::Structured, serde_json::Value::Null) => {
                return Err(ApiError::invalid_input(format!(
                    "evidence[{i}].content must not be null."
                )));
            }
            (EvidenceKind::Structured, _) => {}
            (_, serde_json::Value::String(text)) if text.trim().is_empty() => {
                return Err(ApiError::invalid_input(format!(
                    "evidence[{i}].content must not be blank."
                )));
            }
            (_, serde_json::Value::String(text)) if text.chars().count() > MAX_TRANSCRIPT_CHARS => {
                return Err(ApiError::invalid_input(format!(
                    "evidence[{i}].content must be at most {MAX_TRANSCRIPT_CHARS} characters."
                )));
            }
            (_, serde_json::Value::String(_)) => {}
            _ => {
                return Err(ApiError::invalid_input(format!(
                    "evidence[{i}].content must be a string for type {}.",
                    entry.kind.trim()
                )));
            }
        }
        let name = entry
            .name
            .map(|n| n.trim().chars().take(200).collect::<String>())
            .filter(|n| !n.is_empty());
        evidence.push(EvidenceInput::Inline {
            kind,
            content: entry.content,
            name,
        });
    }
    for (i, note) in notes.into_iter().enumerate() {
        if note.trim().is_empty() {
            return Err(ApiError::invalid_input(format!(
                "notes[{i}] must not be blank."
            )));
        }
        evidence.push(EvidenceInput::Inline {
            kind: EvidenceKind::Note,
            content: serde_json::Value::String(note),
            name: None,
        });
    }
    let mut uploads = Vec::with_capacity(files.len());
    for (file, kind, mime) in files {
        evidence.push(EvidenceInput::File {
            kind,
            blob: file.key.clone(),
            name: file.file_name.clone().unwrap_or_default(),
            mime,
            size_bytes: file.size,
        });
        uploads.push(file);
    }
    let callback = callback(fields.callback_url, fields.callback_secret, state).await?;
    let job = SnapJob {
        standard_id: standard.id,
        processes,
        language,
        evidence,
    };
    let submission = Submission {
        id: job_id,
        product: Product::SnapReport,
        input: serde_json::to_string(&job).map_err(ApiError::internal)?,
        callback,
    };
    Ok((submission, uploads))
}

/// Grade evidence against a standard.
///
/// Sync by default: the response carries the suggestions. With `callback_url`
/// or `Prefer: respond-async` the call is accepted with 202 and the result is
/// polled at `Location` (and POSTed to the callback).
#[utoipa::path(post, path = "/api/v1/snapreport/analyze", tag = "snapreport",
    security(("api_key" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 characters; async repeats within 24 h return the same job."),
        ("Prefer" = Option<String>, Header, description = "`respond-async` for async mode without a webhook."),
    ),
    request_body(content(
        (SnapRequest = "application/json"),
        (SnapForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Sync result.", body = Envelope<myqa_core::snapreport::SnapResult>),
        (status = 202, description = "Accepted (async); `Location` names the job.", body = Envelope<JobAccepted>),
        (status = 400, description = "`INVALID_INPUT` (naming the field: a `processes` entry outside the standard, a file type outside the table, the 20-file / 200-item caps, no evidence), `FILE_TOO_LARGE`, `INVALID_AUDIO_FORMAT` or `INVALID_CALLBACK_URL`.", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the key lacks `snapreport:generate`.", body = ErrorEnvelope),
        (status = 404, description = "`STANDARD_NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`IDEMPOTENCY_CONFLICT`", body = ErrorEnvelope),
        (status = 429, description = "`RATE_LIMITED`: the key's requests-per-minute or concurrent-jobs quota is exhausted; `Retry-After` says when to retry.", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u32, description = "Seconds to wait before retrying."),
                ("RateLimit-Limit" = u32, description = "The quota: requests per minute, or concurrent jobs."),
                ("RateLimit-Remaining" = u32, description = "What is left of it: 0."),
                ("RateLimit-Reset" = u32, description = "Seconds until the quota has room again."),
            )),
        (status = 500, description = "`PROCESSING_ERROR`", body = ErrorEnvelope),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: audio evidence but no transcription provider.", body = ErrorEnvelope),
    ))]
pub async fn analyze(
    caller: Permitted<SnapReportGenerate>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: SnapBody,
) -> ApiResult<Response> {
    let (submission, uploads) = validate(body, &state).await?;
    jobs::submit(&state, &caller.key, &headers, submission, uploads).await
}

/// A SnapReport job document (bare, no envelope).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SnapJobDocument {
    pub job_id: uuid::Uuid,
    pub status: myqa_core::job::PublicStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When completed: the same document as the sync response's `data`.
    pub data: Option<myqa_core::snapreport::SnapResult>,
    /// When failed.
    pub error: Option<myqa_core::job::JobError>,
    /// When a callback was given.
    pub webhook: Option<myqa_core::job::WebhookView>,
}

/// A SnapReport job.
#[utoipa::path(get, path = "/api/v1/snapreport/jobs/{job_id}", tag = "snapreport",
    security(("api_key" = [])),
    params(("job_id" = String, Path, description = "The id from the 202 acceptance.")),
    responses(
        (status = 200, description = "The job document (bare).", body = SnapJobDocument),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`: unknown, malformed, another organisation's or another product's job.", body = ErrorEnvelope),
    ))]
pub async fn get_job(
    Caller(key): Caller,
    State(state): State<AppState>,
    Path(job_id): Path<String>,
) -> ApiResult<Response> {
    jobs::job_document(&state, &key, Product::SnapReport, &job_id).await
}
