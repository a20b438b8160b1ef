//! Sources of bytes to scan: files on disk ([`worktree`]), what a commit would add
//! ([`staged`]) and a repository's history ([`history`]). A source only produces input: it
//! hands [`crate::chunk::Item`]s (bytes, or why there are none, with their origins) to a
//! sink, and never sees the engine.

pub mod archive;
pub mod history;
pub mod image;
pub mod preflight;
pub mod staged;
pub mod stdin;
pub mod walkguard;
pub mod worktree;

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cancel::Cancel;
use crate::chunk::{Origin, Sink};

/// Opens the repository holding `path`, as git does: `GIT_DIR` names the repository (no
/// discovery from `path`) and `GIT_WORK_TREE` its work tree; `gix::discover` alone would
/// ignore both. The object cache is 8 MiB unless git's config sets one. Its metadata is
/// checked first ([`preflight`]): a FIFO or a device there is an error, not a hang.
pub fn open_repo(path: &Path) -> Result<gix::Repository> {
    preflight::check(path)?;
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

/// Hands `reader`'s content to `sink` at `origins`, to be read to its end and scanned in
/// windows ([`Sink::stream`]: memory stays bounded whatever its size); Ctrl-C stops it
/// between reads. For files over [`crate::chunk::window_size`] and for standard input.
pub fn stream(sink: &mut impl Sink, reader: impl Read, cancel: &Cancel, origins: &[Origin]) {
    sink.stream(&mut cancel.reader(reader), origins);
}

/// How much of the start of a buffer is inspected for NUL bytes (as git and ripgrep do).
pub const BINARY_PROBE: usize = 8 * 1024;

/// What a buffer holds, once decoded.
pub struct Prepared<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub binary: bool,
    /// Raw bytes to scan as well, and whether they are binary: set when a UTF-16 BOM does
    /// not look true ([`utf16`]), so that decoding never hides a token.
    pub also: Option<(&'a [u8], bool)>,
}

/// Decodes UTF-16 (with a BOM) to UTF-8 and classifies the rest as text or binary.
pub fn prepare(raw: &[u8]) -> Prepared<'_> {
    if let Some((enc, believed)) = utf16(raw) {
        let (text, _, _) = enc.decode(raw);
        return Prepared {
            bytes: Cow::Owned(text.into_owned().into_bytes()),
            binary: false,
            also: (!believed).then(|| (raw, is_binary(raw))),
        };
    }
    Prepared {
        bytes: Cow::Borrowed(raw),
        binary: is_binary(raw),
        also: None,
    }
}

/// Whether content starting with `head` is binary: a NUL in its first [`BINARY_PROBE`] bytes.
pub fn is_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(BINARY_PROBE)]).is_some()
}

/// The UTF-16 encoding a BOM at the start of `head` names, and whether the bytes after it
/// look like UTF-16 (see [`utf16_is_plausible`]).
pub fn utf16(head: &[u8]) -> Option<(&'static encoding_rs::Encoding, bool)> {
    let (enc, le) = match head {
        [0xFF, 0xFE, ..] => (encoding_rs::UTF_16LE, true),
        [0xFE, 0xFF, ..] => (encoding_rs::UTF_16BE, false),
        _ => return None,
    };
    let probe = &head[2..head.len().min(2 + BINARY_PROBE)];
    Some((enc, utf16_is_plausible(probe, le)))
}

/// Whether `probe` (the bytes after a BOM) is plausibly UTF-16. A BOM is two bytes any file
/// can start with (`FF FE` is also `ÿþ` in Latin-1, or the start of a binary header), so it
/// is believed only when the text agrees: real UTF-16 has surrogates in pairs, and holds
/// ASCII (newlines, spaces, digits, punctuation: even CJK text does) whose high byte is NUL,
/// while a byte file behind a lying BOM has no NUL at all (text) or NULs at both byte
/// positions alike (binary). The test errs towards disbelief, which costs a second scan
/// (text with almost no ASCII in its first 8 KiB is scanned twice), never a finding. A
/// short or empty probe is believed: there is nothing to hide.
fn utf16_is_plausible(probe: &[u8], le: bool) -> bool {
    if probe.len() < 2 {
        return true;
    }
    let (mut high_nul, mut low_nul) = (0usize, 0usize);
    let mut lead = false;
    for pair in probe.chunks_exact(2) {
        let u = if le {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        };
        high_nul += usize::from(u >> 8 == 0);
        low_nul += usize::from(u & 0xFF == 0);
        let trail = (0xDC00..=0xDFFF).contains(&u);
        if lead != trail {
            return false;
        }
        lead = (0xD800..=0xDBFF).contains(&u);
    }
    high_nul > 0 && high_nul >= 4 * low_nul
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
    fn a_lying_bom_is_scanned_as_bytes_too() {
        // `FF FE` followed by ASCII: UTF-16LE would turn it into CJK-looking characters.
        let raw = b"\xFF\xFEkey=abc\nmore text here\n";
        let p = prepare(raw);
        assert_eq!(p.also, Some((&raw[..], false)));
        // Big-endian, and a binary header that happens to start like a BOM.
        assert!(prepare(b"\xFE\xFFplain text, no NUL").also.is_some());
        let bin = b"\xFF\xFE\0\0\x01\0\0\0\x10\x00\x00\x00\0\0";
        assert_eq!(prepare(bin).also, Some((&bin[..], true)));
        // Unpaired surrogates are no UTF-16 text either.
        let mut raw = vec![0xFF, 0xFE];
        for u in [0x61u16, 0xDC00, 0x0A, 0x62] {
            raw.extend_from_slice(&u.to_le_bytes());
        }
        assert!(prepare(&raw).also.is_some());
    }

    #[test]
    fn true_boms_are_believed() {
        for text in [
            "key=abc\n",
            "key = \u{4e00}\u{4e8c}\u{4e09}\n",
            "emoji \u{1F600}!\n",
        ] {
            let mut le = vec![0xFF, 0xFE];
            let mut be = vec![0xFE, 0xFF];
            for u in text.encode_utf16() {
                le.extend_from_slice(&u.to_le_bytes());
                be.extend_from_slice(&u.to_be_bytes());
            }
            for raw in [le, be] {
                let p = prepare(&raw);
                assert!(p.also.is_none(), "{text:?}");
                assert_eq!(&*p.bytes, text.as_bytes());
            }
        }
        assert!(prepare(b"\xFF\xFE").also.is_none());
    }

    #[test]
    fn nul_means_binary() {
        assert!(prepare(b"ab\0cd").binary);
        assert!(!prepare(b"abcd").binary);
    }
}
