//! SnapReport (SPEC §6). Authentication, the permission check and the job
//! route are in place; grading arrives with the SnapReport pipeline, until
//! then analyze answers 503 after validating the caller.

use axum::extract::{Path, State};
use axum::response::Response;
use myqa_core::ErrorCode;
use myqa_core::job::Product;

use crate::auth::{Caller, Permitted, SnapReportGenerate};
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::routes::jobs;
use crate::state::AppState;

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

/// A SnapReport job.
#[utoipa::path(get, path = "/api/v1/snapreport/jobs/{job_id}", tag = "snapreport",
    security(("api_key" = [])),
    params(("job_id" = String, Path, description = "The id from the 202 acceptance.")),
    responses(
        (status = 200, description = "The job document (bare)."),
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
