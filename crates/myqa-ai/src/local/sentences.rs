//! Sentence segmentation for spoken transcripts: terminators, ellipses that
//! trail off mid-thought ("Okay... scrolling through... Every tanker"),
//! abbreviations, and run-ons that never stop.

use super::transcript::Turn;

/// One sentence of a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sentence {
    /// Byte range in the transcript, trimmed.
    pub start: usize,
    pub end: usize,
    /// Index of its turn (and so its speaker).
    pub turn: usize,
}

/// Titles never end a sentence (`Dr. Weber`, `M. Dupont`).
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "mme", "mlle", "m", "hr", "fr", "nr", "no", "vs", "cf",
];
/// Abbreviations end a sentence only before a capital (`… etc. The next`).
const ABBREVIATIONS: &[&str] = &[
    "etc", "approx", "ca", "eg", "ie", "resp", "bzw", "usw", "vgl", "ggf", "evtl", "inkl", "ref",
    "fig", "dept", "min", "max", "env",
];

/// A sentence longer than this many words is a run-on and gets split at its
/// clause joints ("…, and …", "…, so …").
const RUN_ON_WORDS: usize = 60;
/// Pieces of a split run-on are at least this long.
const MIN_PIECE_WORDS: usize = 15;
/// No piece is longer than this, joint or not: text without any punctuation
/// or joint word still yields quotable sentences.
const MAX_PIECE_WORDS: usize = 100;

/// Splits each turn into sentences.
pub(crate) fn split(transcript: &str, turns: &[Turn]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    for (index, turn) in turns.iter().enumerate() {
        for (start, end) in split_range(transcript, turn.start, turn.end) {
            for (start, end) in split_run_on(transcript, start, end) {
                sentences.push(Sentence {
                    start,
                    end,
                    turn: index,
                });
            }
        }
    }
    sentences
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '…')
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '’' | '”' | '»' | ')' | ']')
}

/// Sentence ranges of `text[from..to]`.
fn split_range(text: &str, from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let part = &text[from..to];
    let mut start = 0;
    let mut chars = part.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' {
            // A blank line ends a paragraph; a single newline may just wrap a
            // line (transcription segments are often joined with newlines).
            let rest = &part[i + 1..];
            let next_line_blank = rest
                .split('\n')
                .next()
                .is_some_and(|line| line.trim().is_empty())
                && rest.contains('\n');
            if next_line_blank {
                push_trimmed(&mut out, text, from + start, from + i);
                start = i + 1;
            }
            continue;
        }
        if !is_terminator(c) {
            continue;
        }
        // The whole run: "...", "?!", ".\"".
        let mut end = i + c.len_utf8();
        let mut question_or_exclamation = matches!(c, '?' | '!');
        let mut dots = usize::from(c == '.') + 3 * usize::from(c == '…');
        while let Some(&(j, d)) = chars.peek() {
            if is_terminator(d) || is_closer(d) {
                question_or_exclamation |= matches!(d, '?' | '!');
                dots += usize::from(d == '.') + 3 * usize::from(d == '…');
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let after = &part[end..];
        if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
            continue; // 3.8, e.g.x, a URL
        }
        let next = after.trim_start().chars().next();
        let boundary = match next {
            None => true,
            Some(_) if question_or_exclamation => true,
            // A trailing-off ellipsis before lower case is a pause, not an end.
            Some(n) if dots >= 2 => n.is_uppercase() || n.is_ascii_digit(),
            Some(n) => !is_abbreviation(&part[start..i], n),
        };
        if boundary {
            push_trimmed(&mut out, text, from + start, from + end);
            start = end;
        }
    }
    push_trimmed(&mut out, text, from + start, to);
    out
}

/// Whether the period after `before` belongs to an abbreviation rather than
/// ending the sentence, given the next character.
fn is_abbreviation(before: &str, next: char) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    if word.is_empty() {
        return false;
    }
    let lower = word.to_lowercase();
    let bare: String = lower.chars().filter(|c| *c != '.').collect();
    // A single capital: an initial (`J. Smith`).
    let mut letters = word.chars();
    if let (Some(first), None) = (letters.next(), letters.next())
        && first.is_uppercase()
    {
        return true;
    }
    if bare == "no" || bare == "nr" {
        return next.is_ascii_digit();
    }
    if TITLES.contains(&bare.as_str()) {
        return true;
    }
    // `e.g.`, `z.B.`, `a.m.`: dots inside the word.
    if ABBREVIATIONS.contains(&bare.as_str()) || word.contains('.') {
        return !next.is_uppercase();
    }
    false
}

fn push_trimmed(out: &mut Vec<(usize, usize)>, text: &str, start: usize, end: usize) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    let (s, e) = (start + lead, end - trail);
    // Skip slivers of punctuation ("..." on its own).
    if s < e && text[s..e].chars().any(char::is_alphanumeric) {
        out.push((s, e));
    }
}

/// Splits an over-long sentence at clause joints so that one run-on carrying
/// several findings can yield several observations.
fn split_run_on(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let sentence = &text[start..end];
    let words = sentence.split_whitespace().count();
    if words <= RUN_ON_WORDS {
        return vec![(start, end)];
    }
    // Words that may open a new clause after a comma or semicolon (or after
    // a very long stretch with no punctuation at all, as some speech-to-text
    // output has).
    const JOINTS: &[&str] = &[
        "and", "so", "but", "then", "okay", "also", "et", "mais", "donc", "puis", "alors", "und",
        "aber", "also", "dann", "doch",
    ];
    let mut pieces = Vec::new();
    let mut piece_start = start;
    let mut words_in_piece = 0;
    let mut previous_ends_clause = false;
    let mut offset = 0;
    for (index, word) in sentence.split_whitespace().enumerate() {
        let at = start + offset + sentence[offset..].find(word).unwrap_or(0);
        offset = at - start + word.len();
        let bare = word
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        let remaining = words - index - 1;
        let at_joint = previous_ends_clause
            && words_in_piece >= MIN_PIECE_WORDS
            && remaining >= MIN_PIECE_WORDS
            && JOINTS.contains(&bare.as_str());
        if at_joint || words_in_piece >= MAX_PIECE_WORDS {
            pieces.push((piece_start, trim_end_at(text, piece_start, at)));
            piece_start = at;
            words_in_piece = 0;
        }
        words_in_piece += 1;
        previous_ends_clause = word.ends_with([',', ';', ':']) || words_in_piece > RUN_ON_WORDS;
    }
    pieces.push((piece_start, end));
    pieces
}

fn trim_end_at(text: &str, start: usize, end: usize) -> usize {
    start + text[start..end].trim_end().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        let turn = Turn {
            speaker: None,
            start: 0,
            end: text.len(),
        };
        split(text, &[turn])
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn ends_at_terminators_and_keeps_questions() {
        assert_eq!(
            sentences("Right, pasteuriser next. How often is it tested? Every start-up!"),
            [
                "Right, pasteuriser next.",
                "How often is it tested?",
                "Every start-up!"
            ]
        );
        // French puts a space before ? and !.
        assert_eq!(
            sentences("Le lot est parti ? Oui."),
            ["Le lot est parti ?", "Oui."]
        );
    }

    #[test]
    fn ellipses_pause_before_lower_case_and_end_before_capitals() {
        assert_eq!(
            sentences("Okay... scrolling through... Every tanker has a seal number."),
            [
                "Okay... scrolling through...",
                "Every tanker has a seal number."
            ]
        );
        assert_eq!(
            sentences("D'accord… lundi, mardi, ça va… Pour le bœuf, non."),
            ["D'accord… lundi, mardi, ça va…", "Pour le bœuf, non."]
        );
    }

    #[test]
    fn decimals_titles_and_abbreviations_do_not_end_sentences() {
        assert_eq!(
            sentences("Display says 3.8 degrees. Dr. Weber checked it, e.g. on Monday. Fine."),
            [
                "Display says 3.8 degrees.",
                "Dr. Weber checked it, e.g. on Monday.",
                "Fine."
            ]
        );
    }

    #[test]
    fn wrapped_lines_join_and_blank_lines_split() {
        assert_eq!(
            sentences("The divert test sign-off for\nTuesday is blank\n\nNext point"),
            [
                "The divert test sign-off for\nTuesday is blank",
                "Next point"
            ]
        );
    }

    #[test]
    fn endless_text_is_cut_into_bounded_pieces() {
        let text = "word ".repeat(1000);
        let got = sentences(&text);
        assert_eq!(got.len(), 10);
        assert!(
            got.iter()
                .all(|s| s.split_whitespace().count() == MAX_PIECE_WORDS)
        );
    }

    #[test]
    fn run_ons_split_at_clause_joints() {
        let first = "um so the probe log in the kitchen is blank for most of the week and nobody on the early shift could tell me who should have filled it in or where the spare sheets are kept,";
        let second = "and the thermometer on the blast chiller has been reading two degrees high since the engineer came for the service last month";
        let third =
            "so please get both of those sorted before the end of the week if you can manage it";
        let text = format!("{first} {second}, {third}");
        let got = sentences(&text);
        assert!(got.len() >= 2, "{got:?}");
        assert!(got[0].starts_with("um so the probe log"));
        assert!(got[1].starts_with("and the thermometer"));
    }
}
