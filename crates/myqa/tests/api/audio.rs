//! Audio end to end: every format uploaded as a stream, decoded, cut and sent
//! to a wire-level fake of the OpenAI transcription API; refusals that store
//! nothing; the 2 GiB limit with bounded memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use myqa::cli::Role;
use myqa::serve::Overrides;
use myqa_core::config::TranscriptionProvider;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{
    Backend, ServerProcess, TestApp, assert_error, cli_command, eventually, fresh_setup,
    on_both_backends,
};

const ANALYZE: &str = "/api/v1/captureiq/analyze";
const FORMATS: &[(&str, &str)] = &[
    ("speech.mp3", "audio/mpeg"),
    ("speech.wav", "audio/wav"),
    ("speech.aac", "audio/aac"),
    ("speech.flac", "audio/flac"),
    ("speech.ogg", "audio/ogg"),
    ("speech.opus", "audio/ogg"),
    ("speech.webm", "audio/webm"),
    ("speech.m4a", "audio/mp4"),
    ("speech.mp4", "video/mp4"),
];

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../myqa-media/tests/fixtures")
        .join(name)
}

/// One part of a multipart/form-data body, as a server sees it.
struct FormPart {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

fn multipart_parts(request: &Request) -> Option<Vec<FormPart>> {
    let content_type = request.headers.get("content-type")?.to_str().ok()?;
    let boundary = content_type.split("boundary=").nth(1)?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let body = &request.body;
    let mut parts = Vec::new();
    let positions: Vec<usize> = body
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        let part = &body[pair[0] + delimiter.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n")?;
        let split = part.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..]
            .strip_suffix(b"\r\n")
            .unwrap_or(&part[split + 4..])
            .to_vec();
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
        let attribute = |key: &str| {
            disposition
                .split(';')
                .map(str::trim)
                .find_map(|a| a.strip_prefix(&format!("{key}=")))
                .map(|v| v.trim_matches('"').to_owned())
        };
        let part_type = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-type"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned());
        parts.push(FormPart {
            name: attribute("name")?,
            file_name: attribute("filename"),
            content_type: part_type,
            bytes: content,
        });
    }
    Some(parts)
}

/// Accepts only what OpenAI's `/audio/transcriptions` accepts from us: a
/// multipart form with a WAV `file`, the `model`, and timed `verbose_json`.
struct TranscriptionRequest;

impl wiremock::Match for TranscriptionRequest {
    fn matches(&self, request: &Request) -> bool {
        let Some(parts) = multipart_parts(request) else {
            return false;
        };
        let field = |name: &str| parts.iter().find(|p| p.name == name);
        let text = |name: &str| field(name).map(|p| String::from_utf8_lossy(&p.bytes).to_string());
        let Some(file) = field("file") else {
            return false;
        };
        file.file_name
            .as_deref()
            .is_some_and(|n| n.ends_with(".wav"))
            && file.content_type.as_deref() == Some("audio/wav")
            && file.bytes.starts_with(b"RIFF")
            && &file.bytes[8..12] == b"WAVE"
            && text("model").as_deref() == Some("whisper-1")
            && text("response_format").as_deref() == Some("verbose_json")
            && text("timestamp_granularities[]").as_deref() == Some("segment")
    }
}

const SAID: &str = "The calibration certificate for the probe thermometer expired in March.";
const ASKED: &str = "Please send me the renewed certificate by Friday.";

fn verbose_json() -> Value {
    json!({
        "task": "transcribe",
        "language": "english",
        "duration": 4.2,
        "text": format!("{SAID} {ASKED}"),
        "segments": [
            {"id": 0, "seek": 0, "start": 0.0, "end": 2.4, "text": format!(" {SAID}"), "tokens": [], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.2, "no_speech_prob": 0.01},
            {"id": 1, "seek": 0, "start": 2.4, "end": 4.2, "text": format!(" {ASKED}"), "tokens": [], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.2, "no_speech_prob": 0.01}
        ]
    })
}

pub async fn fake_transcription_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .and(header("authorization", "Bearer test-transcription-key"))
        .and(TranscriptionRequest)
        .respond_with(ResponseTemplate::new(200).set_body_json(verbose_json()))
        .mount(&server)
        .await;
    server
}

pub fn with_transcription(config: &mut myqa_core::config::Config, server: &MockServer) {
    config.transcription_provider = TranscriptionProvider::Openai;
    config.transcription_base_url = Some(format!("{}/v1", server.uri()));
    config.transcription_api_key = Some("test-transcription-key".into());
    config.transcription_model = Some("whisper-1".into());
}

fn audio_form(file: &str, mime: &str) -> reqwest::multipart::Form {
    let bytes = std::fs::read(fixture(file)).unwrap();
    reqwest::multipart::Form::new()
        .text("session_type", "audit")
        .part(
            "audio",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(file.to_owned())
                .mime_str(mime)
                .unwrap(),
        )
}

/// Files left in the blob directory (uploads, staging files).
pub fn stored_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, &mut found);
    found
}

async fn every_format_is_transcribed_end_to_end(backend: Backend) {
    let server = fake_transcription_server().await;
    let app = TestApp::spawn_configured(backend, |c| with_transcription(c, &server)).await;
    let key = app.full_key().await;
    for (file, mime) in FORMATS {
        let response = app.post_form(ANALYZE, &key, audio_form(file, mime)).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{file}: {body}");
        let data = &body["data"];
        assert_eq!(data["transcript"], format!("{SAID} {ASKED}"), "{file}");
        assert_eq!(data["language"], "en", "{file}: the provider's language");
        let duration = data["audio_duration_ms"].as_u64().unwrap_or(0);
        assert!(
            (1_000..10_000).contains(&duration),
            "{file}: audio_duration_ms {duration}"
        );
        let observations = data["observations"].as_array().unwrap();
        assert!(!observations.is_empty(), "{file}: {data}");
        for o in observations {
            let (start, end) = (
                o["start_ms"].as_u64().unwrap(),
                o["end_ms"].as_u64().unwrap(),
            );
            assert!(
                start < end && end <= 4_200,
                "{file}: timings from the segments: {o}"
            );
        }
        // Audio minutes are charged on top of tokens.
        let tokens = &data["token_usage"];
        let (input, output) = (
            tokens["input_tokens"].as_u64().unwrap(),
            tokens["output_tokens"].as_u64().unwrap(),
        );
        let expected =
            (input * 60 * 1000 + output * 60 * 4000 + duration * 2000).div_ceil(60_000_000);
        assert_eq!(data["coins_charged"], expected, "{file}");
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        FORMATS.len(),
        "one chunk per short recording"
    );
    // Sync inputs are gone once answered.
    eventually(10, || async {
        stored_files(&app.dir.path().join("blobs"))
            .is_empty()
            .then_some(())
    })
    .await;
}

async fn undecodable_and_disguised_files_are_refused_and_not_kept(backend: Backend) {
    let server = fake_transcription_server().await;
    let app = TestApp::spawn_configured(backend, |c| with_transcription(c, &server)).await;
    let key = app.full_key().await;
    let response = app
        .post_form(ANALYZE, &key, audio_form("picture.mp3", "audio/mpeg"))
        .await;
    let body = assert_error(response, 400, "INVALID_AUDIO_FORMAT").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("image/png"),
        "{body}"
    );
    let response = app
        .post_form(ANALYZE, &key, audio_form("corrupt.mp3", "audio/mpeg"))
        .await;
    let body = assert_error(response, 400, "INVALID_AUDIO_FORMAT").await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("audio"),
        "{body}"
    );
    let form = reqwest::multipart::Form::new().part(
        "audio",
        reqwest::multipart::Part::bytes(b"just some text, not audio".to_vec())
            .file_name("notes.wav"),
    );
    let response = app.post_form(ANALYZE, &key, form).await;
    assert_error(response, 400, "INVALID_AUDIO_FORMAT").await;
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent for transcription"
    );
    eventually(10, || async {
        stored_files(&app.dir.path().join("blobs"))
            .is_empty()
            .then_some(())
    })
    .await;
}

async fn without_a_transcription_provider_audio_is_503_and_not_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let response = app
        .post_form(ANALYZE, &key, audio_form("speech.wav", "audio/wav"))
        .await;
    let body = assert_error(response, 503, "SERVICE_UNAVAILABLE").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not configured"),
        "{body}"
    );
    assert!(stored_files(&app.dir.path().join("blobs")).is_empty());
}

async fn async_audio_job_deletes_its_input_and_retries_the_provider(backend: Backend) {
    let server = MockServer::start().await;
    // The provider fails twice, then answers.
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(503).set_body_string("overloaded"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .and(TranscriptionRequest)
        .respond_with(ResponseTemplate::new(200).set_body_json(verbose_json()))
        .mount(&server)
        .await;
    let mut app = TestApp::spawn_with(
        backend,
        |c| with_transcription(c, &server),
        Role::Api,
        Overrides::default(),
    )
    .await;
    let key = app.full_key().await;
    let response = app
        .client
        .post(app.url(ANALYZE))
        .bearer_auth(&key)
        .header("prefer", "respond-async")
        .multipart(audio_form("speech.flac", "audio/flac"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let blobs = app.dir.path().join("blobs");
    assert_eq!(
        stored_files(&blobs).len(),
        1,
        "the recording waits in the blob store"
    );
    app.start_workers();
    let document: Value = eventually(60, || async {
        let d: Value = app.get(&location, Some(&key)).await.json().await.unwrap();
        (d["status"] != "processing").then_some(d)
    })
    .await;
    assert_eq!(document["status"], "completed", "{document}");
    assert_eq!(document["data"]["transcript"], format!("{SAID} {ASKED}"));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "two retries, then the answer"
    );
    eventually(10, || async {
        stored_files(&blobs).is_empty().then_some(())
    })
    .await;
}

// ---------------------------------------------------------------------------
// Limits, over raw sockets and the real binary.

const GIB: u64 = 1024 * 1024 * 1024;

fn multipart_head(boundary: &str) -> Vec<u8> {
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"long.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
    )
    .into_bytes()
}

/// A WAV header claiming 16 kHz mono 16-bit PCM of `data_len` bytes.
fn wav_header(data_len: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&16_000u32.to_le_bytes());
    h.extend_from_slice(&32_000u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A 2 GiB + 1 byte recording, streamed with chunked encoding (no length to
/// refuse up front): refused with FILE_TOO_LARGE while the server's memory
/// stays flat, and nothing is left in the blob store.
async fn two_gib_plus_one_is_refused_with_bounded_memory(backend: Backend) {
    let (dir, _database, config) = fresh_setup(backend).await;
    let mut command = cli_command(&config);
    command
        .env("MYQA_TRANSCRIPTION_PROVIDER", "openai")
        .env("MYQA_TRANSCRIPTION_BASE_URL", "http://127.0.0.1:9/v1")
        .env("MYQA_TRANSCRIPTION_MODEL", "whisper-1");
    let server = ServerProcess::start(command, &["--bootstrap"]).await;
    let key = server.bootstrap_key().await;
    let pid = server.pid();
    let baseline = peak_rss_kib(pid);

    let boundary = "myqa-test-boundary";
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {ANALYZE} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let pump = tokio::spawn(async move {
        let send = |bytes: &[u8]| {
            let mut frame = format!("{:x}\r\n", bytes.len()).into_bytes();
            frame.extend_from_slice(bytes);
            frame.extend_from_slice(b"\r\n");
            frame
        };
        let mut first = multipart_head(boundary);
        first.extend_from_slice(&wav_header(u32::MAX));
        let mut sent = (first.len() - multipart_head(boundary).len()) as u64;
        if writer.write_all(&send(&first)).await.is_err() {
            return sent;
        }
        let zeros = vec![0u8; 1 << 20];
        while sent <= 2 * GIB {
            let n = (2 * GIB + 1 - sent).min(zeros.len() as u64) as usize;
            if writer.write_all(&send(&zeros[..n.max(1)])).await.is_err() {
                return sent;
            }
            sent += n.max(1) as u64;
        }
        let tail = format!("\r\n--{boundary}--\r\n");
        let _ = writer.write_all(&send(tail.as_bytes())).await;
        let _ = writer.write_all(b"0\r\n\r\n").await;
        sent
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let status = tokio::time::timeout(Duration::from_secs(600), async {
        loop {
            let n = reader.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buf[..n]);
            if response.windows(4).any(|w| w == b"\r\n\r\n") && response.ends_with(b"}") {
                break;
            }
        }
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .expect("the server answers");
    let sent = pump.await.unwrap();
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    assert!(
        status.contains("FILE_TOO_LARGE") && status.contains("2 GiB"),
        "{status}"
    );
    assert!(
        sent > 2 * GIB,
        "the limit was hit while streaming, after 2 GiB ({sent} bytes sent)"
    );
    let peak = peak_rss_kib(pid);
    assert!(
        peak - baseline < 256 * 1024,
        "memory grew by {} MiB during a 2 GiB upload",
        (peak - baseline) / 1024
    );
    // The partial upload is gone.
    eventually(10, || async {
        stored_files(&dir.path().join("blobs"))
            .is_empty()
            .then_some(())
    })
    .await;
    server.stop().await;
}

/// A declared length beyond the limit is refused before the body is read;
/// a bad key is refused before it too.
async fn oversized_declaration_and_bad_key_are_refused_unread(backend: Backend) {
    let server = fake_transcription_server().await;
    let app = TestApp::spawn_configured(backend, |c| with_transcription(c, &server)).await;
    let key = app.full_key().await;
    let bogus = myqa_core::ApiKeySecret::generate().expose().to_owned();
    for (authorization, expected) in [
        (key.as_str(), "HTTP/1.1 400"),
        (bogus.as_str(), "HTTP/1.1 401"),
    ] {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST {ANALYZE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {authorization}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
            3 * GIB
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&multipart_head("b")).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(answer.starts_with(expected), "{answer}");
        if expected.ends_with("400") {
            assert!(answer.contains("FILE_TOO_LARGE"), "{answer}");
        }
    }
    assert!(stored_files(&app.dir.path().join("blobs")).is_empty());
}

/// A client that disconnects mid-upload leaves no file behind.
async fn a_client_leaving_mid_upload_leaves_nothing(backend: Backend) {
    let server = fake_transcription_server().await;
    let app = TestApp::spawn_configured(backend, |c| with_transcription(c, &server)).await;
    let key = app.full_key().await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {ANALYZE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut part = multipart_head("b");
    part.extend_from_slice(&wav_header(64 << 20));
    part.extend_from_slice(&vec![0u8; 24 << 20]);
    stream
        .write_all(format!("{:x}\r\n", part.len()).as_bytes())
        .await
        .unwrap();
    stream.write_all(&part).await.unwrap();
    stream.write_all(b"\r\n").await.unwrap();
    // Let the server store some of it, then hang up.
    let blobs = app.dir.path().join("blobs");
    eventually(20, || async {
        (!stored_files(&blobs).is_empty()).then_some(())
    })
    .await;
    drop(stream);
    eventually(20, || async {
        stored_files(&blobs).is_empty().then_some(())
    })
    .await;
}

on_both_backends!(
    every_format_is_transcribed_end_to_end,
    undecodable_and_disguised_files_are_refused_and_not_kept,
    without_a_transcription_provider_audio_is_503_and_not_stored,
    async_audio_job_deletes_its_input_and_retries_the_provider,
    oversized_declaration_and_bad_key_are_refused_unread,
    a_client_leaving_mid_upload_leaves_nothing,
);

/// Uploads do not touch the database, so one backend is enough for the
/// heaviest test of the suite (2 GiB through the real binary).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gib_plus_one_upload() {
    two_gib_plus_one_is_refused_with_bounded_memory(Backend::Sqlite).await;
}

/// Opt-in: a fixture through a real OpenAI-compatible transcription server,
/// named by LIVE_TRANSCRIPTION_BASE_URL (with LIVE_TRANSCRIPTION_MODEL and
/// LIVE_TRANSCRIPTION_API_KEY as needed). Skipped otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_transcription_server() {
    let Ok(base_url) = std::env::var("LIVE_TRANSCRIPTION_BASE_URL") else {
        eprintln!("skipped: set LIVE_TRANSCRIPTION_BASE_URL to run against a real server");
        return;
    };
    let model = std::env::var("LIVE_TRANSCRIPTION_MODEL").unwrap_or_else(|_| "whisper-1".into());
    let api_key = std::env::var("LIVE_TRANSCRIPTION_API_KEY").ok();
    let app = TestApp::spawn_configured(Backend::Sqlite, |c| {
        c.transcription_provider = TranscriptionProvider::Openai;
        c.transcription_base_url = Some(base_url);
        c.transcription_model = Some(model);
        c.transcription_api_key = api_key.map(Into::into);
    })
    .await;
    let key = app.full_key().await;
    let response = app
        .post_form(ANALYZE, &key, audio_form("speech.mp3", "audio/mpeg"))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let transcript = body["data"]["transcript"].as_str().unwrap().to_lowercase();
    assert!(
        transcript.contains("calibration") || transcript.contains("certificate"),
        "{transcript}"
    );
}
