//! Async jobs: acceptance, polling, visibility, idempotency, failure,
//! retention, and sync calls that wait on the same queue.

use std::time::Duration;

use myqa::cli::Role;
use myqa::serve::Overrides;
use myqa_core::Permission;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::captureiq::{AUDIT, MEETING};
use crate::support::{Backend, TestApp, assert_error, eventually, on_both_backends, raw_db};

const ANALYZE: &str = "/api/v1/captureiq/analyze";

async fn submit_async(
    app: &TestApp,
    key: &str,
    body: &Value,
    idempotency: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(ANALYZE))
        .bearer_auth(key)
        .header("prefer", "respond-async")
        .json(body);
    if let Some(k) = idempotency {
        request = request.header("idempotency-key", k);
    }
    request.send().await.unwrap()
}

async fn accepted(response: reqwest::Response) -> (Uuid, String) {
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["status"], "processing");
    assert!(body["data"]["created_at"].as_str().unwrap().ends_with('Z'));
    let id = Uuid::parse_str(body["data"]["job_id"].as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 7, "job ids are UUIDv7");
    assert_eq!(location, format!("/api/v1/captureiq/jobs/{id}"));
    (id, location)
}

/// Polls a job until it leaves `processing`.
async fn finished(app: &TestApp, key: &str, location: &str) -> Value {
    eventually(20, || async {
        let response = app.get(location, Some(key)).await;
        assert_eq!(response.status(), 200);
        let document: Value = response.json().await.unwrap();
        (document["status"] != "processing").then_some(document)
    })
    .await
}

async fn async_job_moves_from_processing_to_completed(backend: Backend) {
    // Without workers the job stays visibly `processing` until they start.
    let mut app = TestApp::spawn_with(backend, |_| {}, Role::Api, Overrides::default()).await;
    let key = app.full_key().await;
    let (id, location) =
        accepted(submit_async(&app, &key, &json!({"transcript": AUDIT}), None).await).await;
    let response = app.get(&location, Some(&key)).await;
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["job_id"], id.to_string());
    assert_eq!(document["status"], "processing");
    assert!(document.get("success").is_none(), "job documents are bare");
    assert!(document.get("completed_at").is_none() && document.get("data").is_none());
    assert!(
        document.get("webhook").is_none(),
        "no callback, no webhook object"
    );

    app.start_workers();
    let document = finished(&app, &key, &location).await;
    assert_eq!(document["status"], "completed", "{document}");
    assert!(document["completed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(document["data"]["session_type"], "audit");
    assert_eq!(document["data"]["transcript"], AUDIT);
    assert!(
        document["data"]["observations"]
            .as_array()
            .is_some_and(|o| !o.is_empty())
    );
    assert!(document["data"]["coins_charged"].as_i64().unwrap() > 0);
    assert!(document.get("error").is_none());
    // The ledger holds exactly the charge the document shows, and the input is gone.
    let db = raw_db(&app).await;
    let coins = db
        .scalar(&format!(
            "SELECT coins FROM usage_records WHERE job_id = {}",
            db.id(id)
        ))
        .await;
    assert_eq!(document["data"]["coins_charged"], coins);
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM jobs WHERE input IS NOT NULL AND id = {}",
            db.id(id)
        ))
        .await,
        0
    );
}

async fn jobs_are_private_to_their_organisation_and_product(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let (id, location) = accepted(
        submit_async(
            &app,
            &key,
            &json!({"transcript": MEETING, "session_type": "meeting"}),
            None,
        )
        .await,
    )
    .await;
    finished(&app, &key, &location).await;

    let other = app.full_key().await;
    let cases = [
        (location.clone(), other.as_str()),
        (format!("/api/v1/snapreport/jobs/{id}"), key.as_str()),
        (
            format!("/api/v1/captureiq/jobs/{}", Uuid::now_v7()),
            key.as_str(),
        ),
        ("/api/v1/captureiq/jobs/not-a-uuid".to_owned(), key.as_str()),
    ];
    let mut messages = Vec::new();
    for (path, key) in cases {
        let body = assert_error(app.get(&path, Some(key)).await, 404, "NOT_FOUND").await;
        messages.push(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .replace(path.rsplit('/').next().unwrap(), "ID"),
        );
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "indistinguishable: {messages:?}");
    // A key without the analyze permission may still read its org's jobs.
    let org = app
        .store
        .api_key_by_digest(&myqa_core::ApiKeySecret::parse(&key).unwrap().digest())
        .await
        .unwrap()
        .unwrap()
        .key
        .org_id;
    let (_, reader) = app
        .create_key(org, &[Permission::SnapReportGenerate], &[])
        .await;
    assert_eq!(app.get(&location, Some(&reader)).await.status(), 200);
    assert_error(app.get(&location, None).await, 401, "UNAUTHORIZED").await;
}

async fn idempotent_repeats_return_the_same_job(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let body = json!({"transcript": AUDIT});
    let (first, _) = accepted(submit_async(&app, &key, &body, Some("visit-42")).await).await;
    let repeat = submit_async(&app, &key, &body, Some("visit-42")).await;
    assert_eq!(repeat.status(), 202);
    let repeat: Value = repeat.json().await.unwrap();
    assert_eq!(repeat["data"]["job_id"], first.to_string());
    // Different body, same key.
    let response = submit_async(
        &app,
        &key,
        &json!({"transcript": MEETING}),
        Some("visit-42"),
    )
    .await;
    assert_error(response, 409, "IDEMPOTENCY_CONFLICT").await;
    // The same key in another organisation is another key.
    let other = app.full_key().await;
    let (third, _) = accepted(submit_async(&app, &other, &body, Some("visit-42")).await).await;
    assert_ne!(third, first);
    // Only one job, and one charge, for the repeated request — also when it
    // is repeated after the job completed.
    let db = raw_db(&app).await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM jobs").await, 2);
    eventually(60, || async {
        (db.scalar("SELECT COUNT(*) FROM jobs WHERE state = 'completed'")
            .await
            == 2)
            .then_some(())
    })
    .await;
    let late = submit_async(&app, &key, &body, Some("visit-42")).await;
    assert_eq!(late.status(), 202);
    let late: Value = late.json().await.unwrap();
    assert_eq!(late["data"]["job_id"], first.to_string());
    assert_eq!(db.scalar("SELECT COUNT(*) FROM usage_records").await, 2);
}

async fn a_job_whose_workers_keep_dying_fails_with_processing_error(backend: Backend) {
    let mut app = TestApp::spawn_with(
        backend,
        |c| c.job_lease = Duration::from_secs(1),
        Role::Api,
        Overrides::default(),
    )
    .await;
    let key = app.full_key().await;
    let (id, location) =
        accepted(submit_async(&app, &key, &json!({"transcript": AUDIT}), None).await).await;
    // Three workers claimed it and died: running, lease long expired.
    let db = raw_db(&app).await;
    let past = myqa_core::time::now() - chrono::Duration::minutes(5);
    let updated = db
        .execute(&format!(
            "UPDATE jobs SET state = 'running', attempts = 3, lease_owner = 'dead-worker', lease_expires_at = {} WHERE id = {}",
            db.time(past),
            db.id(id)
        ))
        .await;
    assert_eq!(updated, 1);
    app.start_workers();
    let document = finished(&app, &key, &location).await;
    assert_eq!(document["status"], "failed", "{document}");
    assert_eq!(document["error"]["code"], "PROCESSING_ERROR");
    assert!(
        document["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(document.get("data").is_none());
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM usage_records").await,
        0,
        "failed jobs cost nothing"
    );
}

async fn results_are_purged_after_retention(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |c| {
        c.job_retention = Duration::from_secs(1);
        c.janitor_interval = Duration::from_secs(1);
    })
    .await;
    let key = app.full_key().await;
    let (id, location) =
        accepted(submit_async(&app, &key, &json!({"transcript": AUDIT}), None).await).await;
    assert_eq!(finished(&app, &key, &location).await["status"], "completed");
    eventually(15, || async {
        (app.get(&location, Some(&key)).await.status() == 404).then_some(())
    })
    .await;
    let db = raw_db(&app).await;
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM jobs WHERE id = {}",
            db.id(id)
        ))
        .await,
        0
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM usage_records").await,
        1,
        "the ledger outlives the job"
    );
}

async fn a_sync_client_that_leaves_cancels_its_job(backend: Backend) {
    // No workers: the sync call can only wait.
    let app = TestApp::spawn_with(backend, |_| {}, Role::Api, Overrides::default()).await;
    let key = app.full_key().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let call = client
        .post(app.url(ANALYZE))
        .bearer_auth(&key)
        .header("idempotency-key", "sync-1")
        .json(&json!({"transcript": AUDIT}))
        .send();
    let (first, second) = tokio::join!(call, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // A repeat while the first is still waiting: 409.
        app.client
            .post(app.url(ANALYZE))
            .bearer_auth(&key)
            .header("idempotency-key", "sync-1")
            .json(&json!({"transcript": AUDIT}))
            .send()
            .await
            .unwrap()
    });
    assert!(
        first.unwrap_err().is_timeout(),
        "the first call waited for a worker"
    );
    assert_error(second, 409, "IDEMPOTENCY_CONFLICT").await;
    // The client left: its job is cancelled and removed, nothing charged.
    let db = raw_db(&app).await;
    eventually(10, || async {
        (db.scalar("SELECT COUNT(*) FROM jobs").await == 0).then_some(())
    })
    .await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM usage_records").await, 0);
}

/// One janitor at a time among processes sharing a database: a lease that
/// its holder renews and another process takes over once it lapses.
async fn the_janitor_has_one_leader_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.store;
    let t0 = myqa_core::time::now();
    let later = |seconds: i64| t0 + chrono::Duration::seconds(seconds);
    // The app's own janitor may hold the duty already: use another name.
    assert!(store.lead("test-duty", "a", t0, later(30)).await.unwrap());
    assert!(
        !store
            .lead("test-duty", "b", later(1), later(31))
            .await
            .unwrap()
    );
    assert!(
        store
            .lead("test-duty", "a", later(10), later(40))
            .await
            .unwrap(),
        "the holder renews"
    );
    assert!(
        !store
            .lead("test-duty", "b", later(39), later(69))
            .await
            .unwrap()
    );
    assert!(
        store
            .lead("test-duty", "b", later(41), later(71))
            .await
            .unwrap(),
        "taken over once lapsed"
    );
    assert!(
        !store
            .lead("test-duty", "a", later(42), later(72))
            .await
            .unwrap()
    );
}

on_both_backends!(
    the_janitor_has_one_leader_at_a_time,
    async_job_moves_from_processing_to_completed,
    jobs_are_private_to_their_organisation_and_product,
    idempotent_repeats_return_the_same_job,
    a_job_whose_workers_keep_dying_fails_with_processing_error,
    results_are_purged_after_retention,
    a_sync_client_that_leaves_cancels_its_job,
);
