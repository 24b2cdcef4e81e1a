//! OpenAI-compatible providers: any server speaking the OpenAI HTTP API
//! (OpenAI, Azure OpenAI, Groq, faster-whisper and whisper.cpp servers,
//! LocalAI, vLLM, Ollama …), reached only at the configured base URL.

mod retry;
mod transcription;

pub use transcription::{OpenAiTranscriber, TranscriberSettings};
