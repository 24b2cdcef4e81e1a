//! Analysis providers (SPEC §12). The pipeline calls an [`Analyzer`]; which
//! one is configuration: `local` (the embedded, offline engine, the default)
//! or `openai` (any OpenAI-compatible Chat Completions endpoint).

pub mod local;
pub mod openai;
pub mod transcription;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use myqa_core::capture::{Language, Observation, SessionType, TokenUsage};
use myqa_core::snapreport::{EvidenceKind, RawSuggestion};
use myqa_core::standard::Standard;
use uuid::Uuid;

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

/// An image prepared for a vision-capable model: downscaled, re-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedImage {
    pub jpeg: Bytes,
    pub width: u32,
    pub height: u32,
    /// EXIF capture time, as the camera wrote it (`2026:03:14 09:26:53`).
    pub captured_at: Option<String>,
}

/// What an evidence item holds once normalised.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceContent {
    /// Text, transcripts, notes, PDF text, the transcript of a recording.
    Text(String),
    /// Any JSON value (a temperature log, a checklist…).
    Structured(serde_json::Value),
    Image(PreparedImage),
}

/// One evidence item as an analyzer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceItem {
    /// Its index in the response's `evidence` list: what `evidence_refs` cite.
    pub index: usize,
    pub kind: EvidenceKind,
    pub name: Option<String>,
    pub content: EvidenceContent,
}

/// What SnapReport asks an analyzer to do.
#[derive(Debug, Clone)]
pub struct GradingInput {
    pub standard: Arc<Standard>,
    /// Chapter ids in scope; empty: every chapter.
    pub processes: Vec<Uuid>,
    /// The language of comments and reasoning (and of the evidence).
    pub language: Language,
    /// Only the usable items (unreadable ones are left out).
    pub evidence: Vec<EvidenceItem>,
}

/// What an analyzer graded. Suggestions are validated by the caller
/// (`myqa_core::snapreport::validate_suggestions`), most relevant first.
#[derive(Debug, Clone, PartialEq)]
pub struct GradingAnalysis {
    pub suggestions: Vec<RawSuggestion>,
    /// Evidence the analyzer could not use, by index, with why (e.g. images
    /// for an engine without vision).
    pub ignored: Vec<(usize, String)>,
    pub token_usage: TokenUsage,
    pub model: String,
}

/// An analysis provider.
pub trait Analyzer: Send + Sync {
    /// The provider's configuration name (`local`, `openai`), as metrics
    /// label it.
    fn provider(&self) -> &'static str {
        "custom"
    }

    /// Analyses a CaptureIQ transcript.
    fn analyze_capture<'a>(
        &'a self,
        input: &'a CaptureInput,
    ) -> BoxFuture<'a, Result<CaptureAnalysis, AnalysisError>>;

    /// Grades SnapReport evidence against the clauses in scope.
    fn grade_evidence<'a>(
        &'a self,
        input: &'a GradingInput,
    ) -> BoxFuture<'a, Result<GradingAnalysis, AnalysisError>>;
}
