//! `POST {base}/audio/transcriptions`, as OpenAI defines it: a multipart form
//! with the file, the model, `response_format=verbose_json` and
//! `timestamp_granularities[]=segment` for timed segments. Servers that do not
//! know `verbose_json` are asked again for plain `json` (one untimed segment).

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use myqa_core::capture::Language;
use reqwest::multipart::{Form, Part};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::retry::{Failure, backoff, classify_error, classify_status};
use crate::TimedSegment;
use crate::transcription::{Transcriber, Transcription, TranscriptionError, language_from_report};

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct TranscriberSettings {
    /// Ends before `/audio/transcriptions`, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
    /// Per request.
    pub timeout: Duration,
    /// Attempts per chunk, the first included.
    pub max_attempts: u32,
    /// First backoff; doubled each retry.
    pub backoff_base: Duration,
}

pub struct OpenAiTranscriber {
    http: reqwest::Client,
    endpoint: String,
    settings: TranscriberSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseFormat {
    VerboseJson,
    Json,
}

#[derive(Deserialize)]
struct TranscriptionResponse {
    text: String,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    segments: Option<Vec<SegmentResponse>>,
}

#[derive(Deserialize)]
struct SegmentResponse {
    start: f64,
    end: f64,
    text: String,
}

fn milliseconds(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1000.0).round() as u64
    } else {
        0
    }
}

/// Duration of a PCM WAV file from its header: the data size over the byte
/// rate. Chunks are our own 44-byte-header WAV files.
fn wav_duration_ms(wav: &[u8]) -> u64 {
    let field = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(wav.get(at..at + 4)?.try_into().ok()?))
    };
    match (field(28), field(40)) {
        (Some(byte_rate), Some(data)) if byte_rate > 0 => {
            u64::from(data) * 1000 / u64::from(byte_rate)
        }
        _ => 0,
    }
}

impl OpenAiTranscriber {
    pub fn new(settings: TranscriberSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("MyQA/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let endpoint = format!(
            "{}/audio/transcriptions",
            settings.base_url.trim_end_matches('/')
        );
        Ok(Self {
            http,
            endpoint,
            settings,
        })
    }

    async fn attempt(
        &self,
        wav: &Bytes,
        language: Option<Language>,
        format: ResponseFormat,
    ) -> Result<Transcription, Failure> {
        let file = Part::stream(wav.clone())
            .file_name("chunk.wav")
            .mime_str("audio/wav")
            .expect("a valid MIME type");
        let mut form = Form::new()
            .part("file", file)
            .text("model", self.settings.model.clone());
        form = match format {
            ResponseFormat::VerboseJson => form
                .text("response_format", "verbose_json")
                .text("timestamp_granularities[]", "segment"),
            ResponseFormat::Json => form.text("response_format", "json"),
        };
        if let Some(language) = language {
            form = form.text("language", language.as_str());
        }
        let mut request = self.http.post(&self.endpoint).multipart(form);
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(|e| classify_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(|e| classify_error(&e))?;
        if !status.is_success() {
            return Err(classify_status(status, &headers, &body));
        }
        let parsed: TranscriptionResponse = serde_json::from_str(&body).map_err(|e| {
            Failure::Permanent(format!(
                "unexpected response ({e}): {}",
                body.chars().take(200).collect::<String>()
            ))
        })?;
        let text = parsed.text.trim().to_owned();
        let segments = match parsed.segments {
            Some(segments) if !segments.is_empty() => segments
                .into_iter()
                .map(|s| TimedSegment {
                    start_ms: milliseconds(s.start),
                    end_ms: milliseconds(s.end).max(milliseconds(s.start)),
                    text: s.text.trim().to_owned(),
                })
                .filter(|s| !s.text.is_empty())
                .collect(),
            // No timings: the whole chunk is one segment.
            _ if text.is_empty() => Vec::new(),
            _ => vec![TimedSegment {
                start_ms: 0,
                end_ms: wav_duration_ms(wav),
                text: text.clone(),
            }],
        };
        Ok(Transcription {
            text,
            segments,
            language: parsed.language.as_deref().and_then(language_from_report),
        })
    }
}

/// A 400 about the response format: the server does not do `verbose_json`.
fn refuses_verbose(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("response_format")
        || message.contains("verbose_json")
        || message.contains("timestamp_granularities")
}

impl Transcriber for OpenAiTranscriber {
    fn provider(&self) -> &'static str {
        "openai"
    }

    fn transcribe(
        &self,
        wav: Bytes,
        language: Option<Language>,
    ) -> BoxFuture<'_, Result<Transcription, TranscriptionError>> {
        Box::pin(async move {
            let mut format = ResponseFormat::VerboseJson;
            let mut attempt = 1;
            loop {
                match self.attempt(&wav, language, format).await {
                    Ok(transcription) => return Ok(transcription),
                    Err(Failure::Permanent(message))
                        if format == ResponseFormat::VerboseJson && refuses_verbose(&message) =>
                    {
                        format = ResponseFormat::Json;
                    }
                    Err(Failure::Permanent(message)) => {
                        return Err(TranscriptionError::Rejected(message));
                    }
                    Err(Failure::Transient { message, after }) => {
                        if attempt >= self.settings.max_attempts {
                            return Err(TranscriptionError::Unavailable(format!(
                                "{message} (after {attempt} attempts)"
                            )));
                        }
                        let wait =
                            after.unwrap_or_else(|| backoff(self.settings.backoff_base, attempt));
                        tracing::warn!(attempt, ?wait, error = %message, "transcription failed; retrying");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn transcriber(server: &MockServer) -> OpenAiTranscriber {
        let _ = rustls::crypto::ring::default_provider().install_default();
        OpenAiTranscriber::new(TranscriberSettings {
            base_url: format!("{}/v1", server.uri()),
            api_key: Some("k".into()),
            model: "whisper-1".into(),
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            backoff_base: Duration::from_millis(10),
        })
        .unwrap()
    }

    fn wav(seconds: u32) -> Bytes {
        let mut header = vec![0u8; 44];
        header[28..32].copy_from_slice(&32_000u32.to_le_bytes());
        header[40..44].copy_from_slice(&(seconds * 32_000).to_le_bytes());
        Bytes::from(header)
    }

    #[tokio::test]
    async fn rate_limits_are_retried_after_the_servers_delay() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/audio/transcriptions"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/audio/transcriptions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "text": "hello", "language": "french",
                "segments": [{"start": 0.5, "end": 1.25, "text": " hello"}]
            })))
            .mount(&server)
            .await;
        let heard = transcriber(&server).transcribe(wav(2), None).await.unwrap();
        assert_eq!(heard.language, Some(Language::Fr));
        assert_eq!(
            heard.segments,
            vec![TimedSegment {
                start_ms: 500,
                end_ms: 1250,
                text: "hello".into()
            }]
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn persistent_outages_give_up_and_refusals_do_not_retry() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(502))
            .mount(&server)
            .await;
        let error = transcriber(&server)
            .transcribe(wav(1), None)
            .await
            .unwrap_err();
        assert!(
            matches!(error, TranscriptionError::Unavailable(_)),
            "{error}"
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 3);

        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401).set_body_string("invalid api key"))
            .mount(&server)
            .await;
        let error = transcriber(&server)
            .transcribe(wav(1), None)
            .await
            .unwrap_err();
        assert!(matches!(error, TranscriptionError::Rejected(_)), "{error}");
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn servers_without_verbose_json_get_plain_json_and_one_segment() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(body_string_contains("verbose_json"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": {"message": "response_format verbose_json is not supported"}
            })))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"text": " all of it "})),
            )
            .mount(&server)
            .await;
        let heard = transcriber(&server)
            .transcribe(wav(3), Some(Language::En))
            .await
            .unwrap();
        assert_eq!(heard.text, "all of it");
        assert_eq!(
            heard.segments,
            vec![TimedSegment {
                start_ms: 0,
                end_ms: 3000,
                text: "all of it".into()
            }]
        );
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2);
        let second = String::from_utf8_lossy(&requests[1].body).to_string();
        assert!(
            second.contains("name=\"language\"\r\n\r\nen"),
            "the language hint is sent"
        );
    }

    #[test]
    fn wav_duration_from_header() {
        // 16 kHz mono 16-bit: byte rate 32,000; 64,000 data bytes = 2 s.
        let mut header = vec![0u8; 44];
        header[28..32].copy_from_slice(&32_000u32.to_le_bytes());
        header[40..44].copy_from_slice(&64_000u32.to_le_bytes());
        assert_eq!(wav_duration_ms(&header), 2000);
        assert_eq!(wav_duration_ms(&[0u8; 10]), 0);
    }
}
