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

/// Readiness: the database answers and holds every migration, the blob store
/// answers, this process's worker loops (if it runs any) are alive, and the
/// process is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve.", body = Envelope<Health>),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: not ready — a dependency does not answer, a worker loop stopped, or the process is shutting down; `details` says which (`database`, `blob_store`, `workers`, `shutting_down`).", body = ErrorEnvelope),
    ))]
pub async fn readyz(state: axum::extract::State<AppState>) -> ApiResult<Envelope<Health>> {
    let shutting_down = state.lifecycle.is_shutting_down();
    let (database, blobs) = tokio::join!(
        async {
            match tokio::time::timeout(CHECK_TIMEOUT, state.store.is_ready()).await {
                Ok(Ok(true)) => "ok",
                Ok(Ok(false)) => "migrations pending",
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "readiness: database check failed");
                    "unreachable"
                }
                Err(_) => "timed out",
            }
        },
        async {
            match tokio::time::timeout(CHECK_TIMEOUT, state.blobs.check()).await {
                Ok(Ok(())) => "ok",
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "readiness: blob store check failed");
                    "unreachable"
                }
                Err(_) => "timed out",
            }
        },
    );
    let liveness = &state.lifecycle.liveness;
    let problems = liveness.problems();
    let workers = if !liveness.has_loops() {
        "not run by this process".to_owned()
    } else if problems.is_empty() {
        "ok".to_owned()
    } else {
        problems.join(", ")
    };
    let mut failed = Vec::new();
    if shutting_down {
        failed.push("shutting down".to_owned());
    }
    if database != "ok" {
        failed.push(format!("database {database}"));
    }
    if blobs != "ok" {
        failed.push(format!("blob store {blobs}"));
    }
    if !problems.is_empty() {
        failed.push(format!("workers: {workers}"));
    }
    if !failed.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("Not ready: {}.", failed.join("; ")),
        )
        .with_details(serde_json::json!({
            "database": database,
            "blob_store": blobs,
            "workers": workers,
            "shutting_down": shutting_down,
        })));
    }
    Ok(Envelope::ok(Health { status: "ok" }))
}

/// How long each dependency may take to answer a readiness check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
