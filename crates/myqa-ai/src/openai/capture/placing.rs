//! Placing observations in the transcript by their quotes (order, speaker,
//! time), and merging those of overlapping parts.

use std::collections::HashSet;
use std::ops::Range;

use myqa_core::capture::{Category, Observation, SessionType, normalize_category};

use super::parts::turn_spans;
use super::prompt::RawAnalysis;
use crate::local::timing::SegmentIndex;
use crate::local::transcript::Turn;

/// Two observations of overlapping parts whose contents share this share of
/// their words (Dice coefficient) are one.
const DUPLICATE_WORD_OVERLAP: f64 = 0.8;
/// A quote elided with `...` spans at most this many bytes of transcript.
const MAX_QUOTE_SPAN_BYTES: usize = 4000;

// ---------------------------------------------------------------------------
// Merging

/// An observation as a part's answer gave it, placed in the transcript.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub(super) category: Category,
    pub(super) content: String,
    pub(super) speaker: Option<String>,
    /// Where its quote lies in the transcript, when found.
    pub(super) span: Option<Range<usize>>,
    pub(super) quote: String,
    pub(super) words: HashSet<String>,
}

/// The observations of all parts: placed by their quotes, duplicates of the
/// overlaps dropped, in transcript order (those whose quote is not found
/// after the others, in the order the model gave them), with speakers and,
/// for audio, times.
pub(super) fn merge_observations<'a>(
    text: &str,
    turns: &[Turn],
    segments: &[crate::TimedSegment],
    session: SessionType,
    answers: impl Iterator<Item = (Range<usize>, &'a RawAnalysis)>,
) -> Vec<Observation> {
    let locator = Locator::new(text);
    let mut found: Vec<Found> = Vec::new();
    // Only consecutive parts overlap: a part's observations are checked
    // against the previous part's.
    let mut previous = 0..0;
    for (part, answer) in answers {
        let first = found.len();
        for raw in &answer.observations {
            let content = raw.content.trim();
            if content.is_empty() {
                continue;
            }
            let candidate = Found {
                category: normalize_category(session, &raw.category),
                content: content.to_owned(),
                speaker: raw
                    .speaker
                    .as_deref()
                    .map(|s| s.trim().trim_end_matches(':').trim())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                span: locator.locate(&raw.quote, part.clone()),
                quote: fold(&raw.quote),
                words: words(content),
            };
            if found[previous.clone()]
                .iter()
                .any(|kept| duplicate(kept, &candidate))
            {
                continue;
            }
            found.push(candidate);
        }
        previous = first..found.len();
    }
    found.sort_by_key(|f| f.span.as_ref().map_or(usize::MAX, |span| span.start));

    let spans = turn_spans(text, turns);
    let speaker_at = |at: usize| {
        let i = spans.partition_point(|(span, _)| span.end <= at);
        spans
            .get(i)
            .and_then(|(_, speaker)| *speaker)
            .map(str::to_owned)
    };
    let mut index = (!segments.is_empty()).then(|| SegmentIndex::new(segments));
    found
        .into_iter()
        .enumerate()
        .map(|(n, f)| {
            // The transcript's label is what was said; the model's guess
            // only stands in where the transcript names no speaker.
            let speaker = f
                .span
                .as_ref()
                .and_then(|span| speaker_at(span.start))
                .or(f.speaker);
            let time = match (&mut index, &f.span) {
                (Some(index), Some(span)) => {
                    let said = &text[span.clone()];
                    index.span(said, said)
                }
                _ => None,
            };
            Observation {
                content: f.content,
                category: f.category,
                display_order: u32::try_from(n + 1).unwrap_or(u32::MAX),
                speaker,
                start_ms: time.map(|(start, _)| start),
                end_ms: time.map(|(_, end)| end),
            }
        })
        .collect()
}

/// Whether `b` repeats `a`. Both found in the transcript: whether they come
/// from the same passage (their spans overlap by 80 %). Otherwise: the same
/// quote, or the same category and nearly the same words, numbers alike
/// ("line 2" is not "line 3").
pub(super) fn duplicate(a: &Found, b: &Found) -> bool {
    if let (Some(x), Some(y)) = (&a.span, &b.span) {
        let shared = x.end.min(y.end).saturating_sub(x.start.max(y.start));
        let shorter = x.len().min(y.len()).max(1);
        return shared * 10 >= shorter * 8;
    }
    if !a.quote.is_empty() && a.quote == b.quote {
        return true;
    }
    let numbers = |words: &HashSet<String>| -> Vec<String> {
        let mut numbers: Vec<String> = words
            .iter()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
            .cloned()
            .collect();
        numbers.sort();
        numbers
    };
    a.category == b.category
        && similarity(&a.words, &b.words) >= DUPLICATE_WORD_OVERLAP
        && numbers(&a.words) == numbers(&b.words)
}

/// Lower-case words of `text` (letters and digits).
pub(super) fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The Dice coefficient of two word sets.
fn similarity(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

// ---------------------------------------------------------------------------
// Text

/// One character as the quote search compares it: lower case, typographic
/// quotes and dashes as their plain forms.
fn fold_char(c: char) -> impl Iterator<Item = char> {
    let plain = match c {
        '’' | '‘' | '`' | '´' => Some('\''),
        '“' | '”' | '„' | '«' | '»' => Some('"'),
        '–' | '—' => Some('-'),
        _ => None,
    };
    plain.into_iter().chain(
        plain
            .is_none()
            .then(|| c.to_lowercase())
            .into_iter()
            .flatten(),
    )
}

/// `text` folded (see [`fold_char`]), whitespace runs as single spaces.
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(fold_char));
    }
    out
}

/// Finds quotes in a transcript, whatever their case, whitespace or quote
/// marks.
pub(super) struct Locator<'a> {
    text: &'a str,
    folded: String,
    /// For each byte of `folded`, the byte of `text` it comes from.
    origin: Vec<usize>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str) -> Locator<'a> {
        let mut folded = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        let mut in_space = false;
        for (at, c) in text.char_indices() {
            if c.is_whitespace() {
                if !in_space {
                    folded.push(' ');
                    origin.push(at);
                }
                in_space = true;
                continue;
            }
            in_space = false;
            for f in fold_char(c) {
                folded.push(f);
                origin.extend(std::iter::repeat_n(at, f.len_utf8()));
            }
        }
        Locator {
            text,
            folded,
            origin,
        }
    }

    /// The byte range of `quote` in the transcript, looked for in `near`
    /// (the part it was quoted from) first. A quote elided with `...` spans
    /// from its first fragment to its last.
    pub(super) fn locate(&self, quote: &str, near: Range<usize>) -> Option<Range<usize>> {
        let folded = fold(quote).replace('…', "...");
        let fragments: Vec<&str> = folded
            .split("...")
            .map(|f| f.trim_matches(|c: char| c == ' ' || c == '"' || c == '\'' || c == '.'))
            .filter(|f| f.chars().any(char::is_alphanumeric))
            .collect();
        let (first, last) = (fragments.first()?, fragments.last()?);
        let near = self.folded_at(near.start)..self.folded_at(near.end);
        let start = self.folded[near.clone()]
            .find(first)
            .map(|at| at + near.start)
            .or_else(|| self.folded.find(first))?;
        let mut end = start + first.len();
        if fragments.len() > 1 {
            let limit = (end + MAX_QUOTE_SPAN_BYTES).min(self.folded.len());
            let limit = (limit..=self.folded.len())
                .find(|i| self.folded.is_char_boundary(*i))
                .unwrap_or(self.folded.len());
            if let Some(at) = self.folded[end..limit].find(last) {
                end += at + last.len();
            }
        }
        let from = self.origin[start];
        let to = self.origin.get(end).copied().unwrap_or(self.text.len());
        let said = &self.text[from..to];
        let from = from + (said.len() - said.trim_start().len());
        let to = from + said.trim().len();
        (from < to).then_some(from..to)
    }

    /// The first byte of `folded` that comes from byte `at` of the text or
    /// after it.
    fn folded_at(&self, at: usize) -> usize {
        self.origin.partition_point(|&o| o < at)
    }
}
