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
    /// Repositories done, and how many there are (an audit's bar); total 0 for none.
    done: AtomicU64,
    total: u64,
}

impl Progress {
    /// One more item of `bytes` bytes done.
    pub fn add(&self, bytes: u64) {
        self.items.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// One more repository done (of the total given to [`Progress::run_counted`]).
    pub fn done_one(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    fn line(&self, elapsed: Duration) -> String {
        let items = self.items.load(Ordering::Relaxed);
        let mb = self.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let rate = mb / elapsed.as_secs_f64().max(1e-3);
        let counts = format!("{items} {} · {mb:.1} MB · {rate:.0} MB/s", self.unit);
        if self.total == 0 {
            return format!("leakguard: {counts}");
        }
        const WIDTH: u64 = 20;
        let (done, total) = (self.done.load(Ordering::Relaxed), self.total);
        let filled = (done * WIDTH / total) as usize;
        let bar = format!(
            "{}{}",
            "#".repeat(filled),
            ".".repeat(WIDTH as usize - filled)
        );
        format!("leakguard: [{bar}] {done}/{total} repositories · {counts}")
    }

    /// Runs `work` with a progress line when `enabled`; `work` gets the counters to bump.
    pub fn run<T>(
        enabled: bool,
        unit: &'static str,
        work: impl FnOnce(Option<&Progress>) -> T,
    ) -> T {
        Progress::run_counted(enabled, unit, 0, work)
    }

    /// [`Progress::run`] with a bar of `total` repositories as well (0: no bar).
    pub fn run_counted<T>(
        enabled: bool,
        unit: &'static str,
        total: usize,
        work: impl FnOnce(Option<&Progress>) -> T,
    ) -> T {
        if !enabled {
            return work(None);
        }
        let progress = Progress {
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            unit,
            done: AtomicU64::new(0),
            total: total as u64,
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
            done: AtomicU64::new(0),
            total: 0,
        };
        p.add(2_000_000);
        p.add(1_000_000);
        assert_eq!(
            p.line(Duration::from_secs(3)),
            "leakguard: 2 files · 3.0 MB · 1 MB/s"
        );
    }

    #[test]
    fn an_audit_shows_repositories_done_of_total() {
        let p = Progress {
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            unit: "blobs",
            done: AtomicU64::new(0),
            total: 4,
        };
        p.add(1_000_000);
        p.done_one();
        assert_eq!(
            p.line(Duration::from_secs(1)),
            "leakguard: [#####...............] 1/4 repositories · 1 blobs · 1.0 MB · 1 MB/s"
        );
    }

    #[test]
    fn disabled_runs_the_work_without_counters() {
        assert!(Progress::run(false, "files", |p| p.is_none()));
        assert!(Progress::run(true, "files", |p| p.is_some()));
    }
}
