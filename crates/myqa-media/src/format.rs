//! The audio formats the API accepts (SPEC §5), as containers plus the codec they carry.

use std::fmt;

/// The containers/codecs the API accepts (SPEC §5), decided from a file's bytes by
/// [`sniff`](crate::sniff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// MPEG-1/2/2.5 Layer III, optionally behind an ID3v2 tag.
    Mp3,
    /// RIFF WAVE (PCM, A-law, µ-law).
    Wav,
    /// Raw AAC in ADTS frames.
    Aac,
    /// Native FLAC.
    Flac,
    /// Ogg carrying Vorbis.
    OggVorbis,
    /// Ogg carrying Opus.
    OggOpus,
    /// WebM (Matroska with DocType `webm`), audio track Opus or Vorbis.
    WebM,
    /// ISO media with an audio brand (`M4A `, `M4B `): AAC, ALAC is not supported.
    M4a,
    /// ISO media with a general brand (`isom`, `mp41`, `mp42`, …); the audio track is used.
    Mp4,
}

impl AudioFormat {
    /// Every format, in the order of SPEC §5.
    pub const ALL: [AudioFormat; 9] = [
        AudioFormat::Mp3,
        AudioFormat::Wav,
        AudioFormat::Aac,
        AudioFormat::Flac,
        AudioFormat::OggVorbis,
        AudioFormat::OggOpus,
        AudioFormat::WebM,
        AudioFormat::M4a,
        AudioFormat::Mp4,
    ];

    /// A short lower-case name for logs and API messages (`"mp3"`, `"ogg/opus"`, …).
    pub fn name(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Wav => "wav",
            AudioFormat::Aac => "aac",
            AudioFormat::Flac => "flac",
            AudioFormat::OggVorbis => "ogg/vorbis",
            AudioFormat::OggOpus => "ogg/opus",
            AudioFormat::WebM => "webm",
            AudioFormat::M4a => "m4a",
            AudioFormat::Mp4 => "mp4",
        }
    }

    /// The media type to store alongside the file or send to a provider.
    pub fn mime(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Aac => "audio/aac",
            AudioFormat::Flac => "audio/flac",
            AudioFormat::OggVorbis => "audio/ogg",
            AudioFormat::OggOpus => "audio/ogg; codecs=opus",
            AudioFormat::WebM => "audio/webm",
            AudioFormat::M4a => "audio/mp4",
            AudioFormat::Mp4 => "video/mp4",
        }
    }
}

impl fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
