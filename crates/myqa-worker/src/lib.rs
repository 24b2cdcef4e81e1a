//! The background side of the service: the job runner (claims jobs, runs
//! their pipeline, finishes them with their charge and webhook), the webhook
//! deliverer, and the janitor. All three poll the database and are woken by
//! store events; any number of processes may run them against one database.

mod captureiq;
mod deliverer;
mod janitor;
mod metrics;
mod pipeline;
mod runner;
mod snapreport;
mod transcribe;

use std::sync::Arc;
use std::time::Duration;

use myqa_ai::Analyzer;
use myqa_core::billing::Rates;
use myqa_core::liveness::{Heartbeat, Liveness};
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
    /// Uploads no unfinished job owns are deleted once this old.
    pub orphan_grace: Duration,
    pub rates: Rates,
}

/// A unique name for this process's claims, visible in the `lease_owner`
/// column.
fn worker_id() -> String {
    format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// How the background tasks are stopped, and where they report that they
/// are alive.
#[derive(Debug, Clone)]
pub struct Control {
    /// True: claim nothing more (the janitor stops). Jobs and deliveries in
    /// progress go on; the runner and deliverer end once they are done. A
    /// dropped sender counts as true.
    pub stop: watch::Receiver<bool>,
    /// True: jobs still running are abandoned and their leases released, so
    /// another worker takes them at once (the shutdown deadline). A dropped
    /// sender never releases.
    pub release: watch::Receiver<bool>,
    /// Each loop's heartbeat, for `/readyz`.
    pub liveness: Arc<Liveness>,
}

impl Control {
    /// Stopped by `stop` alone: jobs are never released early, and nobody
    /// watches the heartbeats (tests, embedding programs).
    pub fn new(stop: watch::Receiver<bool>) -> Control {
        // Its sender is dropped at once: never released.
        let (_, release) = watch::channel(false);
        Control {
            stop,
            release,
            liveness: Arc::default(),
        }
    }
}

/// Starts the job runner, the webhook deliverer and the janitor. They stop
/// as `control` says.
pub fn spawn(
    store: Store,
    blobs: BlobStore,
    analyzer: Arc<dyn Analyzer>,
    audio: AudioSettings,
    webhooks: WebhookClient,
    settings: WorkerSettings,
    control: Control,
) -> JoinSet<()> {
    let Control {
        stop,
        release,
        liveness,
    } = control;
    let id = worker_id();
    metrics::describe();
    let settings = Arc::new(settings);
    let pipelines = Pipelines::new(
        store.clone(),
        analyzer,
        audio,
        blobs.clone(),
        settings.rates,
    );
    let mut tasks = JoinSet::new();
    // A claim loop beats at least once per poll interval (a claim that waits
    // on a busy database may take a while); the janitor once per round.
    let claim_stale = (settings.poll * 10).max(Duration::from_secs(30));
    let runner_beat = liveness.register("job runner", claim_stale);
    let deliverer_beat = liveness.register("webhook deliverer", claim_stale);
    let janitor_beat = liveness.register(
        "janitor",
        settings.janitor_interval + Duration::from_secs(600),
    );
    tasks.spawn(runner::run(
        store.clone(),
        pipelines,
        settings.clone(),
        id.clone(),
        Running {
            stop: stop.clone(),
            release,
            heartbeat: runner_beat,
        },
    ));
    tasks.spawn(deliverer::run(
        store.clone(),
        webhooks,
        settings.clone(),
        id,
        stop.clone(),
        deliverer_beat,
    ));
    tasks.spawn(janitor::run(store, blobs, settings, stop, janitor_beat));
    tasks
}

/// What the job runner's loop is told and tells.
pub(crate) struct Running {
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) release: watch::Receiver<bool>,
    pub(crate) heartbeat: Heartbeat,
}

/// Completes when `release` turns true; never, once its sender is gone.
pub(crate) async fn released(release: &mut watch::Receiver<bool>) {
    if release.wait_for(|r| *r).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The loop the job runner and the webhook deliverer share: take a free slot,
/// claim the next item — or, when there is none, wait for a wake-up or the
/// poll interval — and work on it in a task of its own. The wake-up signal is
/// armed before claiming, so an item that arrives in between is not missed.
/// The heartbeat beats every time round, and at least once per poll interval
/// while every slot is busy. Once `stop` turns true the loop claims nothing
/// more and returns when the items in progress are done.
#[allow(clippy::too_many_arguments)]
async fn claim_loop<T, Claim, ClaimFut, Work, WorkFut>(
    what: &'static str,
    store: &Store,
    wake: for<'e> fn(&'e Events) -> Notified<'e>,
    slots: usize,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
    heartbeat: Heartbeat,
    claim: Claim,
    work: Work,
) where
    Claim: Fn() -> ClaimFut,
    ClaimFut: Future<Output = StoreResult<Option<T>>>,
    Work: Fn(T) -> WorkFut,
    WorkFut: Future<Output = ()> + Send + 'static,
{
    let capacity = slots;
    let slots = Arc::new(Semaphore::new(capacity));
    loop {
        heartbeat.beat();
        if *stop.borrow() {
            break;
        }
        let slot = match tokio::time::timeout(poll, slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(_)) => break,
            // Every slot is busy: still alive.
            Err(_) => continue,
        };
        if *stop.borrow() {
            break;
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
                let stopping = tokio::select! {
                    _ = &mut woken => false,
                    stopping = pause(poll, &mut stop) => stopping,
                };
                if stopping {
                    break;
                }
            }
            Err(e) => {
                drop(slot);
                tracing::warn!(error = %e, "cannot claim {what}");
                if pause(poll, &mut stop).await {
                    break;
                }
            }
        }
    }
    let in_progress = capacity - slots.available_permits();
    if in_progress == 0 {
        tracing::info!("stopped claiming {what}");
        return;
    }
    tracing::info!(
        in_progress,
        "stopped claiming {what}; waiting for the {in_progress} in progress"
    );
    // Each task holds its slot until it ends.
    let _ = slots
        .acquire_many(u32::try_from(capacity).unwrap_or(u32::MAX))
        .await;
    tracing::info!("{what} in progress: all ended");
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
