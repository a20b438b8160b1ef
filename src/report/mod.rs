//! Reporters: functions of `&[Finding]` and a [`Summary`], one file per format, plus the
//! rule list. They take their own types ([`Format`], [`Options`], [`Report`]); nothing here
//! reads a file or knows the command line.

pub mod json;
pub mod rules;
pub mod sarif;
pub mod text;
pub mod verdict;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::chunk::Stats;
use crate::finding::{Finding, Suppression};
use crate::rules::{Rule, Severity};

/// Run-level facts printed after the findings.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub stats: Stats,
    pub findings: usize,
    /// Findings per severity, only non-zero ones.
    pub by_severity: BTreeMap<Severity, usize>,
    pub rules: usize,
    /// Commits walked (history scans only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<usize>,
    pub rules_compile_ms: f64,
    pub elapsed_ms: f64,
    /// Findings silenced by a baseline, an allowlist or an inline comment (counted only
    /// where known: allowlisted paths are not scanned unless `--explain` is given).
    pub suppressed: usize,
    /// Findings below `--min-severity`, not reported.
    pub below_min_severity: usize,
    /// Baseline entries that matched no finding (`rule hash [path]`): prune them with
    /// `leakguard baseline --prune`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_baseline: Vec<String>,
    /// Where the fingerprints' key came from (`env`, `root-commits`, `origin-url`,
    /// `public`), in the formats that carry fingerprints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint_key: Option<&'static str>,
    /// Reported findings per validation status, with `--validate`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub validation: BTreeMap<crate::validate::Status, usize>,
}

impl Summary {
    /// Builds the summary of a finished scan.
    pub fn new(
        findings: &[Finding],
        stats: Stats,
        rules: usize,
        rules_compile_ms: f64,
        elapsed_ms: f64,
    ) -> Summary {
        let mut by_severity = BTreeMap::new();
        for f in findings {
            *by_severity.entry(f.severity).or_insert(0) += 1;
        }
        Summary {
            stats,
            findings: findings.len(),
            by_severity,
            rules,
            commits: None,
            rules_compile_ms,
            elapsed_ms,
            suppressed: 0,
            below_min_severity: 0,
            stale_baseline: Vec::new(),
            fingerprint_key: None,
            validation: BTreeMap::new(),
        }
    }
}

/// What the reporter should print.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub show_secrets: bool,
    pub quiet: bool,
    pub color: bool,
    /// Advice printed after a text report that has findings (the hook's ways out).
    pub footer: Option<&'static str>,
}

/// The formats of an audit report (`leakguard report`, written by `audit::report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    Sarif,
    Csv,
    /// One self-contained page with charts and a sortable table.
    Html,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).
    Sarif,
}

impl Format {
    /// Whether the report holds fingerprints (whose key may cost a walk of the history).
    pub fn shows_fingerprints(self) -> bool {
        matches!(self, Format::Json | Format::Sarif)
    }
}

/// Everything a reporter may print.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    /// Reported findings, sorted.
    pub findings: &'a [Finding],
    /// Suppressed findings with their reason (`Finding::suppressed`), sorted; empty unless
    /// `--explain`.
    pub suppressed: &'a [Finding],
    pub summary: &'a Summary,
    /// The active rules (SARIF lists them all in `tool.driver.rules`).
    pub rules: &'a [Rule],
}

/// Writes the report in `format`.
pub fn write(
    format: Format,
    report: &Report<'_>,
    opts: Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, opts, out),
        Format::Json => json::write(report, opts, out),
        Format::Sarif => sarif::write(report, opts, out),
    }
}

/// What suppressed a finding, in words, for the text report and SARIF's `justification`:
/// `baseline entry <entry> in <file>`, `allowlist <entry> (<defined_in>)` or
/// `leakguard:allow comment`.
pub fn suppression_reason(s: &Suppression) -> String {
    match s {
        Suppression::InlineComment => "leakguard:allow comment".to_string(),
        Suppression::Allowlist { entry, defined_in } => {
            format!("allowlist {entry} in {defined_in}")
        }
        Suppression::Baseline { entry, file } => format!("baseline entry {entry} in {file}"),
    }
}

/// Findings and rules for the reporters' unit tests: one content rule, one path rule.
#[cfg(test)]
pub(crate) mod fixture {
    use crate::chunk::Stats;
    use crate::finding::{CommitInfo, Finding, Suppression};
    use crate::rules::{RuleSet, Source};

    use super::Summary;

    /// A synthetic secret for the `tok` rule, built at run time so that the source holds
    /// nothing a scanner would flag.
    pub fn secret() -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let tail: String = (0..16)
            .map(|i| alphabet[(i * 23 + 5) % alphabet.len()] as char)
            .collect();
        format!("tok_{tail}")
    }

    pub fn rules() -> RuleSet {
        let text = r#"
extend_default: false
rules:
  - id: tok
    description: test token
    severity: high
    keywords: [tok_]
    regex: '\b(tok_[A-Za-z0-9]{16})\b'
    remediation: Revoke the token.
    examples: {match: ['tok_{{alnum:16}}']}
  - id: env-file
    description: env file
    severity: medium
    paths: ['**/.env']
    examples: {match: ['.env']}
"#;
        let cfg = Source {
            name: ".leakguard.yaml".into(),
            text,
        };
        RuleSet::load(&[], Some(&cfg)).expect("fixture rules compile")
    }

    /// A reported content finding in `dir name/app.py`, a path finding, a history finding,
    /// and three suppressed ones (one per kind of suppression).
    pub fn findings(set: &RuleSet) -> (Vec<Finding>, Vec<Finding>) {
        let (tok, env) = (&set.rules[0], &set.rules[1]);
        let content = Finding::content(
            tok,
            "dir name/app.py",
            3,
            12,
            secret().as_bytes(),
            4.1,
            vec![],
        );
        let path = Finding::path(env, ".env");
        let mut history = content.at_path("old.py");
        history.commit = Some(CommitInfo {
            id: "0123456789abcdef0123456789abcdef01234567".into(),
            author: "Test Author".into(),
            email: "author@example.test".into(),
            date: "2024-01-02T03:04:05Z".into(),
            seconds: 1_704_164_645,
        });
        let suppressed = [
            Suppression::InlineComment,
            Suppression::Allowlist {
                entry: "allow.paths[0]".into(),
                defined_in: ".leakguard.yaml:3".into(),
            },
            Suppression::Baseline {
                entry: "tok 0011aabb src/x.py".into(),
                file: ".leakguard-baseline".into(),
            },
        ]
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut f = content.at_path(&format!("tests/s{i}.py"));
            f.suppressed = Some(s);
            f
        })
        .collect();
        (vec![content, path, history], suppressed)
    }

    pub fn summary(findings: &[Finding]) -> Summary {
        Summary::new(findings, Stats::default(), 2, 0.5, 1.5)
    }
}
