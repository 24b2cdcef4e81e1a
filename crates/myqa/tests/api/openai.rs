//! The `openai` analysis provider through the whole service: configuration,
//! both products over real HTTP, against a wire-level fake of the Chat
//! Completions API; and, opt-in, against a real OpenAI-compatible server.

use myqa_core::config::{AnalysisProvider, Config};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{Backend, TestApp, on_both_backends};

const CAPTURE: &str = "/api/v1/captureiq/analyze";
const SNAP: &str = "/api/v1/snapreport/analyze";
const SERVER_MODEL: &str = "gpt-4o-mini-2024-07-18";

/// Answers like a model would: a CaptureIQ analysis or SnapReport
/// suggestions, by the schema the request asks for. The SnapReport answer
/// carries a clause that does not exist and a grade outside the scheme,
/// which must never reach the client.
struct FakeModel;

impl Respond for FakeModel {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let prompt = body["messages"].to_string();
        let schema = body["response_format"]["json_schema"]["schema"].to_string();
        let answer = if schema.contains("suggestions") {
            json!({"suggestions": [
                {"clause": "7.1.5.1", "grade": "MINOR_NC", "comment": "Caliper DC-07 is overdue for calibration.",
                 "reasoning": "Evidence 0 shows the due date passed.", "evidence_refs": [0], "confidence": 0.8},
                {"clause": "99.9", "grade": "MINOR_NC", "comment": "x", "reasoning": "x", "evidence_refs": [0], "confidence": 0.5},
                {"clause": "9.2.2", "grade": "EXCELLENT", "comment": "x", "reasoning": "x", "evidence_refs": [0], "confidence": 0.5}
            ]})
        } else if schema.contains("observations") {
            assert!(
                prompt.contains("nonconformity"),
                "the categories are named: {prompt}"
            );
            json!({"summary": "The caliper on line 2 is overdue for calibration.",
                   "observations": [{"category": "NC", "content": "Caliper DC-07 is overdue for calibration.",
                                     "speaker": "Auditor", "quote": "the caliper is overdue"}]})
        } else {
            json!({"summary": "Merged summary."})
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_764_288_000,
            "model": SERVER_MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.to_string(), "refusal": null},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
        }))
    }
}

pub(crate) async fn fake_model() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer test-analysis-key"))
        .respond_with(FakeModel)
        .mount(&server)
        .await;
    server
}

pub(crate) fn with_model(config: &mut Config, base_url: String, key: &str, model: &str) {
    config.analysis_provider = AnalysisProvider::Openai;
    config.analysis_base_url = Some(base_url);
    config.analysis_api_key = Some(key.into());
    config.analysis_model = Some(model.into());
}

async fn both_products_run_on_the_configured_model(backend: Backend) {
    let server = fake_model().await;
    let uri = format!("{}/v1", server.uri());
    let app = TestApp::spawn_configured(backend, |c| {
        with_model(c, uri, "test-analysis-key", "gpt-4o-mini")
    })
    .await;
    let key = app.full_key().await;

    let transcript = "Auditor: Line 2, the caliper is overdue for calibration.\nSupervisor: I'll book it in today.";
    let answer: Value = app
        .post_json(
            CAPTURE,
            &key,
            &json!({"transcript": transcript, "session_type": "audit", "language": "en"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let data = &answer["data"];
    assert_eq!(data["model"], SERVER_MODEL, "{answer}");
    assert_eq!(
        data["observations"][0]["category"], "nonconformity",
        "{answer}"
    );
    assert_eq!(data["observations"][0]["speaker"], "Auditor");
    assert_eq!(
        data["token_usage"],
        json!({"input_tokens": 1200, "output_tokens": 300})
    );
    // 1.2 + 1.2 = 2.4 → 3 coins at the default rates.
    assert_eq!(data["coins_charged"], 3);

    let evidence = json!([{"type": "text", "content": "Caliper DC-07: calibration due 15/01/2024, still used on 12/03/2024."}]);
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
    let data = &answer["data"];
    assert_eq!(data["model"], SERVER_MODEL, "{answer}");
    let suggestions = data["suggestions"].as_array().unwrap();
    assert_eq!(
        suggestions.len(),
        1,
        "the unknown clause and the made-up grade are dropped: {answer}"
    );
    assert_eq!(suggestions[0]["clause_number"], "7.1.5.1");
    assert_eq!(suggestions[0]["grade"], "MINOR_NC");
    assert_eq!(suggestions[0]["evidence_refs"], json!([0]));

    // The key went to the provider as a bearer token, never elsewhere.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
}

on_both_backends!(both_products_run_on_the_configured_model);

/// Opt-in: set `MYQA_LIVE_BASE_URL`, `MYQA_LIVE_API_KEY` and `MYQA_LIVE_MODEL`
/// (optionally `MYQA_LIVE_STRUCTURED_OUTPUT`: `json_schema`, `json_object` or
/// `none`) to run both products against a real OpenAI-compatible server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_openai() {
    let (Ok(base_url), Ok(model)) = (
        std::env::var("MYQA_LIVE_BASE_URL"),
        std::env::var("MYQA_LIVE_MODEL"),
    ) else {
        eprintln!(
            "live_openai skipped: set MYQA_LIVE_BASE_URL, MYQA_LIVE_API_KEY and MYQA_LIVE_MODEL to run it"
        );
        return;
    };
    let api_key = std::env::var("MYQA_LIVE_API_KEY").unwrap_or_default();
    let mode =
        std::env::var("MYQA_LIVE_STRUCTURED_OUTPUT").unwrap_or_else(|_| "json_schema".to_owned());
    let app = TestApp::spawn_configured(Backend::Sqlite, |c| {
        with_model(c, base_url, &api_key, &model);
        if api_key.is_empty() {
            c.analysis_api_key = None;
        }
        c.analysis_structured_output = serde_json::from_value(json!(mode)).unwrap();
    })
    .await;
    let key = app.full_key().await;

    let transcript = "Auditor: On line 2 the caliper DC-07 is past its calibration due date and still in use.\n\
        QA Manager: We will quarantine it today and check the parts measured since January.\n\
        Auditor: The internal audit programme looks good, every process was audited last year.";
    let response = app
        .post_json(
            CAPTURE,
            &key,
            &json!({"transcript": transcript, "session_type": "audit"}),
        )
        .await;
    let answer: Value = response.json().await.unwrap();
    eprintln!("CaptureIQ: {answer:#}");
    assert_eq!(answer["success"], true, "{answer}");
    assert!(
        !answer["data"]["observations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        answer["data"]["token_usage"]["input_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    let evidence = json!([
        {"type": "text", "content": "Line 2 final inspection: caliper DC-07, calibration due 15/01/2024, still used on 12/03/2024; no quarantine tag."},
        {"type": "structured", "content": {"record": "Internal audit programme 2024", "processes": 12, "audited_last_year": 12, "auditors_independent": true}}
    ]);
    let response = app
        .post_json(
            SNAP,
            &key,
            &json!({"standard_id": "ISO9001", "language": "fr", "evidence": evidence}),
        )
        .await;
    let answer: Value = response.json().await.unwrap();
    eprintln!("SnapReport: {answer:#}");
    assert_eq!(answer["success"], true, "{answer}");
    assert!(
        !answer["data"]["suggestions"].as_array().unwrap().is_empty(),
        "{answer}"
    );
}
