//! SnapReport (SPEC §6). Authentication, the permission check and the JSON
//! contract are in place; grading arrives with the jobs engine,
//! until then the endpoint answers 503 after validating the caller.

use myqa_core::ErrorCode;

use crate::auth::{Permitted, SnapReportGenerate};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ApiJson;

/// Grade evidence against a standard.
#[utoipa::path(post, path = "/api/v1/snapreport/analyze", tag = "snapreport",
    security(("api_key" = [])),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses(
        (status = 400, description = "`INVALID_INPUT`", body = ErrorEnvelope),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the key lacks `snapreport:generate`.", body = ErrorEnvelope),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: grading is not available in this build yet.", body = ErrorEnvelope),
    ))]
pub async fn analyze(
    _caller: Permitted<SnapReportGenerate>,
    ApiJson(_body): ApiJson<serde_json::Value>,
) -> ApiError {
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "SnapReport grading is not available in this build yet.",
    )
}
