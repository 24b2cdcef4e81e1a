//! CaptureIQ (SPEC §5). Authentication, the permission check and the JSON
//! contract are in place; the analysis pipeline arrives with the jobs engine,
//! until then the endpoint answers 503 after validating the caller.

use myqa_core::ErrorCode;

use crate::auth::{CaptureIqAnalyze, Permitted};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ApiJson;

/// Analyse a transcript or recording.
#[utoipa::path(post, path = "/api/v1/captureiq/analyze", tag = "captureiq",
    security(("api_key" = [])),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(
        (status = 400, description = "`INVALID_INPUT`", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the key lacks `captureiq:analyze`.", body = ErrorEnvelope),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: analysis is not available in this build yet.", body = ErrorEnvelope),
    ))]
pub async fn analyze(
    _caller: Permitted<CaptureIqAnalyze>,
    ApiJson(_body): ApiJson<serde_json::Value>,
) -> ApiError {
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "CaptureIQ analysis is not available in this build yet.",
    )
}
