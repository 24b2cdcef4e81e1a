//! Checking that an upload really is decodable audio before a job is accepted for it.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::sniff::{SNIFF_LEN, Sniffed, id3v2_len, sniff};
use crate::stream::{AudioStream, Step};

/// What the probe found out about a file's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioInfo {
    pub format: AudioFormat,
    /// The codec's short name: `"mp3"`, `"aac"`, `"flac"`, `"vorbis"`, `"opus"`, `"pcm_s16le"`…
    pub codec: String,
    /// The source sample rate in Hz.
    pub sample_rate: u32,
    pub channels: u16,
    /// The length the container states, if it states one (an estimate for MP3 without a Xing
    /// header); `None` otherwise. Decoding measures the real length.
    pub duration_ms: Option<u64>,
}

/// Checks that a prefix of a file (its first 1–2 MiB, say) really is audio: sniffs it, opens the
/// container, finds the audio track and decodes its first packet that holds audio.
///
/// MP4/M4A files written without "fast start" keep their track index (`moov`) at the end, out
/// of reach of a prefix: such files fail here with [`MediaError::Corrupt`]; use [`probe_file`],
/// which may seek, when the whole file is at hand.
pub fn probe(prefix: &[u8]) -> Result<AudioInfo, MediaError> {
    let format = accepted(sniff(prefix))?;
    probe_stream(AudioStream::open(
        format,
        Box::new(Cursor::new(prefix)),
        id3v2_len(prefix),
    )?)
}

/// [`probe`] on a whole file, reading only what it needs (the container may send it to the
/// end for the track index).
pub fn probe_file(mut file: File) -> Result<AudioInfo, MediaError> {
    let (format, id3_len) = sniff_file(&mut file)?;
    probe_stream(AudioStream::open(format, Box::new(file), id3_len)?)
}

/// Sniffs a file's head and rewinds it. Returns the format and any ID3v2 tag length.
pub(crate) fn sniff_file(file: &mut File) -> Result<(AudioFormat, Option<u64>), MediaError> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    file.by_ref()
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok((accepted(sniff(&head))?, id3v2_len(&head)))
}

fn accepted(sniffed: Sniffed) -> Result<AudioFormat, MediaError> {
    match sniffed {
        Sniffed::Audio(format) => Ok(format),
        Sniffed::Other(what) => Err(MediaError::NotAudio(what)),
    }
}

fn probe_stream(mut stream: AudioStream<'_>) -> Result<AudioInfo, MediaError> {
    let mut mono = Vec::new();
    let decoded_rate = match stream.next(&mut mono)? {
        Step::Audio { rate } => rate,
        Step::End => {
            return Err(MediaError::Corrupt(format!(
                "no {} audio could be decoded from it",
                stream.format
            )));
        }
    };
    let (rate, channels, frames) = stream.declared();
    let sample_rate = rate.unwrap_or(decoded_rate);
    let duration_ms = frames
        .zip(rate)
        .and_then(|(frames, rate)| frames.checked_mul(1000).map(|ms| ms / u64::from(rate)));
    Ok(AudioInfo {
        format: stream.format,
        codec: stream.codec().to_owned(),
        sample_rate,
        channels: channels.and_then(|c| u16::try_from(c).ok()).unwrap_or(1),
        duration_ms,
    })
}
