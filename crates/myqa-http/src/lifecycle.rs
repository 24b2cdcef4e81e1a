//! The process's side of graceful shutdown, as the HTTP layer sees it: the
//! requests in flight, whether the process is shutting down (`/readyz`
//! answers 503 from then on), and the deadline after which the requests still
//! running are answered 503 instead of being waited for.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use myqa_core::ErrorCode;
use myqa_core::liveness::Liveness;
use tokio::sync::watch;

use crate::error::ApiError;
use crate::state::AppState;

/// Shared by the server (which drives it) and the handlers (which report it).
#[derive(Debug)]
pub struct Lifecycle {
    shutting_down: AtomicBool,
    in_flight: AtomicUsize,
    cut_off: watch::Sender<bool>,
    /// The heartbeats of this process's worker loops (none in an API-only
    /// process).
    pub liveness: Arc<Liveness>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            shutting_down: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            cut_off: watch::channel(false).0,
            liveness: Arc::default(),
        }
    }
}

impl Lifecycle {
    /// The shutdown began: `/readyz` answers 503 from now on.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Requests being handled now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The shutdown deadline passed: every request still running is dropped
    /// (a waiting sync request cancels its job, as when its client leaves)
    /// and answered 503 `SERVICE_UNAVAILABLE`.
    pub fn cut_off(&self) {
        self.begin_shutdown();
        self.cut_off.send_replace(true);
    }
}

/// Counts the request while it runs, and abandons it at the cut-off.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let lifecycle = state.lifecycle.clone();
    let mut cut_off = lifecycle.cut_off.subscribe();
    lifecycle.in_flight.fetch_add(1, Ordering::SeqCst);
    let _counted = Counted(&lifecycle);
    tokio::select! {
        response = next.run(request) => response,
        _ = cut_off.wait_for(|cut| *cut) => ApiError::new(
            ErrorCode::ServiceUnavailable,
            "The server is shutting down and could not finish this request in time. Send it again.",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(1))
        .into_response(),
    }
}

struct Counted<'a>(&'a Lifecycle);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
