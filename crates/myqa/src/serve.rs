//! `myqa serve`: the HTTP API, the workers (job runner, webhook deliverer,
//! janitor), or both, by role.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use myqa_core::callback::CallbackPolicy;
use myqa_core::config::Config;
use myqa_http::{AppState, HttpSettings};
use myqa_media::ChunkPlan;
use myqa_store::{BlobStore, PoolOptions, Store};
use myqa_webhook::{Resolve, SystemResolver, WebhookClient};
use myqa_worker::{AudioSettings, WorkerSettings};
use tokio::net::TcpListener;
use tokio::sync::watch;
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
}

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
        let router = match role {
            Role::Worker => myqa_http::operations_router(state),
            Role::Api | Role::All => myqa_http::router_with(state, overrides.routes),
        };
        let (stop_workers, stop) = watch::channel(false);
        let workers = match role {
            Role::Api => JoinSet::new(),
            Role::Worker | Role::All => spawn_workers(config, &store, &blobs, resolver, stop)?,
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

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// and stops the workers.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = self.stop_workers.send(true);
        while self.workers.join_next().await.is_some() {}
        self.store.close().await;
        Ok(served?)
    }
}

/// Starts the job runner, webhook deliverer and janitor of this process.
pub fn spawn_workers(
    config: &Config,
    store: &Store,
    blobs: &BlobStore,
    resolver: Arc<dyn Resolve>,
    stop: watch::Receiver<bool>,
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
        stop,
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
    tracing::info!(
        address = %app.local_addr(),
        backend = ?app.store().backend(),
        role = ?args.role,
        workers = config.workers,
        "MyQA listening"
    );
    // In-flight requests get `shutdown_timeout` after the signal; then the
    // process exits whatever is still open.
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server = app.run_until(async move {
        shutdown_signal().await;
        let _ = signalled_tx.send(());
    });
    let deadline = async move {
        if signalled_rx.await.is_ok() {
            tokio::time::sleep(config.shutdown_timeout).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!("shutdown deadline passed; closing the connections still open");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
