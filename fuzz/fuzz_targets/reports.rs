//! Arbitrary findings written in every format without `--show-secrets`: JSON and SARIF
//! must parse, and no output may hold a secret (checked for long random-looking secrets
//! that no other text of the report could contain by chance).
#![no_main]

use std::sync::OnceLock;

use leakguard::chunk::Stats;
use leakguard::finding::{CommitInfo, Finding, Suppression};
use leakguard::report::{self, Format, Options, Report, Summary};
use leakguard::rules::{builtin, Rule, RuleSet};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::load(&builtin::sources(), None).expect("built-in rules load"))
}

const OPTS: Options = Options {
    show_secrets: false,
    quiet: false,
    color: false,
    footer: None,
};

/// Every text of the rules a report may print (as written, and as each format prints
/// them with no finding), to tell a secret that occurs by chance.
fn rule_texts() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut s = String::new();
        let summary = Summary::new(&[], Stats::default(), rules().rules.len(), 1.0, 2.0);
        let empty = Report {
            findings: &[],
            suppressed: &[],
            summary: &summary,
            rules: &rules().rules,
        };
        for format in [Format::Text, Format::Json, Format::Sarif] {
            let mut buf = Vec::new();
            report::write(format, &empty, OPTS, &mut buf).expect("writing to a Vec succeeds");
            s.push_str(&String::from_utf8_lossy(&buf));
        }
        for r in &rules().rules {
            for t in [&r.id, &r.description, &r.remediation, &r.pattern, &r.source] {
                s.push_str(t);
                s.push('\n');
            }
            for k in &r.keywords {
                s.push_str(k);
                s.push('\n');
            }
        }
        s
    })
}

#[derive(Debug, Arbitrary)]
enum Secret {
    /// Any text: exercises escaping; not checked for leaks.
    Raw(String),
    /// Indexes into `[A-Za-z0-9]`, at least 16 of them: checked for leaks.
    Random(Vec<u8>),
    /// A keyword of the rule, then random characters.
    Prefixed(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Commit {
    id: String,
    author: String,
    email: String,
    date: String,
}

#[derive(Debug, Arbitrary)]
enum Why {
    Inline,
    Allowlist(String, String),
    Baseline(String, String),
}

#[derive(Debug, Arbitrary)]
struct Input {
    path: String,
    line: usize,
    column: usize,
    secret: Secret,
    rule: u16,
    path_kind: bool,
    entropy: f64,
    also: Vec<u16>,
    commit: Option<Commit>,
    decoded: bool,
    suppressed: Option<Why>,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn alnum(v: &[u8]) -> String {
    v.iter()
        .map(|&b| ALNUM[b as usize % ALNUM.len()] as char)
        .collect()
}

/// A report over a window of the built-in rules (SARIF lists every rule of the report:
/// all of them would make each run slow); findings mostly use rules of the window.
#[derive(Debug, Arbitrary)]
struct Case {
    first_rule: u16,
    rules: u8,
    findings: Vec<Input>,
}

/// The finding, and the secret to look for in the outputs (if it is checkable). Rule
/// indexes below `window.len()` pick a rule of the report, others any built-in rule.
fn finding(i: &Input, window: &[Rule]) -> (Finding, Option<String>) {
    let all = &rules().rules;
    let rule: &Rule = match window.get(i.rule as usize) {
        Some(r) => r,
        None => &all[i.rule as usize % all.len()],
    };
    let (secret, checked) = match &i.secret {
        Secret::Raw(s) => (s.clone(), false),
        Secret::Random(v) => (alnum(v), true),
        Secret::Prefixed(v) => {
            let kw = rule.keywords.first().map_or("", |k| k.as_ref());
            (format!("{kw}{}", alnum(v)), true)
        }
    };
    let mut f = if i.path_kind {
        Finding::path(rule, &i.path)
    } else {
        let also = i
            .also
            .iter()
            .map(|&a| all[a as usize % all.len()].id.to_string())
            .collect();
        Finding::content(
            rule,
            &i.path,
            i.line,
            i.column,
            secret.as_bytes(),
            i.entropy,
            also,
        )
    };
    f.commit = i.commit.as_ref().map(|c| CommitInfo {
        id: c.id.clone(),
        author: c.author.clone(),
        email: c.email.clone(),
        date: c.date.clone(),
    });
    if i.decoded {
        f.decoded = Some("base64");
    }
    f.suppressed = i.suppressed.as_ref().map(|w| match w {
        Why::Inline => Suppression::InlineComment,
        Why::Allowlist(entry, defined_in) => Suppression::Allowlist {
            entry: entry.clone(),
            defined_in: defined_in.clone(),
        },
        Why::Baseline(entry, file) => Suppression::Baseline {
            entry: entry.clone(),
            file: file.clone(),
        },
    });
    let checked = checked && !i.path_kind && secret.chars().count() >= 16;
    (f, checked.then_some(secret))
}

fuzz_target!(|case: Case| {
    let all = &rules().rules;
    let first = case.first_rule as usize % all.len();
    let window = &all[first..(first + usize::from(case.rules % 9)).min(all.len())];
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    let mut secrets = Vec::new();
    // Every text of the report that is not a secret: a secret found in one of these is a
    // coincidence, not a leak.
    let mut innocent = String::new();
    for i in &case.findings {
        let (f, secret) = finding(i, window);
        secrets.extend(secret);
        for t in [&f.path, &f.redacted, &f.description, &f.remediation] {
            innocent.push_str(t);
            innocent.push('\n');
        }
        if let Some(c) = &f.commit {
            for t in [&c.id, &c.author, &c.email, &c.date] {
                innocent.push_str(t);
                innocent.push('\n');
            }
        }
        match &f.suppressed {
            Some(Suppression::Allowlist { entry, defined_in }) => {
                innocent.push_str(entry);
                innocent.push('\n');
                innocent.push_str(defined_in);
                innocent.push('\n');
            }
            Some(Suppression::Baseline { entry, file }) => {
                innocent.push_str(entry);
                innocent.push('\n');
                innocent.push_str(file);
                innocent.push('\n');
            }
            _ => {}
        }
        if f.suppressed.is_some() {
            suppressed.push(f);
        } else {
            findings.push(f);
        }
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    suppressed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut summary = Summary::new(&findings, Stats::default(), window.len(), 1.0, 2.0);
    summary.suppressed = suppressed.len();
    let report = Report {
        findings: &findings,
        suppressed: &suppressed,
        summary: &summary,
        rules: window,
    };
    for format in [Format::Text, Format::Json, Format::Sarif] {
        let mut buf = Vec::new();
        report::write(format, &report, OPTS, &mut buf).expect("writing to a Vec succeeds");
        let text = String::from_utf8(buf).expect("reports are UTF-8");
        if !matches!(format, Format::Text) {
            let doc: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{format:?} output does not parse: {e}\n{text}"));
            let listed = match format {
                Format::Json => doc["findings"].as_array().map(Vec::len),
                _ => doc["runs"][0]["results"].as_array().map(Vec::len),
            };
            let expected = match format {
                Format::Json => findings.len(),
                _ => findings.len() + suppressed.len(),
            };
            assert_eq!(
                listed,
                Some(expected),
                "{format:?}: wrong number of findings"
            );
        }
        for s in &secrets {
            let by_chance = || innocent.contains(s.as_str()) || rule_texts().contains(s.as_str());
            assert!(
                !text.contains(s.as_str()) || by_chance(),
                "{format:?} output leaks {s:?}"
            );
        }
    }
});
