//! Sizing prompts and splitting a transcript too long for one call into
//! overlapping parts, cut on speaker turns (else sentences, words or
//! characters).

use std::ops::Range;

use myqa_core::capture::{Language, SessionType};

use super::prompt::analysis_messages;
use crate::AnalysisError;
use crate::local::tokens::TokenCounter;
use crate::local::transcript::Turn;
use crate::openai::chat::{ChatSettings, Message, Schema, StructuredOutput};

/// Share of the context window (in %) kept free: the server's model may not
/// tokenise like cl100k_base, which sizes the prompts here.
const SAFETY_MARGIN_PERCENT: u64 = 10;
/// What each message costs beyond its text (role, separators), and the
/// priming of the reply, as OpenAI counts them for its chat models.
const TOKENS_PER_MESSAGE: u64 = 4;
const REPLY_PRIMING_TOKENS: u64 = 3;
/// The sentence the client wraps the schema in when the server cannot
/// enforce it (`ChatClient::ask`), rounded up.
const SCHEMA_IN_PROMPT_TOKENS: u64 = 24;
/// Parts smaller than this are not worth a call each: a model configured so
/// tightly is refused rather than billed for thousands of calls.
const MIN_PART_TOKENS: u64 = 100;
/// Most parts one transcript may be split into (a guard against runaway
/// cost with a model whose context window is far too small).
const MAX_PARTS: usize = 1000;
/// Consecutive parts share up to this many turns (or pieces of a split
/// turn) …
const MAX_OVERLAP_PIECES: usize = 2;
/// … and at most this share (in %) of a part's budget.
const MAX_OVERLAP_PERCENT: u64 = 15;

// ---------------------------------------------------------------------------
// Sizing and splitting

/// Prompt tokens of a request: the messages, the schema (in
/// `response_format`, or in a message the client adds when the server cannot
/// enforce it) and the per-message overheads.
pub(super) fn estimate(
    tokens: &TokenCounter,
    structured: StructuredOutput,
    messages: &[Message],
    schema: &Schema,
) -> u64 {
    let messages: u64 = messages
        .iter()
        .map(|m| tokens.count(&m.text()) + TOKENS_PER_MESSAGE)
        .sum();
    let schema_tokens = tokens.count(&schema.schema.to_string()) + tokens.count(schema.name);
    let wrapper = match structured {
        StructuredOutput::JsonSchema => 0,
        StructuredOutput::JsonObject | StructuredOutput::None => {
            SCHEMA_IN_PROMPT_TOKENS + TOKENS_PER_MESSAGE
        }
    };
    messages + schema_tokens + wrapper + REPLY_PRIMING_TOKENS
}

/// Tokens left for transcript text once a prompt's fixed part (`fixed`), the
/// answer and the safety margin are set aside.
pub(super) fn room(settings: &ChatSettings, fixed: u64) -> Option<u64> {
    let margin = settings.context_window * SAFETY_MARGIN_PERCENT / 100;
    settings
        .context_window
        .checked_sub(settings.max_output_tokens)?
        .checked_sub(margin)?
        .checked_sub(fixed)
}

fn no_room(settings: &ChatSettings, fixed: u64) -> AnalysisError {
    AnalysisError::InvalidInput(format!(
        "The transcript cannot be analysed by the configured model: its context window ({} tokens) leaves no room for the transcript once the instructions ({fixed} tokens), the answer ({} tokens) and a safety margin ({} %) are set aside, even with the transcript split into parts of {MIN_PART_TOKENS} tokens. A model with a larger context window (or a smaller maximum answer) is needed.",
        settings.context_window, settings.max_output_tokens, SAFETY_MARGIN_PERCENT,
    ))
}

/// The byte ranges of `text` to analyse, one call each: the whole transcript
/// when it fits, otherwise overlapping parts cut on speaker turns.
pub(super) fn plan_parts(
    settings: &ChatSettings,
    tokens: &TokenCounter,
    session: SessionType,
    language: Language,
    schema: &Schema,
    text: &str,
    turns: &[Turn],
) -> Result<Vec<Range<usize>>, AnalysisError> {
    let structured = settings.structured_output;
    let whole = estimate(
        tokens,
        structured,
        &analysis_messages(session, language, None, ""),
        schema,
    );
    if room(settings, whole).is_some_and(|room| tokens.count(text) <= room) {
        return Ok(std::iter::once(0..text.len()).collect());
    }
    // The part prompts say which part they hold: size them for the widest
    // numbers.
    let fixed = estimate(
        tokens,
        structured,
        &analysis_messages(session, language, Some((MAX_PARTS, MAX_PARTS)), ""),
        schema,
    );
    let budget = room(settings, fixed)
        .filter(|budget| *budget >= MIN_PART_TOKENS)
        .ok_or_else(|| no_room(settings, fixed))?;
    let pieces = pieces(text, turns, budget, tokens);
    let parts = pack(text, &pieces, budget, tokens);
    if parts.len() > MAX_PARTS {
        return Err(AnalysisError::InvalidInput(format!(
            "The transcript is too long for the configured model: its context window ({} tokens) would need {} separate calls (at most {MAX_PARTS} are made). A model with a larger context window is needed.",
            settings.context_window,
            parts.len(),
        )));
    }
    tracing::info!(
        parts = parts.len(),
        budget,
        "transcript too long for one call: analysing it in parts"
    );
    Ok(parts)
}

/// A contiguous stretch of transcript no bigger than a part's budget: a
/// speaker turn (its label included), or a piece of a turn too long for one
/// part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Piece {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) tokens: u64,
}

/// The turns' byte ranges, labels included (a turn runs from its label to
/// the next), covering all of `text`, with their speakers.
pub(super) fn turn_spans<'t>(
    text: &str,
    turns: &'t [Turn],
) -> Vec<(Range<usize>, Option<&'t str>)> {
    let mut spans = Vec::with_capacity(turns.len() + 1);
    let mut start = 0;
    for turn in turns {
        if turn.end > start {
            spans.push((start..turn.end, turn.speaker.as_deref()));
            start = turn.end;
        }
    }
    if start < text.len() {
        spans.push((start..text.len(), None));
    }
    spans
}

/// Cuts `text` into pieces of at most `budget` tokens: whole turns where
/// they fit, else sentences, else runs of words, else runs of characters.
pub(super) fn pieces(text: &str, turns: &[Turn], budget: u64, tokens: &TokenCounter) -> Vec<Piece> {
    let mut out = Vec::new();
    for (span, _) in turn_spans(text, turns) {
        split_range(text, span, budget, tokens, Level::Turn, &mut out);
    }
    out
}

/// What a range is, and so where it is cut when too long for a part.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// A turn: cut into sentences.
    Turn,
    /// A sentence: cut into runs of words.
    Sentence,
}

fn split_range(
    text: &str,
    range: Range<usize>,
    budget: u64,
    tokens: &TokenCounter,
    level: Level,
    out: &mut Vec<Piece>,
) {
    if range.is_empty() {
        return;
    }
    let count = tokens.count(&text[range.clone()]);
    if count <= budget {
        out.push(Piece {
            start: range.start,
            end: range.end,
            tokens: count,
        });
        return;
    }
    match level {
        Level::Turn => {
            let sentences = sentence_cuts(text, range.clone());
            if sentences.len() <= 1 {
                // One long sentence (speech-to-text output without
                // punctuation, say).
                word_pieces(text, range, budget, tokens, out);
            } else {
                for sentence in sentences {
                    split_range(text, sentence, budget, tokens, Level::Sentence, out);
                }
            }
        }
        Level::Sentence => word_pieces(text, range, budget, tokens, out),
    }
}

/// Sentence ranges of `range`, each followed by its trailing whitespace.
fn sentence_cuts(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let part = &text[range.clone()];
    let mut cuts = Vec::new();
    let mut start = 0;
    let mut chars = part.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if !matches!(c, '.' | '?' | '!' | '…' | '\n') {
            continue;
        }
        let Some(&(next_at, next)) = chars.peek() else {
            break;
        };
        if !next.is_whitespace() {
            continue;
        }
        let mut end = next_at;
        while let Some(&(at, w)) = chars.peek() {
            if !w.is_whitespace() {
                break;
            }
            end = at + w.len_utf8();
            chars.next();
        }
        cuts.push(range.start + start..range.start + end);
        start = end;
    }
    if start < part.len() {
        cuts.push(range.start + start..range.end);
    }
    cuts
}

/// Runs of whole words of about a tenth of the budget (so that the overlap
/// of two pieces between parts is more than a word or two); a word longer
/// than the budget is cut into runs of characters.
fn word_pieces(
    text: &str,
    range: Range<usize>,
    budget: u64,
    tokens: &TokenCounter,
    out: &mut Vec<Piece>,
) {
    let run = (budget / 10).max(1);
    let flush = |start: usize, end: usize, out: &mut Vec<Piece>| {
        if start < end {
            out.push(Piece {
                start,
                end,
                tokens: tokens.count(&text[start..end]),
            });
        }
    };
    let (mut start, mut end, mut sum) = (range.start, range.start, 0);
    for word in word_cuts(text, range) {
        let count = tokens.count(&text[word.clone()]);
        if count > budget {
            flush(start, end, out);
            char_pieces(text, word.clone(), budget, tokens, out);
            (start, end, sum) = (word.end, word.end, 0);
            continue;
        }
        if sum + count > run && start < end {
            flush(start, end, out);
            (start, sum) = (end, 0);
        }
        sum += count;
        end = word.end;
    }
    flush(start, end, out);
}

/// Word ranges of `range`, each followed by its trailing whitespace, so that
/// cuts fall only at whitespace.
fn word_cuts(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let part = &text[range.clone()];
    let mut cuts = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (at, c) in part.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            cuts.push(range.start + start..range.start + at);
            start = at;
            in_space = false;
        }
    }
    cuts.push(range.start + start..range.end);
    cuts
}

/// Runs of characters of at most `budget` tokens, the last resort for text
/// without whitespace.
fn char_pieces(
    text: &str,
    range: Range<usize>,
    budget: u64,
    tokens: &TokenCounter,
    out: &mut Vec<Piece>,
) {
    let mut start = range.start;
    while start < range.end {
        // A token is rarely shorter than one character: try `budget`
        // characters, and halve until it fits.
        let mut chars = usize::try_from(budget).unwrap_or(usize::MAX).max(1);
        loop {
            let end = text[start..range.end]
                .char_indices()
                .nth(chars)
                .map_or(range.end, |(at, _)| start + at);
            let count = tokens.count(&text[start..end]);
            if count <= budget || chars == 1 {
                out.push(Piece {
                    start,
                    end,
                    tokens: count,
                });
                start = end;
                break;
            }
            chars /= 2;
        }
    }
}

/// Packs consecutive pieces into parts of at most `budget` tokens, each part
/// starting with the last one or two pieces of the one before (within
/// [`MAX_OVERLAP_PERCENT`] of the budget).
pub(super) fn pack(
    text: &str,
    pieces: &[Piece],
    budget: u64,
    tokens: &TokenCounter,
) -> Vec<Range<usize>> {
    let overlap_budget = budget * MAX_OVERLAP_PERCENT / 100;
    let mut parts = Vec::new();
    let mut first = 0;
    while first < pieces.len() {
        let mut end = first;
        let mut sum = 0;
        while end < pieces.len() && sum + pieces[end].tokens <= budget {
            sum += pieces[end].tokens;
            end += 1;
        }
        // Each piece fits on its own, so a part always takes one.
        end = end.max(first + 1);
        // Pieces counted apart may tokenise a little differently together:
        // check the part as it will be sent.
        while end > first + 1
            && tokens.count(&text[pieces[first].start..pieces[end - 1].end]) > budget
        {
            end -= 1;
        }
        parts.push(pieces[first].start..pieces[end - 1].end);
        if end == pieces.len() {
            break;
        }
        // The next part repeats the last pieces of this one, as long as that
        // keeps it moving forward and leaves room for the next new piece.
        let mut next = end;
        let mut shared = 0;
        while next > first + 1
            && end - next < MAX_OVERLAP_PIECES
            && shared + pieces[next - 1].tokens <= overlap_budget
            && shared + pieces[next - 1].tokens + pieces[end].tokens <= budget
        {
            shared += pieces[next - 1].tokens;
            next -= 1;
        }
        first = next;
    }
    parts
}
