//! From the datastore's rows to the report: which rule names an incident, when it first
//! leaked, how far it spread, whether it reappeared after a revocation, what a report shows
//! and in which order. Pure: the [`super::store`] reads the rows, this decides, and the
//! tests below need no SQLite.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::model::{
    AuditReport, Incident, Location, RepoRow, ReportSummary, Status, Triage as TriageView,
};
use crate::finding::{Exposure, FindingKind};
use crate::rules::Severity;
use crate::validate::{Status as ValidationStatus, Verdict};

/// Everything the datastore holds that a report uses, as read.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Rule id -> (description, remediation).
    pub rules: HashMap<String, (String, String)>,
    pub triage: Vec<TriageRow>,
    pub locations: Vec<LocationRow>,
    pub repositories: Vec<RepositoryRow>,
    pub validations: Vec<ValidationRow>,
}

/// One check of an incident's secret with its issuer.
#[derive(Debug, Clone)]
pub struct ValidationRow {
    pub incident: String,
    pub checked_ms: i64,
    /// As stored: `live`, `inactive` or `unknown`.
    pub status: String,
    pub reason: String,
    /// A JSON object of strings.
    pub details: String,
}

/// One triage decision.
#[derive(Debug, Clone)]
pub struct TriageRow {
    pub incident: String,
    pub at_ms: i64,
    pub by: String,
    /// As stored ([`Status::as_str`]); an unknown one reads as open.
    pub status: String,
    /// Empty for none.
    pub note: String,
}

/// One place an incident was found, with what its incident row says.
#[derive(Debug, Clone)]
pub struct LocationRow {
    pub incident: String,
    pub kind: FindingKind,
    pub secret: Option<String>,
    pub repository: String,
    pub commit: String,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub rule_id: String,
    pub severity: Severity,
    pub redacted: String,
    pub author: String,
    pub email: String,
    pub date: String,
    /// The commit's author time, seconds since the epoch.
    pub seconds: i64,
    /// When an audit first found this place, milliseconds since the epoch.
    pub found_ms: i64,
    pub exposure: Option<Exposure>,
}

/// One repository audited.
#[derive(Debug, Clone)]
pub struct RepositoryRow {
    pub name: String,
    pub scanned_ms: Option<i64>,
    pub error: Option<String>,
    pub origin: Option<String>,
}

/// Open, revoked and found again since, or revoked and still accepted by its issuer: what
/// the exit code and default reports count.
pub fn needs_attention(i: &Incident) -> bool {
    i.triage.status == Status::Open || i.reappeared || i.still_live
}

/// The last check of each incident, as a verdict, with when it was made.
fn last_checks(mut rows: Vec<ValidationRow>) -> HashMap<String, (i64, Verdict)> {
    rows.sort_by(|a, b| (&a.incident, a.checked_ms).cmp(&(&b.incident, b.checked_ms)));
    rows.into_iter()
        .filter_map(|v| {
            let status = ValidationStatus::parse(&v.status)?;
            let details = serde_json::from_str(&v.details).unwrap_or_default();
            let verdict = Verdict {
                status,
                reason: v.reason,
                details,
                checked_at: rfc3339(v.checked_ms),
            };
            Some((v.incident, (v.checked_ms, verdict)))
        })
        .collect()
}

/// The report of `rows` made at `now_ms`: incidents that need attention (open, or revoked
/// and found again), or all of them with `all_statuses`.
pub fn report(mut rows: Rows, all_statuses: bool, now_ms: i64) -> AuditReport {
    // The latest decision wins; ties in time are broken the same way everywhere.
    rows.triage.sort_by(|a, b| {
        (&a.incident, a.at_ms, &a.status, &a.by, &a.note).cmp(&(
            &b.incident,
            b.at_ms,
            &b.status,
            &b.by,
            &b.note,
        ))
    });
    let checks = last_checks(std::mem::take(&mut rows.validations));
    let mut triage: HashMap<String, TriageView> = HashMap::new();
    let mut revoked_at: HashMap<String, i64> = HashMap::new();
    for t in rows.triage {
        let status = Status::parse(&t.status).unwrap_or(Status::Open);
        // Places found after the latest revocation are "found again": revoking once more
        // (the copy found again was rotated too) clears the flag.
        if status == Status::Revoked {
            revoked_at.insert(t.incident.clone(), t.at_ms);
        } else {
            revoked_at.remove(&t.incident);
        }
        triage.insert(
            t.incident,
            TriageView {
                status,
                note: (!t.note.is_empty()).then_some(t.note),
                by: Some(t.by),
                at: Some(rfc3339(t.at_ms)),
            },
        );
    }
    // Earliest first within an incident.
    rows.locations.sort_by(|a, b| {
        (&a.incident, a.seconds, &a.repository, &a.path, &a.commit).cmp(&(
            &b.incident,
            b.seconds,
            &b.repository,
            &b.path,
            &b.commit,
        ))
    });
    let mut incidents: BTreeMap<String, Incident> = BTreeMap::new();
    // Per incident: the severity of the rule naming it, and its earliest leak in seconds.
    let mut order: HashMap<String, (Option<Severity>, i64)> = HashMap::new();
    for l in rows.locations {
        let id = l.incident;
        let revoked = revoked_at.get(&id).copied();
        let location = Location {
            repository: l.repository,
            commit: l.commit,
            path: l.path,
            line: l.line,
            column: l.column,
            author: l.author,
            email: l.email,
            date: l.date,
            found_at: rfc3339(l.found_ms),
            after_revocation: revoked.is_some_and(|at| l.found_ms > at),
            exposure: l.exposure,
        };
        let entry = incidents.entry(id.clone()).or_insert_with(|| Incident {
            id: id.clone(),
            rule_id: String::new(),
            description: String::new(),
            severity: Severity::Low,
            kind: l.kind,
            redacted: String::new(),
            secret: None,
            remediation: String::new(),
            triage: triage.get(&id).cloned().unwrap_or(TriageView {
                status: Status::Open,
                note: None,
                by: None,
                at: None,
            }),
            reappeared: false,
            validation: checks.get(&id).map(|c| c.1.clone()),
            still_live: checks.get(&id).is_some_and(|(at, v)| {
                v.status == ValidationStatus::Live && revoked.is_some_and(|r| *at > r)
            }),
            first_seen: String::new(),
            spread: 0,
            exposure: Vec::new(),
            locations: Vec::new(),
        });
        entry.kind = l.kind;
        entry.secret = l.secret;
        // The most severe rule names the incident (ties: the first rule id).
        let best = order.entry(id).or_insert((None, i64::MAX));
        let better = match best.0 {
            None => true,
            Some(s) => {
                (l.severity, std::cmp::Reverse(&l.rule_id)) > (s, std::cmp::Reverse(&entry.rule_id))
            }
        };
        if better {
            best.0 = Some(l.severity);
            entry.severity = l.severity;
            let (d, m) = rows.rules.get(&l.rule_id).cloned().unwrap_or_default();
            (entry.description, entry.remediation) = (d, m);
            entry.rule_id = l.rule_id;
            entry.redacted = l.redacted;
        }
        // In UTC, so that first leaks compare as text too (commit dates keep their author's
        // offset).
        if l.seconds < best.1 {
            best.1 = l.seconds;
            entry.first_seen = rfc3339(l.seconds.saturating_mul(1000));
        }
        entry.reappeared |= location.after_revocation;
        if let Some(e) = location.exposure.filter(|e| !entry.exposure.contains(e)) {
            entry.exposure.push(e);
            entry.exposure.sort();
        }
        entry.locations.push(location);
    }
    let mut all: Vec<Incident> = incidents.into_values().collect();
    let shown = |i: &Incident| all_statuses || needs_attention(i);
    // One set of repositories per incident: its spread, and the per-repository counts of the
    // incidents shown.
    let mut per_repo: HashMap<String, usize> = HashMap::new();
    for i in &mut all {
        let repos: HashSet<&str> = i.locations.iter().map(|l| l.repository.as_str()).collect();
        i.spread = repos.len();
        if shown(i) {
            for r in repos {
                *per_repo.entry(r.to_string()).or_default() += 1;
            }
        }
    }
    let mut by_status: Vec<(Status, usize)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    for i in &all {
        if let Some(slot) = by_status.iter_mut().find(|(s, _)| *s == i.triage.status) {
            slot.1 += 1;
        }
    }
    let reappeared = all.iter().filter(|i| i.reappeared).count();
    let still_live = all.iter().filter(|i| i.still_live).count();
    let mut by_validation: BTreeMap<ValidationStatus, usize> = BTreeMap::new();
    for v in all.iter().filter_map(|i| i.validation.as_ref()) {
        *by_validation.entry(v.status).or_default() += 1;
    }
    let incidents_total = all.len();
    all.retain(shown);
    // Live secrets first (they need revoking now), then the most severe, then the most
    // widely spread, then the earliest leak.
    all.sort_by(|a, b| {
        let first = |i: &Incident| order.get(&i.id).map_or(i64::MAX, |o| o.1);
        let live = |i: &Incident| {
            i.validation
                .as_ref()
                .is_some_and(|v| v.status == ValidationStatus::Live)
        };
        live(b)
            .cmp(&live(a))
            .then(b.severity.cmp(&a.severity))
            .then(b.spread.cmp(&a.spread))
            .then(first(a).cmp(&first(b)))
            .then(a.id.cmp(&b.id))
    });
    rows.repositories.sort_by(|a, b| a.name.cmp(&b.name));
    let repositories: Vec<RepoRow> = rows
        .repositories
        .into_iter()
        .map(|r| RepoRow {
            incidents: per_repo.get(&r.name).copied().unwrap_or(0),
            name: r.name,
            scanned_at: r.scanned_ms.map(rfc3339),
            error: r.error,
            origin: r.origin,
        })
        .collect();
    AuditReport {
        generated_at: rfc3339(now_ms),
        summary: ReportSummary {
            repositories: repositories.len(),
            repositories_failed: repositories.iter().filter(|r| r.error.is_some()).count(),
            incidents_total,
            by_status,
            reappeared,
            by_validation: by_validation.into_iter().collect(),
            still_live,
            all_statuses,
        },
        repositories,
        incidents: all,
    }
}

pub use crate::clock::rfc3339;

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn place(
        incident: &str,
        repo: &str,
        rule: &str,
        severity: Severity,
        seconds: i64,
    ) -> LocationRow {
        LocationRow {
            incident: incident.into(),
            kind: FindingKind::Content,
            secret: None,
            repository: repo.into(),
            commit: format!("c{seconds}"),
            path: "a.py".into(),
            line: 3,
            column: 7,
            rule_id: rule.into(),
            severity,
            redacted: format!("{rule}…"),
            author: "A".into(),
            email: "a@example.invalid".into(),
            date: "2026-01-01T00:00:00Z".into(),
            seconds,
            found_ms: 10 * HOUR,
            exposure: None,
        }
    }

    fn decision(incident: &str, at_ms: i64, status: Status) -> TriageRow {
        TriageRow {
            incident: incident.into(),
            at_ms,
            by: "me".into(),
            status: status.as_str().into(),
            note: String::new(),
        }
    }

    fn rules() -> HashMap<String, (String, String)> {
        ["generic", "stripe"]
            .iter()
            .map(|r| {
                (
                    r.to_string(),
                    (format!("{r} key"), format!("revoke the {r} key")),
                )
            })
            .collect()
    }

    #[test]
    fn the_most_severe_rule_names_an_incident_and_the_earliest_leak_dates_it() {
        let rows = Rows {
            rules: rules(),
            locations: vec![
                place("i1", "r2", "generic", Severity::Medium, 500),
                place("i1", "r1", "stripe", Severity::Critical, 900),
                place("i1", "r1", "generic", Severity::Medium, 100),
            ],
            ..Rows::default()
        };
        let r = report(rows, false, 0);
        let i = &r.incidents[0];
        assert_eq!(
            (i.rule_id.as_str(), i.severity),
            ("stripe", Severity::Critical)
        );
        assert_eq!(i.description, "stripe key");
        assert_eq!(i.remediation, "revoke the stripe key");
        assert_eq!(i.first_seen, rfc3339(100_000));
        assert_eq!(i.spread, 2);
        let seconds: Vec<&str> = i.locations.iter().map(|l| l.commit.as_str()).collect();
        assert_eq!(seconds, ["c100", "c500", "c900"], "earliest first");
    }

    #[test]
    fn an_incident_is_exposed_every_way_one_of_its_places_is() {
        let exposed = |e| LocationRow {
            exposure: e,
            ..place("i1", "r1", "stripe", Severity::High, 1)
        };
        let rows = Rows {
            rules: rules(),
            locations: vec![
                exposed(Some(Exposure::Client)),
                exposed(None),
                exposed(Some(Exposure::BrowserName)),
                exposed(Some(Exposure::Client)),
                place("i2", "r1", "generic", Severity::High, 2),
            ],
            ..Rows::default()
        };
        let r = report(rows, false, 0);
        let (i1, i2) = (&r.incidents[0], &r.incidents[1]);
        assert_eq!(i1.exposure, [Exposure::BrowserName, Exposure::Client]);
        assert_eq!(i1.locations[0].exposure, Some(Exposure::Client));
        assert!(i2.exposure.is_empty());
    }

    #[test]
    fn equal_severities_are_named_by_the_first_rule_id() {
        let rows = Rows {
            rules: rules(),
            locations: vec![
                place("i1", "r1", "stripe", Severity::High, 1),
                place("i1", "r1", "generic", Severity::High, 2),
            ],
            ..Rows::default()
        };
        assert_eq!(report(rows, false, 0).incidents[0].rule_id, "generic");
    }

    fn check(incident: &str, at: i64, status: &str) -> ValidationRow {
        ValidationRow {
            incident: incident.into(),
            checked_ms: at,
            status: status.into(),
            reason: format!("HTTP {status}"),
            details: r#"{"login": "octo"}"#.into(),
        }
    }

    /// The last check wins; a live secret comes first whatever its severity; a revoked one
    /// that a later check finds live needs attention again ("still live").
    #[test]
    fn the_last_check_wins_live_comes_first_and_revoked_but_live_needs_attention() {
        let rows = Rows {
            rules: rules(),
            triage: vec![
                decision("i3", 10 * HOUR, Status::Revoked),
                decision("i4", 10 * HOUR, Status::Revoked),
            ],
            locations: vec![
                place("i1", "r1", "stripe", Severity::Critical, 1),
                place("i2", "r1", "generic", Severity::Low, 1),
                place("i3", "r1", "stripe", Severity::Critical, 1),
                place("i4", "r1", "stripe", Severity::Critical, 1),
            ],
            repositories: Vec::new(),
            validations: vec![
                check("i1", HOUR, "live"),
                check("i1", 2 * HOUR, "inactive"),
                check("i2", HOUR, "unknown"),
                check("i2", 3 * HOUR, "live"),
                check("i3", 20 * HOUR, "live"),
                check("i4", 5 * HOUR, "live"),
            ],
        };
        let r = report(rows, false, 0);
        let ids: Vec<&str> = r.incidents.iter().map(|i| i.id.as_str()).collect();
        // i4 was live before its revocation: revoked, not shown; i3 was live after.
        assert_eq!(ids, ["i3", "i2", "i1"]);
        let by_id = |id: &str| r.incidents.iter().find(|i| i.id == id).unwrap();
        assert_eq!(
            by_id("i1").validation.as_ref().unwrap().status,
            ValidationStatus::Inactive
        );
        let i2 = by_id("i2").validation.as_ref().unwrap();
        assert_eq!(
            (i2.status, i2.details["login"].as_str()),
            (ValidationStatus::Live, "octo")
        );
        assert_eq!(i2.checked_at, rfc3339(3 * HOUR));
        assert!(by_id("i3").still_live && needs_attention(by_id("i3")));
        assert_eq!(r.summary.still_live, 1);
        assert_eq!(
            r.summary.by_validation,
            [(ValidationStatus::Live, 3), (ValidationStatus::Inactive, 1)]
        );
    }

    #[test]
    fn the_latest_decision_wins_and_a_revoked_secret_found_again_needs_attention() {
        let mut late = place("i1", "r1", "stripe", Severity::Critical, 5);
        late.found_ms = 30 * HOUR;
        let rows = Rows {
            rules: rules(),
            triage: vec![
                decision("i1", 20 * HOUR, Status::Revoked),
                decision("i1", HOUR, Status::Accepted),
                decision("i2", HOUR, Status::FalsePositive),
            ],
            locations: vec![
                place("i1", "r1", "stripe", Severity::Critical, 1),
                late,
                place("i2", "r1", "generic", Severity::Low, 1),
            ],
            repositories: vec![
                RepositoryRow {
                    name: "r2".into(),
                    scanned_ms: None,
                    error: Some("gone".into()),
                    origin: None,
                },
                RepositoryRow {
                    name: "r1".into(),
                    scanned_ms: Some(HOUR),
                    error: None,
                    origin: None,
                },
            ],
            validations: Vec::new(),
        };
        let r = report(rows.clone(), false, 0);
        assert_eq!(r.incidents.len(), 1, "the false positive is not shown");
        let i = &r.incidents[0];
        assert_eq!(i.triage.status, Status::Revoked);
        assert!(i.reappeared && needs_attention(i));
        let after: Vec<bool> = i.locations.iter().map(|l| l.after_revocation).collect();
        assert_eq!(after, [false, true]);
        assert_eq!(r.summary.reappeared, 1);
        assert_eq!(r.summary.incidents_total, 2);
        assert_eq!(r.summary.repositories_failed, 1);
        let repos: Vec<(&str, usize)> = r
            .repositories
            .iter()
            .map(|x| (x.name.as_str(), x.incidents))
            .collect();
        assert_eq!(
            repos,
            [("r1", 1), ("r2", 0)],
            "sorted, counting shown incidents only"
        );
        let all = report(rows.clone(), true, 0);
        assert_eq!(all.incidents.len(), 2);
        assert_eq!(all.repositories[0].incidents, 2);
        // Revoking once more (the copy found again was rotated too) clears the flag.
        let mut again = rows;
        again
            .triage
            .push(decision("i1", 40 * HOUR, Status::Revoked));
        let r = report(again, false, 0);
        assert!(r.incidents.is_empty());
    }

    #[test]
    fn reports_list_the_most_severe_then_the_widest_then_the_earliest() {
        let rows = Rows {
            rules: rules(),
            locations: vec![
                place("low", "r1", "generic", Severity::Low, 1),
                place("narrow", "r1", "stripe", Severity::High, 50),
                place("wide", "r1", "stripe", Severity::High, 90),
                place("wide", "r2", "stripe", Severity::High, 95),
                place("early", "r3", "stripe", Severity::High, 10),
            ],
            ..Rows::default()
        };
        let ids: Vec<String> = report(rows, false, 0)
            .incidents
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, ["wide", "early", "narrow", "low"]);
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_110_400_000), "2024-01-01T12:00:00Z");
        assert_eq!(rfc3339(1_704_110_400_999), "2024-01-01T12:00:00Z");
    }
}
