//! API keys. Only digests are stored; lookups go by digest.

use chrono::{DateTime, Utc};
use myqa_core::network::NetworkList;
use myqa_core::{ApiKey, KeyDigest};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db_time::DbTime;
use crate::fetch::Fetch;
use crate::revisions::{KEYS, bump_revision};
use crate::{Store, StoreError, StoreResult, begin_write, on_db};

/// Sets when a key stops working, keeping an earlier time if one is set.
const SCHEDULE_REVOCATION: &str = "UPDATE api_keys SET revoked_at = $2
     WHERE id = $1 AND (revoked_at IS NULL OR revoked_at > $2)";

const COLUMNS: &str = "id, org_id, name, prefix, permissions, allowed_ips, created_at, last_used_at, revoked_at, expires_at,
     rate_limit_rpm, max_concurrent_jobs";

/// A stored limit: positive (the schema checks it) or NULL for unlimited.
fn limit_from(row: &impl Fetch, column: &str) -> sqlx::Result<Option<u32>> {
    row.opt_int(column)?
        .map(|n| {
            u32::try_from(n)
                .map_err(|_| sqlx::Error::Decode(format!("api_keys.{column} = {n}").into()))
        })
        .transpose()
}

/// What `myqa admin key update` changes in a key's quotas: `None` keeps a
/// limit, `Some(None)` removes it, `Some(Some(n))` sets it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaUpdate {
    pub rate_limit_rpm: Option<Option<u32>>,
    pub max_concurrent_jobs: Option<Option<u32>>,
}

fn from_row(row: &impl Fetch) -> sqlx::Result<ApiKey> {
    let allowed: Vec<String> = row.json("allowed_ips")?;
    Ok(ApiKey {
        id: row.uuid("id")?,
        org_id: row.uuid("org_id")?,
        name: row.text("name")?,
        prefix: row.text("prefix")?,
        permissions: row.json("permissions")?,
        allowed_ips: NetworkList::parse(&allowed).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        created_at: row.time("created_at")?,
        last_used_at: row.opt_time("last_used_at")?,
        revoked_at: row.opt_time("revoked_at")?,
        expires_at: row.opt_time("expires_at")?,
        rate_limit_rpm: limit_from(row, "rate_limit_rpm")?,
        max_concurrent_jobs: limit_from(row, "max_concurrent_jobs")?,
    })
}

/// What the database holds for a presented key.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub key: ApiKey,
    pub digest: KeyDigest,
}

fn digest_from(bytes: Vec<u8>) -> sqlx::Result<KeyDigest> {
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| sqlx::Error::Decode("api_keys.digest is not 32 bytes".into()))?;
    Ok(KeyDigest(bytes))
}

macro_rules! insert_key {
    ($executor:expr, $key:expr, $digest:expr) => {
        sqlx::query(
            "INSERT INTO api_keys (id, org_id, name, digest, prefix, permissions, allowed_ips,
                                   created_at, last_used_at, revoked_at, expires_at,
                                   rate_limit_rpm, max_concurrent_jobs)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9, $10, $11)",
        )
        .bind($key.id)
        .bind($key.org_id)
        .bind(&$key.name)
        .bind(&$digest.0[..])
        .bind(&$key.prefix)
        .bind(Json(&$key.permissions))
        .bind(Json(Vec::<String>::from($key.allowed_ips.clone())))
        .bind(DbTime($key.created_at))
        .bind($key.expires_at.map(DbTime))
        .bind($key.rate_limit_rpm.map(i64::from))
        .bind($key.max_concurrent_jobs.map(i64::from))
        .execute($executor)
        .await
    };
}

impl Store {
    pub async fn insert_api_key(&self, key: &ApiKey, digest: &KeyDigest) -> StoreResult<()> {
        on_db!(self, |pool| {
            insert_key!(pool, key, digest)
                .map_err(|e| StoreError::from_unique(e, || "key digest collision".into()))?;
        });
        Ok(())
    }

    /// The key whose digest this is, with the digest as stored (the caller
    /// compares them in constant time).
    pub async fn api_key_by_digest(&self, digest: &KeyDigest) -> StoreResult<Option<StoredKey>> {
        let sql = format!("SELECT {COLUMNS}, digest FROM api_keys WHERE digest = $1");
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&digest.0[..])
                .fetch_optional(pool)
                .await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let stored: Vec<u8> = sqlx::Row::try_get(&row, "digest")?;
                    Ok(Some(StoredKey {
                        key: from_row(&row)?,
                        digest: digest_from(stored)?,
                    }))
                }
            }
        })
    }

    pub async fn api_key(&self, id: Uuid) -> StoreResult<Option<ApiKey>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1");
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(from_row).transpose()?)
        })
    }

    pub async fn list_api_keys(&self, org_id: Uuid) -> StoreResult<Vec<ApiKey>> {
        let sql =
            format!("SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at, name");
        on_db!(self, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(org_id)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(from_row).collect::<sqlx::Result<_>>()?)
        })
    }

    /// Revokes a key at `at` (keeping an earlier revocation) and tells every
    /// server to drop what it cached. Returns the key as it now stands.
    pub async fn revoke_api_key(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<ApiKey> {
        on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            let updated = sqlx::query(SCHEDULE_REVOCATION)
                .bind(id)
                .bind(DbTime(at))
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() > 0 {
                bump_revision!(&mut *tx, backend, KEYS);
            }
            tx.commit().await?;
        });
        self.api_key(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))
    }

    /// Changes a key's quotas and tells every server to drop what it cached,
    /// so running servers apply the new limits within their revision poll
    /// (at once on PostgreSQL). Returns the key as it now stands.
    pub async fn update_api_key_quotas(
        &self,
        id: Uuid,
        update: QuotaUpdate,
    ) -> StoreResult<ApiKey> {
        let bind =
            |change: Option<Option<u32>>| (change.is_some(), change.flatten().map(i64::from));
        let (set_rpm, rpm) = bind(update.rate_limit_rpm);
        let (set_jobs, jobs) = bind(update.max_concurrent_jobs);
        on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            let updated = sqlx::query(
                "UPDATE api_keys
                 SET rate_limit_rpm = CASE WHEN $2 THEN $3 ELSE rate_limit_rpm END,
                     max_concurrent_jobs = CASE WHEN $4 THEN $5 ELSE max_concurrent_jobs END
                 WHERE id = $1",
            )
            .bind(id)
            .bind(set_rpm)
            .bind(rpm)
            .bind(set_jobs)
            .bind(jobs)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("API key {id}")));
            }
            bump_revision!(&mut *tx, backend, KEYS);
            tx.commit().await?;
        });
        self.api_key(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))
    }

    /// Stores `new` and schedules the revocation of `old_id` at `old_revoked_at`
    /// in one transaction.
    pub async fn rotate_api_key(
        &self,
        old_id: Uuid,
        new: &ApiKey,
        new_digest: &KeyDigest,
        old_revoked_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            let updated = sqlx::query(SCHEDULE_REVOCATION)
                .bind(old_id)
                .bind(DbTime(old_revoked_at))
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::Conflict(format!(
                    "API key {old_id} is unknown or already revoked"
                )));
            }
            insert_key!(&mut *tx, new, new_digest)?;
            bump_revision!(&mut *tx, backend, KEYS);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records use of a key. Writes only when the stored value is at least a
    /// minute old, so a busy key costs one write a minute, not one a request.
    pub async fn touch_api_key(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        let stale_before = at - chrono::Duration::minutes(1);
        on_db!(self, |pool| {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $2
                 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
            )
            .bind(id)
            .bind(DbTime(at))
            .bind(DbTime(stale_before))
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
