//! The Chat Completions client on the wire: a `wiremock` server plays OpenAI,
//! Azure OpenAI and a server without structured output, and every test checks
//! what the client actually sent.

use super::*;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-test";

fn settings(base_url: String) -> ChatSettings {
    ChatSettings {
        base_url,
        api_key: Some(SecretString::from(KEY)),
        auth: AuthStyle::Bearer,
        api_version: None,
        model: "gpt-4o".into(),
        structured_output: StructuredOutput::JsonSchema,
        vision: true,
        context_window: 128_000,
        max_output_tokens: 800,
        temperature: 0.5,
        timeout: Duration::from_secs(10),
        max_attempts: 3,
        backoff_base: Duration::from_millis(10),
    }
}

/// OpenAI's shape: `{server}/v1`, bearer key, strict JSON schema.
fn openai(server: &MockServer) -> ChatSettings {
    settings(format!("{}/v1", server.uri()))
}

fn client(settings: ChatSettings) -> ChatClient {
    let _ = rustls::crypto::ring::default_provider().install_default();
    ChatClient::new(settings).unwrap()
}

fn schema() -> Schema {
    Schema {
        name: "verdict",
        schema: json!({
            "type": "object",
            "properties": {
                "verdict": {"type": "string", "enum": ["pass", "fail"]},
                "score": {"type": "integer"}
            },
            "required": ["verdict", "score"],
            "additionalProperties": false
        }),
    }
}

fn prompt() -> Vec<Message> {
    vec![
        Message::system("You grade QA captures."),
        Message::user("Torque recorded at 42 Nm; the spec asks for 40–45 Nm."),
    ]
}

/// `prompt()` as it goes on the wire.
fn prompt_json() -> Value {
    json!([
        {"role": "system", "content": "You grade QA captures."},
        {"role": "user", "content": "Torque recorded at 42 Nm; the spec asks for 40–45 Nm."}
    ])
}

/// What `schema()` asks for.
#[derive(Debug, PartialEq)]
struct Verdict {
    pass: bool,
    score: i64,
}

fn verdict(value: Value) -> Result<Verdict, String> {
    let pass = match value["verdict"].as_str() {
        Some("pass") => true,
        Some("fail") => false,
        other => {
            return Err(format!(
                "verdict must be \"pass\" or \"fail\", not {other:?}"
            ));
        }
    };
    let score = value["score"]
        .as_i64()
        .ok_or_else(|| "score must be an integer".to_owned())?;
    Ok(Verdict { pass, score })
}

const GOOD: &str = r#"{"verdict":"pass","score":9}"#;

/// A Chat Completions answer, as OpenAI sends it.
fn completion(
    content: &str,
    finish_reason: &str,
    prompt_tokens: u64,
    completion_tokens: u64,
) -> Value {
    json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "gpt-4o-2024-08-06",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": finish_reason
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens
        },
        "system_fingerprint": "fp_f9f4fb6dbf"
    })
}

fn answer(content: &str, prompt_tokens: u64, completion_tokens: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(completion(
        content,
        "stop",
        prompt_tokens,
        completion_tokens,
    ))
}

fn usage(input_tokens: u64, output_tokens: u64) -> TokenUsage {
    TokenUsage {
        input_tokens,
        output_tokens,
    }
}

/// Answers `response` to the next `times` requests, then lets the mocks
/// mounted after it answer.
async fn queue(server: &MockServer, times: u64, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .respond_with(response)
        .up_to_n_times(times)
        .mount(server)
        .await;
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

fn messages_of(request: &Request) -> Vec<Value> {
    body(request)["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn openai_gets_bearer_auth_and_a_strict_json_schema() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .respond_with(answer(GOOD, 1_234, 17))
        .mount(&server)
        .await;
    let mut messages = prompt();
    messages.push(Message::user_parts(vec![
        Part::Text {
            text: "The gauge:".into(),
        },
        Part::ImageUrl {
            image_url: ImageUrl {
                url: "data:image/jpeg;base64,/9j/4AAQ".into(),
            },
        },
    ]));

    let answer = client(openai(&server))
        .ask(messages, &schema(), verdict)
        .await
        .unwrap();

    assert_eq!(
        answer,
        Answer {
            value: Verdict {
                pass: true,
                score: 9
            },
            usage: usage(1_234, 17),
            model: "gpt-4o-2024-08-06".into(),
        }
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/v1/chat/completions");
    assert_eq!(request.url.query(), None);
    assert_eq!(request.headers["authorization"], "Bearer sk-test");
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(request.headers.get("api-key").is_none());
    assert_eq!(
        body(request),
        json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You grade QA captures."},
                {"role": "user", "content": "Torque recorded at 42 Nm; the spec asks for 40–45 Nm."},
                {"role": "user", "content": [
                    {"type": "text", "text": "The gauge:"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}}
                ]}
            ],
            "temperature": 0.5,
            "max_tokens": 800,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "verdict", "strict": true, "schema": schema().schema}
            }
        })
    );
}

#[tokio::test]
async fn azure_gets_the_deployment_path_api_version_and_api_key_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/openai/deployments/gpt4o/chat/completions"))
        .and(query_param("api-version", "2024-10-21"))
        .and(header("api-key", "azure-key-0123"))
        .respond_with(answer(GOOD, 50, 8))
        .mount(&server)
        .await;
    let client = client(ChatSettings {
        api_key: Some(SecretString::from("azure-key-0123")),
        auth: AuthStyle::ApiKeyHeader,
        api_version: Some("2024-10-21".into()),
        // A trailing slash is tolerated.
        ..settings(format!("{}/openai/deployments/gpt4o/", server.uri()))
    });

    let answer = client.ask(prompt(), &schema(), verdict).await.unwrap();

    assert_eq!(answer.usage, usage(50, 8));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.url.path(),
        "/openai/deployments/gpt4o/chat/completions"
    );
    assert_eq!(request.url.query(), Some("api-version=2024-10-21"));
    assert_eq!(request.headers["api-key"], "azure-key-0123");
    assert!(request.headers.get("authorization").is_none());
}

#[tokio::test]
async fn without_a_key_no_credentials_are_sent_and_the_configured_model_stands_in() {
    let server = MockServer::start().await;
    let mut reply = completion(GOOD, "stop", 10, 5);
    reply.as_object_mut().unwrap().remove("model");
    queue(&server, 1, ResponseTemplate::new(200).set_body_json(reply)).await;

    let answer = client(ChatSettings {
        api_key: None,
        ..openai(&server)
    })
    .ask(prompt(), &schema(), verdict)
    .await
    .unwrap();

    assert_eq!(answer.model, "gpt-4o");
    let requests = received(&server).await;
    assert!(requests[0].headers.get("authorization").is_none());
    assert!(requests[0].headers.get("api-key").is_none());
}

#[tokio::test]
async fn json_object_mode_puts_the_schema_in_a_system_message() {
    let server = MockServer::start().await;
    queue(&server, 1, answer(GOOD, 300, 12)).await;

    let answer = client(ChatSettings {
        structured_output: StructuredOutput::JsonObject,
        ..openai(&server)
    })
    .ask(prompt(), &schema(), verdict)
    .await
    .unwrap();

    assert_eq!(
        answer.value,
        Verdict {
            pass: true,
            score: 9
        }
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let sent = body(&requests[0]);
    assert_eq!(sent["response_format"], json!({"type": "json_object"}));
    let messages = messages_of(&requests[0]);
    // The schema joins the first system message: some chat templates
    // refuse a system message anywhere else.
    assert_eq!(messages.len(), 2);
    let original = prompt_json();
    assert_eq!(messages[1], original[1]);
    let system = messages[0]["content"].as_str().unwrap();
    assert!(
        system.starts_with(original[0]["content"].as_str().unwrap()),
        "{system}"
    );
    assert_schema_instruction(&messages[0]);
}

#[tokio::test]
async fn without_structured_output_fenced_json_amid_prose_is_extracted() {
    let server = MockServer::start().await;
    let chatty = "Sure! Here is my assessment:\n\n```json\n{\n  \"verdict\": \"fail\",\n  \"score\": 3\n}\n```\n\nThe torque {sic} was borderline.";
    queue(&server, 1, answer(chatty, 300, 60)).await;

    let answer = client(ChatSettings {
        structured_output: StructuredOutput::None,
        ..openai(&server)
    })
    .ask(prompt(), &schema(), verdict)
    .await
    .unwrap();

    assert_eq!(
        answer.value,
        Verdict {
            pass: false,
            score: 3
        }
    );
    assert_eq!(answer.usage, usage(300, 60));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let sent = body(&requests[0]);
    assert!(sent.get("response_format").is_none(), "{sent}");
    let mut keys: Vec<_> = sent.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["max_tokens", "messages", "model", "temperature"]);
    let messages = messages_of(&requests[0]);
    // The schema joins the first system message: some chat templates
    // refuse a system message anywhere else.
    assert_eq!(messages.len(), 2);
    let original = prompt_json();
    assert_eq!(messages[1], original[1]);
    let system = messages[0]["content"].as_str().unwrap();
    assert!(
        system.starts_with(original[0]["content"].as_str().unwrap()),
        "{system}"
    );
    assert_schema_instruction(&messages[0]);
}

fn assert_schema_instruction(message: &Value) {
    assert_eq!(message["role"], "system");
    let text = message["content"].as_str().unwrap();
    assert!(text.contains("JSON"), "{text}");
    assert!(text.contains(&schema().schema.to_string()), "{text}");
}

#[tokio::test]
async fn rate_limits_are_retried_after_the_servers_delay() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429)
        .insert_header("retry-after", "0.05")
        .set_body_json(json!({"error": {
            "message": "Rate limit reached for gpt-4o on tokens per min (TPM).",
            "type": "tokens", "param": null, "code": "rate_limit_exceeded"
        }}));
    // The delay the client takes from that answer.
    let headers = reqwest::header::HeaderMap::from_iter([(
        reqwest::header::RETRY_AFTER,
        reqwest::header::HeaderValue::from_static("0.05"),
    )]);
    assert!(matches!(
        classify_status(reqwest::StatusCode::TOO_MANY_REQUESTS, &headers, ""),
        Failure::Transient { after: Some(after), .. } if after == Duration::from_millis(50)
    ));
    queue(&server, 1, limited).await;
    queue(&server, 1, answer(GOOD, 200, 10)).await;

    let answer = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap();

    assert_eq!(answer.usage, usage(200, 10));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_eq!(
        body(&requests[1]),
        body(&requests[0]),
        "the same request again"
    );
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = MockServer::start().await;
    queue(
        &server,
        1,
        ResponseTemplate::new(500).set_body_json(json!({"error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error"
        }})),
    )
    .await;
    queue(&server, 1, answer(GOOD, 200, 10)).await;

    let answer = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap();

    assert_eq!(
        answer.value,
        Verdict {
            pass: true,
            score: 9
        }
    );
    assert_eq!(answer.usage, usage(200, 10));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn client_errors_fail_at_once() {
    let server = MockServer::start().await;
    queue(
        &server,
        u64::MAX,
        ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Invalid schema for response_format 'verdict'.",
            "type": "invalid_request_error", "param": "response_format", "code": null
        }})),
    )
    .await;

    let error = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap_err();

    let AnalysisError::Failed(message) = &error else {
        panic!("not Failed: {error:?}");
    };
    assert!(message.contains("400"), "{message}");
    assert!(
        message.contains("Invalid schema for response_format"),
        "{message}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn persistent_outages_are_unavailable_after_max_attempts() {
    let server = MockServer::start().await;
    queue(
        &server,
        u64::MAX,
        ResponseTemplate::new(503).set_body_string("upstream overloaded"),
    )
    .await;

    let error = client(ChatSettings {
        max_attempts: 4,
        ..openai(&server)
    })
    .ask(prompt(), &schema(), verdict)
    .await
    .unwrap_err();

    let AnalysisError::Unavailable(message) = &error else {
        panic!("not Unavailable: {error:?}");
    };
    assert!(message.contains("4 times"), "{message}");
    assert!(message.contains("upstream overloaded"), "{message}");
    assert_eq!(received(&server).await.len(), 4);
}

#[tokio::test]
async fn timeouts_are_retried() {
    let server = MockServer::start().await;
    queue(
        &server,
        1,
        answer(GOOD, 1, 1).set_delay(Duration::from_secs(30)),
    )
    .await;
    queue(&server, 1, answer(GOOD, 200, 10)).await;

    let answer = client(ChatSettings {
        timeout: Duration::from_millis(500),
        ..openai(&server)
    })
    .ask(prompt(), &schema(), verdict)
    .await
    .unwrap();

    assert_eq!(
        answer.usage,
        usage(200, 10),
        "the abandoned answer cost nothing"
    );
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn unreachable_servers_are_unavailable() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let error = client(settings(format!("http://127.0.0.1:{port}/v1")))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap_err();

    assert!(matches!(error, AnalysisError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn malformed_json_gets_one_repair_round() {
    let server = MockServer::start().await;
    let bad = r#"{"verdict": "pass", "score": 9"#;
    queue(&server, 1, answer(bad, 400, 11)).await;
    queue(&server, 1, answer(GOOD, 430, 12)).await;

    let answer = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap();

    assert_eq!(
        answer.value,
        Verdict {
            pass: true,
            score: 9
        }
    );
    assert_eq!(answer.usage, usage(830, 23), "both answers are paid for");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    let (first, second) = (body(&requests[0]), body(&requests[1]));
    let repair = assert_repair_of(&first, &second, bad);
    assert!(repair.contains("no valid JSON"), "{repair}");
}

#[tokio::test]
async fn answers_the_check_refuses_get_one_repair_round() {
    let server = MockServer::start().await;
    let wrong = r#"{"verdict":"maybe","score":9}"#;
    queue(&server, 1, answer(wrong, 400, 11)).await;
    queue(&server, 1, answer(GOOD, 430, 12)).await;

    let answer = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap();

    assert_eq!(
        answer.value,
        Verdict {
            pass: true,
            score: 9
        }
    );
    assert_eq!(answer.usage, usage(830, 23));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    let repair = assert_repair_of(&body(&requests[0]), &body(&requests[1]), wrong);
    assert!(
        repair.contains(r#"verdict must be "pass" or "fail", not Some("maybe")"#),
        "{repair}"
    );
}

#[tokio::test]
async fn a_second_bad_answer_fails_naming_the_repair_round() {
    let server = MockServer::start().await;
    queue(&server, u64::MAX, answer("I think it passes.", 400, 5)).await;

    let error = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap_err();

    let AnalysisError::Failed(message) = &error else {
        panic!("not Failed: {error:?}");
    };
    assert!(message.contains("repair round"), "{message}");
    assert!(message.contains("no valid JSON"), "{message}");
    assert_eq!(received(&server).await.len(), 2, "one repair, no more");
}

/// `second` is `first` with the bad answer and a request to fix it appended;
/// returns that request's text.
fn assert_repair_of(first: &Value, second: &Value, bad_answer: &str) -> String {
    let (mut first, mut second) = (first.clone(), second.clone());
    let sent = first["messages"].take();
    let Value::Array(mut resent) = second["messages"].take() else {
        panic!("no messages: {second}");
    };
    assert_eq!(first, second, "only the messages change");
    let repair = resent.pop().unwrap();
    let answered = resent.pop().unwrap();
    assert_eq!(Value::from(resent), sent);
    assert_eq!(
        answered,
        json!({"role": "assistant", "content": bad_answer})
    );
    assert_eq!(repair["role"], "user");
    let text = repair["content"].as_str().unwrap().to_owned();
    assert!(text.contains("corrected JSON"), "{text}");
    text
}

#[tokio::test]
async fn usage_is_summed_over_retries_and_repairs() {
    let server = MockServer::start().await;
    // 200s that are not Chat Completions answers: the server's fault.
    queue(
        &server,
        1,
        ResponseTemplate::new(200).set_body_string("<html><body>502 Bad Gateway</body></html>"),
    )
    .await;
    queue(
        &server,
        1,
        ResponseTemplate::new(200).set_body_json(json!({"error": {
            "message": "The model is overloaded.", "type": "server_error"
        }})),
    )
    .await;
    // Cut off at max_tokens: repaired.
    let cut = r#"{"verdict": "pass", "sc"#;
    queue(
        &server,
        1,
        ResponseTemplate::new(200).set_body_json(completion(cut, "length", 500, 800)),
    )
    .await;
    queue(&server, 1, answer(GOOD, 520, 14)).await;

    let answer = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap();

    assert_eq!(
        answer.value,
        Verdict {
            pass: true,
            score: 9
        }
    );
    assert_eq!(answer.usage, usage(1_020, 814));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 4);
    let first = body(&requests[0]);
    assert_eq!(body(&requests[1]), first);
    assert_eq!(body(&requests[2]), first);
    let repair = assert_repair_of(&first, &body(&requests[3]), cut);
    assert!(repair.contains("cut off"), "{repair}");
}

#[tokio::test]
async fn a_truncated_answer_is_repaired_even_when_it_parses() {
    let server = MockServer::start().await;
    queue(
        &server,
        1,
        ResponseTemplate::new(200).set_body_json(completion(GOOD, "length", 100, 800)),
    )
    .await;
    queue(&server, 1, answer(GOOD, 120, 10)).await;

    let answer = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap();

    assert_eq!(answer.usage, usage(220, 810));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn refusals_fail_without_a_retry() {
    let server = MockServer::start().await;
    let refusal = "I'm sorry, I cannot assist with that request.";
    queue(
        &server,
        u64::MAX,
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeH",
            "object": "chat.completion",
            "created": 1_741_569_953,
            "model": "gpt-4o-2024-08-06",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": null, "refusal": refusal},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 300, "completion_tokens": 10, "total_tokens": 310}
        })),
    )
    .await;

    let error = client(openai(&server))
        .ask(prompt(), &schema(), verdict)
        .await
        .unwrap_err();

    let AnalysisError::Failed(message) = &error else {
        panic!("not Failed: {error:?}");
    };
    assert!(message.contains(refusal), "{message}");
    assert_eq!(received(&server).await.len(), 1);
}

#[test]
fn debug_output_holds_no_secret() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    for auth in [AuthStyle::Bearer, AuthStyle::ApiKeyHeader] {
        let client = ChatClient::new(ChatSettings {
            api_key: Some(SecretString::from("sk-proj-very-secret-0123456789")),
            auth,
            api_version: Some("2024-10-21".into()),
            ..settings("https://example.openai.azure.com/openai/deployments/gpt4o".into())
        })
        .unwrap();
        for debug in [
            format!("{client:?}"),
            format!("{client:#?}"),
            format!("{:?}", client.settings),
        ] {
            assert!(!debug.contains("very-secret"), "{debug}");
        }
        assert!(format!("{client:?}").contains("gpt4o/chat/completions?api-version=2024-10-21"));
    }
}

#[test]
fn message_text_leaves_images_out() {
    let message = Message::user_parts(vec![
        Part::Text { text: "one".into() },
        Part::ImageUrl {
            image_url: ImageUrl {
                url: "data:image/png;base64,iVBO".into(),
            },
        },
        Part::Text { text: "two".into() },
    ]);
    assert_eq!(message.text(), "one\ntwo");
    assert_eq!(Message::system("rules").text(), "rules");
}
