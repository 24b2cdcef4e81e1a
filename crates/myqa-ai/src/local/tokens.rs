//! Token usage, counted as an OpenAI model would bill it (cl100k_base), so
//! that the local engine's figures compare with the `openai` provider's.

use myqa_core::capture::TokenUsage;
use tiktoken_rs::CoreBPE;

/// The cl100k_base tokenizer. Building it parses the bundled BPE tables
/// (~100 ms), so the engine builds it once.
pub(crate) struct TokenCounter {
    bpe: CoreBPE,
}

impl TokenCounter {
    pub(crate) fn new() -> TokenCounter {
        TokenCounter {
            bpe: tiktoken_rs::cl100k_base()
                .expect("the cl100k_base tables bundled with tiktoken-rs load"),
        }
    }

    /// Tokens of `text`, special-token markers counted as plain text (a
    /// transcript is data).
    pub(crate) fn count(&self, text: &str) -> u64 {
        self.bpe.encode_ordinary(text).len() as u64
    }

    /// Input: the transcript. Output: the summary and every observation.
    pub(crate) fn usage<'a>(
        &self,
        transcript: &str,
        outputs: impl IntoIterator<Item = &'a str>,
    ) -> TokenUsage {
        TokenUsage {
            input_tokens: self.count(transcript),
            output_tokens: outputs.into_iter().map(|text| self.count(text)).sum(),
        }
    }
}
