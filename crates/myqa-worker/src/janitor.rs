//! Purges jobs past their retention (results, inputs, webhook rows),
//! releases idempotency keys past their window, and deletes uploads no job
//! owns any more (a worker that died before deleting them, an upload whose
//! request failed half-way).

use std::sync::Arc;

use myqa_store::{BlobStore, Store};
use tokio::sync::watch;

use crate::WorkerSettings;

pub(crate) async fn run(
    store: Store,
    blobs: BlobStore,
    settings: Arc<WorkerSettings>,
    mut stop: watch::Receiver<bool>,
    heartbeat: myqa_core::liveness::Heartbeat,
) {
    // One janitor at a time among the processes sharing the database: the
    // lease outlives a missed round or two, then another process takes over.
    let owner = crate::worker_id();
    let lease = settings.janitor_interval * 3 + std::time::Duration::from_secs(30);
    loop {
        heartbeat.beat();
        let now = myqa_core::time::now();
        let until = chrono::Duration::from_std(lease)
            .ok()
            .and_then(|lease| now.checked_add_signed(lease))
            .unwrap_or(now);
        match store.lead(JANITOR, &owner, now, until).await {
            Ok(true) => sweep(&store, &blobs, &settings, now).await,
            Ok(false) => tracing::debug!("another process runs the janitor"),
            Err(e) => tracing::warn!(error = %e, "janitor could not take its lease"),
        }
        if crate::pause(settings.janitor_interval, &mut stop).await {
            return;
        }
    }
}

/// The duty's name in the `leaders` table.
const JANITOR: &str = "janitor";

/// One round: expired jobs, then uploads no job owns.
async fn sweep(
    store: &Store,
    blobs: &BlobStore,
    settings: &WorkerSettings,
    now: chrono::DateTime<chrono::Utc>,
) {
    match store.purge_jobs(now).await {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "janitor purged expired jobs"),
        Err(e) => tracing::warn!(error = %e, "janitor could not purge"),
    }
    // Younger uploads are left alone: their request may still be turning
    // them into a job.
    let written_before = chrono::Duration::from_std(settings.orphan_grace)
        .ok()
        .and_then(|grace| now.checked_sub_signed(grace));
    if let Some(written_before) = written_before
        && let Err(e) = sweep_orphans(store, blobs, written_before).await
    {
        tracing::warn!(error = %e, "janitor could not sweep uploads");
    }
}

async fn sweep_orphans(
    store: &Store,
    blobs: &BlobStore,
    written_before: chrono::DateTime<chrono::Utc>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    for (job_id, written) in blobs.jobs_with_inputs().await? {
        if written >= written_before {
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
