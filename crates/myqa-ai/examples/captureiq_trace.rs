//! Prints how the local engine reads a transcript, sentence by sentence:
//! speaker, kept category, the scores (context-free) and the text.
//!
//! ```text
//! cargo run -p myqa-ai --example captureiq_trace -- FILE.json|FILE.txt [audit|meeting]
//! ```
//! A `.json` file is a CaptureIQ evaluation file; anything else is read as a
//! plain transcript (session type from the second argument, default audit).

use myqa_ai::{CaptureInput, LocalEngine};
use myqa_core::capture::SessionType;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: captureiq_trace FILE [audit|meeting]")?;
    let raw = std::fs::read_to_string(&path)?;
    let (transcript, session_type) = if path.ends_with(".json") {
        let value: serde_json::Value = serde_json::from_str(&raw)?;
        let session = serde_json::from_value(value["session_type"].clone()).unwrap_or_default();
        (
            value["transcript"].as_str().unwrap_or_default().to_owned(),
            session,
        )
    } else {
        let session = match args.next().as_deref() {
            Some("meeting") => SessionType::Meeting,
            _ => SessionType::Audit,
        };
        (raw, session)
    };
    let engine = LocalEngine::new();
    let input = CaptureInput {
        transcript,
        segments: Vec::new(),
        session_type,
        language: None,
    };
    for line in engine.trace_capture(&input) {
        println!("{line}");
    }
    let analysis = engine.analyze_capture(&input);
    println!(
        "\nlanguage: {:?}\nsummary: {}",
        analysis.language, analysis.summary
    );
    for o in &analysis.observations {
        println!(
            "{:>2}. [{}] {}",
            o.display_order,
            o.category.as_str(),
            o.content
        );
    }
    Ok(())
}
