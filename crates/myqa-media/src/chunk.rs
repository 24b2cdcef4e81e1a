//! Cutting the 16 kHz stream into chunks for the transcriber, at quiet points, one chunk in
//! memory at a time.

use std::ops::ControlFlow;
use std::time::Duration;

use crate::error::MediaError;
use crate::quiet::{FRAME, quietest_cut};
use crate::resample::TARGET_RATE;
use crate::wav::{self, HEADER_LEN};

/// How to cut a recording into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlan {
    /// The longest chunk. Default 10 minutes; 1 second to 60 minutes.
    pub max_chunk: Duration,
    /// How far back from `max_chunk` to look for the quietest point to cut at. Default
    /// 30 seconds; at most half of `max_chunk`. Zero cuts at exactly `max_chunk`.
    pub search_window: Duration,
    /// The longest recording accepted; decoding stops with [`MediaError::TooLong`] past it.
    /// Default 24 hours.
    pub max_duration: Duration,
}

impl Default for ChunkPlan {
    fn default() -> Self {
        ChunkPlan {
            max_chunk: Duration::from_secs(10 * 60),
            search_window: Duration::from_secs(30),
            max_duration: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl ChunkPlan {
    const MIN_CHUNK: Duration = Duration::from_secs(1);
    /// A chunk is held in memory while it fills: 60 minutes is 115 MB.
    const MAX_CHUNK: Duration = Duration::from_secs(60 * 60);

    fn samples(duration: Duration) -> u64 {
        let samples = duration.as_millis() * u128::from(TARGET_RATE) / 1000;
        u64::try_from(samples).unwrap_or(u64::MAX)
    }

    fn check(&self) -> Result<(), MediaError> {
        if !(Self::MIN_CHUNK..=Self::MAX_CHUNK).contains(&self.max_chunk) {
            return Err(MediaError::InvalidPlan(format!(
                "max_chunk must be between {:?} and {:?}",
                Self::MIN_CHUNK,
                Self::MAX_CHUNK
            )));
        }
        if self.search_window > self.max_chunk / 2 {
            return Err(MediaError::InvalidPlan(
                "search_window must be at most half of max_chunk".to_owned(),
            ));
        }
        if self.max_duration.is_zero() {
            return Err(MediaError::InvalidPlan(
                "max_duration must not be zero".to_owned(),
            ));
        }
        Ok(())
    }
}

/// One piece of a recording, ready for the transcriber.
#[derive(Clone, PartialEq, Eq)]
pub struct AudioChunk {
    /// 0, 1, 2… in recording order.
    pub index: usize,
    /// Where the chunk starts in the recording. Equals the previous chunk's
    /// `offset_ms + duration_ms`.
    pub offset_ms: u64,
    pub duration_ms: u64,
    /// A complete WAV file: 16 kHz, mono, 16-bit PCM.
    pub wav: Vec<u8>,
}

impl std::fmt::Debug for AudioChunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioChunk")
            .field("index", &self.index)
            .field("offset_ms", &self.offset_ms)
            .field("duration_ms", &self.duration_ms)
            .field("wav", &format_args!("<{} bytes>", self.wav.len()))
            .finish()
    }
}

/// Collects 16 kHz samples and hands out chunks as soon as each is complete.
///
/// The chunk being filled is kept as the bytes of its WAV file, header space included, so
/// handing it out moves the buffer instead of copying it: memory stays at one chunk plus the
/// search window that carries over to the next.
pub(crate) struct Chunker<'a> {
    max_samples: usize,
    window_samples: usize,
    max_total: u64,
    max_duration: Duration,
    wav: Vec<u8>,
    /// Samples handed out in earlier chunks.
    done: u64,
    chunks: usize,
    sink: &'a mut dyn FnMut(AudioChunk) -> ControlFlow<()>,
}

impl<'a> Chunker<'a> {
    pub fn new(
        plan: &ChunkPlan,
        sink: &'a mut dyn FnMut(AudioChunk) -> ControlFlow<()>,
    ) -> Result<Self, MediaError> {
        plan.check()?;
        // Both are bounded by `check` (at most 60 minutes of samples), so they fit.
        let max_samples = ChunkPlan::samples(plan.max_chunk) as usize;
        let window_samples = ChunkPlan::samples(plan.search_window) as usize;
        Ok(Chunker {
            max_samples,
            window_samples,
            max_total: ChunkPlan::samples(plan.max_duration),
            max_duration: plan.max_duration,
            wav: vec![0; HEADER_LEN],
            done: 0,
            chunks: 0,
            sink,
        })
    }

    fn buffered(&self) -> usize {
        (self.wav.len() - HEADER_LEN) / 2
    }

    /// Adds samples, handing out every chunk that fills up.
    pub fn push(&mut self, mut samples: &[f32]) -> Result<(), MediaError> {
        if self.done + (self.buffered() + samples.len()) as u64 > self.max_total {
            return Err(MediaError::TooLong {
                limit: self.max_duration,
            });
        }
        while !samples.is_empty() {
            let take = samples.len().min(self.max_samples - self.buffered());
            self.reserve(take);
            wav::append_pcm16(&mut self.wav, &samples[..take]);
            samples = &samples[take..];
            if self.buffered() == self.max_samples {
                self.cut()?;
            }
        }
        Ok(())
    }

    /// Hands out what is left. Returns the total number of samples and of chunks.
    pub fn finish(mut self) -> Result<(u64, usize), MediaError> {
        if self.buffered() > 0 {
            let last = std::mem::take(&mut self.wav);
            self.hand_out(last)?;
        }
        Ok((self.done, self.chunks))
    }

    /// The buffer is full: cut at the quietest point of the search window and keep the rest.
    fn cut(&mut self) -> Result<(), MediaError> {
        let window_start = self.max_samples - self.window_samples;
        let window = &self.wav[HEADER_LEN + 2 * window_start..];
        let cut = (window_start + quietest_cut(window)).max(FRAME.min(self.max_samples));
        let mut next = Vec::with_capacity(HEADER_LEN + 2 * (self.max_samples - cut) + GROWTH);
        next.resize(HEADER_LEN, 0);
        next.extend_from_slice(&self.wav[HEADER_LEN + 2 * cut..]);
        let mut full = std::mem::replace(&mut self.wav, next);
        full.truncate(HEADER_LEN + 2 * cut);
        self.hand_out(full)
    }

    fn hand_out(&mut self, mut wav: Vec<u8>) -> Result<(), MediaError> {
        wav::write_header(&mut wav);
        let samples = ((wav.len() - HEADER_LEN) / 2) as u64;
        let start = self.done;
        self.done += samples;
        // Offsets are rounded down to whole milliseconds from the sample count, so durations
        // add up exactly to the total.
        let ms = |samples: u64| samples * 1000 / u64::from(TARGET_RATE);
        let chunk = AudioChunk {
            index: self.chunks,
            offset_ms: ms(start),
            duration_ms: ms(self.done) - ms(start),
            wav,
        };
        self.chunks += 1;
        match (self.sink)(chunk) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(MediaError::Cancelled),
        }
    }

    /// Grows the buffer a minute at a time rather than doubling, so a chunk's buffer ends near
    /// its real size (a 10-minute chunk would otherwise reserve up to twice its 19 MB).
    fn reserve(&mut self, samples: usize) {
        let needed = 2 * samples;
        if self.wav.capacity() - self.wav.len() < needed {
            let limit = HEADER_LEN + 2 * self.max_samples;
            let target =
                (self.wav.len() + needed.max(GROWTH)).min(limit.max(self.wav.len() + needed));
            self.wav.reserve_exact(target - self.wav.len());
        }
    }
}

/// One minute of 16-bit samples.
const GROWTH: usize = 2 * 60 * TARGET_RATE as usize;

#[cfg(test)]
mod tests {
    use super::*;

    fn run(plan: ChunkPlan, input: &[f32]) -> Vec<AudioChunk> {
        let mut chunks = Vec::new();
        let mut sink = |chunk: AudioChunk| {
            chunks.push(chunk);
            ControlFlow::Continue(())
        };
        let mut chunker = Chunker::new(&plan, &mut sink).expect("valid plan");
        for piece in input.chunks(7_777) {
            chunker.push(piece).expect("push");
        }
        let (total, count) = chunker.finish().expect("finish");
        assert_eq!(total as usize, input.len());
        assert_eq!(count, chunks.len());
        chunks
    }

    fn plan(max_s: u64, window_s: u64) -> ChunkPlan {
        ChunkPlan {
            max_chunk: Duration::from_secs(max_s),
            search_window: Duration::from_secs(window_s),
            ..ChunkPlan::default()
        }
    }

    #[test]
    fn cuts_in_silences_and_offsets_add_up() {
        // 25 s of 0.7 s bursts every second (0.3 s gaps).
        let input: Vec<f32> = (0..25 * 16_000)
            .map(|i| {
                if i % 16_000 < 11_200 {
                    ((i as f32) * 0.2).sin() * 0.5
                } else {
                    0.0
                }
            })
            .collect();
        let chunks = run(plan(10, 3), &input);
        assert!(chunks.len() >= 3);
        let mut offset = 0;
        for chunk in &chunks {
            assert_eq!(chunk.offset_ms, offset);
            assert!(chunk.duration_ms <= 10_000);
            assert_eq!(
                chunk.wav.len(),
                HEADER_LEN + 2 * (chunk.duration_ms as usize * 16)
            );
            offset += chunk.duration_ms;
            if chunk.index + 1 < chunks.len() {
                let end_in_second = (offset % 1000) as usize;
                assert!(
                    (700..1000).contains(&end_in_second),
                    "cut at {offset} ms, in a burst"
                );
            }
        }
        assert_eq!(offset, 25_000);
    }

    #[test]
    fn break_cancels() {
        let mut sink = |_chunk: AudioChunk| ControlFlow::Break(());
        let mut chunker = Chunker::new(&plan(1, 0), &mut sink).expect("valid plan");
        let err = chunker.push(&[0.0; 40_000]).expect_err("cancelled");
        assert!(matches!(err, MediaError::Cancelled));
    }

    #[test]
    fn plans_out_of_bounds_are_refused() {
        let mut sink = |_chunk: AudioChunk| ControlFlow::Continue(());
        for bad in [plan(0, 0), plan(7200, 10), plan(10, 6)] {
            assert!(matches!(
                Chunker::new(&bad, &mut sink),
                Err(MediaError::InvalidPlan(_))
            ));
        }
    }

    #[test]
    fn too_long_is_refused() {
        let mut sink = |_chunk: AudioChunk| ControlFlow::Continue(());
        let short = ChunkPlan {
            max_duration: Duration::from_secs(1),
            ..plan(1, 0)
        };
        let mut chunker = Chunker::new(&short, &mut sink).expect("valid plan");
        assert!(chunker.push(&[0.0; 16_000]).is_ok());
        assert!(matches!(
            chunker.push(&[0.0; 1]),
            Err(MediaError::TooLong { .. })
        ));
    }
}
