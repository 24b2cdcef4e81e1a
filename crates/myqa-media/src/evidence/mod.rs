//! SnapReport evidence files (SPEC §6, the file evidence table): what a file is by its bytes,
//! and what it says.
//!
//! ```text
//! sniff_evidence(head) -> EvidenceFile     Audio | Image | Pdf | Text | Json | Other("image/heic")
//! pdf_text(File, PdfLimits) -> String      "" when the PDF has no text layer (a scan)
//! prepare_image(File, ImageLimits) -> Picture    a JPEG for a vision model + EXIF capture time
//! read_text(File, max_bytes) -> String     UTF-8, BOM dropped
//! ```
//!
//! Every reader loads at most a bounded number of bytes, bounds what it decodes, and turns a
//! panic inside a parser into [`MediaError::Corrupt`]. See the modules for the decisions:
//! `sniff` (magic numbers, text and JSON), `pdf` (the guards around `pdf-extract`/`lopdf`),
//! `image` (header first, then decode under `image::Limits`), `text`.

mod image;
mod pdf;
mod read;
mod sniff;
mod text;

pub use image::prepare_image;
pub use pdf::pdf_text;
pub use sniff::sniff_evidence;
pub use text::read_text;

use crate::AudioFormat;

/// Image formats accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl ImageFormat {
    /// The MIME type of the format.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Gif => "image/gif",
        }
    }
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
    /// Anything else, named (`application/zip`, `image/heic`, `text/plain; charset=unknown` for
    /// text that is not UTF-8, `empty` …).
    Other(String),
}

impl EvidenceFile {
    /// The MIME type reported back to the client.
    pub fn mime(&self) -> String {
        match self {
            EvidenceFile::Audio(format) => format.mime().to_owned(),
            EvidenceFile::Image(format) => format.mime().to_owned(),
            EvidenceFile::Pdf => "application/pdf".into(),
            EvidenceFile::Text => "text/plain".into(),
            EvidenceFile::Json => "application/json".into(),
            EvidenceFile::Other(kind) => kind.clone(),
        }
    }
}

/// Bounds on reading a PDF.
///
/// The file itself is read up to [`PdfLimits::MAX_FILE_BYTES`]; inside it, decompressed streams,
/// object counts and the nesting of forms have fixed bounds (see the `pdf` module).
#[derive(Debug, Clone, Copy)]
pub struct PdfLimits {
    /// Pages read, from the first; the rest are ignored.
    pub max_pages: usize,
    /// Bytes of text returned (UTF-8; cut at a character boundary).
    pub max_text_bytes: usize,
}

impl PdfLimits {
    /// The largest PDF loaded at all: above SPEC §6's 50 MiB upload limit, so the upload limit
    /// is the one a client meets.
    pub const MAX_FILE_BYTES: u64 = 64 << 20;
}

impl Default for PdfLimits {
    /// 100 pages and 256 KiB of text (about 64,000 tokens of English): more than audit evidence
    /// usually holds, less than a model's context.
    fn default() -> Self {
        PdfLimits {
            max_pages: 100,
            max_text_bytes: 256 << 10,
        }
    }
}

/// Bounds on decoding an image, and the size it is brought down to.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Refused beyond this many pixels (decompression bombs), judged from the header before
    /// anything is decoded.
    pub max_pixels: u64,
    /// The longest side after downscaling (images are never upscaled).
    pub max_side: u32,
}

impl ImageLimits {
    /// The largest image file loaded at all: above SPEC §6's 20 MiB upload limit.
    pub const MAX_FILE_BYTES: u64 = 32 << 20;
}

impl Default for ImageLimits {
    /// 50 megapixels (phones' 48/50 MP modes; about 150 MB decoded as RGB) and a longest side
    /// of 1568 px, the size beyond which vision models scale images down themselves.
    fn default() -> Self {
        ImageLimits {
            max_pixels: 50_000_000,
            max_side: 1568,
        }
    }
}

/// An image ready for a vision model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// The image as a baseline JPEG (quality 85), upright (EXIF orientation applied), without
    /// metadata.
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// EXIF DateTimeOriginal (else DateTime) as written by the camera: `2024:03:14 09:26:53`,
    /// local time of the camera, no zone.
    pub captured_at: Option<String>,
}
