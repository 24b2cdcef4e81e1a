//! Every 401 cause, 403, allowlists, proxies, revocation, expiry, rotation.

use std::time::Duration;

use myqa_core::Permission;

use crate::support::{Backend, TestApp, assert_error, on_both_backends};

const STANDARDS: &str = "/api/v1/standards";

async fn missing_header_is_401_with_challenge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get(STANDARDS, None).await;
    let challenge = response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    let body = assert_error(response, 401, "UNAUTHORIZED").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization")
    );
}

async fn wrong_scheme_is_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    for value in [format!("Basic {key}"), format!("Token {key}"), key.clone()] {
        let response = app
            .client
            .get(app.url(STANDARDS))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("www-authenticate"));
        let body = assert_error(response, 401, "UNAUTHORIZED").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Bearer"),
            "{body}"
        );
    }
    // The scheme name is case-insensitive.
    let response = app
        .client
        .get(app.url(STANDARDS))
        .header("authorization", format!("bEaReR {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn malformed_keys_are_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    for bad in [
        "myqa_short".to_owned(),
        format!("{key}X"),
        key.replace("myqa_", "sk_l_"),
        format!("myqa_{}!", &key[5..36]),
    ] {
        let response = app.get(STANDARDS, Some(&bad)).await;
        let body = assert_error(response, 401, "UNAUTHORIZED").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Malformed"),
            "{bad}: {body}"
        );
    }
    // Bytes that are not even ASCII.
    let raw = format!("Bearer myqa_{}", "é".repeat(16));
    let value = reqwest::header::HeaderValue::from_bytes(raw.as_bytes()).unwrap();
    let response = app
        .client
        .get(app.url(STANDARDS))
        .header("authorization", value)
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "UNAUTHORIZED").await;
}

async fn unknown_key_is_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let unknown = myqa_core::ApiKeySecret::generate();
    let response = app.get(STANDARDS, Some(unknown.expose())).await;
    assert!(response.headers().contains_key("www-authenticate"));
    let body = assert_error(response, 401, "UNAUTHORIZED").await;
    assert_eq!(body["error"]["message"], "Invalid API key.");
    // Cached as unknown, and still refused.
    let response = app.get(STANDARDS, Some(unknown.expose())).await;
    assert_error(response, 401, "UNAUTHORIZED").await;
}

async fn expired_key_is_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let past = myqa_core::time::now() - chrono::Duration::seconds(1);
    let (_, key) = app
        .create_key_with(org.id, &Permission::ALL, &[], Some(past))
        .await;
    let body = assert_error(app.get(STANDARDS, Some(&key)).await, 401, "UNAUTHORIZED").await;
    assert_eq!(body["error"]["message"], "This API key has expired.");
    let future = myqa_core::time::now() + chrono::Duration::hours(1);
    let (_, key) = app
        .create_key_with(org.id, &Permission::ALL, &[], Some(future))
        .await;
    assert_eq!(app.get(STANDARDS, Some(&key)).await.status(), 200);
}

/// Polls until `path` answers `status` for `key`: revocations made by another
/// process reach a server through its revision watcher.
async fn eventually_status(app: &TestApp, key: &str, status: u16) -> reqwest::Response {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let response = app.get(STANDARDS, Some(key)).await;
        if response.status().as_u16() == status || tokio::time::Instant::now() > deadline {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn revoked_key_is_401_even_when_cached(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let (record, key) = app.create_key(org.id, &Permission::ALL, &[]).await;
    // Verified and now cached for 30 s.
    assert_eq!(app.get(STANDARDS, Some(&key)).await.status(), 200);
    let revoked = app
        .cli_json(&["admin", "key", "revoke", &record.id.to_string()])
        .await;
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let response = eventually_status(&app, &key, 401).await;
    let body = assert_error(response, 401, "UNAUTHORIZED").await;
    assert_eq!(body["error"]["message"], "This API key has been revoked.");
}

async fn ipv4_allowlist_and_cidr(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let (_, elsewhere) = app
        .create_key(org.id, &Permission::ALL, &["10.1.2.3", "192.168.0.0/16"])
        .await;
    let body = assert_error(
        app.get(STANDARDS, Some(&elsewhere)).await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("IP address"),
        "{body}"
    );
    let (_, exact) = app
        .create_key(org.id, &Permission::ALL, &["127.0.0.1"])
        .await;
    assert_eq!(app.get(STANDARDS, Some(&exact)).await.status(), 200);
    let (_, range) = app
        .create_key(org.id, &Permission::ALL, &["10.0.0.0/8", "127.0.0.0/8"])
        .await;
    assert_eq!(app.get(STANDARDS, Some(&range)).await.status(), 200);
}

async fn ipv6_allowlist_and_mapped_ipv4(backend: Backend) {
    // A dual-stack socket: IPv6 clients are ::1, IPv4 clients arrive as
    // ::ffff:127.0.0.1 and must match IPv4 entries.
    let app = TestApp::spawn_configured(backend, |c| c.bind = "[::]:0".parse().unwrap()).await;
    let port = app.addr.port();
    let v6 = format!("http://[::1]:{port}{STANDARDS}");
    let v4 = format!("http://127.0.0.1:{port}{STANDARDS}");
    let org = app.create_org("acme").await;
    let get = |url: String, key: String| {
        let client = app.client.clone();
        async move { client.get(url).bearer_auth(key).send().await.unwrap() }
    };

    let (_, loopback6) = app.create_key(org.id, &Permission::ALL, &["::1"]).await;
    assert_eq!(get(v6.clone(), loopback6.clone()).await.status(), 200);
    assert_error(get(v4.clone(), loopback6).await, 401, "UNAUTHORIZED").await;

    let (_, doc_range) = app
        .create_key(org.id, &Permission::ALL, &["2001:db8::/32"])
        .await;
    assert_error(get(v6.clone(), doc_range).await, 401, "UNAUTHORIZED").await;

    let (_, range6) = app.create_key(org.id, &Permission::ALL, &["::/127"]).await;
    assert_eq!(get(v6.clone(), range6).await.status(), 200);

    let (_, plain4) = app
        .create_key(org.id, &Permission::ALL, &["127.0.0.1"])
        .await;
    assert_eq!(
        get(v4.clone(), plain4.clone()).await.status(),
        200,
        "mapped IPv4 peer matches IPv4 entry"
    );
    assert_error(get(v6, plain4).await, 401, "UNAUTHORIZED").await;

    let (_, mapped_entry) = app
        .create_key(org.id, &Permission::ALL, &["::ffff:127.0.0.0/104"])
        .await;
    assert_eq!(
        get(v4, mapped_entry).await.status(),
        200,
        "mapped entry matches IPv4 peer"
    );
}

async fn spoofed_forwarded_for_from_untrusted_peer_is_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let (_, key) = app
        .create_key(org.id, &Permission::ALL, &["203.0.113.7"])
        .await;
    for spoof in ["203.0.113.7", "198.51.100.1, 203.0.113.7"] {
        let response = app
            .client
            .get(app.url(STANDARDS))
            .bearer_auth(&key)
            .header("x-forwarded-for", spoof)
            .send()
            .await
            .unwrap();
        assert_error(response, 401, "UNAUTHORIZED").await;
    }
}

async fn forwarded_for_from_trusted_proxy_names_the_client(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |c| {
        c.trusted_proxies =
            myqa_core::network::NetworkList::parse(&["127.0.0.0/8", "10.0.0.0/8"]).unwrap();
    })
    .await;
    let org = app.create_org("acme").await;
    let (_, key) = app
        .create_key(org.id, &Permission::ALL, &["203.0.113.7"])
        .await;
    let send = |xff: &'static str| {
        app.client
            .get(app.url(STANDARDS))
            .bearer_auth(&key)
            .header("x-forwarded-for", xff)
            .send()
    };
    assert_eq!(send("203.0.113.7").await.unwrap().status(), 200);
    // Proxies between: skipped.
    assert_eq!(send("203.0.113.7, 10.0.0.5").await.unwrap().status(), 200);
    // A client-forged left part does not help: the right-most untrusted hop is the client.
    assert_error(
        send("203.0.113.7, 198.51.100.1").await.unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
    // No header: the peer (a proxy) is the client.
    assert_error(app.get(STANDARDS, Some(&key)).await, 401, "UNAUTHORIZED").await;
}

async fn missing_permission_is_403_naming_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let (_, snap_only) = app
        .create_key(org.id, &[Permission::SnapReportGenerate], &[])
        .await;
    let response = app
        .post_json(
            "/api/v1/captureiq/analyze",
            &snap_only,
            &serde_json::json!({"transcript": "Auditor: hello"}),
        )
        .await;
    let body = assert_error(response, 403, "FORBIDDEN").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("captureiq:analyze"),
        "{body}"
    );
    let (_, capture_only) = app
        .create_key(org.id, &[Permission::CaptureIqAnalyze], &[])
        .await;
    let response = app
        .post_json(
            "/api/v1/snapreport/analyze",
            &capture_only,
            &serde_json::json!({}),
        )
        .await;
    let body = assert_error(response, 403, "FORBIDDEN").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("snapreport:generate"),
        "{body}"
    );
    // Reading the catalogue needs no permission beyond a valid key.
    assert_eq!(app.get(STANDARDS, Some(&capture_only)).await.status(), 200);
}

async fn last_used_is_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let (record, key) = app.create_key(org.id, &Permission::ALL, &[]).await;
    assert!(record.last_used_at.is_none());
    assert_eq!(app.get(STANDARDS, Some(&key)).await.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let stored = app.store.api_key(record.id).await.unwrap().unwrap();
        if let Some(at) = stored.last_used_at {
            assert!(at >= record.created_at);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "last_used_at never written"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn rotation_keeps_old_key_for_grace_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app.create_org("acme").await;
    let (record, old) = app
        .create_key(org.id, &[Permission::CaptureIqAnalyze], &["127.0.0.1"])
        .await;
    let rotated = app
        .cli_json(&[
            "admin",
            "key",
            "rotate",
            &record.id.to_string(),
            "--grace",
            "1h",
        ])
        .await;
    let new = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(
        rotated["permissions"],
        serde_json::json!(["captureiq:analyze"])
    );
    assert_eq!(rotated["allowed_ips"], serde_json::json!(["127.0.0.1"]));
    assert_eq!(rotated["replaces"], record.id.to_string());
    assert_eq!(app.get(STANDARDS, Some(&new)).await.status(), 200);
    assert_eq!(
        app.get(STANDARDS, Some(&old)).await.status(),
        200,
        "old key works during the grace period"
    );

    // Without a grace period the old key stops at once.
    let newest = app
        .cli_json(&["admin", "key", "rotate", rotated["id"].as_str().unwrap()])
        .await;
    let response = eventually_status(&app, &new, 401).await;
    assert_error(response, 401, "UNAUTHORIZED").await;
    assert_eq!(
        app.get(STANDARDS, Some(newest["key"].as_str().unwrap()))
            .await
            .status(),
        200
    );
}

on_both_backends!(
    missing_header_is_401_with_challenge,
    wrong_scheme_is_401,
    malformed_keys_are_401,
    unknown_key_is_401,
    expired_key_is_401,
    revoked_key_is_401_even_when_cached,
    ipv4_allowlist_and_cidr,
    ipv6_allowlist_and_mapped_ipv4,
    spoofed_forwarded_for_from_untrusted_peer_is_ignored,
    forwarded_for_from_trusted_proxy_names_the_client,
    missing_permission_is_403_naming_it,
    last_used_is_recorded,
    rotation_keeps_old_key_for_grace_period,
);
