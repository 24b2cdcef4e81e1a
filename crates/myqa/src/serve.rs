//! `myqa serve`: the HTTP API, the workers (job runner, webhook deliverer,
//! janitor), or both, by role — and their graceful shutdown.
//!
//! On the first SIGTERM or SIGINT the process stops accepting connections and
//! `/readyz` answers 503. Requests in flight may finish until
//! `shutdown_timeout` after the signal; the workers keep claiming jobs while
//! requests are in flight (a sync request of this process may be waiting for
//! one), then claim nothing more, and the jobs they run may finish until the
//! same deadline. At the deadline, requests still running are answered 503
//! (a sync request's job is cancelled, as when its client leaves) and jobs
//! still running are abandoned and released: queued again at once, so another
//! worker takes them without waiting for their lease to lapse. A second
//! signal exits at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use myqa_core::callback::CallbackPolicy;
use myqa_core::config::Config;
use myqa_http::lifecycle::Lifecycle;
use myqa_http::{AppState, HttpSettings};
use myqa_media::ChunkPlan;
use myqa_store::{BlobStore, PoolOptions, Store};
use myqa_webhook::{Resolve, SystemResolver, WebhookClient};
use myqa_worker::{AudioSettings, Control, WorkerSettings};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use crate::admin;
use crate::cli::{Role, ServeArgs};

/// Parts a test (or an embedding program) may replace.
pub struct Overrides {
    /// Extra routes behind the same middleware.
    pub routes: axum::Router<AppState>,
    /// Name resolution for callback URLs (default: the system resolver).
    pub resolver: Option<Arc<dyn Resolve>>,
}

impl Default for Overrides {
    fn default() -> Self {
        Self {
            routes: axum::Router::new(),
            resolver: None,
        }
    }
}

/// A configured server bound to its socket, not yet serving. Tests build one
/// on port 0 and talk to it over real HTTP.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    store: Store,
    blobs: BlobStore,
    workers: JoinSet<()>,
    stop_workers: watch::Sender<bool>,
    release_jobs: watch::Sender<bool>,
    lifecycle: Arc<Lifecycle>,
    shutdown_timeout: Duration,
}

/// After the deadline: how long the requests cut off get to send their 503
/// and close, and the workers to release their jobs and stop.
const AFTER_DEADLINE: Duration = Duration::from_secs(10);

impl Application {
    pub async fn build(config: &Config, role: Role) -> anyhow::Result<Application> {
        Self::build_with(config, role, Overrides::default()).await
    }

    pub async fn build_with(
        config: &Config,
        role: Role,
        overrides: Overrides,
    ) -> anyhow::Result<Application> {
        // Every TLS client of the process (webhooks, providers) needs it.
        myqa_webhook::install_crypto_provider();
        let pool = PoolOptions {
            max_connections: (config.workers as u32 * 2).max(8),
            ..Default::default()
        };
        let store = crate::open_store(config, pool).await?;
        let blobs = BlobStore::open(&config.blobs()?).context("cannot open the blob store")?;
        store
            .listen()
            .await
            .context("cannot listen for notifications")?;
        let resolver = overrides
            .resolver
            .unwrap_or_else(|| Arc::new(SystemResolver));
        let state = AppState::start(
            store.clone(),
            HttpSettings::from(config),
            resolver.clone(),
            blobs.clone(),
        )
        .await?;
        let lifecycle = state.lifecycle.clone();
        let router = match role {
            Role::Worker => myqa_http::operations_router(state),
            Role::Api | Role::All => myqa_http::router_with(state, overrides.routes),
        };
        let (stop_workers, stop) = watch::channel(false);
        let (release_jobs, release) = watch::channel(false);
        let workers = match role {
            Role::Api => JoinSet::new(),
            Role::Worker | Role::All => {
                let control = Control {
                    stop,
                    release,
                    liveness: lifecycle.liveness.clone(),
                };
                spawn_workers(config, &store, &blobs, resolver, control)?
            }
        };
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        Ok(Application {
            listener,
            router,
            store,
            blobs,
            workers,
            stop_workers,
            release_jobs,
            lifecycle,
            shutdown_timeout: config.shutdown_timeout,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Requests in flight, shutdown state and worker liveness.
    pub fn lifecycle(&self) -> &Arc<Lifecycle> {
        &self.lifecycle
    }

    /// Serves until `shutdown` completes, then shuts down gracefully (see the
    /// module documentation) within `shutdown_timeout`.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let (signalled_tx, mut signalled) = oneshot::channel::<()>();
        let lifecycle = self.lifecycle.clone();
        // `/readyz` turns 503, then the listener closes, as soon as
        // `shutdown` completes.
        let server = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                shutdown.await;
                lifecycle.begin_shutdown();
                let _ = signalled_tx.send(());
            })
            .into_future();
        tokio::pin!(server);
        let mut served = None;
        tokio::select! {
            result = &mut server => served = Some(result),
            Ok(()) = &mut signalled => {}
        }
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
        self.lifecycle.begin_shutdown();
        tracing::info!(
            requests = self.lifecycle.in_flight(),
            timeout = ?self.shutdown_timeout,
            "shutting down: no new connections; draining the requests in flight"
        );
        let served = match served {
            Some(result) => result,
            None => match tokio::time::timeout_at(deadline, &mut server).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::warn!(
                        requests = self.lifecycle.in_flight(),
                        "shutdown deadline passed: answering the requests still in flight with 503"
                    );
                    self.lifecycle.cut_off();
                    tokio::time::timeout(AFTER_DEADLINE, &mut server)
                        .await
                        .unwrap_or(Ok(()))
                }
            },
        };
        tracing::info!("requests drained");
        drain_workers(
            &mut self.workers,
            &self.stop_workers,
            &self.release_jobs,
            deadline,
        )
        .await;
        self.store.close().await;
        tracing::info!("shutdown complete");
        Ok(served?)
    }
}

/// Stops claiming, lets running jobs finish until `deadline`, then releases
/// the leases of those still running.
async fn drain_workers(
    workers: &mut JoinSet<()>,
    stop: &watch::Sender<bool>,
    release: &watch::Sender<bool>,
    deadline: tokio::time::Instant,
) {
    let _ = stop.send(true);
    if workers.is_empty() {
        return;
    }
    if tokio::time::Instant::now() < deadline {
        tracing::info!(
            "stopping the workers: no new jobs; running jobs may finish until the deadline"
        );
    }
    if tokio::time::timeout_at(deadline, join_all(workers))
        .await
        .is_ok()
    {
        tracing::info!("workers stopped");
        return;
    }
    tracing::warn!("shutdown deadline passed: releasing the leases of the jobs still running");
    let _ = release.send(true);
    if tokio::time::timeout(AFTER_DEADLINE, join_all(workers))
        .await
        .is_ok()
    {
        tracing::info!("workers stopped; leases released");
    } else {
        tracing::warn!("workers did not stop in time; abandoning them");
        workers.abort_all();
    }
}

/// Waits for every task of `workers` (cancel-safe: may be called again).
async fn join_all(workers: &mut JoinSet<()>) {
    while workers.join_next().await.is_some() {}
}

/// Starts the job runner, webhook deliverer and janitor of this process.
pub fn spawn_workers(
    config: &Config,
    store: &Store,
    blobs: &BlobStore,
    resolver: Arc<dyn Resolve>,
    control: Control,
) -> anyhow::Result<JoinSet<()>> {
    let analyzer = crate::providers::analyzer(config)?;
    let audio = AudioSettings {
        transcriber: crate::providers::transcriber(config)?,
        plan: ChunkPlan {
            max_chunk: config.transcription_chunk,
            // Look for a pause in the last 30 s (at most half a chunk).
            search_window: Duration::from_secs(30).min(config.transcription_chunk / 2),
            ..ChunkPlan::default()
        },
        concurrency: config.transcription_concurrency,
        scratch: config.scratch_dir(),
    };
    let policy = CallbackPolicy {
        insecure: config.allow_insecure_callbacks,
    };
    let webhooks =
        WebhookClient::new(resolver, policy).context("cannot build the webhook client")?;
    Ok(myqa_worker::spawn(
        store.clone(),
        blobs.clone(),
        analyzer,
        audio,
        webhooks,
        worker_settings(config),
        control,
    ))
}

fn worker_settings(config: &Config) -> WorkerSettings {
    WorkerSettings {
        concurrency: config.workers,
        lease: config.job_lease,
        poll: config.job_poll_interval,
        retention: config.job_retention,
        retry_schedule: config.webhook_retry_schedule.clone(),
        janitor_interval: config.janitor_interval,
        orphan_grace: config.blob_orphan_grace,
        rates: config.rates(),
    }
}

pub async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if config.allow_insecure_callbacks {
        tracing::warn!(
            "allow_insecure_callbacks is ON: webhooks may target http:// and private addresses. Never use this in production."
        );
    }
    let app = Application::build(&config, args.role).await?;
    if args.bootstrap {
        match admin::bootstrap(app.store()).await? {
            Some(created) => created.print(),
            None => tracing::info!("bootstrap skipped: the database already holds organisations"),
        }
    }
    // Registered before the server says it listens: a signal from then on
    // shuts it down gracefully.
    let first_signal = watch_signals().context("cannot install the signal handlers")?;
    tracing::info!(
        address = %app.local_addr(),
        backend = ?app.store().backend(),
        role = ?args.role,
        workers = config.workers,
        shutdown_timeout = ?config.shutdown_timeout,
        "MyQA listening"
    );
    app.run_until(async move {
        let _ = first_signal.await;
    })
    .await
}

/// A shutdown signal: SIGTERM or SIGINT (Ctrl-C).
struct Signal {
    name: &'static str,
    /// The conventional exit status of a process it ends: 128 + its number.
    exit_code: i32,
}

/// Listens for shutdown signals. The first completes the returned receiver
/// (graceful shutdown); the second exits the process at once.
fn watch_signals() -> std::io::Result<oneshot::Receiver<()>> {
    let mut signals = Signals::install()?;
    let (first_tx, first_rx) = oneshot::channel();
    tokio::spawn(async move {
        let first = signals.next().await;
        tracing::info!(
            signal = first.name,
            "shutdown signal received; a second signal exits at once"
        );
        let _ = first_tx.send(());
        let second = signals.next().await;
        tracing::warn!(
            signal = second.name,
            exit_code = second.exit_code,
            "second shutdown signal: exiting at once, abandoning requests and jobs in progress"
        );
        crate::telemetry::flush();
        std::process::exit(second.exit_code);
    });
    Ok(first_rx)
}

#[cfg(unix)]
struct Signals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.terminate.recv() => Signal { name: "SIGTERM", exit_code: 143 },
            _ = self.interrupt.recv() => Signal { name: "SIGINT", exit_code: 130 },
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Signal {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        Signal {
            name: "Ctrl-C",
            exit_code: 130,
        }
    }
}
