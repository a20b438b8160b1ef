//! Text from scanned data as it may be shown: escaped for a terminal, and without the
//! credentials of any URL in it.
//!
//! Every string that comes from what is scanned (file and directory names, authors, ref and
//! repository names, the errors of gix and SQLite, which embed URLs and paths) goes through
//! [`text`] before a text report or a message prints it, so that no name can move the cursor,
//! recolour the terminal, plant a hyperlink, reorder a line (bidi overrides) or forge an extra
//! line. Every URL that is shown or stored goes through [`url`] (one URL) or [`urls_in`] (URLs
//! inside a message), which replace its user name and password with `***`: a token used as
//! the user name (`https://TOKEN@host/…`) is GitHub's common form, and a user name is no
//! less a credential when it is one.

use std::borrow::Cow;

/// What replaces the credentials of a URL.
const HIDDEN: &str = "***";

/// Is `c` shown escaped: control characters (C0, DEL, C1) and the invisible formatting
/// characters that reorder or hide text (bidi embeddings, overrides, isolates and marks,
/// zero-width characters, line and paragraph separators, tag characters)?
fn hidden_effect(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() {
        // `\n`, `\t`, `\r`, `\u{1b}`: what Rust and the reader expect.
        out.extend(c.escape_default());
    } else {
        out.extend(c.escape_unicode());
    }
}

/// `s` safe to print on a terminal: the characters of [`hidden_effect`] escaped (`\n`,
/// `\u{1b}`, `\u{202e}`), everything else as is. Escaping twice changes nothing.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden_effect) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden_effect(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes (a file name, which need not be UTF-8) as [`text`], with every byte that is not
/// UTF-8 shown as `\xNN`.
pub fn bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&text(chunk.valid()));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// A file name as [`bytes`] shows it, with every backslash doubled: the text then says
/// which bytes the name holds (`crate::chunk::name_bytes` undoes it), so that a name
/// holding the text `\xff` and one holding the byte 0xff never look alike.
pub fn name(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for part in chunk.valid().split_inclusive('\\') {
            match part.strip_suffix('\\') {
                Some(head) => {
                    out.push_str(&text(head));
                    out.push_str("\\\\");
                }
                None => out.push_str(&text(part)),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// Where the credentials of `u` are: the byte range of everything between the scheme's
/// `://` (or the start, for git's `user@host:path`) and the last `@`. The last one, so that
/// a password holding `@` or `/` (unencoded: git would fail on it, but it is still a
/// password) is hidden whole; a path holding `@` is hidden with it, which costs only detail.
///
/// The `://` must end a scheme (`git+ssh`, a letter then letters, digits, `+`, `-`, `.`): in
/// `git:TOKEN@host:org/a://b` it is in the path, and the credentials start at 0.
fn userinfo(u: &str) -> Option<(usize, usize)> {
    let is_scheme = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    };
    let start = u
        .find("://")
        .filter(|&i| is_scheme(&u[..i]))
        .map_or(0, |i| i + 3);
    let at = u[start..].rfind('@')? + start;
    Some((start, at))
}

/// The URL `u` as it may be shown or stored: `https://TOKEN@host/org/repo` becomes
/// `https://***@host/org/repo`, `user:TOKEN@host:path` becomes `***@host:path`. Purely
/// textual, so a URL that does not parse (`ssh://git:TOKEN@bad host/x`) is redacted too.
pub fn url(u: &str) -> String {
    match userinfo(u) {
        Some((start, at)) => format!("{}{HIDDEN}{}", &u[..start], &u[at..]),
        None => u.to_string(),
    }
}

/// Does this word look like a URL with credentials: `scheme://…@…`, or `user:password@…`
/// (git's scp-like form with a password)?
fn credentials_in(word: &str) -> Option<(usize, usize)> {
    let (start, at) = userinfo(word)?;
    if start > 0 {
        return (at > start).then_some((start, at));
    }
    // Without a scheme, only `x:y@`: an e-mail address (`a@b.c`) is left alone.
    word[..at].contains(':').then_some((0, at))
}

/// `message` with the credentials of every URL in it replaced by `***` (see [`url`]). A URL
/// ends at white space or a quote, as gix and git quote them in their errors.
pub fn urls_in(message: &str) -> Cow<'_, str> {
    let is_end = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>');
    let mut out = String::new();
    let mut done = 0;
    let mut rest = message;
    let mut offset = 0;
    while !rest.is_empty() {
        let word_len = rest.find(is_end).unwrap_or(rest.len());
        let word = &rest[..word_len];
        if let Some((start, at)) = credentials_in(word) {
            out.push_str(&message[done..offset + start]);
            out.push_str(HIDDEN);
            done = offset + at;
        }
        // Past the word and the one separator after it.
        let step = rest[word_len..]
            .chars()
            .next()
            .map_or(word_len, |c| word_len + c.len_utf8());
        offset += step;
        rest = &rest[step..];
    }
    if done == 0 {
        return Cow::Borrowed(message);
    }
    out.push_str(&message[done..]);
    Cow::Owned(out)
}

/// `message`, an error about the URL `raw`, with `raw`'s credentials hidden wherever they
/// appear: in the URL as given, in any other spelling of it the error holds (gix quotes a
/// URL as it re-serialises it, ssh names `user@host`), and in any other URL.
pub fn error_about(message: &str, raw: &str) -> String {
    let mut out = message.replace(raw, &url(raw));
    let mut secrets: Vec<String> = Vec::new();
    if let Some((start, at)) = userinfo(raw) {
        let info = &raw[start..at];
        let (user, password) = info.split_once(':').unwrap_or((info, ""));
        // A short user name (`git`) is no secret and is common in text; a password is.
        let pieces = [
            (info, if password.is_empty() { 6 } else { 1 }),
            (user, 6),
            (password, 3),
        ];
        secrets.extend(
            pieces
                .iter()
                .filter(|(s, min)| s.chars().count() >= *min)
                .map(|(s, _)| s.to_string()),
        );
    }
    // The decoded forms (`%40` as `@`), as gix shows them.
    if let Ok(parsed) = gix::url::parse(gix::bstr::BStr::new(raw.as_bytes())) {
        secrets.extend(
            [(parsed.user(), 6), (parsed.password(), 3)]
                .into_iter()
                .filter_map(|(s, min)| s.filter(|s| s.chars().count() >= min))
                .map(str::to_string),
        );
    }
    secrets.retain(|s| !s.is_empty());
    // Longest first, so that a part does not break up the whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in &secrets {
        out = out.replace(s.as_str(), HIDDEN);
    }
    urls_in(&out).into_owned()
}

/// A message for the terminal: [`urls_in`], then [`text`].
pub fn message(m: &str) -> String {
    text(&urls_in(m)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok() -> String {
        format!("ghp_{}", "Q".repeat(36))
    }

    #[test]
    fn controls_and_bidi_are_escaped_once() {
        let s = "a\u{1b}[31mred\u{7}\r\n\u{8}\u{9b}2J\u{202e}txt.exe\u{2066}x\u{200f}";
        let t = text(s);
        assert!(!t.chars().any(hidden_effect), "{t}");
        assert_eq!(
            t,
            "a\\u{1b}[31mred\\u{7}\\r\\n\\u{8}\\u{9b}2J\\u{202e}txt.exe\\u{2066}x\\u{200f}"
        );
        assert_eq!(text(&t), t, "escaping twice changes nothing");
        assert!(matches!(text("caf\u{e9} \u{4e00}"), Cow::Borrowed(_)));
        assert_eq!(bytes(b"a\xffb\n"), "a\\xffb\\n");
    }

    #[test]
    fn every_form_of_url_loses_its_credentials() {
        let t = tok();
        for (raw, shown) in [
            (
                format!("https://{t}@h.test/o/r.git"),
                "https://***@h.test/o/r.git",
            ),
            (
                format!("https://x-access-token:{t}@h.test/o/r"),
                "https://***@h.test/o/r",
            ),
            (format!("ssh://git:{t}@bad host/x"), "ssh://***@bad host/x"),
            (format!("user:{t}@h.test:o/r"), "***@h.test:o/r"),
            (format!("{t}@h.test:o/r"), "***@h.test:o/r"),
            (
                format!("git://{t}@127.0.0.1:9/x"),
                "git://***@127.0.0.1:9/x",
            ),
            (format!("file://{t}@/srv/x"), "file://***@/srv/x"),
            (
                format!("https://u:p@ss/{t}@h.test/x"),
                "https://***@h.test/x",
            ),
            ("https://h.test/o/r".into(), "https://h.test/o/r"),
            // A `://` in the path is no scheme (found by tests/it/properties.rs).
            (format!("git:{t}@h.test:org/://"), "***@h.test:org/://"),
            (
                format!("git:{t}@h.test:o/a/https://x"),
                "***@h.test:o/a/https://x",
            ),
            (
                format!("git+ssh://git:{t}@h.test/o/r://x"),
                "git+ssh://***@h.test/o/r://x",
            ),
        ] {
            assert_eq!(url(&raw), shown, "{raw}");
        }
    }

    #[test]
    fn urls_inside_messages_lose_their_credentials() {
        let t = tok();
        let m = format!(
            "cannot clone https://{t}@h.test/x: The url \"git://u:{t}@h:9/x\" is bad; see ssh://git:{t}@bad host/x and u:{t}@h:o/r"
        );
        let r = urls_in(&m);
        assert!(!r.contains(&t), "{r}");
        assert_eq!(
            r,
            "cannot clone https://***@h.test/x: The url \"git://***@h:9/x\" is bad; see ssh://***@bad host/x and ***@h:o/r"
        );
        let plain = "by a@b.test at https://h.test/x: ok";
        assert!(matches!(urls_in(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn errors_about_a_url_lose_every_spelling_of_its_credentials() {
        let t = tok();
        let raw = format!("ssh://{t}@h.test/x");
        let e = format!("ssh said: {t}@h.test: Permission denied; url {raw}");
        let r = error_about(&e, &raw);
        assert!(!r.contains(&t), "{r}");
        // Built from parts: the project scans itself, and a literal URL with a password in
        // it, even a format string, is what its own rule reports.
        let password = format!("{}%40x", &t[..10]);
        let raw = format!("{}://user:{password}@h.test/x", "https");
        let e = format!("auth failed for user:{}@x", &t[..10]);
        assert!(!error_about(&e, &raw).contains(&t[..10]));
        // Nothing to hide: nothing changes, and `git` stays readable.
        let e = "cannot clone ssh://git@h.test/x: git failed";
        assert_eq!(
            error_about(e, "ssh://git@h.test/x"),
            "cannot clone ssh://***@h.test/x: git failed"
        );
    }
}
