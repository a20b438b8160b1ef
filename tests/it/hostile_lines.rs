//! Hostile line shapes: thousands of candidates on one line (a minified bundle), the same
//! on many lines, CRLF and UTF-16 text, and user regexes that rescan a long line per match.
//! Speed is never timed here (`benches/bigfile.sh` measures it): these tests hold the
//! line/column of every finding, which one newline index per chunk now gives, and a
//! pathological user regex either finishes (bounded searches) or makes the run incomplete
//! (exit 2, naming the rule and the file), never a hang or a silent skip.

use std::time::Duration;

use crate::util::{hits, monime, synthetic, Tree, ALNUM};

/// A hang fails the test instead of blocking it (a quadratic scan of these inputs takes
/// hours; the bounded one seconds, even in a debug build).
const TIMEOUT: Duration = Duration::from_secs(300);

/// `leakguard scan --format json ARGS` in the tree: exit code, JSON and stderr.
fn scan(t: &Tree, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = t.cmd(&all).timeout(TIMEOUT).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed (hang?): {stderr}"));
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (code, json, stderr)
}

/// The `(line, column)` of every finding of `rule` in `path`, sorted.
fn positions(json: &serde_json::Value, path: &str, rule: &str) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = hits(json)
        .into_iter()
        .filter(|(p, r, _, _)| p == path && r == rule)
        .map(|(_, _, l, c)| (l, c))
        .collect();
    v.sort();
    v
}

/// `text` with every `token` at its expected 1-based line and byte column.
fn expected(text: &str, tokens: &[String]) -> Vec<(u64, u64)> {
    let mut want = Vec::new();
    let mut from = 0;
    for t in tokens {
        let at = from + text[from..].find(t.as_str()).unwrap();
        let line = text[..at].matches('\n').count() + 1;
        let start = text[..at].rfind('\n').map_or(0, |p| p + 1);
        want.push((line as u64, (at - start + 1) as u64));
        from = at + t.len();
    }
    want.sort();
    want
}

/// Thousands of tokens on one line, and the same tokens one per line, LF and CRLF, with
/// filler of varying width (multi-byte characters included: columns count bytes): every
/// finding is where the token is.
#[test]
fn every_finding_on_a_long_line_keeps_its_line_and_column() {
    let t = Tree::new();
    let tokens: Vec<String> = (0..3000).map(|i| monime(1000 + i)).collect();
    let filler = |i: usize| match i % 4 {
        0 => " ".to_string(),
        1 => " é ".to_string(),
        2 => format!(" {} ", "x".repeat(i % 97)),
        _ => " ; \u{202e} ".to_string(),
    };
    let one_line: String = tokens
        .iter()
        .enumerate()
        .map(|(i, tok)| format!("{tok}{}", filler(i)))
        .collect::<String>()
        + "\n";
    let many: String = tokens
        .iter()
        .enumerate()
        .map(|(i, tok)| format!("{}{tok}\n", filler(i)))
        .collect();
    let crlf = many.replace('\n', "\r\n");
    // Long lines between short ones: the index must count the short ones too.
    let mixed: String = tokens
        .chunks(500)
        .map(|c| format!("short\n{}\n\n", c.join(" ")))
        .collect();
    t.file("one.txt", &one_line)
        .file("many.txt", &many)
        .file("crlf.txt", &crlf)
        .file("mixed.txt", &mixed);
    let (code, json, stderr) = scan(&t, &["--no-config"]);
    assert_eq!(code, 1, "{stderr}");
    for (path, text) in [
        ("one.txt", &one_line),
        ("many.txt", &many),
        ("crlf.txt", &crlf),
        ("mixed.txt", &mixed),
    ] {
        let got = positions(&json, path, "monime-live-token");
        assert_eq!(got.len(), tokens.len(), "{path}");
        assert_eq!(got, expected(text, &tokens), "{path}");
    }
}

/// Two rules share `sk_live_`; a context word on the line picks the winner. With many
/// candidates on one long line the context words are looked up once per line: the
/// answer must still be per line (a word on one line never decides another's).
#[test]
fn overlapping_rules_on_long_lines_are_ranked_per_line() {
    let t = Tree::new();
    let keys: Vec<String> = (0..2000)
        .map(|i| format!("sk_live_{}", synthetic(7000 + i, 90, ALNUM)))
        .collect();
    let (a, b) = keys.split_at(1000);
    let text = format!("{} // metigan client\n{}\n", a.join(" "), b.join(" "));
    t.file("bundle.js", &text);
    let (code, json, stderr) = scan(&t, &["--no-config"]);
    assert_eq!(code, 1, "{stderr}");
    let metigan = positions(&json, "bundle.js", "metigan-live-key");
    let stripe = positions(&json, "bundle.js", "stripe-secret-key");
    assert_eq!(metigan, expected(&text, a), "line 1 names metigan");
    assert_eq!(
        stripe,
        expected(&text, b),
        "line 2 names nothing: stripe's priority"
    );
}

/// A UTF-16 file is decoded before it is scanned: lines and columns are those of the
/// decoded text, on a long line and on many lines alike.
#[test]
fn utf16_text_gives_the_same_positions() {
    let t = Tree::new();
    let tokens: Vec<String> = (0..800).map(|i| monime(5000 + i)).collect();
    let text = format!(
        "first line\n{}\n{}\n",
        tokens[..400].join(" = "),
        tokens[400..].join("\n")
    );
    let mut le = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
    }
    t.file("wide.txt", &le);
    let (code, json, stderr) = scan(&t, &["--no-config"]);
    assert_eq!(code, 1, "{stderr}");
    let got = positions(&json, "wide.txt", "monime-live-token");
    assert_eq!(got, expected(&text, &tokens));
}

/// A config whose one rule has `regex` (no keywords: it runs on the whole file).
fn regex_rule(regex: &str) -> String {
    format!(
        "extend_default: false\nrules:\n  - id: greedy-user-rule\n    description: d\n    \
         severity: high\n    regex: '{regex}'\n    min_entropy: 6.0\n"
    )
}

/// Lowercase letters, no newline.
fn letters(len: usize) -> String {
    synthetic(42, len, b"abcdefghijklmnopqrstuvwxyz")
}

/// `[a-z]+X|[a-z]{30}` makes every search run to the end of a line of letters (the first
/// branch is preferred until the line ends without an `X`): quadratic under a plain match
/// loop, hours on 4 MB. Bounded searches find the same 30-letter matches in linear time.
/// The entropy floor drops them, so the run is clean and complete.
#[test]
fn a_regex_that_rescans_the_line_per_match_finishes() {
    let t = Tree::new();
    t.file(".leakguard.yaml", regex_rule("[a-z]+X|[a-z]{30}"));
    t.file("letters.txt", letters(4 << 20));
    let (code, json, stderr) = scan(&t, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    assert!(!stderr.contains("not fully scanned"), "{stderr}");
}

/// A rule matching nearly every byte of a long line runs out of its work budget: the file
/// is reported as not fully scanned, naming the rule, and the run is incomplete (exit 2),
/// never clean.
#[test]
fn a_regex_over_its_budget_makes_the_scan_incomplete() {
    let t = Tree::new();
    t.file(".leakguard.yaml", regex_rule("[a-z]+X|[a-z]"));
    t.file("letters.txt", letters(1 << 20));
    let (code, json, stderr) = scan(&t, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("letters.txt not fully scanned")
            && stderr.contains("greedy-user-rule")
            && stderr.contains("incomplete"),
        "{stderr}"
    );
    assert_eq!(json["summary"]["files_unreadable"], 1, "{json}");
}

/// Built-in name-based rules on a line of `password=password=…`: each name's unquoted
/// value used to run to the end of the line (quadratic, minutes on half a megabyte). The
/// secret on the next line is still found where it is.
#[test]
fn a_line_of_repeated_assignments_stays_linear() {
    let t = Tree::new();
    let token = monime(77);
    let text = format!("{}\nAPI_TOKEN={token}\n", "password=".repeat(60_000));
    t.file("app.env", &text)
        .file("notes.txt", "api_key:".repeat(60_000));
    let (code, json, stderr) = scan(&t, &["--no-config"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        positions(&json, "app.env", "monime-live-token"),
        vec![(2, 11)]
    );
    assert!(!stderr.contains("not fully scanned"), "{stderr}");
}
