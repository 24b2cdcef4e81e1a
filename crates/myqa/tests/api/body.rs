//! Authentication and authorisation complete before the body is read: a
//! client with a bad key cannot make the server take a large upload.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use myqa_core::Permission;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp, on_both_backends};

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

/// Sends the head of a 100 MB POST, then streams body bytes while reading the
/// answer. Returns the status line and how many body bytes the client managed
/// to send before the server closed the connection (or stopped reading).
async fn post_100_mb(
    app: &TestApp,
    path: &str,
    authorization: &str,
    expect_continue: bool,
) -> (String, u64) {
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {authorization}\r\nContent-Type: application/json\r\nContent-Length: {HUNDRED_MB}\r\n{}\r\n",
        app.addr,
        if expect_continue {
            "Expect: 100-continue\r\n"
        } else {
            ""
        },
    );
    writer.write_all(head.as_bytes()).await.unwrap();

    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let pump = tokio::spawn(async move {
        if expect_continue {
            // A well-behaved client waits for 100 Continue; it never comes.
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        while counter.load(Ordering::Relaxed) < HUNDRED_MB {
            match writer.write_all(&chunk).await {
                Ok(()) => counter.fetch_add(chunk.len() as u64, Ordering::Relaxed),
                Err(_) => return, // the server closed the connection
            };
        }
    });

    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let status = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = reader.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buf[..n]);
            if response.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&response)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    })
    .await
    .expect("the server answers without waiting for the body");

    // Give a draining server every chance to swallow the rest: loopback moves
    // 100 MB in well under a second.
    let _ = tokio::time::timeout(Duration::from_secs(3), pump).await;
    (status, sent.load(Ordering::Relaxed))
}

async fn bad_key_large_post_is_refused_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let bogus = myqa_core::ApiKeySecret::generate();
    for path in ["/api/v1/captureiq/analyze", "/api/v1/snapreport/analyze"] {
        let (status, sent) =
            post_100_mb(&app, path, &format!("Bearer {}", bogus.expose()), false).await;
        assert!(status.starts_with("HTTP/1.1 401"), "{status}");
        assert!(
            sent < HUNDRED_MB / 4,
            "server consumed {sent} bytes of the body"
        );
        let (status, _) = post_100_mb(&app, path, "Bearer garbage", true).await;
        assert!(
            status.starts_with("HTTP/1.1 401"),
            "no 100 Continue for a malformed key: {status}"
        );
    }
}

async fn unpermitted_key_large_post_is_refused_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let (_, snap_only) = app
        .create_key(org.id, &[Permission::SnapReportGenerate], &[])
        .await;
    let (status, sent) = post_100_mb(
        &app,
        "/api/v1/captureiq/analyze",
        &format!("Bearer {snap_only}"),
        false,
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 403"), "{status}");
    assert!(
        sent < HUNDRED_MB / 4,
        "server consumed {sent} bytes of the body"
    );
    let (status, _) = post_100_mb(
        &app,
        "/api/v1/captureiq/analyze",
        &format!("Bearer {snap_only}"),
        true,
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 403"), "{status}");
}

on_both_backends!(
    bad_key_large_post_is_refused_unread,
    unpermitted_key_large_post_is_refused_unread
);
