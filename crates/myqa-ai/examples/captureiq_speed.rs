//! Times the local engine on a ~10,000-word transcript, built by repeating the
//! CaptureIQ development transcripts. Run it in release:
//!
//! ```text
//! cargo run --release -p myqa-ai --example captureiq_speed -- [DIR] [WORDS]
//! ```
//! Defaults: `/work/shared/eval/dev/captureiq`, 10000 words.

use std::time::{Duration, Instant};

use myqa_ai::{CaptureInput, LocalEngine};
use myqa_core::capture::SessionType;

/// Used when the development set is not at hand.
const FALLBACK: &str = "Auditor: The divert test sign-off for Tuesday is blank, and there's no note explaining why.\n\
QA Manager: That was the day the CIP overran.\n\
Auditor: Please send me the new certificate once it's back.\n\
Auditor: The allergen validation swabs for the last six changeovers are all negative.\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "/work/shared/eval/dev/captureiq".to_owned());
    let target_words: usize = args
        .next()
        .map(|w| w.parse())
        .transpose()?
        .unwrap_or(10_000);

    let mut sources = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
            if let Some(text) = value["transcript"].as_str() {
                sources.push(text.to_owned());
            }
        }
    }
    if sources.is_empty() {
        eprintln!("no transcripts in {dir}; using a built-in sample");
        sources.push(FALLBACK.to_owned());
    }
    let mut transcript = String::new();
    let mut words = 0;
    for source in sources.iter().cycle() {
        if words >= target_words {
            break;
        }
        transcript.push_str(source);
        transcript.push('\n');
        words += source.split_whitespace().count();
    }

    let started = Instant::now();
    let engine = LocalEngine::new();
    println!("LocalEngine::new: {:.1} ms", ms(started.elapsed()));
    println!("transcript: {words} words, {} bytes", transcript.len());

    for session_type in [SessionType::Audit, SessionType::Meeting] {
        let input = CaptureInput {
            transcript: transcript.clone(),
            segments: Vec::new(),
            session_type,
            language: None,
        };
        let warm_up = engine.analyze_capture(&input);
        let mut times: Vec<Duration> = (0..10)
            .map(|_| {
                let started = Instant::now();
                let analysis = engine.analyze_capture(&input);
                let elapsed = started.elapsed();
                assert_eq!(analysis, warm_up, "the engine is deterministic");
                elapsed
            })
            .collect();
        times.sort();
        println!(
            "{:<8} median {:.1} ms, min {:.1} ms, max {:.1} ms per analysis ({} observations, {} input tokens)",
            session_type.as_str(),
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1]),
            warm_up.observations.len(),
            warm_up.token_usage.input_tokens,
        );
    }
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
