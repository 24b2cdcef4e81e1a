//! Which providers the configuration names.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use myqa_ai::openai::{
    AnalyzerSettings, AuthStyle, ChatSettings, OpenAiAnalyzer, OpenAiTranscriber, StructuredOutput,
    TranscriberSettings,
};
use myqa_ai::{Analyzer, LocalAnalyzer, Transcriber};
use myqa_core::config::{
    AnalysisAuth, AnalysisProvider, Config, StructuredOutputMode, TranscriptionProvider,
};

pub fn analyzer(config: &Config) -> anyhow::Result<Arc<dyn Analyzer>> {
    match config.analysis_provider {
        AnalysisProvider::Local => Ok(Arc::new(LocalAnalyzer::new())),
        AnalysisProvider::Openai => {
            let chat = ChatSettings {
                base_url: config
                    .analysis_base_url
                    .clone()
                    .context("analysis_base_url is required")?,
                api_key: config.analysis_api_key.clone(),
                auth: match config.analysis_auth {
                    AnalysisAuth::Bearer => AuthStyle::Bearer,
                    AnalysisAuth::ApiKey => AuthStyle::ApiKeyHeader,
                },
                api_version: config.analysis_api_version.clone(),
                model: config
                    .analysis_model
                    .clone()
                    .context("analysis_model is required")?,
                structured_output: match config.analysis_structured_output {
                    StructuredOutputMode::JsonSchema => StructuredOutput::JsonSchema,
                    StructuredOutputMode::JsonObject => StructuredOutput::JsonObject,
                    StructuredOutputMode::None => StructuredOutput::None,
                },
                vision: config.analysis_vision,
                context_window: config.analysis_context_window,
                max_output_tokens: config.analysis_max_output_tokens,
                temperature: config.analysis_temperature,
                timeout: config.analysis_timeout,
                max_attempts: 4,
                backoff_base: Duration::from_secs(1),
            };
            let analyzer = OpenAiAnalyzer::new(AnalyzerSettings {
                chat,
                max_clauses: config.analysis_max_clauses,
            })
            .context("cannot build the analysis client")?;
            Ok(Arc::new(analyzer))
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
