//! Sources of bytes to scan. A source owns the bytes and hands them to the engine with a
//! location; only findings survive.

pub mod history;
pub mod localenv;
pub mod staged;
pub mod worktree;

use std::borrow::Cow;

/// A file name as text that fits on one line of a report: control characters are escaped
/// (`\n`, `\t`, `\u{1b}`) and bytes that are not UTF-8 are shown as `\xNN`, so that a name
/// cannot break a report line or forge an extra one.
pub fn printable_name(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

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
