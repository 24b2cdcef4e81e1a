//! Figures about the job table for `/metrics`, read at scrape time: they
//! describe the shared database, so every process reports the same values.

use chrono::{DateTime, Utc};
use myqa_core::job::JobState;

use crate::db_time::DbTime;
use crate::{Store, StoreResult, on_db};

/// Jobs by state, and the oldest job still waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStats {
    /// Every state, with zero for a state no row is in. Finished jobs count
    /// until the janitor purges them.
    pub by_state: Vec<(JobState, i64)>,
    /// When the oldest `queued` job was submitted (a job waiting for a retry
    /// counts from its submission too).
    pub oldest_queued_at: Option<DateTime<Utc>>,
}

impl JobStats {
    /// Jobs waiting for a worker.
    pub fn queued(&self) -> i64 {
        self.count(JobState::Queued)
    }

    pub fn count(&self, state: JobState) -> i64 {
        self.by_state
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    }
}

const ALL_STATES: [JobState; 5] = [
    JobState::Queued,
    JobState::Running,
    JobState::Completed,
    JobState::Failed,
    JobState::Cancelled,
];

impl Store {
    /// Two short reads: a count per state (served by the `jobs_ready` index,
    /// which leads with `state`) and the oldest queued job's creation time.
    pub async fn job_stats(&self) -> StoreResult<JobStats> {
        on_db!(self, |pool| {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                    .fetch_all(pool)
                    .await?;
            let oldest: Option<DbTime> =
                sqlx::query_scalar("SELECT MIN(created_at) FROM jobs WHERE state = 'queued'")
                    .fetch_one(pool)
                    .await?;
            let by_state = ALL_STATES
                .into_iter()
                .map(|state| {
                    let n = rows
                        .iter()
                        .filter(|(s, _)| s == state.as_str())
                        .map(|(_, n)| *n)
                        .sum();
                    (state, n)
                })
                .collect();
            Ok(JobStats {
                by_state,
                oldest_queued_at: oldest.map(|t| t.0),
            })
        })
    }
}
