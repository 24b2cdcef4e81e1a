//! Reading a whole file into memory, never more than a limit.

use std::fs::File;
use std::io::Read;

use crate::MediaError;

/// The file's bytes, or [`MediaError::TooLarge`] when it holds more than `limit` bytes.
///
/// Reads one byte past the limit to tell "exactly the limit" from "more", whatever the file's
/// metadata claims (it may be a pipe, or grow while read).
pub(super) fn read_at_most(file: File, limit: u64) -> Result<Vec<u8>, MediaError> {
    let expected = file.metadata().map(|m| m.len()).unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0) + 1);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(MediaError::TooLarge { limit });
    }
    Ok(bytes)
}
