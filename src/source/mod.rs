//! Sources of bytes to scan: files on disk ([`worktree`]), what a commit would add
//! ([`staged`]) and a repository's history ([`history`]). A source only produces input: it
//! hands [`crate::chunk::Item`]s (bytes, or why there are none, with their origins) to a
//! sink, and never sees the engine.

pub mod archive;
pub mod history;
pub mod staged;
pub mod stdin;
pub mod worktree;

use std::borrow::Cow;
use std::path::Path;

use anyhow::{Context, Result};

/// Opens the repository holding `path`, as git does: `GIT_DIR` names the repository (no
/// discovery from `path`) and `GIT_WORK_TREE` its work tree; `gix::discover` alone would
/// ignore both. The object cache is 8 MiB unless git's config sets one.
pub fn open_repo(path: &Path) -> Result<gix::Repository> {
    let mut repo = match std::env::var_os("GIT_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => gix::open_with_environment_overrides(path).with_context(|| {
            format!(
                "GIT_DIR={} is not a git repository",
                Path::new(&dir).display()
            )
        })?,
        None => gix::discover(path)
            .with_context(|| format!("{} is not inside a git repository", path.display()))?,
    };
    repo.object_cache_size_if_unset(8 * 1024 * 1024);
    Ok(repo)
}

pub use crate::chunk::printable_name;

/// How much of the start of a buffer is inspected for NUL bytes (as git and ripgrep do).
const BINARY_PROBE: usize = 8 * 1024;

/// What a buffer holds, once decoded.
pub struct Prepared<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub binary: bool,
}

/// Decodes UTF-16 (with a BOM) to UTF-8 and classifies the rest as text or binary.
pub fn prepare(raw: &[u8]) -> Prepared<'_> {
    let utf16 = match raw {
        [0xFF, 0xFE, ..] => Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    if let Some(enc) = utf16 {
        let (text, _, _) = enc.decode(raw);
        return Prepared {
            bytes: Cow::Owned(text.into_owned().into_bytes()),
            binary: false,
        };
    }
    let probe = &raw[..raw.len().min(BINARY_PROBE)];
    Prepared {
        bytes: Cow::Borrowed(raw),
        binary: memchr::memchr(0, probe).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::prepare;

    #[test]
    fn utf16_is_decoded() {
        let mut raw = vec![0xFF, 0xFE];
        for u in "key=abc".encode_utf16() {
            raw.extend_from_slice(&u.to_le_bytes());
        }
        let p = prepare(&raw);
        assert!(!p.binary);
        assert_eq!(&*p.bytes, "key=abc".as_bytes());
    }

    #[test]
    fn nul_means_binary() {
        assert!(prepare(b"ab\0cd").binary);
        assert!(!prepare(b"abcd").binary);
    }
}
