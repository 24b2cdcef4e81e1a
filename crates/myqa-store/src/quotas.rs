//! Per-key quotas (SPEC §10), counted in the database so that every process
//! sharing it enforces the same limits: requests per minute in one counter
//! row per key and window, concurrent jobs as the key's queued and running
//! jobs.

use uuid::Uuid;

use crate::{Store, StoreResult, on_db};

/// The jobs that occupy a concurrency slot. Served by the partial index
/// `jobs_active_by_key`.
pub(crate) const ACTIVE_JOBS: &str =
    "SELECT COUNT(*) FROM jobs WHERE key_id = $1 AND state IN ('queued', 'running')";

impl Store {
    /// Counts one request of `key_id` in the window opening at
    /// `window_start` (Unix seconds), unless the window already holds
    /// `limit` requests. Returns the window's count including this request,
    /// or `None` when the window is full (the refused request is not
    /// counted).
    ///
    /// One atomic upsert: concurrent requests, in this process or another,
    /// each see a distinct count, so no more than `limit` are ever admitted
    /// in a window.
    pub async fn count_request(
        &self,
        key_id: Uuid,
        window_start: i64,
        limit: u32,
    ) -> StoreResult<Option<u32>> {
        on_db!(self, |pool| {
            let count: Option<i64> = sqlx::query_scalar(
                "INSERT INTO rate_windows (key_id, window_start, requests) VALUES ($1, $2, 1)
                 ON CONFLICT (key_id, window_start)
                 DO UPDATE SET requests = rate_windows.requests + 1
                 WHERE rate_windows.requests < $3
                 RETURNING requests",
            )
            .bind(key_id)
            .bind(window_start)
            .bind(i64::from(limit))
            .fetch_optional(pool)
            .await?;
            if count == Some(1) {
                // The key's first request in a new window: its older windows
                // are done with. At most one delete per key and minute.
                sqlx::query("DELETE FROM rate_windows WHERE key_id = $1 AND window_start < $2")
                    .bind(key_id)
                    .bind(window_start)
                    .execute(pool)
                    .await?;
            }
            Ok(count.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
        })
    }

    /// How many of the key's jobs are queued or running.
    pub async fn active_jobs(&self, key_id: Uuid) -> StoreResult<i64> {
        on_db!(self, |pool| {
            Ok(sqlx::query_scalar(ACTIVE_JOBS)
                .bind(key_id)
                .fetch_one(pool)
                .await?)
        })
    }
}
