//! Runs the local engine over every CaptureIQ evaluation file in a directory
//! and writes one prediction per file, shaped like the API's `data`:
//! `{"id", "observations": [{"content", "category"}…], "summary", "language"}`.
//!
//! ```text
//! cargo run -p myqa-ai --example captureiq_dev -- [INPUT_DIR] [OUTPUT_DIR]
//! ```
//! Defaults: `/work/shared/eval/dev/captureiq` and `target/captureiq-dev`.
//! Score the output with `bench/eval_captureiq.py`.

use std::path::{Path, PathBuf};

use myqa_ai::{CaptureInput, LocalEngine};
use myqa_core::capture::{Language, SessionType};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct EvalFile {
    id: String,
    session_type: SessionType,
    /// The language is sent as the client would (`auto` unless told), so the
    /// run also exercises detection; it is compared with the detected one.
    language: Option<Language>,
    transcript: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/work/shared/eval/dev/captureiq".to_owned()),
    );
    let output = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/captureiq-dev".to_owned()),
    );
    std::fs::create_dir_all(&output)?;

    let engine = LocalEngine::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&input)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in &files {
        let file: EvalFile = serde_json::from_slice(&std::fs::read(path)?)?;
        let analysis = engine.analyze_capture(&CaptureInput {
            transcript: file.transcript,
            segments: Vec::new(),
            session_type: file.session_type,
            language: None,
        });
        if let Some(expected) = file.language
            && expected != analysis.language
        {
            eprintln!(
                "{}: detected {:?}, file says {:?}",
                file.id, analysis.language, expected
            );
        }
        let prediction = json!({
            "id": file.id,
            "session_type": file.session_type,
            "observations": analysis.observations.iter().map(|o| json!({
                "content": o.content,
                "category": o.category,
                "display_order": o.display_order,
                "speaker": o.speaker,
            })).collect::<Vec<_>>(),
            "summary": analysis.summary,
            "language": analysis.language,
            "model": analysis.model,
            "token_usage": analysis.token_usage,
        });
        let target = output.join(file_name(path));
        std::fs::write(&target, serde_json::to_string_pretty(&prediction)? + "\n")?;
        println!(
            "{} → {} ({} observations)",
            path.display(),
            target.display(),
            analysis.observations.len()
        );
    }
    Ok(())
}

fn file_name(path: &Path) -> &std::ffi::OsStr {
    path.file_name().unwrap_or(path.as_os_str())
}
