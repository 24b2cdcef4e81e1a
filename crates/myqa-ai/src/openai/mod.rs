//! OpenAI-compatible providers: any server speaking the OpenAI HTTP API
//! (OpenAI, Azure OpenAI, Mistral, Groq, Together, vLLM, Ollama, llama.cpp
//! server, faster-whisper and whisper.cpp servers, LocalAI …), reached only at
//! the configured base URL.
//!
//! Analysis: [`chat`] talks to `/chat/completions` (retries, repair round,
//! JSON extraction); [`capture`] and [`grading`] write the prompts of
//! CaptureIQ and SnapReport and turn answers into analyses; [`analyzer`]
//! puts them behind the [`Analyzer`](crate::Analyzer) interface.

mod analyzer;
mod capture;
mod chat;
mod grading;
mod json;
mod retry;
mod transcription;

pub use analyzer::{AnalyzerSettings, OpenAiAnalyzer};
pub use chat::{AuthStyle, ChatSettings, StructuredOutput};
pub use transcription::{OpenAiTranscriber, TranscriberSettings};
