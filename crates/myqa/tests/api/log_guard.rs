//! No log line of the whole suite may carry an API key or a secret.
//!
//! Two kinds of log are checked:
//!
//! - **In-process applications** (`TestApp`) log through this test binary's
//!   tracing: [`install`] sets a JSON subscriber (our crates at `debug`, the
//!   rest at `warn`) whose writer checks every line as it is written and keeps
//!   the offending ones. Every `TestApp` asserts, when it is dropped, that none
//!   was kept — so a leak fails the test that caused it (or, when a late line
//!   of a concurrent test is caught, the next test to finish).
//! - **Server processes** (`ServerProcess`): all captured stderr, and stdout
//!   apart from the bare key `--bootstrap` prints, is checked when the
//!   process is stopped, killed or dropped.
//!
//! A line leaks when it holds `myqa_` followed by exactly 32 letters and
//! digits (the shape of every API key, known or not), the 32-character body
//! of a key the suite created, or a secret the suite registered with
//! [`remember`]: callback secrets sent through `TestApp::post_json`, provider
//! API keys of test configurations, and a few fixed ones. Secrets shorter
//! than 8 characters are not registered (they would match ordinary words).

use std::collections::HashSet;
use std::io;
use std::sync::{LazyLock, Mutex, Once, RwLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

const MIN_SECRET_LEN: usize = 8;
const KEY_PREFIX: &[u8] = b"myqa_";
const KEY_BODY_LEN: usize = 32;
/// Leaking lines kept for the report (more are counted only).
const KEPT: usize = 20;

#[derive(Default)]
struct Secrets {
    key_bodies: HashSet<String>,
    others: Vec<String>,
}

static SECRETS: LazyLock<RwLock<Secrets>> = LazyLock::new(Default::default);
static LEAKS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Registers a secret that must never be logged. An API key is registered by
/// its body too (a log could drop the prefix).
pub fn remember(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if let Some(body) = key_body(secret) {
        secrets.key_bodies.insert(body.to_owned());
    } else if !secrets.others.iter().any(|s| s == secret) {
        secrets.others.push(secret.to_owned());
    }
}

/// Registers every API key found in `text` (command output showing one).
pub fn remember_keys_in(text: &str) {
    for (start, end) in alnum_runs(text.as_bytes()) {
        if end - start == KEY_BODY_LEN && text.as_bytes()[..start].ends_with(KEY_PREFIX) {
            remember(&text[start - KEY_PREFIX.len()..end]);
        }
    }
}

/// A line that is an API key and nothing else (`--bootstrap` shows one).
pub fn is_bare_key(line: &str) -> bool {
    key_body(line.trim()).is_some()
}

fn key_body(secret: &str) -> Option<&str> {
    let body = secret.strip_prefix("myqa_")?;
    (body.len() == KEY_BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(body)
}

/// Spans `[start, end)` of ASCII letters and digits.
fn alnum_runs(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        Some((start, i))
    })
}

/// What `line` leaks, described without repeating it.
pub fn leaks_in(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut found = Vec::new();
    for (start, end) in alnum_runs(bytes) {
        if end - start != KEY_BODY_LEN {
            continue;
        }
        if bytes[..start].ends_with(KEY_PREFIX) {
            found.push(format!("an API key at byte {}", start - KEY_PREFIX.len()));
        } else if secrets.key_bodies.contains(&line[start..end]) {
            found.push(format!("the body of a known API key at byte {start}"));
        }
    }
    for secret in &secrets.others {
        if let Some(at) = line.find(secret.as_str()) {
            found.push(format!(
                "a registered secret of {} characters at byte {at}",
                secret.len()
            ));
        }
    }
    found
}

/// `line` with every registered secret and key-shaped run masked, for
/// failure messages.
fn masked(line: &str) -> String {
    let mut out = line.to_owned();
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    for secret in &secrets.others {
        out = out.replace(secret.as_str(), "«secret»");
    }
    for body in &secrets.key_bodies {
        out = out.replace(body.as_str(), "«key»");
    }
    let mut masked = String::with_capacity(out.len());
    let mut last = 0;
    for (start, end) in alnum_runs(out.as_bytes()) {
        if end - start == KEY_BODY_LEN {
            masked.push_str(&out[last..start]);
            masked.push_str("«32»");
            last = end;
        }
    }
    masked.push_str(&out[last..]);
    masked
}

/// Panics naming every line of `lines` that leaks; `origin` says whose.
pub fn check_lines<'a>(origin: &str, lines: impl IntoIterator<Item = &'a str>) {
    let report: Vec<String> = lines
        .into_iter()
        .filter_map(|line| {
            let leaks = leaks_in(line);
            (!leaks.is_empty()).then(|| format!("{}: {}", leaks.join(", "), masked(line)))
        })
        .collect();
    assert!(
        report.is_empty(),
        "{origin} logged secrets:\n{}",
        report.join("\n")
    );
}

/// Installs the test binary's subscriber, once.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing::subscriber::set_global_default(subscriber(&LEAKS));
    });
}

/// JSON lines like the server's (`MYQA_LOG_FORMAT=json`), with every span of
/// the line, checked as they are written; leaking lines go to `leaks`.
fn subscriber(leaks: &'static Mutex<Vec<String>>) -> impl tracing::Subscriber + Send + Sync {
    let filter = EnvFilter::new(
        "warn,myqa=debug,myqa_core=debug,myqa_http=debug,myqa_store=debug,\
         myqa_worker=debug,myqa_ai=debug,myqa_webhook=debug,myqa_media=debug",
    );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(CheckingWriter(leaks))
        .finish()
}

/// Fails when any in-process line caught so far leaked; the lines are
/// reported once.
pub fn assert_clean() {
    let leaks = std::mem::take(&mut *LEAKS.lock().unwrap_or_else(|e| e.into_inner()));
    assert!(
        leaks.is_empty(),
        "an in-process application logged secrets:\n{}",
        leaks.join("\n")
    );
}

/// Checks each formatted line, keeps it in its sink if it leaks, and drops
/// it.
#[derive(Clone, Copy)]
struct CheckingWriter(&'static Mutex<Vec<String>>);

impl<'a> MakeWriter<'a> for CheckingWriter {
    type Writer = CheckingWriter;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

impl io::Write for CheckingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        for line in text.lines() {
            let leaks = leaks_in(line);
            if !leaks.is_empty() {
                let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() < KEPT {
                    kept.push(format!("{}: {}", leaks.join(", "), masked(line)));
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_checker_finds_keys_and_secrets() {
    let key = myqa_core::ApiKeySecret::generate().expose().to_owned();
    assert!(!leaks_in(&format!("{{\"auth\":\"Bearer {key}\"}}")).is_empty());
    // A key never seen: caught by its shape.
    assert!(!leaks_in(&format!("x={key}.")).is_empty());
    // A known key without its prefix.
    remember(&key);
    assert!(!leaks_in(&format!("body {}", &key[5..])).is_empty());
    remember("whsec_c2VjcmV0IG9mIHRoZSBjaGVja2Vy");
    assert!(!leaks_in("signed with whsec_c2VjcmV0IG9mIHRoZSBjaGVja2Vy").is_empty());
    assert!(masked(&format!("k={key}")).contains("«key»") || masked(&key).contains("«32»"));
    let leaked = format!("{{\"message\":\"x\",\"key\":\"{key}\"}}");
    let report = std::panic::catch_unwind(|| check_lines("a server", [leaked.as_str()]));
    assert!(report.is_err(), "a leaking server log fails its test");
    // Ordinary lines pass: ids, database names, short words.
    remember("short");
    for line in [
        "myqa_test_0123456789abcdef0123456789abcdef",
        "msg_0123456789abcdef0123456789abcdef",
        "job 0191c1d2-7a3b-7c4d-8e5f-0123456789ab short",
        "myqa_revisions",
    ] {
        assert!(leaks_in(line).is_empty(), "{line}");
    }
}

#[test]
fn in_process_lines_are_checked_with_their_spans() {
    static CAUGHT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let key = myqa_core::ApiKeySecret::generate().expose().to_owned();
    tracing::subscriber::with_default(subscriber(&CAUGHT), || {
        let span = tracing::info_span!(target: "myqa_http", "request", header = %key);
        let _entered = span.enter();
        tracing::info!(target: "myqa_http", "an innocent message");
        // Outside our crates only warnings are kept, and checked.
        tracing::info!(target: "hyper", "filtered out {key}");
    });
    let caught = CAUGHT.lock().unwrap();
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert!(caught[0].contains("an innocent message"), "{caught:?}");
    assert!(!caught[0].contains(&key[5..]), "reports mask what leaked");
}
