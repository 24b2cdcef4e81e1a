//! Retries with exponential backoff and jitter, honouring `Retry-After`.

use std::time::Duration;

use myqa_core::error_code::error_chain;
use rand::RngExt;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// What a failed call teaches.
pub(crate) enum Failure {
    /// 429, 5xx, timeouts, connection errors: try again, after `after` when
    /// the server said so.
    Transient {
        message: String,
        after: Option<Duration>,
    },
    /// Anything else: give up.
    Permanent(String),
}

pub(crate) fn classify_status(status: StatusCode, headers: &HeaderMap, body: &str) -> Failure {
    let message = format!(
        "HTTP {status}: {}",
        body.chars().take(300).collect::<String>()
    );
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Failure::Transient {
            message,
            after: retry_after(headers),
        }
    } else {
        Failure::Permanent(message)
    }
}

pub(crate) fn classify_error(error: &reqwest::Error) -> Failure {
    let message = error_chain(error);
    if error.is_timeout() || error.is_connect() || error.is_request() || error.is_body() {
        Failure::Transient {
            message,
            after: None,
        }
    } else {
        Failure::Permanent(message)
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare for APIs).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(300.0)))
}

/// The wait before attempt `attempt + 1` (attempt counts from 1): base × 2^(attempt−1),
/// ± 25 % jitter, at most a minute.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exponential = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    exponential
        .min(Duration::from_secs(60))
        .mul_f64(rand::rng().random_range(0.75..=1.25))
}
