//! SSRF protection: the request-time table (≥ 40 URLs) and a name that
//! turns private between the request and the delivery.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use myqa::cli::Role;
use myqa::serve::Overrides;
use myqa_webhook::StaticResolver;
use serde_json::{Value, json};

use crate::captureiq::AUDIT;
use crate::support::{Backend, TestApp, assert_error, eventually, on_both_backends};

const ANALYZE: &str = "/api/v1/captureiq/analyze";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn test_resolver() -> Arc<StaticResolver> {
    let resolver = StaticResolver::new();
    resolver.set("hooks.example.com", &[ip("93.184.216.34")]);
    resolver.set("public6.test", &[ip("2606:4700::1111")]);
    resolver.set("loopback.test", &[ip("127.0.0.1")]);
    resolver.set("internal.test", &[ip("10.0.0.5")]);
    resolver.set("mixed.test", &[ip("93.184.216.34"), ip("10.1.1.1")]);
    resolver.set("metadata-alias.test", &[ip("169.254.169.254")]);
    resolver.set("v6local.test", &[ip("fd00::1")]);
    resolver.set("mapped.test", &[ip("::ffff:192.168.0.1")]);
    Arc::new(resolver)
}

const FORBIDDEN: &[&str] = &[
    // scheme, user-info, shape
    "http://hooks.example.com/hook",
    "ftp://hooks.example.com/hook",
    "https://user:pass@hooks.example.com/hook",
    "https://user@hooks.example.com/hook",
    "not a url",
    "https:///no-host",
    // names
    "https://localhost/hook",
    "https://LOCALHOST:8443/hook",
    "https://api.localhost/hook",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata/latest",
    "https://instance-data/latest/meta-data",
    // IPv4 literals
    "https://127.0.0.1/hook",
    "https://127.8.9.10/hook",
    "https://0.0.0.0/hook",
    "https://10.0.0.1/hook",
    "https://172.16.5.4/hook",
    "https://172.31.255.255/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://100.100.100.200/hook",
    "https://192.0.0.1/hook",
    "https://192.0.2.10/hook",
    "https://198.18.0.1/hook",
    "https://198.51.100.7/hook",
    "https://203.0.113.9/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://255.255.255.255/hook",
    // odd IPv4 spellings of 127.0.0.1
    "https://2130706433/hook",
    "https://0x7f.1/hook",
    "https://0177.0.0.1/hook",
    "https://127.1/hook",
    "https://0x7f000001/hook",
    // IPv6 literals
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[fc00::1]/hook",
    "https://[fd12:3456::1]/hook",
    "https://[fe80::1]/hook",
    "https://[ff02::1]/hook",
    "https://[2001:db8::1]/hook",
    // IPv4-mapped and NAT64 forms of forbidden IPv4
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://[64:ff9b::169.254.169.254]/hook",
    // names resolving (by the test resolver) to forbidden addresses
    "https://loopback.test/hook",
    "https://internal.test/hook",
    "https://mixed.test/hook",
    "https://metadata-alias.test/hook",
    "https://v6local.test/hook",
    "https://mapped.test/hook",
    "https://does-not-resolve.test/hook",
];

const ALLOWED: &[&str] = &[
    "https://hooks.example.com/hook",
    "https://hooks.example.com:8443/hooks/myqa?source=audit",
    "https://public6.test/hook",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://[::ffff:8.8.8.8]/hook",
];

async fn request_time_table(backend: Backend) {
    assert!(FORBIDDEN.len() >= 40);
    // No workers: accepted jobs are never delivered to the real internet.
    let overrides = Overrides {
        resolver: Some(test_resolver()),
        ..Default::default()
    };
    let app = TestApp::spawn_with(backend, |_| {}, Role::Api, overrides).await;
    let key = app.full_key().await;
    for url in FORBIDDEN {
        let response = app
            .post_json(
                ANALYZE,
                &key,
                &json!({"transcript": AUDIT, "callback_url": url}),
            )
            .await;
        let body = assert_error(response, 400, "INVALID_CALLBACK_URL").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("callback_url "),
            "{url}: {body}"
        );
    }
    for url in ALLOWED {
        let response = app
            .post_json(
                ANALYZE,
                &key,
                &json!({"transcript": AUDIT, "callback_url": url}),
            )
            .await;
        assert_eq!(response.status(), 202, "{url}");
    }
}

async fn delivery_time_rebinding_makes_no_connection(backend: Backend) {
    let resolver = test_resolver();
    resolver.set("rebind.test", &[ip("93.184.216.34")]);
    let overrides = Overrides {
        resolver: Some(resolver.clone()),
        ..Default::default()
    };
    let mut app = TestApp::spawn_with(
        backend,
        |c| c.webhook_retry_schedule = vec![Duration::from_secs(3600)],
        Role::Api,
        overrides,
    )
    .await;
    let key = app.full_key().await;

    // A listener the webhook would reach if the check were skipped.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });

    let callback = format!("https://rebind.test:{port}/hook");
    let response = app
        .post_json(
            ANALYZE,
            &key,
            &json!({"transcript": AUDIT, "callback_url": callback}),
        )
        .await;
    assert_eq!(response.status(), 202, "public at request time");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    // The name now points at this machine.
    resolver.set("rebind.test", &[ip("127.0.0.1")]);
    app.start_workers();

    let document: Value = eventually(20, || async {
        let d: Value = app.get(&location, Some(&key)).await.json().await.unwrap();
        (d["webhook"]["attempts"].as_i64().unwrap_or(0) >= 1).then_some(d)
    })
    .await;
    assert_eq!(document["status"], "completed");
    assert!(
        document["webhook"]["last_response_status"].is_null(),
        "{document}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no connection was made"
    );
}

on_both_backends!(
    request_time_table,
    delivery_time_rebinding_makes_no_connection
);
