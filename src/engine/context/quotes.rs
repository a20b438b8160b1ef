//! The bytes of a line as the grammar sees them: name bytes, blanks, and quotes that may be
//! escaped once or twice more (`\"key\"` in notebooks, `\\\"key\\\"` in JSON-held code).
//! Separate because every reader (one line, blocks, command lines, values) needs them.

/// A byte of a name: `api_key`, `api-key`, `spring.datasource.password`.
#[inline]
pub(super) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

#[inline]
pub(super) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[inline]
pub(super) fn skip_blanks(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && is_blank(line[i]) {
        i += 1;
    }
    i
}

/// A quote, possibly escaped (`"`, `\"`, `\\\"`): its character and how many backslashes
/// precede it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Quote {
    pub ch: u8,
    pub escapes: usize,
    /// Where the quote (its first backslash) starts.
    pub start: usize,
}

#[inline]
pub(super) fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// The quote ending right before `pos`.
pub(super) fn quote_before(line: &[u8], pos: usize) -> Option<Quote> {
    let ch = *line.get(pos.checked_sub(1)?)?;
    if !is_quote(ch) {
        return None;
    }
    let mut start = pos - 1;
    while start > 0 && line[start - 1] == b'\\' {
        start -= 1;
    }
    Some(Quote {
        ch,
        escapes: pos - 1 - start,
        start,
    })
}

/// The quote starting at `pos`, if any.
pub(super) fn quote_at(line: &[u8], pos: usize) -> Option<Quote> {
    let mut i = pos;
    while i < line.len() && line[i] == b'\\' && i - pos < 4 {
        i += 1;
    }
    let ch = *line.get(i)?;
    is_quote(ch).then_some(Quote {
        ch,
        escapes: i - pos,
        start: pos,
    })
}

/// Does `q` close at `pos`? Returns the closing quote's length.
pub(super) fn closes(line: &[u8], pos: usize, q: Quote) -> Option<usize> {
    let c = quote_at(line, pos)?;
    (c.ch == q.ch && c.escapes == q.escapes).then_some(q.escapes + 1)
}

/// `v` without its opening quote, if it has one.
pub(super) fn strip_quotes(v: &[u8]) -> &[u8] {
    match v {
        [q, inner @ ..] if is_quote(*q) => inner,
        _ => v,
    }
}

/// Does `s` start with the word `w` (any case) followed by a blank?
pub(super) fn starts_with_word(s: &[u8], w: &[u8]) -> bool {
    s.len() > w.len() && s[..w.len()].eq_ignore_ascii_case(w) && is_blank(s[w.len()])
}

/// `s..e` in `line` without the whitespace at either end.
pub(super) fn trim(line: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && line[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && line[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}
