//! CaptureIQ (SPEC §5): `POST /api/v1/captureiq/analyze` and its job route.

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use myqa_core::ErrorCode;
use myqa_core::callback::CallbackError;
use myqa_core::capture::{
    CaptureJob, CaptureSource, Language, MAX_AUDIO_BYTES, MAX_TRANSCRIPT_CHARS, SessionType,
    StoredAudio,
};
use myqa_core::job::Product;
use myqa_media::{AudioFormat, Sniffed};
use myqa_store::{Callback, input_key};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, CaptureIqAnalyze, Permitted};
use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::routes::jobs::{self, JobAccepted, Submission};
use crate::state::AppState;
use crate::upload::{AnalyzeBody, FormFields, MultipartBody, UploadedFile, store_file};

/// The JSON request. In multipart, the same fields are form fields and a
/// file field `audio` may replace `transcript`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureRequest {
    /// Raw transcript, may carry speaker labels (`Auditor: …`); at most
    /// 2,000,000 characters; not blank.
    pub transcript: Option<String>,
    /// `audit` (default) or `meeting`.
    #[schema(value_type = Option<SessionType>)]
    pub session_type: Option<String>,
    /// `auto` (default: detected), `en`, `fr` or `de`.
    #[schema(example = "auto")]
    pub language: Option<String>,
    /// HTTPS URL to POST the job document to when done; switches to async mode.
    pub callback_url: Option<String>,
    /// HMAC-SHA256 signing secret for the webhook, 1–1024 characters
    /// (`whsec_…` secrets are base64-decoded, as in Standard Webhooks).
    pub callback_secret: Option<String>,
}

/// The multipart form, for the documentation.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CaptureForm {
    pub transcript: Option<String>,
    /// An audio file (MP3, WAV, AAC, FLAC, OGG, WebM, M4A, MP4), instead of `transcript`.
    #[schema(value_type = Option<String>, format = Binary)]
    pub audio: Option<Vec<u8>>,
    pub session_type: Option<String>,
    pub language: Option<String>,
    pub callback_url: Option<String>,
    pub callback_secret: Option<String>,
}

/// A CaptureIQ request, from either body type. The job id is chosen before
/// reading, so an uploaded recording is stored under it.
pub struct CaptureBody {
    job_id: Uuid,
    fields: CaptureRequest,
    audio: Option<(UploadedFile, AudioFormat)>,
}

const FORM_FIELDS: [&str; 6] = [
    "transcript",
    "audio",
    "session_type",
    "language",
    "callback_url",
    "callback_secret",
];

impl FromRequest<AppState> for CaptureBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let job_id = Uuid::now_v7();
        // The text fields may add to the recording's 2 GiB.
        let max_body = MAX_AUDIO_BYTES + 2 * state.settings.json_body_limit as u64;
        match AnalyzeBody::<CaptureRequest>::read(request, state, max_body, "2 GiB").await? {
            AnalyzeBody::Multipart(body) => from_multipart(body, job_id, state).await,
            AnalyzeBody::Json(fields) => Ok(CaptureBody {
                job_id,
                fields,
                audio: None,
            }),
        }
    }
}

async fn from_multipart(
    mut body: MultipartBody,
    job_id: Uuid,
    state: &AppState,
) -> ApiResult<CaptureBody> {
    let mut request = CaptureBody {
        job_id,
        fields: CaptureRequest::default(),
        audio: None,
    };
    let mut fields = FormFields::new(&FORM_FIELDS, "");
    while let Some(field) = body.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        fields.admit(&name)?;
        if name == "audio" {
            if request.fields.transcript.is_some() {
                return Err(ApiError::invalid_input(
                    "Send either `transcript` or `audio`, not both.",
                ));
            }
            // Refused before a byte of the recording is stored.
            if !state.settings.transcription_enabled {
                return Err(transcription_unavailable());
            }
            request.audio = Some(store_audio(field, job_id, state).await?);
            continue;
        }
        let text = body.text(field, &name).await?;
        let slot = match name.as_str() {
            "transcript" => &mut request.fields.transcript,
            "session_type" => &mut request.fields.session_type,
            "language" => &mut request.fields.language,
            "callback_url" => &mut request.fields.callback_url,
            _ => &mut request.fields.callback_secret,
        };
        *slot = Some(text);
    }
    Ok(request)
}

/// The formats SPEC §5 lists, for messages.
const AUDIO_FORMATS: &str = "MP3, WAV, AAC, FLAC, OGG (Vorbis, Opus), WebM, M4A, MP4";

/// Streams the `audio` part into the blob store: its type decided by its
/// bytes, its size counted against 2 GiB, its first seconds decoded.
async fn store_audio(
    field: multer::Field<'static>,
    job_id: Uuid,
    state: &AppState,
) -> ApiResult<(UploadedFile, AudioFormat)> {
    let mut format = None;
    let file = store_file(
        field,
        &state.blobs,
        input_key(job_id, "audio"),
        "audio",
        |head| match myqa_media::sniff(head) {
            Sniffed::Audio(detected) => {
                format = Some(detected);
                Ok((MAX_AUDIO_BYTES, "2 GiB".to_owned()))
            }
            Sniffed::Other(kind) => Err(ApiError::new(
                ErrorCode::InvalidAudioFormat,
                format!("audio is {kind}, not a supported audio format ({AUDIO_FORMATS})."),
            )),
        },
    )
    .await?;
    let format = format.expect("classify accepted the file");
    let probed = crate::upload::probe_audio(&state.blobs, &file.key).await?;
    if let Err(e) = probed {
        return Err(ApiError::new(
            ErrorCode::InvalidAudioFormat,
            format!("audio cannot be decoded as {}: {e}.", format.name()),
        ));
    }
    Ok((file, format))
}

fn transcription_unavailable() -> ApiError {
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "Audio transcription is not configured on this server; send `transcript` instead.",
    )
}

/// Checks every rule of SPEC §5 and turns the request into a job.
async fn validate(
    body: CaptureBody,
    state: &AppState,
) -> ApiResult<(Submission, Option<UploadedFile>)> {
    let CaptureBody {
        job_id,
        fields,
        audio,
    } = body;
    let (source, upload) = match (fields.transcript, audio) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_input(
                "Send either `transcript` or `audio`, not both.",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_input(
                "Send `transcript` (text) or `audio` (a file in a multipart request).",
            ));
        }
        (None, Some((file, format))) => (
            CaptureSource::Audio(StoredAudio {
                blob: file.key.clone(),
                format: format.name().to_owned(),
                size_bytes: file.size,
                file_name: file.file_name.clone(),
            }),
            Some(file),
        ),
        (Some(transcript), None) => {
            if transcript.trim().is_empty() {
                return Err(ApiError::invalid_input("transcript must not be blank."));
            }
            if transcript.chars().count() > MAX_TRANSCRIPT_CHARS {
                return Err(ApiError::invalid_input(format!(
                    "transcript must be at most {MAX_TRANSCRIPT_CHARS} characters."
                )));
            }
            (CaptureSource::Transcript(transcript), None)
        }
    };
    let session_type = match fields.session_type.as_deref().map(str::trim) {
        None | Some("audit") => SessionType::Audit,
        Some("meeting") => SessionType::Meeting,
        Some(_) => {
            return Err(ApiError::invalid_input(format!(
                "session_type must be one of: {}.",
                SessionType::NAMES
            )));
        }
    };
    let language = match fields.language.as_deref().map(str::trim) {
        None | Some("auto") => None,
        Some(code) => Some(Language::parse(code).ok_or_else(|| {
            ApiError::invalid_input("language must be one of: auto, en, fr, de.")
        })?),
    };
    let callback = callback(fields.callback_url, fields.callback_secret, state).await?;
    let job = CaptureJob {
        source,
        session_type,
        language,
    };
    let submission = Submission {
        id: job_id,
        product: Product::CaptureIq,
        input: serde_json::to_string(&job).map_err(ApiError::internal)?,
        callback,
    };
    Ok((submission, upload))
}

/// `callback_url` and `callback_secret` (SPEC §5, §8), shared by both products.
pub(crate) async fn callback(
    url: Option<String>,
    secret: Option<String>,
    state: &AppState,
) -> ApiResult<Option<Callback>> {
    if let Some(secret) = &secret {
        if url.is_none() {
            return Err(ApiError::invalid_input(
                "callback_secret is only used with callback_url.",
            ));
        }
        let length = secret.chars().count();
        if !(1..=1024).contains(&length) {
            return Err(ApiError::invalid_input(
                "callback_secret must be 1–1024 characters long.",
            ));
        }
        if myqa_webhook::signature::signing_key(secret).is_err() {
            return Err(ApiError::invalid_input(
                "callback_secret starts with `whsec_` but the rest is not base64.",
            ));
        }
    }
    let Some(url) = url else {
        return Ok(None);
    };
    let checked = myqa_webhook::check_callback_url(
        &url,
        state.settings.callback_policy,
        state.resolver.as_ref(),
    )
    .await
    .map_err(|e: CallbackError| {
        ApiError::new(ErrorCode::InvalidCallbackUrl, format!("callback_url {e}."))
    })?;
    Ok(Some(Callback {
        url: checked.as_str().to_owned(),
        secret,
    }))
}

/// Analyse an audit or meeting transcript.
///
/// Sync by default: the response carries the result. With `callback_url` or
/// `Prefer: respond-async` the call is accepted with 202 and the result is
/// polled at `Location` (and POSTed to the callback).
#[utoipa::path(post, path = "/api/v1/captureiq/analyze", tag = "captureiq",
    security(("api_key" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 characters; async repeats within 24 h return the same job."),
        ("Prefer" = Option<String>, Header, description = "`respond-async` for async mode without a webhook."),
    ),
    request_body(content(
        (CaptureRequest = "application/json"),
        (CaptureForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Sync result.", body = Envelope<myqa_core::capture::CaptureResult>),
        (status = 202, description = "Accepted (async); `Location` names the job.", body = Envelope<JobAccepted>),
        (status = 400, description = "`INVALID_INPUT`, `INVALID_CALLBACK_URL`, `INVALID_AUDIO_FORMAT` (not audio by its bytes, or undecodable) or `FILE_TOO_LARGE` (audio over 2 GiB), naming the field.", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the key lacks `captureiq:analyze`.", body = ErrorEnvelope),
        (status = 409, description = "`IDEMPOTENCY_CONFLICT`", body = ErrorEnvelope),
        (status = 429, description = "`RATE_LIMITED`: the key's requests-per-minute or concurrent-jobs quota is exhausted; `Retry-After` says when to retry.", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u32, description = "Seconds to wait before retrying."),
                ("RateLimit-Limit" = u32, description = "The quota: requests per minute, or concurrent jobs."),
                ("RateLimit-Remaining" = u32, description = "What is left of it: 0."),
                ("RateLimit-Reset" = u32, description = "Seconds until the quota has room again."),
            )),
        (status = 500, description = "`PROCESSING_ERROR`", body = ErrorEnvelope),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: audio sent but no transcription provider is configured.", body = ErrorEnvelope),
    ))]
pub async fn analyze(
    caller: Permitted<CaptureIqAnalyze>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: CaptureBody,
) -> ApiResult<Response> {
    let (submission, upload) = validate(body, &state).await?;
    jobs::submit(
        &state,
        &caller.key,
        &headers,
        submission,
        upload.into_iter().collect(),
    )
    .await
}

/// A CaptureIQ job document (bare, no envelope).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CaptureJobDocument {
    pub job_id: uuid::Uuid,
    pub status: myqa_core::job::PublicStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When completed: the same document as the sync response's `data`.
    pub data: Option<myqa_core::capture::CaptureResult>,
    /// When failed.
    pub error: Option<myqa_core::job::JobError>,
    /// When a callback was given.
    pub webhook: Option<myqa_core::job::WebhookView>,
}

/// A CaptureIQ job.
#[utoipa::path(get, path = "/api/v1/captureiq/jobs/{job_id}", tag = "captureiq",
    security(("api_key" = [])),
    params(("job_id" = String, Path, description = "The id from the 202 acceptance.")),
    responses(
        (status = 200, description = "The job document (bare).", body = CaptureJobDocument),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`: unknown, malformed, another organisation's or another product's job.", body = ErrorEnvelope),
    ))]
pub async fn get_job(
    Caller(key): Caller,
    State(state): State<AppState>,
    Path(job_id): Path<String>,
) -> ApiResult<Response> {
    jobs::job_document(&state, &key, Product::CaptureIq, &job_id).await
}
