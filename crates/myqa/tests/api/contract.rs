//! The cross-cutting contract: request ids, envelopes, 404/405, CORS
//! preflight, the panic guard, health, OpenAPI.

use axum::routing::get;
use uuid::Uuid;

use crate::support::{Backend, TestApp, assert_error, on_both_backends, request_id};

async fn unknown_route_is_404_envelope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/nope", "/api/v1/nope", "/api/v2/standards"] {
        let body = assert_error(app.get(path, None).await, 404, "NOT_FOUND").await;
        assert!(
            body["error"]["message"].as_str().unwrap().contains(path),
            "{body}"
        );
    }
}

async fn wrong_method_is_405_with_allow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let cases = [
        (reqwest::Method::POST, "/api/v1/standards", "GET"),
        (reqwest::Method::DELETE, "/healthz", "GET"),
        (reqwest::Method::GET, "/api/v1/captureiq/analyze", "POST"),
        (reqwest::Method::PUT, "/api/v1/snapreport/analyze", "POST"),
    ];
    for (method, path, allowed) in cases {
        let response = app
            .client
            .request(method, app.url(path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let allow = response
            .headers()
            .get("allow")
            .expect("405 carries Allow")
            .to_str()
            .unwrap()
            .to_owned();
        assert!(allow.contains(allowed), "{path}: Allow {allow}");
        assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
    }
}

async fn preflight_needs_no_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/api/v1/standards",
        "/api/v1/captureiq/analyze",
        "/api/v1/standards/ISO9001/clauses",
    ] {
        let response = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        request_id(&response);
        let headers = response.headers();
        let methods = headers["access-control-allow-methods"].to_str().unwrap();
        for m in ["GET", "POST", "OPTIONS"] {
            assert!(methods.contains(m), "{methods}");
        }
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for h in ["authorization", "content-type", "idempotency-key", "prefer"] {
            assert!(allowed.contains(h), "{allowed}");
        }
        assert_eq!(headers["access-control-allow-origin"], "*");
    }
    // Ordinary responses expose the request id to browsers.
    let response = app.get("/healthz", None).await;
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for h in ["x-request-id", "location", "retry-after"] {
        assert!(exposed.contains(h), "{exposed}");
    }
}

async fn configured_origins_are_enforced(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |c| {
        c.cors_origins =
            myqa_core::config::CorsOrigins::List(vec!["https://app.example.com".into()]);
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/standards"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

async fn request_id_is_fresh_on_every_response(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let mine = Uuid::new_v4().to_string();
    let mut seen = std::collections::HashSet::new();
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/standards",
        "/nope",
        "/openapi.json",
    ] {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(&key)
            .header("x-request-id", &mine)
            .send()
            .await
            .unwrap();
        let id = request_id(&response);
        assert_ne!(
            id.to_string(),
            mine,
            "the server generates the id; it does not echo the client's"
        );
        assert!(seen.insert(id), "ids are unique");
    }
    // Success envelopes.
    let body: serde_json::Value = app
        .get("/api/v1/standards", Some(&key))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["success"], true);
}

async fn panic_in_handler_is_500_envelope(backend: Backend) {
    async fn explode() -> &'static str {
        panic!("handler exploded on purpose")
    }
    let overrides = myqa::serve::Overrides {
        routes: axum::Router::new().route("/test/panic", get(explode)),
        ..Default::default()
    };
    let app = TestApp::spawn_with(backend, |_| {}, myqa::cli::Role::All, overrides).await;
    let response = app.get("/test/panic", None).await;
    let body = assert_error(response, 500, "PROCESSING_ERROR").await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("exploded"),
        "internals never leak: {message}"
    );
    // The server lives on.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/healthz", "/readyz"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        request_id(&response);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"success": true, "data": {"status": "ok"}})
        );
    }
    // Readiness follows the database.
    app.store.close().await;
    let body = assert_error(app.get("/readyz", None).await, 503, "SERVICE_UNAVAILABLE").await;
    assert_eq!(body["error"]["details"]["database"], "unreachable");
}

async fn json_body_limit_is_enforced(backend: Backend) {
    let app =
        TestApp::spawn_configured(backend, |c| c.json_body_limit = bytesize::ByteSize::kib(64))
            .await;
    let key = app.full_key().await;
    let big = serde_json::json!({"transcript": "x".repeat(100 * 1024)});
    let response = app
        .client
        .post(app.url("/api/v1/captureiq/analyze"))
        .bearer_auth(&key)
        .json(&big)
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 400, "INVALID_INPUT").await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("limit"),
        "{body}"
    );
    let response = app
        .client
        .post(app.url("/api/v1/captureiq/analyze"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "INVALID_INPUT").await;
    let response = app
        .client
        .post(app.url("/api/v1/captureiq/analyze"))
        .bearer_auth(&key)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 400, "INVALID_INPUT").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Type"),
        "{body}"
    );
}

async fn openapi_and_docs_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/standards",
        "/api/v1/standards/{id_or_code}",
        "/api/v1/standards/{id_or_code}/clauses",
        "/api/v1/captureiq/analyze",
        "/api/v1/snapreport/analyze",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    assert_eq!(
        codes.as_array().unwrap().len(),
        myqa_core::ErrorCode::ALL.len(),
        "{codes}"
    );
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());

    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the page loads nothing from the internet"
    );
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200, "assets are bundled in the binary");
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert!(init.text().await.unwrap().contains("/openapi.json"));
}

on_both_backends!(
    unknown_route_is_404_envelope,
    wrong_method_is_405_with_allow,
    preflight_needs_no_key,
    configured_origins_are_enforced,
    request_id_is_fresh_on_every_response,
    panic_in_handler_is_500_envelope,
    health_and_readiness,
    json_body_limit_is_enforced,
    openapi_and_docs_are_served,
);
