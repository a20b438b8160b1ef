//! The end of every scanning command: the run-wide decisions made once over all findings
//! (the baseline, whose stale entries need the whole run, and `--min-severity`), the
//! summary, the exit status from `--fail-on`, and the report written where `Output` says.

use std::time::Instant;

use anyhow::Result;

use crate::chunk::Stats;
use crate::config::{Config, Output};
use crate::exit::ExitStatus;
use crate::finding::Finding;
use crate::report::{self, Summary};

/// What a source produced, before the run-wide decisions.
pub struct Scanned {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// Commits walked (history only).
    pub commits: Option<usize>,
}

/// Findings split by the run-wide decisions, with the summary and the exit status.
#[derive(Debug)]
pub struct Verdict {
    /// Reported, sorted.
    pub reported: Vec<Finding>,
    /// Suppressed (by an allowlist, a comment or the baseline), sorted.
    pub suppressed: Vec<Finding>,
    pub summary: Summary,
    pub status: ExitStatus,
}

/// Applies the baseline and the severity gates to what a source produced.
pub fn judge(config: &Config, scanned: Scanned, started: Instant) -> Verdict {
    let (mut suppressed, reported): (Vec<Finding>, Vec<Finding>) = scanned
        .findings
        .into_iter()
        .partition(|f| f.suppressed.is_some());
    let mut stale = Vec::new();
    let mut reported = match &config.baseline {
        Some((b, file)) => {
            let applied = b.apply(reported, &suppressed, file);
            suppressed.extend(applied.suppressed);
            stale = applied.stale.iter().map(|e| e.display()).collect();
            applied.kept
        }
        None => reported,
    };
    let before = reported.len();
    reported.retain(|f| f.severity >= config.gates.min_severity);
    let below = before - reported.len();
    reported.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    suppressed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let unreadable = scanned.stats.files_unreadable;
    let mut summary = Summary::new(
        &reported,
        scanned.stats,
        config.engine.rules().rules.len(),
        config.compile_ms,
        started.elapsed().as_secs_f64() * 1e3,
    );
    summary.commits = scanned.commits;
    summary.suppressed = suppressed.len();
    summary.below_min_severity = below;
    summary.stale_baseline = stale;
    let status = if reported.iter().any(|f| f.severity >= config.gates.fail_on) {
        ExitStatus::Findings
    } else if unreadable > 0 {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Clean
    };
    Verdict {
        reported,
        suppressed,
        summary,
        status,
    }
}

/// Judges, writes the report, and returns the exit status. `footer` is advice printed
/// under a text report that fails (the hook's ways out).
pub fn conclude(
    config: &Config,
    scanned: Scanned,
    started: Instant,
    footer: Option<&'static str>,
) -> Result<ExitStatus> {
    let v = judge(config, scanned, started);
    let out = &config.output;
    let rep = report::Report {
        findings: &v.reported,
        suppressed: if out.explain { &v.suppressed } else { &[] },
        summary: &v.summary,
        rules: &config.engine.rules().rules,
    };
    let footer = footer.filter(|_| v.status == ExitStatus::Findings);
    emit(out, &rep, footer)?;
    Ok(v.status)
}

/// Writes the report to `--output` or stdout.
fn emit(out: &Output, rep: &report::Report<'_>, footer: Option<&'static str>) -> Result<()> {
    let opts = report::Options {
        show_secrets: out.show_secrets,
        quiet: out.quiet,
        color: out.color,
        footer,
    };
    let write = |w: &mut dyn std::io::Write| report::write(out.format, rep, opts, w);
    match &out.file {
        Some(path) => crate::output::to_file(path, write),
        None => crate::output::to_stdout(write),
    }
}
