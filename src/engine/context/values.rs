//! Values: where the value given to a name starts and ends. A quoted literal (escaped or
//! not, behind a string prefix or wrapped in a constructor), or an unquoted word (config
//! syntax), with an HTTP auth scheme skipped. Separate from the names and operators because
//! every form ends here, and its words (constructors, schemes) are vocabulary.

use super::branches::{took, Branch};
use super::quotes::{is_blank, is_quote, quote_at, skip_blanks, Quote};
use super::vocabulary::{CONSTRUCTORS, SCHEMES};

/// The longest unquoted value. A longer run without a blank or a separator is data (a
/// blob, a minified bundle), not a value; and each name's value would otherwise run to the
/// end of the run, which makes a line of `password=password=…` quadratic.
pub(super) const MAX_LOOSE: usize = 2048;

/// The value starting at `at` (after blanks): `(start, end, quoted, had an auth scheme)`.
/// `loose`: an unquoted value counts too.
pub(super) fn value(
    line: &[u8],
    at: usize,
    in_string: Option<Quote>,
    loose: bool,
) -> Option<(usize, usize, bool, bool)> {
    let mut k = skip_blanks(line, at);
    if let Some(c) = CONSTRUCTORS.iter().find(|c| line[k..].starts_with(c)) {
        took(Branch::Constructor);
        k = skip_blanks(line, k + c.len());
    } else if line.get(k) == Some(&b'&') {
        k += 1;
    }
    // String prefixes: Python `b"…"`/`r"…"`/`f"…"`, C# `@"…"`, Rust `r#"…"#`.
    for prefix in [&b"r#"[..], b"br", b"rb", b"b", b"r", b"f", b"u", b"@"] {
        if line[k..].starts_with(prefix) && quote_at(line, k + prefix.len()).is_some() {
            took(Branch::StringPrefix);
            k += prefix.len();
            break;
        }
    }
    if let Some(q) = quote_at(line, k) {
        took(Branch::Quoted);
        let mut s = k + q.escapes + 1;
        let end_of = |from: usize| {
            from + line[from..]
                .iter()
                .position(|&b| b == q.ch || b == b'\\')
                .unwrap_or(line.len() - from)
        };
        let mut e = end_of(s);
        let schemed = scheme(line, s, e);
        if let Some(after) = schemed {
            took(Branch::AuthScheme);
            s = after;
            e = s + line[s..e]
                .iter()
                .position(|&b| is_blank(b))
                .unwrap_or(e - s);
        }
        return (s < e).then_some((s, e, true, schemed.is_some()));
    }
    if !loose {
        return None;
    }
    let stop = |b: u8| {
        b.is_ascii_whitespace()
            || is_quote(b)
            || b"\\,;)]{}<>&(".contains(&b)
            || in_string.is_some_and(|q| q.ch == b)
    };
    let end_of = |from: usize| {
        let to = line.len().min(from + MAX_LOOSE + 1);
        from + line[from..to]
            .iter()
            .position(|&b| stop(b))
            .unwrap_or(to - from)
    };
    let mut s = k;
    let mut e = end_of(s);
    let schemed = scheme(line, s, line.len());
    if let Some(after) = schemed {
        took(Branch::AuthScheme);
        s = after;
        e = end_of(s);
    }
    // Nothing, a call, an object or an array is not a value; nor is text running into a
    // template expression (`prefix{{ var }}`, `prefix${VAR}`).
    let rest = &line[e..];
    if s == e
        || e - s > MAX_LOOSE
        || rest.starts_with(b"(")
        || rest.starts_with(b"{")
        || matches!(line[s], b'{' | b'[')
    {
        took(Branch::NotAValue);
        return None;
    }
    took(Branch::Unquoted);
    Some((s, e, false, schemed.is_some()))
}

/// `Bearer x`: where the credential after an auth scheme starts.
pub(super) fn scheme(line: &[u8], s: usize, e: usize) -> Option<usize> {
    let v = &line[s..e];
    SCHEMES
        .iter()
        .find(|w| v.len() > w.len() && v[..w.len()].eq_ignore_ascii_case(w))
        .map(|w| skip_blanks(line, s + w.len()))
}

#[cfg(test)]
mod tests {
    use super::super::assignments;
    use super::*;

    /// The values of the assignments of `line` to `name` (normalized).
    fn values_of(line: &str, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        assignments(line.as_bytes(), &mut out);
        out.into_iter()
            .filter(|a| a.name == name)
            .map(|a| line[a.start..a.end].to_string())
            .collect()
    }

    /// An unquoted value is at most `MAX_LOOSE` bytes: on a line of `password=password=…`
    /// no value runs to the end of the line (which made the parse quadratic).
    #[test]
    fn unquoted_values_are_bounded() {
        let ok = format!("password={}", "k".repeat(MAX_LOOSE));
        assert_eq!(values_of(&ok, "password"), ["k".repeat(MAX_LOOSE)]);
        let blob = format!("password={}", "k".repeat(MAX_LOOSE + 1));
        assert!(values_of(&blob, "password").is_empty());
        let quoted = format!("password=\"{}\"", "k".repeat(MAX_LOOSE * 2));
        assert_eq!(values_of(&quoted, "password"), ["k".repeat(MAX_LOOSE * 2)]);
        let line = "password=".repeat(20_000);
        let mut out = Vec::new();
        assignments(line.as_bytes(), &mut out);
        assert!(out.iter().all(|a| a.end - a.start <= MAX_LOOSE));
    }

    /// Every constructor keeps the literal it wraps a literal.
    #[test]
    fn every_constructor_wraps_a_literal() {
        for c in CONSTRUCTORS {
            let c = std::str::from_utf8(c).unwrap();
            let line = format!("api_key = {c}\"pw\")");
            assert_eq!(values_of(&line, "apikey"), ["pw"], "{line}");
        }
    }

    /// Every auth scheme, in any case, is skipped and names the value `authorization`.
    #[test]
    fn every_auth_scheme_is_skipped() {
        for s in SCHEMES {
            let s = std::str::from_utf8(s).unwrap();
            for s in [s.to_string(), s.to_uppercase()] {
                for line in [format!("X-Key: {s}pw"), format!("x = \"{s}pw\"")] {
                    assert_eq!(values_of(&line, "authorization"), ["pw"], "{line}");
                }
            }
        }
    }
}
