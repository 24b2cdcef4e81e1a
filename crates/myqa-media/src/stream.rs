//! One audio track being decoded packet by packet into mono samples, with the error policy for
//! damaged data in one place.

use std::io::ErrorKind;
use std::panic::{AssertUnwindSafe, catch_unwind};

use symphonia::core::codecs::audio::AudioDecoder;
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatReader;
use symphonia::core::io::MediaSource;
use symphonia::core::packet::Packet;

use crate::container::{self, ChosenTrack, check_channels, check_rate, from_symphonia};
use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::limits::{MAX_CONSECUTIVE_BAD_PACKETS, MAX_PACKET_FRAMES, MAX_STREAM_RESETS};

/// A demuxer and decoder for one audio track.
pub(crate) struct AudioStream<'s> {
    pub format: AudioFormat,
    reader: Box<dyn FormatReader + 's>,
    decoder: Box<dyn AudioDecoder>,
    track: ChosenTrack,
    /// Per-channel scratch for the down-mix, reused across packets.
    planes: Vec<Vec<f32>>,
    bad_in_a_row: u32,
    resets: u32,
    /// Channels of the last decoded packet, before the down-mix.
    channels_seen: usize,
}

/// What one packet gave.
pub(crate) enum Step {
    /// Mono samples at this rate (at least one) are in the caller's buffer.
    Audio { rate: u32 },
    /// The track has ended (or the data stops short: what was decoded is kept).
    End,
}

impl<'s> AudioStream<'s> {
    pub fn open(
        format: AudioFormat,
        source: Box<dyn MediaSource + 's>,
        id3_len: Option<u64>,
    ) -> Result<Self, MediaError> {
        let reader = guarded(AssertUnwindSafe(|| {
            container::open(format, source, id3_len)
        }))
        .unwrap_or_else(|| Err(panicked()))?;
        let track = container::audio_track(reader.as_ref(), format)?;
        let decoder = container::decoder_for(&track.params, format)?;
        Ok(AudioStream {
            format,
            reader,
            decoder,
            track,
            planes: Vec::new(),
            bad_in_a_row: 0,
            resets: 0,
            channels_seen: 0,
        })
    }

    /// The codec's short name (`"mp3"`, `"aac"`, `"opus"`…).
    pub fn codec(&self) -> &'static str {
        self.decoder.codec_info().short_name
    }

    /// The source's sample rate, channel count and length in frames, as the container states
    /// them, else as decoding found them.
    pub fn declared(&self) -> (Option<u32>, Option<usize>, Option<u64>) {
        let params = &self.track.params;
        let rate = params
            .sample_rate
            .or(self.decoder.codec_params().sample_rate);
        let channels = params
            .channels
            .as_ref()
            .map(|c| c.count())
            .or((self.channels_seen > 0).then_some(self.channels_seen));
        (rate, channels, self.track.frames)
    }

    /// Decodes the next packet of the track that holds audio, down-mixed to mono, into `mono`
    /// (cleared first).
    ///
    /// Damaged packets are skipped, up to [`MAX_CONSECUTIVE_BAD_PACKETS`] in a row; a damaged
    /// container is an error, except that data ending early is taken as the end.
    pub fn next(&mut self, mono: &mut Vec<f32>) -> Result<Step, MediaError> {
        mono.clear();
        loop {
            let read = guarded(AssertUnwindSafe(|| self.reader.next_packet()));
            let packet = match read {
                None => return Err(panicked()),
                Some(Ok(Some(packet))) => packet,
                Some(Ok(None)) => return Ok(Step::End),
                Some(Err(Error::IoError(e))) if e.kind() == ErrorKind::UnexpectedEof => {
                    return Ok(Step::End);
                }
                Some(Err(Error::ResetRequired)) => {
                    self.reset()?;
                    continue;
                }
                Some(Err(e)) => return Err(from_symphonia(e, "the container is damaged")),
            };
            if packet.track_id != self.track.id {
                continue;
            }
            let decoded = guarded(AssertUnwindSafe(|| {
                down_mix(self.decoder.as_mut(), &packet, &mut self.planes, mono)
            }));
            match decoded {
                None => return Err(panicked()),
                Some(Ok((rate, channels))) => {
                    self.bad_in_a_row = 0;
                    self.channels_seen = channels;
                    // Packets that decode to nothing (trimmed away, or side data) are skipped.
                    if !mono.is_empty() {
                        check_rate(rate)?;
                        return Ok(Step::Audio { rate });
                    }
                }
                Some(Err(Error::DecodeError(_) | Error::IoError(_))) => {
                    self.bad_in_a_row += 1;
                    if self.bad_in_a_row > MAX_CONSECUTIVE_BAD_PACKETS {
                        return Err(MediaError::Corrupt(format!(
                            "more than {MAX_CONSECUTIVE_BAD_PACKETS} {} packets in a row do not decode",
                            self.codec()
                        )));
                    }
                }
                Some(Err(Error::ResetRequired)) => self.reset()?,
                Some(Err(e)) => return Err(from_symphonia(e, "the audio cannot be decoded")),
            }
        }
    }

    /// The stream changed its parameters (a chained Ogg stream, a new codec configuration):
    /// choose the track again and start a fresh decoder.
    fn reset(&mut self) -> Result<(), MediaError> {
        self.resets += 1;
        if self.resets > MAX_STREAM_RESETS {
            return Err(MediaError::Corrupt(format!(
                "the stream changed its parameters more than {MAX_STREAM_RESETS} times"
            )));
        }
        self.track = container::audio_track(self.reader.as_ref(), self.format)?;
        self.decoder = container::decoder_for(&self.track.params, self.format)?;
        Ok(())
    }
}

/// Decodes one packet and averages its channels into `mono`. Returns the sample rate and the
/// number of channels.
fn down_mix(
    decoder: &mut dyn AudioDecoder,
    packet: &Packet,
    planes: &mut Vec<Vec<f32>>,
    mono: &mut Vec<f32>,
) -> Result<(u32, usize), Error> {
    let audio = decoder.decode(packet)?;
    let frames = audio.frames();
    let channels = audio.num_planes();
    if frames > MAX_PACKET_FRAMES {
        return Err(Error::LimitError("a decoded packet is implausibly long"));
    }
    if frames == 0 || channels == 0 {
        return Ok((audio.spec().rate(), channels));
    }
    check_channels(channels).map_err(|_| Error::LimitError("too many channels"))?;
    audio.copy_to_vecs_planar::<f32>(planes);
    mono.clear();
    match planes.as_slice() {
        [only] => mono.extend_from_slice(only),
        planes => {
            mono.resize(frames, 0.0);
            for plane in planes.iter().take(channels) {
                for (sum, sample) in mono.iter_mut().zip(plane) {
                    *sum += *sample;
                }
            }
            let scale = 1.0 / channels as f32;
            mono.iter_mut().for_each(|sample| *sample *= scale);
        }
    }
    Ok((audio.spec().rate(), channels))
}

/// Runs a demuxer or decoder call, turning a panic on malformed data into `None`.
///
/// Symphonia and the Opus decoder are pure Rust and meant not to panic, but they index into
/// buffers sized from the file's own fields; one missed check must reject a file, not take a
/// worker thread down. The state a panic leaves behind is never used again: every caller stops
/// decoding on `None`.
fn guarded<T>(call: AssertUnwindSafe<impl FnOnce() -> T>) -> Option<T> {
    catch_unwind(call).ok()
}

fn panicked() -> MediaError {
    MediaError::Corrupt("the decoder rejected malformed data".to_owned())
}
