//! Liveness and readiness, without authentication.

use std::time::Duration;

use myqa_core::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive.", body = Envelope<Health>)))]
pub async fn healthz() -> Envelope<Health> {
    Envelope::ok(Health { status: "ok" })
}

/// Readiness: the database answers and holds every migration, and the blob
/// store answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve.", body = Envelope<Health>),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a dependency is not ready; `details` says which.", body = ErrorEnvelope),
    ))]
pub async fn readyz(state: axum::extract::State<AppState>) -> ApiResult<Envelope<Health>> {
    let database = match tokio::time::timeout(Duration::from_secs(2), state.store.is_ready()).await
    {
        Ok(Ok(true)) => "ok",
        Ok(Ok(false)) => "migrations pending",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            "unreachable"
        }
        Err(_) => "timed out",
    };
    let blobs = match tokio::time::timeout(Duration::from_secs(2), state.blobs.is_ready()).await {
        Ok(true) => "ok",
        Ok(false) => "unreachable",
        Err(_) => "timed out",
    };
    if database != "ok" || blobs != "ok" {
        return Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("Not ready: database {database}, blob store {blobs}."),
        )
        .with_details(serde_json::json!({ "database": database, "blob_store": blobs })));
    }
    Ok(Envelope::ok(Health { status: "ok" }))
}
