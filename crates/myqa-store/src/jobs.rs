//! Durable jobs: enqueue (with idempotency), claim with a lease, renew,
//! finish — with the usage charge and the webhook row in the same
//! transaction — and read back for the API.

use chrono::{DateTime, Duration, Utc};
use myqa_core::ErrorCode;
use myqa_core::job::{JobError, JobMode, JobState, Product, WebhookState};
use uuid::Uuid;

use crate::db_time::DbTime;
use crate::events::{DELIVERY_DUE, JOB_FINISHED, JOBS_QUEUED, pg_notify};
use crate::fetch::Fetch;
use crate::quotas::ACTIVE_JOBS;
use crate::{Backend, Store, StoreResult, begin_write, on_db};

/// How long an idempotency key holds (SPEC §11).
pub const IDEMPOTENCY_WINDOW: Duration = Duration::hours(24);

#[derive(Debug, Clone)]
pub struct Callback {
    pub url: String,
    pub secret: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    /// Digest of everything that makes two requests "the same".
    pub request_hash: String,
}

/// A job to store.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: Uuid,
    pub org_id: Uuid,
    pub key_id: Uuid,
    pub request_id: Uuid,
    pub product: Product,
    pub mode: JobMode,
    /// The validated request, as JSON.
    pub input: String,
    pub callback: Option<Callback>,
    pub idempotency: Option<Idempotency>,
    pub created_at: DateTime<Utc>,
    /// The submitting key's concurrent-jobs limit (SPEC §10), enforced in the
    /// enqueueing transaction.
    pub max_concurrent_jobs: Option<u32>,
}

/// What enqueueing did.
#[derive(Debug)]
pub enum Enqueued {
    Created,
    /// The same idempotency key and request within the window: the job the
    /// first call created.
    Repeat(JobRecord),
    /// The key is taken by a different request, or by a sync call still running.
    Conflict(JobRecord),
    /// The submitting key already has `max_concurrent_jobs` jobs queued or
    /// running (`active` of them); nothing was stored.
    AtCapacity {
        active: i64,
    },
}

/// A job's delivery state, for the job document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookStatus {
    pub state: WebhookState,
    pub attempts: i64,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_response_status: Option<u16>,
}

/// A job as stored.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: Uuid,
    pub org_id: Uuid,
    pub product: Product,
    pub mode: JobMode,
    pub state: JobState,
    /// The data document, once completed.
    pub result: Option<String>,
    pub error: Option<JobError>,
    pub request_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub webhook: Option<WebhookStatus>,
}

/// A job a worker holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub org_id: Uuid,
    pub key_id: Uuid,
    pub request_id: Uuid,
    pub product: Product,
    pub mode: JobMode,
    pub input: Option<String>,
    /// Including this one.
    pub attempts: i64,
    pub callback: Option<Callback>,
    pub created_at: DateTime<Utc>,
}

/// The ledger entry a completed job writes.
#[derive(Debug, Clone, Copy)]
pub struct Charge {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub audio_ms: u64,
    pub coins: i64,
}

/// The webhook a finished job schedules.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// The `webhook-id`, identical on every attempt.
    pub id: String,
    pub url: String,
    pub secret: Option<String>,
    /// The exact body, identical on every attempt.
    pub payload: String,
}

/// How a job ends.
#[derive(Debug, Clone)]
pub enum Outcome {
    Completed { result: String, charge: Charge },
    Failed(JobError),
}

fn product_from(text: &str) -> sqlx::Result<Product> {
    Product::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown product `{text}`").into()))
}

fn mode_from(text: &str) -> sqlx::Result<JobMode> {
    JobMode::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown job mode `{text}`").into()))
}

fn state_from(text: &str) -> sqlx::Result<JobState> {
    JobState::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown job state `{text}`").into()))
}

fn error_code_from(text: &str) -> ErrorCode {
    serde_json::from_value(serde_json::Value::from(text)).unwrap_or(ErrorCode::ProcessingError)
}

const RECORD_COLUMNS: &str = "j.id, j.org_id, j.product, j.mode, j.state, j.result, j.error_code,
    j.error_message, j.request_hash, j.created_at, j.completed_at,
    w.state AS webhook_state, w.attempts AS webhook_attempts,
    w.last_attempt_at AS webhook_last_attempt_at,
    w.last_response_status AS webhook_last_response_status";

const RECORD_FROM: &str = "jobs j LEFT JOIN webhook_deliveries w ON w.job_id = j.id";

fn record_from(row: &impl Fetch) -> sqlx::Result<JobRecord> {
    let error = match row.opt_text("error_code")? {
        Some(code) => Some(JobError {
            code: error_code_from(&code),
            message: row.opt_text("error_message")?.unwrap_or_default(),
        }),
        None => None,
    };
    let webhook = match row.opt_text("webhook_state")? {
        Some(state) => Some(WebhookStatus {
            state: WebhookState::parse(&state).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown webhook state `{state}`").into())
            })?,
            attempts: row.opt_int("webhook_attempts")?.unwrap_or(0),
            last_attempt_at: row.opt_time("webhook_last_attempt_at")?,
            last_response_status: row
                .opt_int("webhook_last_response_status")?
                .and_then(|s| u16::try_from(s).ok()),
        }),
        None => None,
    };
    Ok(JobRecord {
        id: row.uuid("id")?,
        org_id: row.uuid("org_id")?,
        product: product_from(&row.text("product")?)?,
        mode: mode_from(&row.text("mode")?)?,
        state: state_from(&row.text("state")?)?,
        result: row.opt_text("result")?,
        error,
        request_hash: row.opt_text("request_hash")?,
        created_at: row.time("created_at")?,
        completed_at: row.opt_time("completed_at")?,
        webhook,
    })
}

const CLAIM_RETURNING: &str = "RETURNING id, org_id, key_id, request_id, product, mode, input,
    attempts, callback_url, callback_secret, created_at";

fn claimed_from(row: &impl Fetch) -> sqlx::Result<ClaimedJob> {
    let callback = row
        .opt_text("callback_url")?
        .map(|url| Callback { url, secret: None });
    let callback = match callback {
        Some(mut c) => {
            c.secret = row.opt_text("callback_secret")?;
            Some(c)
        }
        None => None,
    };
    Ok(ClaimedJob {
        id: row.uuid("id")?,
        org_id: row.uuid("org_id")?,
        key_id: row.uuid("key_id")?,
        request_id: row.uuid("request_id")?,
        product: product_from(&row.text("product")?)?,
        mode: mode_from(&row.text("mode")?)?,
        input: row.opt_text("input")?,
        attempts: row.int("attempts")?,
        callback,
        created_at: row.time("created_at")?,
    })
}

impl Store {
    /// Stores a queued job and wakes the workers. With an idempotency key, a
    /// repeat within 24 h returns the first job instead (or a conflict).
    pub async fn enqueue_job(&self, job: &NewJob) -> StoreResult<Enqueued> {
        let now = DbTime(job.created_at);
        let (key, hash) = match &job.idempotency {
            Some(i) => (Some(i.key.as_str()), Some(i.request_hash.as_str())),
            None => (None, None),
        };
        let inserted = on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            if let Some(limit) = job.max_concurrent_jobs {
                // Enqueues of one key take turns, so two of them cannot both
                // see a free slot: SQLite's BEGIN IMMEDIATE already holds the
                // write lock; on PostgreSQL the key's row is locked (a lock
                // foreign-key checks do not wait for).
                if backend == Backend::Postgres {
                    sqlx::query("SELECT id FROM api_keys WHERE id = $1 FOR NO KEY UPDATE")
                        .bind(job.key_id)
                        .execute(&mut *tx)
                        .await?;
                }
                let active: i64 = sqlx::query_scalar(ACTIVE_JOBS)
                    .bind(job.key_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if active >= i64::from(limit) {
                    tx.rollback().await?;
                    return Ok(Enqueued::AtCapacity { active });
                }
            }
            if let Some(key) = key {
                // A key older than the window no longer binds.
                sqlx::query(
                    "UPDATE jobs SET idempotency_key = NULL
                     WHERE org_id = $1 AND product = $2 AND idempotency_key = $3 AND created_at < $4",
                )
                .bind(job.org_id)
                .bind(job.product.as_str())
                .bind(key)
                .bind(DbTime(job.created_at - IDEMPOTENCY_WINDOW))
                .execute(&mut *tx)
                .await?;
            }
            let inserted = sqlx::query(
                "INSERT INTO jobs (id, org_id, key_id, request_id, product, mode, state, input,
                                   attempts, available_at, callback_url, callback_secret,
                                   idempotency_key, request_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, 0, $8, $9, $10, $11, $12, $8)
                 ON CONFLICT (org_id, product, idempotency_key) WHERE idempotency_key IS NOT NULL
                 DO NOTHING",
            )
            .bind(job.id)
            .bind(job.org_id)
            .bind(job.key_id)
            .bind(job.request_id)
            .bind(job.product.as_str())
            .bind(job.mode.as_str())
            .bind(&job.input)
            .bind(now)
            .bind(job.callback.as_ref().map(|c| c.url.as_str()))
            .bind(job.callback.as_ref().and_then(|c| c.secret.as_deref()))
            .bind(key)
            .bind(hash)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if inserted {
                pg_notify!(&mut *tx, backend, JOBS_QUEUED, "");
            }
            tx.commit().await?;
            inserted
        });
        if inserted {
            self.events.job_queued();
            return Ok(Enqueued::Created);
        }
        let key = key.expect("only an idempotency key can conflict");
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM}
             WHERE j.org_id = $1 AND j.product = $2 AND j.idempotency_key = $3"
        );
        let existing = on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(job.org_id)
                .bind(job.product.as_str())
                .bind(key)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(record_from).transpose()?
        });
        let Some(existing) = existing else {
            // The holder finished and released its key meanwhile: try again.
            return Box::pin(self.enqueue_job(job)).await;
        };
        let same_request = existing.request_hash.as_deref() == hash;
        if existing.mode == JobMode::Async && job.mode == JobMode::Async && same_request {
            Ok(Enqueued::Repeat(existing))
        } else {
            Ok(Enqueued::Conflict(existing))
        }
    }

    /// Takes the oldest claimable job: queued and due, or running under a
    /// lease that expired (its worker died). The lease runs until `until`.
    pub async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedJob>> {
        let pick = "SELECT id FROM jobs
             WHERE (state = 'queued' AND available_at <= $3)
                OR (state = 'running' AND lease_expires_at < $3)
             ORDER BY created_at LIMIT 1";
        let lock = match self.backend() {
            // Concurrent claimers skip each other's rows instead of waiting.
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // A single UPDATE statement holds SQLite's write lock throughout.
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1,
                 lease_expires_at = $2, started_at = COALESCE(started_at, $3)
             WHERE id = ({pick}{lock})
             {CLAIM_RETURNING}"
        );
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(worker)
                .bind(DbTime(until))
                .bind(DbTime(now))
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(claimed_from).transpose()?)
        })
    }

    /// Extends a lease. False when the job is no longer this worker's to
    /// finish (cancelled, or taken over after the lease lapsed).
    pub async fn renew_job_lease(
        &self,
        id: Uuid,
        worker: &str,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_db!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE jobs SET lease_expires_at = $3
                 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            )
            .bind(id)
            .bind(worker)
            .bind(DbTime(until))
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Gives a job back to the queue after a retryable failure.
    pub async fn requeue_job(
        &self,
        id: Uuid,
        worker: &str,
        available_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let requeued = on_db!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET state = 'queued', available_at = $3, lease_owner = NULL,
                     lease_expires_at = NULL
                 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            )
            .bind(id)
            .bind(worker)
            .bind(DbTime(available_at))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        });
        Ok(requeued)
    }

    /// Gives a running job back to the queue at once because its worker is
    /// shutting down: any worker may claim it now, without waiting for the
    /// lease to lapse, and is woken to do so. The interrupted attempt does
    /// not count towards the attempt limit. False when the job is no longer
    /// this worker's (cancelled, or taken over) — nothing is changed then.
    pub async fn release_job(
        &self,
        id: Uuid,
        worker: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let released = on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            let released = sqlx::query(
                "UPDATE jobs SET state = 'queued', available_at = $3, lease_owner = NULL,
                     lease_expires_at = NULL,
                     attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
                 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            )
            .bind(id)
            .bind(worker)
            .bind(DbTime(now))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if released {
                pg_notify!(&mut *tx, backend, JOBS_QUEUED, "");
            }
            tx.commit().await?;
            released
        });
        if released {
            self.events.job_queued();
        }
        Ok(released)
    }

    /// Ends a job in one transaction: its outcome, the ledger entry and coin
    /// charge (completed only), and its webhook. False — and nothing written —
    /// when the job is no longer this worker's (cancelled or taken over), so
    /// a job is charged and announced at most once.
    pub async fn finish_job(
        &self,
        job: &ClaimedJob,
        worker: &str,
        outcome: &Outcome,
        finished_at: DateTime<Utc>,
        purge_after: DateTime<Utc>,
        webhook: Option<&NewDelivery>,
    ) -> StoreResult<bool> {
        let (state, result, error) = match outcome {
            Outcome::Completed { result, .. } => (JobState::Completed, Some(result.as_str()), None),
            Outcome::Failed(error) => (JobState::Failed, None, Some(error)),
        };
        let finished = on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            let updated = sqlx::query(
                "UPDATE jobs SET state = $3, result = $4, error_code = $5, error_message = $6,
                     input = NULL, callback_secret = NULL, completed_at = $7, purge_after = $8,
                     lease_owner = NULL,
                     lease_expires_at = NULL,
                     idempotency_key = CASE WHEN mode = 'sync' THEN NULL ELSE idempotency_key END
                 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            )
            .bind(job.id)
            .bind(worker)
            .bind(state.as_str())
            .bind(result)
            .bind(error.map(|e| e.code.as_str()))
            .bind(error.map(|e| e.message.as_str()))
            .bind(DbTime(finished_at))
            .bind(DbTime(purge_after))
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                false
            } else {
                if let Outcome::Completed { charge, .. } = outcome {
                    sqlx::query(
                        "INSERT INTO usage_records (id, org_id, key_id, request_id, job_id, endpoint,
                             input_tokens, output_tokens, audio_ms, coins, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(Uuid::now_v7())
                    .bind(job.org_id)
                    .bind(job.key_id)
                    .bind(job.request_id)
                    .bind(job.id)
                    .bind(job.product.endpoint())
                    .bind(charge.input_tokens as i64)
                    .bind(charge.output_tokens as i64)
                    .bind(charge.audio_ms as i64)
                    .bind(charge.coins)
                    .bind(DbTime(finished_at))
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE organisations SET coins_balance = coins_balance - $2
                         WHERE id = $1 AND NOT unlimited",
                    )
                    .bind(job.org_id)
                    .bind(charge.coins)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(delivery) = webhook {
                    sqlx::query(
                        "INSERT INTO webhook_deliveries (id, job_id, url, secret, payload, state,
                             attempts, next_attempt_at, created_at)
                         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
                    )
                    .bind(&delivery.id)
                    .bind(job.id)
                    .bind(&delivery.url)
                    .bind(delivery.secret.as_deref())
                    .bind(&delivery.payload)
                    .bind(DbTime(finished_at))
                    .execute(&mut *tx)
                    .await?;
                    pg_notify!(&mut *tx, backend, DELIVERY_DUE, "");
                }
                pg_notify!(&mut *tx, backend, JOB_FINISHED, job.id.to_string());
                tx.commit().await?;
                true
            }
        });
        if finished {
            self.events.job_finished(job.id);
            if webhook.is_some() {
                self.events.delivery_due();
            }
        }
        Ok(finished)
    }

    /// A sync client left: the job stops counting, and is never charged.
    pub async fn cancel_job(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        on_db!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE jobs SET state = 'cancelled', input = NULL, callback_secret = NULL, completed_at = $2,
                     purge_after = $2, idempotency_key = NULL, lease_owner = NULL,
                     lease_expires_at = NULL
                 WHERE id = $1 AND state IN ('queued', 'running')",
            )
            .bind(id)
            .bind(DbTime(at))
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// A job by id, whatever its owner: for the waiting sync handler and the
    /// worker. API reads go through [`Store::visible_job`].
    pub async fn job(&self, id: Uuid) -> StoreResult<Option<JobRecord>> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE j.id = $1");
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(record_from).transpose()?)
        })
    }

    /// An async job as its organisation sees it on its product's route:
    /// anything else (another organisation, the other product, a sync job)
    /// is indistinguishable from a job that does not exist.
    pub async fn visible_job(
        &self,
        org_id: Uuid,
        product: Product,
        id: Uuid,
    ) -> StoreResult<Option<JobRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM}
             WHERE j.id = $1 AND j.org_id = $2 AND j.product = $3 AND j.mode = 'async'"
        );
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(org_id)
                .bind(product.as_str())
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(record_from).transpose()?)
        })
    }

    /// Removes a sync job once its client has the answer: sync results are
    /// never kept.
    pub async fn forget_job(&self, id: Uuid) -> StoreResult<()> {
        on_db!(self, |pool| {
            sqlx::query("DELETE FROM jobs WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The janitor's sweep: jobs past their retention (with their webhook
    /// rows), and idempotency keys past their window. Returns the number of
    /// jobs purged.
    pub async fn purge_jobs(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_db!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET idempotency_key = NULL
                 WHERE idempotency_key IS NOT NULL AND created_at < $1",
            )
            .bind(DbTime(now - IDEMPOTENCY_WINDOW))
            .execute(pool)
            .await?;
            Ok(sqlx::query("DELETE FROM jobs WHERE purge_after < $1")
                .bind(DbTime(now))
                .execute(pool)
                .await?
                .rows_affected())
        })
    }

    /// The usage ledger of one job: `(coins, input_tokens, output_tokens)`.
    pub async fn job_charge(&self, job_id: Uuid) -> StoreResult<Option<(i64, i64, i64)>> {
        on_db!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT coins, input_tokens, output_tokens FROM usage_records WHERE job_id = $1",
            )
            .bind(job_id)
            .fetch_optional(pool)
            .await?)
        })
    }
}
