//! One clock for the whole service.

use chrono::{DateTime, SubsecRound, Utc};

/// The current time, truncated to microseconds: the precision PostgreSQL keeps,
/// so a timestamp reads back identical from either backend.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
