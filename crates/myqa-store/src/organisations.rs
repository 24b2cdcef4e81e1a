//! Organisations.

use myqa_core::Organisation;
use uuid::Uuid;

use crate::db_time::DbTime;
use crate::fetch::Fetch;
use crate::{Store, StoreError, StoreResult, begin_write, on_db};

const COLUMNS: &str = "id, name, coins_balance, unlimited, created_at";

fn from_row(row: &impl Fetch) -> sqlx::Result<Organisation> {
    Ok(Organisation {
        id: row.uuid("id")?,
        name: row.text("name")?,
        coins_balance: row.int("coins_balance")?,
        unlimited: row.flag("unlimited")?,
        created_at: row.time("created_at")?,
    })
}

impl Store {
    /// Stores a new organisation; a taken name is a `Conflict`. An opening
    /// balance is recorded as a grant in the same transaction, so that a
    /// balance is always its grants minus its charges.
    pub async fn create_organisation(&self, org: &Organisation) -> StoreResult<()> {
        on_db!(self, |pool, backend| {
            let mut tx = begin_write!(pool, backend)?;
            sqlx::query(
                "INSERT INTO organisations (id, name, coins_balance, unlimited, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(org.id)
            .bind(&org.name)
            .bind(org.coins_balance)
            .bind(org.unlimited)
            .bind(DbTime(org.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::from_unique(e, || {
                    format!("an organisation named `{}` already exists", org.name)
                })
            })?;
            if org.coins_balance != 0 {
                sqlx::query(
                    "INSERT INTO coin_grants (id, org_id, amount, note, created_at)
                     VALUES ($1, $2, $3, 'opening balance', $4)",
                )
                .bind(Uuid::now_v7())
                .bind(org.id)
                .bind(org.coins_balance)
                .bind(DbTime(org.created_at))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn list_organisations(&self) -> StoreResult<Vec<Organisation>> {
        let sql = format!("SELECT {COLUMNS} FROM organisations ORDER BY created_at, name");
        on_db!(self, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(from_row).collect::<sqlx::Result<_>>()?)
        })
    }

    pub async fn organisation(&self, id: Uuid) -> StoreResult<Option<Organisation>> {
        let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(from_row).transpose()?)
        })
    }

    /// An organisation by id or by exact name, as the admin CLI's `ORG`.
    pub async fn find_organisation(&self, id_or_name: &str) -> StoreResult<Option<Organisation>> {
        if let Ok(id) = Uuid::parse_str(id_or_name)
            && let Some(org) = self.organisation(id).await?
        {
            return Ok(Some(org));
        }
        let sql = format!("SELECT {COLUMNS} FROM organisations WHERE name = $1");
        on_db!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id_or_name)
                .fetch_optional(pool)
                .await?;
            Ok(row.as_ref().map(from_row).transpose()?)
        })
    }

    pub async fn count_organisations(&self) -> StoreResult<i64> {
        on_db!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
                .fetch_one(pool)
                .await?)
        })
    }
}
