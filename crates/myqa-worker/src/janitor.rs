//! Purges jobs past their retention (results, inputs, webhook rows) and
//! releases idempotency keys past their window.

use std::sync::Arc;

use myqa_store::Store;
use tokio::sync::watch;

use crate::WorkerSettings;

pub(crate) async fn run(
    store: Store,
    settings: Arc<WorkerSettings>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match store.purge_jobs(myqa_core::time::now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "janitor purged expired jobs"),
            Err(e) => tracing::warn!(error = %e, "janitor could not purge"),
        }
        if crate::pause(settings.janitor_interval, &mut stop).await {
            return;
        }
    }
}
