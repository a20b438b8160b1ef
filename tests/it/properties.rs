//! Property tests (proptest) on the library API: redaction bounds, line/column of findings,
//! whole-file against staged scans, and fingerprint/baseline stability.
//!
//! Every token is synthetic: built by a strategy as `mon_` plus 31 characters of
//! `[A-Za-z0-9]`, kept only when it would pass the Monime rule's own bar (high entropy, at
//! least three character classes, no placeholder pattern).
//!
//! Cases per run: redaction 256, line/column 128, staged 24 (each builds a git repository),
//! fingerprints 64, damaged archives 256; about 7 s in a debug build. `PROPTEST_CASES=N` runs more locally.

use std::sync::OnceLock;

use leakguard::baseline::Baseline;
use leakguard::chunk::{Chunk, Limits, Origin};
use leakguard::engine::{Engine, Options};
use leakguard::finding::{redact, Finding, FindingKind};
use leakguard::fingerprint::FingerprintKey;
use leakguard::pipeline;
use leakguard::rules::RuleSet;
use leakguard::source::staged::{self, added_lines};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::util::Repo;

const MONIME: &str = "monime-live-token";

/// The built-in rules, compiled once for the whole test binary.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let set = RuleSet::load_builtin(None).expect("built-in rules load");
        Engine::new(set, Options::default())
    })
}

/// `cases` cases (`PROPTEST_CASES` overrides it for a longer local run), no regression files
/// written into the source tree (minimal failing cases are kept as plain tests instead).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

fn scan(path: &str, text: &str) -> Vec<Finding> {
    let origins = [Origin::file(path)];
    let chunk = Chunk {
        bytes: text.as_bytes(),
        binary: false,
        origins: &origins,
    };
    let mut out = Vec::new();
    engine().scanner().scan(&chunk, &mut out);
    out.into_iter().map(|(_, f)| f).collect()
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

fn classes(s: &str) -> usize {
    [
        s.bytes().any(|b| b.is_ascii_uppercase()),
        s.bytes().any(|b| b.is_ascii_lowercase()),
        s.bytes().any(|b| b.is_ascii_digit()),
    ]
    .iter()
    .filter(|&&x| x)
    .count()
}

/// A synthetic Monime live token that the rule must report.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{31}"
        .prop_map(|body| format!("mon_{body}"))
        .prop_filter("a high-entropy, non-placeholder token", |t| {
            classes(&t[4..]) >= 3
                && leakguard::engine::entropy::shannon(t.as_bytes()) >= 3.5
                && !leakguard::engine::filters::is_placeholder(t.as_bytes())
        })
}

/// A line of code-like filler: assignments, calls, comments, identifiers near `mon_`.
fn code_line() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "password",
        "api_key",
        "token",
        "secret",
        "user",
        "MONIME_ACCESS_TOKEN",
        "db_url",
        "x",
    ]);
    let value = "[A-Za-z0-9_./+-]{0,40}";
    prop_oneof![
        (name.clone(), value).prop_map(|(n, v)| format!("{n} = \"{v}\"")),
        (name.clone(), value).prop_map(|(n, v)| format!("  {n}: {v}")),
        (name, "[a-z_]{0,12}").prop_map(|(n, f)| format!("let {n} = {f}(ctx);")),
        "[a-z_]{0,30}".prop_map(|s| format!("SELECT * FROM mon_{s};")),
        "[ -~]{0,40}".prop_map(|s| format!("# {s}")),
        Just("}".to_string()),
        Just("fn main() {".to_string()),
    ]
}

/// A filler line: printable ASCII, code, a little non-ASCII text, or empty. Never a newline
/// or a carriage return (line endings are chosen by [`join_with`]).
fn filler_line() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[ -~]{0,80}",
        4 => code_line(),
        1 => "[ -~é€中]{0,30}",
        2 => Just(String::new()),
    ]
}

/// How a token sits in its line: text before it (ending in a non-word separator, so that
/// `\b` holds) and text after it (starting with one); either may be empty (line edges).
#[derive(Debug, Clone)]
struct Placement {
    before: String,
    after: String,
}

fn placement() -> impl Strategy<Value = Placement> {
    let sep = || prop::sample::select(vec![" ", "\"", "'", "=", ": ", "(", ",", "`", "= '"]);
    let around = prop_oneof![Just(String::new()), "[ -~]{0,30}", code_line()];
    let edge = || prop::sample::select(vec![false, false, false, true]);
    (around.clone(), sep(), sep(), around, edge(), edge()).prop_map(
        |(pre, s1, s2, post, at_start, at_end)| Placement {
            before: if at_start {
                String::new()
            } else {
                format!("{pre}{s1}")
            },
            after: if at_end {
                String::new()
            } else {
                format!("{s2}{post}")
            },
        },
    )
}

impl Placement {
    fn line(&self, token: &str) -> String {
        format!("{}{token}{}", self.before, self.after)
    }

    /// 1-based byte column of the token in its line.
    fn column(&self) -> usize {
        self.before.len() + 1
    }
}

/// A line of a generated file, remembering a planted token.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    token: Option<(String, usize)>,
}

fn line_with_token() -> impl Strategy<Value = Line> {
    (token(), placement()).prop_map(|(t, p)| Line {
        text: p.line(&t),
        token: Some((t, p.column())),
    })
}

fn plain_line() -> impl Strategy<Value = Line> {
    filler_line().prop_map(|text| Line { text, token: None })
}

fn any_line() -> impl Strategy<Value = Line> {
    prop_oneof![4 => plain_line(), 1 => line_with_token()]
}

fn join(lines: &[Line], trailing_newline: bool) -> String {
    join_with(lines, trailing_newline, "\n")
}

fn join_with(lines: &[Line], trailing_newline: bool, eol: &str) -> String {
    let mut s = lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join(eol);
    if trailing_newline && !lines.is_empty() {
        s.push_str(eol);
    }
    s
}

/// `(line, column, token)` of each planted token, 1-based.
fn planted(lines: &[Line]) -> Vec<(usize, usize, String)> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.token.as_ref().map(|(t, c)| (i + 1, *c, t.clone())))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Checks shared by several properties
// ---------------------------------------------------------------------------------------

/// The number of characters `redact` may show: the longest keyword the secret starts with
/// (ASCII case-insensitively), plus at most min(4, rest / 6).
fn promised(secret: &str, keywords: &[impl AsRef<str>]) -> (usize, usize) {
    let chars: Vec<char> = secret.chars().collect();
    let prefix = keywords
        .iter()
        .map(|k| k.as_ref().chars().collect::<Vec<char>>())
        .filter(|k| {
            k.len() <= chars.len() && k.iter().zip(&chars).all(|(a, b)| a.eq_ignore_ascii_case(b))
        })
        .map(|k| k.len())
        .max()
        .unwrap_or(0);
    let rest = chars.len() - prefix;
    (prefix, prefix + (rest / 6).min(4))
}

/// Invariant 1 on one redacted string.
fn check_redaction(
    secret: &str,
    keywords: &[impl AsRef<str> + std::fmt::Debug],
    out: &str,
) -> Result<(), TestCaseError> {
    let (_, limit) = promised(secret, keywords);
    let Some(shown) = out.strip_suffix('…') else {
        return Err(TestCaseError::fail(format!("{out:?} does not end with …")));
    };
    prop_assert!(
        secret.starts_with(shown),
        "shown part {shown:?} is not a prefix of the secret"
    );
    prop_assert!(
        shown.chars().count() <= limit,
        "shows {} characters, at most {limit} promised (keywords {keywords:?})",
        shown.chars().count()
    );
    if secret.chars().count() > limit {
        prop_assert!(
            !shown.contains(secret),
            "the whole secret is shown: {out:?}"
        );
    }
    Ok(())
}

/// Byte offset of 1-based `(line, column)` in `text`, if it exists.
fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line == 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
    let at = start + column - 1;
    (column >= 1 && at <= end).then_some(at)
}

fn summary(findings: &[Finding]) -> Vec<(String, usize, usize, String)> {
    findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.line, f.column, f.redacted.clone()))
        .collect()
}

/// The Monime finding at `(line, column)`.
fn monime_at(findings: &[Finding], line: usize, column: usize) -> Option<&Finding> {
    findings
        .iter()
        .find(|f| f.rule_id == MONIME && f.line == line && f.column == column)
}

// ---------------------------------------------------------------------------------------
// 1. Redaction
// ---------------------------------------------------------------------------------------

/// A secret and keywords, some of which are (case-flipped) prefixes of the secret.
fn secret_and_keywords() -> impl Strategy<Value = (String, Vec<String>)> {
    let secret = prop_oneof!["[A-Za-z0-9_]{0,60}", "\\PC{0,40}", any::<String>(), token(),];
    secret.prop_flat_map(|s| {
        let n = s.chars().count();
        let from_secret = (0..=n + 2, any::<u64>()).prop_map({
            let s = s.clone();
            move |(len, flips)| {
                s.chars()
                    .take(len)
                    .enumerate()
                    .map(|(i, c)| {
                        if flips >> (i % 64) & 1 == 1 {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect::<String>()
            }
        });
        let other = prop_oneof!["[a-z_]{0,8}", "\\PC{0,6}"];
        let keyword = prop_oneof![2 => from_secret, 1 => other];
        (Just(s), prop::collection::vec(keyword, 0..5))
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// `redact` shows a prefix of the secret no longer than the longest keyword prefix plus
    /// min(4, rest / 6) characters, and never the whole secret beyond what it promises.
    #[test]
    fn redaction_never_reveals_more_than_promised((secret, keywords) in secret_and_keywords()) {
        let out = redact(&secret, &keywords);
        check_redaction(&secret, &keywords, &out)?;
    }
}

// ---------------------------------------------------------------------------------------
// 2. Line and column
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(128))]

    /// A planted token is reported by the Monime rule at its exact line and byte column, and
    /// every finding's (line, column) points at its secret, redacted within the promise.
    #[test]
    fn line_and_column_point_at_the_secret(
        lines in prop::collection::vec(plain_line(), 0..30),
        at in any::<prop::sample::Index>(),
        planted_line in line_with_token(),
        trailing_newline in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let mut lines = lines;
        let i = at.index(lines.len() + 1);
        lines.insert(i, planted_line);
        let text = join_with(&lines, trailing_newline, if crlf { "\r\n" } else { "\n" });
        let findings = scan("src/settings.py", &text);
        let (line, column, token) = planted(&lines).remove(0);
        let f = monime_at(&findings, line, column);
        prop_assert!(
            f.is_some(),
            "no {MONIME} finding at {line}:{column}; findings: {:?}",
            summary(&findings)
        );
        prop_assert_eq!(f.unwrap().secret_bytes(), token.as_bytes());
        for f in &findings {
            if f.decoded.is_some() || f.secret_bytes().is_empty() {
                continue;
            }
            let at = offset(&text, f.line, f.column);
            prop_assert!(
                at.is_some_and(|at| text.as_bytes()[at..].starts_with(f.secret_bytes())),
                "{} at {}:{} does not point at its secret",
                f.rule_id, f.line, f.column
            );
            let keywords = &engine().rules().get(&f.rule_id).unwrap().keywords;
            let secret = String::from_utf8_lossy(f.secret_bytes());
            check_redaction(&secret, keywords, &f.redacted)?;
        }
    }
}

// ---------------------------------------------------------------------------------------
// 3. Whole file against staged addition
// ---------------------------------------------------------------------------------------

/// `(rule, line, column, secret)`, sorted.
fn keyed(findings: &[Finding]) -> Vec<(String, usize, usize, Vec<u8>)> {
    let mut v: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.line,
                f.column,
                f.secret_bytes().to_vec(),
            )
        })
        .collect();
    v.sort();
    v
}

/// What the staged source reports for `new` staged over a committed `old` at `path`: a real
/// repository, the library's own staged listing and scan.
fn staged_findings(path: &str, old: &str, new: &str) -> Vec<Finding> {
    let r = Repo::new();
    r.write(path, old);
    r.commit_all("old");
    r.write(path, new);
    r.git(&["add", path]);
    let repo = gix::discover(r.path()).expect("repository opens");
    let index = staged::open_index(&repo).expect("index reads");
    let files = staged::staged_files(&repo, &index).expect("staged files list");
    let limits = Limits {
        skip_binary: true,
        max_file_size: 1 << 20,
        threads: 1,
        archive_depth: 3,
    };
    let cancel = leakguard::cancel::Cancel::default();
    let (fed, outcome) = pipeline::run(engine(), limits, None, |make| {
        staged::feed(&repo, &files, limits, &cancel, &mut make())
    });
    fed.expect("staged scan");
    outcome.findings()
}

/// An old file and the new one made by inserting lines into it (indices into the old file).
#[allow(clippy::type_complexity)]
fn old_and_new() -> impl Strategy<Value = (Vec<Line>, bool, Vec<Line>, Vec<bool>, bool)> {
    (
        prop::collection::vec(any_line(), 1..15),
        any::<bool>(),
        prop::collection::vec((any::<prop::sample::Index>(), any_line()), 1..6),
        prop::collection::vec((any::<prop::sample::Index>(), line_with_token()), 1..3),
        any::<bool>(),
    )
        .prop_map(|(old, old_nl, inserts, tokens, new_nl)| {
            let mut new: Vec<(Line, bool)> = old.iter().cloned().map(|l| (l, false)).collect();
            for (at, line) in inserts.into_iter().chain(tokens) {
                let i = at.index(new.len() + 1);
                new.insert(i, (line, true));
            }
            let (lines, inserted): (Vec<Line>, Vec<bool>) = new.into_iter().unzip();
            (old, old_nl, lines, inserted, new_nl)
        })
}

proptest! {
    #![proptest_config(config(24))]

    /// Scanning the new file whole and keeping the findings on the lines the diff adds gives
    /// exactly what the staged scan of the same change reports; every token planted on an
    /// inserted line is among them.
    #[test]
    fn whole_file_and_staged_agree_on_added_lines(
        (old, old_nl, new, inserted, new_nl) in old_and_new(),
        crlf in prop::sample::select(vec![false, false, true]),
    ) {
        let path = "src/app.py";
        let eol = if crlf { "\r\n" } else { "\n" };
        let old_text = join_with(&old, old_nl, eol);
        let new_text = join_with(&new, new_nl, eol);
        let added = added_lines(old_text.as_bytes(), new_text.as_bytes());
        let whole: Vec<Finding> = scan(path, &new_text)
            .into_iter()
            .filter(|f| f.kind == FindingKind::Content)
            .filter(|f| added.iter().any(|r| r.contains(&f.line)))
            .collect();
        let staged = staged_findings(path, &old_text, &new_text);
        prop_assert_eq!(keyed(&whole), keyed(&staged), "added lines {:?}", added);
        let lines: Vec<Line> = new
            .iter()
            .zip(&inserted)
            .map(|(l, &ins)| Line {
                text: l.text.clone(),
                token: l.token.clone().filter(|_| ins),
            })
            .collect();
        for (line, column, token) in planted(&lines) {
            let f = monime_at(&staged, line, column);
            prop_assert!(
                f.is_some_and(|f| f.secret_bytes() == token.as_bytes()),
                "inserted token at {line}:{column} not reported; staged: {:?}",
                summary(&staged)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// 4. Fingerprints and baseline hashes
// ---------------------------------------------------------------------------------------

fn baseline(key: &str) -> Baseline {
    let text = format!(r#"{{"leakguard_baseline": 1, "key": "{key}", "entries": []}}"#);
    Baseline::parse(&text, "prop.json").expect("baseline parses")
}

/// `lines` with `token` planted at `(at, placement)`: the text and the token's position.
fn plant(
    lines: &[Line],
    at: prop::sample::Index,
    token: &str,
    p: &Placement,
) -> (String, usize, usize) {
    let mut lines = lines.to_vec();
    let i = at.index(lines.len() + 1);
    lines.insert(
        i,
        Line {
            text: p.line(token),
            token: Some((token.to_string(), p.column())),
        },
    );
    (join(&lines, true), i + 1, p.column())
}

proptest! {
    #![proptest_config(config(64))]

    /// Moving a token to another line and column of the same file keeps its fingerprint, its
    /// baseline hash and its baseline entry; another token gets different ones.
    #[test]
    fn fingerprints_survive_line_moves(
        lines in prop::collection::vec(plain_line(), 0..15),
        (first, second) in (token(), token()).prop_filter("two tokens", |(a, b)| a != b),
        (at1, p1) in (any::<prop::sample::Index>(), placement()),
        (at2, p2) in (any::<prop::sample::Index>(), placement()),
        key in "[0-9a-f]{64}",
    ) {
        let path = "config/settings.py";
        let b = baseline(&key);
        let find = |text: &str, line: usize, column: usize| -> Result<Finding, TestCaseError> {
            let found = scan(path, text);
            monime_at(&found, line, column).cloned().ok_or_else(|| {
                TestCaseError::fail(format!(
                    "no {MONIME} finding at {line}:{column}: {:?}",
                    summary(&found)
                ))
            })
        };
        let (text, l, c) = plant(&lines, at1, &first, &p1);
        let a = find(&text, l, c)?;
        let (text, l, c) = plant(&lines, at2, &first, &p2);
        let moved = find(&text, l, c)?;
        let (text, l, c) = plant(&lines, at1, &second, &p1);
        let other = find(&text, l, c)?;

        let fk = FingerprintKey::from_env(&key);
        prop_assert_eq!(fk.fingerprint(&a), fk.fingerprint(&moved));
        prop_assert_eq!(b.hash(&a), b.hash(&moved));
        prop_assert_eq!(b.entry_for(&a, false), b.entry_for(&moved, false));
        prop_assert_eq!(b.entry_for(&a, true), b.entry_for(&moved, true));
        prop_assert_ne!(fk.fingerprint(&a), fk.fingerprint(&other));
        prop_assert_ne!(b.hash(&a), b.hash(&other));

        let mut accepted = baseline(&key);
        accepted.entries.insert(b.entry_for(&a, false));
        prop_assert!(accepted.lookup(&moved).is_some(), "moved token not accepted");
        prop_assert!(accepted.lookup(&other).is_none(), "another token accepted");
        // The same baseline read again hashes the same way (the key fully determines it).
        prop_assert_eq!(baseline(&key).hash(&moved), b.hash(&a));
    }
}

/// A small zip (deflate, bzip2, zstd), tgz, bz2, xz and tar.zst, each holding
/// `config/app.properties`.
fn sample_archives() -> &'static [Vec<u8>] {
    use std::io::Write;
    static SAMPLES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let props = b"server.port=8080\nlog.level=debug\n";
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file(
            "config/app.properties",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(props).unwrap();
        let zip = z.finish().unwrap().into_inner();
        // The same in the other methods the zip writer has.
        let zip_in = |method| {
            let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default().compression_method(method);
            z.start_file("config/app.properties", opts).unwrap();
            z.write_all(props).unwrap();
            z.finish().unwrap().into_inner()
        };
        let mut t = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(props.len() as u64);
        h.set_cksum();
        t.append_data(&mut h, "config/app.properties", &props[..])
            .unwrap();
        let tar = t.into_inner().unwrap();
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(&tar).unwrap();
        let mut b = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        b.write_all(&tar).unwrap();
        let opts = lzma_rust2::XzOptions::with_preset(1);
        let mut x = lzma_rust2::XzWriter::new(Vec::new(), opts).unwrap();
        x.write_all(props).unwrap();
        vec![
            zip,
            g.finish().unwrap(),
            b.finish().unwrap(),
            x.finish().unwrap(),
            zip_in(zip::CompressionMethod::Bzip2),
            zip_in(zip::CompressionMethod::Zstd),
            zstd::stream::encode_all(&tar[..], 3).unwrap(),
        ]
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// A damaged archive (bytes flipped, cut short) never panics and never hands over more
    /// than the budget allows: at worst it is not an archive, or it stops with a reason.
    #[test]
    fn damaged_archives_are_read_safely(
        which in 0usize..7,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        use leakguard::source::archive::{expand, sniff, Budget, Data};
        let mut bytes = sample_archives()[which].clone();
        let format = sniff(&bytes).expect("a sample is an archive");
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let mut budget = Budget { bytes: 1 << 20, entries: 16, memory: 1 << 20 };
        let mut handed = 0u64;
        let mut visit = |e: leakguard::source::archive::Entry<'_>, _: &mut Budget| {
            handed += 1;
            if let Data::Bytes(b) = e.data {
                assert!(b.len() <= 1 << 16);
            }
        };
        let _ = expand(&bytes, format, "sample", 1 << 16, &mut budget, &mut visit);
        prop_assert!(handed <= 16);
    }
}

// ---------------------------------------------------------------------------------------
// 5. Path redaction over arbitrary Unicode (issue 21: a byte regex ending inside a UTF-8
//    character made `redact_spans` panic on a non-ASCII file name)
// ---------------------------------------------------------------------------------------

/// Text that stands for a redacted span in the model below: a private-use character that
/// the generated paths never hold.
const MARK: char = '\u{E000}';

/// Any string, without [`MARK`].
fn unicode(max: usize) -> impl Strategy<Value = String> {
    let s = prop_oneof![
        proptest::string::string_regex(&format!("\\PC{{0,{max}}}")).unwrap(),
        proptest::string::string_regex(&format!("[a-z\u{100}-\u{17f}/ ._'=-]{{0,{max}}}")).unwrap(),
        proptest::collection::vec(any::<char>(), 0..max).prop_map(|v| v.into_iter().collect()),
    ];
    s.prop_map(|s: String| s.replace(MARK, "?"))
}

/// The characters of `path` no span touches: what [`redact_spans`] must keep, in order.
/// A character is hidden if any byte of it is in a span (clamped to the path).
fn kept_chars(path: &str, spans: &[(usize, usize)]) -> String {
    path.char_indices()
        .filter(|&(i, c)| {
            let end = i + c.len_utf8();
            !spans
                .iter()
                .any(|&(s, e)| s < e.min(path.len()) && s < end && i < e)
        })
        .map(|(_, c)| c)
        .collect()
}

/// A synthetic Monime token from a seed (the token family the built-in rules know).
fn seeded_token(seed: u64) -> String {
    crate::util::monime(seed)
}

proptest! {
    #![proptest_config(config(512))]

    /// `redact_spans` never panics, hides every character any span touches (a span is
    /// widened to character boundaries, never narrowed), keeps every other character in
    /// order, and puts one redacted text per run of hidden characters at most.
    #[test]
    fn redact_spans_hides_whole_characters(
        path in unicode(40),
        raw in proptest::collection::vec((0usize..200, 0usize..200), 0..5),
    ) {
        use leakguard::finding::redact_spans;
        let spans: Vec<(usize, usize)> = raw
            .iter()
            .map(|&(a, len)| (a % (path.len() + 3), a % (path.len() + 3) + len % 12))
            .collect();
        let out = redact_spans(&path, spans.iter().map(|&(s, e)| (s, e, MARK.to_string())).collect());
        let kept: String = out.chars().filter(|&c| c != MARK).collect();
        prop_assert_eq!(&kept, &kept_chars(&path, &spans), "{:?} {:?} -> {:?}", path, spans, out);
        prop_assert!(out.chars().filter(|&c| c == MARK).count() <= spans.len());
        if spans.iter().any(|&(s, e)| s < e && s < path.len()) {
            prop_assert!(out.contains(MARK));
        }
    }

    /// `char_span` gives character boundaries around the span it is given, clamped.
    #[test]
    fn char_span_widens_to_boundaries(path in unicode(20), s in 0usize..90, len in 0usize..20) {
        let (a, b) = leakguard::finding::char_span(&path, s, s + len);
        prop_assert!(path.is_char_boundary(a) && path.is_char_boundary(b) && a <= b);
        prop_assert!(a <= s.min(path.len()) && b >= (s + len).min(path.len()));
        prop_assert!(path.get(a..b).is_some());
    }

    /// The engine's path redaction (`Scanner::printable_path`, which every report and
    /// message names a file through) never panics on any name, and hides a token planted
    /// in it between arbitrary Unicode; so does the reproduction's shape, a password
    /// assignment running into letters past U+00FF.
    #[test]
    fn printable_path_hides_tokens_in_any_unicode_name(
        before in unicode(24),
        after in unicode(24),
        seed in any::<u64>(),
        wide in proptest::collection::vec(0x100u32..0x3000, 0..80),
        lead in prop_oneof![Just("snowflake password='"), Just("password: \""), Just("token=")],
    ) {
        let engine = engine();
        let mut scanner = engine.scanner();
        // Anything at all.
        let _ = scanner.printable_path(&before);
        let _ = scanner.printable_path(&format!("{before}{after}"));
        // A token between arbitrary text, set off by `/` and `.`.
        let token = seeded_token(seed);
        let path = format!("{before}/{token}.{after}");
        let shown = scanner.printable_path(&path);
        prop_assert!(!shown.contains(&token[12..]), "{:?} -> {:?}", path, shown);
        // An allow marker in a name silences nothing there.
        let path = format!("{before} leakguard:allow {token}.{after}");
        let shown = scanner.printable_path(&path);
        prop_assert!(!shown.contains(&token[12..]), "{:?} -> {:?}", path, shown);
        // The reproduction's shape: a secret-like span that ends inside a character.
        let wide: String = wide.into_iter().filter_map(char::from_u32).collect();
        let name = format!("{lead}a{wide}.txt");
        let shown = scanner.printable_path(&name);
        prop_assert!(shown.chars().count() <= name.chars().count() + 1);
    }

    /// Names as reports print them: no control character survives, and `name_bytes`
    /// gives the exact bytes back (so a SARIF URI can be made of them); the URI is ASCII
    /// and percent-decodes to the same bytes.
    #[test]
    fn printable_names_round_trip(raw in proptest::collection::vec(any::<u8>(), 0..40), text in unicode(20)) {
        use leakguard::chunk::{name_bytes, printable_name};
        use leakguard::report::sarif::path_to_uri;
        for bytes in [raw, text.into_bytes()] {
            let shown = printable_name(&bytes);
            prop_assert!(!shown.chars().any(char::is_control), "{:?}", shown);
            prop_assert_eq!(name_bytes(&shown), bytes.clone());
            let uri = path_to_uri(&shown);
            prop_assert!(uri.is_ascii());
            let rel = uri.strip_prefix("file://").unwrap_or(&uri);
            prop_assert_eq!(percent_decode(rel), bytes);
        }
    }

    /// `name_bytes` and `path_to_uri` take any text, redacted or not, without panicking.
    #[test]
    fn name_bytes_is_total(text in unicode(30), tail in "\\\\(x[0-9a-f]?|u\\{[0-9a-fA-F]{0,8}\\}?|.)?") {
        let s = format!("{text}{tail}");
        let _ = leakguard::chunk::name_bytes(&s);
        prop_assert!(leakguard::report::sarif::path_to_uri(&s).is_ascii());
    }

    /// A finding's archive split (`physical_path`, `inner_path`) never panics, whatever
    /// the path and the prefix length.
    #[test]
    fn archive_split_is_total(path in unicode(30), n in 0usize..140) {
        let rule = &engine().rules().rules[0];
        let mut f = Finding::path(rule, &path);
        f.physical = Some(n);
        let p = f.physical_path();
        prop_assert!(path.starts_with(p));
        let _ = f.inner_path();
    }

    /// The one URL redaction never panics, and neither a password nor a token used as the
    /// user name ever shows, in a URL alone or inside a message, whatever the rest holds.
    #[test]
    fn url_redaction_is_total(text in unicode(40), seed in any::<u64>()) {
        use leakguard::printable::{url, urls_in};
        let _ = url(&text);
        let _ = urls_in(&text);
        let secret = crate::util::synthetic(seed, 24, crate::util::ALNUM);
        for u in [
            format!("https://user:{secret}@example.test/{text}"),
            format!("https://{secret}@example.test/{text}"),
            format!("ssh://git:{secret}@example.test/x/{text}"),
            format!("ssh://git:{secret}@bad host/x/{text}"),
            format!("git:{secret}@example.test:org/{text}"),
        ] {
            prop_assert!(!url(&u).contains(&secret), "{}", u);
            let msg = format!("cannot clone {u}: failed");
            prop_assert!(!urls_in(&msg).contains(&secret), "{}", msg);
        }
    }
}

/// `%XX` escapes undone (a test oracle for `path_to_uri`).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(h, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}
