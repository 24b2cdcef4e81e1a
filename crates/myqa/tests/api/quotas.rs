//! Per-key quotas (SPEC §10): requests per minute and concurrent jobs, set
//! with `myqa admin key create/update`, refused with 429 `RATE_LIMITED`,
//! `Retry-After` and the `RateLimit-*` headers, and shared by every server
//! on one database.
//!
//! Minute windows are real UTC minutes, so a boundary can fall between two
//! requests of a test; the tests notice it from `RateLimit-Reset` (which
//! only ever decreases within a window) and start over in the new minute.

use myqa::cli::Role;
use myqa::serve::Overrides;
use myqa_core::Permission;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::captureiq::AUDIT;
use crate::support::{
    Backend, ServerProcess, TestApp, assert_error, cli_command, eventually, on_both_backends,
    raw_db,
};

const ANALYZE: &str = "/api/v1/captureiq/analyze";

/// Attempts at a request sequence before a minute boundary is blamed twice.
const ATTEMPTS: usize = 3;

/// An app without workers: accepted async jobs stay queued.
async fn api_only(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |_| {}, Role::Api, Overrides::default()).await
}

/// A new unlimited-coins organisation, by name.
async fn new_org(app: &TestApp) -> String {
    let name = format!("org-{}", Uuid::new_v4());
    app.cli_json(&["admin", "org", "create", "--name", &name, "--unlimited"])
        .await;
    name
}

/// `myqa admin key create` with `extra` flags: the printed key document.
async fn new_key(app: &TestApp, org: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "admin",
        "key",
        "create",
        "--org",
        org,
        "--name",
        "quota test",
        "--permission",
        "captureiq:analyze",
    ];
    args.extend_from_slice(extra);
    app.cli_json(&args).await
}

fn raw(key: &Value) -> String {
    key["key"].as_str().unwrap().to_owned()
}

/// An async CaptureIQ call to `url` (a job that stays queued without workers).
async fn submit(client: &reqwest::Client, url: String, key: &str) -> reqwest::Response {
    client
        .post(url)
        .bearer_auth(key)
        .header("prefer", "respond-async")
        .json(&json!({ "transcript": AUDIT }))
        .send()
        .await
        .expect("request reaches the server")
}

/// A sync CaptureIQ call.
async fn submit_sync(app: &TestApp, key: &str) -> reqwest::Response {
    app.post_json(ANALYZE, key, &json!({ "transcript": AUDIT }))
        .await
}

fn header(response: &reqwest::Response, name: &str) -> Option<u32> {
    response.headers().get(name).map(|v| {
        v.to_str()
            .unwrap()
            .parse()
            .expect("a whole number of seconds")
    })
}

/// `RateLimit-Reset` of each response.
fn resets(responses: &[reqwest::Response]) -> Vec<u32> {
    responses
        .iter()
        .map(|r| header(r, "ratelimit-reset").expect("RateLimit-Reset"))
        .collect()
}

/// True when a minute boundary fell between these responses: the window's
/// remaining time went up.
fn window_rolled_over(resets: &[u32]) -> bool {
    resets.windows(2).any(|pair| pair[1] > pair[0])
}

/// Checks a 429 for a quota of `limit` and returns (Retry-After, body).
async fn assert_rate_limited(response: reqwest::Response, limit: u32) -> (u32, Value) {
    let retry_after = header(&response, "retry-after").expect("Retry-After");
    assert!(retry_after >= 1, "Retry-After {retry_after}");
    assert_eq!(header(&response, "ratelimit-limit"), Some(limit));
    assert_eq!(header(&response, "ratelimit-remaining"), Some(0));
    let reset = header(&response, "ratelimit-reset").expect("RateLimit-Reset");
    assert_eq!(
        reset, retry_after,
        "the quota has room again when a retry is due"
    );
    let body = assert_error(response, 429, "RATE_LIMITED").await;
    assert_eq!(body["error"]["details"]["limit"], limit, "{body}");
    (retry_after, body)
}

async fn requests_per_minute_are_limited_with_headers(backend: Backend) {
    let app = api_only(backend).await;
    let org = new_org(&app).await;
    let unlimited = new_key(&app, &org, &[]).await;
    for attempt in 1..=ATTEMPTS {
        let key = new_key(&app, &org, &["--rate-limit-rpm", "3"]).await;
        assert_eq!(key["rate_limit_rpm"], 3, "{key}");
        assert!(key["max_concurrent_jobs"].is_null(), "{key}");
        let mut responses = Vec::new();
        for _ in 0..4 {
            responses.push(submit(&app.client, app.url(ANALYZE), &raw(&key)).await);
        }
        let resets = resets(&responses);
        if window_rolled_over(&resets) {
            assert!(attempt < ATTEMPTS, "a minute boundary in every attempt");
            continue;
        }
        let refused = responses.pop().unwrap();
        for (i, accepted) in responses.iter().enumerate() {
            assert_eq!(accepted.status(), 202, "request {}", i + 1);
            assert_eq!(header(accepted, "ratelimit-limit"), Some(3));
            assert_eq!(header(accepted, "ratelimit-remaining"), Some(2 - i as u32));
            assert!(
                (1..=60).contains(&resets[i]),
                "RateLimit-Reset {}",
                resets[i]
            );
        }
        let (retry_after, body) = assert_rate_limited(refused, 3).await;
        assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
        assert_eq!(
            body["error"]["message"],
            format!("This API key allows 3 requests per minute; retry in {retry_after} s.")
        );
        assert_eq!(body["error"]["details"]["quota"], "requests_per_minute");

        // Another key of the same organisation is not affected, and an
        // unlimited key's responses carry no RateLimit headers.
        let other = submit(&app.client, app.url(ANALYZE), &raw(&unlimited)).await;
        assert_eq!(other.status(), 202);
        assert!(other.headers().get("ratelimit-limit").is_none());
        // Reads are not counted.
        let standards = app.get("/api/v1/standards", Some(&raw(&key))).await;
        assert_eq!(standards.status(), 200);
        assert!(standards.headers().get("ratelimit-limit").is_none());
        // Refused requests were not counted: the window holds three.
        let db = raw_db(&app).await;
        let key_id = Uuid::parse_str(key["id"].as_str().unwrap()).unwrap();
        let counted = db
            .scalar(&format!(
                "SELECT COALESCE(MAX(requests), 0) FROM rate_windows WHERE key_id = {}",
                db.id(key_id)
            ))
            .await;
        assert_eq!(counted, 3, "the refused request is not counted");
        break;
    }
}

async fn requests_per_minute_are_shared_by_servers(backend: Backend) {
    let app = api_only(backend).await;
    // A second API process on the same database.
    let other = ServerProcess::start(cli_command(&app.config), &["--role", "api"]).await;
    let org = new_org(&app).await;
    let urls = [app.url(ANALYZE), other.url(ANALYZE)];
    for attempt in 1..=ATTEMPTS {
        let key = raw(&new_key(&app, &org, &["--rate-limit-rpm", "4"]).await);
        let mut responses = Vec::new();
        for i in 0..6 {
            responses.push(submit(&app.client, urls[i % 2].clone(), &key).await);
        }
        let resets = resets(&responses);
        if window_rolled_over(&resets) {
            assert!(attempt < ATTEMPTS, "a minute boundary in every attempt");
            continue;
        }
        let refused: Vec<_> = responses.drain(4..).collect();
        for (i, accepted) in responses.iter().enumerate() {
            assert_eq!(accepted.status(), 202, "request {}", i + 1);
            assert_eq!(header(accepted, "ratelimit-remaining"), Some(3 - i as u32));
        }
        // Whichever server is asked, the minute's four requests are spent.
        for response in refused {
            assert_rate_limited(response, 4).await;
        }
        break;
    }
    other.stop().await;
}

async fn concurrent_jobs_are_limited_until_a_job_ends(backend: Backend) {
    let mut app = api_only(backend).await;
    let org = new_org(&app).await;
    let key = new_key(&app, &org, &["--max-concurrent-jobs", "1"]).await;
    assert_eq!(key["max_concurrent_jobs"], 1, "{key}");
    let key = raw(&key);

    let first = submit(&app.client, app.url(ANALYZE), &key).await;
    assert_eq!(first.status(), 202);
    assert!(
        first.headers().get("ratelimit-limit").is_none(),
        "no per-minute limit, no RateLimit headers on success"
    );
    let location = first.headers()["location"].to_str().unwrap().to_owned();

    // The first job stays queued (no workers): async and sync calls wait.
    for response in [
        submit(&app.client, app.url(ANALYZE), &key).await,
        submit_sync(&app, &key).await,
    ] {
        let (retry_after, body) = assert_rate_limited(response, 1).await;
        assert_eq!(retry_after, 5);
        assert_eq!(
            body["error"]["message"],
            "This API key allows 1 concurrent job; 1 is running or queued."
        );
        assert_eq!(body["error"]["details"]["quota"], "concurrent_jobs");
        assert_eq!(body["error"]["details"]["active"], 1);
    }

    app.start_workers();
    eventually(30, || async {
        let document: Value = app.get(&location, Some(&key)).await.json().await.unwrap();
        (document["status"] != "processing").then_some(())
    })
    .await;
    let again = submit_sync(&app, &key).await;
    assert_eq!(again.status(), 200, "a slot is free once the job ended");
}

async fn concurrent_submissions_cannot_exceed_the_limit(backend: Backend) {
    // Requests admitted together are counted again when their jobs are
    // enqueued, one at a time: exactly the limit gets through.
    let app = api_only(backend).await;
    let org = new_org(&app).await;
    let key = raw(&new_key(&app, &org, &["--max-concurrent-jobs", "2"]).await);
    let responses =
        futures_util::future::join_all((0..6).map(|_| submit(&app.client, app.url(ANALYZE), &key)))
            .await;
    let mut accepted = 0;
    for response in responses {
        if response.status() == 202 {
            accepted += 1;
        } else {
            assert_rate_limited(response, 2).await;
        }
    }
    assert_eq!(accepted, 2);
}

async fn key_update_changes_limits_on_a_running_server(backend: Backend) {
    let app = api_only(backend).await;
    let org = new_org(&app).await;
    let created = new_key(&app, &org, &[]).await;
    assert!(created["rate_limit_rpm"].is_null() && created["max_concurrent_jobs"].is_null());
    let (id, key) = (created["id"].as_str().unwrap().to_owned(), raw(&created));
    // The server caches the key, limits and all.
    assert_eq!(
        submit(&app.client, app.url(ANALYZE), &key).await.status(),
        202
    );

    let updated = app
        .cli_json(&["admin", "key", "update", &id, "--rate-limit-rpm", "1"])
        .await;
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["rate_limit_rpm"], 1);
    assert!(updated["max_concurrent_jobs"].is_null());
    // Within moments the running server refuses the minute's second request.
    let refused = eventually(30, || async {
        let response = submit(&app.client, app.url(ANALYZE), &key).await;
        (response.status() == 429).then_some(response)
    })
    .await;
    assert_rate_limited(refused, 1).await;

    let listed = app.cli_json(&["admin", "key", "list", "--org", &org]).await;
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["rate_limit_rpm"], 1);

    // Trade the per-minute limit for a concurrency limit: the queued jobs
    // (no workers) fill it.
    let updated = app
        .cli_json(&[
            "admin",
            "key",
            "update",
            &id,
            "--no-rate-limit",
            "--max-concurrent-jobs",
            "1",
        ])
        .await;
    assert!(updated["rate_limit_rpm"].is_null(), "{updated}");
    assert_eq!(updated["max_concurrent_jobs"], 1);
    let (headers, body) = eventually(30, || async {
        let response = submit(&app.client, app.url(ANALYZE), &key).await;
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap();
        (body["error"]["details"]["quota"] == "concurrent_jobs").then_some((headers, body))
    })
    .await;
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    for (name, value) in [
        ("retry-after", "5"),
        ("ratelimit-limit", "1"),
        ("ratelimit-remaining", "0"),
        ("ratelimit-reset", "5"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    assert!(
        body["error"]["details"]["active"].as_i64().unwrap() >= 2,
        "{body}"
    );

    // Unlimited again.
    let updated = app
        .cli_json(&["admin", "key", "update", &id, "--no-concurrency-limit"])
        .await;
    assert!(updated["max_concurrent_jobs"].is_null(), "{updated}");
    eventually(30, || async {
        let response = submit(&app.client, app.url(ANALYZE), &key).await;
        (response.status() == 202).then_some(())
    })
    .await;

    // Rotation keeps the limits.
    app.cli_json(&["admin", "key", "update", &id, "--rate-limit-rpm", "7"])
        .await;
    let rotated = app.cli_json(&["admin", "key", "rotate", &id]).await;
    assert_eq!(rotated["rate_limit_rpm"], 7, "{rotated}");
    assert!(rotated["max_concurrent_jobs"].is_null());

    // Mistakes are refused with a message and change nothing.
    let unknown = Uuid::new_v4().to_string();
    for (args, says) in [
        (vec!["admin", "key", "update", &id], "required"),
        (
            vec!["admin", "key", "update", &id, "--rate-limit-rpm", "0"],
            "0",
        ),
        (
            vec![
                "admin",
                "key",
                "update",
                &id,
                "--rate-limit-rpm",
                "5",
                "--no-rate-limit",
            ],
            "cannot be used with",
        ),
        (
            vec!["admin", "key", "update", &unknown, "--rate-limit-rpm", "5"],
            "no API key",
        ),
        (
            vec![
                "admin",
                "key",
                "create",
                "--org",
                &org,
                "--name",
                "x",
                "--permission",
                "captureiq:analyze",
                "--max-concurrent-jobs",
                "-1",
            ],
            "-1",
        ),
    ] {
        let output = app.cli().args(&args).output().await.unwrap();
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let key = app
        .store
        .api_key(Uuid::parse_str(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key.rate_limit_rpm, Some(7));
}

async fn rate_windows_count_each_minute_apart(backend: Backend) {
    let app = api_only(backend).await;
    let org = app.create_org(&format!("org-{}", Uuid::new_v4())).await;
    let (key, _) = app.create_key(org.id, &Permission::ALL, &[]).await;
    let minute = 60 * 29_000_000;
    let store = &app.store;
    assert_eq!(
        store.count_request(key.id, minute, 2).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        store.count_request(key.id, minute, 2).await.unwrap(),
        Some(2)
    );
    assert_eq!(store.count_request(key.id, minute, 2).await.unwrap(), None);
    assert_eq!(store.count_request(key.id, minute, 2).await.unwrap(), None);
    let db = raw_db(&app).await;
    let rows = format!(
        "SELECT COUNT(*) FROM rate_windows WHERE key_id = {}",
        db.id(key.id)
    );
    let counted = format!(
        "SELECT requests FROM rate_windows WHERE key_id = {} AND window_start = {minute}",
        db.id(key.id)
    );
    assert_eq!(db.scalar(&counted).await, 2, "refusals are not counted");
    // A raised limit admits more in the same window.
    assert_eq!(
        store.count_request(key.id, minute, 3).await.unwrap(),
        Some(3)
    );
    // The next minute starts from one and sweeps the key's older windows.
    assert_eq!(
        store.count_request(key.id, minute + 60, 2).await.unwrap(),
        Some(1)
    );
    assert_eq!(db.scalar(&rows).await, 1);
    assert_eq!(store.active_jobs(key.id).await.unwrap(), 0);
}

on_both_backends!(
    requests_per_minute_are_limited_with_headers,
    requests_per_minute_are_shared_by_servers,
    concurrent_jobs_are_limited_until_a_job_ends,
    concurrent_submissions_cannot_exceed_the_limit,
    key_update_changes_limits_on_a_running_server,
    rate_windows_count_each_minute_apart,
);
