//! S3-compatible blob storage end to end: uploads streamed into a bucket of
//! a real S3-compatible server — `moto_server` (PyPI `moto[server]`,
//! installed by `.ci/run`), one per test on a free port — read back by the
//! workers, deleted when the job ends, orphans swept by the janitor.
//!
//! The server's request log is the witness of what went over the wire
//! (multipart parts, deletes); the bucket is inspected with plain HTTP, not
//! through the code under test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use myqa_core::config::{BlobLocation, Config, S3Bucket};
use myqa_store::BlobStore;
use serde_json::Value;
use uuid::Uuid;

use crate::audio::{fake_transcription_server, fixture, with_transcription};
use crate::support::{Backend, TestApp, eventually, http_client, on_both_backends};

const PREFIX: &str = "myqa/uploads";
/// moto checks no signatures, but refuses object requests without any.
const ANY_SIGNATURE: &str = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
const INSTALL_HINT: &str = "the S3 tests need moto's S3-compatible server: run `python3 -m pip install 'moto[server]'` (.ci/run installs it)";

/// A `moto_server` child process, killed when dropped.
pub(crate) struct Moto {
    child: Child,
    endpoint: String,
    log: PathBuf,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts `moto_server` (or `python3 -m moto.server`) on a free port and
    /// waits until it answers. Fails — never skips — when moto is missing.
    pub(crate) async fn start() -> Moto {
        let dir = tempfile::tempdir().unwrap();
        let client = http_client();
        let mut failures = Vec::new();
        let candidates: [(&str, &[&str]); 2] =
            [("moto_server", &[]), ("python3", &["-m", "moto.server"])];
        for (program, args) in candidates {
            for attempt in 0..3 {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                let log = dir.path().join(format!("{program}-{attempt}.log"));
                let file = std::fs::File::create(&log).unwrap();
                let spawned = Command::new(program)
                    .args(args)
                    .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                    .stdin(Stdio::null())
                    .stdout(file.try_clone().unwrap())
                    .stderr(file)
                    .spawn();
                let mut child = match spawned {
                    Ok(child) => child,
                    Err(e) => {
                        failures.push(format!("{program}: {e}"));
                        break;
                    }
                };
                let endpoint = format!("http://127.0.0.1:{port}");
                match wait_ready(&mut child, &client, &endpoint, &log).await {
                    Ok(()) => {
                        return Moto {
                            child,
                            endpoint,
                            log,
                            client,
                            _dir: dir,
                        };
                    }
                    Err(output) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        failures.push(format!("{program}: {output}"));
                        // A port taken in between is worth another try;
                        // a missing module is not.
                        if !output.contains("in use") {
                            break;
                        }
                    }
                }
            }
        }
        panic!("{INSTALL_HINT}\n{}", failures.join("\n"));
    }

    /// A new bucket with a name of its own.
    pub(crate) async fn bucket(&self) -> String {
        let bucket = format!("myqa-{}", &Uuid::new_v4().simple().to_string()[..12]);
        let response = self
            .client
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "create bucket: {response:?}"
        );
        bucket
    }

    async fn put(&self, bucket: &str, key: &str, body: &'static [u8]) {
        let response = self
            .client
            .put(format!("{}/{bucket}/{key}", self.endpoint))
            .header("authorization", ANY_SIGNATURE)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "put {key}: {response:?}");
    }

    /// Every key in `bucket` starting with `prefix`.
    async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let listing = self
            .client
            // Test prefixes need no escaping.
            .get(format!(
                "{}/{bucket}?list-type=2&prefix={prefix}",
                self.endpoint
            ))
            .header("authorization", ANY_SIGNATURE)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            listing.contains("<IsTruncated>false</IsTruncated>"),
            "{listing}"
        );
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>"))
            .map(|(key, _)| key.to_owned())
            .collect()
    }

    /// The request lines moto logged (`PUT /bucket/key?partNumber=1&… HTTP/1.1`).
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split('"').nth(1).map(str::to_owned))
            .collect()
    }

    /// The part numbers uploaded to each key under `bucket/prefix`.
    fn parts(&self, bucket: &str, prefix: &str) -> Vec<(String, Vec<u32>)> {
        let mut parts: Vec<(String, Vec<u32>)> = Vec::new();
        let start = format!("PUT /{bucket}/{prefix}");
        for request in self.requests() {
            let Some(target) = request
                .strip_prefix("PUT ")
                .filter(|_| request.starts_with(&start))
            else {
                continue;
            };
            let target = target.split(' ').next().unwrap_or_default();
            let Some((path, query)) = target.split_once('?') else {
                continue;
            };
            let Some(number) = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("partNumber="))
                .and_then(|n| n.parse().ok())
            else {
                continue;
            };
            match parts.iter_mut().find(|(key, _)| key == path) {
                Some((_, numbers)) => numbers.push(number),
                None => parts.push((path.to_owned(), vec![number])),
            }
        }
        for (_, numbers) in &mut parts {
            numbers.sort_unstable();
        }
        parts
    }

    /// The settings that put an application's blobs into `bucket/PREFIX`.
    pub(crate) fn configure(&self, config: &mut Config, bucket: &str) {
        config.blob_url = Some(format!("s3://{bucket}/{PREFIX}"));
        config.blob_s3_endpoint = Some(self.endpoint.clone());
        config.blob_s3_region = Some("us-east-1".into());
        config.blob_s3_path_style = true;
        config.blob_s3_allow_http = true;
        config.blob_s3_access_key_id = Some("testing".into());
        config.blob_s3_secret_access_key = Some("testing".into());
    }
}

async fn wait_ready(
    child: &mut Child,
    client: &reqwest::Client,
    endpoint: &str,
    log: &std::path::Path,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("exited with {status}: {output}"));
        }
        if let Ok(response) = client.get(endpoint).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err("did not answer within 60 s".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn file_part(name: &str, bytes: Vec<u8>, mime: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

/// Nothing is left under the prefix once every job has ended.
pub(crate) async fn assert_bucket_empties(moto: &Moto, bucket: &str) {
    let prefix = format!("{PREFIX}/");
    let mut left = Vec::new();
    for _ in 0..200 {
        left = moto.keys(bucket, &prefix).await;
        if left.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("inputs left in the bucket: {left:?}");
}

async fn audio_and_evidence_uploads_go_through_s3(backend: Backend) {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let server = fake_transcription_server().await;
    let app = TestApp::spawn_configured(backend, |c| {
        with_transcription(c, &server);
        moto.configure(c, &bucket);
    })
    .await;
    assert!(
        app.blobs
            .describe()
            .starts_with(&format!("s3://{bucket}/{PREFIX}")),
        "{}",
        app.blobs.describe()
    );
    let key = app.full_key().await;

    // CaptureIQ: a recording, multipart.
    let form = reqwest::multipart::Form::new()
        .text("session_type", "audit")
        .part(
            "audio",
            file_part(
                "speech.mp3",
                std::fs::read(fixture("speech.mp3")).unwrap(),
                "audio/mpeg",
            ),
        );
    let response = app.post_form("/api/v1/captureiq/analyze", &key, form).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["transcript"]
            .as_str()
            .is_some_and(|t| t.contains("calibration")),
        "{body}"
    );
    assert!(body["data"]["audio_duration_ms"].as_u64().unwrap() > 1_000);

    // SnapReport: a PDF and an image, multipart.
    let evidence = |name: &str| std::fs::read(fixture(&format!("evidence/{name}"))).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("standard_id", "IFS-FOOD")
        .text("language", "en")
        .part(
            "report",
            file_part(
                "audit-notes.pdf",
                evidence("audit-notes.pdf"),
                "application/pdf",
            ),
        )
        .part(
            "photo",
            file_part("fridge.jpg", evidence("fridge.jpg"), "image/jpeg"),
        );
    let response = app
        .post_form("/api/v1/snapreport/analyze", &key, form)
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let items = body["data"]["evidence"].as_array().unwrap();
    let by_name = |name: &str| {
        items
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {body}"))
    };
    assert_eq!(
        (
            by_name("audit-notes.pdf")["type"].as_str(),
            by_name("audit-notes.pdf")["status"].as_str()
        ),
        (Some("pdf"), Some("used"))
    );
    assert_eq!(by_name("fridge.jpg")["type"], "image");

    // All three files went through the bucket in multipart uploads (the
    // recording, then the report's two evidence files) and were deleted
    // there; nothing was written to the local disk.
    let parts = moto.parts(&bucket, PREFIX);
    let names: Vec<&str> = parts
        .iter()
        .map(|(path, _)| path.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["audio", "evidence-0", "evidence-1"], "{parts:?}");
    assert!(
        parts
            .iter()
            .all(|(path, numbers)| path.contains("/inputs/") && numbers == &[1]),
        "{parts:?}"
    );
    assert_bucket_empties(&moto, &bucket).await;
    assert!(
        crate::audio::stored_files(&app.dir.path().join("blobs")).is_empty(),
        "no local blobs"
    );
}

/// A WAV of `seconds` of quiet noise, 16 kHz mono 16-bit.
fn noise_wav(seconds: u32) -> Vec<u8> {
    let data_len = seconds * 32_000;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(data_len + 36).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&16_000u32.to_le_bytes());
    wav.extend_from_slice(&32_000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    let mut state = 0x2545_f491_u32;
    for _ in 0..data_len / 2 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let sample = ((state >> 16) as i16) / 64;
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

async fn a_large_recording_is_uploaded_in_parts(backend: Backend) {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let server = fake_transcription_server().await;
    let app = TestApp::spawn_configured(backend, |c| {
        with_transcription(c, &server);
        moto.configure(c, &bucket);
    })
    .await;
    let key = app.full_key().await;
    // 20 MB: two full 8 MiB parts and a last one.
    let wav = noise_wav(625);
    assert!(wav.len() > 20_000_000);
    let form = reqwest::multipart::Form::new()
        .text("session_type", "meeting")
        .part("audio", file_part("long.wav", wav, "audio/wav"));
    let response = app.post_form("/api/v1/captureiq/analyze", &key, form).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let duration = body["data"]["audio_duration_ms"].as_u64().unwrap();
    assert!((624_000..=626_000).contains(&duration), "{duration}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "625 s in chunks of at most 10 min"
    );

    let parts = moto.parts(&bucket, PREFIX);
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert!(parts[0].0.ends_with("/audio"), "{parts:?}");
    assert_eq!(parts[0].1, [1, 2, 3], "8 MiB parts");
    assert_bucket_empties(&moto, &bucket).await;
}

async fn the_janitor_sweeps_orphans_under_its_prefix_only(backend: Backend) {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let orphan = format!("{PREFIX}/inputs/{}/audio", Uuid::new_v4());
    let not_ours = format!("{PREFIX}/elsewhere/{}/audio", Uuid::new_v4());
    let outside = format!("other/inputs/{}/audio", Uuid::new_v4());
    for key in [&orphan, &not_ours, &outside] {
        moto.put(&bucket, key, b"left behind by a crashed upload")
            .await;
    }
    let app = TestApp::spawn_configured(backend, |c| {
        moto.configure(c, &bucket);
        c.janitor_interval = Duration::from_secs(1);
        c.blob_orphan_grace = Duration::from_secs(1);
    })
    .await;
    app.blobs.check().await.expect("the bucket answers");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), 200, "{:?}", ready.text().await);

    eventually(30, || async {
        (!moto.keys(&bucket, "").await.contains(&orphan)).then_some(())
    })
    .await;
    let mut left = moto.keys(&bucket, "").await;
    left.sort();
    let mut expected = vec![not_ours, outside];
    expected.sort();
    assert_eq!(left, expected, "only inputs under the prefix are swept");
}

on_both_backends!(
    audio_and_evidence_uploads_go_through_s3,
    a_large_recording_is_uploaded_in_parts,
    the_janitor_sweeps_orphans_under_its_prefix_only,
);

/// A bucket that does not exist, or a server that does not answer, is an
/// error of `check` (what `/readyz` reports), not a hang or a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_an_unusable_bucket() {
    let moto = Moto::start().await;
    let location = |endpoint: &str, bucket: &str| {
        BlobLocation::S3(S3Bucket {
            bucket: bucket.to_owned(),
            prefix: PREFIX.to_owned(),
            endpoint: Some(endpoint.to_owned()),
            region: Some("us-east-1".into()),
            path_style: true,
            allow_http: true,
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
        })
    };
    let bucket = moto.bucket().await;
    let store = BlobStore::open(&location(&moto.endpoint, &bucket)).unwrap();
    store.check().await.expect("an existing bucket");
    let missing = BlobStore::open(&location(&moto.endpoint, "no-such-bucket")).unwrap();
    let error = missing.check().await.unwrap_err();
    assert!(error.to_string().contains("NoSuchBucket"), "{error}");

    // Written and read back through the prefix.
    let mut writer = store.writer("inputs/x/file").await.unwrap();
    writer.write(b"hello").await.unwrap();
    assert_eq!(writer.finish().await.unwrap(), 5);
    assert_eq!(
        store.read_range("inputs/x/file", 1..100).await.unwrap(),
        &b"ello"[..]
    );
    assert_eq!(
        moto.keys(&bucket, "").await,
        [format!("{PREFIX}/inputs/x/file")]
    );
    // A writer dropped half-way leaves no upload behind.
    let mut writer = store.writer("inputs/y/file").await.unwrap();
    writer.write(&[0; 1024]).await.unwrap();
    drop(writer);
    eventually(10, || async {
        moto.requests()
            .iter()
            .any(|r| {
                r.starts_with(&format!(
                    "DELETE /{bucket}/{PREFIX}/inputs/y/file?uploadId="
                ))
            })
            .then_some(())
    })
    .await;
}
