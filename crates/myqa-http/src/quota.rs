//! Per-key quotas (SPEC §10): requests per minute and concurrent jobs,
//! checked when an analyze request is admitted, before its body is read.
//!
//! Both are counted in the database, so they hold across every API process
//! sharing it (see `docs/api-decisions.md`, "Quotas"):
//!
//! - requests per minute: one atomic upsert per request into the key's
//!   counter for the current UTC minute; a request that finds the window
//!   full is refused and not counted;
//! - concurrent jobs: the key's queued and running jobs, counted here to
//!   refuse early (nothing uploaded), and counted again in the transaction
//!   that enqueues the job, which is what makes the limit exact.
//!
//! A key without limits costs no query at all.
//!
//! Responses to a rate-limited key's analyze requests carry `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset`; a 429 also carries
//! `Retry-After`.

use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use myqa_core::ErrorCode;
use myqa_core::api_key::ApiKey;
use myqa_core::quota::{CONCURRENCY_RETRY_AFTER_SECONDS, RateWindow};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// What an admitted request learned about its key's limits.
#[derive(Debug, Clone, Default)]
pub struct Admitted {
    /// The requests-per-minute window after counting this request, when the
    /// key has that limit.
    pub rate: Option<RateStatus>,
}

/// The state of a quota, as the `RateLimit-*` headers tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    /// `RateLimit-Limit`: the quota.
    pub limit: u32,
    /// `RateLimit-Remaining`: what is left of it.
    pub remaining: u32,
    /// `RateLimit-Reset`: seconds until it is whole again.
    pub reset: u32,
}

impl RateStatus {
    /// Adds the three headers, leaving any already there alone (a 429 for
    /// another quota describes that quota).
    fn add_to(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            (LIMIT, self.limit),
            (REMAINING, self.remaining),
            (RESET, self.reset),
        ] {
            headers
                .entry(name)
                .or_insert_with(|| HeaderValue::from(value));
        }
    }
}

/// Checks `key`'s quotas for one more analyze request: concurrent jobs
/// first (a read), then the request is counted against the per-minute limit.
pub async fn check(state: &AppState, key: &ApiKey) -> ApiResult<Admitted> {
    if let Some(limit) = key.max_concurrent_jobs {
        let active = state.store.active_jobs(key.id).await?;
        if active >= i64::from(limit) {
            return Err(concurrency_exceeded(limit, active));
        }
    }
    let Some(limit) = key.rate_limit_rpm else {
        return Ok(Admitted::default());
    };
    let now = myqa_core::time::now();
    let window = RateWindow::containing(now);
    let reset = window.seconds_left(now);
    match state
        .store
        .count_request(key.id, window.start, limit)
        .await?
    {
        Some(count) => Ok(Admitted {
            rate: Some(RateStatus {
                limit,
                remaining: limit.saturating_sub(count),
                reset,
            }),
        }),
        None => Err(rate_exceeded(limit, reset)),
    }
}

/// 429 for a key whose requests-per-minute window is full.
fn rate_exceeded(limit: u32, reset: u32) -> ApiError {
    let requests = if limit == 1 { "request" } else { "requests" };
    refused(
        format!("This API key allows {limit} {requests} per minute; retry in {reset} s."),
        json!({"quota": "requests_per_minute", "limit": limit, "retry_after": reset}),
        RateStatus {
            limit,
            remaining: 0,
            reset,
        },
    )
}

/// 429 for a key with `active` jobs queued or running against a limit of
/// `limit`. Jobs have no known end: clients are asked to retry after a few
/// seconds.
pub fn concurrency_exceeded(limit: u32, active: i64) -> ApiError {
    let jobs = if limit == 1 { "job" } else { "jobs" };
    let are = if active == 1 { "is" } else { "are" };
    let retry = CONCURRENCY_RETRY_AFTER_SECONDS;
    refused(
        format!("This API key allows {limit} concurrent {jobs}; {active} {are} running or queued."),
        json!({"quota": "concurrent_jobs", "limit": limit, "active": active, "retry_after": retry}),
        RateStatus {
            limit,
            remaining: 0,
            reset: retry,
        },
    )
}

fn refused(message: String, details: serde_json::Value, status: RateStatus) -> ApiError {
    let mut error = ApiError::new(ErrorCode::RateLimited, message)
        .with_details(details)
        .with_header(header::RETRY_AFTER, HeaderValue::from(status.reset));
    for (name, value) in [
        (LIMIT, status.limit),
        (REMAINING, status.remaining),
        (RESET, status.reset),
    ] {
        error = error.with_header(name, HeaderValue::from(value));
    }
    error
}

/// Where an admitted request's [`RateStatus`] waits for the response: the
/// extractor that admits the request sees only its head, so it leaves the
/// status here and [`rate_limit_headers`] adds it to whatever the handler
/// answers.
#[derive(Debug, Clone, Default)]
struct Announced(Arc<Mutex<Option<RateStatus>>>);

impl Admitted {
    /// Has the `RateLimit-*` headers added to this request's response (when
    /// the key has a per-minute limit and [`rate_limit_headers`] runs).
    pub fn announce(&self, parts: &Parts) {
        if let (Some(rate), Some(slot)) = (self.rate, parts.extensions.get::<Announced>()) {
            *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(rate);
        }
    }
}

/// Middleware: the `RateLimit-*` headers of an admitted request's quota on
/// its response, success or error.
pub async fn rate_limit_headers(mut request: Request, next: Next) -> Response {
    let slot = Announced::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let rate = slot.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(rate) = rate {
        rate.add_to(response.headers_mut());
    }
    response
}
