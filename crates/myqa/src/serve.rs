//! `myqa serve`: the HTTP API (workers and janitor join with the jobs engine).

use std::net::SocketAddr;

use anyhow::Context;
use myqa_core::config::Config;
use myqa_http::{AppState, HttpSettings};
use myqa_store::{PoolOptions, Store};
use tokio::net::TcpListener;

use crate::admin;
use crate::cli::{Role, ServeArgs};

/// A configured server bound to its socket, not yet serving. Tests build one
/// on port 0 and talk to it over real HTTP.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    store: Store,
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        Self::build_with(config, axum::Router::new()).await
    }

    /// Builds with `extra` routes behind the same middleware (for tests).
    pub async fn build_with(
        config: &Config,
        extra: axum::Router<AppState>,
    ) -> anyhow::Result<Application> {
        let pool = PoolOptions {
            max_connections: (config.workers as u32 * 2).max(8),
            ..Default::default()
        };
        let store = crate::open_store(config, pool).await?;
        let state = AppState::start(store.clone(), HttpSettings::from(config)).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        Ok(Application {
            listener,
            router: myqa_http::router_with(state, extra),
            store,
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

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.store.close().await;
        Ok(())
    }
}

pub async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if config.allow_insecure_callbacks {
        tracing::warn!(
            "allow_insecure_callbacks is ON: webhooks may target http:// and private addresses. Never use this in production."
        );
    }
    if args.role == Role::Worker {
        anyhow::bail!(
            "--role worker needs the jobs engine, which this build does not have yet; use --role all or api"
        );
    }
    let app = Application::build(&config).await?;
    if args.bootstrap {
        match admin::bootstrap(app.store()).await? {
            Some(created) => created.print(),
            None => tracing::info!("bootstrap skipped: the database already holds organisations"),
        }
    }
    tracing::info!(address = %app.local_addr(), backend = ?app.store().backend(), "MyQA listening");
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
