//! `added_lines(old, new)` on two blobs cut from the input (first byte: where to cut, or
//! `0`: old = new, `1`: old empty). Ranges are non-empty, sorted, disjoint and within `new`.
#![no_main]

use leakguard::source::staged::added_lines;
use libfuzzer_sys::fuzz_target;

/// Lines as the diff counts them: split after each `\n`, a last unterminated line counts.
fn line_count(b: &[u8]) -> usize {
    let newlines = b.iter().filter(|&&c| c == b'\n').count();
    newlines + usize::from(!b.is_empty() && !b.ends_with(b"\n"))
}

fn check(old: &[u8], new: &[u8]) {
    let ranges = added_lines(old, new);
    let n = line_count(new);
    let mut prev_end = 1;
    for r in &ranges {
        assert!(r.start < r.end, "empty range {r:?} in {ranges:?}");
        assert!(
            r.start >= prev_end,
            "unsorted or overlapping ranges: {ranges:?}"
        );
        assert!(r.end <= n + 1, "range {r:?} past the {n} lines of new");
        prev_end = r.end;
    }
    if old == new {
        assert!(ranges.is_empty(), "identical blobs, ranges {ranges:?}");
    }
    if old.is_empty() {
        let all: Vec<_> = if n == 0 { vec![] } else { vec![1..n + 1] };
        assert_eq!(ranges, all, "empty old: every line of new is added");
    }
    if new.is_empty() {
        assert!(ranges.is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    match cut {
        0 => check(rest, rest),
        1 => check(b"", rest),
        _ => {
            let at = rest.len() * usize::from(cut) / 255;
            let (old, new) = rest.split_at(at);
            check(old, new);
            check(new, old);
        }
    }
});
