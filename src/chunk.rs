//! The pipeline's vocabulary: what a source hands over ([`Item`]: a [`Chunk`] of bytes or a
//! reason there are none, with its [`Origin`]s), the one set of [`Limits`] every source
//! honours, and the one [`Stats`] every run reports.
//!
//! Sources depend on this module only; they never see the engine.

use std::ops::Range;

/// Bytes to scan and every place they were found.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Decoded content (UTF-16 already turned into UTF-8).
    pub bytes: &'a [u8],
    /// Binary content: generic rules are skipped.
    pub binary: bool,
    pub origins: &'a [Origin],
}

/// One place a chunk's bytes were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The path allowlist globs and path rules see: `/`-separated, relative to the config's
    /// directory when known.
    pub path: String,
    /// The path as reported (relative to the scanned root), escaped onto one line; a secret
    /// in it is redacted when findings are built.
    pub display: String,
    pub kind: OriginKind,
    /// The source's own handle for this place (history: which commit and path), returned
    /// with every finding made here. Opaque to everything else.
    pub tag: u32,
    /// Inside an archive: the length of `display`'s prefix that names the file on disk or
    /// in git (`dist/app.jar` in `dist/app.jar!/config/app.properties`).
    pub physical: Option<usize>,
}

/// What kind of place an [`Origin`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginKind {
    /// A file on disk.
    File,
    /// A staged blob. `since` is what it replaces; `None` for a new path, whose every line
    /// counts and whose path rules apply.
    Staged { since: Option<Since> },
    /// A blob in history at a path, and the commit that put it there (short id, for
    /// messages). Only content rules run on it: a path's rules are applied once, where the
    /// path first appears ([`OriginKind::Path`]).
    Blob { commit: String },
    /// A path's first appearance in history (its content comes as a [`OriginKind::Blob`]):
    /// path rules only.
    Path,
    /// A commit's message, author and committer (short id, for messages): content rules only.
    Commit { commit: String },
    /// A ref's name (`--all`, audits): content rules only.
    Ref,
}

/// What a staged change adds over the blob it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// Text: only findings on these 1-based line ranges are new.
    Lines(Vec<Range<usize>>),
    /// Binary on either side: only secrets the old bytes did not hold are new.
    Bytes(Vec<u8>),
}

/// What a source hands over for some origins.
#[derive(Debug)]
pub enum Content<'a> {
    /// Raw bytes, as read.
    Bytes(&'a [u8]),
    /// Over [`Limits::max_file_size`]: not read; path rules still apply.
    TooLarge,
    /// No content to read: the origins' path rules only (history: a path's first
    /// appearance, [`OriginKind::Path`]).
    PathOnly,
    /// Could not be read: the scan is incomplete. The error names no path: the warning
    /// adds the origin's (printable) path.
    Unreadable(String),
    /// Not a regular file (FIFO, socket, device): skipped with a warning, not an error.
    Special(&'static str),
}

/// Content up to this size is read whole and scanned as one chunk (the common case, which
/// pays nothing for windowing); larger content is streamed ([`Sink::stream`]) and scanned in windows
/// of this size. 32 MiB: a minified bundle or a lock file fits whole, and one window per
/// thread keeps a 2-thread scan of a 1 GB file far under 100 MB. `LEAKGUARD_WINDOW_SIZE`
/// (bytes, at least 64 KiB) overrides it, for tests.
pub fn window_size() -> usize {
    static SIZE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        std::env::var("LEAKGUARD_WINDOW_SIZE")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .map_or(32 << 20, |n| n.max(64 << 10))
    })
}

/// One unit of a source's output.
#[derive(Debug)]
pub struct Item<'a> {
    pub content: Content<'a>,
    pub origins: &'a [Origin],
}

/// Receives a source's items; a source makes one per worker thread (see
/// [`crate::pipeline`]).
pub trait Sink {
    fn take(&mut self, item: Item<'_>);

    /// Content too big to hold at once (over [`window_size`]) or of unknown size (standard
    /// input): read to its end and scanned in overlapping windows ([`crate::stream`]), so
    /// memory stays bounded. Sources call it through [`crate::source::stream`], which makes
    /// Ctrl-C stop the reads.
    fn stream(&mut self, reader: &mut dyn std::io::Read, origins: &[Origin]);
}

/// What to skip, shared by every source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Skip binary content entirely (default: provider rules only).
    pub skip_binary: bool,
    /// Content larger than this is not read.
    pub max_file_size: u64,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// How deep archives are opened (an archive in an archive is depth 2); 0 turns archive
    /// reading off.
    pub archive_depth: u8,
}

impl Limits {
    /// Whether content of `size` bytes is read at all.
    pub fn admits(&self, size: u64) -> bool {
        size <= self.max_file_size
    }
}

/// Counts for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub files_skipped_size: u64,
    pub files_skipped_binary: u64,
    pub files_unreadable: u64,
    /// Archives opened (each nested one counts).
    pub archives: u64,
    /// Archives not read to their end: a bomb limit or damage, or not openable at all
    /// (each has a warning; the scan is incomplete).
    pub archives_limited: u64,
    /// Archive entries that could not be read (encrypted, unsupported method, damaged, over
    /// the memory budget; each has a warning; the scan is incomplete).
    pub archive_entries_skipped: u64,
}

impl Stats {
    /// Whether some content could not be read: a file or blob, an archive entry, or the
    /// rest of an archive cut short by a bomb limit or damage. The one test every command
    /// applies: such a run cannot report "clean" (exit 2 unless findings make it 1).
    pub fn incomplete(&self) -> bool {
        self.files_unreadable + self.archives_limited + self.archive_entries_skipped > 0
    }

    /// Adds another worker's counts.
    pub fn add(&mut self, o: &Stats) {
        self.files_scanned += o.files_scanned;
        self.bytes_scanned += o.bytes_scanned;
        self.files_skipped_size += o.files_skipped_size;
        self.files_skipped_binary += o.files_skipped_binary;
        self.files_unreadable += o.files_unreadable;
        self.archives += o.archives;
        self.archives_limited += o.archives_limited;
        self.archive_entries_skipped += o.archive_entries_skipped;
    }
}

impl Origin {
    /// A file on disk (or a staged new file, with `kind`).
    pub fn new(path: String, display: String, kind: OriginKind) -> Origin {
        Origin {
            path,
            display,
            kind,
            tag: 0,
            physical: None,
        }
    }

    /// A file inside this one, an archive: `app.jar!/config/app.properties`. `since` is what a
    /// staged entry replaces (the same entry in the archive's old version).
    pub fn inner(&self, name: &[u8], since: Option<Since>) -> Origin {
        let name = name.strip_prefix(b"./").unwrap_or(name);
        let name = name.strip_prefix(b"/").unwrap_or(name);
        let kind = match &self.kind {
            OriginKind::Staged { .. } => OriginKind::Staged { since },
            kind => kind.clone(),
        };
        Origin {
            path: format!("{}!/{}", self.path, String::from_utf8_lossy(name)),
            display: format!("{}!/{}", self.display, printable_name(name)),
            kind,
            tag: self.tag,
            physical: self.physical.or(Some(self.display.len())),
        }
    }

    /// A file on disk whose reported path is its allowlist path.
    pub fn file(path: &str) -> Origin {
        Origin::new(path.to_string(), path.to_string(), OriginKind::File)
    }

    /// A `.env`-style file name: its values may be base64 and are decoded. History blobs
    /// are not sniffed by name (only manifests are recognised by their content).
    pub fn is_dotenv(&self) -> bool {
        if matches!(self.kind, OriginKind::Blob { .. }) {
            return false;
        }
        let name = self.path.rsplit('/').next().unwrap_or("");
        name == ".env" || name.starts_with(".env.")
    }

    /// Whether path rules (`.env`, `id_rsa`, …) apply here: to files, new staged paths and a
    /// history path's first appearance; not to a modified staged file or a history blob.
    /// History's metadata (a commit's message and identities, a ref's name), not a file.
    pub fn is_metadata(&self) -> bool {
        matches!(self.kind, OriginKind::Commit { .. } | OriginKind::Ref)
    }

    pub fn path_rules_apply(&self) -> bool {
        matches!(
            self.kind,
            OriginKind::File | OriginKind::Staged { since: None } | OriginKind::Path
        )
    }
}

/// A file name as text that fits on one line of a report: control characters and bidi
/// overrides are escaped (`\n`, `\t`, `\u{1b}`, `\u{202e}`) and bytes that are not UTF-8
/// are shown as `\xNN`, so that a name cannot break a report line or forge an extra one
/// ([`crate::printable`], the one escaping of every scanned string). A backslash is doubled,
/// so that the text says which bytes the name holds ([`name_bytes`] gives them back: SARIF
/// URIs are made of the real bytes).
pub fn printable_name(bytes: &[u8]) -> String {
    crate::printable::name(bytes)
}

/// The bytes a [`printable_name`] text stands for: its escapes (`\\`, `\n`, `\t`, `\r`,
/// `\xNN`, `\u{…}`) undone. Total: a backslash that starts no escape (as in a name whose
/// secret was redacted in the middle of one) is kept as it is.
pub fn name_bytes(shown: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(shown.len());
    let mut rest = shown;
    while let Some(i) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        // `i` is where `find` found ASCII `\`: `i + 1` is a char boundary.
        let after = &rest[i + 1..];
        let (bytes, used) = unescape(after);
        out.extend_from_slice(&bytes);
        rest = &after[used..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// The bytes of the escape at the start of `s` (what follows a backslash) and how many bytes
/// of `s` it takes (always ASCII, so the rest starts on a char boundary); a lone backslash
/// when there is none.
fn unescape(s: &str) -> (Vec<u8>, usize) {
    let hex = |h: &str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit());
    let lone = (vec![b'\\'], 0);
    match s.as_bytes().first() {
        Some(b'\\') => (vec![b'\\'], 1),
        Some(b'n') => (vec![b'\n'], 1),
        Some(b't') => (vec![b'\t'], 1),
        Some(b'r') => (vec![b'\r'], 1),
        Some(b'x') => match s.get(1..3).filter(|h| hex(h)) {
            Some(h) => (vec![u8::from_str_radix(h, 16).unwrap_or(0)], 3),
            None => lone,
        },
        Some(b'u') => {
            let digits = s
                .strip_prefix("u{")
                .and_then(|t| t.split_once('}'))
                .map(|(h, _)| h)
                .filter(|h| h.len() <= 6 && hex(h));
            let c = digits.and_then(|h| char::from_u32(u32::from_str_radix(h, 16).ok()?));
            match (c, digits) {
                (Some(c), Some(h)) => (c.to_string().into_bytes(), h.len() + 3),
                _ => lone,
            }
        }
        _ => lone,
    }
}

#[cfg(test)]
mod tests {
    use super::{name_bytes, printable_name};

    #[test]
    fn printable_names_give_their_bytes_back() {
        for raw in [
            &b"plain.txt"[..],
            b"lat\xff1.txt",
            b"a\nb\tc\rd\x1b\x7f",
            b"back\\slash\\x41\\u{41}\\n",
            "caf\u{e9} \u{202e} \u{85}".as_bytes(),
            b"\\",
        ] {
            let shown = printable_name(raw);
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert_eq!(name_bytes(&shown), raw, "{shown:?}");
        }
        assert_eq!(printable_name(b"a\\x41"), "a\\\\x41");
    }

    #[test]
    fn broken_escapes_are_kept_as_written() {
        for s in [
            "a\\",
            "a\\x",
            "a\\xg1",
            "a\\u{",
            "a\\u{110000}",
            "a\\u{d800}",
            "a\\u{}",
            "a\\q",
            "\\x+f",
            "\\u{+41}",
            "\\x\u{e9}",
        ] {
            assert_eq!(name_bytes(s), s.as_bytes(), "{s:?}");
        }
    }
}
