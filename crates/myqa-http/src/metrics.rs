//! Prometheus metrics: the process-wide recorder, `GET /metrics`, and the
//! middleware counting requests.
//!
//! Code anywhere in the process records through the `metrics` facade
//! (`counter!`, `gauge!`, `histogram!`); without an installed recorder those
//! calls do nothing. [`install`] installs one recorder per process, at most
//! once, whichever router asks first — several applications in one process
//! (the test harness) share it. The job figures describe the shared database:
//! each scrape reads them from its application's database and appends them to
//! what the recorder renders, so they are never stale nor another
//! application's.
//!
//! `route` labels are route templates (`/api/v1/captureiq/jobs/{job_id}`),
//! never raw paths, so ids cannot multiply the series.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use myqa_core::ErrorCode;
use myqa_store::JobStats;

use crate::error::ApiError;
use crate::state::AppState;

/// The exposition format Prometheus scrapes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Histogram buckets, in seconds, for every duration series: from a cached
/// key check to a multi-hour recording's job.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
];

/// How often histogram samples are folded into their buckets when nobody
/// scrapes (a scrape does it too), so memory stays flat.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// How long a scrape waits for the database's job figures.
const STATS_TIMEOUT: Duration = Duration::from_secs(2);

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder for the whole process, once; later calls
/// return the same handle. `None` when another recorder was installed first
/// (an embedding program's): `/metrics` then answers 503.
pub fn install() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .expect("the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics cannot render it");
                return None;
            }
            describe();
            // A thread, not a task: the recorder outlives any one runtime.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_INTERVAL);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
            }
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    describe_counter!(
        "myqa_http_requests_total",
        "HTTP requests answered, by route template, method and status."
    );
    describe_histogram!(
        "myqa_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (until the response head), by route template and method."
    );
    describe_gauge!(
        "myqa_http_requests_in_flight",
        "HTTP requests being answered by this process."
    );
}

/// Prometheus metrics of this process, and the job queue of its database.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4: requests by route and status, latency histograms, jobs by state, queue depth and the oldest queued job's age, worker utilisation, webhook attempts by outcome, provider calls, latency and tokens, coins charged. Without authentication; disabled with `metrics_enabled = false` (then 404).", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 404, description = "`NOT_FOUND`: metrics are disabled on this server.", body = crate::error::ErrorEnvelope),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a program embedding MyQA installed its own metrics recorder.", body = crate::error::ErrorEnvelope),
    ))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    if !state.settings.metrics_enabled {
        return ApiError::not_found("No route matches `/metrics`.").into_response();
    }
    let Some(handle) = RECORDER.get().and_then(Option::as_ref) else {
        return ApiError::new(
            ErrorCode::ServiceUnavailable,
            "Metrics are not available in this process.",
        )
        .into_response();
    };
    let mut text = handle.render();
    // A database that does not answer costs the job figures, not the scrape.
    match tokio::time::timeout(STATS_TIMEOUT, state.store.job_stats()).await {
        Ok(Ok(stats)) => text.push_str(&render_job_stats(&stats, Utc::now())),
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: cannot read job figures"),
        Err(_) => tracing::warn!("metrics: reading job figures timed out"),
    }
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// The database's job figures as Prometheus gauges.
fn render_job_stats(stats: &JobStats, now: DateTime<Utc>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    out.push_str(
        "# HELP myqa_jobs Jobs in the database by state (finished ones until purged); database-wide.\n\
         # TYPE myqa_jobs gauge\n",
    );
    for (state, n) in &stats.by_state {
        let _ = writeln!(out, "myqa_jobs{{state=\"{}\"}} {n}", state.as_str());
    }
    out.push_str(
        "# HELP myqa_queue_depth Jobs queued and waiting for a worker; database-wide.\n\
         # TYPE myqa_queue_depth gauge\n",
    );
    let _ = writeln!(out, "myqa_queue_depth {}", stats.queued());
    let age = stats
        .oldest_queued_at
        .map_or(0.0, |at| (now - at).as_seconds_f64().max(0.0));
    out.push_str(
        "# HELP myqa_queue_oldest_age_seconds Age of the oldest queued job (0 when none waits); database-wide.\n\
         # TYPE myqa_queue_oldest_age_seconds gauge\n",
    );
    let _ = writeln!(out, "myqa_queue_oldest_age_seconds {age}");
    out
}

/// Counts every request by its route template, method and status, and times
/// it. Sits inside the request context, so 404s, 405s and panics (500) are
/// counted too.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let _in_flight = InFlight::enter();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    counter!("myqa_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    histogram!("myqa_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed());
    response
}

/// A known method's name; anything else is `other`, so a client inventing
/// methods cannot create series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a request in flight until dropped (also when the client goes away
/// and its handler is dropped).
struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        gauge!("myqa_http_requests_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        gauge!("myqa_http_requests_in_flight").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_figures_render_as_gauges() {
        use myqa_core::job::JobState;
        let now = Utc::now();
        let stats = JobStats {
            by_state: vec![(JobState::Queued, 3), (JobState::Running, 1)],
            oldest_queued_at: Some(now - chrono::Duration::milliseconds(2500)),
        };
        let text = render_job_stats(&stats, now);
        assert!(text.contains("myqa_jobs{state=\"queued\"} 3\n"), "{text}");
        assert!(text.contains("myqa_jobs{state=\"running\"} 1\n"), "{text}");
        assert!(text.contains("myqa_queue_depth 3\n"), "{text}");
        assert!(
            text.contains("myqa_queue_oldest_age_seconds 2.5\n"),
            "{text}"
        );
        let idle = JobStats {
            by_state: vec![(JobState::Queued, 0)],
            oldest_queued_at: None,
        };
        assert!(render_job_stats(&idle, now).contains("myqa_queue_oldest_age_seconds 0\n"));
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
