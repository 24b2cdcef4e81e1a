//! Transcription providers (SPEC §12): audio in, timed text out.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use myqa_core::capture::Language;

use crate::TimedSegment;

/// What a provider heard in one chunk. Times are relative to the chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcription {
    pub text: String,
    pub segments: Vec<TimedSegment>,
    /// The language the provider reports, when it is one we handle.
    pub language: Option<Language>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptionError {
    /// Down, overloaded or slow: worth retrying later.
    #[error("transcription provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (authentication, a bad file …).
    #[error("transcription provider refused the request: {0}")]
    Rejected(String),
}

pub trait Transcriber: Send + Sync {
    /// The provider's configuration name (`openai`), as metrics label it.
    fn provider(&self) -> &'static str {
        "custom"
    }

    /// Transcribes one chunk: a 16 kHz mono WAV file. `language` is a hint.
    fn transcribe(
        &self,
        wav: Bytes,
        language: Option<Language>,
    ) -> BoxFuture<'_, Result<Transcription, TranscriptionError>>;
}

/// Maps a provider's language report (`"english"`, `"en"`, `"fr-FR"` …) to one
/// we handle.
pub fn language_from_report(report: &str) -> Option<Language> {
    let report = report.trim().to_ascii_lowercase();
    let code = report.split(['-', '_']).next().unwrap_or_default();
    match code {
        "en" | "english" => Some(Language::En),
        "fr" | "french" | "français" | "francais" => Some(Language::Fr),
        "de" | "german" | "deutsch" => Some(Language::De),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_reports_map() {
        assert_eq!(language_from_report("english"), Some(Language::En));
        assert_eq!(language_from_report("French"), Some(Language::Fr));
        assert_eq!(language_from_report("de-DE"), Some(Language::De));
        assert_eq!(language_from_report("spanish"), None);
    }
}
