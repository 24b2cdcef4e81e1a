//! Webhook delivery to a real receiver on loopback: signatures verified by
//! an independent implementation of the Standard Webhooks scheme, retries,
//! 410, redirects.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::captureiq::AUDIT;
use crate::support::{Backend, Hit, Receiver, TestApp, eventually, on_both_backends};

const ANALYZE: &str = "/api/v1/captureiq/analyze";

async fn app_with_fast_retries(backend: Backend) -> TestApp {
    TestApp::spawn_configured(backend, |c| {
        c.allow_insecure_callbacks = true;
        c.webhook_retry_schedule = vec![Duration::from_millis(200); 3];
    })
    .await
}

async fn submit(app: &TestApp, key: &str, callback_url: &str, secret: Option<&str>) -> String {
    let mut body = json!({"transcript": AUDIT, "callback_url": callback_url});
    if let Some(secret) = secret {
        body["callback_secret"] = Value::from(secret);
    }
    let response = app.post_json(ANALYZE, key, &body).await;
    assert_eq!(response.status(), 202, "a callback makes the call async");
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn header<'a>(hit: &'a Hit, name: &str) -> Option<&'a str> {
    hit.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Standard Webhooks verification, written from the specification.
fn verify(hit: &Hit, key: &[u8]) {
    let id = header(hit, "webhook-id").expect("webhook-id");
    let timestamp = header(hit, "webhook-timestamp").expect("webhook-timestamp");
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now - timestamp.parse::<i64>().unwrap()).abs() < 60,
        "fresh timestamp"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", hit.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let signatures = header(hit, "webhook-signature").expect("webhook-signature");
    assert!(
        signatures.split(' ').any(|s| s == expected),
        "{signatures} ≠ {expected}"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(hit.body.as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(header(hit, "x-myqa-signature"), Some(expected.as_str()));
}

async fn job_document(app: &TestApp, key: &str, location: &str) -> Value {
    app.get(location, Some(key)).await.json().await.unwrap()
}

async fn retries_until_delivered_with_valid_signatures(backend: Backend) {
    let app = app_with_fast_retries(backend).await;
    let key = app.full_key().await;
    let receiver = Receiver::start(&[500, 500, 200]).await;
    let raw_key = b"an HMAC key of our own choosing";
    let secret = format!("whsec_{}", STANDARD.encode(raw_key));
    let location = submit(&app, &key, &receiver.url("/hooks/myqa"), Some(&secret)).await;

    let hits = eventually(20, || async {
        (receiver.hits().len() >= 3).then(|| receiver.hits())
    })
    .await;
    let document = eventually(10, || async {
        let d = job_document(&app, &key, &location).await;
        (d["webhook"]["status"] == "delivered").then_some(d)
    })
    .await;
    assert_eq!(document["webhook"]["attempts"], 3);
    assert_eq!(document["webhook"]["last_response_status"], 200);
    assert!(document["webhook"]["last_attempt_at"].is_string());

    let id = header(&hits[0], "webhook-id").unwrap().to_owned();
    for hit in &hits {
        assert_eq!(hit.path, "/hooks/myqa");
        assert_eq!(
            header(hit, "webhook-id"),
            Some(id.as_str()),
            "one id across retries"
        );
        assert_eq!(hit.body, hits[0].body, "one body across retries");
        assert_eq!(header(hit, "content-type"), Some("application/json"));
        verify(hit, raw_key);
    }
    let body: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(body["type"], "captureiq.job.completed");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["job_id"], document["job_id"]);
    assert_eq!(body["data"], document["data"]);
    assert_eq!(body["created_at"], document["created_at"]);
    assert!(body.get("webhook").is_none());
    // Nothing more arrives once delivered.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.hits().len(), 3);
    // The signing secret is not kept once it can sign nothing more.
    let db = crate::support::raw_db(&app).await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM jobs WHERE callback_secret IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE secret IS NOT NULL")
            .await,
        0
    );
}

async fn gone_stops_retries(backend: Backend) {
    let app = app_with_fast_retries(backend).await;
    let key = app.full_key().await;
    let receiver = Receiver::start(&[410]).await;
    let location = submit(&app, &key, &receiver.url("/gone"), Some("plain secret")).await;
    let document = eventually(20, || async {
        let d = job_document(&app, &key, &location).await;
        (d["webhook"]["status"] == "failed").then_some(d)
    })
    .await;
    assert_eq!(document["webhook"]["attempts"], 1);
    assert_eq!(document["webhook"]["last_response_status"], 410);
    assert_eq!(
        document["status"], "completed",
        "the job stays pollable whatever happens to its webhook"
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "no retry after 410");
    // A plain secret's key is its UTF-8 bytes.
    verify(&hits[0], b"plain secret");
}

async fn redirects_are_failures_and_not_followed(backend: Backend) {
    let app = app_with_fast_retries(backend).await;
    let key = app.full_key().await;
    let receiver = Receiver::start(&[302, 302, 302, 302]).await;
    let location = submit(&app, &key, &receiver.url("/moved"), None).await;
    let document = eventually(20, || async {
        let d = job_document(&app, &key, &location).await;
        (d["webhook"]["status"] == "failed").then_some(d)
    })
    .await;
    // First attempt plus three retries, each answered 302.
    assert_eq!(document["webhook"]["attempts"], 4);
    assert_eq!(document["webhook"]["last_response_status"], 302);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 4);
    assert!(
        hits.iter().all(|h| h.path == "/moved"),
        "the redirect target is never requested"
    );
    // Without a secret there are no signature headers.
    assert!(header(&hits[0], "webhook-signature").is_none());
    assert!(header(&hits[0], "x-myqa-signature").is_none());
    assert!(header(&hits[0], "webhook-id").is_some());
}

on_both_backends!(
    retries_until_delivered_with_valid_signatures,
    gone_stops_retries,
    redirects_are_failures_and_not_followed,
);
