//! Graceful shutdown of the real binary: a SIGTERM lets the request in flight
//! finish; a job running on a stopping worker moves to another worker at
//! once instead of after its lease; at the deadline what still runs is cut
//! off cleanly; a second signal exits at once; `/readyz` turns 503 when the
//! database goes away or the process shuts down.
//!
//! The analysis runs on a fake OpenAI-compatible model that answers after a
//! fixed delay, so a job lasts as long as the test needs, whatever the load
//! of the machine.

use std::time::{Duration, Instant};

use myqa::cli::Role;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{
    Backend, ServerProcess, cli_command, eventually, fresh_setup, on_both_backends, raw_db_for,
};

const CAPTURE: &str = "/api/v1/captureiq/analyze";
const TRANSCRIPT: &str = "Auditor: The calibration certificate for the reference thermometer expired in March.\nQA Manager: I'll renew it this week.";

/// A model that takes `delay` to answer each CaptureIQ analysis.
async fn slow_model(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(move |_: &Request| {
            let answer = json!({
                "summary": "The thermometer's calibration certificate expired.",
                "observations": [{"category": "NC", "content": "The reference thermometer's calibration certificate expired in March.",
                                  "speaker": "Auditor", "quote": "expired in March"}]
            });
            ResponseTemplate::new(200)
                .set_delay(delay)
                .set_body_json(json!({
                    "id": "chatcmpl-shutdown",
                    "object": "chat.completion",
                    "created": 1_764_288_000,
                    "model": "slow-model",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.to_string()},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
                }))
        })
        .mount(&server)
        .await;
    server
}

/// `myqa serve` on the fake model, with `extra` variables.
fn server(
    config: &myqa_core::config::Config,
    model: &MockServer,
    extra: &[(&str, &str)],
) -> tokio::process::Command {
    let mut command = cli_command(config);
    command
        .env("MYQA_ANALYSIS_PROVIDER", "openai")
        .env("MYQA_ANALYSIS_BASE_URL", format!("{}/v1", model.uri()))
        .env("MYQA_ANALYSIS_API_KEY", "test-analysis-key")
        .env("MYQA_ANALYSIS_MODEL", "slow-model")
        .env("MYQA_WORKERS", "2")
        .env("MYQA_JOB_POLL_INTERVAL", "200ms");
    for (name, value) in extra {
        command.env(name, value);
    }
    command
}

/// An organisation with coins and a CaptureIQ key, made with the CLI.
async fn customer(config: &myqa_core::config::Config) -> String {
    let run = |args: &[&str]| {
        let mut command = cli_command(config);
        command.arg("--json").args(args);
        command
    };
    let output = run(&[
        "admin",
        "org",
        "create",
        "--name",
        "Shutdown Foods",
        "--coins",
        "1000000",
    ])
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run(&[
        "admin",
        "key",
        "create",
        "--org",
        "Shutdown Foods",
        "--name",
        "shutdown",
        "--permission",
        "captureiq:analyze",
    ])
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    created["key"].as_str().unwrap().to_owned()
}

/// Waits until the fake model has received `n` requests.
async fn model_called(model: &MockServer, n: usize) {
    eventually(120, || async {
        (model.received_requests().await.unwrap_or_default().len() >= n).then_some(())
    })
    .await;
}

async fn sigterm_lets_the_request_in_flight_finish(backend: Backend) {
    let (_dir, _database, config) = fresh_setup(backend).await;
    let model = slow_model(Duration::from_secs(8)).await;
    let key = customer(&config).await;
    let mut process = ServerProcess::start(
        server(&config, &model, &[("MYQA_SHUTDOWN_TIMEOUT", "120s")]),
        &[],
    )
    .await;
    let client = crate::support::http_client();
    let request = tokio::spawn(
        client
            .post(process.url(CAPTURE))
            .bearer_auth(&key)
            .json(&json!({"transcript": TRANSCRIPT, "session_type": "audit", "language": "en"}))
            .send(),
    );
    // The job runs: its analysis is waiting for the model.
    model_called(&model, 1).await;
    process.signal("TERM");
    let draining = eventually(30, || async {
        process.logged("shutting down: no new connections; draining the requests in flight")
    })
    .await;
    assert_eq!(draining["requests"], 1, "{draining}");

    // No new connections, while the request in flight goes on.
    eventually(30, || async {
        tokio::net::TcpStream::connect(process.addr)
            .await
            .is_err()
            .then_some(())
    })
    .await;
    assert!(
        !request.is_finished(),
        "the request was still in flight when the listener closed"
    );

    let response = request.await.unwrap().expect("the request is answered");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["data"]["model"], "slow-model", "{body}");

    let (status, logs) = process.wait_exit(120).await;
    assert_eq!(
        status.code(),
        Some(0),
        "a graceful shutdown exits 0: {logs:#?}"
    );
    assert!(
        process.logged("shutdown complete").is_some(),
        "the shutdown is logged: {logs:#?}"
    );
    // Finished, not cut off: nothing was released.
    assert!(
        process
            .logged("shutdown deadline passed: releasing the leases of the jobs still running")
            .is_none()
    );
    let db = raw_db_for(&config).await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM usage_records").await, 1);
}

async fn a_stopping_workers_job_moves_to_another_worker_at_once(backend: Backend) {
    let (_dir, _database, config) = fresh_setup(backend).await;
    let model = slow_model(Duration::from_secs(5)).await;
    let key = customer(&config).await;
    // A lease far longer than the test may take: a takeover can only come
    // from the release.
    let settings = [("MYQA_SHUTDOWN_TIMEOUT", "1s"), ("MYQA_JOB_LEASE", "120s")];
    let mut processes = [
        ServerProcess::start(server(&config, &model, &settings), &[]).await,
        ServerProcess::start(server(&config, &model, &settings), &[]).await,
    ];
    let client = crate::support::http_client();
    let response = client
        .post(processes[0].url(CAPTURE))
        .bearer_auth(&key)
        .header("prefer", "respond-async")
        .json(&json!({"transcript": TRANSCRIPT, "session_type": "audit", "language": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let job_id = accepted["data"]["job_id"].as_str().unwrap().to_owned();
    let id = uuid::Uuid::parse_str(&job_id).unwrap();

    // Whichever process claimed it is the one to stop.
    model_called(&model, 1).await;
    let db = raw_db_for(&config).await;
    let held_by = |pid: u32| {
        format!(
            "SELECT COUNT(*) FROM jobs WHERE id = {} AND state = 'running' AND lease_owner LIKE '{pid}-%'",
            db.id(id)
        )
    };
    let [first, second] = &mut processes;
    let (stopping, other) = if db.scalar(&held_by(first.pid())).await == 1 {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(
        db.scalar(&held_by(stopping.pid())).await,
        1,
        "one of the two processes holds the job"
    );

    stopping.signal("TERM");
    let signalled = Instant::now();
    let completed = format!(
        "SELECT COUNT(*) FROM jobs WHERE id = {} AND state = 'completed'",
        db.id(id)
    );
    eventually(110, || async {
        (db.scalar(&completed).await == 1).then_some(())
    })
    .await;
    let took = signalled.elapsed();
    assert!(
        took < Duration::from_secs(60),
        "taken over long before the 120 s lease could lapse (completed after {took:?})"
    );

    let (status, logs) = stopping.wait_exit(60).await;
    assert_eq!(status.code(), Some(0), "{logs:#?}");
    let released = stopping
        .logged("shutting down: job interrupted and its lease released for another worker")
        .unwrap_or_else(|| panic!("the release is logged: {logs:#?}"));
    assert_eq!(released["span"]["job_id"], job_id, "{released}");
    let finished = eventually(30, || async { other.logged("job finished") }).await;
    assert_eq!(finished["span"]["job_id"], job_id, "{finished}");

    // Charged once; the interrupted attempt does not count.
    let job = db.id(id);
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM usage_records WHERE job_id = {job}"
        ))
        .await,
        1
    );
    assert_eq!(
        db.scalar(&format!("SELECT attempts FROM jobs WHERE id = {job}"))
            .await,
        1
    );
    // The other process answers for the job.
    let document: Value = client
        .get(other.url(&format!("/api/v1/captureiq/jobs/{job_id}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["status"], "completed", "{document}");
    let [first, second] = processes;
    first.stop().await;
    second.stop().await;
}

async fn the_deadline_cuts_off_what_is_still_running(backend: Backend) {
    let (_dir, _database, config) = fresh_setup(backend).await;
    let model = slow_model(Duration::from_secs(90)).await;
    let key = customer(&config).await;
    let mut process = ServerProcess::start(
        server(&config, &model, &[("MYQA_SHUTDOWN_TIMEOUT", "2s")]),
        &[],
    )
    .await;
    let client = crate::support::http_client();
    let request = tokio::spawn(
        client
            .post(process.url(CAPTURE))
            .bearer_auth(&key)
            .json(&json!({"transcript": TRANSCRIPT}))
            .send(),
    );
    model_called(&model, 1).await;
    process.signal("TERM");

    // The request is answered, not left hanging until the 90 s answer.
    let response = tokio::time::timeout(Duration::from_secs(60), request)
        .await
        .expect("answered at the deadline")
        .unwrap()
        .expect("an answer, not a broken connection");
    assert_eq!(response.headers()["retry-after"], "1");
    crate::support::assert_error(response, 503, "SERVICE_UNAVAILABLE").await;
    let (status, logs) = process.wait_exit(60).await;
    assert_eq!(status.code(), Some(0), "{logs:#?}");
    assert!(
        process
            .logged("shutdown deadline passed: answering the requests still in flight with 503")
            .is_some(),
        "{logs:#?}"
    );
    // Its client was told to send it again: the job is gone, not left for
    // another worker to run and charge.
    let db = raw_db_for(&config).await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
            .await,
        0
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM usage_records").await, 0);
}

on_both_backends!(
    sigterm_lets_the_request_in_flight_finish,
    a_stopping_workers_job_moves_to_another_worker_at_once,
    the_deadline_cuts_off_what_is_still_running,
);

/// A second signal does not wait for anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once() {
    let (_dir, _database, config) = fresh_setup(Backend::Sqlite).await;
    let model = slow_model(Duration::from_secs(90)).await;
    let key = customer(&config).await;
    let mut process = ServerProcess::start(
        server(&config, &model, &[("MYQA_SHUTDOWN_TIMEOUT", "120s")]),
        &[],
    )
    .await;
    let client = crate::support::http_client();
    let _request = tokio::spawn(
        client
            .post(process.url(CAPTURE))
            .bearer_auth(&key)
            .json(&json!({"transcript": TRANSCRIPT}))
            .send(),
    );
    model_called(&model, 1).await;
    process.signal("TERM");
    eventually(30, || async {
        process.logged("shutdown signal received; a second signal exits at once")
    })
    .await;
    let signalled = Instant::now();
    process.signal("TERM");
    let (status, logs) = process.wait_exit(60).await;
    assert!(
        signalled.elapsed() < Duration::from_secs(60),
        "did not wait for the 90 s request"
    );
    assert_eq!(status.code(), Some(143), "128 + SIGTERM: {logs:#?}");
    let exit = process
        .logged("second shutdown signal: exiting at once, abandoning requests and jobs in progress")
        .unwrap_or_else(|| panic!("the immediate exit is logged: {logs:#?}"));
    assert_eq!(exit["signal"], "SIGTERM");
}

/// `/readyz` answers 503 `SERVICE_UNAVAILABLE` once the database is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_when_the_database_is_gone() {
    let (_dir, database, config) = fresh_setup(Backend::Postgres).await;
    let process = ServerProcess::start(cli_command(&config), &[]).await;
    let client = crate::support::http_client();
    let ready = client.get(process.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    let database = database.unwrap();
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&crate::support::postgres_admin_url())
            .await
            .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {} WITH (FORCE)",
        database.name
    )))
    .execute(&mut admin)
    .await
    .unwrap();

    let body = eventually(60, || async {
        let response = client.get(process.url("/readyz")).send().await.unwrap();
        (response.status() == 503).then_some(response)
    })
    .await;
    let body = crate::support::assert_error(body, 503, "SERVICE_UNAVAILABLE").await;
    let details = &body["error"]["details"];
    assert_ne!(details["database"], "ok", "{body}");
    assert_eq!(details["blob_store"], "ok", "{body}");
    assert_eq!(details["shutting_down"], false, "{body}");
    process.stop().await;
}

/// From the first signal, `/readyz` says the process is going away; once
/// stopped, its worker loops show as stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_shutting_down() {
    let (_dir, _database, config) = fresh_setup(Backend::Sqlite).await;
    let app = myqa::Application::build(&config, Role::All)
        .await
        .expect("application builds");
    let addr = app.local_addr();
    let lifecycle = app.lifecycle().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let client = crate::support::http_client();
    let readyz = format!("http://{addr}/readyz");
    let ready = client.get(&readyz).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(lifecycle.liveness.problems().is_empty());

    lifecycle.begin_shutdown();
    let response = client.get(&readyz).send().await.unwrap();
    let body = crate::support::assert_error(response, 503, "SERVICE_UNAVAILABLE").await;
    let details = &body["error"]["details"];
    assert_eq!(details["shutting_down"], true, "{body}");
    assert_eq!(details["database"], "ok", "{body}");
    assert_eq!(details["workers"], "ok", "{body}");

    let _ = stop.send(());
    running.await.unwrap().expect("a clean shutdown");
    assert_eq!(
        lifecycle.liveness.problems(),
        [
            "job runner stopped",
            "webhook deliverer stopped",
            "janitor stopped"
        ]
    );
}
