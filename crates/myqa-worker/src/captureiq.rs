//! The CaptureIQ pipeline: transcript → analyzer → validated result.

use std::time::Instant;

use myqa_ai::CaptureInput;
use myqa_core::capture::{CaptureJob, CaptureResult, CaptureSource, normalize_category};

use crate::metrics::{CallKind, ProviderCall};
use crate::pipeline::{PipelineError, PipelineOutput, Pipelines};

pub(crate) async fn run(
    pipelines: &Pipelines,
    input: &str,
) -> Result<PipelineOutput, PipelineError> {
    let job: CaptureJob = serde_json::from_str(input)
        .map_err(|e| PipelineError::Internal(format!("unreadable CaptureIQ job input: {e}")))?;
    let started = Instant::now();
    let (transcript, segments, audio_ms, language) = match &job.source {
        CaptureSource::Transcript(text) => (text.clone(), Vec::new(), None, job.language),
        CaptureSource::Audio(audio) => {
            let heard = crate::transcribe::transcribe(
                &pipelines.audio,
                &pipelines.blobs,
                audio,
                job.language,
            )
            .await?;
            // The language asked for, else the one the provider heard, else detected.
            let language = job.language.or(heard.language);
            (
                heard.text,
                heard.segments,
                Some(heard.duration_ms),
                language,
            )
        }
    };
    let call = ProviderCall::start(pipelines.analyzer.provider(), CallKind::Capture);
    let analysis = pipelines
        .analyzer
        .analyze_capture(&CaptureInput {
            transcript: transcript.clone(),
            segments,
            session_type: job.session_type,
            language,
        })
        .await;
    call.analysed(&analysis, |a| a.token_usage);
    let analysis = analysis?;

    // Whatever the provider returned, categories belong to the session type
    // and display_order counts 1…n.
    let mut observations = analysis.observations;
    for (i, observation) in observations.iter_mut().enumerate() {
        observation.category = normalize_category(job.session_type, observation.category.as_str());
        observation.display_order = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    let coins = pipelines
        .rates
        .price(analysis.token_usage, audio_ms.unwrap_or(0));
    let result = CaptureResult {
        session_type: job.session_type,
        transcript,
        summary: analysis.summary,
        observations,
        language: analysis.language,
        processing_time_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        token_usage: analysis.token_usage,
        audio_duration_ms: audio_ms,
        model: analysis.model,
        coins_charged: coins,
    };
    PipelineOutput::new(&result, analysis.token_usage, audio_ms.unwrap_or(0), coins)
}
