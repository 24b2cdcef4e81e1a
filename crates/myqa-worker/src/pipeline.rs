//! What a job does, by product.

use std::sync::Arc;

use myqa_ai::{AnalysisError, Analyzer};
use myqa_core::ErrorCode;
use myqa_core::billing::Rates;
use myqa_core::capture::TokenUsage;
use myqa_core::job::Product;
use myqa_store::{BlobStore, Charge, ClaimedJob, Store};

use crate::transcribe::AudioSettings;

/// A pipeline's product: the data document and what to charge for it.
#[derive(Debug)]
pub struct PipelineOutput {
    pub result: String,
    pub charge: Charge,
}

impl PipelineOutput {
    /// A product's result, serialised, with what it costs.
    pub(crate) fn new(
        result: &impl serde::Serialize,
        usage: TokenUsage,
        audio_ms: u64,
        coins: i64,
    ) -> Result<PipelineOutput, PipelineError> {
        Ok(PipelineOutput {
            result: serde_json::to_string(result).map_err(|e| {
                PipelineError::Internal(format!("cannot serialise the result: {e}"))
            })?,
            charge: Charge {
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
                audio_ms,
                coins,
            },
        })
    }
}

/// Why a pipeline failed, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The input cannot be processed; the job fails with this code.
    #[error("{message}")]
    Rejected { code: ErrorCode, message: String },
    /// A provider is down or busy: the job is retried.
    #[error("{0}")]
    Retryable(String),
    /// Anything else: the job fails with `PROCESSING_ERROR`.
    #[error("{0}")]
    Internal(String),
}

impl From<AnalysisError> for PipelineError {
    fn from(err: AnalysisError) -> Self {
        match err {
            AnalysisError::InvalidInput(message) => PipelineError::Rejected {
                code: ErrorCode::InvalidInput,
                message,
            },
            AnalysisError::Unavailable(message) => PipelineError::Retryable(message),
            AnalysisError::Failed(message) => PipelineError::Internal(message),
        }
    }
}

/// The pipelines of every product, with the providers they call.
#[derive(Clone)]
pub struct Pipelines {
    pub(crate) store: Store,
    pub(crate) analyzer: Arc<dyn Analyzer>,
    pub(crate) audio: AudioSettings,
    pub(crate) blobs: BlobStore,
    pub(crate) rates: Rates,
}

impl Pipelines {
    pub fn new(
        store: Store,
        analyzer: Arc<dyn Analyzer>,
        audio: AudioSettings,
        blobs: BlobStore,
        rates: Rates,
    ) -> Self {
        Self {
            store,
            analyzer,
            audio,
            blobs,
            rates,
        }
    }

    pub(crate) async fn run(&self, job: &ClaimedJob) -> Result<PipelineOutput, PipelineError> {
        let input = job
            .input
            .as_deref()
            .ok_or_else(|| PipelineError::Internal(format!("job {} has no input", job.id)))?;
        match job.product {
            Product::CaptureIq => crate::captureiq::run(self, input).await,
            Product::SnapReport => crate::snapreport::run(self, input).await,
        }
    }
}
