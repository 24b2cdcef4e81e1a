//! Wake-ups between the parts of the service: a job was queued, a job
//! finished, a webhook delivery fell due, a revision changed.
//!
//! Store methods raise them in-process after their transaction commits; on
//! PostgreSQL they also `NOTIFY` inside the transaction, and one listener per
//! process turns notifications from other processes into the same events.
//! Everyone who waits also polls, so a lost wake-up costs latency, never
//! correctness.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::futures::Notified;
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

pub(crate) const JOBS_QUEUED: &str = "myqa_jobs_queued";
pub(crate) const JOB_FINISHED: &str = "myqa_job_finished";
pub(crate) const DELIVERY_DUE: &str = "myqa_delivery_due";
pub(crate) const REVISIONS: &str = "myqa_revisions";

pub struct Events {
    queued: Notify,
    finished: broadcast::Sender<Uuid>,
    delivery_due: Notify,
    revisions: Notify,
    listening: tokio::sync::OnceCell<()>,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            queued: Notify::new(),
            // Waiters that lag behind re-read the database; see `JobWatch`.
            finished: broadcast::channel(1024).0,
            delivery_due: Notify::new(),
            revisions: Notify::new(),
            listening: tokio::sync::OnceCell::new(),
        }
    }
}

impl Events {
    pub(crate) fn job_queued(&self) {
        self.queued.notify_waiters();
    }

    pub(crate) fn job_finished(&self, id: Uuid) {
        let _ = self.finished.send(id);
    }

    pub(crate) fn delivery_due(&self) {
        self.delivery_due.notify_waiters();
    }

    pub(crate) fn revisions_changed(&self) {
        self.revisions.notify_waiters();
    }

    /// Completes when a job may have been queued. Create (and `enable`) it
    /// before looking at the queue, so that a job queued in between is not
    /// missed.
    pub fn job_queued_signal(&self) -> Notified<'_> {
        self.queued.notified()
    }

    /// Completes when a webhook delivery may have fallen due; see
    /// [`Events::job_queued_signal`].
    pub fn delivery_due_signal(&self) -> Notified<'_> {
        self.delivery_due.notified()
    }

    pub(crate) async fn wait_for_revisions(&self, poll: Duration) {
        let _ = tokio::time::timeout(poll, self.revisions.notified()).await;
    }

    /// Follows finished jobs; subscribe before the job can finish.
    pub fn watch_finished(&self) -> broadcast::Receiver<Uuid> {
        self.finished.subscribe()
    }

    /// Starts (once per process) the PostgreSQL listener that turns other
    /// processes' notifications into events.
    pub(crate) async fn listen(self: &std::sync::Arc<Self>, pool: &PgPool) -> sqlx::Result<()> {
        self.listening
            .get_or_try_init(|| async {
                let mut listener = PgListener::connect_with(pool).await?;
                listener
                    .listen_all([JOBS_QUEUED, JOB_FINISHED, DELIVERY_DUE, REVISIONS])
                    .await?;
                let events = self.clone();
                tokio::spawn(async move {
                    loop {
                        match listener.recv().await {
                            Ok(n) => match n.channel() {
                                JOBS_QUEUED => events.job_queued(),
                                JOB_FINISHED => {
                                    if let Ok(id) = Uuid::parse_str(n.payload()) {
                                        events.job_finished(id);
                                    }
                                }
                                DELIVERY_DUE => events.delivery_due(),
                                REVISIONS => events.revisions_changed(),
                                _ => {}
                            },
                            // The store is closing: let go of the connection.
                            Err(sqlx::Error::PoolClosed) => return,
                            Err(e) => {
                                // The listener reconnects on its next call;
                                // polling covers the gap.
                                tracing::warn!(error = %e, "notification listener lost its connection");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                    }
                });
                Ok(())
            })
            .await
            .map(|_| ())
    }
}

/// Sends a notification inside a PostgreSQL transaction (delivered on commit);
/// a no-op on SQLite, where every waiter lives in this process.
macro_rules! pg_notify {
    ($exec:expr, $backend:expr, $channel:expr, $payload:expr) => {
        if $backend == $crate::Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind($channel)
                .bind($payload)
                .execute($exec)
                .await?;
        }
    };
}
pub(crate) use pg_notify;
