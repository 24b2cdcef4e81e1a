//! Webhook deliveries: claimed with a lease like jobs, so a delivery whose
//! deliverer died is sent again — with the same `webhook-id` and body.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db_time::DbTime;
use crate::fetch::Fetch;
use crate::{Backend, Store, StoreResult, on_db};

/// A delivery a deliverer holds the lease on.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub job_id: Uuid,
    pub url: String,
    pub secret: Option<String>,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered,
    RetryAt(DateTime<Utc>),
    /// No more attempts: the schedule is exhausted or the receiver said 410.
    GaveUp,
}

impl Store {
    /// Takes the delivery that has been due longest.
    pub async fn claim_delivery(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<Delivery>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET lease_owner = $1, lease_expires_at = $2
             WHERE id = (SELECT id FROM webhook_deliveries
                         WHERE state = 'pending' AND next_attempt_at <= $3
                           AND (lease_expires_at IS NULL OR lease_expires_at < $3)
                         ORDER BY next_attempt_at LIMIT 1{lock})
             RETURNING id, job_id, url, secret, payload, attempts"
        );
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(worker)
                .bind(DbTime(until))
                .bind(DbTime(now))
                .fetch_optional(pool)
                .await?;
            Ok(row
                .map(|row| -> sqlx::Result<Delivery> {
                    Ok(Delivery {
                        id: row.text("id")?,
                        job_id: row.uuid("job_id")?,
                        url: row.text("url")?,
                        secret: row.opt_text("secret")?,
                        payload: row.text("payload")?,
                        attempts: row.int("attempts")?,
                    })
                })
                .transpose()?)
        })
    }

    /// Records one attempt and what follows it.
    pub async fn record_delivery_attempt(
        &self,
        id: &str,
        worker: &str,
        at: DateTime<Utc>,
        response_status: Option<u16>,
        error: Option<&str>,
        result: AttemptResult,
    ) -> StoreResult<()> {
        let (state, next) = match result {
            AttemptResult::Delivered => ("delivered", None),
            AttemptResult::RetryAt(next) => ("pending", Some(DbTime(next))),
            AttemptResult::GaveUp => ("failed", None),
        };
        on_db!(self, |pool| {
            sqlx::query(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $3,
                     last_response_status = $4, last_error = $5, state = $6, next_attempt_at = $7,
                     lease_owner = NULL, lease_expires_at = NULL,
                     -- the signing secret is kept only while it may be needed
                     secret = CASE WHEN $6 = 'pending' THEN secret ELSE NULL END
                 WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id)
            .bind(worker)
            .bind(DbTime(at))
            .bind(response_status.map(i64::from))
            .bind(error)
            .bind(state)
            .bind(next)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
