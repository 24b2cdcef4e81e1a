//! Converting mono audio of any supported rate to the transcriber's 16 kHz, as a stream.
//!
//! Rubato's `Fft` resampler is used: the ratio is fixed for a given source, and it is both the
//! fastest and the highest-quality choice for that case. Its output is delayed by half an FFT
//! block; the delay is dropped at the start and flushed out at the end, so that the output has
//! exactly `input × 16000 / rate` samples, lined up with the input.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::error::MediaError;

/// The rate every chunk is delivered at.
pub(crate) const TARGET_RATE: u32 = 16_000;

/// The resampler's input block, before rounding to the rate pair's granularity. Larger blocks
/// mean fewer calls, at the cost of a longer delay, which is flushed anyway.
const BLOCK_HINT: usize = 4096;

/// A stream resampler from one source rate to [`TARGET_RATE`] (a pass-through at 16 kHz).
pub(crate) struct To16k {
    rate: u32,
    fft: Option<Box<Fft<f32>>>,
    /// Input not yet handed to the resampler: less than one block.
    pending: Vec<f32>,
    output: Output,
    pushed: u64,
}

/// The resampler's output side: what it wrote, and how much of it to pass on.
struct Output {
    scratch: Vec<f32>,
    /// Output frames still to drop: the resampler's start-up delay.
    skip: usize,
    produced: u64,
}

impl To16k {
    pub fn new(rate: u32) -> Result<Self, MediaError> {
        let fft = if rate == TARGET_RATE {
            None
        } else {
            let fft = Fft::<f32>::new(
                rate as usize,
                TARGET_RATE as usize,
                BLOCK_HINT,
                1,
                FixedSync::Both,
            )
            .map_err(|e| MediaError::Unsupported(format!("cannot resample {rate} Hz: {e}")))?;
            Some(Box::new(fft))
        };
        let (scratch_len, skip) = fft
            .as_ref()
            .map(|f| (f.output_frames_max(), f.output_delay()))
            .unwrap_or((0, 0));
        Ok(To16k {
            rate,
            fft,
            pending: Vec::new(),
            output: Output {
                scratch: vec![0.0; scratch_len],
                skip,
                produced: 0,
            },
            pushed: 0,
        })
    }

    /// The source rate this resampler was made for.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Resamples `input`, appending what is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), MediaError> {
        self.pushed += input.len() as u64;
        let Some(fft) = self.fft.as_deref_mut() else {
            out.extend_from_slice(input);
            self.output.produced += input.len() as u64;
            return Ok(());
        };
        self.pending.extend_from_slice(input);
        let block = fft.input_frames_next();
        let mut start = 0;
        while self.pending.len() - start >= block {
            let block_input = &self.pending[start..start + block];
            let written = run(fft, block_input, None, &mut self.output.scratch)?;
            start += block;
            self.output.emit(written, u64::MAX, out);
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// Flushes the last samples: after this, `out` has received exactly the resampled length of
    /// everything pushed.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), MediaError> {
        let Some(fft) = self.fft.as_deref_mut() else {
            return Ok(());
        };
        let expected = (u128::from(self.pushed) * u128::from(TARGET_RATE)
            + u128::from(self.rate) / 2)
            / u128::from(self.rate);
        let expected = u64::try_from(expected).unwrap_or(u64::MAX);
        // The remainder of the input, then silence until the delayed tail is out. The number of
        // rounds is bounded by the delay plus one block; the guard is against a resampler that
        // stops producing.
        let mut rounds = 0;
        while self.output.produced < expected && rounds < 64 {
            let partial = Indexing::new().partial_len(self.pending.len());
            let written = run(fft, &self.pending, Some(&partial), &mut self.output.scratch)?;
            self.pending.clear();
            self.output.emit(written, expected, out);
            rounds += 1;
        }
        Ok(())
    }
}

impl Output {
    /// Appends `written` fresh output frames from the scratch buffer, dropping the start-up
    /// delay and anything past `limit` frames in total.
    fn emit(&mut self, written: usize, limit: u64, out: &mut Vec<f32>) {
        let fresh = &self.scratch[..written.min(self.scratch.len())];
        let skipped = self.skip.min(fresh.len());
        self.skip -= skipped;
        let fresh = &fresh[skipped..];
        let room = usize::try_from(limit.saturating_sub(self.produced)).unwrap_or(usize::MAX);
        let kept = &fresh[..fresh.len().min(room)];
        out.extend_from_slice(kept);
        self.produced += kept.len() as u64;
    }
}

/// One resampler call on mono `input`; returns the frames written to `scratch`.
fn run(
    fft: &mut Fft<f32>,
    input: &[f32],
    indexing: Option<&Indexing>,
    scratch: &mut [f32],
) -> Result<usize, MediaError> {
    let failed =
        |e: &dyn std::fmt::Display| MediaError::Unsupported(format!("resampling failed: {e}"));
    let input = InterleavedSlice::new(input, 1, input.len()).map_err(|e| failed(&e))?;
    let capacity = scratch.len();
    let mut output = InterleavedSlice::new_mut(scratch, 1, capacity).map_err(|e| failed(&e))?;
    let (_, written) = fft
        .process_into_buffer(&input, &mut output, indexing)
        .map_err(|e| failed(&e))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resample_all(rate: u32, input: &[f32], piece: usize) -> Vec<f32> {
        let mut resampler = To16k::new(rate).expect("supported rate");
        let mut out = Vec::new();
        for part in input.chunks(piece) {
            resampler.push(part, &mut out).expect("resample");
        }
        resampler.finish(&mut out).expect("flush");
        out
    }

    #[test]
    fn output_length_matches_the_ratio() {
        for (rate, len) in [
            (8_000, 8_001),
            (22_050, 100_000),
            (44_100, 44_100),
            (48_000, 10),
        ] {
            let input = vec![0.25f32; len];
            let out = resample_all(rate, &input, 1_000);
            let expected = (len as u64 * 16_000 + u64::from(rate) / 2) / u64::from(rate);
            assert_eq!(out.len() as u64, expected, "{rate} Hz, {len} samples");
        }
    }

    #[test]
    fn sixteen_khz_passes_through() {
        let input: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
        assert_eq!(resample_all(16_000, &input, 333), input);
    }

    #[test]
    fn a_tone_keeps_its_level_and_timing() {
        // 440 Hz at 44.1 kHz for 1 s, silence for 1 s: the output's loud part must stay in the
        // first second (the delay is compensated).
        let rate = 44_100;
        let input: Vec<f32> = (0..2 * rate)
            .map(|i| {
                if i < rate {
                    (i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 0.5
                } else {
                    0.0
                }
            })
            .collect();
        let out = resample_all(rate as u32, &input, 4_410);
        assert_eq!(out.len(), 32_000);
        let peak = |s: &[f32]| s.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!((peak(&out[1_000..15_000]) - 0.5).abs() < 0.02);
        assert!(peak(&out[16_200..]) < 0.01, "the tone leaks past its end");
    }
}
