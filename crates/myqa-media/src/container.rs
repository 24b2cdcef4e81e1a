//! Opening a file's container with the demuxer its sniffed format calls for, and choosing the
//! audio track and its decoder.
//!
//! The demuxer is chosen from our own sniffing rather than Symphonia's probe: the probe scans up
//! to 1 MB for anything that looks like a frame marker, which can turn a picture into "MP3";
//! and a file is only ever read as the format its bytes were accepted as.

use std::io::ErrorKind;
use std::sync::OnceLock;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions, ReadBytes};
use symphonia::default::formats::{
    AdtsReader, FlacReader, IsoMp4Reader, MkvReader, MpaReader, OggReader, WavReader,
};

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::limits::{MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
use crate::opus::OpusAudioDecoder;

/// Symphonia's decoders for the enabled features, plus Opus.
fn codecs() -> &'static CodecRegistry {
    static CODECS: OnceLock<CodecRegistry> = OnceLock::new();
    CODECS.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<OpusAudioDecoder>();
        registry
    })
}

/// Opens the demuxer for `format` on `source`. `id3_len` is the length of a leading ID3v2 tag,
/// which is skipped: the MPEG, ADTS and FLAC demuxers expect their own first bytes.
pub(crate) fn open<'s>(
    format: AudioFormat,
    source: Box<dyn MediaSource + 's>,
    id3_len: Option<u64>,
) -> Result<Box<dyn FormatReader + 's>, MediaError> {
    let mut mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    if let Some(len) = id3_len {
        mss.ignore_bytes(len)
            .map_err(|e| from_io(e, "the file ends inside its ID3 tag"))?;
    }
    let opts = FormatOptions::default();
    let opened: Result<Box<dyn FormatReader + 's>, Error> = match format {
        AudioFormat::Mp3 => MpaReader::try_new(mss, opts).map(|r| Box::new(r) as _),
        AudioFormat::Wav => WavReader::try_new(mss, opts).map(|r| Box::new(r) as _),
        AudioFormat::Aac => AdtsReader::try_new(mss, opts).map(|r| Box::new(r) as _),
        AudioFormat::Flac => FlacReader::try_new(mss, opts).map(|r| Box::new(r) as _),
        AudioFormat::OggVorbis | AudioFormat::OggOpus => {
            OggReader::try_new(mss, opts).map(|r| Box::new(r) as _)
        }
        AudioFormat::WebM => MkvReader::try_new(mss, opts).map(|r| Box::new(r) as _),
        AudioFormat::M4a | AudioFormat::Mp4 => {
            IsoMp4Reader::try_new(mss, opts).map(|r| Box::new(r) as _)
        }
    };
    opened.map_err(|e| from_symphonia(e, &format!("the {format} container cannot be read")))
}

/// The audio track to decode: the container's default audio track.
pub(crate) struct ChosenTrack {
    pub id: u32,
    pub params: AudioCodecParameters,
    /// Length in source frames, when the container states it.
    pub frames: Option<u64>,
}

/// Picks the audio track and checks its parameters against our limits.
pub(crate) fn audio_track(
    reader: &dyn FormatReader,
    format: AudioFormat,
) -> Result<ChosenTrack, MediaError> {
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| MediaError::Unsupported(format!("the {format} file has no audio track")))?;
    let Some(CodecParameters::Audio(params)) = &track.codec_params else {
        return Err(MediaError::Unsupported(format!(
            "the {format} file has no audio track"
        )));
    };
    if let Some(rate) = params.sample_rate {
        check_rate(rate)?;
    }
    if let Some(channels) = &params.channels {
        check_channels(channels.count())?;
    }
    Ok(ChosenTrack {
        id: track.id,
        params: params.clone(),
        frames: track.num_frames,
    })
}

/// Makes the decoder for a track.
pub(crate) fn decoder_for(
    params: &AudioCodecParameters,
    format: AudioFormat,
) -> Result<Box<dyn AudioDecoder>, MediaError> {
    if codecs().get_audio_decoder(params.codec).is_none() {
        return Err(MediaError::Unsupported(format!(
            "the audio codec in this {format} file is not supported"
        )));
    }
    codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| from_symphonia(e, "the codec parameters are invalid"))
}

pub(crate) fn check_rate(rate: u32) -> Result<(), MediaError> {
    if (MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(MediaError::Unsupported(format!(
            "a sample rate of {rate} Hz is outside {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz"
        )))
    }
}

pub(crate) fn check_channels(channels: usize) -> Result<(), MediaError> {
    if (1..=MAX_CHANNELS).contains(&channels) {
        Ok(())
    } else {
        Err(MediaError::Unsupported(format!(
            "{channels} channels is outside 1–{MAX_CHANNELS}"
        )))
    }
}

/// Maps a Symphonia error; `context` says what was being done, for the API message.
pub(crate) fn from_symphonia(error: Error, context: &str) -> MediaError {
    match error {
        Error::IoError(e) => from_io(e, context),
        Error::DecodeError(what) => MediaError::Corrupt(format!("{context} ({what})")),
        Error::Unsupported(what) => MediaError::Unsupported(format!("{context} ({what})")),
        Error::LimitError(what) => MediaError::Unsupported(format!("{context} (limit: {what})")),
        other => MediaError::Corrupt(format!("{context} ({other})")),
    }
}

/// Symphonia reports "the data ended early" as an I/O error; for us that is a damaged file, not
/// a failing disk.
fn from_io(error: std::io::Error, context: &str) -> MediaError {
    if error.kind() == ErrorKind::UnexpectedEof {
        MediaError::Corrupt(format!("{context} (it ends too early)"))
    } else {
        MediaError::Io(error)
    }
}
