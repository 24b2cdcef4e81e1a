//! The job runner: claims jobs with a lease, renews it while the pipeline
//! runs, and finishes each job exactly once — or gives it back.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use myqa_core::ErrorCode;
use myqa_core::job::{JobDocument, JobError, JobMode, MAX_ATTEMPTS, PublicStatus};
use myqa_store::{BlobStore, ClaimedJob, Events, NewDelivery, Outcome, Store};
use tokio::sync::watch;
use tracing::Instrument;

use crate::WorkerSettings;
use crate::pipeline::{PipelineError, Pipelines};

/// Sync jobs are deleted by their waiting request; this bounds how long an
/// orphan (its request gone) lingers.
const SYNC_LEFTOVER: chrono::Duration = chrono::Duration::hours(1);

pub(crate) async fn run(
    store: Store,
    pipelines: Pipelines,
    settings: Arc<WorkerSettings>,
    worker: String,
    running: crate::Running,
) {
    let _slots = crate::metrics::Slots::open(settings.concurrency);
    crate::claim_loop(
        "jobs",
        &store,
        Events::job_queued_signal,
        settings.concurrency,
        settings.poll,
        running.stop,
        running.heartbeat,
        || {
            let now = Utc::now();
            store.claim_job(&worker, now, now + lease(&settings))
        },
        |job| {
            let (store, pipelines, settings, worker, release) = (
                store.clone(),
                pipelines.clone(),
                settings.clone(),
                worker.clone(),
                running.release.clone(),
            );
            async move { process(&store, &pipelines, &settings, &worker, release, job).await }
        },
    )
    .await
}

fn lease(settings: &WorkerSettings) -> chrono::Duration {
    chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::seconds(30))
}

/// Runs one claimed job to its end. Every log line of the job carries its id
/// and the id of the request that submitted it.
async fn process(
    store: &Store,
    pipelines: &Pipelines,
    settings: &WorkerSettings,
    worker: &str,
    release: watch::Receiver<bool>,
    job: ClaimedJob,
) {
    let _busy = crate::metrics::Busy::start();
    let span = tracing::info_span!(
        "job",
        job_id = %job.id,
        request_id = %job.request_id,
        org_id = %job.org_id,
        product = job.product.as_str(),
        attempt = job.attempts,
    );
    process_in_span(store, pipelines, settings, worker, release, job)
        .instrument(span)
        .await;
}

async fn process_in_span(
    store: &Store,
    pipelines: &Pipelines,
    settings: &WorkerSettings,
    worker: &str,
    release: watch::Receiver<bool>,
    job: ClaimedJob,
) {
    let outcome = if job.attempts > MAX_ATTEMPTS {
        // Its workers kept dying: stop trying.
        tracing::warn!("job abandoned after {MAX_ATTEMPTS} attempts");
        Some(Outcome::Failed(processing_error()))
    } else {
        match run_with_lease(store, pipelines, settings, worker, release, &job).await {
            Leased::Lost => {
                tracing::info!("job cancelled or taken over; result discarded");
                None
            }
            Leased::Released => {
                // The pipeline was dropped before this, so nothing of this
                // attempt can be recorded after it.
                match store.release_job(job.id, worker, Utc::now()).await {
                    Ok(true) => tracing::info!(
                        "shutting down: job interrupted and its lease released for another worker"
                    ),
                    Ok(false) => tracing::info!("job cancelled or taken over; result discarded"),
                    Err(e) => tracing::warn!(
                        error = %e,
                        "shutting down: cannot release the job's lease; it is taken again when the lease lapses"
                    ),
                }
                None
            }
            Leased::Done(Ok(output)) => Some(Outcome::Completed {
                result: output.result,
                charge: output.charge,
            }),
            Leased::Done(Err(PipelineError::Rejected { code, message })) => {
                Some(Outcome::Failed(JobError { code, message }))
            }
            Leased::Done(Err(PipelineError::Retryable(message))) if job.attempts < MAX_ATTEMPTS => {
                let backoff = Duration::from_secs(2u64.pow(job.attempts as u32 * 2).min(300));
                tracing::warn!(error = %message, ?backoff, "job failed; will retry");
                crate::metrics::job_retried(job.product);
                let at = Utc::now() + chrono::Duration::from_std(backoff).unwrap_or_default();
                if let Err(e) = store.requeue_job(job.id, worker, at).await {
                    tracing::error!(error = %e, "cannot requeue job");
                }
                None
            }
            Leased::Done(Err(e)) => {
                tracing::error!(error = %e, "job failed");
                Some(Outcome::Failed(processing_error()))
            }
        }
    };
    if let Some(outcome) = outcome {
        finish(store, &pipelines.blobs, settings, worker, &job, outcome).await;
    }
}

fn processing_error() -> JobError {
    JobError {
        code: ErrorCode::ProcessingError,
        message: "The job could not be processed. Quote the job id when reporting it.".into(),
    }
}

enum Leased<T> {
    Done(T),
    /// The lease could not be renewed: someone else owns the job now, or its
    /// client cancelled it.
    Lost,
    /// The process is shutting down and its deadline came first: the job is
    /// to be given back.
    Released,
}

/// Runs the pipeline while renewing the lease every third of its length,
/// until it ends, the lease is lost, or `release` turns true.
async fn run_with_lease(
    store: &Store,
    pipelines: &Pipelines,
    settings: &WorkerSettings,
    worker: &str,
    mut release: watch::Receiver<bool>,
    job: &ClaimedJob,
) -> Leased<Result<crate::pipeline::PipelineOutput, PipelineError>> {
    let renew_every = settings.lease / 3;
    let renewals = async {
        loop {
            tokio::time::sleep(renew_every).await;
            match store
                .renew_job_lease(job.id, worker, Utc::now() + lease(settings))
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                // A database hiccup: keep trying until the lease runs out.
                Err(e) => tracing::warn!(error = %e, "cannot renew job lease"),
            }
        }
    };
    tokio::select! {
        // A deadline that passed before the job started wins over its result.
        biased;
        () = crate::released(&mut release) => Leased::Released,
        result = pipelines.run(job) => Leased::Done(result),
        () = renewals => Leased::Lost,
    }
}

/// Commits the outcome with its charge and webhook, once.
async fn finish(
    store: &Store,
    blobs: &BlobStore,
    settings: &WorkerSettings,
    worker: &str,
    job: &ClaimedJob,
    outcome: Outcome,
) {
    let finished_at = myqa_core::time::now();
    let purge_after = match job.mode {
        JobMode::Sync => finished_at + SYNC_LEFTOVER,
        JobMode::Async => {
            finished_at
                + chrono::Duration::from_std(settings.retention)
                    .unwrap_or(chrono::Duration::days(7))
        }
    };
    let webhook = match (&job.callback, job.mode) {
        (Some(callback), JobMode::Async) => Some(NewDelivery {
            id: format!("msg_{}", job.id.simple()),
            url: callback.url.clone(),
            secret: callback.secret.clone(),
            payload: webhook_body(job, &outcome, finished_at),
        }),
        _ => None,
    };
    match store
        .finish_job(
            job,
            worker,
            &outcome,
            finished_at,
            purge_after,
            webhook.as_ref(),
        )
        .await
    {
        Ok(true) => {
            tracing::info!(
                status = match outcome {
                    Outcome::Completed { .. } => "completed",
                    Outcome::Failed(_) => "failed",
                },
                "job finished"
            );
            let (completed, coins) = match &outcome {
                Outcome::Completed { charge, .. } => (true, charge.coins),
                Outcome::Failed(_) => (false, 0),
            };
            crate::metrics::job_finished(
                job.product,
                completed,
                coins,
                finished_at - job.created_at,
            );
            // Inputs go as soon as the job ends (SPEC §7); the janitor sweeps
            // up if this fails.
            if let Err(e) = blobs.delete_inputs(job.id).await {
                tracing::warn!(error = %e, "cannot delete the job's inputs");
            }
        }
        Ok(false) => tracing::info!("job cancelled or taken over; result discarded"),
        // The lease will lapse and another attempt will run.
        Err(e) => tracing::error!(error = %e, "cannot record the job's end"),
    }
}

/// The webhook body: the job document plus its `type` (SPEC §8).
fn webhook_body(job: &ClaimedJob, outcome: &Outcome, finished_at: chrono::DateTime<Utc>) -> String {
    let (status, data, error) = match outcome {
        Outcome::Completed { result, .. } => (
            PublicStatus::Completed,
            serde_json::value::RawValue::from_string(result.clone()).ok(),
            None,
        ),
        Outcome::Failed(error) => (PublicStatus::Failed, None, Some(error.clone())),
    };
    let document = JobDocument {
        event: Some(job.product.event(status)),
        job_id: job.id,
        status,
        created_at: job.created_at,
        completed_at: Some(finished_at),
        data: data.as_deref(),
        error,
        webhook: None,
    };
    serde_json::to_string(&document).expect("a job document serialises")
}
