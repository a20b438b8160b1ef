//! Files on disk: a parallel, gitignore-aware walk (`ignore`'s parallel walker) with one
//! reusable read buffer and one [`Sink`] per thread; each file becomes one [`Item`]: its
//! bytes, or, over [`window_size`], the open file, streamed (scanned in windows).
//!
//! Hidden files are scanned (`.env`, `.npmrc` are where secrets live), `.git/` never is,
//! `.gitignore`d files are not (an ignored file is never committed) unless `no_ignore`,
//! except those git tracks all the same (`git add -f`).
//! A file that cannot be read is a warning and a count, never an abort.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::cancel::Cancel;
use crate::chunk::{window_size, Content, Item, Limits, Origin, OriginKind, Sink};

/// Where to walk.
#[derive(Debug, Clone)]
pub struct Walk {
    pub roots: Vec<Root>,
    pub no_ignore: bool,
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

/// The walk of `paths`: each root carries the prefix that makes its paths relative to
/// the config file's directory (`config`), or to the first path without one.
pub fn walk(paths: &[PathBuf], config: Option<&Path>, no_ignore: bool) -> Walk {
    let base = match config {
        Some(c) => c.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => paths.first().cloned().unwrap_or_default(),
    };
    let base = canonical_dir(&base);
    let roots = paths.iter().map(|p| root(p, base.as_deref())).collect();
    Walk { roots, no_ignore }
}

fn canonical_dir(p: &Path) -> Option<PathBuf> {
    let p = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    let c = p.canonicalize().ok()?;
    Some(if c.is_dir() {
        c
    } else {
        c.parent()?.to_path_buf()
    })
}

/// A walk root and the prefix that makes its paths relative to the config's directory.
fn root(path: &Path, base: Option<&Path>) -> Root {
    let is_dir = path.is_dir();
    let rel = base.and_then(|b| {
        let c = path.canonicalize().ok()?;
        let r = c.strip_prefix(b).ok()?;
        Some(slash_path(r))
    });
    let match_prefix = match rel {
        Some(r) if is_dir && !r.is_empty() => format!("{r}/"),
        Some(r) if !is_dir => r,
        _ => String::new(),
    };
    Root {
        path: path.to_path_buf(),
        match_prefix,
        is_dir,
    }
}

/// Walks every root in parallel and hands each file to a sink made by `make` (one per
/// thread), then the tracked files the ignore rules hid ([`super::walkguard::tracked`]).
/// Stops early once `cancel` is set. The roots were checked with
/// [`super::walkguard::check_roots`]; a directory whose ignore files are not regular files
/// is not entered, and said so.
pub fn feed<S: Sink + Send>(
    walk: &Walk,
    limits: Limits,
    cancel: &Cancel,
    make: &(dyn Fn() -> S + Sync),
) -> Vec<PathBuf> {
    let images = std::sync::Arc::new(Mutex::new(Vec::new()));
    walk_files(walk, limits, cancel, make, &images);
    let mut images = std::mem::take(&mut *images.lock().unwrap_or_else(|e| e.into_inner()));
    images.sort();
    images
}

/// [`feed`]'s walk; container images it meets (an OCI layout directory, a `.tar` holding an
/// image) are not read as files but left in `images`, to be read as images.
fn walk_files<S: Sink + Send>(
    walk: &Walk,
    limits: Limits,
    cancel: &Cancel,
    make: &(dyn Fn() -> S + Sync),
    images: &std::sync::Arc<Mutex<Vec<PathBuf>>>,
) {
    let Some((first, rest)) = walk.roots.split_first() else {
        return;
    };
    // Set once a layout is met: only then are files checked for being its blobs. The walk's
    // filter never sees its roots: a root that is a layout is looked at here.
    let layouts = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // `--no-archives`: an image is an archive too, and its files are read as they are.
    let detect = limits.archive_depth > 0;
    for r in walk.roots.iter().filter(|r| detect && r.is_dir) {
        if super::image::is_layout(&r.path) {
            if let Ok(mut found) = images.lock() {
                found.push(r.path.clone());
            }
            layouts.store(true, std::sync::atomic::Ordering::Release);
        }
    }
    let mut builder = WalkBuilder::new(&first.path);
    for r in rest {
        builder.add(&r.path);
    }
    let respect = !walk.no_ignore;
    // Directories refused by `dir_ok`, with why; and the tracked files the walk has not
    // seen (yet).
    let refused = std::sync::Arc::new(Mutex::new(Vec::<(PathBuf, String)>::new()));
    let (tracked, tracked_error) = match respect {
        true => match super::walkguard::tracked(walk) {
            Ok(t) => (t, None),
            Err(e) => (HashSet::new(), Some(e)),
        },
        false => (HashSet::new(), None),
    };
    let track = !tracked.is_empty();
    let left = Mutex::new(tracked);
    let roots = std::sync::Arc::new(super::walkguard::real_roots(walk));
    let guard = respect.then(|| (refused.clone(), roots));
    builder
        .hidden(false)
        .git_ignore(respect)
        .git_exclude(respect)
        .git_global(respect)
        .ignore(respect)
        .parents(respect)
        .require_git(false)
        .follow_links(false)
        .threads(limits.threads)
        .filter_entry({
            let (images, layouts) = (images.clone(), layouts.clone());
            move |e| {
                if e.file_name() == ".git" {
                    return false;
                }
                // A layout is read as an image, and walked all the same: its blobs are left
                // to the image reader (which scans those no document names), its other
                // files are files like any.
                let dir = e.file_type().is_some_and(|t| t.is_dir());
                if detect && dir && super::image::is_layout(e.path()) {
                    if let Ok(mut found) = images.lock() {
                        found.push(e.path().to_path_buf());
                    }
                    layouts.store(true, std::sync::atomic::Ordering::Release);
                }
                let Some((refused, roots)) = &guard else {
                    return true;
                };
                if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
                    return true;
                }
                match super::walkguard::dir_ok(e.path(), roots) {
                    Ok(()) => true,
                    Err(why) => {
                        if let Ok(mut r) = refused.lock() {
                            r.push((e.path().to_path_buf(), why));
                        }
                        false
                    }
                }
            }
        });
    // One reader per walker thread, and one for the files the walk left over.
    let reader = || Reader {
        walk,
        limits,
        cancel,
        buf: Vec::new(),
        sink: make(),
        images,
        layouts: &layouts,
    };
    builder.build_parallel().run(|| {
        let mut reader = reader();
        let left = &left;
        Box::new(move |entry| {
            if cancel.is_cancelled() {
                return WalkState::Quit;
            }
            if let (true, Ok(e)) = (track, &entry) {
                if let Ok(mut left) = left.lock() {
                    left.remove(e.path());
                }
            }
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => reader.file(e.path()),
                // FIFOs, sockets and devices: reading one could block forever or never end.
                Ok(e) => {
                    if let Some(kind) = e.file_type().and_then(special_kind) {
                        reader.give(e.path(), Content::Special(kind));
                    }
                }
                Err(err) => reader.walk_error(&err),
            }
            WalkState::Continue
        })
    });
    if !respect || cancel.is_cancelled() {
        return;
    }
    let mut reader = reader();
    let refused = std::mem::take(&mut *refused.lock().unwrap_or_else(|e| e.into_inner()));
    let skip: Vec<PathBuf> = refused.iter().map(|(p, _)| p.clone()).collect();
    for (dir, why) in refused {
        reader.give(&dir, Content::Unreadable(format!("not scanned: {why}")));
    }
    if let Some(e) = tracked_error {
        reader.sink.take(Item {
            content: Content::Unreadable(format!("cannot list the tracked files: {e:#}")),
            origins: &[],
        });
    }
    let left = left.into_inner().unwrap_or_else(|e| e.into_inner());
    for p in super::walkguard::unseen(walk, left, &skip) {
        if cancel.is_cancelled() {
            return;
        }
        reader.file(&p);
    }
}

/// One thread's reader: a reused buffer and the thread's sink.
struct Reader<'a, S> {
    walk: &'a Walk,
    limits: Limits,
    cancel: &'a Cancel,
    buf: Vec<u8>,
    sink: S,
    /// Image tarballs and layouts met, left to be read as images.
    images: &'a Mutex<Vec<PathBuf>>,
    /// Whether `images` holds a layout.
    layouts: &'a std::sync::atomic::AtomicBool,
}

impl<S: Sink> Reader<'_, S> {
    fn file(&mut self, path: &Path) {
        if self.limits.archive_depth > 0 && super::image::is_image_tar(path) {
            if let Ok(mut found) = self.images.lock() {
                found.push(path.to_path_buf());
            }
            return;
        }
        if self.layouts.load(std::sync::atomic::Ordering::Acquire) && self.in_blobs(path) {
            return;
        }
        let origins = [self.origin(path)];
        let mut buf = std::mem::take(&mut self.buf);
        let content = match self.read(path, &mut buf) {
            Ok(Got::Whole) => Content::Bytes(&buf),
            Ok(Got::TooLarge) => Content::TooLarge,
            Ok(Got::Big(file)) => {
                // Bounded like a whole read: a file that grows while it is read stops at
                // the limit.
                let file = file.take(self.limits.max_file_size);
                super::stream(&mut self.sink, file, self.cancel, &origins);
                self.buf = buf;
                return;
            }
            Err(ReadError::Special(kind)) => Content::Special(kind),
            Err(ReadError::Io(err)) => Content::Unreadable(err.to_string()),
        };
        self.sink.take(Item {
            content,
            origins: &origins,
        });
        self.buf = buf;
    }

    /// A directory the walk could not read. Its path goes in the origin, not the text, so
    /// that it is printed as every path is: escaped, and with a secret in a name
    /// (`keys-<token>/`) redacted.
    fn walk_error(&mut self, err: &ignore::Error) {
        let (mut inner, mut path) = (err, None);
        loop {
            match inner {
                ignore::Error::WithDepth { err, .. } => inner = err,
                ignore::Error::WithPath { path: p, err } => {
                    path.get_or_insert(p);
                    inner = err;
                }
                _ => break,
            }
        }
        let why = Content::Unreadable(format!("cannot walk: {inner}"));
        match path {
            Some(p) => self.give(p, why),
            None => self.sink.take(Item {
                content: why,
                origins: &[],
            }),
        }
    }

    fn give(&mut self, path: &Path, content: Content<'_>) {
        let origins = [self.origin(path)];
        self.sink.take(Item {
            content,
            origins: &origins,
        });
    }

    /// Reads the file into `buf`, or returns it open when it is too big to read whole.
    ///
    /// The file is opened without blocking and checked to be a regular file after opening: a
    /// path given on the command line, or one replaced since the walk saw it, may be a FIFO
    /// (whose `open` would wait for a writer) or a device (`/dev/zero` never ends). Only a
    /// path given on the command line is opened through a link: one found by the walk that
    /// became a link since is not followed (out of the tree, perhaps).
    fn read(&self, path: &Path, buf: &mut Vec<u8>) -> Result<Got, ReadError> {
        let named = self.walk.roots.iter().any(|r| r.path == path);
        let mut file = open_nonblocking(path, named)?;
        let meta = file.metadata()?;
        if let Some(kind) = special_kind(meta.file_type()) {
            return Err(ReadError::Special(kind));
        }
        if !self.limits.admits(meta.len()) {
            return Ok(Got::TooLarge);
        }
        if meta.len() > window_size() as u64 {
            return Ok(Got::Big(file));
        }
        buf.clear();
        // Room for the whole file and the read that sees its end, so that the buffer does
        // not double past it.
        buf.reserve_exact(meta.len() as usize + 1);
        // Read at most one byte past the limit: a file that grew since `metadata` is still
        // bounded.
        (&mut file)
            .take(self.limits.max_file_size + 1)
            .read_to_end(buf)?;
        Ok(match self.limits.admits(buf.len() as u64) {
            true => Got::Whole,
            false => Got::TooLarge,
        })
    }

    fn origin(&self, path: &Path) -> Origin {
        origin(self.walk, path)
    }

    /// Whether `path` is under the `blobs/` of a layout met: the image reader's.
    fn in_blobs(&self, path: &Path) -> bool {
        let found = self.images.lock().unwrap_or_else(|e| e.into_inner());
        found.iter().any(|l| path.starts_with(l.join("blobs")))
    }
}

/// A file's origin in `walk`: the reported path (relative to its root) and the allowlist path.
pub fn origin(walk: &Walk, path: &Path) -> Origin {
    {
        let root = walk
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
        Origin::new(match_path, display, OriginKind::File)
    }
}

/// What [`Reader::read`] did with a file.
enum Got {
    /// Read into the buffer.
    Whole,
    /// Over the size limit: not read.
    TooLarge,
    /// Too big to read whole: streamed.
    Big(File),
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
/// cannot block the scan (regular files read the same either way), and unless `follow`
/// with `O_NOFOLLOW`: a link there is an error, not followed.
pub(super) fn open_nonblocking(path: &Path, follow: bool) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
    }
    #[cfg(not(unix))]
    let _ = follow;
    o.open(path)
}

/// A `/`-separated path without a leading `./`, printable on one line: control characters
/// are escaped (`\n`, `\t`, `\u{1b}`) and bytes that are not UTF-8 are shown as `\xNN`, so
/// that a file name cannot break a report line or forge an extra one.
pub fn slash_path(p: &Path) -> String {
    let s = escape_name(p);
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
    // Separators become `/` before escaping (which would double them).
    #[cfg(not(unix))]
    let lossy = p.to_string_lossy().replace('\\', "/");
    #[cfg(not(unix))]
    let bytes = lossy.as_bytes();
    super::printable_name(bytes)
}

#[cfg(test)]
mod tests {
    use super::slash_path;
    use std::path::Path;

    /// A file the walk found that became a link since is not opened through it.
    #[cfg(unix)]
    #[test]
    fn walked_files_are_opened_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "x").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(super::open_nonblocking(&link, false).is_err());
        assert!(super::open_nonblocking(&link, true).is_ok());
        assert!(super::open_nonblocking(&target, false).is_ok());
    }

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
