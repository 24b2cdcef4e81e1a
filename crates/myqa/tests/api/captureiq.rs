//! CaptureIQ over real HTTP: the sync shape for both session types, JSON and
//! multipart, and every validation rule of SPEC §5.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_error, on_both_backends};

const ANALYZE: &str = "/api/v1/captureiq/analyze";

pub const AUDIT: &str = "Auditor: Good morning, thanks for having me. Shall we start at goods-in?
QA Manager: Yes, of course. Mind the forklift there.
Auditor: The chiller temperature log for last week is complete and every reading is within limits.
Auditor: The calibration certificate for the reference thermometer expired in March, so the probe checks since then were made against an uncalibrated instrument.
Auditor: Please send me the new certificate by Friday and assess whether the April checks need repeating.
QA Manager: Will do.
Auditor: It might be worth labelling the allergen scoops with their own colour so they are not mixed up.";

pub const MEETING: &str = "QA Manager: Okay, let's start. Did anyone fix the coffee machine?
Technical Coordinator: Engineering say Thursday.
Technical Coordinator: Customer complaints are down to four this month, compared with eleven in March.
QA Manager: Right, we'll move environmental swabbing to Tuesday mornings so results are back before dispatch.
QA Manager: Priya, can you rewrite the drain cleaning procedure and circulate it by Friday?
Hygiene Supervisor: If drain seven comes back positive we could have a harbourage point near the mince line.
QA Manager: Do we know when the new detector will be installed?";

fn assert_capture_shape(data: &Value, session_type: &str, transcript: &str) {
    assert_eq!(data["session_type"], session_type);
    assert_eq!(data["transcript"], transcript);
    assert!(
        data["summary"].as_str().is_some_and(|s| !s.is_empty()),
        "{data}"
    );
    assert_eq!(data["language"], "en");
    assert!(data["processing_time_ms"].is_u64());
    assert!(data["model"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        data.get("audio_duration_ms").is_none(),
        "transcripts have no audio duration"
    );
    let input = data["token_usage"]["input_tokens"].as_u64().unwrap();
    let output = data["token_usage"]["output_tokens"].as_u64().unwrap();
    assert!(input > 0 && output > 0, "{data}");
    // The price formula with the default rates (1 and 4 coins per 1,000 tokens).
    let expected = (input * 60 * 1000 + output * 60 * 4000).div_ceil(60_000_000);
    assert_eq!(data["coins_charged"], expected);
    let allowed: &[&str] = match session_type {
        "audit" => &[
            "nonconformity",
            "opportunity_for_improvement",
            "positive_finding",
            "action_item",
            "general_note",
        ],
        _ => &[
            "decision",
            "key_point",
            "action_item",
            "risk",
            "question",
            "general_note",
        ],
    };
    let observations = data["observations"].as_array().unwrap();
    assert!(!observations.is_empty(), "{data}");
    for (i, o) in observations.iter().enumerate() {
        assert_eq!(o["display_order"], i + 1);
        assert!(allowed.contains(&o["category"].as_str().unwrap()), "{o}");
        let content = o["content"].as_str().unwrap();
        assert!(!content.is_empty());
        assert!(o["speaker"].is_string(), "speakers are kept: {o}");
        assert!(o.get("start_ms").is_none(), "no timings without audio");
    }
}

async fn sync_analysis_of_an_audit_and_a_meeting(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let response = app
        .post_json(ANALYZE, &key, &json!({"transcript": AUDIT}))
        .await;
    assert_eq!(response.status(), 200);
    crate::support::request_id(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_capture_shape(&body["data"], "audit", AUDIT);
    let categories: Vec<&str> = body["data"]["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["category"].as_str().unwrap())
        .collect();
    assert!(categories.contains(&"nonconformity"), "{categories:?}");

    let response = app
        .post_json(
            ANALYZE,
            &key,
            &json!({"transcript": MEETING, "session_type": "meeting", "language": "en"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_capture_shape(&body["data"], "meeting", MEETING);

    // A sync call leaves no job behind, but its charge is in the ledger.
    let db = crate::support::raw_db(&app).await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM jobs").await,
        0,
        "sync results are never stored"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM usage_records").await, 2);
}

async fn multipart_text_fields_work_and_audio_is_refused_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let form = reqwest::multipart::Form::new()
        .text("transcript", MEETING)
        .text("session_type", "meeting");
    let response = app.post_form(ANALYZE, &key, form).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_capture_shape(&body["data"], "meeting", MEETING);

    let form = reqwest::multipart::Form::new()
        .text("session_type", "audit")
        .part(
            "audio",
            reqwest::multipart::Part::bytes(vec![0u8; 4096]).file_name("visit.mp3"),
        );
    let response = app.post_form(ANALYZE, &key, form).await;
    let body = assert_error(response, 503, "SERVICE_UNAVAILABLE").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("transcription"),
        "{body}"
    );

    let form = reqwest::multipart::Form::new()
        .text("transcript", AUDIT)
        .part(
            "audio",
            reqwest::multipart::Part::bytes(vec![0u8; 16]).file_name("visit.mp3"),
        );
    let response = app.post_form(ANALYZE, &key, form).await;
    let body = assert_error(response, 400, "INVALID_INPUT").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not both"),
        "{body}"
    );

    let form = reqwest::multipart::Form::new()
        .text("transcript", AUDIT)
        .text("session-type", "audit");
    let response = app.post_form(ANALYZE, &key, form).await;
    let body = assert_error(response, 400, "INVALID_INPUT").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("session-type"),
        "{body}"
    );
}

async fn every_validation_rule_names_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (json!({}), 400, "INVALID_INPUT", "transcript"),
        (
            json!({"transcript": "   \n "}),
            400,
            "INVALID_INPUT",
            "transcript must not be blank",
        ),
        (
            json!({"transcript": "x".repeat(2_000_001)}),
            400,
            "INVALID_INPUT",
            "2000000",
        ),
        (json!({"transcript": 5}), 400, "INVALID_INPUT", "transcript"),
        (
            json!({"transcript": AUDIT, "session_type": "workshop"}),
            400,
            "INVALID_INPUT",
            "session_type must be one of: audit, meeting",
        ),
        (
            json!({"transcript": AUDIT, "language": "es"}),
            400,
            "INVALID_INPUT",
            "language must be one of: auto, en, fr, de",
        ),
        (
            json!({"transcript": AUDIT, "session-type": "audit"}),
            400,
            "INVALID_INPUT",
            "session-type",
        ),
        (
            json!({"transcript": AUDIT, "audio": "x"}),
            400,
            "INVALID_INPUT",
            "audio",
        ),
        (
            json!({"transcript": AUDIT, "callback_secret": "s"}),
            400,
            "INVALID_INPUT",
            "callback_secret",
        ),
        (
            json!({"transcript": AUDIT, "callback_url": "https://8.8.8.8/h", "callback_secret": ""}),
            400,
            "INVALID_INPUT",
            "callback_secret",
        ),
        (
            json!({"transcript": AUDIT, "callback_url": "https://8.8.8.8/h", "callback_secret": "x".repeat(1025)}),
            400,
            "INVALID_INPUT",
            "callback_secret",
        ),
        (
            json!({"transcript": AUDIT, "callback_url": "https://8.8.8.8/h", "callback_secret": "whsec_%%%"}),
            400,
            "INVALID_INPUT",
            "callback_secret",
        ),
        (
            json!({"transcript": AUDIT, "callback_url": "http://8.8.8.8/h"}),
            400,
            "INVALID_CALLBACK_URL",
            "callback_url must use https",
        ),
        (
            json!({"transcript": AUDIT, "callback_url": "https://127.0.0.1/h"}),
            400,
            "INVALID_CALLBACK_URL",
            "callback_url",
        ),
    ];
    for (body, status, code, needle) in cases {
        let response = app.post_json(ANALYZE, &key, &body).await;
        let error = assert_error(response, status, code).await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body:.80}: {message}");
    }
    let response = app
        .client
        .post(app.url(ANALYZE))
        .bearer_auth(&key)
        .header("content-type", "text/plain")
        .body(AUDIT)
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 400, "INVALID_INPUT").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("multipart/form-data"),
        "{body}"
    );
    let response = app
        .client
        .post(app.url(ANALYZE))
        .bearer_auth(&key)
        .header("idempotency-key", "")
        .json(&json!({"transcript": AUDIT}))
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 400, "INVALID_INPUT").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{body}"
    );
}

on_both_backends!(
    sync_analysis_of_an_audit_and_a_meeting,
    multipart_text_fields_work_and_audio_is_refused_unread,
    every_validation_rule_names_its_field,
);
