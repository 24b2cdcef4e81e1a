//! Whether a process's background loops are alive, for `/readyz`.
//!
//! Each loop (job runner, webhook deliverer, janitor) holds a [`Heartbeat`]
//! and beats it every time round. The registry keeps only a weak reference:
//! a loop that ends — it returned, or its task panicked — drops its heartbeat
//! and shows as stopped at once; one that stops beating for longer than its
//! `stale_after` shows as stalled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The loops of one process.
#[derive(Debug, Default)]
pub struct Liveness {
    loops: Mutex<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    name: &'static str,
    stale_after: Duration,
    beat: Weak<Beat>,
}

#[derive(Debug)]
struct Beat {
    origin: Instant,
    /// Milliseconds from `origin` to the last beat.
    last: AtomicU64,
}

impl Beat {
    fn since_last(&self) -> Duration {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last)
    }
}

/// A loop's pulse. Not `Clone`: the loop owns it, so it lives exactly as
/// long as the loop.
#[derive(Debug)]
pub struct Heartbeat(Arc<Beat>);

impl Heartbeat {
    pub fn beat(&self) {
        let now = u64::try_from(self.0.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last.store(now, Ordering::Relaxed);
    }
}

impl Liveness {
    /// Registers a loop called `name` that beats at least every
    /// `stale_after` while it is healthy. It counts as having just beaten.
    pub fn register(&self, name: &'static str, stale_after: Duration) -> Heartbeat {
        let beat = Arc::new(Beat {
            origin: Instant::now(),
            last: AtomicU64::new(0),
        });
        self.loops
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Entry {
                name,
                stale_after,
                beat: Arc::downgrade(&beat),
            });
        Heartbeat(beat)
    }

    /// Whether this process runs any loops at all (an API-only process
    /// does not).
    pub fn has_loops(&self) -> bool {
        !self
            .loops
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_empty()
    }

    /// What is wrong with the loops, one phrase each (`job runner stopped`,
    /// `janitor silent for 95 s`); empty when every loop is alive.
    pub fn problems(&self) -> Vec<String> {
        let loops = self
            .loops
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loops
            .iter()
            .filter_map(|entry| match entry.beat.upgrade() {
                None => Some(format!("{} stopped", entry.name)),
                Some(beat) => {
                    let silent = beat.since_last();
                    (silent > entry.stale_after)
                        .then(|| format!("{} silent for {} s", entry.name, silent.as_secs()))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beating_loop_is_alive() {
        let liveness = Liveness::default();
        assert!(!liveness.has_loops());
        let heartbeat = liveness.register("job runner", Duration::from_secs(60));
        heartbeat.beat();
        assert!(liveness.has_loops());
        assert!(liveness.problems().is_empty());
    }

    #[test]
    fn a_loop_that_ended_is_stopped() {
        let liveness = Liveness::default();
        let heartbeat = liveness.register("job runner", Duration::from_secs(60));
        let _other = liveness.register("janitor", Duration::from_secs(60));
        drop(heartbeat);
        assert_eq!(liveness.problems(), vec!["job runner stopped".to_owned()]);
    }

    #[test]
    fn a_silent_loop_is_stalled() {
        let liveness = Liveness::default();
        let heartbeat = liveness.register("webhook deliverer", Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            liveness.problems(),
            vec!["webhook deliverer silent for 0 s".to_owned()]
        );
        drop(heartbeat);
    }

    #[test]
    fn a_loop_whose_task_panicked_is_stopped() {
        let liveness = Arc::new(Liveness::default());
        let heartbeat = liveness.register("janitor", Duration::from_secs(60));
        let _ = std::thread::spawn(move || {
            heartbeat.beat();
            panic!("the loop dies");
        })
        .join();
        assert_eq!(liveness.problems(), vec!["janitor stopped".to_owned()]);
    }
}
