//! Text evidence files: plain text, Markdown, CSV, and JSON before it is parsed.

use std::fs::File;

use super::read::read_at_most;
use crate::MediaError;

/// A text file as a string (UTF-8, a BOM dropped), at most `max_bytes` (the BOM included).
///
/// Text in another encoding is refused rather than guessed: a wrong guess would hand the model
/// mojibake as evidence, while the client can re-save the file as UTF-8.
pub fn read_text(file: File, max_bytes: usize) -> Result<String, MediaError> {
    let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    let mut bytes = read_at_most(file, limit)?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        MediaError::Corrupt(format!(
            "it is not UTF-8 text (invalid byte at offset {at}; save it as UTF-8)"
        ))
    })
}
