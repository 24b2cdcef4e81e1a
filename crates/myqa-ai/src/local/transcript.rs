//! Speaker turns: where a transcript's speaker labels (`Auditor: …`,
//! `Auditrice : …`, `QA Manager: …`, `[00:12] Prüferin: …`) begin and end.

use std::collections::BTreeMap;

/// A stretch of transcript said by one speaker, or by nobody known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Turn {
    /// The label without its colon (`QA Manager`).
    pub speaker: Option<String>,
    /// Byte range of what was said (label excluded) in the transcript.
    pub start: usize,
    pub end: usize,
}

/// Labels are short: a name or a role of a few words.
const MAX_LABEL_BYTES: usize = 40;
const MAX_LABEL_WORDS: usize = 4;

/// Lower-case words a title-case label may contain (`Chef de production`).
const LABEL_PARTICLES: &[&str] = &[
    "de", "du", "des", "la", "le", "of", "the", "von", "der", "van",
];

#[derive(Debug, Clone)]
struct Label {
    /// Where the label (or its timestamp) starts.
    at: usize,
    /// Where the spoken text after the colon starts.
    text_start: usize,
    name: String,
    line_start: bool,
}

/// Splits a transcript into speaker turns.
///
/// A label is accepted at the start of a line when it is title case or recurs;
/// inside a line (right after a sentence end, as in one-paragraph pastes) only
/// when it is title case and recurs, so that an ordinary "Two issues: …" is
/// not taken for a speaker. Lines without a label continue the current turn.
pub(crate) fn turns(transcript: &str) -> Vec<Turn> {
    let candidates = label_candidates(transcript);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for label in &candidates {
        *counts.entry(label.name.as_str()).or_default() += 1;
    }
    // A transcript with two or more recurring speakers is a labelled one:
    // there, any capitalised name at a line start is a speaker too (the
    // "Chef d'équipe :" who speaks once).
    let labelled = counts.values().filter(|n| **n >= 2).count() >= 2;
    let accepted: Vec<&Label> = candidates
        .iter()
        .filter(|label| {
            let recurs = counts[label.name.as_str()] >= 2;
            let title = is_title_case(&label.name);
            let capitalised = label.name.chars().next().is_some_and(char::is_uppercase);
            if label.line_start {
                recurs || title || (labelled && capitalised)
            } else {
                recurs && title
            }
        })
        .collect();

    let mut turns = Vec::with_capacity(accepted.len() + 1);
    let first = accepted.first().map_or(transcript.len(), |label| label.at);
    if !transcript[..first].trim().is_empty() {
        turns.push(Turn {
            speaker: None,
            start: 0,
            end: first,
        });
    }
    for (i, label) in accepted.iter().enumerate() {
        let end = accepted.get(i + 1).map_or(transcript.len(), |next| next.at);
        turns.push(Turn {
            speaker: Some(label.name.clone()),
            start: label.text_start.min(end),
            end,
        });
    }
    turns
}

/// Every place a label could start: each line start, and each sentence start
/// inside a line.
fn label_candidates(text: &str) -> Vec<Label> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if line_start {
            if let Some(label) = label_at(text, i, true) {
                i = label.text_start;
                found.push(label);
                line_start = false;
                continue;
            }
            line_start = false;
        }
        if b == b'\n' {
            line_start = true;
        } else if matches!(b, b'.' | b'?' | b'!')
            && bytes.get(i + 1).is_some_and(|n| *n == b' ' || *n == b'\t')
        {
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            if let Some(label) = label_at(text, j, false) {
                i = label.text_start;
                found.push(label);
                continue;
            }
        }
        i += 1;
    }
    found
}

/// Reads a label starting at byte `at` (leading blanks and an optional
/// timestamp allowed), if there is one.
fn label_at(text: &str, at: usize, line_start: bool) -> Option<Label> {
    let rest = &text[at..];
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let mut start = at + skipped;
    start += timestamp_len(&text[start..]);
    let rest = &text[start..];
    let first = rest.chars().next()?;
    if !first.is_alphabetic() || (!line_start && !first.is_uppercase()) {
        return None;
    }
    let mut colon = None;
    for (offset, c) in rest.char_indices() {
        if offset > MAX_LABEL_BYTES {
            return None;
        }
        if c == ':' {
            colon = Some(offset);
            break;
        }
        let allowed = c.is_alphanumeric()
            || matches!(c, ' ' | '-' | '\'' | '’' | '(' | ')' | '&' | '/' | '.');
        if !allowed {
            return None;
        }
    }
    let colon = colon?;
    let after = &rest[colon + 1..];
    if !(after.is_empty() || after.starts_with([' ', '\t', '\n', '\r'])) {
        return None;
    }
    let name = rest[..colon].trim();
    let words = name.split_whitespace().count();
    if name.is_empty() || words > MAX_LABEL_WORDS || name.ends_with('.') {
        return None;
    }
    let text_start =
        start + colon + 1 + (after.len() - after.trim_start_matches([' ', '\t']).len());
    Some(Label {
        at,
        text_start,
        name: name.split_whitespace().collect::<Vec<_>>().join(" "),
        line_start,
    })
}

/// Length of a leading timestamp such as `[00:12:03] `, `(12:03) ` or
/// `00:12 - `, or 0.
fn timestamp_len(text: &str) -> usize {
    let is_time = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | ',' | ' ' | '-'))
    };
    let mut len = 0;
    if let Some(close) = text.strip_prefix('[').and_then(|r| r.find(']')) {
        if close <= 24 && is_time(&text[1..close + 1]) {
            len = close + 2;
        }
    } else if let Some(close) = text.strip_prefix('(').and_then(|r| r.find(')')) {
        if close <= 24 && is_time(&text[1..close + 1]) {
            len = close + 2;
        }
    } else {
        let digits = text
            .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
            .unwrap_or(text.len());
        if digits >= 4 && text[..digits].contains(':') && text[digits..].starts_with(' ') {
            len = digits;
        }
    }
    if len == 0 {
        return 0;
    }
    let rest = &text[len..];
    let trimmed = rest.trim_start_matches([' ', '\t', '-', '–']);
    len + (rest.len() - trimmed.len())
}

/// `QA Manager`, `Chef de Production`, `Tom`: every word capitalised, bar
/// particles.
fn is_title_case(name: &str) -> bool {
    name.split_whitespace().all(|word| {
        let word = word.trim_start_matches('(');
        // An elided particle counts by what follows it (`d'Équipe`).
        let word = ["d'", "d’", "l'", "l’"]
            .iter()
            .find_map(|particle| word.strip_prefix(particle))
            .unwrap_or(word);
        word.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            || LABEL_PARTICLES.contains(&word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speakers(text: &str) -> Vec<(Option<String>, String)> {
        turns(text)
            .into_iter()
            .map(|t| (t.speaker, text[t.start..t.end].trim().to_owned()))
            .collect()
    }

    fn s(name: &str, said: &str) -> (Option<String>, String) {
        (Some(name.to_owned()), said.to_owned())
    }

    #[test]
    fn labels_in_english_french_and_german_styles() {
        let text = "Auditor: Can I see the log?\nQA Manager: Here it is.\nAuditrice : Bonjour à tous.\nPrüferin: Bitte senden Sie mir das Zertifikat.";
        assert_eq!(
            speakers(text),
            [
                s("Auditor", "Can I see the log?"),
                s("QA Manager", "Here it is."),
                s("Auditrice", "Bonjour à tous."),
                s("Prüferin", "Bitte senden Sie mir das Zertifikat."),
            ]
        );
    }

    #[test]
    fn recurring_lower_case_labels_and_continuation_lines() {
        let text = "Responsable qualité : Oui.\nAuditrice : Bien.\nLa suite de la phrase.\nResponsable qualité : Non.";
        assert_eq!(
            speakers(text),
            [
                s("Responsable qualité", "Oui."),
                s("Auditrice", "Bien.\nLa suite de la phrase."),
                s("Responsable qualité", "Non."),
            ]
        );
    }

    #[test]
    fn a_one_off_speaker_in_a_labelled_transcript() {
        let text = "Auditeur : Bonjour.\nResponsable qualité : Bonjour.\nChef d'équipe : C'est interdit.\nAuditeur : Bien.\nResponsable qualité : Oui.";
        let names: Vec<Option<String>> = turns(text).into_iter().map(|t| t.speaker).collect();
        assert_eq!(names[2].as_deref(), Some("Chef d'équipe"));
        assert_eq!(names.len(), 5);
    }

    #[test]
    fn ordinary_colons_are_not_labels() {
        let text =
            "Two issues were raised: the log and the door.\nThe time was 10:30 and it ended.";
        assert_eq!(speakers(text), [(None, text.to_owned())]);
    }

    #[test]
    fn timestamps_and_labels_inside_one_paragraph() {
        let text = "[00:01:02] Auditor: The log is blank. QA Manager: I see. Auditor: Please fix it. QA Manager: Will do.";
        assert_eq!(
            speakers(text),
            [
                s("Auditor", "The log is blank."),
                s("QA Manager", "I see."),
                s("Auditor", "Please fix it."),
                s("QA Manager", "Will do."),
            ]
        );
    }

    #[test]
    fn text_without_labels_is_one_turn() {
        assert_eq!(
            speakers("Just talk. More talk."),
            [(None, "Just talk. More talk.".to_owned())]
        );
    }
}
