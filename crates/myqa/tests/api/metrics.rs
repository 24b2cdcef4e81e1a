//! `GET /metrics` over real HTTP: the Prometheus text moves as jobs run.
//!
//! Every in-process application of this test binary records into the one
//! process-wide recorder, so its series are compared as increases between two
//! scrapes, never as values. The job figures (`myqa_jobs`, the queue) are read
//! from the scraped application's own database, so those are exact.

use std::collections::BTreeMap;
use std::time::Duration;

use myqa::cli::Role;
use myqa::serve::Overrides;
use serde_json::{Value, json};

use crate::captureiq::AUDIT;
use crate::support::{Backend, Receiver, TestApp, assert_error, eventually, on_both_backends};

const CAPTURE: &str = "/api/v1/captureiq/analyze";
const SNAP: &str = "/api/v1/snapreport/analyze";
const EVIDENCE: &str = "Pest control: bait station N-04 showed rodent droppings on three visits in a row; no extra treatment or investigation recorded by the contractor or the site.";

/// One sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// A scrape, parsed just enough: samples, and the `# TYPE` lines.
struct Scrape {
    samples: Vec<Sample>,
    text: String,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let samples = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| parse_sample(l).unwrap_or_else(|| panic!("unparsable sample: {l}")))
            .collect();
        Scrape { samples, text }
    }

    /// The sum of the samples of `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|(_, _, v)| v).sum()
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&str, &str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).is_some_and(|have| have == v))
        })
    }

    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        assert!(
            self.has(name, labels),
            "no {name} {labels:?} in\n{}",
            self.text
        );
        self.sum(name, labels)
    }
}

/// `name{k="v",…} value` or `name value`.
fn parse_sample(line: &str) -> Option<Sample> {
    let (head, value) = line.rsplit_once(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    let Some((name, rest)) = head.split_once('{') else {
        return Some((head.to_owned(), BTreeMap::new(), value));
    };
    let mut labels = BTreeMap::new();
    let mut rest = rest.strip_suffix('}')?;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let mut text = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (_, '\\') => match chars.next()?.1 {
                    'n' => text.push('\n'),
                    c => text.push(c),
                },
                (i, '"') => break i,
                (_, c) => text.push(c),
            }
        };
        labels.insert(key.to_owned(), text);
        rest = after[end + 1..].trim_start_matches(',');
    }
    Some((name.to_owned(), labels, value))
}

async fn scrape(app: &TestApp) -> Scrape {
    // No key: like /healthz.
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape::parse(response.text().await.unwrap())
}

/// Fails unless `name{labels}` grew by at least `by` between two scrapes.
fn assert_grew(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)], by: f64) {
    let (was, is) = (before.sum(name, labels), after.value(name, labels));
    assert!(
        is - was >= by,
        "{name} {labels:?} went from {was} to {is}, expected at least +{by}"
    );
}

async fn submit_async(app: &TestApp, key: &str, path: &str, mut body: Value, hook: &str) -> String {
    body["callback_url"] = Value::from(hook);
    body["callback_secret"] = Value::from("metrics-test-callback-secret");
    let response = app.post_json(path, key, &body).await;
    assert_eq!(response.status(), 202);
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn usage(data: &Value) -> (f64, f64) {
    (
        data["coins_charged"].as_f64().unwrap(),
        data["token_usage"]["input_tokens"].as_f64().unwrap(),
    )
}

async fn series_move_as_jobs_run(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |c| {
        c.allow_insecure_callbacks = true;
        c.webhook_retry_schedule = vec![Duration::from_millis(200); 3];
    })
    .await;
    let key = app.full_key().await;
    let receiver = Receiver::start(&[]).await;
    let before = scrape(&app).await;
    assert!(before.text.contains("# TYPE myqa_queue_depth gauge"));

    let capture = json!({"transcript": AUDIT});
    let snap = json!({"standard_id": "BRCGS", "evidence": [{"type": "text", "content": EVIDENCE}]});
    let (mut coins, mut tokens) = (0.0, 0.0);
    for (path, body) in [(CAPTURE, &capture), (SNAP, &snap)] {
        let response = app.post_json(path, &key, body).await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        let (c, t) = usage(&answer["data"]);
        coins += c;
        tokens += t;
    }
    let locations = [
        submit_async(&app, &key, CAPTURE, capture.clone(), &receiver.url("/c")).await,
        submit_async(&app, &key, SNAP, snap.clone(), &receiver.url("/s")).await,
    ];
    let mut job_ids = Vec::new();
    for location in &locations {
        let document: Value = eventually(60, || async {
            let d: Value = app.get(location, Some(&key)).await.json().await.unwrap();
            (d["webhook"]["status"] == "delivered").then_some(d)
        })
        .await;
        assert_eq!(document["status"], "completed");
        let (c, t) = usage(&document["data"]);
        coins += c;
        tokens += t;
        job_ids.push(document["job_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(app.get("/no/such/route", None).await.status(), 404);
    let after = scrape(&app).await;

    // Requests, by route template and status.
    let requests = "myqa_http_requests_total";
    for (route, status, n) in [
        (CAPTURE, "200", 1.0),
        (CAPTURE, "202", 1.0),
        (SNAP, "200", 1.0),
        (SNAP, "202", 1.0),
    ] {
        let labels = [("route", route), ("method", "POST"), ("status", status)];
        assert_grew(&before, &after, requests, &labels, n);
    }
    let polled = [
        ("route", "/api/v1/captureiq/jobs/{job_id}"),
        ("status", "200"),
    ];
    assert_grew(&before, &after, requests, &polled, 1.0);
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert_grew(&before, &after, requests, &unmatched, 1.0);
    for id in &job_ids {
        assert!(
            !after.text.contains(id.as_str()),
            "a raw path became a label"
        );
    }
    assert!(
        after
            .text
            .contains("# TYPE myqa_http_request_duration_seconds histogram")
    );
    let timed = [("route", CAPTURE), ("method", "POST")];
    assert_grew(
        &before,
        &after,
        "myqa_http_request_duration_seconds_count",
        &timed,
        2.0,
    );
    assert!(after.has(
        "myqa_http_request_duration_seconds_bucket",
        &[("route", CAPTURE), ("le", "+Inf")]
    ));

    // Jobs, coins, providers, webhooks.
    for product in ["captureiq", "snapreport"] {
        let done = [("product", product), ("outcome", "completed")];
        assert_grew(&before, &after, "myqa_jobs_finished_total", &done, 2.0);
        assert_grew(
            &before,
            &after,
            "myqa_job_duration_seconds_count",
            &done,
            2.0,
        );
    }
    let charged =
        after.value("myqa_coins_charged_total", &[]) - before.sum("myqa_coins_charged_total", &[]);
    assert!(
        charged >= coins,
        "coins charged +{charged}, our jobs cost {coins}"
    );
    assert!(coins > 0.0);
    for kind in ["capture", "grading"] {
        let ok = [("provider", "local"), ("kind", kind), ("outcome", "ok")];
        assert_grew(&before, &after, "myqa_provider_calls_total", &ok, 2.0);
        let timed = [("provider", "local"), ("kind", kind)];
        assert_grew(
            &before,
            &after,
            "myqa_provider_call_duration_seconds_count",
            &timed,
            2.0,
        );
    }
    let input = [("provider", "local"), ("direction", "input")];
    assert_grew(
        &before,
        &after,
        "myqa_provider_tokens_total",
        &input,
        tokens,
    );
    let delivered = [("outcome", "delivered")];
    assert_grew(
        &before,
        &after,
        "myqa_webhook_attempts_total",
        &delivered,
        2.0,
    );

    // Workers and this database's jobs (the sync ones are deleted once answered).
    assert!(after.value("myqa_worker_slots", &[]) >= 2.0);
    assert!(after.has("myqa_worker_busy", &[]));
    assert_eq!(after.value("myqa_jobs", &[("state", "completed")]), 2.0);
    assert_eq!(after.value("myqa_queue_depth", &[]), 0.0);
    assert_eq!(after.value("myqa_queue_oldest_age_seconds", &[]), 0.0);
}

async fn queue_figures_follow_the_database(backend: Backend) {
    // An API without workers: jobs wait in the queue.
    let mut app = TestApp::spawn_with(backend, |_| {}, Role::Api, Overrides::default()).await;
    let key = app.full_key().await;
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url(CAPTURE))
            .bearer_auth(&key)
            .header("prefer", "respond-async")
            .json(&json!({"transcript": AUDIT}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let waiting = scrape(&app).await;
    assert_eq!(waiting.value("myqa_queue_depth", &[]), 2.0);
    assert_eq!(waiting.value("myqa_jobs", &[("state", "queued")]), 2.0);
    assert_eq!(waiting.value("myqa_jobs", &[("state", "completed")]), 0.0);
    let age = waiting.value("myqa_queue_oldest_age_seconds", &[]);
    assert!(age > 0.0 && age < 60.0, "oldest queued job is {age} s old");

    app.start_workers();
    let drained = eventually(60, || async {
        let now = scrape(&app).await;
        (now.value("myqa_jobs", &[("state", "completed")]) == 2.0).then_some(now)
    })
    .await;
    assert_eq!(drained.value("myqa_queue_depth", &[]), 0.0);
    assert_eq!(drained.value("myqa_jobs", &[("state", "queued")]), 0.0);
    assert_eq!(drained.value("myqa_queue_oldest_age_seconds", &[]), 0.0);
}

async fn worker_processes_serve_metrics_and_operators_can_turn_them_off(backend: Backend) {
    let worker = TestApp::spawn_with(backend, |_| {}, Role::Worker, Overrides::default()).await;
    let scraped = scrape(&worker).await;
    assert!(scraped.has("myqa_queue_depth", &[]));

    let off = TestApp::spawn_configured(backend, |c| c.metrics_enabled = false).await;
    assert_error(off.get("/metrics", None).await, 404, "NOT_FOUND").await;
}

on_both_backends!(
    series_move_as_jobs_run,
    queue_figures_follow_the_database,
    worker_processes_serve_metrics_and_operators_can_turn_them_off,
);

#[test]
fn samples_parse() {
    let (name, labels, value) =
        parse_sample(r#"myqa_x_bucket{route="/a/{id}",le="+Inf",q="a\"b"} 3"#).unwrap();
    assert_eq!(name, "myqa_x_bucket");
    assert_eq!(labels["route"], "/a/{id}");
    assert_eq!(labels["le"], "+Inf");
    assert_eq!(labels["q"], "a\"b");
    assert_eq!(value, 3.0);
    assert_eq!(parse_sample("myqa_queue_depth 0").unwrap().2, 0.0);
}
