//! The one data flow every scanning command shares: a source feeds [`Item`]s to a
//! [`Worker`] per thread; the worker applies the [`Limits`] (binary content), counts the
//! [`Stats`], runs the engine's one entry on each chunk (on each window of a stream, see
//! [`crate::stream`]) and collects findings and warnings. Sources never see the engine; the
//! engine never sees a source.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

use crate::chunk::{Chunk, Content, Item, Limits, Origin, OriginKind, Since, Sink, Stats};
use crate::engine::{Engine, Scanner};
use crate::finding::{Finding, FindingKind};
use crate::progress::Progress;
use crate::source::archive::{self, Budget, Data};
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
    Progress::run(progress.is_some(), progress.unwrap_or(""), |p| {
        run_with(engine, limits, p, feed)
    })
}

/// [`run`] counting into a progress line the caller shows (an audit's, across
/// repositories).
pub fn run_with<T>(
    engine: &Engine,
    limits: Limits,
    progress: Option<&Progress>,
    feed: impl for<'w> FnOnce(&'w (dyn Fn() -> Worker<'w> + Sync + 'w)) -> T,
) -> (T, Outcome) {
    let shared = Mutex::new(Outcome::default());
    let make = || Worker {
        scanner: engine.scanner(),
        limits,
        progress,
        shared: &shared,
        local: Outcome::default(),
    };
    let out = feed(&make);
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
        match item.content {
            Content::Bytes(raw) => self.bytes(raw, item.origins, 0, None),
            Content::TooLarge => {
                self.local.stats.files_skipped_size += 1;
                self.path_only(item.origins);
            }
            Content::PathOnly => self.path_only(item.origins),
            Content::Unreadable(err) => {
                self.local.stats.files_unreadable += 1;
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
    fn stream(&mut self, reader: &mut dyn Read, origins: &[Origin]) {
        // An archive is read whole (up to the size limit) and opened: windows of its
        // compressed bytes would find nothing.
        let mut head = Vec::new();
        if self.limits.archive_depth > 0 {
            let read = reader.take(512).read_to_end(&mut head).and_then(|_| {
                if archive::sniff(&head).is_none() {
                    return Ok(false);
                }
                let room = (self.limits.max_file_size + 1).saturating_sub(head.len() as u64);
                reader.take(room).read_to_end(&mut head)?;
                Ok(self.limits.admits(head.len() as u64))
            });
            match read {
                Ok(true) => return self.bytes(&head, origins, 0, None),
                Ok(false) => {}
                Err(err) => {
                    let content = Content::Unreadable(err.to_string());
                    return self.take(Item { content, origins });
                }
            }
        }
        let reader = &mut std::io::Cursor::new(head).chain(reader);
        let (scanner, progress) = (&mut self.scanner, self.progress);
        let mut scan = |chunk: &Chunk<'_>, out: &mut Found| scanner.scan(chunk, out);
        let mut read = |n| {
            if let Some(p) = progress {
                p.add(n);
            }
        };
        let (skip, found) = (self.limits.skip_binary, &mut self.local.found);
        let streamed = crate::stream::scan(reader, origins, skip, &mut read, &mut scan, found);
        self.overrun(origins);
        match streamed {
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
    /// Scans bytes found at `origins`, `depth` archives deep; an archive is opened instead
    /// (sharing `budget` with the archive it is in).
    fn bytes(&mut self, raw: &[u8], origins: &[Origin], depth: u8, budget: Option<&mut Budget>) {
        if depth < self.limits.archive_depth {
            if let Some(format) = archive::sniff(raw) {
                if self.archive(raw, format, origins, depth, budget) {
                    return;
                }
            }
        }
        let stats = &mut self.local.stats;
        let prepared = crate::source::prepare(raw);
        if prepared.binary && self.limits.skip_binary {
            stats.files_skipped_binary += 1;
            self.path_only(origins);
            return;
        }
        stats.files_scanned += 1;
        stats.bytes_scanned += raw.len() as u64;
        let chunk = crate::chunk::Chunk {
            bytes: &prepared.bytes,
            binary: prepared.binary,
            origins,
        };
        self.scanner.scan(&chunk, &mut self.local.found);
        if let Some((bytes, binary)) = prepared.also {
            self.also(bytes, binary, origins);
        }
        self.overrun(origins);
        if let Some(p) = self.progress.filter(|_| depth == 0) {
            p.add(raw.len() as u64);
        }
    }

    /// Scans the files in an archive at their inner origins (`app.jar!/x`), and the
    /// archive's own path rules. False when the bytes are not an archive after all.
    fn archive(
        &mut self,
        raw: &[u8],
        format: archive::Format,
        origins: &[Origin],
        depth: u8,
        budget: Option<&mut Budget>,
    ) -> bool {
        let mut own = Budget::DEFAULT;
        let budget = budget.unwrap_or(&mut own);
        let name = origins.first().map_or("", |o| o.path.as_str());
        let old = old_entries(origins);
        let max_entry = self.limits.max_file_size;
        let result = archive::expand(raw, format, name, max_entry, budget, &mut |e, b| {
            let since = |n: &[u8]| old.as_ref()?.get(n).cloned().map(Since::Bytes);
            let inner: Vec<Origin> = origins
                .iter()
                .map(|o| o.inner(e.name, since(e.name)))
                .collect();
            match e.data {
                Data::Bytes(bytes) => self.bytes(bytes, &inner, depth + 1, Some(b)),
                Data::TooLarge => {
                    self.local.stats.files_skipped_size += 1;
                    self.path_only(&inner);
                }
                Data::Skipped(err) => {
                    self.local.stats.archive_entries_skipped += 1;
                    if let Some(o) = inner.first() {
                        let shown = self.scanner.printable_path(&o.display);
                        let msg = format!("skipped {shown}: {err}");
                        self.local.warnings.push(msg);
                    }
                    self.path_only(&inner);
                }
            }
        });
        let Ok(stopped) = result else {
            return false;
        };
        self.local.stats.archives += 1;
        if let Some(stop) = stopped {
            self.local.stats.archives_limited += 1;
            if let Some(o) = origins.first() {
                let shown = self.scanner.printable_path(&o.display);
                let msg = format!("{shown}: archive not read to its end: {}", stop.reason());
                self.local.warnings.push(msg);
            }
        }
        self.path_only(origins);
        if let Some(p) = self.progress.filter(|_| depth == 0) {
            p.add(raw.len() as u64);
        }
        true
    }

    /// Content a rule could not finish (its regex overran its work budget) was not fully
    /// scanned: it counts as unreadable, so the run is incomplete (exit 2), with a warning
    /// naming the rules.
    fn overrun(&mut self, origins: &[Origin]) {
        let rules = self.scanner.take_overrun();
        if rules.is_empty() {
            return;
        }
        self.local.stats.files_unreadable += 1;
        let shown = match origins.first() {
            Some(o) => self.scanner.printable_path(&o.display).into_owned(),
            None => String::new(),
        };
        let rules = rules.join("`, `");
        self.local.warnings.push(format!(
            "{shown} not fully scanned: rule `{rules}` reached its regex work limit (a pattern \
             that rescans a long line per match); the scan is incomplete"
        ));
    }

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

/// The entries of the archive a staged archive replaces, by name: each entry's findings are
/// new only where that entry's old bytes did not hold them.
fn old_entries(origins: &[Origin]) -> Option<HashMap<Vec<u8>, Vec<u8>>> {
    let [o] = origins else { return None };
    let OriginKind::Staged {
        since: Some(Since::Bytes(old)),
    } = &o.kind
    else {
        return None;
    };
    let format = archive::sniff(old)?;
    let mut entries = HashMap::new();
    let mut budget = Budget::DEFAULT;
    let mut keep = |e: archive::Entry<'_>, _: &mut Budget| {
        if let Data::Bytes(b) = e.data {
            entries.insert(e.name.to_vec(), b.to_vec());
        }
    };
    archive::expand(old, format, &o.path, u64::MAX, &mut budget, &mut keep).ok()?;
    Some(entries)
}
