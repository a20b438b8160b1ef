//! Files on disk: a parallel, gitignore-aware walk (`ignore`'s parallel walker), one
//! reusable read buffer and one [`Scanner`](crate::engine::Scanner) per thread.
//!
//! Hidden files are scanned (`.env`, `.npmrc` are where secrets live), `.git/` never is,
//! `.gitignore`d files are not (an ignored file is never committed) unless `no_ignore`.
//! A file that cannot be read is a warning and a count, never an abort.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::cancel::Cancel;
use crate::engine::{Engine, Input};
use crate::finding::Finding;
use crate::progress::Progress;

/// Where to walk and what to skip.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub roots: Vec<Root>,
    pub no_ignore: bool,
    pub skip_binary: bool,
    pub max_file_size: u64,
    /// 0 picks a number from the available cores.
    pub threads: usize,
}

/// A path to scan, with the prefix that turns its relative paths into config-relative ones.
#[derive(Debug, Clone)]
pub struct Root {
    pub path: PathBuf,
    /// Prepended to paths for allowlist matching (`sub/dir/` when the root is below the
    /// config's directory), empty otherwise.
    pub match_prefix: String,
    /// Directories report paths relative to themselves; files as given.
    pub is_dir: bool,
}

/// Counts for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub files_skipped_size: u64,
    pub files_skipped_binary: u64,
    pub files_unreadable: u64,
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    size: AtomicU64,
    binary: AtomicU64,
    unreadable: AtomicU64,
}

/// What a walk produced: findings (unsorted), counts, and warnings for stderr.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    pub warnings: Vec<String>,
}

/// Walks every root in parallel and scans each file.
/// Stops early (leaving the outcome incomplete) once `cancel` is set.
pub fn scan(
    engine: &Engine,
    opts: &WalkOptions,
    progress: Option<&Progress>,
    cancel: &Cancel,
) -> Outcome {
    let findings = Mutex::new(Vec::new());
    let warnings = Mutex::new(Vec::new());
    let counters = Counters::default();
    let Some((first, rest)) = opts.roots.split_first() else {
        return Outcome {
            findings: Vec::new(),
            stats: Stats::default(),
            warnings: Vec::new(),
        };
    };
    let mut builder = WalkBuilder::new(&first.path);
    for r in rest {
        builder.add(&r.path);
    }
    let respect = !opts.no_ignore;
    builder
        .hidden(false)
        .git_ignore(respect)
        .git_exclude(respect)
        .git_global(respect)
        .ignore(respect)
        .parents(respect)
        .require_git(false)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    builder.build_parallel().run(|| {
        let mut worker = Worker {
            opts,
            scanner: engine.scanner(),
            buf: Vec::new(),
            found: Vec::new(),
            counters: &counters,
            progress,
            findings: &findings,
            warnings: &warnings,
        };
        Box::new(move |entry| {
            if cancel.is_cancelled() {
                return WalkState::Quit;
            }
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => worker.file(e.path()),
                // FIFOs, sockets and devices: reading one could block forever or never end.
                Ok(e) => {
                    if let Some(kind) = e.file_type().and_then(special_kind) {
                        worker.skip_special(e.path(), kind);
                    }
                }
                Err(err) => worker.warn(format!("cannot walk: {err}")),
            }
            WalkState::Continue
        })
    });
    let stats = Stats {
        files_scanned: counters.files.into_inner(),
        bytes_scanned: counters.bytes.into_inner(),
        files_skipped_size: counters.size.into_inner(),
        files_skipped_binary: counters.binary.into_inner(),
        files_unreadable: counters.unreadable.into_inner(),
    };
    let mut warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    warnings.sort();
    Outcome {
        findings: findings.into_inner().unwrap_or_else(|e| e.into_inner()),
        stats,
        warnings,
    }
}

struct Worker<'a> {
    opts: &'a WalkOptions,
    scanner: crate::engine::Scanner<'a>,
    buf: Vec<u8>,
    found: Vec<Finding>,
    counters: &'a Counters,
    progress: Option<&'a Progress>,
    findings: &'a Mutex<Vec<Finding>>,
    warnings: &'a Mutex<Vec<String>>,
}

impl Worker<'_> {
    fn warn(&self, msg: String) {
        self.counters.unreadable.fetch_add(1, Ordering::Relaxed);
        self.note(msg);
    }

    /// A warning that does not make the scan incomplete.
    fn note(&self, msg: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(msg);
    }

    fn file(&mut self, path: &Path) {
        let (display, match_path) = self.names(path);
        self.found.clear();
        match self.read(path) {
            Ok(true) => {
                let prepared = super::prepare(&self.buf);
                if prepared.binary && self.opts.skip_binary {
                    self.counters.binary.fetch_add(1, Ordering::Relaxed);
                    self.path_only(&display, &match_path);
                } else {
                    self.counters.files.fetch_add(1, Ordering::Relaxed);
                    self.counters
                        .bytes
                        .fetch_add(self.buf.len() as u64, Ordering::Relaxed);
                    self.scanner.scan(
                        &Input {
                            path: &display,
                            match_path: &match_path,
                            bytes: &prepared.bytes,
                            binary: prepared.binary,
                        },
                        &mut self.found,
                    );
                    if let Some(p) = self.progress {
                        p.add(self.buf.len() as u64);
                    }
                }
            }
            Ok(false) => {
                self.counters.size.fetch_add(1, Ordering::Relaxed);
                self.path_only(&display, &match_path);
            }
            Err(ReadError::Special(kind)) => self.skip_special(path, kind),
            Err(ReadError::Io(err)) => self.warn(format!("cannot read {display}: {err}")),
        }
        if !self.found.is_empty() {
            self.findings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .append(&mut self.found);
        }
    }

    /// A special file is skipped with a warning: it is not content a commit can hold.
    fn skip_special(&mut self, path: &Path, kind: &str) {
        let (display, _) = self.names(path);
        self.note(format!("skipped {display}: not a regular file ({kind})"));
    }

    /// Path rules still apply to a file whose content is skipped.
    fn path_only(&mut self, display: &str, match_path: &str) {
        self.scanner
            .engine()
            .path_only(display, match_path, &mut self.found);
    }

    /// Reads the file into the reused buffer; `Ok(false)` when it is over the size limit.
    ///
    /// The file is opened without blocking and checked to be a regular file after opening: a
    /// path given on the command line, or one replaced since the walk saw it, may be a FIFO
    /// (whose `open` would wait for a writer) or a device (`/dev/zero` never ends).
    fn read(&mut self, path: &Path) -> Result<bool, ReadError> {
        let mut file = open_nonblocking(path)?;
        let meta = file.metadata()?;
        if let Some(kind) = special_kind(meta.file_type()) {
            return Err(ReadError::Special(kind));
        }
        let len = meta.len();
        if len > self.opts.max_file_size {
            return Ok(false);
        }
        self.buf.clear();
        // Read at most one byte past the limit: a file that grew since `metadata` is still
        // bounded.
        (&mut file)
            .take(self.opts.max_file_size + 1)
            .read_to_end(&mut self.buf)?;
        Ok(self.buf.len() as u64 <= self.opts.max_file_size)
    }

    /// The reported path (relative to its root) and the allowlist path.
    fn names(&mut self, path: &Path) -> (String, String) {
        let root = self
            .opts
            .roots
            .iter()
            .filter(|r| path.starts_with(&r.path))
            .max_by_key(|r| r.path.as_os_str().len());
        let display = match root {
            Some(r) if r.is_dir => path.strip_prefix(&r.path).unwrap_or(path),
            _ => path,
        };
        let display = slash_path(display);
        let match_path = match root {
            Some(r) if !r.match_prefix.is_empty() => format!("{}{}", r.match_prefix, display),
            _ => display.clone(),
        };
        let display = self.scanner.printable_path(&display).into_owned();
        (display, match_path)
    }
}

/// Why a file was not read.
enum ReadError {
    /// A FIFO, socket or device: skipped, not an error.
    Special(&'static str),
    Io(std::io::Error),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

/// What kind of special file `t` is, if it is neither a regular file, a directory nor a
/// symbolic link.
fn special_kind(t: std::fs::FileType) -> Option<&'static str> {
    if t.is_file() || t.is_dir() || t.is_symlink() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("FIFO");
        }
        if t.is_socket() {
            return Some("socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("device");
        }
    }
    Some("special file")
}

/// Opens `path` for reading; on Unix with `O_NONBLOCK`, so that a FIFO without a writer
/// cannot block the scan (regular files read the same either way).
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// A `/`-separated path without a leading `./`, printable on one line: control characters
/// are escaped (`\n`, `\t`, `\u{1b}`) and bytes that are not UTF-8 are shown as `\xNN`, so
/// that a file name cannot break a report line or forge an extra one.
pub fn slash_path(p: &Path) -> String {
    let s = escape_name(p);
    let s = if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s
    };
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

/// The path as text, with control characters and non-UTF-8 bytes escaped.
fn escape_name(p: &Path) -> String {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        p.as_os_str().as_bytes()
    };
    #[cfg(not(unix))]
    let lossy = p.to_string_lossy();
    #[cfg(not(unix))]
    let bytes = lossy.as_bytes();
    super::printable_name(bytes)
}

#[cfg(test)]
mod tests {
    use super::slash_path;
    use std::path::Path;

    #[test]
    fn names_are_printable_on_one_line() {
        assert_eq!(slash_path(Path::new("./a/b.txt")), "a/b.txt");
        assert_eq!(
            slash_path(Path::new("a\nb\tc\u{1b}.txt")),
            "a\\nb\\tc\\u{1b}.txt"
        );
        assert_eq!(slash_path(Path::new("caf\u{e9}")), "caf\u{e9}");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"lat\xff1.txt"));
            assert_eq!(slash_path(p), "lat\\xff1.txt");
        }
    }
}
