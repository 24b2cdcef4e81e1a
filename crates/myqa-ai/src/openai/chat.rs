//! `POST {base}/chat/completions`, as OpenAI defines it, for any compatible
//! server: the request (model, messages with image parts, `response_format`
//! by the server's structured-output mode), retries on 429 (honouring
//! `Retry-After`), 5xx, timeouts and connection errors, tolerant JSON
//! extraction, and one repair round when the answer is not the JSON asked
//! for. Token usage is summed over every call, retries and repairs included;
//! `model` is what the server says answered.

use std::time::Duration;

use myqa_core::capture::TokenUsage;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};

use super::json::extract_json;
use super::retry::{Failure, backoff, classify_error, classify_status};
use crate::AnalysisError;

/// How the server takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: Bearer …` (OpenAI and nearly everyone).
    Bearer,
    /// `api-key: …` (Azure OpenAI).
    ApiKeyHeader,
}

/// What the server supports to keep the answer to a JSON shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredOutput {
    /// `response_format: {type: json_schema, …}` with the schema, strict.
    JsonSchema,
    /// `response_format: {type: json_object}`; the schema goes in the prompt.
    JsonObject,
    /// Nothing: the schema goes in the prompt and the JSON is extracted from
    /// whatever comes back (code fences, prose around it).
    None,
}

/// How to reach and use the server.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Ends before `/chat/completions`: `https://api.openai.com/v1`,
    /// `https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT`,
    /// `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:8080/v1`
    /// (llama.cpp server).
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub auth: AuthStyle,
    /// Sent as the `api-version` query parameter (Azure).
    pub api_version: Option<String>,
    pub model: String,
    pub structured_output: StructuredOutput,
    /// Whether images may be sent (as data-URL parts).
    pub vision: bool,
    /// The model's context window, in tokens: prompts are sized to fit.
    pub context_window: u64,
    /// `max_tokens` of each answer.
    pub max_output_tokens: u64,
    pub temperature: f64,
    /// Per call.
    pub timeout: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First backoff; doubled each retry.
    pub backoff_base: Duration,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Message {
    pub role: &'static str,
    pub content: Content,
}

/// Plain text, or parts (text and images) for vision models.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Part {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ImageUrl {
    /// `data:image/jpeg;base64,…`
    pub url: String,
}

impl Message {
    pub(crate) fn system(text: impl Into<String>) -> Message {
        Message {
            role: "system",
            content: Content::Text(text.into()),
        }
    }

    pub(crate) fn user(text: impl Into<String>) -> Message {
        Message {
            role: "user",
            content: Content::Text(text.into()),
        }
    }

    pub(crate) fn user_parts(parts: Vec<Part>) -> Message {
        Message {
            role: "user",
            content: Content::Parts(parts),
        }
    }

    fn assistant(text: impl Into<String>) -> Message {
        Message {
            role: "assistant",
            content: Content::Text(text.into()),
        }
    }

    /// The text of the message (image parts left out).
    pub(crate) fn text(&self) -> String {
        match &self.content {
            Content::Text(text) => text.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Text { text } => Some(text.as_str()),
                    Part::ImageUrl { .. } => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// The JSON shape an answer must have.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    /// `[a-zA-Z0-9_-]`, as `json_schema.name` requires.
    pub name: &'static str,
    /// A strict JSON schema: every property required, no others allowed.
    pub schema: Value,
}

/// A checked answer and what getting it cost.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer<T> {
    pub value: T,
    pub usage: TokenUsage,
    /// As the server reported it.
    pub model: String,
}

/// A Chat Completions client.
pub struct ChatClient {
    http: reqwest::Client,
    endpoint: String,
    pub(crate) settings: ChatSettings,
}

impl std::fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatClient")
            .field("endpoint", &self.endpoint)
            .field("model", &self.settings.model)
            .finish_non_exhaustive()
    }
}

/// One call's outcome.
struct Reply {
    content: String,
    usage: TokenUsage,
    model: Option<String>,
    truncated: bool,
}

impl ChatClient {
    pub fn new(settings: ChatSettings) -> Result<ChatClient, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("MyQA/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut endpoint = format!(
            "{}/chat/completions",
            settings.base_url.trim_end_matches('/')
        );
        if let Some(version) = &settings.api_version {
            endpoint.push_str("?api-version=");
            endpoint.push_str(version);
        }
        Ok(ChatClient {
            http,
            endpoint,
            settings,
        })
    }

    /// Asks for JSON of `schema`'s shape, and `check`s it (turning it into
    /// `T` or saying what is wrong). An answer that is not JSON, or that
    /// `check` refuses, gets one repair round: the error goes back to the
    /// model with a request for a corrected answer.
    pub(crate) async fn ask<T>(
        &self,
        mut messages: Vec<Message>,
        schema: &Schema,
        check: impl Fn(Value) -> Result<T, String>,
    ) -> Result<Answer<T>, AnalysisError> {
        if self.settings.structured_output != StructuredOutput::JsonSchema {
            // Without schema enforcement the model learns the shape from the
            // prompt (and JSON mode wants the word "JSON" there anyway). It
            // joins the first system message: some chat templates refuse a
            // system message anywhere but first.
            let note = format!(
                "Answer with one JSON object and nothing else. It must match this JSON schema:\n{}",
                schema.schema
            );
            match messages.first_mut() {
                Some(Message {
                    role: "system",
                    content: Content::Text(text),
                }) => {
                    text.push_str("\n\n");
                    text.push_str(&note);
                }
                _ => messages.insert(0, Message::system(note)),
            }
        }
        let mut usage = TokenUsage::default();
        let mut model = None;
        for round in 0..2 {
            let reply = self.call(&messages, schema, &mut usage).await?;
            model = reply.model.or(model);
            let outcome = if reply.truncated {
                Err(
                    "the answer was cut off at the output token limit; answer more briefly"
                        .to_owned(),
                )
            } else {
                extract_json(&reply.content).and_then(&check)
            };
            match outcome {
                Ok(value) => {
                    return Ok(Answer {
                        value,
                        usage,
                        model: model.unwrap_or_else(|| self.settings.model.clone()),
                    });
                }
                Err(problem) if round == 0 => {
                    tracing::warn!(%problem, "analysis answer invalid; asking for a repair");
                    messages.push(Message::assistant(reply.content));
                    messages.push(Message::user(format!(
                        "Your answer cannot be used: {problem}. Reply again with only the corrected JSON object, matching the schema."
                    )));
                }
                Err(problem) => {
                    return Err(AnalysisError::Failed(format!(
                        "the analysis provider's answer is invalid even after a repair round: {problem}"
                    )));
                }
            }
        }
        unreachable!("the loop returns in its second round")
    }

    /// One request, retried on transient failures. Usage of every answered
    /// attempt is added to `usage`.
    async fn call(
        &self,
        messages: &[Message],
        schema: &Schema,
        usage: &mut TokenUsage,
    ) -> Result<Reply, AnalysisError> {
        let body = self.body(messages, schema);
        let attempts = self.settings.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.attempt(&body).await {
                Ok(reply) => {
                    usage.input_tokens += reply.usage.input_tokens;
                    usage.output_tokens += reply.usage.output_tokens;
                    return Ok(reply);
                }
                Err(Failure::Permanent(message)) => {
                    return Err(AnalysisError::Failed(format!(
                        "analysis provider: {message}"
                    )));
                }
                Err(Failure::Transient { message, after }) => {
                    last = message;
                    if attempt < attempts {
                        let wait =
                            after.unwrap_or_else(|| backoff(self.settings.backoff_base, attempt));
                        tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %last, "analysis call failed; retrying");
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
        Err(AnalysisError::Unavailable(format!(
            "analysis provider failed {attempts} times: {last}"
        )))
    }

    fn body(&self, messages: &[Message], schema: &Schema) -> Value {
        let mut body = json!({
            "model": self.settings.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_output_tokens,
        });
        let format = match self.settings.structured_output {
            StructuredOutput::JsonSchema => Some(json!({
                "type": "json_schema",
                "json_schema": {"name": schema.name, "strict": true, "schema": schema.schema},
            })),
            StructuredOutput::JsonObject => Some(json!({"type": "json_object"})),
            StructuredOutput::None => None,
        };
        if let Some(format) = format {
            body["response_format"] = format;
        }
        body
    }

    async fn attempt(&self, body: &Value) -> Result<Reply, Failure> {
        let mut request = self.http.post(&self.endpoint).json(body);
        if let Some(key) = &self.settings.api_key {
            request = match self.settings.auth {
                AuthStyle::Bearer => request.bearer_auth(key.expose_secret()),
                AuthStyle::ApiKeyHeader => request.header("api-key", key.expose_secret()),
            };
        }
        let response = request.send().await.map_err(|e| classify_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| classify_error(&e))?;
        if !status.is_success() {
            return Err(classify_status(status, &headers, &text));
        }
        parse_reply(&text)
    }
}

/// The answer's text, usage and model. A 200 whose body is not a Chat
/// Completions answer is the server's fault: worth another attempt.
fn parse_reply(text: &str) -> Result<Reply, Failure> {
    let transient = |why: &str| Failure::Transient {
        message: format!("{why}: {}", text.chars().take(200).collect::<String>()),
        after: None,
    };
    let value: Value = serde_json::from_str(text).map_err(|_| transient("not a JSON answer"))?;
    let choice = value["choices"]
        .get(0)
        .ok_or_else(|| transient("no choices in the answer"))?;
    let message = &choice["message"];
    if let Some(refusal) = message["refusal"].as_str().filter(|r| !r.is_empty()) {
        return Err(Failure::Permanent(format!("the model refused: {refusal}")));
    }
    let content = message["content"].as_str().unwrap_or_default().to_owned();
    let count = |field: &str| value["usage"][field].as_u64().unwrap_or(0);
    Ok(Reply {
        content,
        usage: TokenUsage {
            input_tokens: count("prompt_tokens"),
            output_tokens: count("completion_tokens"),
        },
        model: value["model"]
            .as_str()
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        truncated: choice["finish_reason"] == "length",
    })
}

#[cfg(test)]
#[path = "chat_tests.rs"]
mod tests;
