//! Finding the quietest moment in a stretch of speech: where a chunk may be cut without cutting
//! a word.

use crate::wav::pcm16;

/// Energy is measured in frames of 10 ms at 16 kHz. Cuts fall on frame edges, so chunk offsets
/// are whole milliseconds.
pub(crate) const FRAME: usize = 160;
/// The quietest *span* is sought, not the quietest frame: a 10 ms dip happens inside words
/// (plosives), a 250 ms one is a pause.
const SPAN_FRAMES: usize = 25;

/// Where to cut inside `window` (16-bit little-endian mono PCM), in samples from its start: the
/// middle of its quietest 250 ms span; among equally quiet spans (digital silence), the middle
/// of the longest run of them, the later one on a tie so that chunks stay long.
///
/// The result is a multiple of [`FRAME`] and at most the window's length.
pub(crate) fn quietest_cut(window: &[u8]) -> usize {
    let samples = window.len() / 2;
    let energies: Vec<f64> = window
        .chunks_exact(FRAME * 2)
        .map(|frame| pcm16(frame).map(|s| f64::from(s) * f64::from(s)).sum())
        .collect();
    if energies.is_empty() {
        return samples;
    }
    let span = SPAN_FRAMES.min(energies.len());
    let mut sums = Vec::with_capacity(energies.len() - span + 1);
    let mut sum: f64 = energies[..span].iter().sum();
    sums.push(sum);
    for i in span..energies.len() {
        sum += energies[i] - energies[i - span];
        sums.push(sum.max(0.0));
    }
    let quietest = sums.iter().copied().fold(f64::INFINITY, f64::min);
    // "As quiet": within 25 % of the minimum, plus about one unit of 16-bit noise per sample so
    // that dithered silence counts as silence.
    let threshold = quietest * 1.25 + (span * FRAME) as f64;
    let (mut best_start, mut best_len) = (0, 0);
    let mut run_start = None;
    for (i, sum) in sums.iter().enumerate() {
        match (*sum <= threshold, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                if i - start >= best_len {
                    (best_start, best_len) = (start, i - start);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = run_start
        && sums.len() - start >= best_len
    {
        (best_start, best_len) = (start, sums.len() - start);
    }
    let middle_span = best_start + best_len.saturating_sub(1) / 2;
    ((middle_span + span / 2) * FRAME).min(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(samples: impl IntoIterator<Item = i16>) -> Vec<u8> {
        samples.into_iter().flat_map(i16::to_le_bytes).collect()
    }

    fn tone(len: usize) -> impl Iterator<Item = i16> {
        (0..len).map(|i| ((i as f32 * 0.3).sin() * 8000.0) as i16)
    }

    #[test]
    fn cuts_in_the_middle_of_the_pause() {
        // 2 s tone, 1 s silence, 2 s tone.
        let window = pcm(tone(32_000)
            .chain(std::iter::repeat_n(0, 16_000))
            .chain(tone(32_000)));
        let cut = quietest_cut(&window);
        assert!(
            (32_000 + 4_000..48_000 - 4_000).contains(&cut),
            "cut at {cut}"
        );
        assert_eq!(cut % FRAME, 0);
    }

    #[test]
    fn prefers_the_quieter_of_two_pauses() {
        let hiss = |len| (0..len).map(|i| if i % 2 == 0 { 300 } else { -300 });
        let window = pcm(tone(16_000)
            .chain(hiss(8_000))
            .chain(tone(16_000))
            .chain((0..8_000).map(|i| if i % 2 == 0 { 20 } else { -20 }))
            .chain(tone(16_000)));
        let cut = quietest_cut(&window);
        assert!(
            (40_000 + 2_000..48_000 - 2_000).contains(&cut),
            "cut at {cut}"
        );
    }

    #[test]
    fn short_and_empty_windows() {
        assert_eq!(quietest_cut(&[]), 0);
        assert_eq!(quietest_cut(&pcm([0; 100])), 100);
        let cut = quietest_cut(&pcm(std::iter::repeat_n(0, 1_600)));
        assert!(cut > 0 && cut <= 1_600);
    }
}
