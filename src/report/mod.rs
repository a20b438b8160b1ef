//! Reporters: functions of `&[Finding]` and a [`Summary`], one file per format.
//! Nothing here sees a rule or a file: only findings.

pub mod json;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::finding::Finding;
use crate::rules::{Rule, Severity};
use crate::source::worktree::Stats;

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

/// Report formats.
pub use crate::cli::Format;

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
