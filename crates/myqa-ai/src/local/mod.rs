//! The `local` analysis engine (SPEC §12): embedded, offline, deterministic
//! and fast.
//!
//! CaptureIQ, step by step: speaker turns ([`transcript`]) → sentences
//! ([`sentences`]) → language ([`language`]) → cues in each sentence
//! ([`lexicon`]) → a category or none ([`classify`]) → observations, a finding
//! and its explanation merged ([`observations`]), timed from the transcription
//! segments ([`timing`]) → an extractive summary ([`summary`]) → token usage
//! ([`tokens`]).

mod classify;
mod grading;
pub(crate) mod language;
mod lexicon;
mod observations;
mod sentences;
mod summary;
pub(crate) mod timing;
pub(crate) mod tokens;
pub(crate) mod transcript;
mod words;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use myqa_core::capture::{Language, Observation};
use std::sync::{Arc, OnceLock};

use crate::{
    AnalysisError, Analyzer, CaptureAnalysis, CaptureInput, GradingAnalysis, GradingInput,
};
use lexicon::{Lexicon, Signal};
use sentences::Sentence;
use summary::Candidate;
use timing::SegmentIndex;
use tokens::TokenCounter;

/// The embedded engine. Build it once per process ([`LocalEngine::new`]
/// compiles the lexicons and loads the tokenizer) and share it: it holds no
/// state between analyses.
pub struct LocalEngine {
    lexicons: [Lexicon; 3],
    tokens: TokenCounter,
    grading: grading::Tables,
}

impl std::fmt::Debug for LocalEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEngine")
            .field("model", &Self::MODEL)
            .finish_non_exhaustive()
    }
}

impl Default for LocalEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalEngine {
    /// What the engine's responses name in `model`.
    pub const MODEL: &'static str = "local-1";

    /// Compiles the cue lexicons and loads the cl100k_base tokenizer
    /// (~100 ms).
    pub fn new() -> LocalEngine {
        LocalEngine {
            lexicons: Language::ALL.map(Lexicon::new),
            tokens: TokenCounter::new(),
            grading: grading::Tables::new(),
        }
    }

    fn lexicon(&self, language: Language) -> &Lexicon {
        per_language(&self.lexicons, language)
    }

    /// The cl100k_base token counter (prompt sizing for remote providers).
    pub(crate) fn tokens(&self) -> &TokenCounter {
        &self.tokens
    }

    /// Analyses a CaptureIQ transcript: summary, observations, language,
    /// token usage. Pure computation; run it off the async executor.
    pub fn analyze_capture(&self, input: &CaptureInput) -> CaptureAnalysis {
        let transcript = input.transcript.as_str();
        let turns = transcript::turns(transcript);
        let sentences = sentences::split(transcript, &turns);
        let text = |s: &Sentence| &transcript[s.start..s.end];
        let language = input.language.unwrap_or_else(|| {
            language::detect_spoken(transcript, sentences.iter().map(|s| s.start..s.end))
        });
        let lexicon = self.lexicon(language);

        let assessments =
            classify::assess(input.session_type, lexicon, transcript, &turns, &sentences);
        let speaker = |i: usize| turns[sentences[i].turn].speaker.as_deref();
        let findings =
            observations::group(&sentences, &assessments, |a, b| speaker(a) == speaker(b));

        let mut segments = (!input.segments.is_empty()).then(|| SegmentIndex::new(&input.segments));
        let mut observations = Vec::with_capacity(findings.len());
        for (n, finding) in findings.iter().enumerate() {
            let first = &sentences[finding.sentences[0]];
            let last = &sentences[*finding.sentences.last().unwrap_or(&finding.sentences[0])];
            let content = finding
                .sentences
                .iter()
                .map(|&i| one_line(text(&sentences[i])))
                .collect::<Vec<_>>()
                .join(" ");
            let span = segments
                .as_mut()
                .and_then(|index| index.span(text(first), text(last)));
            observations.push(Observation {
                content,
                category: finding.category,
                display_order: u32::try_from(n + 1).unwrap_or(u32::MAX),
                speaker: speaker(finding.sentences[0]).map(str::to_owned),
                start_ms: span.map(|(start, _)| start),
                end_ms: span.map(|(_, end)| end),
            });
        }

        let summary = {
            let chosen: Vec<Candidate<'_>> = findings
                .iter()
                .zip(&observations)
                .map(|(f, o)| Candidate {
                    order: f.sentences[0],
                    text: &o.content,
                    score: f.score,
                })
                .collect();
            let in_findings: Vec<bool> = {
                let mut used = vec![false; sentences.len()];
                findings
                    .iter()
                    .flat_map(|f| &f.sentences)
                    .for_each(|&i| used[i] = true);
                used
            };
            // Other substantive statements, should there be too few findings.
            let others: Vec<Candidate<'_>> = assessments
                .iter()
                .enumerate()
                .filter(|(i, a)| {
                    !in_findings[*i]
                        && !a.facts.question
                        && a.facts.signal(Signal::SmallTalk) == 0.0
                        && a.facts.content_words >= 3
                })
                .map(|(i, a)| Candidate {
                    order: i,
                    text: text(&sentences[i]),
                    score: a.facts.content_words as f32,
                })
                .collect();
            let summary = summary::summarize(&chosen, &others, transcript);
            one_line(&summary)
        };

        let token_usage = self.tokens.usage(
            transcript,
            std::iter::once(summary.as_str())
                .chain(observations.iter().map(|o| o.content.as_str())),
        );
        CaptureAnalysis {
            summary,
            observations,
            language,
            token_usage,
            model: Self::MODEL.to_owned(),
        }
    }
}

impl LocalEngine {
    /// One line per sentence: speaker, kept category, every category's score
    /// and the sentence. For tuning the lexicons (`examples/captureiq_trace.rs`);
    /// not part of the API.
    #[doc(hidden)]
    pub fn trace_capture(&self, input: &CaptureInput) -> Vec<String> {
        let transcript = input.transcript.as_str();
        let turns = transcript::turns(transcript);
        let sentences = sentences::split(transcript, &turns);
        let language = input.language.unwrap_or_else(|| {
            language::detect_spoken(transcript, sentences.iter().map(|s| s.start..s.end))
        });
        let lexicon = self.lexicon(language);
        let assessments =
            classify::assess(input.session_type, lexicon, transcript, &turns, &sentences);
        sentences
            .iter()
            .zip(&assessments)
            .map(|(sentence, assessment)| {
                let facts = classify::facts(lexicon, &transcript[sentence.start..sentence.end]);
                let scores =
                    classify::scores(input.session_type, &facts, classify::Context::default())
                        .iter()
                        .filter(|(_, s)| *s != 0.0)
                        .map(|(c, s)| format!("{}={s:.2}", c.as_str()))
                        .collect::<Vec<_>>()
                        .join(" ");
                let tokens = lexicon.tokenize(&transcript[sentence.start..sentence.end]);
                let hits = lexicon
                    .find(&tokens)
                    .iter()
                    .map(|h| {
                        let words: Vec<&str> = tokens[h.first..=h.last]
                            .iter()
                            .map(|t| t.lower.as_str())
                            .collect();
                        format!("{:?}:{}", h.signal, words.join("_"))
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                format!(
                    "{:<22} {:<28} [{scores}] {}\n{:>52} {hits}",
                    turns[sentence.turn].speaker.as_deref().unwrap_or("-"),
                    assessment.category.map_or("·", |c| c.as_str()),
                    one_line(&transcript[sentence.start..sentence.end]),
                    ""
                )
            })
            .collect()
    }
}

/// The local engine as an [`Analyzer`]. Analysis is CPU work (milliseconds
/// for a meeting, up to half a second for a 2 MB transcript), so it runs on
/// tokio's blocking pool and never stalls the threads serving requests. The
/// engine itself (tokenizer tables, stemmed lexicons: ~80 ms) is built by the
/// first analysis, so processes that never analyse never pay for it.
#[derive(Debug, Clone, Default)]
pub struct LocalAnalyzer(Arc<OnceLock<LocalEngine>>);

impl LocalAnalyzer {
    pub fn new() -> LocalAnalyzer {
        LocalAnalyzer::default()
    }
}

impl Analyzer for LocalAnalyzer {
    fn provider(&self) -> &'static str {
        "local"
    }

    fn grade_evidence<'a>(
        &'a self,
        input: &'a GradingInput,
    ) -> BoxFuture<'a, Result<GradingAnalysis, AnalysisError>> {
        let (engine, input) = (self.0.clone(), input.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                engine.get_or_init(LocalEngine::new).grade_evidence(&input)
            })
            .await
            .map_err(|e| AnalysisError::Failed(format!("local engine stopped: {e}")))
        }
        .boxed()
    }

    fn analyze_capture<'a>(
        &'a self,
        input: &'a CaptureInput,
    ) -> BoxFuture<'a, Result<CaptureAnalysis, AnalysisError>> {
        let (engine, input) = (self.0.clone(), input.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                engine.get_or_init(LocalEngine::new).analyze_capture(&input)
            })
            .await
            .map_err(|e| AnalysisError::Failed(format!("local engine stopped: {e}")))
        }
        .boxed()
    }
}

/// The entry of `language` in a table built over [`Language::ALL`].
fn per_language<T>(table: &[T; 3], language: Language) -> &T {
    let index = Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0);
    &table[index]
}

/// A quote on one line: wrapped lines and runs of whitespace become single
/// spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
