//! HTML audit report: one self-contained HTML5 file to attach to a ticket or open offline.
//!
//! Everything is inline (CSS, SVG charts, a small script) and a Content-Security-Policy with
//! the hashes of that style and script forbids every other load or script, so the file makes
//! no network request even if a string from a scanned repository escaped its escaping. All
//! rows are rendered here, so the report reads with JavaScript off; the script only adds
//! sorting and filtering, and keeps them in the URL's fragment (`#severity=high&sort=spread`).
//!
//! Paths, authors, notes and rule texts come from repositories and datastores that an
//! attacker may have written to. The page is a [`maud`] template: every `(…)` it interpolates
//! is escaped, and attribute values are always double-quoted. The only unescaped text is
//! marked `PreEscaped`: the style and script of `assets/`, ours, embedded at build time and
//! pinned by the CSP. Code points HTML forbids are replaced in one pass over the whole page
//! ([`valid_code_points`]), so no call site has to remember them.

use std::collections::BTreeMap;
use std::io::{self, Write};

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::model::{AuditReport, Incident, Location, RepoRow, Status};
use crate::finding::{Exposure, FindingKind};
use crate::rules::Severity;
use crate::validate::Status as ValidationStatus;

/// `assets/report.css` and `assets/report.js` as build.rs wrote them: trimmed, because the Nu
/// checker trims an inline style or script before hashing it (browsers do not) and would then
/// report the CSP as blocking it. The script sorts and filters a table that is complete
/// without it; it holds no data from the model.
const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/report.css"));
const SCRIPT: &str = include_str!(concat!(env!("OUT_DIR"), "/report.js"));
// STYLE_CSP and SCRIPT_CSP: `'sha256-…'`, the CSP sources allowing exactly STYLE and SCRIPT.
include!(concat!(env!("OUT_DIR"), "/report_assets.rs"));

/// Writes the report as one HTML5 document.
pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(valid_code_points(page(report).into_string()).as_bytes())
}

/// `html` with the code points HTML forbids (C0 and C1 controls other than whitespace,
/// noncharacters) replaced by U+FFFD: git paths may hold them, and the file must stay valid.
/// Our template holds none, and U+FFFD needs no escaping, so this may run on the whole page.
fn valid_code_points(html: String) -> String {
    let forbidden = |c: char| {
        let n = u32::from(c);
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || (0xfdd0..=0xfdef).contains(&n)
            || n & 0xfffe == 0xfffe
    };
    if !html.chars().any(forbidden) {
        return html;
    }
    html.chars()
        .map(|c| if forbidden(c) { '\u{fffd}' } else { c })
        .collect()
}

/// `s` cut to `max` characters with an ellipsis, keeping its start, or its end when `tail`
/// (the end of a repository URL names it; the start of a rule id does).
fn shorten(s: &str, max: usize, tail: bool) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_string()
    } else if tail {
        format!("…{}", s.chars().skip(n - (max - 1)).collect::<String>())
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// The date part of an RFC 3339 timestamp (the whole string if it is not one).
fn day(ts: &str) -> &str {
    ts.get(..10).unwrap_or(ts)
}

fn page(report: &AuditReport) -> Markup {
    let s = &report.summary;
    let csp = format!(
        "default-src 'none'; style-src {STYLE_CSP}; script-src {SCRIPT_CSP}; \
         base-uri 'none'; form-action 'none'"
    );
    let version = env!("CARGO_PKG_VERSION");
    let what = if s.all_statuses {
        "incidents"
    } else {
        "open incidents"
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "leakguard " (version) };
                title {
                    "leakguard audit: " (report.incidents.len()) " " (what) ", "
                    (s.repositories) " repositories"
                }
                // Ours, from assets/, and the CSP allows only this text.
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "leakguard audit" }
                    p {
                        "Generated " (report.generated_at) ". "
                        @if s.all_statuses { "Every incident is listed, whatever its triage." }
                        @else { "Open incidents only; the counts below cover every status." }
                    }
                }
                main {
                    (summary(report))
                    (incidents(report))
                    (repositories(&report.repositories))
                }
                footer { "leakguard " (version) }
                // Ours, from assets/, and the CSP allows only this text.
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

// ---- Summary ----

fn summary(report: &AuditReport) -> Markup {
    let s = &report.summary;
    let count = |label: &str, n: usize, warn: bool| {
        html! {
            div class=[(warn && n > 0).then_some("warn")] { dt { (label) } dd { (n) } }
        }
    };
    let failed: Vec<&RepoRow> = report
        .repositories
        .iter()
        .filter(|r| r.error.is_some())
        .collect();
    html! {
        section #summary aria-labelledby="summary-h" {
            h2 #summary-h { "Summary" }
            dl.counts {
                (count("Repositories", s.repositories, false))
                (count("Failed repositories", s.repositories_failed, true))
                (count("Incidents (all statuses)", s.incidents_total, false))
                @for &(status, n) in &s.by_status {
                    (count(status_label(status), n, status == Status::Open))
                }
                (count("Reappeared revoked secrets", s.reappeared, true))
                @for &(status, n) in &s.by_validation {
                    (count(validation_label(status), n, status == ValidationStatus::Live))
                }
                @if !s.by_validation.is_empty() {
                    (count("Revoked but still live", s.still_live, true))
                }
                (count("Shown below", report.incidents.len(), false))
            }
            @if !failed.is_empty() {
                h3 { "Repositories whose last audit failed" }
                ul.failed {
                    @for r in failed {
                        li { code { (r.name) } ": " (r.error.as_deref().unwrap_or_default()) }
                    }
                }
            }
            @if !report.incidents.is_empty() {
                (charts(&report.incidents))
            }
        }
    }
}

/// What the summary calls the incidents of each validation status.
fn validation_label(s: ValidationStatus) -> &'static str {
    match s {
        ValidationStatus::Live => "Live secrets (the issuer accepts them)",
        ValidationStatus::Inactive => "Dead secrets (the issuer refuses them)",
        ValidationStatus::Unknown => "Secrets the issuer check could not judge",
        ValidationStatus::NotChecked => "Secrets not checked",
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Open => "Open",
        Status::Revoked => "Revoked",
        Status::FalsePositive => "False positive",
        Status::Accepted => "Accepted",
    }
}

// ---- Charts ----

/// One bar: its label, count and CSS class (severity bars take their colour from it).
struct Bar {
    label: String,
    count: usize,
    class: Option<&'static str>,
}

fn bar(label: impl Into<String>, count: usize) -> Bar {
    Bar {
        label: label.into(),
        count,
        class: None,
    }
}

/// How many named bars a chart keeps before folding the rest into "other".
const TOP: usize = 10;

fn charts(incidents: &[Incident]) -> Markup {
    let by_severity: Vec<Bar> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .into_iter()
    .map(|sev| Bar {
        label: sev.as_str().to_string(),
        count: incidents.iter().filter(|i| i.severity == sev).count(),
        class: Some(severity_class(sev)),
    })
    .collect();

    let mut rules = BTreeMap::<&str, usize>::new();
    for i in incidents {
        *rules.entry(&i.rule_id).or_default() += 1;
    }

    // An incident counts once for each repository it is found in.
    let mut repos = BTreeMap::<&str, usize>::new();
    for i in incidents {
        let mut names: Vec<&str> = i.locations.iter().map(|l| l.repository.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            *repos.entry(name).or_default() += 1;
        }
    }

    // Sorted by year (a timeline), not by count; a date that is not RFC 3339 goes last.
    let mut years = BTreeMap::<Option<&str>, usize>::new();
    for i in incidents {
        let year = i
            .first_seen
            .get(..4)
            .filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
        *years.entry(year).or_default() += 1;
    }
    let mut years: Vec<(Option<&str>, usize)> = years.into_iter().collect();
    years.sort_by_key(|&(y, _)| (y.is_none(), y));
    let years: Vec<Bar> = years
        .into_iter()
        .map(|(y, n)| bar(y.unwrap_or("unknown"), n))
        .collect();

    html! {
        div.charts {
            (bar_chart("Incidents by severity", &by_severity, false))
            (bar_chart("Incidents by rule", &top(rules, "rules"), false))
            (bar_chart("Incidents by repository", &top(repos, "repositories"), true))
            (bar_chart("Incidents by year of first leak", &years, false))
        }
    }
}

/// The `TOP` largest counts (ties by name), then one "other" bar for the rest.
fn top(counts: BTreeMap<&str, usize>, noun: &str) -> Vec<Bar> {
    let mut all: Vec<(&str, usize)> = counts.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let rest = if all.len() > TOP {
        all.split_off(TOP)
    } else {
        Vec::new()
    };
    let mut bars: Vec<Bar> = all.into_iter().map(|(name, n)| bar(name, n)).collect();
    if !rest.is_empty() {
        let n = rest.iter().map(|r| r.1).sum();
        bars.push(bar(format!("other ({} {noun})", rest.len()), n));
    }
    bars
}

/// A horizontal bar chart in inline SVG. Each bar has its label and count as text (the chart
/// reads without colour) and a tooltip with the full label; the `aria-label` holds all the
/// data, for screen readers. `tail` keeps the end of long labels (repository URLs).
fn bar_chart(title: &str, bars: &[Bar], tail: bool) -> Markup {
    const WIDTH: usize = 460;
    const LABEL: usize = 190; // label column, right-aligned at LABEL - 6
    const BAR_MAX: usize = 210;
    const ROW: usize = 22;
    let height = bars.len() * ROW + 6;
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let data: Vec<String> = bars
        .iter()
        .map(|b| format!("{} {}", b.label, b.count))
        .collect();
    // SVG elements are closed explicitly (`{}`): in foreign content, `<rect>` alone would
    // hold the elements after it.
    html! {
        figure {
            figcaption { (title) }
            svg.chart viewBox={ "0 0 " (WIDTH) " " (height) } width=(WIDTH) height=(height)
                role="img" aria-label={ (title) ": " (data.join(", ")) } {
                title { (title) }
                @for (i, b) in bars.iter().enumerate() {
                    @let (y, len) = (i * ROW + 4, b.count * BAR_MAX / max);
                    g class=[b.class] {
                        title { (b.label) ": " (b.count) }
                        text x=(LABEL - 6) y=(y + 13) text-anchor="end" {
                            (shorten(&b.label, 28, tail))
                        }
                        rect x=(LABEL) y=(y) width=(len) height=(ROW - 6) {}
                        text x=(LABEL + len + 5) y=(y + 13) { (b.count) }
                    }
                }
            }
        }
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
    }
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    }
}

// ---- The incident table ----

/// Column headers, with their sort type for the script ("num" or "text"; none: not sortable).
const COLUMNS: [(&str, Option<&str>); 10] = [
    ("ID", Some("text")),
    ("Severity", Some("num")),
    ("Exposure", Some("text")),
    ("Rule", Some("text")),
    ("Spread", Some("num")),
    ("First seen", Some("text")),
    ("Triage", Some("num")),
    ("Secret", Some("text")),
    ("Locations", Some("num")),
    ("Remediation", None),
];

/// Places listed before the rest fold into a `<details>`.
const SHOWN_LOCATIONS: usize = 3;

fn incidents(report: &AuditReport) -> Markup {
    let n = report.incidents.len();
    let none = if report.summary.all_statuses {
        "No incidents: nothing was found in the repositories audited."
    } else {
        "No open incidents: every incident found has been triaged."
    };
    html! {
        section #incidents aria-labelledby="incidents-h" {
            h2 #incidents-h { "Incidents (" (n) ")" }
            @if n == 0 {
                p.empty { (none) }
            } @else {
                // Hidden until the script shows it: without JavaScript it could do nothing.
                form #filters hidden {
                    label {
                        "Filter "
                        input type="search" name="q" placeholder="rule, path, author, id…";
                    }
                    label {
                        "Severity "
                        select name="severity" {
                            option value="" { "any" }
                            option value="critical" { "critical" }
                            option value="high" { "high and above" }
                            option value="medium" { "medium and above" }
                            option value="low" { "low and above" }
                        }
                    }
                    label {
                        "Triage "
                        select name="status" {
                            option value="" { "any" }
                            @for s in Status::ALL { option value=(s.as_str()) { (s.as_str()) } }
                            option value="reappeared" { "reappeared" }
                        }
                    }
                    output name="shown" {}
                }
                table #incident-table {
                    thead {
                        tr {
                            @for (label, sort) in COLUMNS {
                                th scope="col" data-type=[sort] { (label) }
                            }
                        }
                    }
                    tbody { @for incident in &report.incidents { (row(incident)) } }
                }
            }
        }
    }
}

fn row(i: &Incident) -> Markup {
    let t = &i.triage;
    let status_rank = Status::ALL.iter().position(|&s| s == t.status).unwrap_or(0);
    let (first, rest) = i.locations.split_at(i.locations.len().min(SHOWN_LOCATIONS));
    html! {
        tr data-severity=(i.severity.as_str()) data-status=(t.status.as_str())
            data-reappeared=[i.reappeared.then_some(1)]
            data-validation=[i.validation.as_ref().map(|v| v.status.as_str())] {
            td.nowrap { code { (i.id) } }
            td data-sort=(severity_rank(i.severity)) {
                span class={ "badge sev " (severity_class(i.severity)) } { (i.severity.as_str()) }
            }
            td data-sort=(exposure_names(&i.exposure)) {
                @for e in &i.exposure {
                    span class={ "badge exposure-" (e.as_str()) } title=(e.note()) { (e.as_str()) }
                    " "
                }
            }
            td {
                code { (i.rule_id) }
                br;
                span.desc { (i.description) }
                @if i.kind == FindingKind::Path { " " span.badge { "forbidden file" } }
            }
            td.num data-sort=(i.spread) { (i.spread) }
            td.nowrap data-sort=(i.first_seen) title=(i.first_seen) { (day(&i.first_seen)) }
            td data-sort=(status_rank) {
                span.badge { (t.status.as_str()) }
                @if i.reappeared { " " strong.flag { "reappeared" } }
                @if i.still_live { " " strong.flag { "still live" } }
                @if let Some(note) = &t.note { br; (note) }
                @match (&t.by, &t.at) {
                    (Some(by), Some(at)) => { br; span.meta { "by " (by) " on " (day(at)) } }
                    (Some(by), None) => { br; span.meta { "by " (by) } }
                    (None, Some(at)) => { br; span.meta { "on " (day(at)) } }
                    (None, None) => {}
                }
            }
            td {
                @match (&i.secret, i.kind) {
                    (Some(secret), _) => {
                        code.secret { (secret) } br; span.flag { "not redacted" }
                    }
                    (None, FindingKind::Path) if i.redacted.is_empty() => {
                        span.desc { "the file itself" }
                    }
                    (None, _) => { code.nowrap { (i.redacted) } }
                }
                @if let Some(v) = &i.validation {
                    br;
                    span class={ "badge check-" (v.status.as_str()) }
                        title={ (v.reason) " (checked " (v.checked_at) ")" } {
                        @if v.status == ValidationStatus::Live { "LIVE" } @else { (v.status.as_str()) }
                    }
                    @for (name, value) in &v.details { " " span.meta { (name) ": " (value) } }
                }
            }
            td.locs data-sort=(i.locations.len()) {
                ul.locs { @for l in first { (location(l)) } }
                @if !rest.is_empty() {
                    details {
                        summary { (rest.len()) " more" }
                        ul.locs { @for l in rest { (location(l)) } }
                    }
                }
            }
            td.fix { (i.remediation) }
        }
    }
}

fn location(l: &Location) -> Markup {
    html! {
        li {
            code.repo { (l.repository) }
            " " code { (l.path) ":" (l.line) }
            " " code title=(l.commit) { (l.commit.get(..12).unwrap_or(&l.commit)) }
            " " span.who title=(l.email) { (l.author) }
            " " span.date title=(l.date) { (day(&l.date)) }
            @if let Some(e) = l.exposure {
                " " span class={ "badge exposure-" (e.as_str()) } title=(e.note()) { (e.as_str()) }
            }
            @if l.after_revocation { " " strong.flag { "after revocation" } }
        }
    }
}

/// An incident's exposures as one sortable word list (`browser-name client`).
fn exposure_names(e: &[Exposure]) -> String {
    e.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" ")
}

// ---- Repositories ----

/// The repositories grouped by where they were listed from (`github-org:ORG`…), each group
/// by name: those named directly first, without a heading, then each origin's under one.
fn by_origin(repos: &[RepoRow]) -> Vec<(Option<&str>, Vec<&RepoRow>)> {
    let mut groups: std::collections::BTreeMap<Option<&str>, Vec<&RepoRow>> =
        std::collections::BTreeMap::new();
    for r in repos {
        groups.entry(r.origin.as_deref()).or_default().push(r);
    }
    for g in groups.values_mut() {
        g.sort_by(|a, b| a.name.cmp(&b.name));
    }
    groups.into_iter().collect()
}

fn repositories(repos: &[RepoRow]) -> Markup {
    if repos.is_empty() {
        return html! {};
    }
    let columns = ["Repository", "Last audited", "Incidents", "Error"];
    html! {
        section #repositories aria-labelledby="repositories-h" {
            h2 #repositories-h { "Repositories (" (repos.len()) ")" }
            details {
                summary { "Every repository audited, with its last audit" }
                table {
                    thead { tr { @for c in columns { th scope="col" { (c) } } } }
                    @for (origin, group) in by_origin(repos) {
                        tbody data-origin=[origin] {
                            @if let Some(o) = origin {
                                tr.origin {
                                    th scope="rowgroup" colspan=(columns.len()) {
                                        "From " code { (o) } " (" (group.len()) ")"
                                    }
                                }
                            }
                            @for r in group {
                                tr {
                                    td { code { (r.name) } }
                                    td { (r.scanned_at.as_deref().unwrap_or("never")) }
                                    td.num { (r.incidents) }
                                    td.flag { (r.error.as_deref().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::{ReportSummary, Triage};

    fn location(repo: &str, path: &str) -> Location {
        Location {
            repository: repo.to_string(),
            commit: "0123456789abcdef0123456789abcdef01234567".to_string(),
            author: "Ann Example".to_string(),
            email: "ann@example.test".to_string(),
            date: "2021-03-04T05:06:07Z".to_string(),
            path: path.to_string(),
            line: 3,
            column: 7,
            found_at: "2024-01-01T00:00:00Z".to_string(),
            after_revocation: false,
            exposure: None,
        }
    }

    fn incident(id: &str, rule: &str, severity: Severity, first_seen: &str) -> Incident {
        Incident {
            id: id.to_string(),
            rule_id: rule.to_string(),
            description: "An example token".to_string(),
            severity,
            kind: FindingKind::Content,
            redacted: "EXAM…PLE".to_string(),
            secret: None,
            remediation: "Revoke it.".to_string(),
            triage: Triage {
                status: Status::Open,
                note: None,
                by: None,
                at: None,
            },
            reappeared: false,
            validation: None,
            still_live: false,
            first_seen: first_seen.to_string(),
            spread: 1,
            exposure: Vec::new(),
            locations: vec![location("git://example.test/a.git", "src/a.rs")],
        }
    }

    fn report(incidents: Vec<Incident>) -> AuditReport {
        AuditReport {
            generated_at: "2025-01-02T03:04:05Z".to_string(),
            summary: ReportSummary {
                repositories: 1,
                repositories_failed: 0,
                incidents_total: incidents.len(),
                by_status: Status::ALL.iter().map(|&s| (s, 0)).collect(),
                reappeared: 0,
                by_validation: Vec::new(),
                still_live: 0,
                all_statuses: false,
            },
            repositories: vec![RepoRow {
                name: "git://example.test/a.git".to_string(),
                scanned_at: Some("2025-01-02T03:00:00Z".to_string()),
                error: None,
                origin: None,
                incidents: incidents.len(),
            }],
            incidents,
        }
    }

    fn render(r: &AuditReport) -> String {
        let mut out = Vec::new();
        write(r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The `<tr>…</tr>` rows of the incident table's body.
    fn incident_rows(html: &str) -> Vec<&str> {
        let table = &html[html.find("<table id=\"incident-table\">").unwrap()..];
        let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
        body.split("<tr ").skip(1).collect()
    }

    const HOSTILE: &str = "<script>alert(1)</script> & \"double\" 'single'";

    #[test]
    fn every_model_string_is_escaped() {
        let mut i = incident("00000000000000aa", HOSTILE, Severity::High, HOSTILE);
        i.description = HOSTILE.to_string();
        i.remediation = HOSTILE.to_string();
        i.redacted = HOSTILE.to_string();
        i.triage = Triage {
            status: Status::Accepted,
            note: Some(HOSTILE.to_string()),
            by: Some(HOSTILE.to_string()),
            at: Some(HOSTILE.to_string()),
        };
        let mut l = location(HOSTILE, HOSTILE);
        l.author = HOSTILE.to_string();
        l.email = HOSTILE.to_string();
        l.commit = HOSTILE.to_string();
        l.date = HOSTILE.to_string();
        i.locations = vec![l];
        let mut r = report(vec![i]);
        r.generated_at = HOSTILE.to_string();
        r.repositories[0].name = HOSTILE.to_string();
        r.repositories[0].error = Some(HOSTILE.to_string());
        let html = render(&r);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("\"double\""));
        // Attribute values are double-quoted, where a `'` is text (maud leaves it as it is);
        // the CSP's base64 hashes may end in `='`.
        let unhashed = html.replace(STYLE_CSP, "").replace(SCRIPT_CSP, "");
        assert!(!unhashed.contains("='"), "a single-quoted attribute");
        assert!(html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; 'single'"));
        // Every place it was written (whole or cut short) was escaped.
        let rest = html.replace("&lt;script&gt;alert(1)&lt;/script&gt;", "");
        assert!(!rest.contains("alert(1)"), "{rest}");
        // The only script element is ours.
        assert_eq!(html.matches("<script").count(), 1);
    }

    /// Repositories named directly come first, without a heading; then each origin's, under
    /// one, each group sorted by name.
    #[test]
    fn repositories_are_grouped_by_origin() {
        let mut r = report(Vec::new());
        let row = |name: &str, origin: Option<&str>| RepoRow {
            name: name.to_string(),
            scanned_at: None,
            error: None,
            origin: origin.map(str::to_string),
            incidents: 0,
        };
        r.repositories = vec![
            row("h/acme/b", Some("github-org:acme")),
            row("h/grp/a", Some("gitlab-group:grp")),
            row("/src/local", None),
            row("h/acme/a", Some("github-org:acme")),
        ];
        let html = render(&r);
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("no {s}"));
        assert!(at("/src/local") < at("github-org:acme</code> (2)"));
        assert!(at("github-org:acme</code> (2)") < at("h/acme/a"));
        assert!(at("h/acme/a") < at("h/acme/b"));
        assert!(at("h/acme/b") < at("gitlab-group:grp</code> (1)"));
        assert!(at("gitlab-group:grp</code> (1)") < at("h/grp/a"));
        assert!(html.contains("<tbody data-origin=\"github-org:acme\">"));
    }

    #[test]
    fn forbidden_code_points_are_replaced() {
        let valid = |s: &str| valid_code_points(s.to_string());
        assert_eq!(
            valid("a\u{0}b\u{1b}c\u{85}d\u{fdd0}e\u{ffff}f\tg\nh\u{7f}i\u{10fffe}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e\u{fffd}f\tg\nh\u{fffd}i\u{fffd}"
        );
        assert_eq!(valid("é<ü>\u{fffd}\u{fdf0}"), "é<ü>\u{fffd}\u{fdf0}");
        // Through the whole page: in text and in attribute values.
        let mut i = incident("00000000000000aa", "r\u{1}", Severity::Low, "2020");
        i.locations[0].path = "a\u{0}b\u{9f}c".to_string();
        i.locations[0].email = "x\u{fffe}@example.test".to_string();
        let html = render(&report(vec![i]));
        assert!(html.contains(">a\u{fffd}b\u{fffd}c:3</code>"), "{html}");
        assert!(html.contains("title=\"x\u{fffd}@example.test\""), "{html}");
        assert!(html.contains("<code>r\u{fffd}</code>"), "{html}");
        assert_eq!(valid(&html), html);
    }

    /// The values of every `NAME="…"` attribute in `html`.
    fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
        let pat = format!(" {name}=\"");
        html.match_indices(&pat)
            .map(|(at, _)| {
                let v = &html[at + pat.len()..];
                &v[..v.find('"').unwrap()]
            })
            .collect()
    }

    #[test]
    fn no_external_references() {
        let mut i = incident("00000000000000aa", "r", Severity::Low, "2020");
        i.locations = vec![location(
            "https://example.test/org/repo.git",
            "docs/\"><img src=\"https://example.test/x.png\">",
        )];
        let html = render(&report(vec![i]));
        for attr in [
            "src",
            "href",
            "action",
            "formaction",
            "data",
            "poster",
            "xlink:href",
        ] {
            let values = attribute_values(&html, attr);
            assert!(values.is_empty(), "{attr}: {values:?}");
        }
        for external in ["url(", "@import", "<link", "<iframe", "<img"] {
            assert!(!html.contains(external), "{external} in the report");
        }
        // The repository URL is shown as text, not linked.
        assert!(html.contains("<code class=\"repo\">https://example.test/org/repo.git</code>"));
        let csp = attribute_values(&html, "content")
            .into_iter()
            .find(|v| v.starts_with("default-src"))
            .unwrap();
        assert_eq!(
            csp,
            format!(
                "default-src 'none'; style-src {STYLE_CSP}; script-src {SCRIPT_CSP}; \
                 base-uri 'none'; form-action 'none'"
            )
        );
        assert!(STYLE_CSP.starts_with("'sha256-"), "{STYLE_CSP}");
    }

    /// `'sha256-…'`: a CSP source allowing exactly this inline style or script.
    fn csp_hash(text: &str) -> String {
        use base64::Engine as _;
        use sha2::{Digest as _, Sha256};
        let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
        format!("'sha256-{b64}'")
    }

    #[test]
    fn csp_hashes_are_those_of_the_assets() {
        // SHA-256("") as CSP writes it.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        assert_eq!(STYLE_CSP, csp_hash(STYLE));
        assert_eq!(SCRIPT_CSP, csp_hash(SCRIPT));
        // What is embedded is the asset, trimmed (see STYLE).
        assert_eq!(STYLE, include_str!("assets/report.css").trim());
        assert_eq!(SCRIPT, include_str!("assets/report.js").trim());
        for text in [STYLE, SCRIPT] {
            assert!(!text.is_empty());
            assert_eq!(text, text.trim());
        }
        let html = render(&report(Vec::new()));
        assert!(html.contains(&format!("<style>{STYLE}</style>")));
        assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
    }

    #[test]
    fn every_incident_has_a_row() {
        let incidents: Vec<Incident> = (0..25)
            .map(|n| {
                incident(
                    &format!("{n:016x}"),
                    &format!("rule-{}", n % 13),
                    Severity::Medium,
                    "2022-01-01T00:00:00Z",
                )
            })
            .collect();
        let html = render(&report(incidents.clone()));
        let rows = incident_rows(&html);
        assert_eq!(rows.len(), incidents.len());
        for (row, i) in rows.iter().zip(&incidents) {
            assert!(row.contains(&format!("<code>{}</code>", i.id)), "{row}");
        }
        // 13 rules: the top 10 and one "other" bar for the 3 left.
        assert!(html.contains("other (3 rules)"), "{html}");
    }

    #[test]
    fn the_clear_secret_only_with_show_secrets() {
        let clear = "EXAMPLEclearSECRETvalue0123456789";
        let mut i = incident("00000000000000aa", "r", Severity::Critical, "2020");
        i.secret = Some(clear.to_string());
        let shown = render(&report(vec![i.clone()]));
        assert!(shown.contains(clear));
        assert!(shown.contains("not redacted"));
        i.secret = None;
        let hidden = render(&report(vec![i]));
        assert!(!hidden.contains(clear));
        assert!(!hidden.contains("not redacted"));
        assert!(hidden.contains(">EXAM…PLE</code>"));
    }

    #[test]
    fn many_locations_fold_after_three() {
        let mut i = incident("00000000000000aa", "r", Severity::High, "2020");
        i.locations = (0..5)
            .map(|n| location("git://example.test/a.git", &format!("f{n}.txt")))
            .collect();
        let html = render(&report(vec![i]));
        let details = &html[html.find("<details><summary>2 more</summary>").unwrap()..];
        for n in 0..5 {
            let at = html.find(&format!("f{n}.txt:3")).unwrap();
            assert_eq!(n >= 3, details.contains(&format!("f{n}.txt:3")), "f{n}");
            assert!(at > 0);
        }
    }

    #[test]
    fn empty_report() {
        let html = render(&report(Vec::new()));
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));
        assert!(html.contains("No open incidents"));
        assert!(!html.contains("<table id=\"incident-table\">"));
        assert!(!html.contains("<svg"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn labels_are_shortened_by_characters() {
        assert_eq!(shorten("abcdef", 6, false), "abcdef");
        assert_eq!(shorten("ééééééé", 4, false), "ééé…");
        assert_eq!(shorten("https://x/org/repo", 8, true), "…rg/repo");
        assert_eq!(day("2021-03-04T05:06:07Z"), "2021-03-04");
        assert_eq!(day("ééé"), "ééé");
    }
}
