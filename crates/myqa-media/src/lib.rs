//! MyQA media: what an uploaded file is, whether it decodes, audio turned into 16 kHz mono
//! chunks for a transcription provider (SPEC §5), and SnapReport evidence files read (SPEC §6).
//!
//! This crate does no I/O of its own beyond reading what it is handed (a byte prefix, an open
//! file) and never fetches anything.
//!
//! # API
//!
//! ```text
//! sniff(head: &[u8]) -> Sniffed                       Audio(AudioFormat) | Other("image/png")
//! probe(prefix: &[u8]) -> Result<AudioInfo, MediaError>     decodes the first audio packet
//! probe_file(File) -> Result<AudioInfo, MediaError>         the same, may seek (MP4 index at end)
//! decode_to_chunks(File, &ChunkPlan, &mut dyn FnMut(AudioChunk) -> ControlFlow<()>)
//!     -> Result<Decoded, MediaError>                  16 kHz mono WAV chunks, cut at pauses
//!
//! sniff_evidence(head: &[u8]) -> EvidenceFile         Audio | Image | Pdf | Text | Json | Other
//! pdf_text(File, PdfLimits) -> Result<String, MediaError>         "" for a scan
//! prepare_image(File, ImageLimits) -> Result<Picture, MediaError> JPEG ≤ max_side + capture time
//! read_text(File, max_bytes) -> Result<String, MediaError>        UTF-8, BOM dropped
//! ```
//!
//! The evidence readers are described in the `evidence` module; each bounds what it loads and
//! decodes, and the PDF reader guards `lopdf`/`pdf-extract` against hostile files.
//!
//! A typical upload path: [`sniff`] the first [`SNIFF_LEN`] bytes while streaming (reject
//! non-audio early), [`probe`] the first MiB or two once stored (reject what does not decode
//! before a job is queued), then [`decode_to_chunks`] in the worker.
//!
//! # Decisions
//!
//! - **Sniffing** is by bytes only, each accepted format checked field by field: RIFF/`WAVE`;
//!   `fLaC`; `OggS` with the first packet naming the codec (`OpusHead` or `\x01vorbis`; Ogg FLAC
//!   and Speex are not accepted); EBML with DocType `webm` (Matroska is not in SPEC §5);
//!   `ftyp` brands (`M4A `/`M4B ` → M4A, `isom`/`mp4x`/`iso*`… → MP4, QuickTime and 3GPP
//!   refused); ADTS and MPEG-audio frame headers told apart by the layer field, with a second
//!   frame required where the head holds one, so stray `0xFFF` bits in binary data do not pass;
//!   an ID3v2 tag is skipped by its declared size (when it is longer than the head, MP3 is
//!   assumed and the probe decides). Anything else is named by `infer` for the error message.
//! - **Demuxing** uses the demuxer of the sniffed format directly, not Symphonia's probe, which
//!   scans a megabyte for anything resembling a frame marker.
//! - **Opus** is decoded by the pure-Rust `opus-decoder` crate wrapped as a Symphonia
//!   `AudioDecoder` and registered in our own `CodecRegistry` next to Symphonia's decoders: one
//!   decode loop serves all formats (track choice, pre-skip trimming, resets, error policy),
//!   and Ogg and WebM demuxing stay Symphonia's. The wrapper renders 16 kHz directly, which
//!   Opus supports natively, so Opus needs no resampling pass.
//! - **Down-mix and resampling**: channels are averaged to mono first (so only one channel is
//!   resampled), then Rubato's FFT resampler converts to 16 kHz, its start-up delay removed so
//!   that output time equals input time.
//! - **Where to cut**: when a chunk reaches `max_chunk`, the last `search_window` of it is
//!   scanned in 10 ms frames for the 250 ms span of least energy; the cut goes in the middle of
//!   the longest run of spans that are as quiet as the quietest (within 25 %), so a pause is cut
//!   in its middle and digital silence is not cut at its edge. The rest carries over to the next
//!   chunk. Cuts fall on 10 ms boundaries, so offsets are whole milliseconds and add up.
//! - **Memory**: the chunk being filled is held as the bytes of its WAV file and moved, not
//!   copied, to the sink; besides it there is the decoder's state, one packet, and the
//!   resampler's block. About 20 MB for 10-minute chunks, whatever the file's length.
//! - **Hostile input**: sample rates, channel counts, packet lengths, bad-packet runs, stream
//!   resets and total duration are bounded (see `limits` and [`ChunkPlan::max_duration`]);
//!   demuxer and decoder calls run under `catch_unwind`, so a panic inside a dependency on
//!   malformed data becomes [`MediaError::Corrupt`] (the panic hook still prints it).
//! - **Stopping**: a sink returning [`ControlFlow::Break`](std::ops::ControlFlow::Break) ends
//!   decoding with [`MediaError::Cancelled`].

mod chunk;
mod container;
mod decode;
mod error;
mod evidence;
mod format;
mod limits;
mod opus;
mod probe;
mod quiet;
mod resample;
mod sniff;
mod stream;
mod wav;

pub use chunk::{AudioChunk, ChunkPlan};
pub use decode::{Decoded, decode_to_chunks};
pub use error::MediaError;
pub use evidence::{
    EvidenceFile, ImageFormat, ImageLimits, PdfLimits, Picture, pdf_text, prepare_image, read_text,
    sniff_evidence,
};
pub use format::AudioFormat;
pub use probe::{AudioInfo, probe, probe_file};
pub use sniff::{SNIFF_LEN, Sniffed, sniff};

/// The sample rate of every chunk.
pub const CHUNK_SAMPLE_RATE: u32 = resample::TARGET_RATE;
