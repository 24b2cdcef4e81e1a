//! Extractive summary: the most informative sentences, in transcript order and
//! in the transcript's own words and language.

/// The summary quotes at least this many sentences when there are enough…
const MIN_SENTENCES: usize = 3;
/// …and at most this many.
const MAX_SENTENCES: usize = 5;
/// Fallback for a transcript with no sentence at all (only symbols).
const MAX_FALLBACK_CHARS: usize = 300;

/// A candidate sentence for the summary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate<'a> {
    /// Position in the transcript (sentence index).
    pub order: usize,
    pub text: &'a str,
    /// Higher is more informative.
    pub score: f32,
}

/// Picks the findings with the highest scores (up to five); when there are
/// fewer than three, tops up with the most substantive other sentences; writes
/// them in transcript order. Never empty for a non-blank transcript.
pub(crate) fn summarize(
    findings: &[Candidate<'_>],
    others: &[Candidate<'_>],
    transcript: &str,
) -> String {
    let mut chosen: Vec<Candidate<'_>> = best(findings, MAX_SENTENCES);
    if chosen.len() < MIN_SENTENCES {
        chosen.extend(best(others, MIN_SENTENCES - chosen.len()));
    }
    chosen.sort_by_key(|c| c.order);
    let summary = chosen
        .iter()
        .map(|c| c.text.trim())
        .collect::<Vec<_>>()
        .join(" ");
    if !summary.is_empty() {
        return summary;
    }
    transcript.trim().chars().take(MAX_FALLBACK_CHARS).collect()
}

/// The `n` best candidates; ties go to the earlier sentence.
fn best<'a>(candidates: &[Candidate<'a>], n: usize) -> Vec<Candidate<'a>> {
    let mut sorted = candidates.to_vec();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.order.cmp(&b.order)));
    sorted.truncate(n);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(order: usize, text: &str, score: f32) -> Candidate<'_> {
        Candidate { order, text, score }
    }

    #[test]
    fn best_findings_in_transcript_order() {
        let findings = [
            c(1, "A.", 2.0),
            c(2, "B.", 5.0),
            c(3, "C.", 3.0),
            c(4, "D.", 4.0),
            c(5, "E.", 2.5),
            c(6, "F.", 6.0),
        ];
        assert_eq!(summarize(&findings, &[], "x"), "B. C. D. E. F.");
    }

    #[test]
    fn tops_up_with_other_sentences_and_never_empty() {
        assert_eq!(
            summarize(
                &[c(3, "Finding.", 2.0)],
                &[c(1, "Other.", 5.0), c(2, "Less.", 1.0)],
                "x"
            ),
            "Other. Less. Finding."
        );
        assert_eq!(summarize(&[], &[], "  ?!  "), "?!");
    }
}
