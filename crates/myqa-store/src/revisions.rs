//! Change revisions: how a server learns that another process (the admin CLI,
//! another node) revoked a key or replaced a standard, so it can drop what it
//! cached. Writers bump a counter in the same transaction as the change; on
//! PostgreSQL they also `NOTIFY`, which reaches every node at once. Servers
//! poll the counters as well, which is all SQLite has.

use std::time::Duration;

use tokio::sync::watch;

use crate::{Store, StoreError, StoreResult, on_db};

pub(crate) const KEYS: &str = "keys";
pub(crate) const STANDARDS: &str = "standards";

/// Bumps a revision inside a write transaction (`$exec` is `&mut *tx`).
macro_rules! bump_revision {
    ($exec:expr, $backend:expr, $name:expr) => {{
        sqlx::query("UPDATE revisions SET value = value + 1 WHERE name = $1")
            .bind($name)
            .execute($exec)
            .await?;
        // Delivered on commit, to every listening node.
        $crate::events::pg_notify!($exec, $backend, $crate::events::REVISIONS, $name);
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
        self.listen().await?;
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tx.closed() => return,
                    _ = store.events.wait_for_revisions(poll) => {}
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
