//! Logging. Logs go to stderr (stdout carries command output, such as a key
//! shown once). Headers are never logged, so neither is any key.

use std::io::IsTerminal;

use myqa_core::config::LogFormat;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=warn";

/// The background writer's guard, held here so that [`flush`] can reach it
/// from anywhere (an immediate exit on a second signal).
static WRITER: std::sync::Mutex<Option<WorkerGuard>> = std::sync::Mutex::new(None);

/// Flushes the log lines written so far when dropped.
pub struct LogFlush(());

impl Drop for LogFlush {
    fn drop(&mut self) {
        flush();
    }
}

/// Writes out every line logged so far and stops the background writer:
/// call it right before `std::process::exit`, which runs no destructors.
pub fn flush() {
    let guard = WRITER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    drop(guard);
}

/// Installs the server's subscriber. Lines are written by a background thread,
/// so a request never waits on a `write(2)` to stderr; the buffer is not lossy
/// (when full, writers wait rather than drop lines). Keep the returned value
/// alive until exit: dropping it flushes what is left.
pub fn init(format: LogFormat) -> Option<LogFlush> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    let installed = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
    installed.ok().map(|()| {
        install_panic_hook();
        *WRITER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(guard);
        LogFlush(())
    })
}

/// Admin commands: warnings and errors only, written directly.
pub fn init_quiet() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Panics are logged through tracing, so a panicking handler's message carries
/// its request id like every other line of the request.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "panic");
    }));
}
