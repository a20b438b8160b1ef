//! The reports of an audit datastore, all written from one [`AuditReport`]: text for a
//! terminal, JSON for programs, CSV for spreadsheets (one row per place), SARIF for code
//! scanning dashboards, HTML for people.

use std::io::{self, Write};

use serde::Serialize;

use super::model::{AuditReport, Incident, Status};
use crate::finding::FindingKind;
use crate::printable::text as esc;
use crate::report::sarif;
use crate::report::AuditFormat;
use crate::rules::Severity;

/// Writes `report` in `format`.
pub fn write(report: &AuditReport, format: AuditFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        AuditFormat::Text => text(report, out),
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        AuditFormat::Csv => csv(report, out),
        AuditFormat::Sarif => sarif(report, out),
        AuditFormat::Html => super::html::write(report, out),
    }
}

/// What `audit` prints when it ends: the tally, then the open incidents by severity.
pub fn summary(report: &AuditReport, tally: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "leakguard: {tally}")?;
    for line in origins(report) {
        writeln!(out, "leakguard: {line}")?;
    }
    let s = &report.summary;
    let count = |st: Status| {
        s.by_status
            .iter()
            .find(|(x, _)| *x == st)
            .map_or(0, |p| p.1)
    };
    writeln!(
        out,
        "leakguard: {} incidents need attention ({} open, {} revoked and found again, {} revoked but still live); {} in all, {} triaged",
        report.incidents.len(),
        count(Status::Open),
        s.reappeared,
        s.still_live,
        s.incidents_total,
        s.incidents_total - count(Status::Open),
    )?;
    if !s.by_validation.is_empty() {
        let said: Vec<String> = s
            .by_validation
            .iter()
            .map(|(st, n)| format!("{n} {st}"))
            .collect();
        writeln!(out, "leakguard: validated: {}", said.join(", "))?;
    }
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let n = report
            .incidents
            .iter()
            .filter(|i| i.severity == sev)
            .count();
        if n > 0 {
            writeln!(out, "  {sev:<8} {n}")?;
        }
    }
    Ok(())
}

/// One block per incident: what, how bad, where, and how to recover. Every string from the
/// datastore is escaped for the terminal: repository names, paths, authors and the rest come
/// from the audited repositories (or from a datastore merged in).
fn text(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    for i in &report.incidents {
        let secret = esc(i.secret.as_deref().unwrap_or(&i.redacted));
        writeln!(
            out,
            "{}  {}  {}  {}",
            esc(&i.id),
            i.severity.as_str().to_ascii_uppercase(),
            esc(&i.rule_id),
            esc(&i.description)
        )?;
        let mut status = i.triage.status.to_string();
        if i.reappeared {
            status.push_str(", FOUND AGAIN after it was revoked");
        }
        if i.still_live {
            status.push_str(", STILL LIVE after it was revoked");
        }
        if i.kind == FindingKind::Content {
            writeln!(out, "    secret   {secret}")?;
        }
        if let Some(v) = &i.validation {
            let mut line = format!(
                "{} ({}, {})",
                v.status.as_str().to_ascii_uppercase(),
                esc(&v.reason),
                esc(&v.checked_at)
            );
            for (name, value) in &v.details {
                line.push_str(&format!(" · {name}: {}", esc(value)));
            }
            writeln!(out, "    issuer   {line}")?;
        }
        writeln!(
            out,
            "    status   {status}; in {} repositories, first seen {}",
            i.spread,
            esc(&i.first_seen)
        )?;
        for l in &i.locations {
            let mut flag = String::new();
            if let Some(e) = l.exposure {
                flag.push_str(&format!("  (exposed {}: {})", e.as_str(), e.note()));
            }
            if l.after_revocation {
                flag.push_str("  (after revocation)");
            }
            writeln!(
                out,
                "    at       {} {}:{} (commit {}, {} <{}>, {}){flag}",
                esc(&l.repository),
                esc(&l.path),
                l.line,
                esc(short(&l.commit)),
                esc(&l.author),
                esc(&l.email),
                esc(&l.date)
            )?;
        }
        writeln!(out, "    fix      {}", esc(i.remediation.trim()))?;
        writeln!(out)?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} incidents shown ({}) of {} in {} repositories ({} failed)",
        report.incidents.len(),
        if s.all_statuses {
            "all statuses"
        } else {
            "open, and revoked found again"
        },
        s.incidents_total,
        s.repositories,
        s.repositories_failed
    )?;
    for line in origins(report) {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

/// A line per organisation, user or group the repositories were listed from
/// (`from github-org:acme: 12 repositories (1 failed)`), escaped for the terminal.
fn origins(report: &AuditReport) -> Vec<String> {
    let mut by: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for r in &report.repositories {
        if let Some(o) = &r.origin {
            let e = by.entry(o).or_default();
            e.0 += 1;
            e.1 += usize::from(r.error.is_some());
        }
    }
    by.into_iter()
        .map(|(o, (n, failed))| format!("from {}: {n} repositories ({failed} failed)", esc(o)))
        .collect()
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// One row per place, with its incident's columns repeated: what a spreadsheet filters.
fn csv(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    const HEADER: [&str; 20] = [
        "incident",
        "severity",
        "rule",
        "description",
        "status",
        "note",
        "reappeared",
        "validation",
        "validated_at",
        "spread",
        "first_seen",
        "secret",
        "repository",
        "path",
        "line",
        "commit",
        "author",
        "date",
        "remediation",
        "exposure",
    ];
    row(out, HEADER.iter().map(|h| h.to_string()))?;
    for i in &report.incidents {
        for l in &i.locations {
            row(
                out,
                [
                    i.id.clone(),
                    i.severity.to_string(),
                    i.rule_id.clone(),
                    i.description.clone(),
                    i.triage.status.to_string(),
                    i.triage.note.clone().unwrap_or_default(),
                    i.reappeared.to_string(),
                    i.validation
                        .as_ref()
                        .map_or("not-checked".into(), |v| v.status.to_string()),
                    i.validation
                        .as_ref()
                        .map_or(String::new(), |v| v.checked_at.clone()),
                    i.spread.to_string(),
                    i.first_seen.clone(),
                    i.secret.clone().unwrap_or_else(|| i.redacted.clone()),
                    l.repository.clone(),
                    l.path.clone(),
                    l.line.to_string(),
                    l.commit.clone(),
                    format!("{} <{}>", l.author, l.email),
                    l.date.clone(),
                    i.remediation.trim().to_string(),
                    l.exposure.map_or(String::new(), |e| e.as_str().to_string()),
                ]
                .into_iter(),
            )?;
        }
    }
    Ok(())
}

/// One CSV record (RFC 4180 quoting). Control characters and bidi overrides are escaped
/// first (`\u{1b}`: a CSV is read on terminals too, and a field holds no line break of its
/// own). A field a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first: paths and
/// author names come from the audited repositories) gets a leading `'`.
fn row(out: &mut dyn Write, fields: impl Iterator<Item = String>) -> io::Result<()> {
    let mut first = true;
    for f in fields {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        let f = esc(&f).into_owned();
        let f = match f.chars().next() {
            Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{f}"),
            _ => f,
        };
        if f.contains([',', '"', '\n', '\r']) {
            write!(out, "\"{}\"", f.replace('"', "\"\""))?;
        } else {
            out.write_all(f.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

/// SARIF 2.1.0 (the document types of [`crate::report::sarif`]): one result per incident,
/// located at every place it was found; the repository and commit of each place are in its
/// properties (a place in another repository has no URI a viewer could open).
fn sarif(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut rules: Vec<&Incident> = Vec::new();
    for i in &report.incidents {
        if !rules.iter().any(|r| r.rule_id == i.rule_id) {
            rules.push(i);
        }
    }
    rules.sort_by_key(|i| &i.rule_id);
    let descriptors = rules
        .iter()
        .map(|i| {
            let origin = "Reported by leakguard audit.";
            sarif::descriptor_of(
                &i.rule_id,
                &i.description,
                i.severity,
                &i.remediation,
                None,
                origin,
                None,
            )
        })
        .collect();
    let results = report
        .incidents
        .iter()
        .map(|i| {
            let locations = i
                .locations
                .iter()
                .map(|l| sarif::Location {
                    physical_location: sarif::PhysicalLocation::new(
                        &l.path,
                        Some((l.line, l.column)),
                    ),
                    logical_locations: Vec::new(),
                    message: None,
                    properties: Some(PlaceProperties {
                        repository: &l.repository,
                        commit: &l.commit,
                        author: &l.author,
                        date: &l.date,
                        exposure: l.exposure,
                    }),
                })
                .collect();
            let what = match i.kind {
                FindingKind::Content => format!("{} ({})", i.description, i.redacted),
                FindingKind::Path => i.description.clone(),
            };
            sarif::SarifResult {
                rule_id: &i.rule_id,
                rule_index: rules
                    .iter()
                    .position(|r| r.rule_id == i.rule_id)
                    .unwrap_or(0),
                level: match &i.validation {
                    Some(v) if v.status == crate::validate::Status::Live => "error",
                    _ => sarif::level(i.severity),
                },
                message: sarif::Message {
                    text: format!(
                        "{what}: found in {} repositories, first {}; triage: {}{}",
                        i.spread,
                        i.first_seen,
                        i.triage.status,
                        i.validation
                            .as_ref()
                            .map(|v| format!("; issuer: {}", v.status))
                            .unwrap_or_default()
                    ),
                },
                locations,
                partial_fingerprints: [(INCIDENT_FINGERPRINT, i.id.as_str())].into(),
                suppressions: Vec::new(),
                related_locations: Vec::new(),
                properties: IncidentProperties {
                    incident: &i.id,
                    severity: i.severity,
                    status: i.triage.status,
                    reappeared: i.reappeared,
                    spread: i.spread,
                    exposure: &i.exposure,
                    validation: i.validation.as_ref(),
                    still_live: i.still_live,
                },
            }
        })
        .collect();
    let properties = AuditRunProperties {
        repositories: report.summary.repositories,
        repositories_failed: report.summary.repositories_failed,
        incidents_total: report.summary.incidents_total,
    };
    let root = "The root of each place's repository (its `repository` property).";
    sarif::write_log(
        &sarif::log(descriptors, results, Some(properties), root),
        out,
    )
}

/// Key of an incident's id in `partialFingerprints`.
const INCIDENT_FINGERPRINT: &str = "leakguardIncident/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditRunProperties {
    repositories: usize,
    repositories_failed: usize,
    incidents_total: usize,
}

#[derive(Serialize)]
struct IncidentProperties<'a> {
    incident: &'a str,
    severity: Severity,
    status: Status,
    reappeared: bool,
    spread: usize,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    exposure: &'a [crate::finding::Exposure],
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<&'a crate::validate::Verdict>,
    still_live: bool,
}

#[derive(Serialize)]
struct PlaceProperties<'a> {
    repository: &'a str,
    commit: &'a str,
    author: &'a str,
    date: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure: Option<crate::finding::Exposure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_line(fields: &[&str]) -> String {
        let mut out = Vec::new();
        row(&mut out, fields.iter().map(|s| s.to_string())).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\""]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(
            csv_line(&["=HYPERLINK(1)", "@x", "-1"]),
            "'=HYPERLINK(1),'@x,'-1\r\n"
        );
    }
}
