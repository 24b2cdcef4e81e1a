//! Which providers the configuration names.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use myqa_ai::openai::{OpenAiTranscriber, TranscriberSettings};
use myqa_ai::{Analyzer, LocalAnalyzer, Transcriber};
use myqa_core::config::{AnalysisProvider, Config, TranscriptionProvider};

pub fn analyzer(config: &Config) -> anyhow::Result<Arc<dyn Analyzer>> {
    match config.analysis_provider {
        AnalysisProvider::Local => Ok(Arc::new(LocalAnalyzer::new())),
        AnalysisProvider::Openai => {
            anyhow::bail!(
                "analysis_provider `openai` is not available in this build yet; use `local`"
            )
        }
    }
}

/// `None` for provider `none`: audio is refused with 503.
pub fn transcriber(config: &Config) -> anyhow::Result<Option<Arc<dyn Transcriber>>> {
    match config.transcription_provider {
        TranscriptionProvider::None => Ok(None),
        TranscriptionProvider::Openai => {
            let settings = TranscriberSettings {
                base_url: config
                    .transcription_base_url
                    .clone()
                    .context("transcription_base_url is required")?,
                api_key: config.transcription_api_key.clone(),
                model: config
                    .transcription_model
                    .clone()
                    .context("transcription_model is required")?,
                timeout: config.transcription_timeout,
                max_attempts: 4,
                backoff_base: Duration::from_secs(1),
            };
            let transcriber = OpenAiTranscriber::new(settings)
                .context("cannot build the transcription client")?;
            Ok(Some(Arc::new(transcriber)))
        }
    }
}
