//! The committed fixtures (made by `scripts/make-audio-fixtures.sh`): one short spoken sentence
//! in every accepted format, a corrupt MP3 and a PNG named `.mp3`.

use std::ops::ControlFlow;
use std::path::PathBuf;

use myqa_media::{
    AudioChunk, AudioFormat, ChunkPlan, Decoded, MediaError, Sniffed, decode_to_chunks, probe,
    probe_file, sniff,
};

/// Every speech fixture, its format, and its length in ms as ffmpeg decodes it (printed by the
/// fixture script). ffprobe's container figure is close to these for all but ADTS, where it is a
/// bitrate estimate (4282 ms).
const SPEECH: [(&str, AudioFormat, u64); 9] = [
    ("speech.mp3", AudioFormat::Mp3, 4616),
    ("speech.wav", AudioFormat::Wav, 4616),
    ("speech.aac", AudioFormat::Aac, 4736),
    ("speech.flac", AudioFormat::Flac, 4616),
    ("speech.ogg", AudioFormat::OggVorbis, 4616),
    ("speech.opus", AudioFormat::OggOpus, 4616),
    ("speech.webm", AudioFormat::WebM, 4616),
    ("speech.m4a", AudioFormat::M4a, 4620),
    ("speech.mp4", AudioFormat::Mp4, 4650),
];

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).expect("fixture present")
}

fn open(name: &str) -> std::fs::File {
    std::fs::File::open(path(name)).expect("fixture present")
}

/// Decodes with the default plan, collecting the chunks.
fn decode(file: std::fs::File) -> (Result<Decoded, MediaError>, Vec<AudioChunk>) {
    let mut chunks = Vec::new();
    let mut sink = |chunk: AudioChunk| {
        chunks.push(chunk);
        ControlFlow::Continue(())
    };
    let result = decode_to_chunks(file, &ChunkPlan::default(), &mut sink);
    (result, chunks)
}

/// Checks a chunk's WAV header: RIFF/WAVE, PCM, mono, 16 kHz, 16 bits. Returns its samples.
fn wav_samples(wav: &[u8]) -> usize {
    let u16_at = |at: usize| u16::from_le_bytes([wav[at], wav[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes([wav[at], wav[at + 1], wav[at + 2], wav[at + 3]]);
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(u32_at(4) as usize, wav.len() - 8);
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(u32_at(16), 16);
    assert_eq!(u16_at(20), 1, "PCM");
    assert_eq!(u16_at(22), 1, "mono");
    assert_eq!(u32_at(24), 16_000, "sample rate");
    assert_eq!(u32_at(28), 32_000, "byte rate");
    assert_eq!(u16_at(32), 2, "block align");
    assert_eq!(u16_at(34), 16, "bits per sample");
    assert_eq!(&wav[36..40], b"data");
    assert_eq!(u32_at(40) as usize, wav.len() - 44);
    (wav.len() - 44) / 2
}

#[test]
fn sniff_recognises_every_fixture() {
    for (name, format, _) in SPEECH {
        let file = bytes(name);
        assert_eq!(sniff(&file), Sniffed::Audio(format), "{name}");
        assert_eq!(
            sniff(&file[..file.len().min(8 * 1024)]),
            Sniffed::Audio(format),
            "{name}"
        );
    }
    assert_eq!(
        sniff(&bytes("picture.mp3")),
        Sniffed::Other("image/png".to_owned())
    );
    assert_eq!(
        sniff(&bytes("corrupt.mp3")),
        Sniffed::Audio(AudioFormat::Mp3)
    );
    assert_eq!(
        sniff(b"Auditor: the calibration certificate has expired.\n"),
        Sniffed::Other("text/plain".to_owned())
    );
    assert!(matches!(sniff(b""), Sniffed::Other(_)));
}

#[test]
fn probe_accepts_every_fixture() {
    for (name, format, _) in SPEECH {
        let info = probe(&bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.format, format, "{name}");
        assert_eq!(info.channels, 1, "{name}");
        assert!(
            (8_000..=48_000).contains(&info.sample_rate),
            "{name}: {info:?}"
        );
        let by_file = probe_file(open(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(by_file, info, "{name}");
    }
    let codecs: Vec<String> = SPEECH
        .iter()
        .map(|(name, ..)| probe(&bytes(name)).map(|i| i.codec).unwrap_or_default())
        .collect();
    assert_eq!(codecs[0], "mp3");
    assert_eq!(codecs[5], "opus");
    assert_eq!(codecs[6], "opus");
}

#[test]
fn probe_rejects_the_corrupt_and_the_picture() {
    let corrupt = probe(&bytes("corrupt.mp3")).expect_err("corrupt.mp3 must not probe");
    assert!(matches!(corrupt, MediaError::Corrupt(_)), "{corrupt:?}");
    let picture = probe(&bytes("picture.mp3")).expect_err("a PNG is not audio");
    assert!(
        matches!(&picture, MediaError::NotAudio(what) if what == "image/png"),
        "{picture:?}"
    );
    assert!(matches!(probe(b""), Err(MediaError::NotAudio(_))));
    assert!(matches!(
        probe(b"just some words"),
        Err(MediaError::NotAudio(_))
    ));
}

#[test]
fn every_fixture_decodes_to_one_16khz_mono_chunk_of_the_right_length() {
    for (name, format, expected_ms) in SPEECH {
        let (result, chunks) = decode(open(name));
        let decoded = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded.format, format, "{name}");
        assert_eq!((decoded.chunks, chunks.len()), (1, 1), "{name}");
        let chunk = &chunks[0];
        assert_eq!((chunk.index, chunk.offset_ms), (0, 0), "{name}");
        assert_eq!(chunk.duration_ms, decoded.duration_ms, "{name}");
        let samples = wav_samples(&chunk.wav);
        assert_eq!(samples as u64 / 16, decoded.duration_ms, "{name}");
        let error = decoded.duration_ms.abs_diff(expected_ms) as f64 / expected_ms as f64;
        assert!(
            error <= 0.10,
            "{name}: {} ms, expected {expected_ms} ms",
            decoded.duration_ms
        );
        // It is speech, not silence or noise at full scale.
        let pcm = &chunk.wav[44..];
        let rms = (pcm
            .chunks_exact(2)
            .map(|p| f64::from(i16::from_le_bytes([p[0], p[1]])).powi(2))
            .sum::<f64>()
            / samples as f64)
            .sqrt();
        assert!((500.0..10_000.0).contains(&rms), "{name}: rms {rms}");
    }
}

#[test]
fn decode_rejects_the_corrupt_and_the_picture() {
    let (result, chunks) = decode(open("corrupt.mp3"));
    assert!(matches!(result, Err(MediaError::Corrupt(_))), "{result:?}");
    assert!(chunks.is_empty());
    let (result, chunks) = decode(open("picture.mp3"));
    assert!(matches!(result, Err(MediaError::NotAudio(_))), "{result:?}");
    assert!(chunks.is_empty());
}

#[test]
fn a_file_cut_in_half_decodes_what_is_there_or_errors_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, _, expected_ms) in SPEECH {
        let file = bytes(name);
        for cut in [file.len() / 2, file.len() / 3, 40, 5] {
            let truncated = dir.path().join(format!("{cut}-{name}"));
            std::fs::write(&truncated, &file[..cut]).expect("write");
            let _ = probe(&file[..cut]);
            let (result, chunks) = decode(std::fs::File::open(&truncated).expect("open"));
            match result {
                Ok(decoded) => {
                    assert!(
                        decoded.duration_ms <= expected_ms + 100,
                        "{name} cut at {cut}"
                    );
                    assert_eq!(
                        chunks.iter().map(|c| c.duration_ms).sum::<u64>(),
                        decoded.duration_ms
                    );
                }
                Err(e) => assert!(e.is_bad_input(), "{name} cut at {cut}: {e:?}"),
            }
        }
    }
}

#[test]
fn breaking_the_sink_cancels() {
    let mut sink = |_chunk: AudioChunk| ControlFlow::Break(());
    let result = decode_to_chunks(open("speech.flac"), &ChunkPlan::default(), &mut sink);
    assert!(matches!(result, Err(MediaError::Cancelled)), "{result:?}");
}

#[test]
fn garbage_after_a_valid_header_never_panics() {
    // Every fixture with its body overwritten by a fixed pseudo-random pattern, at several
    // offsets: errors are fine, panics are not (they are caught and reported as Corrupt).
    let dir = tempfile::tempdir().expect("temp dir");
    let mut state = 0x2545_F491_u32;
    for (name, ..) in SPEECH {
        let file = bytes(name);
        for keep in [16, 64, 200, 1_000, file.len() / 2] {
            let mut damaged = file.clone();
            for byte in &mut damaged[keep.min(file.len())..] {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                *byte = state as u8;
            }
            let _ = probe(&damaged);
            let path = dir.path().join(format!("{keep}-{name}"));
            std::fs::write(&path, &damaged).expect("write");
            let (result, _) = decode(std::fs::File::open(&path).expect("open"));
            if let Err(e) = result {
                assert!(e.is_bad_input(), "{name} damaged after {keep}: {e:?}");
            }
        }
    }
}

/// A WAV header with the given format fields, followed by `data` bytes of silence.
fn wav_with(format: u16, channels: u16, rate: u32, bits: u16, data: usize) -> Vec<u8> {
    let block_align = channels.wrapping_mul(bits / 8);
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + data as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&format.to_le_bytes());
    wav.extend_from_slice(&channels.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&rate.wrapping_mul(u32::from(block_align)).to_le_bytes());
    wav.extend_from_slice(&block_align.to_le_bytes());
    wav.extend_from_slice(&bits.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data as u32).to_le_bytes());
    wav.resize(wav.len() + data, 0);
    wav
}

#[test]
fn absurd_headers_are_refused_not_obeyed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("rate 0", wav_with(1, 1, 0, 16, 1_000)),
        ("rate 4 GHz", wav_with(1, 1, u32::MAX, 16, 1_000)),
        ("rate 500", wav_with(1, 1, 500, 16, 1_000)),
        ("0 channels", wav_with(1, 0, 16_000, 16, 1_000)),
        ("1000 channels", wav_with(1, 1_000, 16_000, 16, 64_000)),
        (
            "format 0x55 (MP3 in WAV)",
            wav_with(0x55, 1, 16_000, 16, 1_000),
        ),
        ("no samples", wav_with(1, 1, 16_000, 16, 0)),
        ("4 GB declared, 1 KB present", {
            let mut wav = wav_with(1, 1, 16_000, 16, 1_000);
            wav[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
            wav
        }),
        ("ID3 tag declaring 256 MB", {
            let mut mp3 = b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f".to_vec();
            mp3.extend_from_slice(&bytes("speech.mp3")[20..]);
            mp3
        }),
    ];
    for (what, bytes) in cases {
        let _ = probe(&bytes);
        let path = dir.path().join("case");
        std::fs::write(&path, &bytes).expect("write");
        let (result, chunks) = decode(std::fs::File::open(&path).expect("open"));
        match result {
            // A header that lies about the length but is otherwise sane yields what is there.
            Ok(decoded) => {
                assert_eq!(what, "4 GB declared, 1 KB present", "{what}: {decoded:?}");
                assert_eq!(decoded.duration_ms, 31);
                assert_eq!(chunks.len(), 1);
            }
            Err(e) => assert!(e.is_bad_input(), "{what}: {e:?}"),
        }
    }
}

#[test]
fn stereo_is_mixed_down_and_8_bit_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 1 s of stereo 44.1 kHz: left +0.5, right −0.5 → silence once mixed; then left only.
    let mut wav = wav_with(1, 2, 44_100, 16, 0);
    for i in 0..88_200 {
        let (left, right) = if i < 44_100 {
            (16_384i16, -16_384i16)
        } else {
            (16_384, 0)
        };
        wav.extend_from_slice(&left.to_le_bytes());
        wav.extend_from_slice(&right.to_le_bytes());
    }
    let data_len = (wav.len() - 44) as u32;
    wav[40..44].copy_from_slice(&data_len.to_le_bytes());
    wav[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    let path = dir.path().join("stereo.wav");
    std::fs::write(&path, &wav).expect("write");
    let info = probe(&wav).expect("probes");
    assert_eq!((info.channels, info.sample_rate), (2, 44_100));
    let (result, chunks) = decode(std::fs::File::open(&path).expect("open"));
    assert_eq!(result.expect("decodes").duration_ms, 2_000);
    let pcm: Vec<i16> = chunks[0].wav[44..]
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect();
    assert!(
        pcm[1_000..15_000].iter().all(|s| s.abs() <= 2),
        "opposite channels cancel"
    );
    let steady = &pcm[17_000..31_000];
    assert!(
        steady.iter().all(|s| (8_100..=8_300).contains(s)),
        "half of the left channel"
    );
}
