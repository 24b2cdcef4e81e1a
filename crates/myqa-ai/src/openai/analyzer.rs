//! The `openai` analysis provider: CaptureIQ and SnapReport on a language
//! model behind any OpenAI-compatible Chat Completions endpoint.

use std::sync::{Arc, OnceLock};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::chat::{ChatClient, ChatSettings};
use super::{capture, grading};
use crate::local::LocalEngine;
use crate::{
    AnalysisError, Analyzer, CaptureAnalysis, CaptureInput, GradingAnalysis, GradingInput,
};

/// The provider's configuration.
#[derive(Debug, Clone)]
pub struct AnalyzerSettings {
    pub chat: ChatSettings,
    /// Most clauses sent with their requirement texts in one SnapReport
    /// prompt, pre-ranked against the evidence.
    pub max_clauses: usize,
}

/// Holds the client and the local engine, whose tokenizer sizes prompts and
/// whose clause index pre-ranks the clauses a prompt shows.
pub struct OpenAiAnalyzer {
    client: ChatClient,
    engine: Arc<OnceLock<LocalEngine>>,
    max_clauses: usize,
}

impl std::fmt::Debug for OpenAiAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiAnalyzer")
            .field("client", &self.client)
            .field("max_clauses", &self.max_clauses)
            .finish_non_exhaustive()
    }
}

impl OpenAiAnalyzer {
    pub fn new(settings: AnalyzerSettings) -> Result<OpenAiAnalyzer, reqwest::Error> {
        Ok(OpenAiAnalyzer {
            client: ChatClient::new(settings.chat)?,
            engine: Arc::default(),
            max_clauses: settings.max_clauses.max(1),
        })
    }

    /// The local engine, built on the blocking pool the first time (its
    /// tables take ~100 ms).
    async fn engine(&self) -> Result<&LocalEngine, AnalysisError> {
        if let Some(engine) = self.engine.get() {
            return Ok(engine);
        }
        let cell = self.engine.clone();
        tokio::task::spawn_blocking(move || {
            cell.get_or_init(LocalEngine::new);
        })
        .await
        .map_err(|e| AnalysisError::Failed(format!("cannot build the tokenizer: {e}")))?;
        self.engine
            .get()
            .ok_or_else(|| AnalysisError::Failed("the tokenizer is not built".to_owned()))
    }
}

impl Analyzer for OpenAiAnalyzer {
    fn provider(&self) -> &'static str {
        "openai"
    }

    fn analyze_capture<'a>(
        &'a self,
        input: &'a CaptureInput,
    ) -> BoxFuture<'a, Result<CaptureAnalysis, AnalysisError>> {
        async move {
            let engine = self.engine().await?;
            capture::analyze(&self.client, engine.tokens(), input).await
        }
        .boxed()
    }

    fn grade_evidence<'a>(
        &'a self,
        input: &'a GradingInput,
    ) -> BoxFuture<'a, Result<GradingAnalysis, AnalysisError>> {
        async move {
            let engine = self.engine().await?;
            grading::grade(&self.client, engine, self.max_clauses, input).await
        }
        .boxed()
    }
}
