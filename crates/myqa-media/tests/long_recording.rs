//! A three-hour recording, synthesised at test time: it must come out in chunks of at most
//! `max_chunk`, cut inside silences, with offsets that add up, in bounded memory.

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::time::Duration;

use myqa_media::{AudioChunk, ChunkPlan, decode_to_chunks};

const RATE: u32 = 8_000;
const SECONDS: u64 = 3 * 60 * 60;
/// Each 2-second period: a 1-second tone burst, then 1 second of silence.
const PERIOD_MS: u64 = 2_000;
const BURST_MS: u64 = 1_000;

/// Writes an 8 kHz mono 16-bit WAV file (172 MB for three hours) block by block.
fn write_recording(path: &std::path::Path) -> std::io::Result<()> {
    let samples = SECONDS * u64::from(RATE);
    let data_len = u32::try_from(samples * 2).expect("fits a WAV file");
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(b"RIFF")?;
    out.write_all(&(36 + data_len).to_le_bytes())?;
    out.write_all(b"WAVEfmt ")?;
    out.write_all(&16u32.to_le_bytes())?;
    out.write_all(&1u16.to_le_bytes())?; // PCM
    out.write_all(&1u16.to_le_bytes())?; // mono
    out.write_all(&RATE.to_le_bytes())?;
    out.write_all(&(RATE * 2).to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&16u16.to_le_bytes())?;
    out.write_all(b"data")?;
    out.write_all(&data_len.to_le_bytes())?;
    // One period, repeated: a 440 Hz + 660 Hz burst with 5 ms fades, then silence.
    let period = (PERIOD_MS * u64::from(RATE) / 1000) as usize;
    let burst = (BURST_MS * u64::from(RATE) / 1000) as usize;
    let fade = RATE as usize / 200;
    let mut block = Vec::with_capacity(period * 2);
    for i in 0..period {
        let sample = if i < burst {
            let t = i as f32 / RATE as f32;
            let envelope = (i.min(burst - i) as f32 / fade as f32).min(1.0);
            let tone = (t * 440.0 * std::f32::consts::TAU).sin() * 0.6
                + (t * 660.0 * std::f32::consts::TAU).sin() * 0.3;
            (tone * envelope * 12_000.0) as i16
        } else {
            0
        };
        block.extend_from_slice(&sample.to_le_bytes());
    }
    for _ in 0..samples / period as u64 {
        out.write_all(&block)?;
    }
    out.flush()
}

/// The process's peak resident memory (Linux), in MB.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[test]
fn three_hours_split_at_silences_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("three-hours.wav");
    write_recording(&path).expect("write the recording");

    let plan = ChunkPlan::default();
    let max_ms = plan.max_chunk.as_millis() as u64;
    let mut seen: Vec<(usize, u64, u64)> = Vec::new();
    let mut sink = |chunk: AudioChunk| {
        let samples = (chunk.wav.len() - 44) / 2;
        assert_eq!(
            samples as u64 / 16,
            chunk.duration_ms,
            "chunk {}",
            chunk.index
        );
        seen.push((chunk.index, chunk.offset_ms, chunk.duration_ms));
        // The chunk is dropped here, as a real sink would after uploading it.
        ControlFlow::Continue(())
    };
    let file = std::fs::File::open(&path).expect("open");
    let decoded = decode_to_chunks(file, &plan, &mut sink).expect("decodes");

    assert_eq!(decoded.duration_ms, SECONDS * 1000);
    assert_eq!(decoded.chunks, seen.len());
    assert!(seen.len() >= 18, "{} chunks", seen.len());
    let mut offset = 0;
    for (i, &(index, offset_ms, duration_ms)) in seen.iter().enumerate() {
        assert_eq!(index, i);
        assert_eq!(offset_ms, offset, "chunk {i} does not follow on");
        assert!(duration_ms <= max_ms, "chunk {i} is {duration_ms} ms");
        assert!(duration_ms > 0);
        offset += duration_ms;
        if i + 1 < seen.len() {
            // The cut lies in a silence, clear of the bursts' edges, and in the search window.
            let in_period = offset % PERIOD_MS;
            assert!(
                (BURST_MS + 50..PERIOD_MS - 50).contains(&in_period),
                "chunk {i} ends at {offset} ms"
            );
            assert!(duration_ms >= max_ms - plan.search_window.as_millis() as u64);
        }
    }
    assert_eq!(offset, decoded.duration_ms);

    // Three hours at 16 kHz is 345 MB of samples; one 10-minute chunk is 19 MB.
    if let Some(peak) = peak_rss_mb() {
        assert!(peak < 120, "peak RSS {peak} MB");
    }
}

#[test]
fn a_short_plan_gives_many_chunks() {
    // Not the three-hour file: a 95-second one with 10-second chunks, to check the same rules
    // with a plan other than the default.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("speech-like.wav");
    let rate = 16_000u32;
    let samples: Vec<i16> = (0..95 * rate as usize)
        .map(|i| {
            if i % 24_000 < 16_000 {
                ((i as f32 * 0.05).sin() * 9_000.0) as i16
            } else {
                0
            }
        })
        .collect();
    let mut wav = Vec::new();
    let data_len = (samples.len() * 2) as u32;
    for part in [
        &b"RIFF"[..],
        &(36 + data_len).to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
    ] {
        wav.extend_from_slice(part);
    }
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
    std::fs::write(&path, wav).expect("write");

    let plan = ChunkPlan {
        max_chunk: Duration::from_secs(10),
        search_window: Duration::from_secs(3),
        ..ChunkPlan::default()
    };
    let mut ends = Vec::new();
    let mut sink = |chunk: AudioChunk| {
        ends.push(chunk.offset_ms + chunk.duration_ms);
        ControlFlow::Continue(())
    };
    let decoded = decode_to_chunks(std::fs::File::open(&path).expect("open"), &plan, &mut sink)
        .expect("decodes");
    assert_eq!(decoded.duration_ms, 95_000);
    assert!(decoded.chunks >= 10);
    for end in &ends[..ends.len() - 1] {
        assert!(
            (1_000 + 50..1_500 - 50).contains(&(end % 1_500)),
            "cut at {end} ms"
        );
    }
}
