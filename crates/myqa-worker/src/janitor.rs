//! Purges jobs past their retention (results, inputs, webhook rows),
//! releases idempotency keys past their window, and deletes uploads no job
//! owns any more (a worker that died before deleting them, an upload whose
//! request failed half-way).

use std::sync::Arc;

use myqa_store::{BlobStore, Store};
use tokio::sync::watch;

use crate::WorkerSettings;

/// Uploads younger than this are left alone: their request may still be
/// turning them into a job.
const UPLOAD_GRACE: chrono::Duration = chrono::Duration::hours(1);

pub(crate) async fn run(
    store: Store,
    blobs: BlobStore,
    settings: Arc<WorkerSettings>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let now = myqa_core::time::now();
        match store.purge_jobs(now).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "janitor purged expired jobs"),
            Err(e) => tracing::warn!(error = %e, "janitor could not purge"),
        }
        if let Err(e) = sweep_orphans(&store, &blobs, now).await {
            tracing::warn!(error = %e, "janitor could not sweep uploads");
        }
        if crate::pause(settings.janitor_interval, &mut stop).await {
            return;
        }
    }
}

async fn sweep_orphans(
    store: &Store,
    blobs: &BlobStore,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    for (job_id, written) in blobs.jobs_with_inputs().await? {
        if now - written < UPLOAD_GRACE {
            continue;
        }
        let owned = store
            .job(job_id)
            .await?
            .is_some_and(|job| !job.state.is_finished());
        if !owned {
            blobs.delete_inputs(job_id).await?;
            tracing::info!(%job_id, "janitor deleted orphaned inputs");
        }
    }
    Ok(())
}
