//! Leadership of duties that one process at a time should perform (the
//! janitor), among any number of processes sharing the database: a lease
//! row per duty, taken over when it lapses. Works the same on SQLite and
//! PostgreSQL, with no session state (an advisory lock would tie the duty
//! to one pooled connection).

use chrono::{DateTime, Utc};

use crate::db_time::DbTime;
use crate::{Store, StoreResult, on_db};

impl Store {
    /// Takes or renews `duty` for `owner` until `until`, unless another
    /// owner's lease is still running at `now`. Returns whether `owner` leads.
    pub async fn lead(
        &self,
        duty: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_db!(self, |pool| {
            let leader: Option<String> = sqlx::query_scalar(
                "INSERT INTO leaders (duty, owner, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (duty) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                 WHERE leaders.owner = excluded.owner OR leaders.expires_at < $4
                 RETURNING owner",
            )
            .bind(duty)
            .bind(owner)
            .bind(DbTime(until))
            .bind(DbTime(now))
            .fetch_optional(pool)
            .await?;
            Ok(leader.is_some())
        })
    }
}
