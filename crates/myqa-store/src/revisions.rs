//! Change revisions: how a server learns that another process (the admin CLI,
//! another node) revoked a key or replaced a standard, so it can drop what it
//! cached. Writers bump a counter in the same transaction as the change; on
//! PostgreSQL they also `NOTIFY`, which reaches every node at once. Servers
//! poll the counters as well, which is all SQLite has.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::{Db, Store, StoreError, StoreResult, on_db};

pub(crate) const KEYS: &str = "keys";
pub(crate) const STANDARDS: &str = "standards";
const CHANNEL: &str = "myqa_revisions";

/// Bumps a revision inside a write transaction (`$exec` is `&mut *tx`).
macro_rules! bump_revision {
    ($exec:expr, $backend:expr, $name:expr) => {{
        sqlx::query("UPDATE revisions SET value = value + 1 WHERE name = $1")
            .bind($name)
            .execute($exec)
            .await?;
        if $backend == $crate::Backend::Postgres {
            // Delivered on commit, to every listening node.
            sqlx::query("SELECT pg_notify('myqa_revisions', $1)")
                .bind($name)
                .execute($exec)
                .await?;
        }
    }};
}
pub(crate) use bump_revision;

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revisions {
    pub keys: i64,
    pub standards: i64,
}

/// Receives the current [`Revisions`] whenever they change.
pub type RevisionWatcher = watch::Receiver<Revisions>;

impl Store {
    pub async fn revisions(&self) -> StoreResult<Revisions> {
        let rows: Vec<(String, i64)> = on_db!(self, |pool| {
            sqlx::query_as("SELECT name, value FROM revisions")
                .fetch_all(pool)
                .await?
        });
        let mut revisions = Revisions::default();
        for (name, value) in rows {
            match name.as_str() {
                KEYS => revisions.keys = value,
                STANDARDS => revisions.standards = value,
                _ => {}
            }
        }
        Ok(revisions)
    }

    /// Watches the revisions in a background task that lives as long as a
    /// receiver does: polled every `poll`, and on PostgreSQL also woken by
    /// `NOTIFY` at once.
    pub async fn watch_revisions(&self, poll: Duration) -> StoreResult<RevisionWatcher> {
        let (tx, rx) = watch::channel(self.revisions().await?);
        let mut listener = match &self.db {
            Db::Postgres(pool) => {
                let mut listener = PgListener::connect_with(pool).await?;
                listener.listen(CHANNEL).await?;
                Some(listener)
            }
            Db::Sqlite(_) => None,
        };
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                let wake = async {
                    match listener.as_mut() {
                        Some(l) => l.recv().await.map(drop),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = tx.closed() => return,
                    _ = tokio::time::sleep(poll) => {}
                    woken = wake => match woken {
                        Ok(()) => {}
                        // The store is shutting down: release the listener's
                        // connection so the pool can close.
                        Err(sqlx::Error::PoolClosed) => return,
                        Err(e) => {
                            // The listener reconnects on its next call;
                            // meanwhile polling carries on.
                            tracing::warn!(error = %e, "revision listener lost its connection");
                            tokio::time::sleep(poll).await;
                        }
                    },
                }
                match store.revisions().await {
                    Ok(now) => {
                        tx.send_if_modified(|seen| {
                            let changed = *seen != now;
                            *seen = now;
                            changed
                        });
                    }
                    Err(StoreError::Database(sqlx::Error::PoolClosed)) => return,
                    Err(e) => tracing::warn!(error = %e, "cannot read revisions"),
                }
            }
        });
        Ok(rx)
    }
}
