//! Streamed content ([`Sink::stream`](crate::chunk::Sink::stream)): read through one
//! bounded buffer and scanned in overlapping windows, so that a 1 GB file (or standard
//! input) costs one window of memory, not its size.
//!
//! Windows are [`window_size`] bytes long and overlap by a quarter of that, at most
//! [`OVERLAP`]. Each window owns the findings that *start* in its share of the stream: the
//! shares meet in the middle of each overlap, so a finding near a border is reported once,
//! by a window that holds at least half an overlap (128 KiB) of context on either side of
//! its start. A multiline secret (a private key block) that straddles a border is therefore
//! found whole by the next window; only one longer than half an overlap could be cut.
//!
//! Line numbers and columns are the stream's: each window counts the newlines of what was
//! dropped before it, and a window that starts in the middle of a line (a minified bundle)
//! shifts the columns of its first line. Path rules apply once, in the first window.
//!
//! UTF-16 with a BOM is decoded on the fly (the decoder carries a code unit or surrogate
//! pair split between reads). When the BOM does not look true, the raw bytes are scanned
//! too, by a second window over the same reads ([`crate::source::prepare`] does the same
//! for content read whole).
//!
//! Like the pipeline's other steps, this module never sees the engine: it hands each window
//! to a `scan` function as a [`Chunk`].

use std::io::{self, Read};

use crate::chunk::{window_size, Chunk, Origin};
use crate::finding::{Finding, FindingKind};
use crate::source::{is_binary, utf16, BINARY_PROBE};

/// The overlap between consecutive windows, at most (a quarter of a window when windows are
/// smaller). 256 KiB: far longer than any secret or private key block, and re-scanning it
/// costs under 1% of a 32 MiB window.
pub const OVERLAP: usize = 256 << 10;

/// The size of one read.
const READ: usize = 1 << 20;

/// Findings with their origin's tag, as the engine appends them.
pub type Found = Vec<(u32, Finding)>;

/// What a streamed scan read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Streamed {
    /// Raw bytes read.
    pub bytes: u64,
    /// The content is binary and binary content is skipped: nothing was scanned.
    pub skipped_binary: bool,
}

/// Window and overlap sizes.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    window: usize,
    overlap: usize,
}

/// Reads `reader` to its end and scans it in windows: `scan` gets each window as a chunk at
/// `origins` and appends its findings to `out`, which keeps those the window owns (with
/// their stream-wide line and column). `progress` gets the count of each read. A read error
/// (or a cancelled run, see [`crate::cancel::Cancel::reader`]) ends the scan; the findings
/// of the windows before it are kept.
pub fn scan(
    reader: &mut dyn Read,
    origins: &[Origin],
    skip_binary: bool,
    progress: &mut dyn FnMut(u64),
    scan: &mut dyn FnMut(&Chunk<'_>, &mut Found),
    out: &mut Found,
) -> io::Result<Streamed> {
    let window = window_size();
    let sizes = Sizes {
        window,
        overlap: (window / 4).min(OVERLAP),
    };
    let mut to = To { origins, scan, out };
    scan_in(reader, sizes, skip_binary, progress, &mut to)
}

/// Where a window's findings go.
struct To<'a, 'f> {
    origins: &'a [Origin],
    scan: &'a mut dyn FnMut(&Chunk<'_>, &mut Found),
    out: &'f mut Found,
}

fn scan_in(
    reader: &mut dyn Read,
    sizes: Sizes,
    skip_binary: bool,
    progress: &mut dyn FnMut(u64),
    to: &mut To<'_, '_>,
) -> io::Result<Streamed> {
    let mut block = vec![0u8; READ.min(sizes.window)];
    // The head decides the encoding and whether the content is binary.
    let mut n = 0;
    while n < block.len().min(BINARY_PROBE + 2) {
        match read(reader, &mut block[n..])? {
            0 => break,
            got => n += got,
        }
    }
    let head = &block[..n];
    let binary = is_binary(head);
    let (mut decoder, mut primary, mut raw) = match utf16(head) {
        Some((enc, believed)) => {
            let skipped = binary && skip_binary;
            let raw = (!(believed || skipped)).then(|| Window::new(sizes, binary));
            (
                Some(enc.new_decoder_with_bom_removal()),
                Window::new(sizes, false),
                raw,
            )
        }
        None if binary && skip_binary => {
            return Ok(Streamed {
                bytes: 0,
                skipped_binary: true,
            })
        }
        None => (None, Window::new(sizes, binary), None),
    };
    // Only the primary window applies path rules.
    if let Some(r) = &mut raw {
        r.path_rules = false;
    }
    let mut decoded = Vec::new();
    let mut total = 0u64;
    loop {
        let last = n == 0;
        total += n as u64;
        progress(n as u64);
        let data = &block[..n];
        match &mut decoder {
            Some(d) => {
                let max = d.max_utf8_buffer_length(n).unwrap_or(3 * n + 16);
                decoded.resize(max, 0);
                let (_, _, written, _) = d.decode_to_utf8(data, &mut decoded, last);
                primary.push(&decoded[..written], to);
            }
            None => primary.push(data, to),
        }
        if let Some(r) = &mut raw {
            r.push(data, to);
        }
        if last {
            break;
        }
        n = read(reader, &mut block)?;
    }
    primary.finish(to);
    if let Some(r) = raw {
        r.finish(to);
    }
    Ok(Streamed {
        bytes: total,
        skipped_binary: false,
    })
}

/// One read, retried when a signal interrupts it.
fn read(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}

/// One window over a stream: its bytes, and where they are in the stream.
struct Window {
    buf: Vec<u8>,
    sizes: Sizes,
    binary: bool,
    /// Whether this window's findings include path rules (the primary one's, once).
    path_rules: bool,
    /// No window was scanned yet.
    first: bool,
    /// Newlines before `buf[0]`.
    lines: usize,
    /// Bytes between the last newline before `buf[0]` and `buf[0]`.
    column: usize,
}

impl Window {
    fn new(sizes: Sizes, binary: bool) -> Window {
        Window {
            buf: Vec::with_capacity(sizes.window),
            sizes,
            binary,
            path_rules: true,
            first: true,
            lines: 0,
            column: 0,
        }
    }

    /// Appends `data`, scanning each window as it fills and more follows.
    fn push(&mut self, mut data: &[u8], to: &mut To<'_, '_>) {
        while !data.is_empty() {
            if self.buf.len() == self.sizes.window {
                self.scan(false, to);
            }
            let n = (self.sizes.window - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
    }

    /// Scans what is left (an empty stream still gets its path rules).
    fn finish(mut self, to: &mut To<'_, '_>) {
        if self.first || !self.buf.is_empty() {
            self.scan(true, to);
        }
    }

    /// Scans the window, keeps the findings it owns, then (unless `last`) keeps only the
    /// overlap for the next window.
    fn scan(&mut self, last: bool, to: &mut To<'_, '_>) {
        let half = self.sizes.overlap / 2;
        let from = to.out.len();
        let chunk = Chunk {
            bytes: &self.buf,
            binary: self.binary,
            origins: to.origins,
        };
        (to.scan)(&chunk, to.out);
        if to.out.len() > from {
            // This window's share: from the middle of the overlap with the previous window
            // to the middle of the overlap with the next one.
            let lo = position(&self.buf, if self.first { 0 } else { half });
            let hi = (!last).then(|| position(&self.buf, self.buf.len() - half));
            for (tag, mut f) in to.out.split_off(from) {
                if f.kind == FindingKind::Path {
                    if self.first && self.path_rules {
                        to.out.push((tag, f));
                    }
                    continue;
                }
                let at = (f.line, f.column);
                if at < lo || hi.is_some_and(|hi| at >= hi) {
                    continue;
                }
                if f.line == 1 {
                    f.column += self.column;
                }
                f.line += self.lines;
                to.out.push((tag, f));
            }
        }
        if !last {
            let drop = self.buf.len() - self.sizes.overlap;
            let dropped = &self.buf[..drop];
            self.lines += memchr::memchr_iter(b'\n', dropped).count();
            self.column = match memchr::memrchr(b'\n', dropped) {
                Some(p) => drop - p - 1,
                None => self.column + drop,
            };
            self.buf.drain(..drop);
            self.first = false;
        }
    }
}

/// The 1-based line and byte column of `pos` in `bytes`, as findings give them.
fn position(bytes: &[u8], pos: usize) -> (usize, usize) {
    let before = &bytes[..pos];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
    (line, pos - start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Options};
    use crate::rules::{RuleSet, Source};

    const RULES: &str = r#"
rules:
  - id: tok
    description: token
    severity: high
    keywords: [tok_]
    regex: '\b(tok_[A-Za-z0-9]{12})\b'
  - id: key
    description: private key
    severity: critical
    keywords: ['-----BEGIN']
    multiline: true
    regex: '-----BEGIN PRIVATE KEY-----\n((?:[A-Za-z0-9+/=]+\n)+)-----END PRIVATE KEY-----'
  - id: dump
    description: dump file
    severity: low
    paths: ['**/*.dump']
"#;

    fn engine() -> Engine {
        let src = Source {
            name: "t.yaml".into(),
            text: RULES,
        };
        let set = RuleSet::load(&[], Some(&src)).unwrap();
        Engine::new(set, Options::default())
    }

    type Hit = (String, usize, usize, String);

    fn hits(found: Found) -> Vec<Hit> {
        let mut h: Vec<Hit> = found
            .into_iter()
            .map(|(_, f)| {
                let s = f.secret_display(true).to_string();
                (f.rule_id, f.line, f.column, s)
            })
            .collect();
        h.sort();
        h
    }

    /// The findings of `raw` read whole, as the pipeline scans small files.
    fn whole(e: &Engine, raw: &[u8]) -> Vec<Hit> {
        let origins = [Origin::file("a.dump")];
        let p = crate::source::prepare(raw);
        let mut out = Vec::new();
        let mut s = e.scanner();
        let chunk = Chunk {
            bytes: &p.bytes,
            binary: p.binary,
            origins: &origins,
        };
        s.scan(&chunk, &mut out);
        if let Some((bytes, binary)) = p.also {
            let mut more = Vec::new();
            let chunk = Chunk {
                bytes,
                binary,
                origins: &origins,
            };
            s.scan(&chunk, &mut more);
            out.extend(
                more.into_iter()
                    .filter(|(_, f)| f.kind != FindingKind::Path),
            );
        }
        hits(out)
    }

    /// The findings of `raw` streamed in windows of `window` bytes, read `read` at a time.
    fn streamed(e: &Engine, raw: &[u8], window: usize, read: usize) -> Vec<Hit> {
        let origins = [Origin::file("a.dump")];
        let mut out = Vec::new();
        let mut s = e.scanner();
        let mut scan = |c: &Chunk<'_>, out: &mut Found| s.scan(c, out);
        let mut to = To {
            origins: &origins,
            scan: &mut scan,
            out: &mut out,
        };
        let sizes = Sizes {
            window,
            overlap: window / 4,
        };
        let mut reader = Trickle(raw, read);
        let got = scan_in(&mut reader, sizes, false, &mut |_| {}, &mut to).unwrap();
        assert_eq!(got.bytes, raw.len() as u64);
        hits(out)
    }

    /// A reader that returns at most `.1` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn token(i: usize) -> String {
        let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let body: String = (0..12)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alnum[(x % 62) as usize] as char
            })
            .collect();
        format!("tok_{body}")
    }

    /// Lines of varying length, tokens at many offsets, a long single line full of tokens and
    /// private key blocks: every border of small windows falls somewhere interesting.
    fn text() -> String {
        let mut t = String::new();
        for i in 0..400 {
            t.push_str(&"x".repeat(i * 7 % 90));
            t.push_str(&format!(" {} y\n", token(i)));
            if i % 37 == 0 {
                t.push_str("-----BEGIN PRIVATE KEY-----\n");
                for j in 0..4 {
                    t.push_str(&format!("{}AAAA\n", token(1000 + i + j).replace('_', "")));
                }
                t.push_str("-----END PRIVATE KEY-----\n");
            }
            if i % 100 == 50 {
                for j in 0..300 {
                    t.push_str(&format!("var a{j}=\"{}\";", token(2000 + j)));
                }
                t.push_str("\r\n");
            }
        }
        t
    }

    #[test]
    fn windows_find_what_the_whole_finds_once_at_the_same_place() {
        let e = engine();
        let raw = text();
        let want = whole(&e, raw.as_bytes());
        assert!(want.len() > 700, "{}", want.len());
        assert_eq!(want.iter().filter(|h| h.0 == "key").count(), 11);
        for (window, read) in [(4096, 4096), (4096, 333), (5000, 1 << 20), (1 << 20, 7777)] {
            let got = streamed(&e, raw.as_bytes(), window, read);
            assert_eq!(got, want, "window {window}, read {read}");
        }
    }

    #[test]
    fn utf16_is_decoded_across_reads_and_a_lying_bom_is_scanned_as_bytes() {
        let e = engine();
        let raw = text();
        for le in [true, false] {
            let mut utf16 = if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            // A non-BMP character: a surrogate pair that reads split.
            for u in format!("\u{1F600}{raw}").encode_utf16() {
                let b = if le { u.to_le_bytes() } else { u.to_be_bytes() };
                utf16.extend_from_slice(&b);
            }
            let want = whole(&e, &utf16);
            assert!(want.len() > 700);
            assert_eq!(streamed(&e, &utf16, 4096, 333), want);
        }
        let mut lying = b"\xFF\xFE".to_vec();
        lying.extend_from_slice(raw.as_bytes());
        let want = whole(&e, &lying);
        assert!(want.len() > 700);
        assert_eq!(streamed(&e, &lying, 4096, 1001), want);
    }

    #[test]
    fn an_empty_stream_gets_its_path_rules() {
        let e = engine();
        let got = streamed(&e, b"", 4096, 10);
        assert_eq!(got, vec![("dump".to_string(), 1, 1, String::new())]);
    }
}
