//! What the server writes to its log: a request id on every line of a
//! request, and never a key or an Authorization header.

use serde_json::Value;

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

on_both_backends!(logs_carry_request_ids_and_never_keys);
