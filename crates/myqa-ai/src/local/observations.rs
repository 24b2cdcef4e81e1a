//! From classified sentences to observations: a finding and its immediate
//! explanation by the same speaker become one observation; different findings
//! stay apart.

use myqa_core::capture::Category;

use super::classify::Assessment;
use super::sentences::Sentence;

/// At most this many sentences make one observation.
const MAX_SENTENCES: usize = 3;
/// An unclassified sentence joins the finding before it only when it says
/// something (an explanation, not "Okay.").
const MIN_EXPLANATION_WORDS: usize = 4;

/// An observation before it is written out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub category: Category,
    /// Indices of its sentences, consecutive.
    pub sentences: Vec<usize>,
    /// The best score among its sentences.
    pub score: f32,
}

/// Groups classified sentences into findings, in transcript order.
///
/// The next sentence joins the current finding when the same speaker says it
/// right after, it opens with a word that ties it to what came before
/// ("because", "so", "which", "it", "parce que", "weil"…), and it is either of
/// the same category or of none but with substance; or when both are key
/// points of one turn (a status report in several sentences). A sentence of
/// another category always starts a new finding.
pub(crate) fn group(
    sentences: &[Sentence],
    assessments: &[Assessment],
    same_speaker: impl Fn(usize, usize) -> bool,
) -> Vec<Finding> {
    let same_turn = |a: usize, b: usize| sentences[a].turn == sentences[b].turn;
    let mut findings: Vec<Finding> = Vec::new();
    for (i, assessment) in assessments.iter().enumerate() {
        let facts = &assessment.facts;
        let joins = |finding: &Finding| {
            let last = *finding.sentences.last().unwrap_or(&usize::MAX);
            let explains = match assessment.category {
                Some(category) => category == finding.category,
                None => !facts.question && facts.content_words >= MIN_EXPLANATION_WORDS,
            };
            // A status report told in several sentences is one key point; a
            // question asked in several, one question.
            let same_report = match finding.category {
                Category::KeyPoint => assessment.category == Some(Category::KeyPoint),
                Category::Question => {
                    facts.question && assessment.category.is_none_or(|c| c == Category::Question)
                }
                _ => false,
            } && same_turn(last, i);
            last + 1 == i
                && finding.sentences.len() < MAX_SENTENCES
                && ((facts.continues && explains) || same_report)
                && same_speaker(last, i)
                && sentences[last].end <= sentences[i].start
        };
        match (findings.last_mut(), assessment.category) {
            (Some(finding), _) if joins(finding) => {
                finding.sentences.push(i);
                finding.score = finding.score.max(assessment.score);
            }
            (_, Some(category)) => findings.push(Finding {
                category,
                sentences: vec![i],
                score: assessment.score,
            }),
            (_, None) => {}
        }
    }
    findings
}
