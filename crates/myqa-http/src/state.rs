//! What every handler can reach, built once at start-up.

use std::sync::Arc;
use std::time::Duration;

use myqa_core::callback::CallbackPolicy;
use myqa_core::config::{Config, CorsOrigins, TranscriptionProvider};
use myqa_core::network::NetworkList;
use myqa_store::{BlobStore, Catalogue, Store, StoreResult};
use myqa_webhook::Resolve;

use crate::auth::KeyVerifier;
use crate::routes::standards::ListCache;

/// The HTTP layer's slice of the configuration.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub trusted_proxies: NetworkList,
    pub cors_origins: CorsOrigins,
    pub json_body_limit: usize,
    pub key_cache_ttl: Duration,
    pub revision_poll_interval: Duration,
    pub callback_policy: CallbackPolicy,
    /// How often a waiting sync request looks at its job when no wake-up came.
    pub job_poll_interval: Duration,
    /// Whether a transcription provider is configured (audio accepted).
    pub transcription_enabled: bool,
    /// Whether `/metrics` is served (and the recorder installed).
    pub metrics_enabled: bool,
}

impl From<&Config> for HttpSettings {
    fn from(config: &Config) -> Self {
        Self {
            trusted_proxies: config.trusted_proxies.clone(),
            cors_origins: config.cors_origins.clone(),
            json_body_limit: usize::try_from(config.json_body_limit.as_u64()).unwrap_or(usize::MAX),
            key_cache_ttl: config.key_cache_ttl,
            revision_poll_interval: config.revision_poll_interval,
            callback_policy: CallbackPolicy {
                insecure: config.allow_insecure_callbacks,
            },
            job_poll_interval: config.job_poll_interval,
            transcription_enabled: config.transcription_provider != TranscriptionProvider::None,
            metrics_enabled: config.metrics_enabled,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub keys: Arc<KeyVerifier>,
    pub catalogue: Arc<Catalogue>,
    pub settings: Arc<HttpSettings>,
    pub standards_list: Arc<ListCache>,
    /// Resolves callback hosts for the request-time SSRF check.
    pub resolver: Arc<dyn Resolve>,
    /// Where uploads are streamed to.
    pub blobs: BlobStore,
    /// Requests in flight, shutdown and worker liveness, for graceful
    /// shutdown and `/readyz`.
    pub lifecycle: Arc<crate::lifecycle::Lifecycle>,
}

impl AppState {
    /// Loads the catalogue and starts following changes made by other
    /// processes: a revoked key drops every cached key verdict, an imported
    /// standard reloads the catalogue.
    pub async fn start(
        store: Store,
        settings: HttpSettings,
        resolver: Arc<dyn Resolve>,
        blobs: BlobStore,
    ) -> StoreResult<AppState> {
        let keys = Arc::new(KeyVerifier::new(
            store.clone(),
            settings.key_cache_ttl,
            settings.trusted_proxies.clone(),
        ));
        let catalogue = Arc::new(Catalogue::load(store.clone()).await?);
        let mut revisions = store
            .watch_revisions(settings.revision_poll_interval)
            .await?;
        let (watched_keys, watched_catalogue) = (keys.clone(), catalogue.clone());
        tokio::spawn(async move {
            let mut seen = *revisions.borrow_and_update();
            while revisions.changed().await.is_ok() {
                let now = *revisions.borrow_and_update();
                if now.keys != seen.keys {
                    watched_keys.forget_all();
                }
                if now.standards != seen.standards
                    && let Err(e) = watched_catalogue.reload().await
                {
                    tracing::error!(error = %e, "cannot reload the standards catalogue");
                    continue; // retried at the next change or poll
                }
                seen = now;
            }
        });
        Ok(AppState {
            store,
            keys,
            catalogue,
            settings: Arc::new(settings),
            standards_list: Arc::default(),
            resolver,
            blobs,
            lifecycle: Arc::default(),
        })
    }
}
