//! Submitting jobs and reading them back (SPEC §7, §11), for every product.
//!
//! Sync calls go through the same queue as async ones: the request enqueues
//! its job, then waits for a worker to finish it. If the client goes away the
//! wait is dropped and the job cancelled, so it is never charged.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use myqa_core::ApiKey;
use myqa_core::ErrorCode;
use myqa_core::job::{JobDocument, JobMode, JobState, Product, PublicStatus, WebhookView};
use myqa_store::{BlobStore, Callback, Enqueued, Idempotency, JobRecord, NewJob, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult, status_of};
use crate::request_context::current_request_id;
use crate::state::AppState;
use crate::upload::UploadedFile;

/// The acceptance of an async call.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobAccepted {
    pub job_id: Uuid,
    /// `processing` for a new job; a repeat shows the job's current status.
    pub status: PublicStatus,
    pub created_at: DateTime<Utc>,
}

/// A validated request, ready to become a job.
pub struct Submission {
    /// Chosen before the body was read: uploads are stored under it.
    pub id: Uuid,
    pub product: Product,
    /// The validated request as JSON, which the worker reads back.
    pub input: String,
    pub callback: Option<Callback>,
}

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// `Prefer: respond-async` (RFC 7240), among any other preferences.
fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::HeaderName::from_static("prefer"))
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("respond-async")
        })
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::invalid_input("Idempotency-Key must be visible ASCII text."))?;
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::invalid_input(
            "Idempotency-Key must be 1–255 characters long.",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// What makes two requests "the same" for idempotency: everything the job
/// will do, and where it will report.
fn request_hash(submission: &Submission, mode: JobMode) -> String {
    let mut hash = Sha256::new();
    for part in [
        submission.product.as_str(),
        mode.as_str(),
        submission.callback.as_ref().map_or("", |c| c.url.as_str()),
        submission
            .callback
            .as_ref()
            .and_then(|c| c.secret.as_deref())
            .unwrap_or(""),
        submission.input.as_str(),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Enqueues the job and answers: 202 for async, the result for sync.
pub async fn submit(
    state: &AppState,
    key: &ApiKey,
    headers: &HeaderMap,
    submission: Submission,
    uploads: Vec<UploadedFile>,
) -> ApiResult<Response> {
    let mode = if submission.callback.is_some() || prefers_async(headers) {
        JobMode::Async
    } else {
        JobMode::Sync
    };
    let idempotency = idempotency_key(headers)?.map(|key| Idempotency {
        key,
        request_hash: request_hash(&submission, mode),
    });
    let job = NewJob {
        id: submission.id,
        org_id: key.org_id,
        key_id: key.id,
        request_id: current_request_id().unwrap_or_else(Uuid::new_v4),
        product: submission.product,
        mode,
        input: submission.input,
        callback: submission.callback,
        idempotency,
        created_at: myqa_core::time::now(),
        max_concurrent_jobs: key.max_concurrent_jobs,
    };
    // Subscribe before the job exists, so its end cannot slip past.
    let mut finished = state.store.events().watch_finished();
    match state.store.enqueue_job(&job).await? {
        // The job owns its upload now; it is deleted when the job ends.
        Enqueued::Created => uploads.into_iter().for_each(UploadedFile::keep),
        Enqueued::Repeat(existing) => {
            return Ok(accepted(
                existing.product,
                existing.id,
                existing.state.public(),
                existing.created_at,
            ));
        }
        Enqueued::Conflict(existing) => {
            let message = if existing.mode == JobMode::Sync && !existing.state.is_finished() {
                "A request with this Idempotency-Key is still running."
            } else {
                "This Idempotency-Key was already used with a different request."
            };
            return Err(ApiError::new(ErrorCode::IdempotencyConflict, message));
        }
        // Admitted with a free slot, but concurrent requests took it meanwhile.
        Enqueued::AtCapacity { active } => {
            let limit = key.max_concurrent_jobs.unwrap_or_default();
            return Err(crate::quota::concurrency_exceeded(limit, active));
        }
    }
    tracing::info!(job_id = %job.id, mode = mode.as_str(), "job queued");
    if mode == JobMode::Async {
        return Ok(accepted(
            job.product,
            job.id,
            PublicStatus::Processing,
            job.created_at,
        ));
    }

    let mut waiting = CancelOnDrop {
        store: state.store.clone(),
        blobs: state.blobs.clone(),
        job_id: Some(job.id),
    };
    let record = loop {
        if let Some(record) = state.store.job(job.id).await?
            && record.state.is_finished()
        {
            break record;
        }
        let poll = state.settings.job_poll_interval;
        let _ = tokio::time::timeout(poll, wait_for(&mut finished, job.id)).await;
    };
    waiting.disarm();
    if let Err(e) = state.store.forget_job(job.id).await {
        tracing::warn!(error = %e, job_id = %job.id, "cannot delete a finished sync job");
    }
    sync_response(record)
}

/// Returns when `id` is announced as finished (or announcements were missed,
/// in which case the caller looks at the database anyway).
async fn wait_for(finished: &mut tokio::sync::broadcast::Receiver<Uuid>, id: Uuid) {
    loop {
        match finished.recv().await {
            Ok(done) if done == id => return,
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

/// Cancels the job of a sync request that is dropped before its answer: the
/// client disconnected.
struct CancelOnDrop {
    store: Store,
    blobs: BlobStore,
    job_id: Option<Uuid>,
}

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.job_id = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(id) = self.job_id.take() {
            let (store, blobs) = (self.store.clone(), self.blobs.clone());
            tokio::spawn(async move {
                match store.cancel_job(id, myqa_core::time::now()).await {
                    Ok(true) => tracing::info!(job_id = %id, "client left; job cancelled"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, job_id = %id, "cannot cancel job"),
                }
                // Nobody will collect it: remove what is there.
                let _ = store.forget_job(id).await;
                if let Err(e) = blobs.delete_inputs(id).await {
                    tracing::warn!(error = %e, job_id = %id, "cannot delete a cancelled job's inputs");
                }
            });
        }
    }
}

fn accepted(
    product: Product,
    id: Uuid,
    status: PublicStatus,
    created_at: DateTime<Utc>,
) -> Response {
    let mut response = (
        StatusCode::ACCEPTED,
        Envelope::ok(JobAccepted {
            job_id: id,
            status,
            created_at,
        }),
    )
        .into_response();
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&product.job_path(id)).expect("a path is a valid header value"),
    );
    response
}

/// The envelope around a stored data document, without re-parsing it.
fn raw_success(data: &str) -> Response {
    let body = format!("{{\"success\":true,\"data\":{data}}}");
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from(body),
    )
        .into_response()
}

fn sync_response(record: JobRecord) -> ApiResult<Response> {
    match (record.state, record.result, record.error) {
        (JobState::Completed, Some(result), _) => Ok(raw_success(&result)),
        (JobState::Failed, _, Some(error)) => {
            if status_of(error.code).is_server_error() {
                tracing::warn!(job_id = %record.id, code = %error.code, "sync job failed");
            }
            Err(ApiError::new(error.code, error.message))
        }
        (state, ..) => Err(ApiError::internal(format!(
            "sync job {} ended as {} without a result",
            record.id,
            state.as_str()
        ))),
    }
}

/// `GET /api/v1/{product}/jobs/{id}`: the bare job document. Unknown,
/// malformed, another organisation's and the other product's ids are all the
/// same 404.
pub async fn job_document(
    state: &AppState,
    key: &ApiKey,
    product: Product,
    id: &str,
) -> ApiResult<Response> {
    let not_found = || ApiError::not_found(format!("Job `{id}` was not found."));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let record = state
        .store
        .visible_job(key.org_id, product, id)
        .await?
        .ok_or_else(not_found)?;
    let data = match &record.result {
        Some(result) => Some(
            serde_json::value::RawValue::from_string(result.clone()).map_err(|e| {
                ApiError::internal(format!("stored result of job {id} is not JSON: {e}"))
            })?,
        ),
        None => None,
    };
    let status = record.state.public();
    let document = JobDocument {
        event: None,
        job_id: record.id,
        status,
        created_at: record.created_at,
        completed_at: if status == PublicStatus::Processing {
            None
        } else {
            record.completed_at
        },
        data: if status == PublicStatus::Completed {
            data.as_deref()
        } else {
            None
        },
        error: if status == PublicStatus::Failed {
            record.error
        } else {
            None
        },
        webhook: record.webhook.map(|w| WebhookView {
            status: w.state,
            attempts: w.attempts,
            last_attempt_at: w.last_attempt_at,
            last_response_status: w.last_response_status,
        }),
    };
    Ok(axum::Json(document).into_response())
}
