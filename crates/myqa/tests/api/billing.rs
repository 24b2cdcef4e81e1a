//! Coins over real HTTP (SPEC §9): the price formula and the ledger, 402 at
//! admission before anything is stored, completion into overdraft, grants,
//! the usage endpoint and `myqa admin usage`, and an exact balance under a
//! thousand concurrent completions.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audio::{fixture, stored_files};
use crate::openai::{fake_model, with_model};
use crate::support::{Backend, TestApp, assert_error, on_both_backends, raw_db};

const CAPTURE: &str = "/api/v1/captureiq/analyze";
const SNAP: &str = "/api/v1/snapreport/analyze";
const TRANSCRIPT: &str = "Auditor: The caliper on line 2 is overdue for calibration.\nSupervisor: I'll book it in today.";

/// An organisation with `coins` (through the admin CLI, as an operator would)
/// and a key with both permissions. Returns (org id, raw key).
async fn customer(app: &TestApp, name: &str, coins: i64) -> (Uuid, String) {
    let org = app
        .cli_json(&[
            "admin",
            "org",
            "create",
            "--name",
            name,
            "--coins",
            &coins.to_string(),
        ])
        .await;
    let key = app
        .cli_json(&[
            "admin",
            "key",
            "create",
            "--org",
            name,
            "--name",
            "billing test",
            "--permission",
            "captureiq:analyze",
            "--permission",
            "snapreport:generate",
        ])
        .await;
    (
        Uuid::parse_str(org["id"].as_str().unwrap()).unwrap(),
        key["key"].as_str().unwrap().to_owned(),
    )
}

async fn balance(app: &TestApp, org: Uuid) -> i64 {
    app.store
        .organisation(org)
        .await
        .unwrap()
        .unwrap()
        .coins_balance
}

async fn charges_follow_the_formula_and_the_ledger(backend: Backend) {
    // The fake model reports 1,200 input and 300 output tokens per call:
    // at 1.5 and 5 coins per thousand, 1.8 + 1.5 = 3.3, so 4 coins.
    let server = fake_model().await;
    let uri = format!("{}/v1", server.uri());
    let app = TestApp::spawn_configured(backend, |c| {
        with_model(c, uri, "test-analysis-key", "gpt-4o-mini");
        c.coin_rate_input = 1.5;
        c.coin_rate_output = 5.0;
    })
    .await;
    let (org, key) = customer(&app, "Acme Foods", 100).await;

    let answer: Value = app
        .post_json(CAPTURE, &key, &json!({"transcript": TRANSCRIPT}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["token_usage"],
        json!({"input_tokens": 1200, "output_tokens": 300})
    );
    assert_eq!(answer["data"]["coins_charged"], 4, "{answer}");
    assert_eq!(balance(&app, org).await, 96);

    let evidence =
        json!([{"type": "text", "content": "Caliper DC-07 is overdue for calibration."}]);
    let answer: Value = app
        .post_json(
            SNAP,
            &key,
            &json!({"standard_id": "ISO9001", "evidence": evidence}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["data"]["coins_charged"], 4, "{answer}");
    assert_eq!(balance(&app, org).await, 92);

    // The ledger: one row per call, with what was consumed and charged.
    let db = raw_db(&app).await;
    let org_sql = db.id(org);
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM usage_records WHERE org_id = {org_sql}"
        ))
        .await,
        2
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM usage_records WHERE org_id = {org_sql} AND input_tokens = 1200
             AND output_tokens = 300 AND audio_ms = 0 AND coins = 4"
        ))
        .await,
        2
    );
    assert_eq!(
        db.scalar(&format!("SELECT COUNT(*) FROM usage_records WHERE org_id = {org_sql} AND endpoint = 'snapreport.analyze'")).await,
        1
    );
    // A balance is its grants (the opening balance is one) minus its charges.
    let granted = db
        .scalar(&format!(
            "SELECT CAST(SUM(amount) AS BIGINT) FROM coin_grants WHERE org_id = {org_sql}"
        ))
        .await;
    let charged = db
        .scalar(&format!(
            "SELECT CAST(SUM(coins) AS BIGINT) FROM usage_records WHERE org_id = {org_sql}"
        ))
        .await;
    assert_eq!((granted, charged), (100, 8));
    assert_eq!(granted - charged, balance(&app, org).await);

    // The usage endpoint and the CLI report the same totals.
    let report: Value = app
        .get("/api/v1/usage", Some(&key))
        .await
        .json()
        .await
        .unwrap();
    let data = &report["data"];
    assert_eq!(data["balance"], 92, "{report}");
    assert_eq!(data["unlimited"], false);
    assert_eq!(
        data["totals"],
        json!({"requests": 2, "input_tokens": 2400, "output_tokens": 600, "audio_ms": 0, "coins": 8})
    );
    let endpoints: BTreeSet<&str> = data["by_endpoint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        BTreeSet::from(["captureiq.analyze", "snapreport.analyze"])
    );
    let days = data["by_day"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{report}");
    assert_eq!(
        days[0]["date"],
        myqa_core::time::now().date_naive().to_string()
    );
    assert_eq!(days[0]["coins"], 8);
    let cli = app
        .cli_json(&["admin", "usage", "--org", "Acme Foods"])
        .await;
    assert_eq!(cli["totals"], data["totals"]);
    assert_eq!(cli["balance"], 92);

    // A period with nothing in it, and one that is not a period.
    let empty: Value = app
        .get("/api/v1/usage?from=2020-01-01&to=2020-01-31", Some(&key))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["data"]["totals"]["requests"], 0);
    assert_eq!(empty["data"]["by_day"], json!([]));
    let error = assert_error(
        app.get("/api/v1/usage?from=2020-02-01&to=2020-01-01", Some(&key))
            .await,
        400,
        "INVALID_INPUT",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`from`"),
        "{error}"
    );
    assert_error(
        app.get("/api/v1/usage?from=last-week", Some(&key)).await,
        400,
        "INVALID_INPUT",
    )
    .await;
}

async fn an_empty_balance_is_402_before_anything_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, key) = customer(&app, "Broke Bakery", 0).await;

    let error = assert_error(
        app.post_json(CAPTURE, &key, &json!({"transcript": TRANSCRIPT}))
            .await,
        402,
        "INSUFFICIENT_COINS",
    )
    .await;
    assert!(
        error["error"]["message"].as_str().unwrap().contains("coin"),
        "{error}"
    );
    // A multipart upload is refused before a byte of it is stored.
    let recording = std::fs::read(fixture("speech.mp3")).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("session_type", "audit")
        .part(
            "audio",
            reqwest::multipart::Part::bytes(recording)
                .file_name("speech.mp3")
                .mime_str("audio/mpeg")
                .unwrap(),
        );
    assert_error(
        app.post_form(CAPTURE, &key, form).await,
        402,
        "INSUFFICIENT_COINS",
    )
    .await;
    let blobs = app.dir.path().join("blobs");
    assert!(
        stored_files(&blobs).is_empty(),
        "{:?}",
        stored_files(&blobs)
    );
    let db = raw_db(&app).await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM jobs").await, 0);

    // The usage endpoint still answers, and a grant lets calls through.
    let report: Value = app
        .get("/api/v1/usage", Some(&key))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["data"]["balance"], 0);
    let grant = app
        .cli_json(&[
            "admin",
            "coins",
            "grant",
            "--org",
            "Broke Bakery",
            "--amount",
            "5",
            "--note",
            "trial",
        ])
        .await;
    assert_eq!(grant["balance"], 5);
    let response = app
        .post_json(CAPTURE, &key, &json!({"transcript": TRANSCRIPT}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM coin_grants WHERE org_id = {} AND amount = 5",
            db.id(org)
        ))
        .await,
        1
    );
}

async fn a_call_admitted_with_coins_completes_into_overdraft(backend: Backend) {
    let server = fake_model().await;
    let uri = format!("{}/v1", server.uri());
    let app = TestApp::spawn_configured(backend, |c| {
        with_model(c, uri, "test-analysis-key", "gpt-4o-mini")
    })
    .await;
    let (org, key) = customer(&app, "Thin Margins", 1).await;
    // 1,200 in and 300 out at the default rates: 1.2 + 1.2 = 2.4, so 3 coins.
    let answer: Value = app
        .post_json(CAPTURE, &key, &json!({"transcript": TRANSCRIPT}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["data"]["coins_charged"], 3, "{answer}");
    assert_eq!(balance(&app, org).await, -2);
    assert_error(
        app.post_json(CAPTURE, &key, &json!({"transcript": TRANSCRIPT}))
            .await,
        402,
        "INSUFFICIENT_COINS",
    )
    .await;
}

async fn a_thousand_concurrent_completions_keep_the_balance_exact(backend: Backend) {
    const JOBS: usize = 1000;
    const START: i64 = 1_000_000;
    let app = TestApp::spawn_configured(backend, |c| c.workers = 4).await;
    let (org, key) = customer(&app, "Busy Dairy", START).await;
    let texts: Vec<String> = (0..JOBS)
        .map(|i| {
            format!(
                "Auditor: Check {i}: the cleaning record for line {} is missing.",
                i % 7
            )
        })
        .collect();
    let statuses: Vec<u16> = futures_util::stream::iter(texts)
        .map(|transcript| {
            let (app, key) = (&app, &key);
            async move {
                app.post_json(CAPTURE, key, &json!({"transcript": transcript}))
                    .await
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "{:?}",
        statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>()
    );

    let db = raw_db(&app).await;
    let org_sql = db.id(org);
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(DISTINCT job_id) FROM usage_records WHERE org_id = {org_sql}"
        ))
        .await,
        JOBS as i64,
        "one charge per job"
    );
    let charged = db
        .scalar(&format!(
            "SELECT CAST(SUM(coins) AS BIGINT) FROM usage_records WHERE org_id = {org_sql}"
        ))
        .await;
    assert!(
        charged >= JOBS as i64,
        "every call costs at least a coin: {charged}"
    );
    assert_eq!(balance(&app, org).await, START - charged);
    let granted = db
        .scalar(&format!(
            "SELECT CAST(SUM(amount) AS BIGINT) FROM coin_grants WHERE org_id = {org_sql}"
        ))
        .await;
    assert_eq!(granted - charged, balance(&app, org).await);
}

on_both_backends!(
    charges_follow_the_formula_and_the_ledger,
    an_empty_balance_is_402_before_anything_is_stored,
    a_call_admitted_with_coins_completes_into_overdraft,
    a_thousand_concurrent_completions_keep_the_balance_exact,
);
