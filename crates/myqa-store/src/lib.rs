//! Persistence for MyQA: one [`Store`] over SQLite (the embedded default) and
//! PostgreSQL (scale-out), with migrations per backend applied at start-up.
//!
//! Each query is written once: [`on_db!`] expands its body for both pools, and
//! both backends accept `$1`-style parameters. Where the SQL dialects differ the
//! body branches on [`Backend`]. Rows are read through [`Fetch`], so a mapping
//! from row to domain type is also written once.

mod api_keys;
mod blobs;
mod catalogue;
mod db_time;
mod deliveries;
mod events;
mod fetch;
mod jobs;
mod leader;
mod migrations;
mod organisations;
mod quotas;
mod revisions;
mod standards;
mod stats;
mod usage;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use myqa_core::config::DatabaseLocation;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use api_keys::{QuotaUpdate, StoredKey};
pub use blobs::{BlobError, BlobResult, BlobStore, BlobWriter, LocalBlob, input_key};
pub use catalogue::{Catalogue, Standards};
pub use deliveries::{AttemptResult, Delivery};
pub use events::Events;
pub use jobs::{
    Callback, Charge, ClaimedJob, Enqueued, IDEMPOTENCY_WINDOW, Idempotency, JobRecord,
    NewDelivery, NewJob, Outcome, WebhookStatus,
};
pub use revisions::{RevisionWatcher, Revisions};
pub use standards::InstallOutcome;
pub use stats::JobStats;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    fn from_unique(err: sqlx::Error, conflict: impl FnOnce() -> String) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(conflict())
            }
            _ => StoreError::Database(err),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds, and
/// `$backend` to its [`Backend`]. The body is compiled once per backend.
macro_rules! on_db {
    ($store:expr, |$pool:ident, $backend:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $backend = $crate::Backend::Sqlite;
                $body
            }
            $crate::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $backend = $crate::Backend::Postgres;
                $body
            }
        }
    };
    ($store:expr, |$pool:ident| $body:expr) => {
        on_db!($store, |$pool, _backend| $body)
    };
}
pub(crate) use on_db;

/// Starts a transaction that will write. On SQLite it takes the write lock at
/// once (`BEGIN IMMEDIATE`): a deferred transaction that later tries to write
/// can fail with SQLITE_BUSY no matter how long the busy timeout is.
macro_rules! begin_write {
    ($pool:expr, $backend:expr) => {
        match $backend {
            $crate::Backend::Sqlite => $pool.begin_with("BEGIN IMMEDIATE").await,
            $crate::Backend::Postgres => $pool.begin().await,
        }
    };
}
pub(crate) use begin_write;

/// Database connection and everything stored in it.
#[derive(Clone)]
pub struct Store {
    db: Db,
    events: std::sync::Arc<Events>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend())
    }
}

/// Pool sizing.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

impl Store {
    /// Opens (and for SQLite creates) the database. Call [`Store::migrate`]
    /// before use.
    pub async fn connect(location: &DatabaseLocation, options: PoolOptions) -> StoreResult<Store> {
        let db = match location {
            DatabaseLocation::Sqlite(path) => Db::Sqlite(open_sqlite(path, options).await?),
            DatabaseLocation::Postgres(url) => {
                let connect = PgConnectOptions::from_str(url)?.application_name("myqa");
                Db::Postgres(
                    PgPoolOptions::new()
                        .max_connections(options.max_connections)
                        .acquire_timeout(options.acquire_timeout)
                        .connect_with(connect)
                        .await?,
                )
            }
        };
        Ok(Store {
            db,
            events: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations of this backend that the database lacks.
    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = migrations::migrator(self.backend()).await?;
        on_db!(self, |pool| migrator.run(pool).await?);
        Ok(())
    }

    /// True when the database answers and holds every migration this build
    /// knows: what `/readyz` reports.
    pub async fn is_ready(&self) -> StoreResult<bool> {
        let expected = migrations::count(self.backend());
        let applied: i64 = on_db!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        Ok(applied >= expected as i64)
    }

    /// Wake-ups for workers and waiters.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// Starts receiving other processes' notifications (PostgreSQL; a no-op on
    /// SQLite). Idempotent.
    pub async fn listen(&self) -> StoreResult<()> {
        if let Db::Postgres(pool) = &self.db {
            self.events.listen(pool).await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

async fn open_sqlite(path: &Path, options: PoolOptions) -> StoreResult<SqlitePool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let connect = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL with NORMAL is durable against process crashes; only an OS crash
        // may lose the last transactions, never corrupt the file.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(options.max_connections.min(8))
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await?)
}
