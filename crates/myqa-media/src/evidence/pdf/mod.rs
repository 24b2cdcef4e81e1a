//! The text layer of a PDF, read with `pdf-extract` (on `lopdf`) behind guards.
//!
//! Neither library is hardened against hostile files: they inflate streams without bound,
//! trust declared counts and sizes, recurse without cycle checks and unwrap on malformed data.
//! A panic can be caught; an exhausted stack or a failed allocation aborts the process. So every
//! step that could do either is checked first, in the order the libraries would meet it:
//!
//! 1. the file is read up to [`PdfLimits::MAX_FILE_BYTES`] and must have `%PDF-` in its first
//!    KiB (what readers tolerate);
//! 2. `xref`: the cross-reference chain, from the raw bytes, before `lopdf` sees it: streams
//!    decode under a cap, declared counts and field widths are sane, no two objects share an
//!    offset, and an encrypted document is refused here;
//! 3. `load`: `lopdf` loads it, with object streams held to a budget as they are unpacked;
//! 4. `plan`: for the pages to be read, images emptied, every stream the page uses decoded
//!    under a cap, the page tree and the forms walked as `pdf-extract` will walk them;
//! 5. `extract`: `pdf-extract` runs page by page under `catch_unwind` into a bounded buffer.
//!
//! Everything runs under `catch_unwind`: a panic that slips through is
//! [`MediaError::Corrupt`]. What is left unguarded: the font parsers that `pdf-extract` calls
//! (CFF, Type 1) on fonts that passed the size check, and CPU time — the caller runs this in a
//! worker, where a job has a deadline.

mod decode;
mod extract;
mod lexer;
mod load;
mod plan;
mod xref;

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::PdfLimits;
use super::read::read_at_most;
use crate::MediaError;

/// How far into the file `%PDF-` may start (Acrobat's tolerance for leading junk).
const HEADER_WINDOW: usize = 1024;

/// The text of a PDF; empty when it has none (a scan).
///
/// Reads at most `limits.max_pages` pages (from the first) and returns at most
/// `limits.max_text_bytes` bytes, cut at a character boundary. Errors: an encrypted document or
/// one beyond the structural bounds is [`MediaError::Unsupported`]; a damaged one (or one that
/// makes a parser panic) is [`MediaError::Corrupt`]; a file over
/// [`PdfLimits::MAX_FILE_BYTES`] is [`MediaError::TooLarge`].
pub fn pdf_text(file: File, limits: PdfLimits) -> Result<String, MediaError> {
    let bytes = read_at_most(file, PdfLimits::MAX_FILE_BYTES)?;
    let window = &bytes[..bytes.len().min(HEADER_WINDOW + 5)];
    let Some(header) = window.windows(5).position(|w| w == b"%PDF-") else {
        return Err(MediaError::Corrupt(
            "it is not a PDF (no %PDF- header)".into(),
        ));
    };
    // `lopdf` reads offsets from the header on.
    let pdf = &bytes[header..];
    catch_unwind(AssertUnwindSafe(|| read(pdf, limits))).unwrap_or_else(|_| {
        Err(MediaError::Corrupt(
            "the PDF reader failed on malformed data".into(),
        ))
    })
}

fn read(pdf: &[u8], limits: PdfLimits) -> Result<String, MediaError> {
    xref::check(pdf)?;
    let mut document = load::load(pdf)?;
    let pages = plan::prepare(&mut document, limits.max_pages)?;
    if pages.is_empty() {
        return Err(MediaError::Corrupt("it has no pages".into()));
    }
    extract::extract(&document, &pages, limits.max_text_bytes)
}
