//! Authentication and authorisation (SPEC §3), as extractors that read only the
//! request head. Axum runs every head extractor before the one that reads the
//! body, so a handler that takes [`Permitted`] or [`Caller`] refuses a bad key
//! before a single body byte is read.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use moka::sync::Cache;
use myqa_core::api_key::KeyState;
use myqa_core::network::{self, NetworkList};
use myqa_core::{ApiKey, ApiKeySecret, ErrorCode, KeyDigest, Permission};
use myqa_store::Store;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Why a request is not authenticated. Each gets its own message; all are 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingHeader,
    WrongScheme,
    MalformedKey,
    UnknownKey,
    Revoked,
    Expired,
    AddressNotAllowed,
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> Self {
        ApiError::unauthorized(match failure {
            AuthFailure::MissingHeader => {
                "Missing Authorization header; send `Authorization: Bearer <API key>`."
            }
            AuthFailure::WrongScheme => {
                "The Authorization header must use the Bearer scheme: `Authorization: Bearer <API key>`."
            }
            AuthFailure::MalformedKey => {
                "Malformed API key: expected `myqa_` followed by 32 letters and digits."
            }
            AuthFailure::UnknownKey => "Invalid API key.",
            AuthFailure::Revoked => "This API key has been revoked.",
            AuthFailure::Expired => "This API key has expired.",
            AuthFailure::AddressNotAllowed => {
                "Requests from this IP address are not allowed for this API key."
            }
        })
    }
}

/// What a lookup found, cached per key digest. Unknown digests are cached too,
/// so a client hammering with random well-formed keys costs one query per key
/// and TTL, not one per request.
#[derive(Clone)]
enum Lookup {
    Known { key: Arc<ApiKey>, digest: KeyDigest },
    Unknown,
}

/// Verifies presented keys against the store, through a short-lived cache.
pub struct KeyVerifier {
    store: Store,
    cache: Cache<KeyDigest, Lookup>,
    /// Keys whose `last_used_at` was written within the last minute.
    recently_touched: Cache<Uuid, ()>,
    trusted_proxies: NetworkList,
}

impl KeyVerifier {
    pub fn new(store: Store, ttl: Duration, trusted_proxies: NetworkList) -> Self {
        Self {
            store,
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
            recently_touched: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            trusted_proxies,
        }
    }

    /// Drops every cached verdict: called when keys changed anywhere.
    pub fn forget_all(&self) {
        self.cache.invalidate_all();
    }

    /// Authenticates a request head: header shape, key shape (before any
    /// database access), lookup, state, then source address.
    pub async fn authenticate(&self, parts: &Parts) -> Result<Arc<ApiKey>, ApiError> {
        let secret = presented_key(parts)?;
        let digest = secret.digest();
        let lookup = match self.cache.get(&digest) {
            Some(lookup) => lookup,
            None => {
                let lookup = match self.store.api_key_by_digest(&digest).await? {
                    Some(stored) => Lookup::Known {
                        key: Arc::new(stored.key),
                        digest: stored.digest,
                    },
                    None => Lookup::Unknown,
                };
                self.cache.insert(digest, lookup.clone());
                lookup
            }
        };
        let key = match lookup {
            Lookup::Known {
                key,
                digest: stored,
            } if stored.ct_eq(&digest) => key,
            _ => return Err(AuthFailure::UnknownKey.into()),
        };
        match key.state_at(myqa_core::time::now()) {
            KeyState::Active => {}
            KeyState::Revoked => return Err(AuthFailure::Revoked.into()),
            KeyState::Expired => return Err(AuthFailure::Expired.into()),
        }
        if !key.allowed_ips.admits(self.client_ip(parts)) {
            return Err(AuthFailure::AddressNotAllowed.into());
        }
        self.record_use(&key);
        let span = tracing::Span::current();
        span.record("org_id", tracing::field::display(key.org_id));
        span.record("key_id", tracing::field::display(key.id));
        Ok(key)
    }

    fn client_ip(&self, parts: &Parts) -> IpAddr {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(network::UNSPECIFIED, |c| c.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        network::client_ip(peer, &self.trusted_proxies, forwarded)
    }

    /// Writes `last_used_at` at most once a minute per key, off the request path.
    fn record_use(&self, key: &ApiKey) {
        if self.recently_touched.contains_key(&key.id) {
            return;
        }
        self.recently_touched.insert(key.id, ());
        let (store, id) = (self.store.clone(), key.id);
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_key(id, myqa_core::time::now()).await {
                tracing::warn!(error = %e, key_id = %id, "cannot record key use");
            }
        });
    }
}

/// Reads `Authorization: Bearer <key>` and checks the key's shape.
fn presented_key(parts: &Parts) -> Result<ApiKeySecret, AuthFailure> {
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthFailure::MissingHeader)?;
    if values.next().is_some() {
        return Err(AuthFailure::MalformedKey);
    }
    let value = value
        .to_str()
        .map_err(|_| AuthFailure::MalformedKey)?
        .trim();
    let (scheme, token) = value.split_once(' ').ok_or(AuthFailure::WrongScheme)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthFailure::WrongScheme);
    }
    ApiKeySecret::parse(token.trim()).ok_or(AuthFailure::MalformedKey)
}

/// Any valid key of an organisation: the standards, job and usage endpoints.
pub struct Caller(pub Arc<ApiKey>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        state.keys.authenticate(parts).await.map(Caller)
    }
}

/// A permission an endpoint requires, as a type.
pub trait Requirement: Send + Sync + 'static {
    const PERMISSION: Permission;
}

pub struct CaptureIqAnalyze;
impl Requirement for CaptureIqAnalyze {
    const PERMISSION: Permission = Permission::CaptureIqAnalyze;
}

pub struct SnapReportGenerate;
impl Requirement for SnapReportGenerate {
    const PERMISSION: Permission = Permission::SnapReportGenerate;
}

/// A valid key holding `R`'s permission, admitted (coins, quotas); otherwise
/// 401, 403, 402 or 429 — all before the body is read.
pub struct Permitted<R: Requirement> {
    pub key: Arc<ApiKey>,
    pub admitted: crate::quota::Admitted,
    _requirement: PhantomData<R>,
}

impl<R: Requirement> FromRequestParts<AppState> for Permitted<R> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let key = state.keys.authenticate(parts).await?;
        if !key.grants(R::PERMISSION) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("This API key lacks the `{}` permission.", R::PERMISSION),
            ));
        }
        let admitted = crate::admission::admit(state, &key).await?;
        admitted.announce(parts);
        Ok(Permitted {
            key,
            admitted,
            _requirement: PhantomData,
        })
    }
}
