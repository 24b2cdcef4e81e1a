//! Running `pdf-extract` page by page into a bounded buffer.
//!
//! Each page runs under `catch_unwind`: `pdf-extract` unwraps freely on malformed data (a
//! missing MediaBox, a font it cannot parse, content that does not tokenise), and one bad page
//! should not cost the text of the others. The buffer refuses writes past the text limit, which
//! ends the page in progress, and nothing more is read.

use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{Document, PlainTextOutput, output_doc_page};

use crate::MediaError;

/// The text of `pages`, at most `max_bytes` of it (cut at a character boundary).
pub(super) fn extract(
    document: &Document,
    pages: &[u32],
    max_bytes: usize,
) -> Result<String, MediaError> {
    let mut text = Bounded {
        bytes: Vec::new(),
        limit: max_bytes,
        full: false,
    };
    let mut failed = 0usize;
    for page in pages {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let sink: &mut dyn Write = &mut text;
            let mut output = PlainTextOutput::new(sink);
            output_doc_page(document, &mut output, *page)
        }));
        if text.full {
            break;
        }
        if !matches!(result, Ok(Ok(()))) {
            failed += 1;
        }
    }
    if !pages.is_empty() && failed == pages.len() {
        return Err(MediaError::Corrupt(
            "none of its pages could be read".into(),
        ));
    }
    Ok(to_text(text.bytes))
}

/// The UTF-8 prefix of `bytes` (only the last character can have been cut), trimmed; empty
/// when only whitespace is left.
fn to_text(mut bytes: Vec<u8>) -> String {
    if let Err(e) = std::str::from_utf8(&bytes) {
        bytes.truncate(e.valid_up_to());
    }
    let text = String::from_utf8(bytes).unwrap_or_default();
    let trimmed = text.trim();
    if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_owned()
    }
}

/// A buffer that takes bytes up to its limit, then fails every write.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
    full: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.limit - self.bytes.len();
        if buf.len() > room {
            self.bytes.extend_from_slice(&buf[..room]);
            self.full = true;
            return Err(io::Error::other("the text limit is reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_characters_and_blank_text() {
        let mut cut = "température".as_bytes().to_vec();
        cut.truncate(5); // inside "é"
        assert_eq!(to_text(cut), "temp");
        assert_eq!(to_text(b" \n\t \n".to_vec()), "");
        assert_eq!(to_text(b"\n\nHello\n".to_vec()), "Hello");
    }
}
