//! SnapReport grading with the local engine.
//!
//! Step by step: each evidence item becomes passages — sentences of text and
//! transcripts, one line per record of structured data ([`passages`]) — whose
//! words are brought into the catalogue's English ([`vocabulary`]) and ranked
//! against the clauses in scope with BM25 ([`index`]). An item yields a
//! suggestion for the clause it addresses most strongly, and for further
//! clauses of other sections that some of its passages address as strongly;
//! an item that addresses nothing (small talk, logistics) is reported as
//! ignored. Each suggestion's polarity comes from the cue lexicons of
//! CaptureIQ read over the passages that bear on the clause, and from what
//! structured data shows by its values ([`records`]); the scheme's grade
//! follows ([`verdict`]), and the comment and reasoning quote the evidence in
//! the request's language ([`wording`]).

mod cues;
mod glossary;
mod index;
mod passages;
mod records;
mod verdict;
mod vocabulary;
mod wording;

#[cfg(test)]
mod tests;

use std::collections::HashSet;

use myqa_core::capture::Language;
use myqa_core::snapreport::{EvidenceKind, RawSuggestion};

use super::classify::facts;
use super::lexicon::{Lexicon, Signal};
use super::{LocalEngine, per_language};
use crate::{EvidenceContent, EvidenceItem, GradingAnalysis, GradingInput};
use index::{ClauseIndex, Match, quoted_numbers};
use passages::Passage;
use records::Finding;
use verdict::Verdict;
use vocabulary::{Term, Vocabulary};

/// An item addresses a clause when its words score at least this (BM25).
const MIN_ITEM_SCORE: f32 = 6.0;
/// Least score per passage of the item's best section.
const MIN_DENSITY: f32 = 2.5;
/// A passage counts towards a clause when it scores at least this.
const MIN_PASSAGE_SCORE: f32 = 2.5;
/// Weight of a section's second clause (squared for the third…).
const SECTION_DECAY: f32 = 0.5;
/// A further clause of an item must score this share of its best one.
const SECOND_CLAUSE_SHARE: f32 = 0.7;
/// Most clauses graded from one item.
const MAX_CLAUSES_PER_ITEM: usize = 2;
/// Passages this far below the best one for a clause add nothing to its
/// verdict.
const VERDICT_SHARE: f32 = 0.35;
/// A further clause of an item needs a passage scoring this on its section.
const MIN_TOPIC_PASSAGE_SCORE: f32 = 12.0;
/// How much of a problem a bare negation is.
const NEGATION_WEIGHT: f32 = 0.5;
/// How much the item's passages that bear on other clauses count towards a
/// clause's verdict (an item usually tells one story).
const CONTEXT_WEIGHT: f32 = 0.5;
/// What a monitoring log is, in the catalogue's words.
const MONITORING_LOG: &str = "monitoring records";
/// How much such a hint counts, as if written twice.
const HINT_WEIGHT: f32 = 2.0;
/// Share of small-talk sentences from which an item is small talk.
const SMALL_TALK_SHARE: f32 = 0.5;

/// One passage as the grader reads it.
struct Reading {
    passage: Passage,
    verdict: Verdict,
    problem_cues: Vec<String>,
    good_cues: Vec<String>,
    small_talk: bool,
    /// Clause index → score, for clauses above [`MIN_PASSAGE_SCORE`].
    scores: Vec<(usize, f32, Vec<String>)>,
    terms: Vec<Term>,
    numbers: Vec<String>,
}

/// A clause one item addresses.
struct Candidate {
    entry: usize,
    item: usize,
    score: f32,
    verdict: Verdict,
    quote: String,
    words: Vec<String>,
    problem_cues: Vec<String>,
    good_cues: Vec<String>,
}

/// What grading reads with, built once per engine: the glossaries and the
/// lexicons of written evidence (CaptureIQ's cues plus [`cues`]).
pub(crate) struct Tables {
    vocabulary: Vocabulary,
    lexicons: [Lexicon; 3],
}

impl Tables {
    pub(crate) fn new() -> Tables {
        Tables {
            vocabulary: Vocabulary::new(),
            lexicons: Language::ALL.map(|language| {
                let extra = match language {
                    Language::En => cues::EN,
                    Language::Fr => cues::FR,
                    Language::De => cues::DE,
                };
                Lexicon::with_extra(language, extra)
            }),
        }
    }

    fn lexicon(&self, language: Language) -> &Lexicon {
        per_language(&self.lexicons, language)
    }
}

impl LocalEngine {
    /// Grades the evidence against the clauses in scope. Pure computation.
    pub fn grade_evidence(&self, input: &GradingInput) -> GradingAnalysis {
        let language = input.language;
        let lexicon = self.grading.lexicon(language);
        let index = self.clause_index(input);
        let mut ignored = Vec::new();
        let mut candidates = Vec::new();
        for item in &input.evidence {
            match self.candidates(&index, lexicon, language, item) {
                Ok(found) if found.is_empty() => {
                    ignored.push((item.index, not_addressed(language)))
                }
                Ok(found) => candidates.extend(found),
                Err(why) => ignored.push((item.index, why)),
            }
        }
        let suggestions = suggestions(&index, input, candidates);
        let outputs = suggestions
            .iter()
            .flat_map(|s| [s.comment.as_str(), s.reasoning.as_str()]);
        let token_usage = self.tokens.usage(&evidence_text(&input.evidence), outputs);
        GradingAnalysis {
            suggestions,
            ignored,
            token_usage,
            model: Self::MODEL.to_owned(),
        }
    }

    /// The numbers of the clauses in scope that the evidence's words match
    /// best, most relevant first, at most `limit`: what a language model is
    /// shown when the scope is too large to send whole.
    pub(crate) fn rank_clauses(&self, input: &GradingInput, limit: usize) -> Vec<String> {
        let index = self.clause_index(input);
        let mut terms = Vec::new();
        let mut numbers = Vec::new();
        for item in &input.evidence {
            let Some((passages, ..)) = read_item(item) else {
                continue;
            };
            for passage in passages {
                terms.extend(self.grading.vocabulary.terms(
                    input.language,
                    &passage.text,
                    passage.weight,
                ));
                numbers.extend(quoted_numbers(&passage.text));
            }
        }
        index
            .search(&terms, &numbers)
            .into_iter()
            .take(limit)
            .map(|m| index.entries[m.entry].clause.number.clone())
            .collect()
    }

    fn clause_index<'s>(&self, input: &'s GradingInput) -> ClauseIndex<'s> {
        ClauseIndex::new(
            &input.standard,
            &input.processes,
            &self.grading.vocabulary,
            self.lexicon(Language::En),
        )
    }

    /// The clauses one item addresses, or why it cannot be used.
    fn candidates(
        &self,
        index: &ClauseIndex<'_>,
        lexicon: &Lexicon,
        language: Language,
        item: &EvidenceItem,
    ) -> Result<Vec<Candidate>, String> {
        let Some((passages, findings, hint)) = read_item(item) else {
            return Err(no_vision(language));
        };
        let readings: Vec<Reading> = passages
            .into_iter()
            .map(|passage| self.read(index, lexicon, language, passage))
            .collect();
        // Mostly small talk, and nothing else in it clearly about a
        // requirement: the item is small talk.
        let small_talk = readings.iter().filter(|r| r.small_talk).count();
        let substance = readings
            .iter()
            .filter(|r| !r.small_talk)
            .filter_map(|r| r.scores.first().map(|(_, score, _)| *score))
            .fold(0.0f32, f32::max);
        let chatty = small_talk as f32 >= SMALL_TALK_SHARE * readings.len() as f32;
        if readings.is_empty() || (chatty && substance < MIN_TOPIC_PASSAGE_SCORE) {
            return Ok(Vec::new());
        }
        // The item's clauses: its words together, so that a word repeated
        // on every line of a log counts once, with diminishing returns.
        let mut terms: Vec<Term> = readings
            .iter()
            .flat_map(|r| r.terms.iter().cloned())
            .collect();
        if let Some(hint) = hint {
            terms.extend(
                self.grading
                    .vocabulary
                    .terms(Language::En, hint, HINT_WEIGHT),
            );
        }
        let numbers: Vec<String> = readings
            .iter()
            .flat_map(|r| r.numbers.iter().cloned())
            .collect();
        let ranked = sections(index, index.search(&terms, &numbers));
        let Some(best) = ranked.first().map(|(_, score)| *score) else {
            return Ok(Vec::new());
        };
        // Small talk matches a requirement by a stray word here and there;
        // evidence about a requirement does sentence after sentence.
        let length: f32 = readings.iter().map(|r| r.passage.weight).sum();
        if best < MIN_ITEM_SCORE || best < MIN_DENSITY * length.max(1.0) {
            return Ok(Vec::new());
        }
        // A passage's own topic: the section of its best clause.
        let passage_topics: Vec<(&str, f32)> = readings
            .iter()
            .filter_map(|r| {
                r.scores
                    .first()
                    .map(|(e, s, _)| (index.entries[*e].section, *s))
            })
            .collect();
        let mut chosen = Vec::new();
        for (found, score) in ranked {
            if chosen.len() == MAX_CLAUSES_PER_ITEM || score < SECOND_CLAUSE_SHARE * best {
                break;
            }
            let section = index.entries[found.entry].section;
            // A further section needs a passage of its own about it.
            let own_passage = passage_topics
                .iter()
                .any(|(s, score)| *s == section && *score >= MIN_TOPIC_PASSAGE_SCORE);
            if !chosen.is_empty() && !own_passage {
                continue;
            }
            chosen.push(self.candidate(item.index, &found, score, &readings, &findings));
        }
        Ok(chosen)
    }

    fn read(
        &self,
        index: &ClauseIndex<'_>,
        lexicon: &Lexicon,
        language: Language,
        passage: Passage,
    ) -> Reading {
        let facts = facts(lexicon, &passage.statement);
        let terms = self
            .grading
            .vocabulary
            .terms(language, &passage.text, passage.weight);
        let numbers = quoted_numbers(&passage.text);
        let scores: Vec<(usize, f32, Vec<String>)> = index
            .search(&terms, &numbers)
            .into_iter()
            .filter(|m| m.score >= MIN_PASSAGE_SCORE)
            .map(|m| (m.entry, m.score, m.words))
            .collect();
        let (problem_cues, good_cues) = cues(lexicon, &passage.statement);
        Reading {
            verdict: Verdict {
                // "No hold tag", "nobody checked": a negation is half a problem.
                problem: facts.signal(Signal::Problem)
                    + NEGATION_WEIGHT * facts.signal(Signal::Negation),
                good: facts.signal(Signal::Good),
                improvement: facts.signal(Signal::Improvement),
                ..Verdict::default()
            },
            small_talk: facts.signal(Signal::SmallTalk)
                > facts
                    .signal(Signal::Problem)
                    .max(facts.signal(Signal::Good)),
            problem_cues,
            good_cues,
            scores,
            terms,
            numbers,
            passage,
        }
    }

    /// What an item says about one clause: the verdict of the passages that
    /// bear on it most (and, less, of the rest of the item), the data's
    /// findings, the best quote.
    fn candidate(
        &self,
        item: usize,
        found: &Match,
        score: f32,
        readings: &[Reading],
        findings: &[Finding],
    ) -> Candidate {
        let entry = found.entry;
        let score_of = |r: &Reading| {
            r.scores
                .iter()
                .find(|(e, _, _)| *e == entry)
                .map_or(0.0, |(_, s, _)| *s)
        };
        let top = readings.iter().map(score_of).fold(0.0f32, f32::max);
        let mut verdict = Verdict::default();
        let words = found.words.clone();
        let mut problem_cues = Vec::new();
        let mut good_cues = Vec::new();
        let bearing: Vec<&Reading> = readings
            .iter()
            .filter(|r| score_of(r) >= VERDICT_SHARE * top && score_of(r) > 0.0)
            .collect();
        for reading in &bearing {
            verdict.add(&reading.verdict);
            problem_cues.extend(reading.problem_cues.iter().cloned());
            good_cues.extend(reading.good_cues.iter().cloned());
        }
        // The rest of the item, and its cues should they be all there is
        // to explain the verdict.
        let (mut context_problems, mut context_goods) = (Vec::new(), Vec::new());
        for reading in readings
            .iter()
            .filter(|r| !bearing.iter().any(|b| std::ptr::eq(*b, *r)))
        {
            verdict.add(&reading.verdict.as_context(CONTEXT_WEIGHT));
            context_problems.extend(reading.problem_cues.iter().cloned());
            context_goods.extend(reading.good_cues.iter().cloned());
        }
        if problem_cues.is_empty() {
            problem_cues = context_problems;
        }
        if good_cues.is_empty() {
            good_cues = context_goods;
        } // What the data shows holds for every clause the record bears on.
        verdict.findings = findings.to_vec();
        // Quote the passage that best shows the verdict: for a problem, the
        // most relevant passage holding a problem cue.
        let nonconform = verdict.nonconform();
        let quote = bearing
            .iter()
            .max_by(|a, b| {
                let weight = |r: &Reading| {
                    let polar = if nonconform {
                        r.verdict.problem
                    } else {
                        r.verdict.good
                    };
                    score_of(r) * (1.0 + polar.min(2.0))
                };
                weight(a).total_cmp(&weight(b))
            })
            .map(|r| r.passage.text.clone())
            .unwrap_or_default();
        Candidate {
            entry,
            item,
            score,
            verdict,
            quote,
            words: dedup(words),
            problem_cues: dedup(problem_cues),
            good_cues: dedup(good_cues),
        }
    }
}

impl LocalEngine {
    /// Per item: each passage's best clauses and cues, then the item's
    /// ranking. For tuning (`examples/snapreport_dev.rs` with `TRACE=1`);
    /// not part of the API.
    #[doc(hidden)]
    pub fn trace_grading(&self, input: &GradingInput) -> Vec<String> {
        let language = input.language;
        let lexicon = self.grading.lexicon(language);
        let index = self.clause_index(input);
        let mut lines = Vec::new();
        for item in &input.evidence {
            let Some((passages, ..)) = read_item(item) else {
                continue;
            };
            lines.push(format!("## item {}", item.index));
            let mut terms = Vec::new();
            for passage in passages {
                let text: String = passage.text.chars().take(90).collect();
                let r = self.read(&index, lexicon, language, passage);
                let best: Vec<String> = r
                    .scores
                    .iter()
                    .take(3)
                    .map(|(e, s, w)| {
                        format!(
                            "{}={s:.1}{:?}",
                            index.entries[*e].clause.number,
                            w.iter().take(3).collect::<Vec<_>>()
                        )
                    })
                    .collect();
                terms.extend(r.terms.iter().cloned());
                lines.push(format!(
                    "  P{:.1} G{:.1} {} | {text}\n      {}",
                    r.verdict.problem,
                    r.verdict.good,
                    if r.small_talk { "ST" } else { "  " },
                    best.join(" ")
                ));
            }
            let top: Vec<String> = sections(&index, index.search(&terms, &[]))
                .iter()
                .take(6)
                .map(|(m, s)| {
                    format!(
                        "{}={s:.1}/{:.1}{:?}",
                        index.entries[m.entry].clause.number,
                        m.score,
                        m.words.iter().take(4).collect::<Vec<_>>()
                    )
                })
                .collect();
            lines.push(format!("  => {}", top.join(" ")));
        }
        lines
    }
}

/// Clause matches grouped by section, best section first, each with its
/// best clause. A section scores its best clause plus half its second and a
/// quarter of its third: evidence about a topic tends to touch several
/// clauses of the section that covers it, where a chance match hits one.
fn sections(index: &ClauseIndex<'_>, matches: Vec<Match>) -> Vec<(Match, f32)> {
    let mut by_section: Vec<(&str, Match, f32, usize)> = Vec::new();
    for found in matches {
        let section = index.entries[found.entry].section;
        match by_section.iter_mut().find(|(s, ..)| *s == section) {
            Some((_, _, score, count)) => {
                *score += found.score * SECTION_DECAY.powi(*count as i32);
                *count += 1;
            }
            None => {
                let score = found.score;
                by_section.push((section, found, score, 1));
            }
        }
    }
    let mut ranked: Vec<(Match, f32)> = by_section
        .into_iter()
        .map(|(_, found, score, _)| (found, score))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.entry.cmp(&b.0.entry)));
    ranked
}

/// Merges candidates of the same clause from several items and writes the
/// suggestions, most strongly addressed first.
fn suggestions(
    index: &ClauseIndex<'_>,
    input: &GradingInput,
    candidates: Vec<Candidate>,
) -> Vec<RawSuggestion> {
    let mut merged: Vec<Candidate> = Vec::new();
    let mut refs: Vec<Vec<usize>> = Vec::new();
    for candidate in candidates {
        if let Some(at) = merged.iter().position(|m| m.entry == candidate.entry) {
            let m = &mut merged[at];
            m.verdict.add(&candidate.verdict);
            if candidate.score > m.score {
                m.quote = candidate.quote;
            }
            m.score += candidate.score;
            m.words = dedup(m.words.iter().chain(&candidate.words).cloned().collect());
            m.problem_cues = dedup(
                m.problem_cues
                    .iter()
                    .chain(&candidate.problem_cues)
                    .cloned()
                    .collect(),
            );
            m.good_cues = dedup(
                m.good_cues
                    .iter()
                    .chain(&candidate.good_cues)
                    .cloned()
                    .collect(),
            );
            refs[at].push(candidate.item);
        } else {
            refs.push(vec![candidate.item]);
            merged.push(candidate);
        }
    }
    let mut order: Vec<usize> = (0..merged.len()).collect();
    order.sort_by(|a, b| merged[*b].score.total_cmp(&merged[*a].score));
    order
        .into_iter()
        .map(|at| {
            let candidate = &merged[at];
            let entry = &index.entries[candidate.entry];
            let outcome = candidate.verdict.outcome();
            let grade = verdict::grade(input.standard.grading_scheme, outcome, entry.clause);
            let mut item_refs = refs[at].clone();
            item_refs.sort_unstable();
            item_refs.dedup();
            let grounds = wording::Grounds {
                language: input.language,
                outcome,
                grade,
                clause_number: &entry.clause.number,
                clause_title: &entry.clause.title,
                refs: &item_refs,
                quote: &candidate.quote,
                findings: &candidate.verdict.findings,
                topic_words: &candidate.words,
                problem_cues: &candidate.problem_cues,
                good_cues: &candidate.good_cues,
            };
            // Relevance saturates at twice the threshold; polarity certainty
            // from the balance of the evidence.
            let relevance = (candidate.score / (2.0 * MIN_ITEM_SCORE)).min(1.0);
            let confidence =
                0.2 + 0.35 * relevance + 0.4 * (candidate.verdict.certainty() - 0.5) * 2.0;
            RawSuggestion {
                clause: entry.clause.number.clone(),
                grade: grade.to_owned(),
                comment: wording::comment(&grounds),
                reasoning: wording::reasoning(&grounds),
                evidence_refs: item_refs.iter().map(|r| *r as i64).collect(),
                confidence: f64::from(confidence.clamp(0.2, 0.95)),
            }
        })
        .collect()
}

/// The words of each problem and good cue of a passage, as written.
fn cues(lexicon: &Lexicon, text: &str) -> (Vec<String>, Vec<String>) {
    let tokens = lexicon.tokenize(text);
    let mut problem = Vec::new();
    let mut good = Vec::new();
    for hit in lexicon.find(&tokens) {
        let words = tokens[hit.first..=hit.last]
            .iter()
            .map(|t| t.lower.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        match hit.signal {
            Signal::Problem => problem.push(words),
            Signal::Good => good.push(words),
            _ => {}
        }
    }
    (problem, good)
}

/// An item's passages, what its data shows, and a hint of what it is; `None`
/// for images.
type ItemReading = (Vec<Passage>, Vec<Finding>, Option<&'static str>);

fn read_item(item: &EvidenceItem) -> Option<ItemReading> {
    match &item.content {
        EvidenceContent::Text(text) => {
            Some((passages::of_text(text, spoken(item.kind)), Vec::new(), None))
        }
        EvidenceContent::Structured(value) => Some((
            passages::of_structured(value),
            records::check(value),
            records::is_monitoring_log(value).then_some(MONITORING_LOG),
        )),
        EvidenceContent::Image(_) => None,
    }
}

/// Whether an item was spoken (and may carry speaker labels).
fn spoken(kind: EvidenceKind) -> bool {
    matches!(kind, EvidenceKind::Transcript | EvidenceKind::Audio)
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

/// Every item's text, as a model would have been sent it (token usage).
fn evidence_text(evidence: &[EvidenceItem]) -> String {
    evidence
        .iter()
        .filter_map(|item| match &item.content {
            EvidenceContent::Text(text) => Some(text.clone()),
            EvidenceContent::Structured(value) => Some(value.to_string()),
            EvidenceContent::Image(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn not_addressed(language: Language) -> String {
    match language {
        Language::En => "Addresses no requirement in scope (small talk or logistics?).",
        Language::Fr => {
            "Ne porte sur aucune exigence du périmètre (échanges informels ou logistique ?)."
        }
        Language::De => {
            "Betrifft keine Anforderung im Geltungsbereich (Smalltalk oder Organisatorisches?)."
        }
    }
    .to_owned()
}

fn no_vision(language: Language) -> String {
    match language {
        Language::En => "The local engine cannot read images; configure a vision-capable provider to grade photos.",
        Language::Fr => "Le moteur local ne lit pas les images ; configurez un fournisseur doté de la vision pour évaluer les photos.",
        Language::De => "Die lokale Engine kann keine Bilder lesen; für Fotos einen Anbieter mit Bildverarbeitung konfigurieren.",
    }
    .to_owned()
}
