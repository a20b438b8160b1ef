//! A progress line on stderr for long scans: items done, bytes read, throughput. Shown only
//! when asked, or when stderr is a terminal outside CI; redrawn four times a second after
//! the first half second (short scans never show it) and erased when the scan ends.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Counters the sources bump as they go.
pub struct Progress {
    items: AtomicU64,
    bytes: AtomicU64,
    /// What an item is: `files` or `blobs`.
    unit: &'static str,
}

impl Progress {
    /// One more item of `bytes` bytes done.
    pub fn add(&self, bytes: u64) {
        self.items.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn line(&self, elapsed: Duration) -> String {
        let items = self.items.load(Ordering::Relaxed);
        let mb = self.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let rate = mb / elapsed.as_secs_f64().max(1e-3);
        format!(
            "leakguard: {items} {} · {mb:.1} MB · {rate:.0} MB/s",
            self.unit
        )
    }

    /// Runs `work` with a progress line when `enabled`; `work` gets the counters to bump.
    pub fn run<T>(
        enabled: bool,
        unit: &'static str,
        work: impl FnOnce(Option<&Progress>) -> T,
    ) -> T {
        if !enabled {
            return work(None);
        }
        let progress = Progress {
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            unit,
        };
        let done = AtomicBool::new(false);
        let started = Instant::now();
        std::thread::scope(|s| {
            let ticker = s.spawn(|| {
                let mut drawn = false;
                while !done.load(Ordering::Relaxed) {
                    std::thread::park_timeout(Duration::from_millis(250));
                    let elapsed = started.elapsed();
                    if done.load(Ordering::Relaxed) || elapsed < Duration::from_millis(500) {
                        continue;
                    }
                    // Errors writing progress are not worth failing a scan for.
                    let _ = write!(io::stderr(), "\r\x1b[2K{}", progress.line(elapsed));
                    drawn = true;
                }
                if drawn {
                    let _ = write!(io::stderr(), "\r\x1b[2K");
                }
            });
            let result = work(Some(&progress));
            done.store(true, Ordering::Relaxed);
            ticker.thread().unpark();
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rate() {
        let p = Progress {
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            unit: "files",
        };
        p.add(2_000_000);
        p.add(1_000_000);
        assert_eq!(
            p.line(Duration::from_secs(3)),
            "leakguard: 2 files · 3.0 MB · 1 MB/s"
        );
    }

    #[test]
    fn disabled_runs_the_work_without_counters() {
        assert!(Progress::run(false, "files", |p| p.is_none()));
        assert!(Progress::run(true, "files", |p| p.is_some()));
    }
}
