//! One line's assignments: finds each name, decides from what precedes it how it sits
//! ([`Place`]) and from what follows it which operator gives it a value. The forms it
//! recognises are listed, each with an example, in `forms.rs`. Separate from the blocks
//! (several lines), the command lines and the values, which it calls.

use super::branches::{took, Branch};
use super::commands::command_flags;
use super::quotes::{
    closes, is_blank, is_name_byte, is_quote, quote_at, quote_before, skip_blanks,
    starts_with_word, trim, Quote,
};
use super::values::{scheme, value};
use super::{describes, normalize, Assignment};

/// One line's assignments, their spans shifted by `offset`.
pub(super) fn assignments_in_line(line: &[u8], offset: usize, out: &mut Vec<Assignment>) {
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
        took(Branch::Pair);
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

/// How the name at `start..end` sits, and where what follows it starts (past its closing
/// quote). `None`: not a name (a path in code, a member, a segment of a value).
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
        took(Branch::NotAName);
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

/// The value given to the name at `start..end`, if an operator follows it.
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
        took(Branch::QuotedIndex);
        j = skip_blanks(line, j + 1);
    }
    if line.get(j) == Some(&b'[') {
        took(Branch::Index);
        let close = line[j..].iter().take(8).position(|&b| b == b']')?;
        j = skip_blanks(line, j + close + 1);
    }
    // C# auto-property: `Key { get; set; } = "…"`.
    if line.get(j) == Some(&b'{') {
        let close = line[j..].iter().take(40).position(|&b| b == b'}')?;
        if !line[j..j + close].windows(3).any(|w| w == b"get") {
            return None;
        }
        took(Branch::Property);
        j = skip_blanks(line, j + close + 1);
    }
    let rest = &line[j..];
    let (value_at, loose) = if rest.starts_with(b":=") || rest.starts_with(b"=>") {
        took(Branch::ArrowOrWalrus);
        (j + 2, true)
    } else if rest.starts_with(b"?=") || rest.starts_with(b"||=") || rest.starts_with(b"??=") {
        took(Branch::Conditional);
        (j + rest.iter().position(|&b| b == b'=')? + 1, true)
    } else if rest.starts_with(b"=") {
        if matches!(rest.get(1), Some(b'=' | b'~')) {
            took(Branch::Comparison);
            return None;
        }
        took(Branch::Equals);
        (j + 1, true)
    } else if rest.starts_with(b":") {
        if rest.get(1) == Some(&b':') {
            took(Branch::NotAName);
            return None;
        }
        match typed(line, j + 1) {
            Some(v) => {
                took(Branch::Typed);
                (v, false)
            }
            None => {
                took(Branch::Colon);
                (j + 1, true)
            }
        }
    } else if rest.starts_with(b",") && place.call_arg {
        took(Branch::CallArgument);
        (j + 1, false)
    } else if blank_after && !rest.is_empty() {
        if raw.eq_ignore_ascii_case(b"identified") && starts_with_word(rest, b"by") {
            took(Branch::IdentifiedBy);
            name = b"password";
            (j + 2, false)
        } else if place.flag || place.keyword {
            took(if place.flag {
                Branch::Flag
            } else {
                Branch::Keyword
            });
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
            took(Branch::SpacedLiteral);
            (j, false)
        } else if let Some(v) = typed(line, j) {
            // Go `var apiKey string = "…"`.
            took(Branch::SpacedType);
            (v, false)
        } else {
            return None;
        }
    } else {
        return None;
    };
    let (start_v, end_v, quoted, scheme) = value(line, value_at, place.in_string, loose)?;
    // Inside a string literal (`"X-Auth-Key: v"`), an unquoted value is part of the literal.
    if place.in_string.is_some() {
        took(Branch::InString);
    }
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
        took(Branch::Unclosed);
        return None;
    }
    took(Branch::Element);
    let (s, e) = trim(line, s, e);
    (s < e).then(|| Assignment {
        name: normalize(raw),
        describes: describes(raw),
        start: s,
        end: e,
        quoted: true,
    })
}
