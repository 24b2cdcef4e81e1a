//! Runs the local grading engine over every SnapReport evaluation file in a
//! directory and writes one prediction per file, shaped like the API's `data`
//! (suggestions validated as the service validates them):
//! `{"id", "suggestions": [{"clause_number", "grade", "comment", …}], "ignored": […]}`.
//!
//! ```text
//! cargo run -p myqa-ai --example snapreport_dev -- [INPUT_DIR] [OUTPUT_DIR]
//! ```
//! Defaults: `/work/shared/eval/dev/snapreport` and `target/snapreport-dev`.
//! Score the output with `bench/eval_snapreport.py`.

use std::path::PathBuf;
use std::sync::Arc;

use myqa_ai::{EvidenceContent, EvidenceItem, GradingInput, LocalEngine};
use myqa_core::capture::Language;
use myqa_core::snapreport::{EvidenceKind, validate_suggestions};
use myqa_core::standard::shipped;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct EvalFile {
    id: String,
    standard: String,
    language: Language,
    evidence: Vec<EvalEvidence>,
}

#[derive(Deserialize)]
struct EvalEvidence {
    #[serde(rename = "type")]
    kind: String,
    content: Value,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/work/shared/eval/dev/snapreport".to_owned()),
    );
    let output = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/snapreport-dev".to_owned()),
    );
    std::fs::create_dir_all(&output)?;

    let engine = LocalEngine::new();
    let standards = shipped();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&input)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in &files {
        let file: EvalFile = serde_json::from_slice(&std::fs::read(path)?)?;
        let standard = standards
            .iter()
            .find(|s| s.code == file.standard)
            .ok_or_else(|| format!("{}: unknown standard {}", file.id, file.standard))?;
        let evidence: Vec<EvidenceItem> = file
            .evidence
            .into_iter()
            .enumerate()
            .map(|(index, e)| {
                let (kind, content) = match (e.kind.as_str(), e.content) {
                    ("structured", value) => {
                        (EvidenceKind::Structured, EvidenceContent::Structured(value))
                    }
                    ("transcript", Value::String(text)) => {
                        (EvidenceKind::Transcript, EvidenceContent::Text(text))
                    }
                    (_, Value::String(text)) => (EvidenceKind::Text, EvidenceContent::Text(text)),
                    (_, other) => (EvidenceKind::Text, EvidenceContent::Text(other.to_string())),
                };
                EvidenceItem {
                    index,
                    kind,
                    name: None,
                    content,
                }
            })
            .collect();
        let count = evidence.len();
        let input = GradingInput {
            standard: Arc::new(standard.clone()),
            processes: Vec::new(),
            language: file.language,
            evidence,
        };
        if std::env::var_os("TRACE").is_some() {
            println!("===== {}", file.id);
            for line in engine.trace_grading(&input) {
                println!("{line}");
            }
        }
        let analysis = engine.grade_evidence(&input);
        let (suggestions, dropped) =
            validate_suggestions(analysis.suggestions, standard, &[], count);
        if dropped > 0 {
            eprintln!("{}: {dropped} invalid suggestions dropped", file.id);
        }
        let prediction = json!({
            "id": file.id,
            "suggestions": suggestions,
            "ignored": analysis.ignored,
            "token_usage": analysis.token_usage,
        });
        std::fs::write(
            output.join(format!("{}.json", file.id)),
            serde_json::to_vec_pretty(&prediction)?,
        )?;
    }
    println!("{} predictions in {}", files.len(), output.display());
    Ok(())
}
