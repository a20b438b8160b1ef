//! One newline index per chunk: every line, column and line span of a finding comes from
//! it. Built once, on the first question (most chunks find nothing and never build it),
//! then each answer is a binary search: many candidates on one huge line (a minified
//! bundle) cost no scan back to the line's start each, so a scan stays linear in the line
//! length (`benches/bigfile.sh`, tests/it/hostile_lines.rs).

use std::cell::OnceCell;

/// The newline offsets of one buffer, sorted; 4 bytes a line unless the buffer passes 4 GiB.
enum Offsets {
    Small(Vec<u32>),
    Large(Vec<usize>),
}

impl Offsets {
    /// How many newlines lie before `pos`.
    fn before(&self, pos: usize) -> usize {
        match self {
            Offsets::Small(v) => match u32::try_from(pos) {
                Ok(p) => v.partition_point(|&n| n < p),
                Err(_) => v.len(),
            },
            Offsets::Large(v) => v.partition_point(|&n| n < pos),
        }
    }

    fn get(&self, i: usize) -> Option<usize> {
        match self {
            Offsets::Small(v) => v.get(i).map(|&n| n as usize),
            Offsets::Large(v) => v.get(i).copied(),
        }
    }
}

/// The lines of one buffer, indexed on first use.
pub(crate) struct LineIndex<'b> {
    bytes: &'b [u8],
    newlines: OnceCell<Offsets>,
}

impl<'b> LineIndex<'b> {
    pub fn new(bytes: &'b [u8]) -> LineIndex<'b> {
        LineIndex {
            bytes,
            newlines: OnceCell::new(),
        }
    }

    /// The buffer indexed.
    pub fn bytes(&self) -> &'b [u8] {
        self.bytes
    }

    fn offsets(&self) -> &Offsets {
        self.newlines.get_or_init(|| {
            let all = memchr::memchr_iter(b'\n', self.bytes);
            if u32::try_from(self.bytes.len()).is_ok() {
                Offsets::Small(all.map(|n| n as u32).collect())
            } else {
                Offsets::Large(all.collect())
            }
        })
    }

    /// 1-based line and byte column of `pos` (a newline belongs to the line it ends).
    pub fn line_col(&self, pos: usize) -> (usize, usize) {
        let nl = self.offsets();
        let i = nl.before(pos);
        let start = if i == 0 {
            0
        } else {
            nl.get(i - 1).map_or(0, |n| n + 1)
        };
        (i + 1, pos - start + 1)
    }

    /// The line holding `pos`, without its newline: `(start, end)` offsets.
    pub fn bounds(&self, pos: usize) -> (usize, usize) {
        let nl = self.offsets();
        let i = nl.before(pos);
        let start = if i == 0 {
            0
        } else {
            nl.get(i - 1).map_or(0, |n| n + 1)
        };
        (start, nl.get(i).unwrap_or(self.bytes.len()))
    }

    /// Every line, without its newline: `(start, end)` offsets, in order.
    pub fn spans(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= self.bytes.len() {
                return None;
            }
            let line = self.bounds(at);
            at = line.1 + 1;
            Some(line)
        })
    }

    /// Does the line holding `pos` carry the `leakguard:allow` marker?
    pub fn is_allowed(&self, pos: usize) -> bool {
        let (s, e) = self.bounds(pos);
        memchr::memmem::find(&self.bytes[s..e], super::allow::ALLOW_MARKER).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_every_line_without_its_newline() {
        let spans = |b: &[u8]| LineIndex::new(b).spans().collect::<Vec<_>>();
        assert_eq!(spans(b"a\n\nbc"), [(0, 1), (2, 2), (3, 5)]);
        assert_eq!(spans(b"a\n"), [(0, 1)]);
        assert!(spans(b"").is_empty());
    }

    /// What a scan back and forth from `pos` gives: the index must agree everywhere.
    fn naive(bytes: &[u8], pos: usize) -> ((usize, usize), (usize, usize)) {
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        let start = bytes[..pos]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| pos + i);
        ((line, pos - start + 1), (start, end))
    }

    #[test]
    fn agrees_with_a_scan_at_every_offset() {
        let texts: [&[u8]; 7] = [
            b"",
            b"\n",
            b"\n\n\n",
            b"one line without newline",
            b"a\r\nbb\r\n\r\nccc\r\n",
            b"x\ny\n\nlast",
            "é\nzw\u{202e}j\n\u{1F600}\n".as_bytes(),
        ];
        for text in texts {
            let idx = LineIndex::new(text);
            for pos in 0..=text.len() {
                let (lc, b) = naive(text, pos);
                assert_eq!(idx.line_col(pos), lc, "{text:?} at {pos}");
                assert_eq!(idx.bounds(pos), b, "{text:?} at {pos}");
            }
        }
    }

    #[test]
    fn many_positions_on_one_long_line_and_many_lines() {
        let unit = b"tok_abc ";
        let long: Vec<u8> = unit.repeat(10_000);
        let idx = LineIndex::new(&long);
        for k in (0..10_000).step_by(97) {
            assert_eq!(idx.line_col(k * unit.len()), (1, k * unit.len() + 1));
            assert_eq!(idx.bounds(k * unit.len()), (0, long.len()));
        }
        let lines: Vec<u8> = b"tok_abc\n".repeat(10_000);
        let idx = LineIndex::new(&lines);
        for k in (0..10_000).step_by(89) {
            assert_eq!(idx.line_col(k * 8 + 4), (k + 1, 5));
            assert_eq!(idx.bounds(k * 8 + 4), (k * 8, k * 8 + 7));
        }
    }

    #[test]
    fn the_allow_marker_counts_on_its_own_line_only() {
        let text = b"a = 1\nb = 2 # leakguard:allow\r\nc = 3";
        let idx = LineIndex::new(text);
        assert!(!idx.is_allowed(2));
        assert!(idx.is_allowed(8));
        assert!(!idx.is_allowed(text.len() - 1));
    }
}
