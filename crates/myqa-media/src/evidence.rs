//! SnapReport evidence files: what a file is by its bytes, and what it says.
//!
//! PLACEHOLDER until the evidence readers land (same session).

use std::fs::File;

use crate::{AudioFormat, MediaError};

/// Image formats accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
}

/// What an evidence file is, by its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceFile {
    Audio(AudioFormat),
    Image(ImageFormat),
    Pdf,
    /// UTF-8 text: plain, Markdown, CSV.
    Text,
    /// Text that is JSON (starts with `{` or `[`).
    Json,
    /// Anything else, named (`application/zip`, `image/heic` …).
    Other(String),
}

impl EvidenceFile {
    /// The MIME type reported back to the client.
    pub fn mime(&self) -> String {
        match self {
            EvidenceFile::Audio(format) => format.mime().to_owned(),
            EvidenceFile::Image(ImageFormat::Jpeg) => "image/jpeg".into(),
            EvidenceFile::Image(ImageFormat::Png) => "image/png".into(),
            EvidenceFile::Image(ImageFormat::Webp) => "image/webp".into(),
            EvidenceFile::Image(ImageFormat::Gif) => "image/gif".into(),
            EvidenceFile::Pdf => "application/pdf".into(),
            EvidenceFile::Text => "text/plain".into(),
            EvidenceFile::Json => "application/json".into(),
            EvidenceFile::Other(kind) => kind.clone(),
        }
    }
}

/// Decides what a file is from its first bytes (up to [`crate::SNIFF_LEN`]).
pub fn sniff_evidence(_head: &[u8]) -> EvidenceFile {
    EvidenceFile::Other("unknown".into())
}

/// Bounds on reading a PDF.
#[derive(Debug, Clone, Copy)]
pub struct PdfLimits {
    pub max_pages: usize,
    pub max_text_bytes: usize,
}

/// The text of a PDF; empty when it has none (a scan).
pub fn pdf_text(_file: File, _limits: PdfLimits) -> Result<String, MediaError> {
    Err(MediaError::Unsupported(
        "PDF reading is not built yet".into(),
    ))
}

/// Bounds on decoding an image, and the size it is brought down to.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Refused beyond this many pixels (decompression bombs).
    pub max_pixels: u64,
    /// The longest side after downscaling.
    pub max_side: u32,
}

/// An image ready for a vision model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// EXIF DateTimeOriginal as written by the camera.
    pub captured_at: Option<String>,
}

/// Decodes, checks and downscales an image, keeping its capture time.
pub fn prepare_image(_file: File, _limits: ImageLimits) -> Result<Picture, MediaError> {
    Err(MediaError::Unsupported(
        "image reading is not built yet".into(),
    ))
}

/// A text file as a string (UTF-8, a BOM dropped), at most `max_bytes`.
pub fn read_text(_file: File, _max_bytes: usize) -> Result<String, MediaError> {
    Err(MediaError::Unsupported(
        "text reading is not built yet".into(),
    ))
}
