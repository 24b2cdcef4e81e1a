//! Webhook delivery: due deliveries are claimed with a lease, sent through
//! the pinned client, and rescheduled on the retry schedule (with ±20 %
//! jitter) until a 2xx, a 410, or the end of the schedule.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use myqa_store::{AttemptResult, Delivery, Events, Store};
use myqa_webhook::WebhookClient;
use rand::RngExt;
use tokio::sync::watch;

use crate::WorkerSettings;

/// Deliveries in flight at once per process.
const CONCURRENT_DELIVERIES: usize = 16;
/// The 10 s request timeout plus a margin: a live deliverer never loses its
/// lease, and a dead one's delivery is sent again within 15 s.
const DELIVERY_LEASE: chrono::Duration = chrono::Duration::seconds(15);

pub(crate) async fn run(
    store: Store,
    client: WebhookClient,
    settings: Arc<WorkerSettings>,
    worker: String,
    stop: watch::Receiver<bool>,
    heartbeat: myqa_core::liveness::Heartbeat,
) {
    crate::claim_loop(
        "webhook deliveries",
        &store,
        Events::delivery_due_signal,
        CONCURRENT_DELIVERIES,
        settings.poll,
        stop,
        heartbeat,
        || {
            let now = Utc::now();
            store.claim_delivery(&worker, now, now + DELIVERY_LEASE)
        },
        |delivery| {
            let (store, client, settings, worker) = (
                store.clone(),
                client.clone(),
                settings.clone(),
                worker.clone(),
            );
            async move { deliver(&store, &client, &settings, &worker, delivery).await }
        },
    )
    .await
}

async fn deliver(
    store: &Store,
    client: &WebhookClient,
    settings: &WorkerSettings,
    worker: &str,
    d: Delivery,
) {
    let attempted_at = myqa_core::time::now();
    let report = client
        .send(
            &d.url,
            &d.id,
            d.secret.as_deref(),
            &d.payload,
            attempted_at.timestamp(),
        )
        .await;
    let attempt = d.attempts + 1;
    let result = if report.is_success() {
        AttemptResult::Delivered
    } else if report.is_gone() {
        AttemptResult::GaveUp
    } else {
        match settings.retry_schedule.get((attempt - 1) as usize) {
            Some(delay) => AttemptResult::RetryAt(
                attempted_at + chrono::Duration::from_std(jittered(*delay)).unwrap_or_default(),
            ),
            None => AttemptResult::GaveUp,
        }
    };
    crate::metrics::webhook_attempt(if report.is_success() {
        "delivered"
    } else if report.blocked {
        "blocked"
    } else if report.is_gone() {
        "gone"
    } else if matches!(result, AttemptResult::RetryAt(_)) {
        "failed_retryable"
    } else {
        "failed_final"
    });
    tracing::info!(
        job_id = %d.job_id,
        webhook_id = %d.id,
        attempt,
        status = report.status,
        error = report.error.as_deref(),
        outcome = ?result,
        "webhook attempt"
    );
    if let Err(e) = store
        .record_delivery_attempt(
            &d.id,
            worker,
            attempted_at,
            report.status,
            report.error.as_deref(),
            result,
        )
        .await
    {
        // The lease lapses and the delivery is tried again: a duplicate with
        // the same webhook-id, which receivers de-duplicate.
        tracing::error!(error = %e, webhook_id = %d.id, "cannot record webhook attempt");
    }
}

/// `delay` ± 20 %, so that retries of many deliveries spread out.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(rand::rng().random_range(0.8..=1.2))
}
