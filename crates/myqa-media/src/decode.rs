//! The whole pipeline: file → demux → decode → mono → 16 kHz → chunks.

use std::fs::File;
use std::ops::ControlFlow;

use crate::chunk::{AudioChunk, ChunkPlan, Chunker};
use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::probe::sniff_file;
use crate::resample::{TARGET_RATE, To16k};
use crate::stream::{AudioStream, Step};

/// What decoding a whole file produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub format: AudioFormat,
    /// The length of the decoded audio; the chunks' durations add up to it.
    pub duration_ms: u64,
    /// How many chunks were handed to the sink.
    pub chunks: usize,
}

/// Decodes a whole file, down-mixes it to mono, resamples it to 16 kHz and hands it to `sink`
/// in chunks, each as soon as it is complete.
///
/// A chunk is at most `plan.max_chunk` long, cut at the quietest 250 ms of the
/// `plan.search_window` before that limit (in a pause, when the window holds one). Chunk offsets
/// follow on without gaps, and their durations add up to [`Decoded::duration_ms`].
///
/// Memory stays at about one chunk (19 MB for 10 minutes) plus the decoder's state, whatever the
/// file's length: chunks move to the sink and are not kept.
///
/// Damaged data: a few undecodable packets are skipped (see `limits`); a file that stops short
/// (truncated upload) yields what it holds; a file whose data does not decode at all is
/// [`MediaError::Corrupt`].
///
/// If `sink` returns [`ControlFlow::Break`], decoding stops and the result is
/// [`MediaError::Cancelled`]: the chunks handed out until then are all there will be, and no
/// duration is claimed for a recording that was not read to its end.
pub fn decode_to_chunks(
    mut source: File,
    plan: &ChunkPlan,
    sink: &mut dyn FnMut(AudioChunk) -> ControlFlow<()>,
) -> Result<Decoded, MediaError> {
    let mut chunker = Chunker::new(plan, sink)?;
    let (format, id3_len) = sniff_file(&mut source)?;
    let mut stream = AudioStream::open(format, Box::new(source), id3_len)?;
    let mut mono = Vec::new();
    let mut resampled = Vec::new();
    let mut resampler: Option<To16k> = None;
    while let Step::Audio { rate } = stream.next(&mut mono)? {
        // A chained or reconfigured stream may change rate: finish the old conversion first.
        if let Some(mut old) = resampler.take_if(|r| r.rate() != rate) {
            resampled.clear();
            old.finish(&mut resampled)?;
            chunker.push(&resampled)?;
        }
        let current = match resampler.as_mut() {
            Some(current) => current,
            None => resampler.insert(To16k::new(rate)?),
        };
        resampled.clear();
        current.push(&mono, &mut resampled)?;
        chunker.push(&resampled)?;
    }
    let Some(mut last) = resampler else {
        return Err(MediaError::Corrupt(format!(
            "no {format} audio could be decoded from it"
        )));
    };
    resampled.clear();
    last.finish(&mut resampled)?;
    chunker.push(&resampled)?;
    let (samples, chunks) = chunker.finish()?;
    let duration_ms = samples * 1000 / u64::from(TARGET_RATE);
    Ok(Decoded {
        format,
        duration_ms,
        chunks,
    })
}
