//! The WAV files handed to the transcriber: 16 kHz, mono, 16-bit little-endian PCM.

use crate::resample::TARGET_RATE;

/// Length of the canonical RIFF/WAVE header written here.
pub(crate) const HEADER_LEN: usize = 44;
const BYTES_PER_SAMPLE: u16 = 2;

/// Fills `wav[..HEADER_LEN]` with the header for the PCM data that follows it in `wav`.
///
/// The caller keeps chunks far below 4 GiB (see `ChunkPlan`), so the 32-bit sizes hold.
pub(crate) fn write_header(wav: &mut [u8]) {
    let data_len = u32::try_from(wav.len().saturating_sub(HEADER_LEN)).unwrap_or(u32::MAX);
    let byte_rate = TARGET_RATE * u32::from(BYTES_PER_SAMPLE);
    let mut header = [0u8; HEADER_LEN];
    header[0..4].copy_from_slice(b"RIFF");
    header[4..8].copy_from_slice(&(36u32.saturating_add(data_len)).to_le_bytes());
    header[8..12].copy_from_slice(b"WAVE");
    header[12..16].copy_from_slice(b"fmt ");
    header[16..20].copy_from_slice(&16u32.to_le_bytes());
    header[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    header[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    header[24..28].copy_from_slice(&TARGET_RATE.to_le_bytes());
    header[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    header[32..34].copy_from_slice(&BYTES_PER_SAMPLE.to_le_bytes()); // block align
    header[34..36].copy_from_slice(&(BYTES_PER_SAMPLE * 8).to_le_bytes());
    header[36..40].copy_from_slice(b"data");
    header[40..44].copy_from_slice(&data_len.to_le_bytes());
    if let Some(slot) = wav.get_mut(..HEADER_LEN) {
        slot.copy_from_slice(&header);
    }
}

/// Appends `samples` (nominally in −1…1) as 16-bit little-endian PCM.
pub(crate) fn append_pcm16(wav: &mut Vec<u8>, samples: &[f32]) {
    let start = wav.len();
    wav.resize(start + 2 * samples.len(), 0);
    for (out, sample) in wav[start..].chunks_exact_mut(2).zip(samples) {
        out.copy_from_slice(&to_i16(*sample).to_le_bytes());
    }
}

/// Rounds to the nearest 16-bit value, half away from zero. Written out because `f32::round`
/// is a libm call on baseline x86-64 (it was 9 % of a profile); `as` saturates, and NaN gives 0.
fn to_i16(sample: f32) -> i16 {
    let scaled = sample * 32767.0;
    (scaled + 0.5f32.copysign(scaled)) as i16
}

/// The 16-bit samples of little-endian PCM bytes.
pub(crate) fn pcm16(bytes: &[u8]) -> impl Iterator<Item = i16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_round_and_saturate() {
        let mut wav = Vec::new();
        append_pcm16(
            &mut wav,
            &[
                0.0,
                1.0,
                -1.0,
                2.0,
                -2.0,
                f32::NAN,
                0.5 / 32767.0,
                -1.5 / 32767.0,
            ],
        );
        let samples: Vec<i16> = pcm16(&wav).collect();
        assert_eq!(samples, [0, 32767, -32767, 32767, -32768, 0, 1, -2]);
    }

    #[test]
    fn header_describes_the_data() {
        let mut wav = vec![0; HEADER_LEN];
        append_pcm16(&mut wav, &[0.1; 10]);
        write_header(&mut wav);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]), 20);
        assert_eq!(
            u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
            16_000
        );
    }
}
