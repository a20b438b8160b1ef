//! The end of every scanning command: the run-wide decisions made once over all findings
//! (the baseline, whose stale entries need the whole run, and `--min-severity`), the keyed
//! fingerprints (when the report shows them), the summary, the exit status from
//! `--fail-on`, and the report written where `Output` says.

use std::time::Instant;

use anyhow::Result;

use crate::chunk::Stats;
use std::collections::HashMap;

use crate::config::{Config, Output, Validation};
use crate::exit::ExitStatus;
use crate::finding::{Finding, FindingKind};
use crate::report::{self, Summary};
use crate::validate::{Status, Verdict as ValidationVerdict};

/// What a source produced, before the run-wide decisions.
pub struct Scanned {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// Commits walked (history only).
    pub commits: Option<usize>,
}

impl Scanned {
    pub fn new(findings: Vec<Finding>, stats: Stats, commits: Option<usize>) -> Scanned {
        Scanned {
            findings,
            stats,
            commits,
        }
    }
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
    if let Some(key) = &config.fingerprint_key {
        for f in reported.iter_mut().chain(suppressed.iter_mut()) {
            f.fingerprint = key.fingerprint(f);
        }
    }
    if let Some(v) = &config.validation {
        validate(config, v, &mut reported);
    }
    reported.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    suppressed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let incomplete = scanned.stats.incomplete();
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
    summary.fingerprint_key = config.fingerprint_key.as_ref().map(|k| k.source.name());
    for f in &reported {
        if let Some(v) = &f.validation {
            *summary.validation.entry(v.status).or_insert(0) += 1;
        }
    }
    let fails = |f: &Finding| match &config.validation {
        Some(v) if v.fail_on_live => f
            .validation
            .as_ref()
            .is_some_and(|v| v.status == Status::Live),
        _ => f.severity >= config.gates.fail_on,
    };
    let status = if reported.iter().any(fails) {
        ExitStatus::Findings
    } else if incomplete {
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

/// `--validate`: one check per distinct (rule, secret, companion) among the reported findings (never
/// a suppressed one: the user has decided about those), its verdict on each finding, then
/// `--validation-filter`.
fn validate(config: &Config, v: &Validation, reported: &mut Vec<Finding>) {
    let rules = config.engine.rules().by_id();
    let mut items = Vec::new();
    let mut seen: HashMap<(&str, &[u8], Option<&str>), usize> = HashMap::new();
    let mut which = Vec::with_capacity(reported.len());
    for f in reported.iter() {
        let spec = rules
            .get(f.rule_id.as_str())
            .and_then(|r| r.validate.as_ref().map(crate::rules::Check::spec))
            .filter(|_| f.kind == FindingKind::Content);
        let pair = f.pair.as_ref().map(|p| p.value());
        which.push(spec.map(|spec| {
            *seen
                .entry((&f.rule_id, f.secret_bytes(), pair))
                .or_insert_with(|| {
                    items.push((spec, f.credential()));
                    items.len() - 1
                })
        }));
    }
    let verdicts = v.validator.check_all(&items);
    for (f, w) in reported.iter_mut().zip(which) {
        f.validation = Some(match w {
            Some(i) => verdicts[i].clone(),
            None => ValidationVerdict::not_checked("the rule has no check"),
        });
    }
    if !v.filter.is_empty() {
        reported.retain(|f| {
            f.validation
                .as_ref()
                .is_some_and(|x| v.filter.contains(&x.status))
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Baseline;
    use crate::cli::{Cli, Command};
    use crate::config::{Common, RulesFrom};
    use clap::Parser;

    const RULES: &str = "
extend_default: false
rules:
  - id: hi
    description: high
    severity: high
    keywords: [hi_]
    regex: '\\b(hi_[a-z0-9]{12})\\b'
  - id: lo
    description: low
    severity: low
    keywords: [lo_]
    regex: '\\b(lo_[a-z0-9]{12})\\b'
";

    fn config(flags: &[&str], baseline: Option<(Baseline, String)>) -> Config {
        let argv = ["leakguard", "scan"].iter().chain(flags);
        let Command::Scan(args) = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        let common = Common {
            output: &args.output,
            limits: args.limits,
            threads: 1,
            bulk: false,
            repo: std::path::Path::new("."),
        };
        let rules = RulesFrom::Base("t.yaml".into(), RULES.into());
        Config::new(rules, common, baseline, None).unwrap()
    }

    fn finding(c: &Config, rule: usize, path: &str, secret: &str) -> Finding {
        let r = &c.engine.rules().rules[rule];
        Finding::content(r, path, 1, 1, secret.as_bytes(), 4.0, vec![])
    }

    fn scanned(findings: Vec<Finding>, unreadable: u64) -> Scanned {
        let stats = Stats {
            files_unreadable: unreadable,
            ..Stats::default()
        };
        Scanned {
            findings,
            stats,
            commits: None,
        }
    }

    #[test]
    fn gates_decide_what_is_reported_and_the_exit_status() {
        let c = config(&[], None);
        let f = vec![
            finding(&c, 0, "b.py", "hi_aaaaaaaaaaaa"),
            finding(&c, 1, "a.py", "lo_aaaaaaaaaaaa"),
        ];
        let v = judge(&c, scanned(f.clone(), 0), Instant::now());
        assert_eq!(v.status, ExitStatus::Findings);
        let paths: Vec<&str> = v.reported.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.py", "b.py"], "sorted by path");

        let c = config(&["--min-severity", "high"], None);
        let v = judge(&c, scanned(f.clone(), 0), Instant::now());
        assert_eq!(v.reported.len(), 1);
        assert_eq!(v.summary.below_min_severity, 1);

        let c = config(&["--fail-on", "critical"], None);
        let v = judge(&c, scanned(f.clone(), 0), Instant::now());
        assert_eq!((v.status, v.reported.len()), (ExitStatus::Clean, 2));
        // Nothing failing, but something unread: the scan cannot vouch for it.
        let v = judge(&c, scanned(f, 1), Instant::now());
        assert_eq!(v.status, ExitStatus::Incomplete);
        let v = judge(&config(&[], None), scanned(vec![], 0), Instant::now());
        assert_eq!(v.status, ExitStatus::Clean);
    }

    #[test]
    fn the_baseline_suppresses_known_secrets_and_names_stale_entries() {
        let c = config(&[], None);
        let known = finding(&c, 0, "a.py", "hi_aaaaaaaaaaaa");
        let gone = finding(&c, 0, "a.py", "hi_bbbbbbbbbbbb");
        let mut b = Baseline::new().unwrap();
        b.record(&[known.clone(), gone], false, false);
        let c = config(&[], Some((b, "bl.json".into())));
        let new = finding(&c, 0, "a.py", "hi_cccccccccccc");
        let mut inline = finding(&c, 1, "c.py", "lo_aaaaaaaaaaaa");
        inline.suppressed = Some(crate::finding::Suppression::InlineComment);
        let v = judge(&c, scanned(vec![known, new, inline], 0), Instant::now());
        assert_eq!(v.reported.len(), 1);
        assert_eq!(v.reported[0].secret_bytes(), b"hi_cccccccccccc");
        assert_eq!(v.suppressed.len(), 2, "baseline and inline");
        assert_eq!(v.summary.suppressed, 2);
        assert_eq!(v.summary.stale_baseline.len(), 1);
    }
}
