//! Splits an audio file into 16 kHz mono WAV chunks of at most 10 minutes, cut at pauses:
//! `cargo run --release -p myqa-media --example split_file -- FILE OUTDIR`.
//!
//! Used by `bench/audio_decode.sh` to compare with ffmpeg doing the same conversion.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use myqa_media::{AudioChunk, ChunkPlan, decode_to_chunks, probe_file};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, out_dir] = args.as_slice() else {
        eprintln!("usage: split_file FILE OUTDIR");
        return ExitCode::from(2);
    };
    match run(file.into(), out_dir.into()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{file} cannot be decoded: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(file: PathBuf, out_dir: PathBuf) -> Result<(), String> {
    let open = || std::fs::File::open(&file).map_err(|e| e.to_string());
    let info = probe_file(open()?).map_err(|e| e.to_string())?;
    eprintln!(
        "{}: {} {} Hz, {} channel(s)",
        info.format, info.codec, info.sample_rate, info.channels
    );
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let mut write_error = None;
    let mut sink = |chunk: AudioChunk| {
        let path = out_dir.join(format!("{:03}.wav", chunk.index));
        eprintln!(
            "{}: {} ms + {} ms",
            path.display(),
            chunk.offset_ms,
            chunk.duration_ms
        );
        match std::fs::write(&path, &chunk.wav) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                write_error = Some(format!("writing {}: {e}", path.display()));
                ControlFlow::Break(())
            }
        }
    };
    let decoded = decode_to_chunks(open()?, &ChunkPlan::default(), &mut sink);
    if let Some(message) = write_error {
        return Err(message);
    }
    let decoded = decoded.map_err(|e| e.to_string())?;
    eprintln!(
        "{} ms of {} in {} chunk(s)",
        decoded.duration_ms, decoded.format, decoded.chunks
    );
    Ok(())
}
