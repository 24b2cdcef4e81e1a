//! Durability: kill -9 the real server while it processes jobs, restart it,
//! and every job completes exactly once with its webhook delivered.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::captureiq::AUDIT;
use crate::support::{
    Backend, Receiver, ServerProcess, cli_command, eventually, fresh_setup, on_both_backends,
};

const JOBS: usize = 12;

fn server(config: &myqa_core::config::Config) -> tokio::process::Command {
    let mut command = cli_command(config);
    command
        .env("MYQA_WORKERS", "2")
        .env("MYQA_JOB_LEASE", "2s")
        .env("MYQA_JOB_POLL_INTERVAL", "200ms")
        .env("MYQA_ALLOW_INSECURE_CALLBACKS", "true")
        .env(
            "MYQA_WEBHOOK_RETRY_SCHEDULE",
            "200ms,200ms,200ms,200ms,200ms",
        );
    command
}

async fn kill_9_mid_processing_loses_and_duplicates_nothing(backend: Backend) {
    let (_dir, _database, config) = fresh_setup(backend).await;
    let receiver = Receiver::start(&[]).await;
    let first = ServerProcess::start(server(&config), &[]).await;
    // A customer with a coin balance, so that the balance is checked too.
    let cli = |args: &'static [&'static str]| {
        let mut command = cli_command(&config);
        command.arg("--json").args(args);
        command
    };
    let output = cli(&[
        "admin",
        "org",
        "create",
        "--name",
        "Crash Foods",
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
    let output = cli(&[
        "admin",
        "key",
        "create",
        "--org",
        "Crash Foods",
        "--name",
        "crash",
        "--permission",
        "captureiq:analyze",
    ])
    .output()
    .await
    .unwrap();
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let org = uuid::Uuid::parse_str(created["org_id"].as_str().unwrap()).unwrap();
    let client = crate::support::http_client();
    crate::log_guard::remember("crash-test");

    // Long transcripts keep the workers busy for a while.
    let transcript = std::iter::repeat_n(AUDIT, 150)
        .collect::<Vec<_>>()
        .join("\n");
    let mut jobs = BTreeSet::new();
    for i in 0..JOBS {
        let response = client
            .post(first.url("/api/v1/captureiq/analyze"))
            .bearer_auth(&key)
            .json(&json!({
                "transcript": transcript,
                "callback_url": receiver.url(&format!("/hook/{i}")),
                "callback_secret": "crash-test",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let body: Value = response.json().await.unwrap();
        jobs.insert(body["data"]["job_id"].as_str().unwrap().to_owned());
    }
    // Kill as soon as the first job has finished: the others are queued or running.
    eventually(120, || async {
        (!receiver.hits().is_empty()).then_some(())
    })
    .await;
    let before_kill = receiver.hits().len();
    first.kill().await;
    assert!(
        before_kill < JOBS,
        "the kill came mid-processing ({before_kill} of {JOBS} delivered)"
    );

    let second = ServerProcess::start(server(&config), &[]).await;
    for job in &jobs {
        let location = format!("/api/v1/captureiq/jobs/{job}");
        let document: Value = eventually(180, || async {
            let d: Value = client
                .get(second.url(&location))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (d["status"] != "processing" && d["webhook"]["status"] == "delivered").then_some(d)
        })
        .await;
        assert_eq!(document["status"], "completed", "{document}");
    }
    second.stop().await;

    // Every job's webhook arrived; repeats only as retries of the same message.
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for hit in receiver.hits() {
        let body: Value = serde_json::from_str(&hit.body).unwrap();
        assert_eq!(body["type"], "captureiq.job.completed");
        let job = body["job_id"].as_str().unwrap().to_owned();
        let id = hit.headers["webhook-id"].to_str().unwrap().to_owned();
        ids.entry(job).or_default().insert(id);
    }
    assert_eq!(
        ids.keys().cloned().collect::<BTreeSet<_>>(),
        jobs,
        "a webhook per job"
    );
    assert!(
        ids.values().all(|set| set.len() == 1),
        "one webhook-id per job: {ids:?}"
    );

    // Exactly one charge per job.
    let store = myqa::open_store(&config, myqa_store::PoolOptions::default())
        .await
        .unwrap();
    for job in &jobs {
        let id = uuid::Uuid::parse_str(job).unwrap();
        assert!(
            store.job_charge(id).await.unwrap().is_some(),
            "job {job} charged once"
        );
    }
    let db = crate::support::raw_db_for(&config).await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM usage_records").await,
        JOBS as i64,
        "no job charged twice"
    );
    let charged = db
        .scalar("SELECT CAST(SUM(coins) AS BIGINT) FROM usage_records")
        .await;
    let balance = store
        .organisation(org)
        .await
        .unwrap()
        .unwrap()
        .coins_balance;
    assert_eq!(
        balance,
        1_000_000 - charged,
        "the balance paid each job once"
    );
    store.close().await;
}

on_both_backends!(kill_9_mid_processing_loses_and_duplicates_nothing);
