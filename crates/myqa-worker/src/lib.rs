//! The background side of the service: the job runner (claims jobs, runs
//! their pipeline, finishes them with their charge and webhook), the webhook
//! deliverer, and the janitor. All three poll the database and are woken by
//! store events; any number of processes may run them against one database.

mod captureiq;
mod deliverer;
mod janitor;
mod pipeline;
mod runner;
mod snapreport;
mod transcribe;

use std::sync::Arc;
use std::time::Duration;

use myqa_ai::Analyzer;
use myqa_core::billing::Rates;
use myqa_store::{BlobStore, Events, Store, StoreResult};
use myqa_webhook::WebhookClient;
use tokio::sync::futures::Notified;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

pub use pipeline::Pipelines;
pub use transcribe::AudioSettings;

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
    blobs: BlobStore,
    analyzer: Arc<dyn Analyzer>,
    audio: AudioSettings,
    webhooks: WebhookClient,
    settings: WorkerSettings,
    stop: watch::Receiver<bool>,
) -> JoinSet<()> {
    let id = worker_id();
    let settings = Arc::new(settings);
    let pipelines = Pipelines::new(
        store.clone(),
        analyzer,
        audio,
        blobs.clone(),
        settings.rates,
    );
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
    tasks.spawn(janitor::run(store, blobs, settings, stop));
    tasks
}

/// The loop the job runner and the webhook deliverer share: take a free slot,
/// claim the next item — or, when there is none, wait for a wake-up or the
/// poll interval — and work on it in a task of its own. The wake-up signal is
/// armed before claiming, so an item that arrives in between is not missed.
#[allow(clippy::too_many_arguments)]
async fn claim_loop<T, Claim, ClaimFut, Work, WorkFut>(
    what: &'static str,
    store: &Store,
    wake: for<'e> fn(&'e Events) -> Notified<'e>,
    slots: usize,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
    claim: Claim,
    work: Work,
) where
    Claim: Fn() -> ClaimFut,
    ClaimFut: Future<Output = StoreResult<Option<T>>>,
    Work: Fn(T) -> WorkFut,
    WorkFut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(slots));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        if *stop.borrow() {
            return;
        }
        let woken = wake(store.events());
        tokio::pin!(woken);
        woken.as_mut().enable();
        match claim().await {
            Ok(Some(item)) => {
                let task = work(item);
                tokio::spawn(async move {
                    task.await;
                    drop(slot);
                });
            }
            Ok(None) => {
                drop(slot);
                tokio::select! {
                    _ = &mut woken => {}
                    stopping = pause(poll, &mut stop) => if stopping { return },
                }
            }
            Err(e) => {
                drop(slot);
                tracing::warn!(error = %e, "cannot claim {what}");
                if pause(poll, &mut stop).await {
                    return;
                }
            }
        }
    }
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
