//! CaptureIQ on a language model (SPEC §5, §12): the prompts, the answer's
//! JSON schema, and what turns the answers into a [`CaptureAnalysis`].
//!
//! A transcript that fits the model's context window is analysed in one
//! call. A longer one is split on speaker turns into parts that overlap by a
//! turn or two (so that a finding straddling a cut is seen whole at least
//! once); each part is analysed on its own, the observations are merged
//! (duplicates from the overlaps dropped, transcript order kept) and one last
//! call merges the partial summaries into one.
//!
//! Transcripts are data, never instructions: they go between delimiters that
//! the system prompt declares as such, and any run of `<<<` or `>>>` that
//! could forge a delimiter is cut out of them first.
//!
//! Each observation carries a `quote`, a verbatim excerpt the model copies
//! from the transcript. Finding it again in the transcript gives the
//! observation's place (its order), its speaker (the turn it lies in) and,
//! for transcribed audio, its time (the segments it spans).

mod parts;
mod placing;
mod prompt;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use myqa_core::capture::{Language, SessionType, TokenUsage};

use self::parts::{estimate, plan_parts, room};
use self::placing::merge_observations;
use self::prompt::{
    analysis_messages, analysis_schema, check_analysis, check_summary, defuse, merge_messages,
    summary_schema,
};
use super::chat::ChatClient;
use crate::local::language;
use crate::local::tokens::TokenCounter;
use crate::local::transcript;
use crate::{AnalysisError, CaptureAnalysis, CaptureInput};

/// Parts analysed at once.
const PARALLEL_CALLS: usize = 3;

/// Analyses `input` on the model behind `client`, sizing each prompt with
/// `tokens`.
pub(crate) async fn analyze(
    client: &ChatClient,
    tokens: &TokenCounter,
    input: &CaptureInput,
) -> Result<CaptureAnalysis, AnalysisError> {
    let text = defuse(&input.transcript);
    let text: &str = &text;
    if text.trim().is_empty() {
        return Err(AnalysisError::InvalidInput(
            "The transcript is empty: there is nothing to analyse.".to_owned(),
        ));
    }
    let turns = transcript::turns(text);
    let session = input.session_type;
    let language = input
        .language
        .unwrap_or_else(|| language::detect_spoken(text, turns.iter().map(|t| t.start..t.end)));
    let settings = &client.settings;
    let schema = analysis_schema(session);

    let parts = plan_parts(settings, tokens, session, language, &schema, text, &turns)?;
    let count = parts.len();
    // The ranges go in by value: with a closure over borrowed items the
    // boxed future of `Analyzer::analyze_capture` fails the compiler's
    // higher-ranked `Send` check ("FnOnce is not general enough").
    let answers: Vec<_> = stream::iter(parts.clone().into_iter().enumerate().map(|(i, part)| {
        let position = (count > 1).then_some((i + 1, count));
        let messages = analysis_messages(session, language, position, &text[part]);
        let schema = &schema;
        async move { client.ask(messages, schema, check_analysis).await }
    }))
    .buffered(PARALLEL_CALLS)
    .try_collect()
    .await?;

    let mut usage = TokenUsage::default();
    let mut model = settings.model.clone();
    for answer in &answers {
        usage += answer.usage;
        model.clone_from(&answer.model);
    }

    let observations = merge_observations(
        text,
        &turns,
        &input.segments,
        session,
        parts.iter().cloned().zip(answers.iter().map(|a| &a.value)),
    );
    let summary = if count == 1 {
        answers[0].value.summary.trim().to_owned()
    } else {
        let partial: Vec<String> = answers.iter().map(|a| a.value.summary.clone()).collect();
        merge_summaries(
            client, tokens, session, language, partial, &mut usage, &mut model,
        )
        .await?
    };
    Ok(CaptureAnalysis {
        summary,
        observations,
        language,
        token_usage: usage,
        model,
    })
}

// ---------------------------------------------------------------------------
// Merging

/// Merges partial summaries into one, in as many rounds as the context
/// window needs (one for all but huge transcripts).
async fn merge_summaries(
    client: &ChatClient,
    tokens: &TokenCounter,
    session: SessionType,
    language: Language,
    mut summaries: Vec<String>,
    usage: &mut TokenUsage,
    model: &mut String,
) -> Result<String, AnalysisError> {
    let settings = &client.settings;
    let schema = summary_schema();
    let fixed = estimate(
        tokens,
        settings.structured_output,
        &merge_messages(session, language, &[]),
        &schema,
    );
    let room = room(settings, fixed).unwrap_or(0);
    while summaries.len() > 1 {
        // Groups of consecutive summaries that fit one call.
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut size = 0;
        for summary in summaries.drain(..) {
            // "Part N: " and the blank line between summaries.
            let cost = tokens.count(&summary) + 6;
            match groups.last_mut() {
                Some(group) if size + cost <= room => {
                    group.push(summary);
                    size += cost;
                }
                _ => {
                    groups.push(vec![summary]);
                    size = cost;
                }
            }
        }
        if groups.iter().all(|group| group.len() == 1) {
            // Not even two summaries fit one call: join them as they are
            // rather than fail a whole analysis on its last step.
            tracing::warn!("partial summaries too long to merge; joining them");
            return Ok(groups
                .into_iter()
                .flatten()
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
                .join(" "));
        }
        for group in groups {
            if group.len() == 1 {
                summaries.extend(group);
                continue;
            }
            let messages = merge_messages(session, language, &group);
            let answer = client.ask(messages, &schema, check_summary).await?;
            *usage += answer.usage;
            *model = answer.model;
            summaries.push(answer.value.summary);
        }
    }
    Ok(summaries.pop().unwrap_or_default().trim().to_owned())
}

#[cfg(test)]
mod tests;
