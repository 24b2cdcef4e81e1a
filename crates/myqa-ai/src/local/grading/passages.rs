//! Evidence items as passages: the sentences of text and transcripts, one line
//! per record of structured evidence.

use serde_json::Value;

use crate::local::{sentences, transcript};

/// Deepest JSON nesting flattened; deeper values are summarised away.
const MAX_DEPTH: usize = 8;
/// Most passages taken from one item: enough for a long PDF, bounded for a
/// huge log.
const MAX_PASSAGES: usize = 2000;

/// A stretch of evidence that can be quoted.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Passage {
    pub text: String,
    /// What it states, for reading cues: the text, or for a record only its
    /// values (field names are labels: a `sign-off` column says nothing about
    /// whether anything was signed off).
    pub statement: String,
    /// How much its words count towards the item's topic: the records of a
    /// long log repeat the same field names, and together count as a couple
    /// of lines; the log's own description counts double.
    pub weight: f32,
}

/// The sentences of a text or transcript, speaker labels left out. Only a
/// transcript has speakers: in notes, `Calibration: …` is a heading.
pub(super) fn of_text(text: &str, spoken: bool) -> Vec<Passage> {
    let turns = if spoken {
        transcript::turns(text)
    } else {
        vec![transcript::Turn {
            speaker: None,
            start: 0,
            end: text.len(),
        }]
    };
    sentences::split(text, &turns)
        .iter()
        .take(MAX_PASSAGES)
        .map(|s| {
            let text = text[s.start..s.end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Passage {
                statement: text.clone(),
                text,
                weight: 1.0,
            }
        })
        .filter(|p| !p.text.is_empty())
        .collect()
}

/// Structured evidence, one line per scalar field of the top object and one
/// per record of its lists: `bereich: Rohwarenlager Mehl; KW12: 3`.
pub(super) fn of_structured(value: &Value) -> Vec<Passage> {
    let mut lines = Vec::new();
    flatten(None, value, 0, 1.0, &mut lines);
    lines
        .into_iter()
        .take(MAX_PASSAGES)
        .filter(|p| !p.text.trim().is_empty())
        .collect()
}

/// The description of a record counts this much more than a line.
const DESCRIPTION_WEIGHT: f32 = 2.0;
/// All the records of one list count as this many lines.
const LIST_WEIGHT: f32 = 2.0;

fn flatten(key: Option<&str>, value: &Value, depth: usize, weight: f32, lines: &mut Vec<Passage>) {
    if depth > MAX_DEPTH || lines.len() >= MAX_PASSAGES {
        return;
    }
    let push = |lines: &mut Vec<Passage>, (text, statement): (String, String), weight: f32| {
        lines.push(Passage {
            text,
            statement,
            weight,
        })
    };
    match value {
        Value::Object(map) => {
            // A record: its scalar fields on one line, its nested parts below.
            let scalars: Vec<(&String, String)> = map
                .iter()
                .filter(|(_, v)| is_scalar(v))
                .map(|(k, v)| (k, scalar_text(v)))
                .collect();
            if !scalars.is_empty() {
                let fields: Vec<String> = scalars
                    .iter()
                    .map(|(k, v)| format!("{}: {v}", words_of(k)))
                    .collect();
                let values: Vec<&str> = scalars
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .filter(|v| !v.is_empty())
                    .collect();
                let weight = if depth == 0 {
                    DESCRIPTION_WEIGHT
                } else {
                    weight
                };
                push(
                    lines,
                    (
                        format!("{}{}", prefix(key), fields.join("; ")),
                        values.join("; "),
                    ),
                    weight,
                );
            }
            for (k, v) in map.iter().filter(|(_, v)| !is_scalar(v)) {
                flatten(Some(k), v, depth + 1, weight, lines);
            }
        }
        Value::Array(items) if items.iter().all(is_scalar) => {
            let values = items.iter().map(scalar_text).collect::<Vec<_>>().join(", ");
            push(lines, (format!("{}{values}", prefix(key)), values), weight);
        }
        Value::Array(items) => {
            let share = weight * (LIST_WEIGHT / items.len() as f32).min(1.0);
            for item in items {
                flatten(key, item, depth + 1, share, lines);
            }
        }
        scalar => {
            let value = scalar_text(scalar);
            push(lines, (format!("{}{value}", prefix(key)), value), weight);
        }
    }
}

/// `key: ` before a line, when the line has a key.
fn prefix(key: Option<&str>) -> String {
    key.map(|k| format!("{}: ", words_of(k)))
        .unwrap_or_default()
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `core_temp_C` → `core temp C`: keys read as words.
fn words_of(key: &str) -> String {
    key.replace(['_', '-'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_become_lines_and_speakers_are_left_out() {
        let lines = of_structured(&json!({
            "record": "CCP 2",
            "entries": [{"time": "07:30", "core_temp_C": 68.4}, {"time": "08:00", "core_temp_C": 73.1}],
            "tags": ["a", "b"]
        }));
        let texts: Vec<&str> = lines.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "record: CCP 2",
                "entries: core temp C: 68.4; time: 07:30",
                "entries: core temp C: 73.1; time: 08:00",
                "tags: a, b"
            ]
        );
        let sentences = of_text(
            "Auditor: Is it calibrated?\nManager: No. It is overdue.",
            true,
        );
        let texts: Vec<&str> = sentences.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["Is it calibrated?", "No.", "It is overdue."]);
        let sentences = of_text("Calibration: DC-07 is overdue.", false);
        assert_eq!(sentences[0].text, "Calibration: DC-07 is overdue.");
    }
}
