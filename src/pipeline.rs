//! The one data flow every scanning command shares: a source feeds [`Item`]s to a
//! [`Worker`] per thread; the worker applies the [`Limits`] (binary content), counts the
//! [`Stats`], runs the engine's one entry on each chunk (on each window of a stream, see
//! [`crate::stream`]) and collects findings and warnings. Sources never see the engine; the
//! engine never sees a source.

use std::sync::Mutex;

use crate::chunk::{Chunk, Content, Item, Limits, Origin, OriginKind, Sink, Stats};
use crate::engine::{Engine, Scanner};
use crate::finding::{Finding, FindingKind};
use crate::progress::Progress;
use crate::stream::Found;

/// What a run produced: findings with their origin's tag (unsorted), counts, and warnings
/// for stderr (sorted).
#[derive(Default)]
pub struct Outcome {
    pub found: Vec<(u32, Finding)>,
    pub stats: Stats,
    pub warnings: Vec<String>,
}

impl Outcome {
    /// The findings, without their tags.
    pub fn findings(self) -> Vec<Finding> {
        self.found.into_iter().map(|(_, f)| f).collect()
    }
}

/// Runs `feed`, which drives a source, handing it a way to make one [`Worker`] per thread.
/// With `progress`, a progress line counts `unit`s (`files`, `blobs`).
pub fn run<T>(
    engine: &Engine,
    limits: Limits,
    progress: Option<&'static str>,
    feed: impl for<'w> FnOnce(&'w (dyn Fn() -> Worker<'w> + Sync + 'w)) -> T,
) -> (T, Outcome) {
    let shared = Mutex::new(Outcome::default());
    let out = Progress::run(progress.is_some(), progress.unwrap_or(""), |p| {
        let make = || Worker {
            scanner: engine.scanner(),
            limits,
            progress: p,
            shared: &shared,
            local: Outcome::default(),
        };
        feed(&make)
    });
    let mut outcome = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    outcome.warnings.sort();
    (out, outcome)
}

/// One thread's end of the pipeline. Its results join the run's when it is dropped.
pub struct Worker<'a> {
    scanner: Scanner<'a>,
    limits: Limits,
    progress: Option<&'a Progress>,
    shared: &'a Mutex<Outcome>,
    local: Outcome,
}

impl Sink for Worker<'_> {
    fn take(&mut self, item: Item<'_>) {
        let stats = &mut self.local.stats;
        match item.content {
            Content::Bytes(raw) => {
                let prepared = crate::source::prepare(raw);
                if prepared.binary && self.limits.skip_binary {
                    stats.files_skipped_binary += 1;
                    self.path_only(item.origins);
                    return;
                }
                stats.files_scanned += 1;
                stats.bytes_scanned += raw.len() as u64;
                let chunk = crate::chunk::Chunk {
                    bytes: &prepared.bytes,
                    binary: prepared.binary,
                    origins: item.origins,
                };
                self.scanner.scan(&chunk, &mut self.local.found);
                if let Some((bytes, binary)) = prepared.also {
                    self.also(bytes, binary, item.origins);
                }
                if let Some(p) = self.progress {
                    p.add(raw.len() as u64);
                }
            }
            Content::TooLarge => {
                stats.files_skipped_size += 1;
                self.path_only(item.origins);
            }
            Content::PathOnly => self.path_only(item.origins),
            Content::Unreadable(err) => {
                stats.files_unreadable += 1;
                let msg = match item.origins.first() {
                    None => err,
                    Some(o) => {
                        let shown = self.scanner.printable_path(&o.display);
                        match &o.kind {
                            OriginKind::Blob { commit } => {
                                format!("cannot read {err} ({shown} in commit {commit})")
                            }
                            _ => format!("cannot read {shown}: {err}"),
                        }
                    }
                };
                self.local.warnings.push(msg);
            }
            Content::Special(kind) => {
                for o in item.origins {
                    let shown = self.scanner.printable_path(&o.display);
                    let msg = format!("skipped {shown}: not a regular file ({kind})");
                    self.local.warnings.push(msg);
                }
            }
        }
    }

    /// Content read and scanned in windows.
    fn stream(&mut self, reader: &mut dyn std::io::Read, origins: &[Origin]) {
        let (scanner, progress) = (&mut self.scanner, self.progress);
        let mut scan = |chunk: &Chunk<'_>, out: &mut Found| scanner.scan(chunk, out);
        let mut read = |n| {
            if let Some(p) = progress {
                p.add(n);
            }
        };
        let (skip, found) = (self.limits.skip_binary, &mut self.local.found);
        match crate::stream::scan(reader, origins, skip, &mut read, &mut scan, found) {
            Ok(s) if s.skipped_binary => {
                self.local.stats.files_skipped_binary += 1;
                self.path_only(origins);
            }
            Ok(s) => {
                self.local.stats.files_scanned += 1;
                self.local.stats.bytes_scanned += s.bytes;
            }
            Err(err) => self.take(Item {
                content: Content::Unreadable(err.to_string()),
                origins,
            }),
        }
    }
}

impl Worker<'_> {
    /// Content not scanned: its origins' path rules still apply.
    fn path_only(&mut self, origins: &[Origin]) {
        let chunk = crate::chunk::Chunk {
            bytes: b"",
            binary: false,
            origins,
        };
        self.scanner.scan(&chunk, &mut self.local.found);
    }

    /// The raw bytes behind a UTF-16 BOM that does not look true, scanned as well: content
    /// findings only (the decoded text's scan applied the path rules).
    fn also(&mut self, bytes: &[u8], binary: bool, origins: &[Origin]) {
        if binary && self.limits.skip_binary {
            return;
        }
        let chunk = Chunk {
            bytes,
            binary,
            origins,
        };
        let mut more = Vec::new();
        self.scanner.scan(&chunk, &mut more);
        let content = more
            .into_iter()
            .filter(|(_, f)| f.kind != FindingKind::Path);
        self.local.found.extend(content);
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let local = std::mem::take(&mut self.local);
        shared.found.extend(local.found);
        shared.stats.add(&local.stats);
        shared.warnings.extend(local.warnings);
    }
}
