//! The background side of the service: the job runner (claims jobs, runs
//! their pipeline, finishes them with their charge and webhook), the webhook
//! deliverer, and the janitor. All three poll the database and are woken by
//! store events; any number of processes may run them against one database.

mod captureiq;
mod deliverer;
mod janitor;
mod pipeline;
mod runner;

use std::sync::Arc;
use std::time::Duration;

use myqa_ai::Analyzer;
use myqa_core::billing::Rates;
use myqa_store::Store;
use myqa_webhook::WebhookClient;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use pipeline::Pipelines;

/// Everything the background tasks need, from the configuration.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Jobs run at once by this process.
    pub concurrency: usize,
    pub lease: Duration,
    pub poll: Duration,
    pub retention: Duration,
    pub retry_schedule: Vec<Duration>,
    pub janitor_interval: Duration,
    pub rates: Rates,
}

/// A unique name for this process's claims, visible in the `lease_owner`
/// column.
fn worker_id() -> String {
    format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// Starts the job runner, the webhook deliverer and the janitor. They stop
/// when `stop` turns true.
pub fn spawn(
    store: Store,
    analyzer: Arc<dyn Analyzer>,
    webhooks: WebhookClient,
    settings: WorkerSettings,
    stop: watch::Receiver<bool>,
) -> JoinSet<()> {
    let id = worker_id();
    let settings = Arc::new(settings);
    let pipelines = Pipelines::new(analyzer, settings.rates);
    let mut tasks = JoinSet::new();
    tasks.spawn(runner::run(
        store.clone(),
        pipelines,
        settings.clone(),
        id.clone(),
        stop.clone(),
    ));
    tasks.spawn(deliverer::run(
        store.clone(),
        webhooks,
        settings.clone(),
        id,
        stop.clone(),
    ));
    tasks.spawn(janitor::run(store, settings, stop));
    tasks
}

/// Sleeps for `duration`, or less when `stop` turns true. Returns true when
/// stopping.
async fn pause(duration: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    let slept = tokio::select! {
        _ = tokio::time::sleep(duration) => true,
        _ = stop.wait_for(|s| *s) => false,
    };
    !slept || *stop.borrow()
}
