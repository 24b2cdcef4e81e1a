//! Beyond one machine: two API processes and two worker processes of the real
//! binary share one PostgreSQL database and one S3 bucket (moto). 200 jobs go
//! round-robin to both APIs, sync and async, with and without uploads; one
//! worker is killed with SIGKILL midway. Every job completes exactly once,
//! every webhook arrives, every upload is deleted, and sync callers get
//! results computed by whichever worker took their job.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;
use myqa_core::config::Config;
use serde_json::{Value, json};

use crate::captureiq::AUDIT;
use crate::s3::{Moto, assert_bucket_empties};
use crate::support::{Backend, Receiver, ServerProcess, cli_command, eventually, fresh_setup};

const JOBS: usize = 200;

/// `myqa serve --role ROLE` with the shared configuration.
fn process(config: &Config) -> tokio::process::Command {
    let mut command = cli_command(config);
    let s3 = |value: &Option<String>| value.clone().unwrap_or_default();
    command
        .env("MYQA_BLOB_URL", s3(&config.blob_url))
        .env("MYQA_BLOB_S3_ENDPOINT", s3(&config.blob_s3_endpoint))
        .env("MYQA_BLOB_S3_REGION", s3(&config.blob_s3_region))
        .env("MYQA_BLOB_S3_PATH_STYLE", "true")
        .env("MYQA_BLOB_S3_ALLOW_HTTP", "true")
        .env("MYQA_BLOB_S3_ACCESS_KEY_ID", "testing")
        .env("MYQA_BLOB_S3_SECRET_ACCESS_KEY", "testing")
        .env("MYQA_WORKERS", "2")
        .env("MYQA_JOB_LEASE", "3s")
        .env("MYQA_JOB_POLL_INTERVAL", "200ms")
        .env("MYQA_ALLOW_INSECURE_CALLBACKS", "true")
        .env(
            "MYQA_WEBHOOK_RETRY_SCHEDULE",
            "200ms,200ms,200ms,200ms,200ms",
        );
    command
}

/// One request of the run, and what it must give.
enum Sent {
    Sync(Value),
    Async(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_apis_and_two_workers_share_postgres_and_s3() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let (_dir, _database, mut config) = fresh_setup(Backend::Postgres).await;
    moto.configure(&mut config, &bucket);
    let receiver = Receiver::start(&[]).await;

    let api_a = ServerProcess::start(process(&config), &["--role", "api", "--bootstrap"]).await;
    let key = api_a.bootstrap_key().await;
    let api_b = ServerProcess::start(process(&config), &["--role", "api"]).await;
    let worker_1 = ServerProcess::start(process(&config), &["--role", "worker"]).await;
    let worker_2 = ServerProcess::start(process(&config), &["--role", "worker"]).await;
    let apis = [api_a.url(""), api_b.url("")];
    let client = crate::support::http_client();
    let notes = std::fs::read(crate::audio::fixture("evidence/notes.md")).unwrap();

    let send = |i: usize| {
        let (client, key, receiver, notes) = (&client, &key, &receiver, &notes);
        let base = apis[i % 2].clone();
        async move {
            let sync = i.is_multiple_of(3);
            let callback = (!sync).then(|| receiver.url(&format!("/hook/{i}")));
            let request = if i % 4 == 1 {
                // SnapReport with an uploaded file: a blob in S3.
                let mut form = reqwest::multipart::Form::new()
                    .text("standard_id", "ISO9001")
                    .part(
                        "notes",
                        reqwest::multipart::Part::bytes(notes.clone())
                            .file_name("notes.md")
                            .mime_str("text/markdown")
                            .unwrap(),
                    );
                if let Some(url) = &callback {
                    form = form
                        .text("callback_url", url.clone())
                        .text("callback_secret", "scale-out");
                }
                client
                    .post(format!("{base}/api/v1/snapreport/analyze"))
                    .multipart(form)
            } else {
                let mut body = json!({"transcript": format!("{AUDIT}\nAuditor: Point {i}.")});
                if let Some(url) = &callback {
                    body["callback_url"] = json!(url);
                    body["callback_secret"] = json!("scale-out");
                }
                client
                    .post(format!("{base}/api/v1/captureiq/analyze"))
                    .json(&body)
            };
            let response = request.bearer_auth(key).send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            if sync {
                assert_eq!(status, 200, "request {i}: {body}");
                Sent::Sync(body["data"].clone())
            } else {
                assert_eq!(status, 202, "request {i}: {body}");
                Sent::Async(body["data"]["job_id"].as_str().unwrap().to_owned())
            }
        }
    };

    // The first half, then one worker is killed mid-run, then the rest.
    let mut sent: Vec<Sent> = futures_util::stream::iter(0..JOBS / 2)
        .map(send)
        .buffer_unordered(16)
        .collect()
        .await;
    let db = crate::support::raw_db_for(&config).await;
    eventually(120, || async {
        (db.scalar("SELECT COUNT(*) FROM usage_records").await >= 20).then_some(())
    })
    .await;
    worker_1.kill().await;
    sent.extend(
        futures_util::stream::iter(JOBS / 2..JOBS)
            .map(send)
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await,
    );

    // Sync callers got finished results, computed by a worker process.
    let mut asynchronous = BTreeSet::new();
    for outcome in &sent {
        match outcome {
            Sent::Sync(data) => {
                assert_eq!(data["model"], "local-1", "{data}");
                assert!(data["token_usage"]["input_tokens"].as_u64().unwrap() > 0);
            }
            Sent::Async(job) => {
                asynchronous.insert(job.clone());
            }
        }
    }
    // Every async job's webhook arrives once (retries keep their id).
    let hits = eventually(180, || async {
        let hits = receiver.hits();
        let jobs: BTreeSet<String> = hits
            .iter()
            .map(|h| {
                serde_json::from_str::<Value>(&h.body).unwrap()["job_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        (jobs == asynchronous).then_some(hits)
    })
    .await;
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for hit in &hits {
        let body: Value = serde_json::from_str(&hit.body).unwrap();
        assert!(
            body["type"].as_str().unwrap().ends_with(".job.completed"),
            "{body}"
        );
        let id = hit.headers["webhook-id"].to_str().unwrap().to_owned();
        ids.entry(body["job_id"].as_str().unwrap().to_owned())
            .or_default()
            .insert(id);
    }
    assert!(ids.values().all(|set| set.len() == 1), "{ids:?}");

    // Exactly one charge per job, sync and async.
    eventually(60, || async {
        (db.scalar("SELECT COUNT(*) FROM usage_records").await == JOBS as i64).then_some(())
    })
    .await;
    assert_eq!(
        db.scalar("SELECT COUNT(DISTINCT job_id) FROM usage_records")
            .await,
        JOBS as i64
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM jobs WHERE state NOT IN ('completed')")
            .await,
        0,
        "no job left unfinished"
    );
    // Every upload was deleted when its job ended.
    assert_bucket_empties(&moto, &bucket).await;

    worker_2.stop().await;
    api_b.stop().await;
    api_a.stop().await;
}
