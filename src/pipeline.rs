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
                // The error may quote a name (a walk error, a gix error): escaped, redacted.
                let err = self
                    .scanner
                    .printable_path(&crate::printable::text(&err))
                    .into_owned();
                let msg = match item.origins.first() {
                    None => err,
                    Some(o) => {
                        let shown = self.scanner.printable_path(&o.display);
                        match &o.kind {
                            OriginKind::Blob { commit } => {
                                format!("cannot read {err} ({shown} in commit {commit})")
                            }
                            OriginKind::Commit { .. } => format!("cannot read {err}"),
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
                read_stepwise(&mut reader.take(room), &mut head)?;
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
        self.windows(reader, origins, true);
    }
}

impl Worker<'_> {
    /// Scans `reader` to its end in windows ([`crate::stream`]); `progress` counts what it
    /// reads on the progress line.
    fn windows(&mut self, reader: &mut dyn Read, origins: &[Origin], progress: bool) {
        let progress = self.progress.filter(|_| progress);
        let scanner = &mut self.scanner;
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
        // An archive's big entry (in memory already) is scanned in windows like a big file,
        // so that the engine's memory stays that of a window.
        if depth > 0 && raw.len() > crate::chunk::window_size() {
            return self.windows(&mut std::io::Cursor::new(raw), origins, false);
        }
        let stats = &mut self.local.stats;
        let prepared = crate::source::prepare(raw);
        if prepared.binary && self.limits.skip_binary {
            stats.files_skipped_binary += 1;
            self.path_only(origins);
            return;
        }
        // Commit metadata and ref names are scanned, but they are not files.
        if !origins.first().is_some_and(|o| o.is_metadata()) {
            stats.files_scanned += 1;
            stats.bytes_scanned += raw.len() as u64;
        }
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
        let max_entry = self.limits.max_file_size;
        let mut own = Budget::for_file(max_entry);
        let budget = budget.unwrap_or(&mut own);
        let name = origins.first().map_or("", |o| o.path.as_str());
        let old = old_entries(origins, max_entry);
        let result = archive::expand(raw, format, name, max_entry, budget, &mut |e, b| {
            let since = |n: &[u8]| old.as_ref()?.get(n).cloned().map(Since::Bytes);
            let inner: Vec<Origin> = origins
                .iter()
                .map(|o| o.inner(e.name, since(e.name)))
                .collect();
            match e.data {
                Data::Bytes(bytes) => self.bytes(bytes, &inner, depth + 1, Some(b)),
                Data::Stream(reader) => self.windows(reader, &inner, false),
                Data::TooLarge => {
                    self.local.stats.files_skipped_size += 1;
                    self.path_only(&inner);
                }
                Data::Skipped(err) => {
                    self.local.stats.archive_entries_skipped += 1;
                    if let Some(o) = inner.first() {
                        let shown = self.scanner.printable_path(&o.display);
                        let msg = format!("cannot read {shown}: {err}");
                        self.local.warnings.push(msg);
                    }
                    self.path_only(&inner);
                }
            }
        });
        self.local.stats.archives += 1;
        let stopped = match result {
            Ok(stopped) => stopped,
            // Its first bytes say archive, but it cannot be opened as one: scanned as it is
            // by the caller, and what it holds is unread.
            Err(err) => {
                self.limited(origins, None, &format!("cannot be opened: {err}"));
                return false;
            }
        };
        if let Some(stop) = stopped {
            self.limited(origins, stop.entry(), &stop.reason());
        }
        self.path_only(origins);
        if let Some(p) = self.progress.filter(|_| depth == 0) {
            p.add(raw.len() as u64);
        }
        true
    }

    /// An archive not read to its end (a bomb limit, damage): the scan is incomplete, and a
    /// warning names the archive and the entry it stopped in.
    fn limited(&mut self, origins: &[Origin], entry: Option<&[u8]>, reason: &str) {
        self.local.stats.archives_limited += 1;
        if let Some(o) = origins.first() {
            let o = match entry {
                Some(name) => o.inner(name, None),
                None => o.clone(),
            };
            let shown = self.scanner.printable_path(&o.display);
            let msg = format!("{shown}: archive not read to its end: {reason}");
            self.local.warnings.push(msg);
        }
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

/// Reads `reader` to its end into `buf`, growing it by at most 8 MiB at a time: a doubling
/// buffer can hold (and touch) up to twice what it read, and this one is a whole archive.
fn read_stepwise(reader: &mut dyn Read, buf: &mut Vec<u8>) -> std::io::Result<()> {
    loop {
        buf.reserve_exact((buf.len() / 8).clamp(1 << 20, 8 << 20));
        let want = buf.capacity() - buf.len();
        if reader.take(want as u64).read_to_end(buf)? < want {
            return Ok(());
        }
    }
}

/// The entries of the archive a staged archive replaces, by name: each entry's findings are
/// new only where that entry's old bytes did not hold them. Kept up to one file's memory
/// budget: an entry left out counts as new, so its findings are all reported.
fn old_entries(origins: &[Origin], max_entry: u64) -> Option<HashMap<Vec<u8>, Vec<u8>>> {
    let [o] = origins else { return None };
    let OriginKind::Staged {
        since: Some(Since::Bytes(old)),
    } = &o.kind
    else {
        return None;
    };
    let format = archive::sniff(old)?;
    let mut entries = HashMap::new();
    let mut budget = Budget::for_file(max_entry);
    let mut room = budget.memory;
    let mut keep = |e: archive::Entry<'_>, _: &mut Budget| {
        if let Data::Bytes(b) = e.data {
            if let Some(left) = room.checked_sub(b.len() as u64) {
                room = left;
                entries.insert(e.name.to_vec(), b.to_vec());
            }
        }
    };
    archive::expand(old, format, &o.path, max_entry, &mut budget, &mut keep).ok()?;
    Some(entries)
}
