//! SnapReport over real HTTP: JSON and multipart evidence of every kind,
//! every documented error, scoping, languages, async with a webhook.

use std::time::Duration;

use myqa_core::billing::Rates;
use myqa_core::capture::TokenUsage;
use serde_json::{Value, json};

use crate::audio::{fake_transcription_server, fixture, with_transcription};
use crate::support::{Backend, Receiver, TestApp, assert_error, eventually, on_both_backends};

const ANALYZE: &str = "/api/v1/snapreport/analyze";

fn evidence_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(&format!("evidence/{name}"))).unwrap()
}

fn file_part(name: &str, bytes: Vec<u8>, mime: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

const CALIBRATION: &str = "Line 2 final inspection: operator measuring with caliper DC-07. The calibration sticker says next due 15/01/2024; the audit is on 12/03/2024, so the calibration has expired and the caliper is still in use. No quarantine tag, no record of a check of earlier results.";
const INTERNAL_AUDIT: &str = "Internal audit programme 2024 reviewed: every process audited at least once a year, audits planned on risk and complaints, auditors trained and independent of the area, findings recorded with owners and closed on time.";
const SMALL_TALK: &str = "Arrived 08:30, visitor badge issued, parking at the overflow lot because of roof works. Lunch at 12:30 in the canteen.";

fn assert_valid_report(data: &Value, code: &str, scheme_grades: &[&str]) {
    assert_eq!(data["standard"]["code"], code);
    assert!(data["standard"]["id"].is_string() && data["standard"]["version"].is_string());
    assert!(data["processing_time_ms"].is_u64());
    assert!(data["model"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(data["token_usage"]["input_tokens"].as_u64().unwrap() > 0);
    let evidence = data["evidence"].as_array().unwrap();
    for (i, item) in evidence.iter().enumerate() {
        assert_eq!(item["index"], i);
        let status = item["status"].as_str().unwrap();
        assert!(
            ["used", "ignored", "unreadable"].contains(&status),
            "{item}"
        );
        if status != "used" {
            assert!(
                item["note"].as_str().is_some_and(|n| !n.is_empty()),
                "a note says why: {item}"
            );
        }
    }
    for s in data["suggestions"].as_array().unwrap() {
        assert!(scheme_grades.contains(&s["grade"].as_str().unwrap()), "{s}");
        for r in s["evidence_refs"].as_array().unwrap() {
            assert!((r.as_u64().unwrap() as usize) < evidence.len(), "{s}");
        }
        let confidence = s["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        for field in [
            "clause_id",
            "clause_number",
            "clause_title",
            "chapter_id",
            "comment",
            "reasoning",
        ] {
            assert!(
                s[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field}: {s}"
            );
        }
    }
}

const ISO_GRADES: &[&str] = &["CONFORM", "OFI", "MINOR_NC", "MAJOR_NC", "NA"];

async fn json_evidence_is_graded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let body = json!({
        "standard_id": "ISO 9001",
        "evidence": [
            {"type": "text", "content": CALIBRATION, "name": "walkthrough"},
            {"type": "transcript", "content": format!("Auditor: How do you plan internal audits?\nQuality manager: {INTERNAL_AUDIT}")},
            {"type": "structured", "content": {"record": "Calibration register", "audit_date": "2024-03-12",
                "instruments": [{"id": "DC-07", "description": "Digital caliper", "next_due": "2024-01-15", "status": "in use"}]}},
            {"type": "text", "content": SMALL_TALK}
        ],
        "notes": ["Calibration of measuring equipment was the main weakness of the visit."]
    });
    let response = app.post_json(ANALYZE, &key, &body).await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    let data = &answer["data"];
    assert_valid_report(data, "ISO9001", ISO_GRADES);
    assert_eq!(data["language"], "en");
    assert_eq!(data["evidence"].as_array().unwrap().len(), 5);
    assert_eq!(data["evidence"][4]["type"], "note");
    let calibration = data["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["clause_number"].as_str().unwrap().starts_with("7.1.5"))
        .unwrap_or_else(|| panic!("calibration evidence grades 7.1.5: {data}"));
    assert!(
        ["MINOR_NC", "MAJOR_NC"].contains(&calibration["grade"].as_str().unwrap()),
        "{calibration}"
    );
    assert!(
        !data["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["evidence_refs"] == json!([3])),
        "small talk grades nothing"
    );
}

async fn multipart_files_of_every_kind(backend: Backend) {
    let server = fake_transcription_server().await;
    let app = TestApp::spawn_configured(backend, |c| with_transcription(c, &server)).await;
    let key = app.full_key().await;
    let form = reqwest::multipart::Form::new()
        .text("standard_id", "IFS-FOOD")
        .text("language", "en")
        .text("evidence", json!([{"type": "text", "content": "CCP 2 core temperature log checked for the last week."}]).to_string())
        .text("notes", json!(["Foreign material: metal detector checks recorded every hour."]).to_string())
        .part("report", file_part("audit-notes.pdf", evidence_fixture("audit-notes.pdf"), "application/pdf"))
        .part("scan", file_part("scan.pdf", evidence_fixture("scan.pdf"), "application/pdf"))
        .part("photo", file_part("fridge.jpg", evidence_fixture("fridge.jpg"), "image/jpeg"))
        .part("log", file_part("log.csv", evidence_fixture("log.csv"), "text/csv"))
        .part("readings", file_part("readings.json", evidence_fixture("readings.json"), "application/json"))
        .part("recording", file_part("speech.mp3", std::fs::read(fixture("speech.mp3")).unwrap(), "audio/mpeg"));
    let response = app.post_form(ANALYZE, &key, form).await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    let data = &answer["data"];
    assert_valid_report(data, "IFS-FOOD", &["A", "B", "C", "D", "MAJOR", "KO", "NA"]);
    let evidence = data["evidence"].as_array().unwrap();
    let by_name = |name: &str| {
        evidence
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {data}"))
    };
    assert_eq!(evidence[0]["type"], "text");
    assert_eq!(evidence[1]["type"], "note");
    let pdf = by_name("audit-notes.pdf");
    assert_eq!(
        (
            pdf["type"].as_str(),
            pdf["status"].as_str(),
            pdf["mime"].as_str()
        ),
        (Some("pdf"), Some("used"), Some("application/pdf"))
    );
    assert!(pdf["size_bytes"].as_u64().unwrap() > 0);
    assert_eq!(by_name("scan.pdf")["status"], "unreadable");
    let photo = by_name("fridge.jpg");
    assert_eq!(
        (photo["type"].as_str(), photo["status"].as_str()),
        (Some("image"), Some("ignored")),
        "{photo}"
    );
    assert!(photo["note"].as_str().unwrap().contains("image"), "{photo}");
    assert_eq!(by_name("log.csv")["status"], "used");
    assert_eq!(by_name("readings.json")["type"], "structured");
    let audio = by_name("speech.mp3");
    assert_eq!(
        (audio["type"].as_str(), audio["status"].as_str()),
        (Some("audio"), Some("used")),
        "{audio}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "the recording was transcribed"
    );
    // Tokens and the recording's seconds are charged: a few seconds at 2
    // coins a minute add at most one coin to the tokens' price.
    let usage: TokenUsage = serde_json::from_value(data["token_usage"].clone()).unwrap();
    assert!(
        usage.input_tokens > 0 && usage.output_tokens > 0,
        "{usage:?}"
    );
    let tokens_only = Rates::default().price(usage, 0);
    let charged = data["coins_charged"].as_i64().unwrap();
    assert!(
        (tokens_only..=tokens_only + 1).contains(&charged),
        "{charged} vs {tokens_only}"
    );
}

async fn every_documented_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let text = json!([{"type": "text", "content": CALIBRATION}]);
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"evidence": text}),
            400,
            "INVALID_INPUT",
            "standard_id",
        ),
        (
            json!({"standard_id": "ISO14001", "evidence": text}),
            404,
            "STANDARD_NOT_FOUND",
            "ISO14001",
        ),
        (
            json!({"standard_id": "ISO9001", "processes": ["7", "12"], "evidence": text}),
            400,
            "INVALID_INPUT",
            "processes[1] `12`",
        ),
        (
            json!({"standard_id": "ISO9001", "processes": [3], "evidence": text}),
            400,
            "INVALID_INPUT",
            "processes[0]",
        ),
        (
            json!({"standard_id": "ISO9001"}),
            400,
            "INVALID_INPUT",
            "at least one evidence item",
        ),
        (
            json!({"standard_id": "ISO9001", "evidence": [], "notes": []}),
            400,
            "INVALID_INPUT",
            "at least one evidence item",
        ),
        (
            json!({"standard_id": "ISO9001", "evidence": [{"type": "photo", "content": "x"}]}),
            400,
            "INVALID_INPUT",
            "evidence[0].type",
        ),
        (
            json!({"standard_id": "ISO9001", "evidence": [{"type": "text", "content": " "}]}),
            400,
            "INVALID_INPUT",
            "evidence[0].content",
        ),
        (
            json!({"standard_id": "ISO9001", "evidence": [{"type": "text", "content": {"a": 1}}]}),
            400,
            "INVALID_INPUT",
            "evidence[0].content",
        ),
        (
            json!({"standard_id": "ISO9001", "evidence": [{"type": "text", "content": "x", "colour": "red"}]}),
            400,
            "INVALID_INPUT",
            "colour",
        ),
        (
            json!({"standard_id": "ISO9001", "notes": ["ok", ""]}),
            400,
            "INVALID_INPUT",
            "notes[1]",
        ),
        (
            json!({"standard_id": "ISO9001", "language": "es", "evidence": text}),
            400,
            "INVALID_INPUT",
            "language must be one of: en, fr, de",
        ),
        (
            json!({"standard_id": "ISO9001", "evidence": text, "standard": "x"}),
            400,
            "INVALID_INPUT",
            "standard",
        ),
        (
            json!({"standard_id": "ISO9001", "notes": vec!["n"; 201]}),
            400,
            "INVALID_INPUT",
            "At most 200",
        ),
        (
            json!({"standard_id": "ISO9001", "evidence": text, "callback_url": "https://10.0.0.1/h"}),
            400,
            "INVALID_CALLBACK_URL",
            "callback_url",
        ),
    ];
    for (body, status, code, needle) in cases {
        let response = app.post_json(ANALYZE, &key, &body).await;
        let error = assert_error(response, status, code).await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body:.100}: {message}");
    }

    // Multipart: file types and limits, the 20-file cap.
    let form = reqwest::multipart::Form::new()
        .text("standard_id", "ISO9001")
        .part(
            "bundle",
            file_part(
                "archive.zip",
                evidence_fixture("archive.zip"),
                "application/zip",
            ),
        );
    let error = assert_error(
        app.post_form(ANALYZE, &key, form).await,
        400,
        "INVALID_INPUT",
    )
    .await;
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("bundle") && message.contains("application/zip"),
        "{message}"
    );
    let too_long = "audit notes\n"
        .repeat(10 * 1024 * 1024 / 12 + 10)
        .into_bytes();
    let form = reqwest::multipart::Form::new()
        .text("standard_id", "ISO9001")
        .part("minutes", file_part("minutes.txt", too_long, "text/plain"));
    let error = assert_error(
        app.post_form(ANALYZE, &key, form).await,
        400,
        "FILE_TOO_LARGE",
    )
    .await;
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("minutes") && message.contains("10 MiB"),
        "{message}"
    );
    let mut form = reqwest::multipart::Form::new().text("standard_id", "ISO9001");
    for i in 0..21 {
        form = form.part(
            format!("f{i}"),
            file_part("n.md", b"# note\nAll fine.".to_vec(), "text/markdown"),
        );
    }
    let error = assert_error(
        app.post_form(ANALYZE, &key, form).await,
        400,
        "INVALID_INPUT",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("20 files"),
        "{error}"
    );
    let form = reqwest::multipart::Form::new()
        .text("standard_id", "ISO9001")
        .part(
            "recording",
            file_part(
                "speech.wav",
                std::fs::read(fixture("speech.wav")).unwrap(),
                "audio/wav",
            ),
        );
    assert_error(
        app.post_form(ANALYZE, &key, form).await,
        503,
        "SERVICE_UNAVAILABLE",
    )
    .await;
    let form = reqwest::multipart::Form::new()
        .text("standard_id", "ISO9001")
        .text("notes", "not json");
    let error = assert_error(
        app.post_form(ANALYZE, &key, form).await,
        400,
        "INVALID_INPUT",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("notes"),
        "{error}"
    );
    // Nothing was kept from refused requests.
    eventually(10, || async {
        crate::audio::stored_files(&app.dir.path().join("blobs"))
            .is_empty()
            .then_some(())
    })
    .await;
}

async fn processes_limit_suggestions_to_their_chapters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let evidence = json!([
        {"type": "text", "content": CALIBRATION},
        {"type": "text", "content": INTERNAL_AUDIT},
        {"type": "text", "content": "Nonconforming product: six pallets under HOLD with NCR numbers, locked cage, disposition recorded and signed."}
    ]);
    let grade = |processes: Value| {
        let body = json!({"standard_id": "ISO9001", "processes": processes, "evidence": evidence});
        let app = &app;
        let key = &key;
        async move {
            let answer: Value = app
                .post_json(ANALYZE, key, &body)
                .await
                .json()
                .await
                .unwrap();
            answer["data"]["suggestions"].as_array().unwrap().clone()
        }
    };
    let everything = grade(json!([])).await;
    let chapters = |suggestions: &[Value]| {
        let mut c: Vec<String> = suggestions
            .iter()
            .map(|s| {
                s["clause_number"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        c.sort();
        c.dedup();
        c
    };
    assert!(
        chapters(&everything).len() >= 2,
        "the evidence spans chapters: {everything:?}"
    );
    let chapter_9 = grade(json!(["9"])).await;
    assert!(!chapter_9.is_empty());
    assert_eq!(chapters(&chapter_9), ["9"], "{chapter_9:?}");
    let iso_id = app
        .store
        .standards()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "ISO9001")
        .unwrap();
    let chapter_7_id = iso_id.chapters.iter().find(|c| c.number == "7").unwrap().id;
    let chapter_7 = grade(json!([chapter_7_id.to_string()])).await;
    assert_eq!(chapters(&chapter_7), ["7"], "{chapter_7:?}");
}

async fn comments_follow_the_requested_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.full_key().await;
    let cases = [
        (
            "fr",
            "Étalonnage : le certificat d'étalonnage du thermomètre de référence T-12 est périmé depuis janvier ; aucun enregistrement de vérification depuis. L'appareil est toujours utilisé.",
            &["é", "è", " le ", " la ", " du ", " de "][..],
        ),
        (
            "de",
            "Kalibrierung: Das Kalibrierzertifikat des Referenzthermometers T-12 ist seit Januar abgelaufen; seitdem keine Prüfung dokumentiert. Das Gerät wird weiter benutzt.",
            &["ä", "ö", "ü", " der ", " die ", " das ", " ist ", " nicht "][..],
        ),
    ];
    for (language, text, markers) in cases {
        let body = json!({"standard_id": "ISO9001", "language": language, "evidence": [{"type": "text", "content": text}]});
        let answer: Value = app
            .post_json(ANALYZE, &key, &body)
            .await
            .json()
            .await
            .unwrap();
        let data = &answer["data"];
        assert_eq!(data["language"], language);
        let suggestions = data["suggestions"].as_array().unwrap();
        assert!(!suggestions.is_empty(), "{language}: {data}");
        for s in suggestions {
            let words = format!(
                " {} {} ",
                s["comment"].as_str().unwrap(),
                s["reasoning"].as_str().unwrap()
            )
            .to_lowercase();
            assert!(
                markers.iter().any(|m| words.contains(m)),
                "{language}: {words}"
            );
            assert!(
                !words.contains(" the "),
                "{language} comments are not English: {words}"
            );
        }
    }
}

async fn async_report_with_webhook(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |c| {
        c.allow_insecure_callbacks = true;
        c.webhook_retry_schedule = vec![Duration::from_millis(200)];
    })
    .await;
    let key = app.full_key().await;
    let receiver = Receiver::start(&[]).await;
    let body = json!({
        "standard_id": "BRCGS",
        "evidence": [{"type": "text", "content": "Pest control: bait station N-04 showed rodent droppings on three visits in a row; no extra treatment or investigation recorded by the contractor or the site."}],
        "callback_url": receiver.url("/hooks/snap"),
        "callback_secret": "s3cr3t"
    });
    let response = app.post_json(ANALYZE, &key, &body).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/api/v1/snapreport/jobs/"));
    let document: Value = eventually(30, || async {
        let d: Value = app.get(&location, Some(&key)).await.json().await.unwrap();
        (d["webhook"]["status"] == "delivered").then_some(d)
    })
    .await;
    assert_eq!(document["status"], "completed");
    assert_eq!(document["data"]["standard"]["code"], "BRCGS");
    let hits = receiver.hits();
    let delivered: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(delivered["type"], "snapreport.job.completed");
    assert_eq!(delivered["data"], document["data"]);
    // The CaptureIQ route does not know this job.
    let job_id = document["job_id"].as_str().unwrap();
    assert_error(
        app.get(&format!("/api/v1/captureiq/jobs/{job_id}"), Some(&key))
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
}

on_both_backends!(
    json_evidence_is_graded,
    multipart_files_of_every_kind,
    every_documented_error,
    processes_limit_suggestions_to_their_chapters,
    comments_follow_the_requested_language,
    async_report_with_webhook,
);
