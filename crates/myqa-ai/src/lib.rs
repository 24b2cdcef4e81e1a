//! Analysis providers (SPEC §12). The pipeline calls an [`Analyzer`]; which
//! one is configuration: `local` (the embedded, offline engine, the default)
//! or `openai` (any OpenAI-compatible Chat Completions endpoint).

pub mod local;
pub mod openai;
pub mod transcription;

use futures_util::future::BoxFuture;
use myqa_core::capture::{Language, Observation, SessionType, TokenUsage};

pub use local::{LocalAnalyzer, LocalEngine};
pub use transcription::{Transcriber, Transcription, TranscriptionError};

/// A stretch of transcript with its time, as a transcription provider returns
/// it. Offsets are from the start of the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// What CaptureIQ asks an analyzer to do.
#[derive(Debug, Clone)]
pub struct CaptureInput {
    /// The whole transcript; may carry speaker labels (`Auditor: …`).
    pub transcript: String,
    /// For transcribed audio: the timed segments whose texts, joined with
    /// single spaces or newlines, make up `transcript`, in order. Empty for a
    /// transcript sent as text.
    pub segments: Vec<TimedSegment>,
    pub session_type: SessionType,
    /// `None` asks the analyzer to detect the language.
    pub language: Option<Language>,
}

/// What an analyzer found.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureAnalysis {
    pub summary: String,
    /// In transcript order, `display_order` 1…n, categories valid for the
    /// session type.
    pub observations: Vec<Observation>,
    /// The transcript's language (requested, or detected).
    pub language: Language,
    pub token_usage: TokenUsage,
    /// The engine or model that produced the analysis, e.g. `local-1`.
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    /// The input cannot be analysed as sent (e.g. too large for the provider
    /// even after splitting): the client's fault, never retried.
    #[error("{0}")]
    InvalidInput(String),
    /// The provider is down or overloaded: worth retrying later.
    #[error("analysis provider unavailable: {0}")]
    Unavailable(String),
    /// The provider failed in a way a retry will not fix.
    #[error("analysis failed: {0}")]
    Failed(String),
}

/// An analysis provider.
pub trait Analyzer: Send + Sync {
    /// Analyses a CaptureIQ transcript.
    fn analyze_capture<'a>(
        &'a self,
        input: &'a CaptureInput,
    ) -> BoxFuture<'a, Result<CaptureAnalysis, AnalysisError>>;
}
