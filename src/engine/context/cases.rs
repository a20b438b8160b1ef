//! Runs `tests/data/context_cases.txt`: lines (or windows of several lines) and the
//! assignments the grammar finds in them, one case a line, checked through [`assignments`]
//! as the engine calls it (a window reaches as far as [`extent`] says). Its own module
//! because `forms.rs` checks its examples against the same file.

use super::{assignments, extent};

/// The cases file, relative to the crate.
const FILE: &str = "tests/data/context_cases.txt";

/// One case: its line in the file, the text parsed, and what it must yield (rendered as
/// [`render`] does).
pub(super) struct Case {
    pub line: usize,
    pub input: String,
    pub expect: Vec<String>,
}

/// The assignments found in `text` (its first line, and the lines [`extent`] adds), in the
/// file's notation: `name | value`, `"value"` for a literal, `(describes)` after a name
/// that only names a secret.
pub(super) fn render(text: &str) -> Vec<String> {
    let first = text.find('\n').unwrap_or(text.len());
    let end = extent(text.as_bytes(), (0, first));
    let mut out = Vec::new();
    assignments(&text.as_bytes()[..end], &mut out);
    out.into_iter()
        .map(|a| {
            let v = &text[a.start..a.end];
            let v = if a.quoted {
                format!("\"{v}\"")
            } else {
                v.into()
            };
            let d = if a.describes { " (describes)" } else { "" };
            format!("{}{d} | {v}", a.name)
        })
        .collect()
}

/// `a | x ⟶ b | y` as a list; `∅` is the empty list.
pub(super) fn expectations(text: &str) -> Vec<String> {
    let all: Vec<String> = text.split('⟶').map(|e| e.trim().to_string()).collect();
    if all == ["∅"] {
        return Vec::new();
    }
    all
}

/// The cases of the file. A case is the input, one line or several, then `⟶` and what it
/// yields, on the input's last line or on lines of their own that start with `⟶`. A blank
/// line or a comment (`#`) ends a case, and so does a line after the `⟶` not starting
/// with one. Blanks before the first `⟶` are not part of the input.
pub(super) fn load() -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{FILE}: {e}"));
    let mut cases = Vec::new();
    let mut run: Vec<(usize, &str)> = Vec::new();
    let mut flush = |run: &mut Vec<(usize, &str)>| {
        let Some(&(line, _)) = run.first() else {
            return;
        };
        let joined = run.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        let (input, rest) = joined
            .split_once('⟶')
            .unwrap_or_else(|| panic!("{FILE}:{line}: a case says what it yields after ⟶"));
        cases.push(Case {
            line,
            input: input.trim_end().to_string(),
            expect: expectations(rest),
        });
        run.clear();
    };
    for (n, l) in text.lines().enumerate() {
        let answered = run.iter().any(|(_, l)| l.contains('⟶'));
        if l.trim().is_empty() || l.starts_with('#') {
            flush(&mut run);
            continue;
        }
        if answered && !l.trim_start().starts_with('⟶') {
            flush(&mut run);
        }
        run.push((n + 1, l));
    }
    flush(&mut run);
    cases
}

/// Every case yields exactly what it says, in order.
#[test]
fn every_case_yields_what_it_says() {
    let cases = load();
    assert!(cases.len() >= 120, "{} cases", cases.len());
    let mut failed = Vec::new();
    for c in &cases {
        let got = render(&c.input);
        if got != c.expect {
            let got = if got.is_empty() {
                "∅".into()
            } else {
                got.join(" ⟶ ")
            };
            failed.push(format!("{FILE}:{}: {:?}\n    got: {got}", c.line, c.input));
        }
    }
    assert!(
        failed.is_empty(),
        "{} case(s) failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
