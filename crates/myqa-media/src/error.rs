//! The one error type of this crate.

/// Why a file cannot be used.
///
/// The messages are written to complete a sentence such as "file `recording.mp3` cannot be
/// decoded: {error}", so the HTTP layer can return them as they are. The same variants serve
/// audio and the SnapReport evidence readers (PDF, images, text), so the prefixes name no
/// medium; the detail after the colon does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The bytes are not one of the accepted audio formats; holds what they look like instead
    /// (`"image/png"`, `"text/plain"`, …).
    #[error("it is not audio in an accepted format (it looks like {0})")]
    NotAudio(String),
    /// An accepted format holding something this service cannot read (an unsupported codec, no
    /// audio track, an absurd sample rate, an encrypted PDF, an image too large to decode…).
    #[error("unsupported content: {0}")]
    Unsupported(String),
    /// The data is damaged: the container, the codec data or the document does not parse (or
    /// its parser gave up on it).
    #[error("the data is corrupt: {0}")]
    Corrupt(String),
    /// The file is longer than a reader accepts (evidence readers bound what they load).
    #[error("it is larger than the limit of {}", bytes(*.limit))]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The decoded audio is longer than the plan allows.
    #[error("the recording is longer than the limit of {}", human(.limit))]
    TooLong {
        /// The limit that was passed.
        limit: std::time::Duration,
    },
    /// The caller's [`ChunkPlan`](crate::ChunkPlan) is out of bounds: a programming error, not
    /// a property of the file.
    #[error("invalid chunk plan: {0}")]
    InvalidPlan(String),
    /// The chunk sink asked to stop; the chunks it received before are all there is.
    #[error("decoding was stopped by the caller")]
    Cancelled,
    /// Reading the file failed.
    #[error("reading it failed: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    /// `true` for errors that say something about the file (reject it with 400), `false` for
    /// the service's own failures and the caller's decisions.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            MediaError::NotAudio(_)
                | MediaError::Unsupported(_)
                | MediaError::Corrupt(_)
                | MediaError::TooLong { .. }
                | MediaError::TooLarge { .. }
        )
    }
}

/// "24 h", "90 min", "45 s".
fn human(duration: &std::time::Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// "10 MiB", "512 KiB", "100 bytes".
fn bytes(count: u64) -> String {
    match count {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}
