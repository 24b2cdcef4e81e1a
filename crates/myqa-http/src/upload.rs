//! Multipart bodies read as a stream: text fields into bounded strings, file
//! parts straight into the blob store while their size is counted. No part is
//! ever held whole in memory, and a file that breaks a rule — or a client that
//! goes away — leaves nothing behind.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use myqa_core::ErrorCode;
use myqa_store::BlobStore;

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::FromRequest;

/// The body of an analyze endpoint: JSON fields, or a multipart form with
/// files.
pub enum AnalyzeBody<T> {
    Json(T),
    Multipart(MultipartBody),
}

impl<T: serde::de::DeserializeOwned> AnalyzeBody<T> {
    /// Tells the two apart by `Content-Type`; a multipart body is refused
    /// beyond `max_body` (see [`MultipartBody::new`]), any other type is
    /// `INVALID_INPUT` naming the two accepted.
    pub async fn read(
        request: Request,
        state: &AppState,
        max_body: u64,
        limit_label: &str,
    ) -> ApiResult<AnalyzeBody<T>> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let text_limit = state.settings.json_body_limit;
            return MultipartBody::new(request, text_limit, max_body, limit_label)
                .map(AnalyzeBody::Multipart);
        }
        let ApiJson(fields) = ApiJson::<T>::from_request(request, state)
            .await
            .map_err(|e| {
                if e.message.starts_with("Unsupported Content-Type") {
                    ApiError::invalid_input(format!(
                        "Unsupported Content-Type `{content_type}`: send application/json or multipart/form-data."
                    ))
                } else {
                    e
                }
            })?;
        Ok(AnalyzeBody::Json(fields))
    }
}

/// The text fields of a multipart form: each must be known, and come once.
pub struct FormFields {
    expected: &'static [&'static str],
    /// Added to the list of expected fields in the error (` (and files)`).
    also: &'static str,
    seen: Vec<String>,
}

impl FormFields {
    pub fn new(expected: &'static [&'static str], also: &'static str) -> FormFields {
        FormFields {
            expected,
            also,
            seen: Vec::new(),
        }
    }

    /// Accepts field `name`, or refuses it as unknown or repeated.
    pub fn admit(&mut self, name: &str) -> ApiResult<()> {
        if !self.expected.contains(&name) {
            return Err(ApiError::invalid_input(format!(
                "Unknown field `{name}`; expected: {}{}.",
                self.expected.join(", "),
                self.also
            )));
        }
        if self.seen.iter().any(|s| s == name) {
            return Err(ApiError::invalid_input(format!(
                "Field `{name}` appears more than once."
            )));
        }
        self.seen.push(name.to_owned());
        Ok(())
    }
}

/// Bytes read before the type of a file is decided.
pub const SNIFF_BYTES: usize = 8 * 1024;

/// A multipart body, with the limits that apply to it.
pub struct MultipartBody {
    inner: multer::Multipart<'static>,
    text_limit: usize,
}

fn multipart_error(e: multer::Error) -> ApiError {
    ApiError::invalid_input(format!("Invalid multipart body: {e}."))
}

impl MultipartBody {
    /// Refuses, before reading anything, a body whose declared length is
    /// beyond `max_body` (then `FILE_TOO_LARGE`, naming `limit_label`).
    pub fn new(
        request: Request,
        text_limit: usize,
        max_body: u64,
        limit_label: &str,
    ) -> ApiResult<MultipartBody> {
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > max_body) {
            return Err(ApiError::new(
                ErrorCode::FileTooLarge,
                format!("The request body is larger than a file may be ({limit_label})."),
            ));
        }
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(multipart_error)?;
        let stream = Body::into_data_stream(request.into_body());
        Ok(MultipartBody {
            inner: multer::Multipart::new(stream, boundary),
            text_limit,
        })
    }

    pub async fn next_field(&mut self) -> ApiResult<Option<multer::Field<'static>>> {
        self.inner.next_field().await.map_err(multipart_error)
    }

    /// A text field, refused when longer than the text limit.
    pub async fn text(&self, mut field: multer::Field<'static>, name: &str) -> ApiResult<String> {
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > self.text_limit {
                return Err(ApiError::invalid_input(format!(
                    "Field `{name}` is longer than the {} bytes a text field may hold.",
                    self.text_limit
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        String::from_utf8(bytes)
            .map_err(|_| ApiError::invalid_input(format!("Field `{name}` is not UTF-8 text.")))
    }
}

/// A file part stored in the blob store. Deleted when dropped, unless kept:
/// every error path after the upload cleans up by itself.
pub struct UploadedFile {
    pub key: String,
    pub size: u64,
    pub file_name: Option<String>,
    blobs: BlobStore,
    kept: bool,
}

impl UploadedFile {
    /// The job now owns the blob; it is deleted when the job ends.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for UploadedFile {
    fn drop(&mut self) {
        if !self.kept {
            let (blobs, key) = (self.blobs.clone(), self.key.clone());
            tokio::spawn(async move {
                if let Err(e) = blobs.delete(&key).await {
                    tracing::warn!(error = %e, blob = %key, "cannot delete an unused upload");
                }
            });
        }
    }
}

/// Streams a file part into `key`. `classify` sees the first bytes (up to
/// [`SNIFF_BYTES`]) and returns the size limit for what they show, or the
/// error that refuses them — before anything is stored. Exceeding the limit
/// aborts the upload: `FILE_TOO_LARGE` naming `field` and the limit.
pub async fn store_file(
    mut field: multer::Field<'static>,
    blobs: &BlobStore,
    key: String,
    name: &str,
    classify: impl FnOnce(&[u8]) -> ApiResult<(u64, String)>,
) -> ApiResult<UploadedFile> {
    let file_name = field.file_name().map(str::to_owned);
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut rest = None;
    while head.len() < SNIFF_BYTES {
        match field.chunk().await.map_err(multipart_error)? {
            Some(chunk) => {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                if take < chunk.len() {
                    rest = Some(chunk.slice(take..));
                }
            }
            None => break,
        }
    }
    let (limit, limit_label) = classify(&head)?;
    let too_large = || {
        ApiError::new(
            ErrorCode::FileTooLarge,
            format!("Field `{name}` is larger than the {limit_label} limit."),
        )
    };
    let mut writer = blobs.writer(&key).await.map_err(ApiError::internal)?;
    let mut size = 0u64;
    for chunk in std::iter::once(bytes::Bytes::from(head)).chain(rest) {
        size += chunk.len() as u64;
        if size > limit {
            writer.abort().await;
            return Err(too_large());
        }
        writer.write(&chunk).await.map_err(ApiError::internal)?;
    }
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                writer.abort().await;
                return Err(multipart_error(e));
            }
        };
        size += chunk.len() as u64;
        if size > limit {
            writer.abort().await;
            return Err(too_large());
        }
        if let Err(e) = writer.write(&chunk).await {
            writer.abort().await;
            return Err(ApiError::internal(e));
        }
    }
    writer.finish().await.map_err(ApiError::internal)?;
    Ok(UploadedFile {
        key,
        size,
        file_name,
        blobs: blobs.clone(),
        kept: false,
    })
}

/// Bytes of a recording in a remote store decoded at request time.
const PROBE_BYTES: u64 = 2 * 1024 * 1024;

/// Decodes the beginning of a stored recording, so a header that lies or
/// corrupt data is refused at request time rather than failing the job later.
/// A local file is probed whole, as an MP4 may keep its index at the end.
/// The outer error is the service's own; the inner one is the file's.
pub async fn probe_audio(
    blobs: &BlobStore,
    key: &str,
) -> ApiResult<Result<myqa_media::AudioInfo, myqa_media::MediaError>> {
    let probed = if let Some(path) = blobs.local_path(key) {
        tokio::task::spawn_blocking(move || {
            std::fs::File::open(&path)
                .map_err(myqa_media::MediaError::from)
                .and_then(myqa_media::probe_file)
        })
        .await
    } else {
        let prefix = blobs
            .read_range(key, 0..PROBE_BYTES)
            .await
            .map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || myqa_media::probe(&prefix)).await
    };
    probed.map_err(ApiError::internal)
}
