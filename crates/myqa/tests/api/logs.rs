//! What the server writes to its log: a request id on every line of a
//! request, a job's and its request's ids on every line of a job, and never
//! a key, a callback secret or an Authorization header.

use serde_json::{Value, json};

use crate::support::{Backend, ServerProcess, cli_command, fresh_setup, on_both_backends};

async fn logs_carry_request_ids_and_never_keys(backend: Backend) {
    let (_dir, _database, config) = fresh_setup(backend).await;
    let server = ServerProcess::start(cli_command(&config), &["--bootstrap"]).await;
    let key = server.bootstrap_key().await;
    let unknown = myqa_core::ApiKeySecret::generate().expose().to_owned();
    let client = crate::support::http_client();
    let mut ids = Vec::new();
    for (path, auth) in [
        ("/api/v1/standards", format!("Bearer {key}")),
        ("/api/v1/standards", format!("Bearer {unknown}")),
        ("/api/v1/standards", "Bearer not-a-key-at-all".to_owned()),
        ("/api/v1/standards", format!("Basic {key}")),
        ("/nope", format!("Bearer {key}")),
    ] {
        let response = client
            .get(server.url(path))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        ids.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (_, logs) = server.stop().await;
    let text = logs.join("\n");
    assert!(!text.contains(&key[5..]), "a key reached the log");
    assert!(
        !text.contains(&unknown[5..]),
        "a presented key reached the log"
    );
    assert!(!text.contains("not-a-key-at-all"));
    assert!(
        !text.to_ascii_lowercase().contains("authorization"),
        "headers reached the log"
    );
    for id in &ids {
        let lines: Vec<Value> = logs
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["span"]["request_id"] == id.as_str())
            .collect();
        assert!(!lines.is_empty(), "no log line carries request id {id}");
        assert!(
            lines.iter().any(|e| e["status"].is_number()),
            "request {id} has a summary line"
        );
    }
}

/// The request summary line carries the request's ids, route, method,
/// status and latency; a job's lines carry its id and the id of the request
/// that submitted it; no callback secret reaches the log, whether the
/// request is accepted, refused, or its webhook retried.
async fn request_and_job_lines_carry_their_ids_and_never_secrets(backend: Backend) {
    use base64::Engine;

    let (_dir, _database, config) = fresh_setup(backend).await;
    let mut command = cli_command(&config);
    command
        .env("MYQA_ALLOW_INSECURE_CALLBACKS", "true")
        .env("MYQA_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms");
    let server = ServerProcess::start(command, &["--bootstrap"]).await;
    let key = server.bootstrap_key().await;
    // The first attempt fails: the retry is logged too.
    let receiver = crate::support::Receiver::start(&[500]).await;
    let signing = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(b"a signing key only logs.rs knows")
    );
    let plain = "plain-callback-secret-of-the-log-test";
    let broken = "whsec_%%%-not-base64-%%%";
    for secret in [signing.as_str(), plain, broken] {
        crate::log_guard::remember(secret);
    }
    let client = crate::support::http_client();
    let post = |path: &'static str, body: Value| {
        let (client, url, key) = (client.clone(), server.url(path), key.clone());
        async move {
            let response = client
                .post(url)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let id = crate::support::request_id(&response).to_string();
            let body: Value = response.json().await.unwrap();
            (status, id, body)
        }
    };
    const CAPTURE: &str = "/api/v1/captureiq/analyze";
    let transcript = crate::captureiq::AUDIT;
    let (status, capture_request, accepted) = post(
        CAPTURE,
        json!({"transcript": transcript, "callback_url": receiver.url("/c"), "callback_secret": signing}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let capture_job = accepted["data"]["job_id"].as_str().unwrap().to_owned();
    let (status, _, body) = post(
        "/api/v1/snapreport/analyze",
        json!({
            "standard_id": "ISO9001",
            "evidence": [{"type": "text", "content": "The calibration certificate of the reference thermometer expired in March."}],
            "callback_url": receiver.url("/s"),
            "callback_secret": plain,
        }),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    for refused in [
        json!({"transcript": transcript, "callback_secret": plain}),
        json!({"transcript": transcript, "callback_url": receiver.url("/x"), "callback_secret": broken}),
    ] {
        let (status, _, body) = post(CAPTURE, refused).await;
        assert_eq!(status, 400, "{body}");
    }
    crate::support::eventually(60, || async { (receiver.hits().len() >= 3).then_some(()) }).await;
    // The deliverer logs an attempt after recording it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let (out, logs) = server.stop().await;
    let text = logs.join("\n");
    for secret in [
        signing.as_str(),
        &signing[6..],
        plain,
        broken,
        &key,
        &key[5..],
    ] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
    assert!(
        !out.iter()
            .any(|l| l.contains(plain) || l.contains(&signing))
    );
    let events: Vec<Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();

    let summary = events
        .iter()
        .find(|e| e["message"] == "request finished" && e["span"]["request_id"] == capture_request)
        .expect("the request's summary line");
    assert_eq!(summary["span"]["route"], CAPTURE, "{summary}");
    assert_eq!(summary["span"]["method"], "POST", "{summary}");
    assert_eq!(summary["status"], 202, "{summary}");
    assert!(summary["latency_ms"].is_number(), "{summary}");
    for id in ["org_id", "key_id"] {
        let value = summary["span"][id].as_str().unwrap_or_default();
        assert!(uuid::Uuid::parse_str(value).is_ok(), "{id}: {summary}");
    }

    let job_lines: Vec<&Value> = events
        .iter()
        .filter(|e| e["span"]["job_id"] == capture_job.as_str())
        .collect();
    assert!(
        job_lines.iter().any(|e| e["message"] == "job finished"),
        "the job's end is logged with its id"
    );
    for line in &job_lines {
        assert_eq!(line["span"]["request_id"], capture_request, "{line}");
    }
    // Both jobs' webhooks: one attempt (either job's) failed and was retried.
    let attempts: Vec<&Value> = events
        .iter()
        .filter(|e| e["message"] == "webhook attempt")
        .collect();
    assert!(attempts.len() >= 3, "{attempts:?}");
    assert!(attempts.iter().any(|e| e["status"] == 500), "{attempts:?}");
    assert!(
        attempts.iter().any(|e| e["job_id"] == capture_job.as_str()),
        "{attempts:?}"
    );
}

on_both_backends!(
    logs_carry_request_ids_and_never_keys,
    request_and_job_lines_carry_their_ids_and_never_secrets,
);
