//! Opus, which Symphonia demuxes (Ogg, WebM) but does not decode, decoded by the pure-Rust
//! `opus-decoder` crate behind Symphonia's `AudioDecoder` trait.
//!
//! Wrapping it as a Symphonia decoder (rather than decoding Opus packets on a side path) keeps
//! one decode loop for every format: track selection, pre-skip trimming, stream resets and error
//! handling are the same code for Opus as for MP3.
//!
//! Opus can render any of 8/12/16/24/48 kHz itself, so this decoder renders 16 kHz, the rate the
//! transcriber wants, and no resampling pass follows. The container's timestamps and trims stay
//! in Opus's 48 kHz units and are scaled here.

use opus_decoder::{OpusDecoder, OpusMultistreamDecoder};
use symphonia::core::audio::{
    AsGenericAudioBufferRef, AudioBuffer, AudioMut, AudioSpec, Channels, GenericAudioBufferRef,
};
use symphonia::core::codecs::CodecInfo;
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{
    AudioCodecParameters, AudioDecoder, AudioDecoderOptions, FinalizeResult,
};
use symphonia::core::codecs::registry::{RegisterableAudioDecoder, SupportedAudioCodec};
use symphonia::core::errors::{Error, Result};
use symphonia::core::packet::PacketRef;

use crate::limits::MAX_CHANNELS;
use crate::resample::TARGET_RATE;

/// Opus timestamps count 48 kHz samples whatever the rate the decoder renders.
const OPUS_CLOCK_RATE: u32 = 48_000;
/// 48 kHz units per rendered sample.
const CLOCK_TO_OUTPUT: u64 = (OPUS_CLOCK_RATE / TARGET_RATE) as u64;
/// The longest Opus packet is 120 ms.
const MAX_PACKET_FRAMES: usize = (TARGET_RATE as usize / 1000) * 120;

const CODEC_INFO: CodecInfo = CodecInfo {
    short_name: "opus",
    long_name: "Opus (opus-decoder, pure Rust)",
    profiles: &[],
};

/// One Opus stream, or several for more than two channels (RFC 7845 mapping families 1 and 255).
enum Engine {
    // Boxed: the single-stream decoder carries 4 KB of state, the multistream one a pointer.
    Single(Box<OpusDecoder>),
    Multi(OpusMultistreamDecoder),
}

/// A Symphonia [`AudioDecoder`] for Opus, rendering 16 kHz.
pub(crate) struct OpusAudioDecoder {
    engine: Engine,
    params: AudioCodecParameters,
    channels: usize,
    /// The header's output gain as a linear factor.
    gain: f32,
    /// Output samples still to drop at the start: the encoder's pre-skip (its look-ahead).
    pre_skip: usize,
    interleaved: Vec<f32>,
    buf: AudioBuffer<f32>,
}

/// The fields of the `OpusHead` identification header (RFC 7845 §5.1) that decoding needs.
struct OpusHead {
    channels: usize,
    /// In 48 kHz samples.
    pre_skip: u16,
    gain_q8_db: i16,
    /// `(streams, coupled streams, channel → decoded channel)`, for mapping families ≠ 0.
    multistream: Option<(usize, usize, Vec<u8>)>,
}

impl OpusHead {
    fn parse(bytes: &[u8]) -> Option<OpusHead> {
        if bytes.get(..8)? != b"OpusHead" {
            return None;
        }
        // Major version 0 only; minor versions are compatible by definition.
        if bytes.get(8)? >> 4 != 0 {
            return None;
        }
        let channels = usize::from(*bytes.get(9)?);
        let pre_skip = u16::from_le_bytes([*bytes.get(10)?, *bytes.get(11)?]);
        let gain_q8_db = i16::from_le_bytes([*bytes.get(16)?, *bytes.get(17)?]);
        let family = *bytes.get(18)?;
        let multistream = if family == 0 {
            None
        } else {
            let streams = usize::from(*bytes.get(19)?);
            let coupled = usize::from(*bytes.get(20)?);
            let mapping = bytes.get(21..21 + channels)?.to_vec();
            Some((streams, coupled, mapping))
        };
        Some(OpusHead {
            channels,
            pre_skip,
            gain_q8_db,
            multistream,
        })
    }
}

impl OpusAudioDecoder {
    fn try_new(params: &AudioCodecParameters) -> Result<Self> {
        let from_params = params.channels.as_ref().map(Channels::count);
        let head = match params.extra_data.as_deref() {
            Some(extra) => OpusHead::parse(extra)
                .ok_or(Error::DecodeError("opus: invalid identification header"))?,
            // A container without the header: the channel count is all there is to go on.
            None => OpusHead {
                channels: from_params.unwrap_or(1),
                pre_skip: 0,
                gain_q8_db: 0,
                multistream: None,
            },
        };
        let channels = head.channels;
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(Error::Unsupported("opus: channel count out of range"));
        }
        let engine = match head.multistream {
            None if channels <= 2 => Engine::Single(Box::new(
                OpusDecoder::new(TARGET_RATE, channels)
                    .map_err(|_| Error::DecodeError("opus: invalid decoder parameters"))?,
            )),
            None => {
                return Err(Error::DecodeError(
                    "opus: more than 2 channels need a mapping",
                ));
            }
            Some((streams, coupled, mapping)) => Engine::Multi(
                OpusMultistreamDecoder::new(TARGET_RATE, channels, streams, coupled, &mapping)
                    .map_err(|_| Error::DecodeError("opus: invalid channel mapping"))?,
            ),
        };
        let channel_set = match &params.channels {
            Some(set) if set.count() == channels => set.clone(),
            _ => Channels::Discrete(channels as u16),
        };
        let mut params = params.clone();
        params
            .with_sample_rate(TARGET_RATE)
            .with_channels(channel_set.clone());
        let gain = 10f32.powf(f32::from(head.gain_q8_db) / (20.0 * 256.0));
        Ok(OpusAudioDecoder {
            engine,
            params,
            channels,
            gain,
            pre_skip: (u64::from(head.pre_skip) / CLOCK_TO_OUTPUT) as usize,
            interleaved: vec![0.0; MAX_PACKET_FRAMES * channels],
            buf: AudioBuffer::new(AudioSpec::new(TARGET_RATE, channel_set), MAX_PACKET_FRAMES),
        })
    }
}

impl AudioDecoder for OpusAudioDecoder {
    fn reset(&mut self) {
        match &mut self.engine {
            Engine::Single(decoder) => decoder.reset(),
            Engine::Multi(decoder) => decoder.reset(),
        }
    }

    fn codec_info(&self) -> &CodecInfo {
        &CODEC_INFO
    }

    fn codec_params(&self) -> &AudioCodecParameters {
        &self.params
    }

    fn decode_ref(&mut self, packet: &PacketRef<'_>) -> Result<GenericAudioBufferRef<'_>> {
        self.buf.clear();
        if packet.data.is_empty() {
            // Nothing was sent for this interval (discontinuous transmission): no audio.
            return Ok(self.buf.as_generic_audio_buffer_ref());
        }
        let decoded = match &mut self.engine {
            Engine::Single(decoder) => {
                decoder.decode_float(packet.data, &mut self.interleaved, false)
            }
            Engine::Multi(decoder) => {
                decoder.decode_float(packet.data, &mut self.interleaved, false)
            }
        };
        let frames = decoded.map_err(|_| Error::DecodeError("opus: invalid packet"))?;
        if frames > MAX_PACKET_FRAMES {
            return Err(Error::DecodeError("opus: packet longer than 120 ms"));
        }
        self.buf.render_uninit(Some(frames));
        for channel in 0..self.channels {
            if let Some(plane) = self.buf.plane_mut(channel) {
                let samples = self.interleaved.iter().skip(channel).step_by(self.channels);
                for (out, sample) in plane.iter_mut().zip(samples) {
                    *out = sample * self.gain;
                }
            }
        }
        // Trims set by the container, in 48 kHz units. Symphonia 0.6's Ogg and WebM demuxers
        // record the pre-skip as the track's delay without trimming packets for it, so it is
        // dropped here, unless the container trims the start itself.
        let to_output = |clock: u64| (clock / CLOCK_TO_OUTPUT) as usize;
        let mut trim_start = to_output(packet.trim_start.get());
        if trim_start > 0 {
            self.pre_skip = 0;
        } else {
            trim_start = self.pre_skip.min(frames);
            self.pre_skip -= trim_start;
        }
        self.buf.trim(trim_start, to_output(packet.trim_end.get()));
        Ok(self.buf.as_generic_audio_buffer_ref())
    }

    fn finalize(&mut self) -> FinalizeResult {
        FinalizeResult::default()
    }

    fn last_decoded(&self) -> GenericAudioBufferRef<'_> {
        self.buf.as_generic_audio_buffer_ref()
    }
}

impl RegisterableAudioDecoder for OpusAudioDecoder {
    fn try_registry_new(
        params: &AudioCodecParameters,
        _opts: &AudioDecoderOptions,
    ) -> Result<Box<dyn AudioDecoder>> {
        Ok(Box::new(OpusAudioDecoder::try_new(params)?))
    }

    fn supported_codecs() -> &'static [SupportedAudioCodec] {
        const SUPPORTED: &[SupportedAudioCodec] = &[SupportedAudioCodec {
            id: CODEC_ID_OPUS,
            info: CODEC_INFO,
        }];
        SUPPORTED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_identification_header() {
        let mut head = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x01\x00".to_vec();
        let parsed = OpusHead::parse(&head).expect("valid header");
        assert_eq!(
            (parsed.channels, parsed.pre_skip, parsed.gain_q8_db),
            (2, 312, 256)
        );
        assert!(parsed.multistream.is_none());

        head[18] = 1; // mapping family 1: streams, coupled, then one byte per channel
        assert!(
            OpusHead::parse(&head).is_none(),
            "the mapping table is missing"
        );
        head.extend_from_slice(&[1, 1, 0, 1]);
        let parsed = OpusHead::parse(&head).expect("valid header");
        assert_eq!(parsed.multistream, Some((1, 1, vec![0, 1])));

        assert!(
            OpusHead::parse(b"OpusHead\x10").is_none(),
            "major version 1"
        );
        assert!(OpusHead::parse(b"OpusTags").is_none());
    }
}
