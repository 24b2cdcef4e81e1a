//! Per-key quotas (SPEC §10): the arithmetic, without the counting.
//!
//! Requests per minute are counted in fixed windows aligned to the UTC
//! minute: every process sharing a database agrees on which window a moment
//! belongs to without talking to the others, so one counter row per key and
//! window is all they share.

use chrono::{DateTime, Utc};

/// Length of a rate window, in seconds.
pub const RATE_WINDOW_SECONDS: i64 = 60;

/// `Retry-After` of a request refused for the concurrent-jobs limit. A job
/// has no known end, so there is no exact answer; a few seconds is about how
/// long a short job takes, and polling every few seconds is cheap.
pub const CONCURRENCY_RETRY_AFTER_SECONDS: u32 = 5;

/// One fixed requests-per-minute window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    /// Unix seconds of the window's first second (a multiple of 60).
    pub start: i64,
}

impl RateWindow {
    /// The window `at` falls in.
    pub fn containing(at: DateTime<Utc>) -> RateWindow {
        RateWindow {
            start: at.timestamp().div_euclid(RATE_WINDOW_SECONDS) * RATE_WINDOW_SECONDS,
        }
    }

    /// Whole seconds from `at` until the next window opens, rounded up:
    /// 1 to 60. What `Retry-After` and `RateLimit-Reset` say.
    pub fn seconds_left(&self, at: DateTime<Utc>) -> u32 {
        let end_ms = (self.start + RATE_WINDOW_SECONDS) * 1000;
        let left_ms = end_ms - at.timestamp_millis();
        let seconds = (left_ms + 999).div_euclid(1000);
        seconds.clamp(1, RATE_WINDOW_SECONDS) as u32
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32, ms: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, s).unwrap()
            + chrono::Duration::milliseconds(ms as i64)
    }

    #[test]
    fn windows_are_utc_minutes() {
        let window = RateWindow::containing(at(10, 15, 42, 500));
        assert_eq!(window.start, at(10, 15, 0, 0).timestamp());
        assert_eq!(RateWindow::containing(at(10, 15, 0, 0)), window);
        assert_eq!(RateWindow::containing(at(10, 15, 59, 999)), window);
        assert_ne!(RateWindow::containing(at(10, 16, 0, 0)), window);
    }

    #[test]
    fn seconds_left_round_up_and_stay_within_a_window() {
        let window = RateWindow::containing(at(10, 15, 0, 0));
        assert_eq!(window.seconds_left(at(10, 15, 0, 0)), 60);
        assert_eq!(window.seconds_left(at(10, 15, 0, 1)), 60);
        assert_eq!(window.seconds_left(at(10, 15, 48, 0)), 12);
        assert_eq!(window.seconds_left(at(10, 15, 47, 1)), 13);
        assert_eq!(window.seconds_left(at(10, 15, 59, 999)), 1);
        // A clock read after the window ended still asks for a retry.
        assert_eq!(window.seconds_left(at(10, 16, 3, 0)), 1);
    }
}
