//! The coin ledger: grants in, charges out (charges are written with the
//! job's completion, in `jobs.rs`), and what an organisation consumed.

use chrono::{DateTime, NaiveDate, Utc};
use myqa_core::Organisation;
use myqa_core::billing::{DayUsage, EndpointUsage, UsageReport, UsageTotals};
use uuid::Uuid;

use crate::db_time::DbTime;
use crate::fetch::Fetch;
use crate::{Backend, Store, StoreResult, begin_write, on_db};

/// The totals of one group of usage rows.
fn totals(row: &impl Fetch) -> sqlx::Result<UsageTotals> {
    Ok(UsageTotals {
        requests: row.int("requests")?,
        input_tokens: row.int("input_tokens")?,
        output_tokens: row.int("output_tokens")?,
        audio_ms: row.int("audio_ms")?,
        coins: row.int("coins")?,
    })
}

const SUMS: &str = "COUNT(*) AS requests,
     CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens,
     CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens,
     CAST(COALESCE(SUM(audio_ms), 0) AS BIGINT) AS audio_ms,
     CAST(COALESCE(SUM(coins), 0) AS BIGINT) AS coins";

/// The UTC day of `created_at`, as `YYYY-MM-DD` text.
fn day(backend: Backend) -> &'static str {
    match backend {
        // Stored as RFC 3339 text in UTC.
        Backend::Sqlite => "substr(created_at, 1, 10)",
        Backend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    }
}

impl Store {
    /// Adds `amount` coins to an organisation's balance and records the
    /// grant, in one transaction. Returns the new balance; `None` when the
    /// organisation does not exist.
    pub async fn grant_coins(
        &self,
        org_id: Uuid,
        amount: i64,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            // Relative update: concurrent charges and grants never lose one
            // another.
            let balance: Option<i64> = sqlx::query_scalar(
                "UPDATE organisations SET coins_balance = coins_balance + $2
                 WHERE id = $1 RETURNING coins_balance",
            )
            .bind(org_id)
            .bind(amount)
            .fetch_optional(&mut *tx)
            .await?;
            if balance.is_none() {
                return Ok(None);
            }
            sqlx::query(
                "INSERT INTO coin_grants (id, org_id, amount, note, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(Uuid::now_v7())
            .bind(org_id)
            .bind(amount)
            .bind(note)
            .bind(DbTime(at))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(balance)
        })
    }

    /// The usage report of `organisation` over `from`…`to` (UTC days,
    /// inclusive): the endpoint and day breakdowns of [`Store::usage`] and
    /// their totals, with the balance as it is now.
    pub async fn usage_report(
        &self,
        organisation: &Organisation,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<UsageReport> {
        let (by_endpoint, by_day) = self.usage(organisation.id, from, to).await?;
        let mut totals = UsageTotals::default();
        by_endpoint.iter().for_each(|e| totals.add(&e.totals));
        Ok(UsageReport {
            organisation_id: organisation.id,
            from,
            to,
            balance: (!organisation.unlimited).then_some(organisation.coins_balance),
            unlimited: organisation.unlimited,
            totals,
            by_endpoint,
            by_day,
        })
    }

    /// What `org_id` was charged from the start of `from` to the end of
    /// `to` (UTC days, inclusive): per endpoint, busiest first, and per day.
    pub async fn usage(
        &self,
        org_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<(Vec<EndpointUsage>, Vec<DayUsage>)> {
        let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let end = to
            .succ_opt()
            .unwrap_or(NaiveDate::MAX)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        on_db!(self, |pool, backend| {
            let by_endpoint = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT endpoint, {SUMS} FROM usage_records
                 WHERE org_id = $1 AND created_at >= $2 AND created_at < $3
                 GROUP BY endpoint ORDER BY requests DESC, endpoint"
            )))
            .bind(org_id)
            .bind(DbTime(start))
            .bind(DbTime(end))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok(EndpointUsage {
                    endpoint: row.text("endpoint")?,
                    totals: totals(row)?,
                })
            })
            .collect::<sqlx::Result<Vec<_>>>()?;
            let day = day(backend);
            let by_day = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {day} AS day, {SUMS} FROM usage_records
                 WHERE org_id = $1 AND created_at >= $2 AND created_at < $3
                 GROUP BY {day} ORDER BY day"
            )))
            .bind(org_id)
            .bind(DbTime(start))
            .bind(DbTime(end))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                let text = row.text("day")?;
                let date = text
                    .parse::<NaiveDate>()
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                Ok(DayUsage {
                    date,
                    totals: totals(row)?,
                })
            })
            .collect::<sqlx::Result<Vec<_>>>()?;
            Ok((by_endpoint, by_day))
        })
    }
}
