//! What an evidence file is, from its first bytes (SPEC §6: "decided by bytes").
//!
//! Order matters: images by magic number first (exact, cheap); then HEIF-family `ftyp` brands,
//! which the audio sniffer would only call "image/heif"; then audio, through the same sniffer as
//! CaptureIQ; then PDF; then text and JSON; and `infer` only names what is left, for the error.

use super::{EvidenceFile, ImageFormat};
use crate::{SNIFF_LEN, Sniffed};

/// How far into the file a PDF header may start. Acrobat tolerates up to 1024 bytes of junk
/// before `%PDF-` (mail headers, a BOM…), and so does `lopdf`.
const PDF_HEADER_WINDOW: usize = 1024;

/// Control characters (other than whitespace) tolerated in text, per character: a stray
/// `\x1a` or `\x0b` from an old export should not turn a CSV into "binary".
const MAX_CONTROL_SHARE: usize = 100;

/// Decides what a file is from its first bytes (up to [`crate::SNIFF_LEN`]; more is ignored).
pub fn sniff_evidence(head: &[u8]) -> EvidenceFile {
    let head = &head[..head.len().min(SNIFF_LEN)];
    if head.is_empty() {
        return EvidenceFile::Other("empty".to_owned());
    }
    if let Some(format) = image_format(head) {
        return EvidenceFile::Image(format);
    }
    if let Some(name) = heif_family(head) {
        return EvidenceFile::Other(name.to_owned());
    }
    if let Sniffed::Audio(format) = crate::sniff(head) {
        return EvidenceFile::Audio(format);
    }
    let text = utf8_text(head);
    if is_pdf(head, text.is_some()) {
        return EvidenceFile::Pdf;
    }
    if let Some(text) = text {
        return text_kind(text);
    }
    other(head)
}

/// The accepted image formats by their signatures.
pub(super) fn image_format(head: &[u8]) -> Option<ImageFormat> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else {
        None
    }
}

/// HEIF-family images (an ISO-BMFF `ftyp` box, like MP4): named so the refusal says what it was.
/// There is no pure-Rust HEIC decoder, so none is accepted.
fn heif_family(head: &[u8]) -> Option<&'static str> {
    if head.get(4..8)? != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes(head[..4].try_into().ok()?) as usize;
    let end = box_len.clamp(16, head.len());
    // Major brand at 8, minor version at 12, compatible brands from 16.
    let major = head.get(8..12)?;
    let brands = std::iter::once(major).chain(head.get(16..end)?.chunks_exact(4));
    let mut found = None;
    for brand in brands {
        let name = match brand {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => {
                "image/heic"
            }
            b"avif" | b"avis" => "image/avif",
            b"mif1" | b"msf1" => "image/heif",
            _ => continue,
        };
        // "mif1" only names the family; a coding brand (HEVC, AV1) anywhere says more.
        if name != "image/heif" {
            return Some(name);
        }
        found = Some(name);
    }
    found
}

/// `%PDF-` at the start, or after a little junk, unless the head as a whole reads as text (a
/// note quoting a PDF header stays a note).
fn is_pdf(head: &[u8], is_text: bool) -> bool {
    let window = &head[..head.len().min(PDF_HEADER_WINDOW + 5)];
    match window.windows(5).position(|w| w == b"%PDF-") {
        Some(0) => true,
        Some(_) => !is_text,
        None => false,
    }
}

/// The head as UTF-8 text (BOM dropped), if it is text: valid UTF-8 (a character cut by the end
/// of the head is fine), no NUL, and hardly any other control character.
fn utf8_text(head: &[u8]) -> Option<&str> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // Only the last character is incomplete: the rest is valid by construction.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    let mut chars = 0usize;
    let mut controls = 0usize;
    for c in text.chars() {
        chars += 1;
        if c == '\0' {
            return None;
        }
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c') {
            controls += 1;
        }
    }
    (chars > 0 && controls * MAX_CONTROL_SHARE <= chars).then_some(text)
}

/// JSON when the first non-blank character opens an object or an array; else plain text. RTF
/// also opens with `{` but is a word-processor format, not evidence text.
fn text_kind(text: &str) -> EvidenceFile {
    let start = text.trim_start();
    if start.starts_with("{\\rtf") {
        return EvidenceFile::Other("application/rtf".to_owned());
    }
    match start.chars().next() {
        Some('{' | '[') => EvidenceFile::Json,
        Some(_) => EvidenceFile::Text,
        // Only whitespace: text, though an empty one.
        None => EvidenceFile::Text,
    }
}

/// Names what is not accepted: `infer`'s name, "text/plain; charset=unknown" for 8-bit text
/// that is not UTF-8 (Latin-1, Windows-1252…), else "application/octet-stream".
fn other(head: &[u8]) -> EvidenceFile {
    if let Some(kind) = infer::get(head) {
        return EvidenceFile::Other(kind.mime_type().to_owned());
    }
    let eight_bit_text = !head.contains(&0)
        && head
            .iter()
            .filter(|b| b.is_ascii_control() && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
            .count()
            * MAX_CONTROL_SHARE
            <= head.len();
    let name = if eight_bit_text {
        "text/plain; charset=unknown"
    } else {
        "application/octet-stream"
    };
    EvidenceFile::Other(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(what: &str) -> EvidenceFile {
        EvidenceFile::Other(what.to_owned())
    }

    #[test]
    fn text_json_and_boms() {
        assert_eq!(
            sniff_evidence(b"date,temp\n2024-03-14,4.1\n"),
            EvidenceFile::Text
        );
        assert_eq!(sniff_evidence(b"  \n\t{\"a\": 1}"), EvidenceFile::Json);
        assert_eq!(sniff_evidence(b"\xEF\xBB\xBF[1, 2]"), EvidenceFile::Json);
        assert_eq!(sniff_evidence(b"\xEF\xBB\xBF# Notes"), EvidenceFile::Text);
        // A multi-byte character cut by the end of the head.
        let cut = &"Température 4 °C".as_bytes()[..18];
        assert_eq!(sniff_evidence(cut), EvidenceFile::Text);
        assert_eq!(
            sniff_evidence(b"{\\rtf1\\ansi hello}"),
            other("application/rtf")
        );
        assert_eq!(sniff_evidence(b"a\0b"), other("application/octet-stream"));
        assert_eq!(
            sniff_evidence(b"caf\xe9 cr\xe8me"),
            other("text/plain; charset=unknown")
        );
        assert_eq!(sniff_evidence(b""), other("empty"));
    }

    #[test]
    fn pdf_header_with_and_without_junk() {
        assert_eq!(
            sniff_evidence(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
            EvidenceFile::Pdf
        );
        assert_eq!(
            sniff_evidence(b"\x00\x00junk\xff%PDF-1.4\n"),
            EvidenceFile::Pdf
        );
        // A note that quotes a PDF header is a note.
        assert_eq!(
            sniff_evidence(b"The file began with %PDF-1.7 and nothing else."),
            EvidenceFile::Text
        );
        let mut far = vec![0xFFu8; 2000];
        far.extend_from_slice(b"%PDF-1.7");
        assert_ne!(sniff_evidence(&far), EvidenceFile::Pdf);
    }

    #[test]
    fn heif_brands_are_named() {
        let ftyp = |major: &[u8; 4], compatible: &[u8]| {
            let mut out = ((16 + compatible.len()) as u32).to_be_bytes().to_vec();
            out.extend_from_slice(b"ftyp");
            out.extend_from_slice(major);
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(compatible);
            out
        };
        assert_eq!(
            sniff_evidence(&ftyp(b"heic", b"mif1heic")),
            other("image/heic")
        );
        assert_eq!(sniff_evidence(&ftyp(b"mif1", b"heic")), other("image/heic"));
        assert_eq!(sniff_evidence(&ftyp(b"mif1", b"mif1")), other("image/heif"));
        assert_eq!(sniff_evidence(&ftyp(b"avif", b"mif1")), other("image/avif"));
        // Audio in ISO-BMFF is still audio.
        assert_eq!(
            sniff_evidence(&ftyp(b"M4A ", b"isom")),
            EvidenceFile::Audio(crate::AudioFormat::M4a)
        );
    }

    #[test]
    fn image_signatures() {
        assert_eq!(
            sniff_evidence(b"\xFF\xD8\xFF\xE0\x00\x10JFIF"),
            EvidenceFile::Image(ImageFormat::Jpeg)
        );
        assert_eq!(
            sniff_evidence(b"RIFF\x00\x00\x00\x00WEBPVP8 "),
            EvidenceFile::Image(ImageFormat::Webp)
        );
        assert_eq!(
            sniff_evidence(b"GIF87a\x01\x00"),
            EvidenceFile::Image(ImageFormat::Gif)
        );
        // RIFF but WAVE is audio.
        assert!(matches!(
            sniff_evidence(b"RIFF\x24\x00\x00\x00WAVEfmt "),
            EvidenceFile::Audio(_)
        ));
    }
}
