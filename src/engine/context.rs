//! The context grammar: where a line gives a value to a name, in the syntaxes repositories
//! hold. Name-based rules declare `name:` (a regex over the normalized name) and `value:`
//! (a regex the whole value must match); this module is the one place that knows how
//! `NAME <op> VALUE` is written:
//!
//! - operators: `=`, `:=`, `=>`, `?=`, `||=`, `:` (YAML, JSON, dicts, struct fields,
//!   headers), typed declarations (`X: &'static str =`, `x: string =`, `X: Final[str] =`),
//!   `"X", "v"` as call arguments (`define`, `setenv`, `headers.set`), `NAME "v"` (SQL
//!   `PASSWORD 'v'`, Ruby DSLs), `ENV`/`ARG`/`set NAME v`, `--flag v`, SQL `IDENTIFIED BY`,
//!   XML `<name>v</name>`, and `key="NAME" value="v"` / `"name": "NAME", "value": "v"` pairs;
//! - names: bare, quoted, escaped once or twice more (`\"key\"` in notebooks and JSON-held
//!   code), indexed (`env["X"] =`, `key[] =`), in a string (`"Authorization: Bearer v"`);
//!   `Foo::Name` is a path in code, never a name;
//! - values: quoted literals (also escaped, and wrapped in `String::from(…)`, `new
//!   String(…)` and the like), unquoted values (config syntax: env, YAML, INI, properties,
//!   shell, logs), an HTTP auth scheme (`Bearer`, `Basic`, `Token`, `Bot`) skipped. An
//!   unquoted value followed by `(` is a call, not a value.
//!
//! Names are compared normalized ([`normalize`]), so one rule covers `MUFI_API_KEY`,
//! `mufiApiKey`, `mufi-api-key` and `mufiapikey`. A name whose last word says it names or
//! describes a secret (`tokenId`, `secretName`, `password_hash`) or whose secret word is
//! qualified away (`NextToken`, `csrf_token`, `publicKey`) does not hold one ([`describes`]).

/// A value given to a name on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    /// The name, normalized.
    pub name: String,
    /// The name names or qualifies a secret rather than holding one.
    pub describes: bool,
    /// The value's span in the line.
    pub start: usize,
    pub end: usize,
    /// The value is a literal (quoted, or XML text), not an unquoted word.
    pub quoted: bool,
}

/// `MUFI_API_KEY`, `mufiApiKey`, `mufi-api-key` → `mufiapikey`; `spring.datasource.password`
/// keeps its dots. Lowercase ASCII letters and digits, `.` between segments.
pub(crate) fn normalize(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        if b.is_ascii_alphanumeric() {
            out.push(b.to_ascii_lowercase() as char);
        } else if b == b'.' && !out.is_empty() && !out.ends_with('.') {
            out.push('.');
        }
    }
    while out.ends_with('.') {
        out.pop();
    }
    out
}

/// Last words that make a name describe a secret instead of holding it.
const DESCRIPTORS: &[&str] = &[
    "id",
    "ids",
    "name",
    "names",
    "path",
    "paths",
    "file",
    "filename",
    "dir",
    "url",
    "uri",
    "endpoint",
    "arn",
    "type",
    "types",
    "kind",
    "len",
    "length",
    "size",
    "count",
    "field",
    "header",
    "param",
    "prefix",
    "suffix",
    "env",
    "var",
    "ref",
    "label",
    "format",
    "mode",
    "version",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "timeout",
    "provider",
    "policy",
    "location",
    "region",
    "index",
    "hint",
    "regex",
    "pattern",
    "template",
    "placeholder",
    "description",
    "title",
    "text",
    "message",
    "error",
    "enabled",
    "required",
    "hash",
    "digest",
    "store",
    "manager",
    "service",
    "class",
    "factory",
    "handler",
    "callback",
    "method",
    "source",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "algorithm",
    "encoding",
    "exists",
    "pubkey",
    "selector",
    "input",
    "button",
    "icon",
    "view",
    "widget",
];

/// Words before the secret word that make it something else: pagination cursors, CSRF
/// tokens, public keys, parser tokens.
const QUALIFIERS: &[&str] = &[
    "next",
    "prev",
    "previous",
    "page",
    "continuation",
    "cursor",
    "csrf",
    "xsrf",
    "public",
    "question",
    "cancel",
    "cancellation",
    "sync",
    "open",
    "close",
    "start",
    "end",
    "eof",
    "lexer",
    "parser",
    "syntax",
    "sort",
    "paging",
    "publishable",
    "cache",
    "partition",
    "primary",
    "foreign",
    "lookup",
    "idempotency",
    "websocket",
    "vapid",
    "socket",
    "dedup",
    "dedupe",
];

/// Does this name (as written) name or qualify a secret rather than hold one?
pub(crate) fn describes(raw: &[u8]) -> bool {
    // `credential_process.rs`: a file's name, keying its checksum or its contents.
    if let Some(dot) = raw.iter().rposition(|&b| b == b'.') {
        let ext = &raw[dot + 1..];
        if [
            &b"rs"[..],
            b"py",
            b"js",
            b"ts",
            b"go",
            b"json",
            b"md",
            b"txt",
            b"c",
            b"h",
        ]
        .contains(&ext)
        {
            return true;
        }
    }
    let last = raw.rsplit(|&b| b == b'.').next().unwrap_or(raw);
    let words = words(last);
    let is = |list: &[&str], w: &str| list.contains(&w);
    match words.as_slice() {
        [] => false,
        [.., w] if is(DESCRIPTORS, w) => true,
        [.., q, _] => is(QUALIFIERS, q),
        _ => false,
    }
}

/// `apiKeyId` → `[api, key, id]`; `MUFI_API_KEY` → `[mufi, api, key]`. Digits end a word.
fn words(s: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev: u8 = b' ';
    for (i, &b) in s.iter().enumerate() {
        let next_lower = s.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        let boundary = !b.is_ascii_alphabetic()
            || (b.is_ascii_uppercase() && prev.is_ascii_lowercase())
            || (b.is_ascii_uppercase() && prev.is_ascii_uppercase() && next_lower);
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if b.is_ascii_alphabetic() {
            cur.push(b.to_ascii_lowercase() as char);
        }
        prev = b;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The assignments of the lines parsed so far in one buffer, so that several rules running
/// on one line parse it once.
#[derive(Default)]
pub(crate) struct Lines {
    /// `(offset, len)` of each parsed line to its range in `all`. A map, not a sorted list:
    /// rules visit lines in their own orders, and inserting in the middle of a list made
    /// a buffer with many keyword lines quadratic.
    parsed: std::collections::HashMap<(usize, usize), (usize, usize)>,
    all: Vec<Assignment>,
}

impl Lines {
    /// The assignments of `line`, which starts at `offset` in the buffer.
    pub fn assignments(&mut self, line: &[u8], offset: usize) -> &[Assignment] {
        let key = (offset, line.len());
        let (from, to) = match self.parsed.get(&key) {
            Some(&range) => range,
            None => {
                let from = self.all.len();
                assignments(line, &mut self.all);
                let range = (from, self.all.len());
                self.parsed.insert(key, range);
                range
            }
        };
        &self.all[from..to]
    }
}

/// Source files of programming languages: there a secret is a string literal, and an
/// unquoted value is an identifier, a call or a type. Everything else (env, YAML, INI,
/// properties, shell, logs, docs) takes unquoted values.
pub(crate) fn is_code(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "rs" | "go"
            | "py"
            | "pyi"
            | "js"
            | "jsx"
            | "mjs"
            | "cjs"
            | "ts"
            | "tsx"
            | "mts"
            | "cts"
            | "java"
            | "kt"
            | "kts"
            | "scala"
            | "groovy"
            | "cs"
            | "fs"
            | "swift"
            | "rb"
            | "php"
            | "c"
            | "h"
            | "cc"
            | "cpp"
            | "cxx"
            | "hpp"
            | "hh"
            | "m"
            | "mm"
            | "dart"
            | "lua"
            | "vue"
            | "svelte"
            | "ex"
            | "exs"
            | "erl"
            | "clj"
            | "r"
            | "jl"
            | "map"
    )
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn skip_blanks(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && is_blank(line[i]) {
        i += 1;
    }
    i
}

/// A quote, possibly escaped (`"`, `\"`, `\\\"`): its character and how many backslashes
/// precede it.
#[derive(Debug, Clone, Copy)]
struct Quote {
    ch: u8,
    escapes: usize,
    /// Where the quote (its first backslash) starts.
    start: usize,
}

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// The quote ending right before `pos`.
fn quote_before(line: &[u8], pos: usize) -> Option<Quote> {
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
fn quote_at(line: &[u8], pos: usize) -> Option<Quote> {
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
fn closes(line: &[u8], pos: usize, q: Quote) -> Option<usize> {
    let c = quote_at(line, pos)?;
    (c.ch == q.ch && c.escapes == q.escapes).then_some(q.escapes + 1)
}

/// How far a name-based rule's window reaches past a keyword's line (`line` is its span in
/// `bytes`, without the newline): the structures where the name and the value sit on
/// different lines.
/// - a YAML block scalar (`secret: |`): the next line;
/// - a YAML mapping (`mufi:`): the lines indented under it (names become `mufi.api_key`);
/// - a CSV/TSV header naming a column (`id,customer,api_key`): the rows below it.
pub(crate) fn extent(bytes: &[u8], line: (usize, usize)) -> usize {
    let text = &bytes[line.0..line.1];
    let trimmed = text.trim_ascii_end();
    let next_line =
        |from: usize| memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i);
    if line.1 >= bytes.len() {
        return line.1;
    }
    if is_block_scalar(trimmed) || list_name(trimmed).is_some() {
        return next_line(line.1 + 1);
    }
    type Under = fn(&[u8], &[u8]) -> bool;
    let (limit, under): (usize, Under) = if is_mapping(trimmed) {
        (64, |head, row| {
            indent(row) > indent(head) || row.trim_ascii().is_empty()
        })
    } else if header(trimmed).is_some() {
        (2048, |head, row| {
            let sep = header(head).unwrap_or(b',');
            !row.trim_ascii().is_empty() && fields(row, sep).count() == fields(head, sep).count()
        })
    } else {
        return line.1;
    };
    let mut end = line.1;
    for _ in 0..limit {
        if end >= bytes.len() {
            break;
        }
        let row_end = next_line(end + 1);
        if !under(text, &bytes[end + 1..row_end]) {
            break;
        }
        end = row_end;
    }
    end
}

fn indent(line: &[u8]) -> usize {
    line.iter().take_while(|&&b| b == b' ').count()
}

/// `key: |`, `key: >-`: the value is on the following lines.
fn is_block_scalar(t: &[u8]) -> bool {
    let t = t
        .strip_suffix(b"-")
        .or_else(|| t.strip_suffix(b"+"))
        .unwrap_or(t);
    (t.ends_with(b": |") || t.ends_with(b": >") || t.ends_with(b":|") || t.ends_with(b":>"))
        && !t.contains(&b'=')
}

/// `- name: API_TOKEN` (Kubernetes and Compose env lists): the name whose `value:` follows on
/// the next line.
fn list_name(t: &[u8]) -> Option<&[u8]> {
    let rest = t.trim_ascii_start().strip_prefix(b"- name:")?.trim_ascii();
    let name = strip_quotes(rest);
    let name = name
        .strip_suffix(b"\"")
        .or_else(|| name.strip_suffix(b"'"))
        .unwrap_or(name);
    (!name.is_empty() && name.iter().all(|&b| is_name_byte(b))).then_some(name)
}

/// `mufi:` alone on its line: a YAML mapping whose keys follow, indented.
fn is_mapping(t: &[u8]) -> bool {
    let key = t.trim_ascii_start().trim_start_matches_dash();
    key.len() > 1
        && key.ends_with(b":")
        && key[..key.len() - 1]
            .iter()
            .all(|&b| is_name_byte(b) || b == b'"' || b == b'\'')
}

trait TrimDash {
    fn trim_start_matches_dash(&self) -> &[u8];
}

impl TrimDash for [u8] {
    fn trim_start_matches_dash(&self) -> &[u8] {
        self.strip_prefix(b"- ").unwrap_or(self)
    }
}

/// A CSV/TSV header: 3+ name-like fields separated by `,` or a tab. Returns the separator.
fn header(t: &[u8]) -> Option<u8> {
    let sep = if t.contains(&b'\t') { b'\t' } else { b',' };
    // Two separators at least (three fields), found cheaply first.
    memchr::memchr_iter(sep, t).nth(1)?;
    let ok = fields(t, sep).count() >= 3
        && fields(t, sep).all(|(_, f)| {
            let f = strip_quotes(f.trim_ascii());
            let f = f.strip_suffix(b"\"").unwrap_or(f);
            !f.is_empty() && f.len() <= 40 && f.iter().all(|&b| is_name_byte(b) || b == b' ')
        });
    ok.then_some(sep)
}

/// The fields of a row with their offsets (no quoted separators: exports of keys have none).
fn fields(row: &[u8], sep: u8) -> impl Iterator<Item = (usize, &[u8])> {
    let mut at = 0;
    row.split(move |&b| b == sep).map(move |f| {
        let start = at;
        at += f.len() + 1;
        (start, f)
    })
}

/// Assignments of a window spanning several lines (see [`extent`]).
fn block(window: &[u8], out: &mut Vec<Assignment>) {
    let first_end = memchr::memchr(b'\n', window).unwrap_or(window.len());
    let head = &window[..first_end];
    assignments_in_line(head, 0, out);
    let trimmed = head.trim_ascii_end();
    let rows = || {
        let mut at = first_end + 1;
        std::iter::from_fn(move || {
            if at > window.len() {
                return None;
            }
            let end = memchr::memchr(b'\n', &window[at..]).map_or(window.len(), |i| at + i);
            let row = (at, &window[at..end]);
            at = end + 1;
            Some(row)
        })
    };
    if let Some(raw) = list_name(trimmed) {
        // The entry's `value:` on the next line gets the entry's name.
        if let Some((at, row)) = rows().next() {
            let mut found = Vec::new();
            assignments_in_line(row, at, &mut found);
            if let Some(v) = found.into_iter().find(|a| a.name == "value") {
                out.push(Assignment {
                    name: normalize(raw),
                    describes: describes(raw),
                    ..v
                });
            }
        }
    } else if is_block_scalar(trimmed) {
        let key = trimmed.trim_ascii_start().trim_start_matches_dash();
        let raw = &key[..key.iter().position(|&b| b == b':').unwrap_or(0)];
        if let Some((at, row)) = rows().next() {
            let (s, e) = trim(row, 0, row.len());
            if s < e && !raw.is_empty() {
                out.push(Assignment {
                    name: normalize(raw),
                    describes: describes(raw),
                    start: at + s,
                    end: at + e,
                    quoted: true,
                });
            }
        }
    } else if is_mapping(trimmed) {
        // Nested keys: a stack of (indent, normalized key) gives each name its path.
        let key = trimmed.trim_ascii_start().trim_start_matches_dash();
        let mut path = vec![(indent(head), normalize(&key[..key.len() - 1]))];
        for (at, row) in rows() {
            let ind = indent(row);
            if row.trim_ascii().is_empty() {
                continue;
            }
            while path.last().is_some_and(|(i, _)| *i >= ind) {
                path.pop();
            }
            let prefix: Vec<&str> = path.iter().map(|(_, k)| k.as_str()).collect();
            let from = out.len();
            assignments_in_line(row, at, out);
            for a in &mut out[from..] {
                a.name = format!("{}.{}", prefix.join("."), a.name);
            }
            let t = row.trim_ascii_end();
            if is_mapping(t) {
                let k = t.trim_ascii_start().trim_start_matches_dash();
                path.push((ind, normalize(&k[..k.len() - 1])));
            }
        }
    } else if let Some(sep) = header(trimmed) {
        let names: Vec<&[u8]> = fields(trimmed, sep)
            .map(|(_, f)| {
                let f = strip_quotes(f.trim_ascii());
                f.strip_suffix(b"\"").unwrap_or(f)
            })
            .collect();
        for (at, row) in rows() {
            for ((off, f), raw) in fields(row, sep).zip(&names) {
                let (s, e) = trim(f, 0, f.len());
                let (s, e) = match (f.get(s), f.get(e.wrapping_sub(1))) {
                    (Some(b'"'), Some(b'"')) if e > s + 1 => (s + 1, e - 1),
                    _ => (s, e),
                };
                if s < e {
                    out.push(Assignment {
                        name: normalize(raw),
                        describes: describes(raw),
                        start: at + off + s,
                        end: at + off + e,
                        quoted: true,
                    });
                }
            }
        }
    }
}

/// Finds every assignment on `line` (one line, or a window from [`extent`]) and appends it
/// to `out`.
pub(crate) fn assignments(line: &[u8], out: &mut Vec<Assignment>) {
    if memchr::memchr(b'\n', line).is_some() {
        block(line, out);
    } else {
        assignments_in_line(line, 0, out);
    }
}

/// One line's assignments, their spans shifted by `offset`.
fn assignments_in_line(line: &[u8], offset: usize, out: &mut Vec<Assignment>) {
    let from = out.len();
    one_line(line, out);
    for a in &mut out[from..] {
        a.start += offset;
        a.end += offset;
    }
}

fn one_line(line: &[u8], out: &mut Vec<Assignment>) {
    let first = out.len();
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if !(b.is_ascii_alphabetic() || b == b'_') || !starts_name(line, i) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < line.len() && is_name_byte(line[end]) {
            end += 1;
        }
        let mut name_end = end;
        while name_end > i + 1 && matches!(line[name_end - 1], b'.' | b'-') {
            name_end -= 1;
        }
        if let Some(a) = after_name(line, i, name_end) {
            out.push(a);
        }
        i = end;
    }
    command_flags(line, out);
    pair_name_and_value(line, out, first);
}

/// Can a name start at `i`? Not inside another name, but after a flag's dashes (`--token`).
fn starts_name(line: &[u8], i: usize) -> bool {
    let mut k = i;
    while k > 0 && line[k - 1] == b'-' {
        k -= 1;
    }
    let dashes = i - k;
    (k == 0 || !is_name_byte(line[k - 1])) && dashes <= 2
}

/// `key="ApiKey" value="…"` (XML `appSettings`) and `"name": "API_TOKEN", "value": "…"`
/// (task definitions, inline env lists): the first value names the second.
fn pair_name_and_value(line: &[u8], out: &mut Vec<Assignment>, first: usize) {
    let n = out.len();
    for i in first..n.saturating_sub(1) {
        let (key, val) = (&out[i], &out[i + 1]);
        if !matches!(key.name.as_str(), "key" | "name") || val.name != "value" {
            continue;
        }
        let raw = &line[key.start..key.end];
        if raw.is_empty() || !raw.iter().all(|&b| is_name_byte(b)) {
            continue;
        }
        let pair = Assignment {
            name: normalize(raw),
            describes: describes(raw),
            start: val.start,
            end: val.end,
            quoted: val.quoted,
        };
        out.push(pair);
    }
}

/// How the name sits: what precedes it decides which operators apply.
struct Place {
    /// The name is quoted, and the quote closes right after it.
    quoted: bool,
    /// The name is inside a string that does not close after it (`"Authorization: …"`):
    /// the value ends where that string does.
    in_string: Option<Quote>,
    /// `(` before the quoted name: a call argument (`setenv("X", "v")`).
    call_arg: bool,
    /// `--name`: a command-line flag.
    flag: bool,
    /// `ENV`, `ARG`, `set`, `setx` before the name: the value follows a blank.
    keyword: bool,
    /// `<name`: an XML element.
    element: bool,
}

fn place(line: &[u8], start: usize, end: usize) -> Option<(Place, usize)> {
    let open = quote_before(line, start);
    let mut after = end;
    let mut quoted = false;
    if let Some(q) = open {
        if let Some(len) = closes(line, end, q) {
            after = end + len;
            quoted = true;
        }
    }
    let before = open.map_or(start, |q| q.start);
    let head = &line[..before];
    // `Foo::Name` is a path in code, `x."name"` a member; `arn:…:secret:x` and `a/token=b`
    // are segments of one value (PowerShell's `$env:NAME` is the exception).
    let after_word =
        |c: u8| head.len() >= 2 && head.ends_with(&[c]) && is_name_byte(head[head.len() - 2]);
    let segment = (after_word(b':') && !head.ends_with(b"$env:")) || after_word(b'/');
    if head.ends_with(b"::") || (head.ends_with(b".") && quoted) || (segment && open.is_none()) {
        return None;
    }
    let prev_word = {
        let t = head.trim_ascii_end();
        let s = t
            .iter()
            .rposition(|&b| !b.is_ascii_alphabetic())
            .map_or(0, |p| p + 1);
        &t[s..]
    };
    let place = Place {
        quoted,
        in_string: if quoted { None } else { open },
        call_arg: quoted && head.trim_ascii_end().ends_with(b"("),
        flag: head.ends_with(b"--") && open.is_none(),
        keyword: open.is_none()
            && head.ends_with(b" ")
            && matches!(prev_word, b"ENV" | b"ARG" | b"set" | b"SET" | b"setx"),
        element: open.is_none() && head.ends_with(b"<"),
    };
    Some((place, after))
}

fn after_name(line: &[u8], start: usize, end: usize) -> Option<Assignment> {
    // Most names in code are followed by `(`, `.`, `)` or `;`: nothing to look at.
    let mut peek = end;
    while peek < line.len() && (line[peek] == b'\\' || is_quote(line[peek])) && peek - end < 5 {
        peek += 1;
    }
    match line.get(peek) {
        Some(b'=' | b':' | b',' | b'[' | b'{' | b'>' | b'?' | b'|' | b']' | b' ' | b'\t') => {}
        _ => return None,
    }
    let (place, mut j) = place(line, start, end)?;
    let raw = &line[start..end];
    let mut name = &line[start..end];
    if place.element {
        return element(line, raw, j);
    }
    let blank_after = j < line.len() && is_blank(line[j]);
    j = skip_blanks(line, j);
    if place.quoted && line.get(j) == Some(&b']') {
        j = skip_blanks(line, j + 1);
    }
    if line.get(j) == Some(&b'[') {
        let close = line[j..].iter().take(8).position(|&b| b == b']')?;
        j = skip_blanks(line, j + close + 1);
    }
    // C# auto-property: `Key { get; set; } = "…"`.
    if line.get(j) == Some(&b'{') {
        let close = line[j..].iter().take(40).position(|&b| b == b'}')?;
        if !line[j..j + close].windows(3).any(|w| w == b"get") {
            return None;
        }
        j = skip_blanks(line, j + close + 1);
    }
    let rest = &line[j..];
    let (value_at, loose) = if rest.starts_with(b":=") || rest.starts_with(b"=>") {
        (j + 2, true)
    } else if rest.starts_with(b"?=") || rest.starts_with(b"||=") || rest.starts_with(b"??=") {
        (j + rest.iter().position(|&b| b == b'=')? + 1, true)
    } else if rest.starts_with(b"=") {
        if matches!(rest.get(1), Some(b'=' | b'~')) {
            return None;
        }
        (j + 1, true)
    } else if rest.starts_with(b":") {
        if rest.get(1) == Some(&b':') {
            return None;
        }
        typed(line, j + 1).map_or((j + 1, true), |v| (v, false))
    } else if rest.starts_with(b",") && place.call_arg {
        (j + 1, false)
    } else if blank_after && !rest.is_empty() {
        if raw.eq_ignore_ascii_case(b"identified") && starts_with_word(rest, b"by") {
            name = b"password";
            (j + 2, false)
        } else if place.flag || place.keyword {
            (j, true)
        } else if quote_at(line, j).is_some()
            && !place.quoted
            && place.in_string.is_none()
            && (raw.eq_ignore_ascii_case(b"password")
                || raw.eq_ignore_ascii_case(b"passwd")
                || quote_at(line, j).is_some_and(|q| {
                    let s = j + q.escapes + 1;
                    scheme(line, s, line.len()).is_some()
                }))
        {
            // SQL `WITH PASSWORD 'v'`, Ruby DSLs `password "v"`, nginx `proxy_set_header
            // Authorization "Bearer v"`; prose (`passing 'x'`) is not.
            (j, false)
        } else if let Some(v) = typed(line, j) {
            // Go `var apiKey string = "…"`.
            (v, false)
        } else {
            return None;
        }
    } else {
        return None;
    };
    let (start_v, end_v, quoted, scheme) = value(line, value_at, place.in_string, loose)?;
    // Inside a string literal (`"X-Auth-Key: v"`), an unquoted value is part of the literal.
    let quoted = quoted || place.in_string.is_some();
    // A value carrying an HTTP auth scheme is a credential whatever it is called
    // (`httpHeaderValue1: "Bearer …"`).
    let name = if scheme { &b"authorization"[..] } else { name };
    Some(Assignment {
        name: normalize(name),
        describes: if scheme { false } else { describes(name) },
        start: start_v,
        end: end_v,
        quoted,
    })
}

/// Command lines whose tools take a password in a short flag: `mysql -pSECRET`,
/// `redis-cli -a SECRET`, `sshpass -p SECRET`, `curl -u user:SECRET`. Named `password`.
fn command_flags(line: &[u8], out: &mut Vec<Assignment>) {
    const TOOLS: &[&[u8]] = &[
        b"mysql",
        b"mysqldump",
        b"mysqladmin",
        b"mariadb",
        b"redis-cli",
        b"sshpass",
        b"curl",
    ];
    // Cheap first: a short flag (` -x`) must be on the line.
    if !line.windows(2).any(|w| w == b" -")
        || !TOOLS
            .iter()
            .any(|t| memchr::memmem::find(line, t).is_some())
    {
        return;
    }
    let tokens: Vec<(usize, &[u8])> = {
        let mut v = Vec::new();
        let mut i = 0;
        while i < line.len() {
            let s = skip_blanks(line, i);
            let e = s + line[s..]
                .iter()
                .position(|&b| is_blank(b))
                .unwrap_or(line.len() - s);
            if e > s {
                v.push((s, &line[s..e]));
            }
            i = e;
        }
        v
    };
    let mut tool: &[u8] = b"";
    for (n, &(at, tok)) in tokens.iter().enumerate() {
        if !tok.starts_with(b"-") {
            let base = tok.rsplit(|&b| b == b'/').next().unwrap_or(tok);
            if TOOLS.contains(&base) {
                tool = base;
            }
            continue;
        }
        let next = tokens.get(n + 1);
        let (s, v) = match (tool, tok) {
            (b"mysql" | b"mysqldump" | b"mysqladmin" | b"mariadb", t)
                if t.len() > 2 && t.starts_with(b"-p") =>
            {
                (at + 2, &t[2..])
            }
            (b"redis-cli", b"-a") | (b"sshpass", b"-p") => match next {
                Some(&(s, v)) => (s, v),
                None => continue,
            },
            (b"curl", b"-u" | b"--user") => match next {
                Some(&(s, v)) => match v.iter().position(|&b| b == b':') {
                    Some(c) => (s + c + 1, &v[c + 1..]),
                    None => continue,
                },
                None => continue,
            },
            _ => continue,
        };
        let v = strip_quotes(v);
        let s = s + usize::from(line[s] != v.first().copied().unwrap_or(0));
        let e = s + v.iter().position(|&b| is_quote(b)).unwrap_or(v.len());
        if e > s {
            out.push(Assignment {
                name: "password".into(),
                describes: false,
                start: s,
                end: e,
                quoted: true,
            });
        }
    }
}

fn strip_quotes(v: &[u8]) -> &[u8] {
    match v {
        [q, inner @ ..] if is_quote(*q) => inner,
        _ => v,
    }
}

fn starts_with_word(s: &[u8], w: &[u8]) -> bool {
    s.len() > w.len() && s[..w.len()].eq_ignore_ascii_case(w) && is_blank(s[w.len()])
}

/// After a `:`: a type then `=` (`: &'static str =`, `: string =`, `: Final[str] =`)?
/// Returns where the value starts.
fn typed(line: &[u8], colon_end: usize) -> Option<usize> {
    let mut k = skip_blanks(line, colon_end);
    if line.get(k) == Some(&b'&') {
        k += 1;
    }
    if line[k..].starts_with(b"'static") {
        k = skip_blanks(line, k + 7);
    }
    let t = k;
    while k < line.len()
        && k - t <= 40
        && (line[k].is_ascii_alphanumeric() || b"_<>[].".contains(&line[k]))
    {
        k += 1;
    }
    if k == t {
        return None;
    }
    k = skip_blanks(line, k);
    if line.get(k) != Some(&b'=') || line.get(k + 1) == Some(&b'=') {
        return None;
    }
    // A typed declaration gives a literal or a constructor (`String::from(…)`), not nothing:
    // `password: QkpMbVJK…=` is a base64 value with padding, not a type.
    let v = skip_blanks(line, k + 1);
    line.get(v)
        .is_some_and(|&b| is_quote(b) || b.is_ascii_alphabetic() || b"&[@".contains(&b))
        .then_some(k + 1)
}

/// `<password>v</password>`: the element's text.
fn element(line: &[u8], raw: &[u8], after: usize) -> Option<Assignment> {
    let gt = after + line[after..].iter().position(|&b| b == b'>' || b == b'<')?;
    if line[gt] != b'>' || line[gt - 1] == b'/' {
        return None;
    }
    let s = gt + 1;
    let e = s + line[s..].iter().position(|&b| b == b'<')?;
    // The element must close here (`</name>`): `<EVP_PKEY> f(…)` is a C++ template.
    let close = &line[e..];
    if !(close.starts_with(b"</") && close[2..].starts_with(raw)) {
        return None;
    }
    let (s, e) = trim(line, s, e);
    (s < e).then(|| Assignment {
        name: normalize(raw),
        describes: describes(raw),
        start: s,
        end: e,
        quoted: true,
    })
}

fn trim(line: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && line[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && line[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// Wrappers around a literal that keep it a literal.
const CONSTRUCTORS: &[&[u8]] = &[
    b"String::from(",
    b"new String(",
    b"String(",
    b"str(",
    b"Some(",
    b"SecretStr(",
    b"SecretString::new(",
    b"SecretString::from(",
    b"Secret::new(",
    b"Buffer.from(",
    b"bytes(",
    b"[]byte(",
    b"ConvertTo-SecureString ",
];

/// The longest unquoted value. A longer run without a blank or a separator is data (a
/// blob, a minified bundle), not a value; and each name's value would otherwise run to the
/// end of the run, which makes a line of `password=password=…` quadratic.
const MAX_LOOSE: usize = 2048;

/// HTTP authorization schemes, skipped before the credential.
const SCHEMES: &[&[u8]] = &[b"bearer ", b"basic ", b"token ", b"bot "];

/// The value starting at `at` (after blanks): `(start, end, quoted, had an auth scheme)`.
fn value(
    line: &[u8],
    at: usize,
    in_string: Option<Quote>,
    loose: bool,
) -> Option<(usize, usize, bool, bool)> {
    let mut k = skip_blanks(line, at);
    if let Some(c) = CONSTRUCTORS.iter().find(|c| line[k..].starts_with(c)) {
        k = skip_blanks(line, k + c.len());
    } else if line.get(k) == Some(&b'&') {
        k += 1;
    }
    // String prefixes: Python `b"…"`/`r"…"`/`f"…"`, C# `@"…"`, Rust `r#"…"#`.
    for prefix in [&b"r#"[..], b"br", b"rb", b"b", b"r", b"f", b"u", b"@"] {
        if line[k..].starts_with(prefix) && quote_at(line, k + prefix.len()).is_some() {
            k += prefix.len();
            break;
        }
    }
    if let Some(q) = quote_at(line, k) {
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
        return None;
    }
    Some((s, e, false, schemed.is_some()))
}

/// `Bearer x`: where the credential after an auth scheme starts.
fn scheme(line: &[u8], s: usize, e: usize) -> Option<usize> {
    let v = &line[s..e];
    SCHEMES
        .iter()
        .find(|w| v.len() > w.len() && v[..w.len()].eq_ignore_ascii_case(w))
        .map(|w| skip_blanks(line, s + w.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, value, quoted)` of every assignment that does not describe a secret.
    fn found(line: &str) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        assignments(line.as_bytes(), &mut out);
        out.into_iter()
            .filter(|a| !a.describes)
            .map(|a| (a.name, line[a.start..a.end].to_string(), a.quoted))
            .collect()
    }

    /// An unquoted value is at most `MAX_LOOSE` bytes: on a line of `password=password=…`
    /// no value runs to the end of the line (which made the parse quadratic).
    #[test]
    fn unquoted_values_are_bounded() {
        let ok = format!("password={}", "k".repeat(MAX_LOOSE));
        assert_eq!(value_of(&ok, "password").map(|v| v.len()), Some(MAX_LOOSE));
        let blob = format!("password={}", "k".repeat(MAX_LOOSE + 1));
        assert_eq!(value_of(&blob, "password"), None);
        let quoted = format!("password=\"{}\"", "k".repeat(MAX_LOOSE * 2));
        assert_eq!(
            value_of(&quoted, "password").map(|v| v.len()),
            Some(MAX_LOOSE * 2)
        );
        let line = "password=".repeat(20_000);
        let mut out = Vec::new();
        assignments(line.as_bytes(), &mut out);
        assert!(out.iter().all(|a| a.end - a.start <= MAX_LOOSE));
    }

    /// The value given to a name containing `name`, if exactly one.
    fn value_of(line: &str, name: &str) -> Option<String> {
        let hits: Vec<_> = found(line)
            .into_iter()
            .filter(|(n, _, _)| n.replace('.', "").contains(name))
            .collect();
        match hits.as_slice() {
            [(_, v, _)] => Some(v.clone()),
            _ => None,
        }
    }

    #[test]
    fn names_normalize_across_case_styles() {
        for n in [
            "MUFI_API_KEY",
            "mufiApiKey",
            "mufi-api-key",
            "mufiapikey",
            "MufiApiKey",
        ] {
            assert_eq!(normalize(n.as_bytes()), "mufiapikey", "{n}");
        }
        assert_eq!(
            normalize(b"spring.datasource.password"),
            "spring.datasource.password"
        );
        for d in [
            "tokenId",
            "api_key_id",
            "secretName",
            "NextToken",
            "csrf_token",
        ] {
            assert!(describes(d.as_bytes()), "{d}");
        }
        for h in [
            "apiKey",
            "MUFI_API_KEY",
            "signingKey",
            "access_token",
            "nextAuthSecret",
        ] {
            assert!(!describes(h.as_bytes()), "{h}");
        }
    }

    #[test]
    fn every_syntax_gives_the_value() {
        let v = "Q7x9Lm2Pz8Kd4Rt6";
        for line in [
            format!("api_key = \"{v}\""),
            format!("API_KEY={v}"),
            format!("export API_KEY={v}"),
            format!("  api_key: {v}"),
            format!("\"api_key\": \"{v}\","),
            format!("apiKey := \"{v}\""),
            format!("APIKey: \"{v}\","),
            format!("const API_KEY: &'static str = \"{v}\";"),
            format!("let api_key: String = String::from(\"{v}\");"),
            format!("let api_key = \"{v}\".to_string();"),
            format!("String apiKey = new String(\"{v}\");"),
            format!("val apiKey: String = \"{v}\""),
            format!("API_KEY: Final[str] = \"{v}\""),
            format!("var apiKey string = \"{v}\""),
            format!("$api_key = '{v}';"),
            format!("'api_key' => '{v}',"),
            format!(":api_key => \"{v}\""),
            format!("define('API_KEY', '{v}');"),
            format!("os.environ[\"API_KEY\"] = \"{v}\""),
            format!("$env:API_KEY = \"{v}\""),
            format!("ENV API_KEY {v}"),
            format!("ARG API_KEY={v}"),
            format!("docker run -e API_KEY={v} app"),
            format!("tool --api-key {v}"),
            format!("tool --api-key={v}"),
            format!("<apiKey>{v}</apiKey>"),
            format!("<add key=\"ApiKey\" value=\"{v}\" />"),
            format!("{{\"name\": \"API_KEY\", \"value\": \"{v}\"}}"),
            format!("\"    api_key = \\\"{v}\\\"\\n\","),
            format!("\"cmd\": \"x = {{\\\\\\\"api_key\\\\\\\": \\\\\\\"{v}\\\\\\\"}}\""),
            format!("2024-05-01 [DEBUG] Using api_key={v} for request"),
            format!("static char api_key[] = \"{v}\";"),
            format!("api_key = b\"{v}\""),
            format!("api.key={v}"),
        ] {
            assert_eq!(value_of(&line, "apikey").as_deref(), Some(v), "{line}");
        }
    }

    #[test]
    fn headers_flags_and_sql() {
        let v = "Q7x9Lm2Pz8Kd4Rt6";
        for (line, name) in [
            (
                format!("curl -H \"Authorization: Bearer {v}\" https://x"),
                "authorization",
            ),
            (format!("curl -H 'X-Api-Key: {v}' https://x"), "xapikey"),
            (
                format!("headers: {{ Authorization: `Bearer {v}` }}"),
                "authorization",
            ),
            (
                format!("headers={{\"Authorization\": \"Token {v}\"}}"),
                "authorization",
            ),
            (format!("Authorization: Basic {v}"), "authorization"),
            (format!("Private-Token: {v}"), "privatetoken"),
            (
                format!("proxy_set_header Authorization \"Bearer {v}\";"),
                "authorization",
            ),
            (format!("CREATE USER app IDENTIFIED BY '{v}';"), "password"),
            (format!("ALTER ROLE app WITH PASSWORD '{v}';"), "password"),
            (
                format!("mysql -u root -p{v} reports < dump.sql"),
                "password",
            ),
            (format!("redis-cli -h cache -a {v} INFO"), "password"),
            (format!("curl -fsS -u deploy:{v} https://x"), "password"),
            (format!("httpHeaderValue1: \"Bearer {v}\""), "authorization"),
            (
                format!("public string MufiApiKey {{ get; set; }} = \"{v}\";"),
                "mufiapikey",
            ),
            (
                format!("$p = ConvertTo-SecureString \"{v}\" -AsPlainText"),
                "p",
            ),
        ] {
            assert_eq!(value_of(&line, name).as_deref(), Some(v), "{line}");
        }
    }

    /// `(name, value)` of a window's assignments, found as the engine finds them: the
    /// window reaches as far as [`extent`] says.
    fn in_window(text: &str) -> Vec<(String, String)> {
        let first = text.find('\n').unwrap_or(text.len());
        let end = extent(text.as_bytes(), (0, first));
        let mut out = Vec::new();
        assignments(&text.as_bytes()[..end], &mut out);
        out.into_iter()
            .map(|a| (a.name, text[a.start..a.end].to_string()))
            .collect()
    }

    #[test]
    fn names_and_values_on_different_lines() {
        let v = "Q7x9Lm2Pz8Kd4Rt6";
        let has = |text: &str, name: &str| {
            let found = in_window(text);
            assert!(
                found.iter().any(|(n, x)| n == name && x == v),
                "{text:?}: {found:?}"
            );
        };
        has(
            &format!("signing-secret: |\n    {v}\nnext: 1\n"),
            "signingsecret",
        );
        has(&format!("jwt_key: >-\n  {v}\n"), "jwtkey");
        has(&format!("mufi:\n  api_key: {v}\nother: 1\n"), "mufi.apikey");
        has(
            &format!("services:\n  mufi:\n    timeout: 3\n    key: \"{v}\"\n"),
            "services.mufi.key",
        );
        has(
            &format!("id,customer,api_key\n1,acme,{v}\n2,globex,\"{v}\"\n"),
            "apikey",
        );
        has(&format!("id\tplan\ttoken\n7\tpro\t{v}\n"), "token");
        has(
            &format!("  - name: DB_PASSWORD\n    value: \"{v}\"\n"),
            "dbpassword",
        );
        // The mapping ends where the indentation does.
        let found = in_window(&format!("mufi:\n  url: x\nkey: {v}\n"));
        assert!(
            found.iter().all(|(n, _)| n != "mufi.key" && n != "key"),
            "{found:?}"
        );
    }

    #[test]
    fn code_that_is_not_a_value() {
        for line in [
            "if token == \"abc\":",
            "Kind::SECRET_TOKEN => 1,",
            "token = get_token(name)",
            "\"AWS::ApiGateway::ApiKey\": \"48205d4ffd7feba3\"",
            "token != other",
            "is done by passing 'ubifs_tnc_remove_nm()' the same key",
            "_pass:[TEP_ERRNO__FILTER_MATCH]_ - filter found",
            "client-key-data: LS0tLS1CRUdJTi{{base64:20}}",
            "static bssl::UniquePtr<EVP_PKEY> dsa_keygen(bssl::UniquePtr<EVP_PKEY> &params,",
            "api_key: Q7x9Lm2Pz8Kd4Rt6${SUFFIX}",
        ] {
            let hits = found(line);
            let bad: Vec<_> = hits
                .iter()
                .filter(|(n, v, _)| {
                    (n.contains("token") || n.contains("key") || n.contains("secret"))
                        && !v.contains('.')
                })
                .collect();
            assert!(bad.is_empty(), "{line}: {hits:?}");
        }
    }
}
