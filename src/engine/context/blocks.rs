//! Names and values on different lines: YAML block scalars, mappings and `- name:` env
//! lists, and CSV/TSV columns. [`extent`] says how far a window reaches past a keyword's
//! line; [`block`] reads such a window. Separate from the one-line parser, which it runs
//! on each row, because it knows line structure (indentation, headers), not operators.

use super::branches::{took, Branch};
use super::line::assignments_in_line;
use super::quotes::{is_name_byte, strip_quotes, trim};
use super::{describes, normalize, Assignment};

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
pub(super) fn block(window: &[u8], out: &mut Vec<Assignment>) {
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
                took(Branch::ListEntry);
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
                took(Branch::BlockScalar);
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
        took(Branch::Mapping);
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
        took(Branch::Columns);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_reaches_as_far_as_the_structure() {
        fn reach(text: &str) -> &str {
            let first = text.find('\n').unwrap_or(text.len());
            &text[..extent(text.as_bytes(), (0, first))]
        }
        assert_eq!(reach("key: |\n  v\nnext: 1\n"), "key: |\n  v");
        assert_eq!(
            reach("- name: X\n  value: v\n- name: Y\n"),
            "- name: X\n  value: v"
        );
        assert_eq!(
            reach("a:\n  b: 1\n\n  c: 2\nd: 3\n"),
            "a:\n  b: 1\n\n  c: 2"
        );
        assert_eq!(reach("a,b,c\n1,2,3\n4,5\n"), "a,b,c\n1,2,3");
        assert_eq!(reach("a=1\nb=2\n"), "a=1");
        assert_eq!(reach("a:"), "a:");
    }
}
