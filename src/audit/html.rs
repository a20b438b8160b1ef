//! HTML audit report: one self-contained HTML5 file to attach to a ticket or open offline.
//!
//! Everything is inline (CSS, SVG charts, a small script) and a Content-Security-Policy with
//! the hashes of that style and script forbids every other load or script, so the file makes
//! no network request even if a string from a scanned repository escaped its escaping. All
//! rows are rendered here, so the report reads with JavaScript off; the script only adds
//! sorting and filtering, and keeps them in the URL's fragment (`#severity=high&sort=spread`).
//!
//! Every string from the model goes through [`Esc`]: paths, authors, notes and rule texts
//! come from repositories and datastores that an attacker may have written to.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufWriter, Write};

use super::model::{AuditReport, Incident, Location, RepoRow, Status};
use crate::finding::FindingKind;
use crate::rules::Severity;

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
    // Thousands of small writes: buffer them, whatever `out` is.
    let mut w = BufWriter::new(out);
    head(report, &mut w)?;
    summary(report, &mut w)?;
    incidents(report, &mut w)?;
    repositories(&report.repositories, &mut w)?;
    writeln!(
        w,
        "</main>\n<footer>leakguard {}</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    )?;
    w.flush()
}

// ---- Escaping ----

/// Text escaped for HTML text and double- or single-quoted attribute values (SVG included).
/// Code points HTML forbids (C0 and C1 controls other than whitespace, noncharacters) become
/// U+FFFD: git paths may hold them, and the file must stay valid.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, c) in s.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\t' | '\n' | '\r' => continue,
                c if c.is_control() || is_noncharacter(c) => "\u{fffd}",
                _ => continue,
            };
            // `i` comes from `char_indices`, `last` is the end of a previous character.
            f.write_str(&s[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&s[last..])
    }
}

fn is_noncharacter(c: char) -> bool {
    let n = u32::from(c);
    (0xfdd0..=0xfdef).contains(&n) || n & 0xfffe == 0xfffe
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

// ---- Head and the Content-Security-Policy ----

fn head(report: &AuditReport, w: &mut dyn Write) -> io::Result<()> {
    let csp = format!(
        "default-src 'none'; style-src {STYLE_CSP}; script-src {SCRIPT_CSP}; \
         base-uri 'none'; form-action 'none'"
    );
    let shown = report.incidents.len();
    let what = if report.summary.all_statuses {
        "incidents"
    } else {
        "open incidents"
    };
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"leakguard {ver}\">\n\
         <title>leakguard audit: {shown} {what}, {repos} repositories</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>leakguard audit</h1>\n\
         <p>Generated {at}. {scope}</p>\n</header>\n<main>",
        ver = env!("CARGO_PKG_VERSION"),
        repos = report.summary.repositories,
        at = Esc(&report.generated_at),
        scope = if report.summary.all_statuses {
            "Every incident is listed, whatever its triage."
        } else {
            "Open incidents only; the counts below cover every status."
        },
    )
}

// ---- Summary ----

fn summary(report: &AuditReport, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        w,
        "<section id=\"summary\" aria-labelledby=\"summary-h\">\n\
         <h2 id=\"summary-h\">Summary</h2>\n<dl class=\"counts\">"
    )?;
    let mut count = |label: &str, n: usize, warn: bool| {
        let class = if warn && n > 0 { " class=\"warn\"" } else { "" };
        writeln!(w, "<div{class}><dt>{label}</dt><dd>{n}</dd></div>")
    };
    count("Repositories", s.repositories, false)?;
    count("Failed repositories", s.repositories_failed, true)?;
    count("Incidents (all statuses)", s.incidents_total, false)?;
    for &(status, n) in &s.by_status {
        count(status_label(status), n, status == Status::Open)?;
    }
    count("Reappeared revoked secrets", s.reappeared, true)?;
    count("Shown below", report.incidents.len(), false)?;
    writeln!(w, "</dl>")?;

    let failed: Vec<&RepoRow> = report
        .repositories
        .iter()
        .filter(|r| r.error.is_some())
        .collect();
    if !failed.is_empty() {
        writeln!(
            w,
            "<h3>Repositories whose last audit failed</h3>\n<ul class=\"failed\">"
        )?;
        for r in failed {
            let err = r.error.as_deref().unwrap_or_default();
            writeln!(w, "<li><code>{}</code>: {}</li>", Esc(&r.name), Esc(err))?;
        }
        writeln!(w, "</ul>")?;
    }
    if !report.incidents.is_empty() {
        charts(&report.incidents, w)?;
    }
    writeln!(w, "</section>")
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
    class: &'static str,
}

fn bar(label: impl Into<String>, count: usize) -> Bar {
    Bar {
        label: label.into(),
        count,
        class: "",
    }
}

/// How many named bars a chart keeps before folding the rest into "other".
const TOP: usize = 10;

fn charts(incidents: &[Incident], w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "<div class=\"charts\">")?;

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
        class: severity_class(sev),
    })
    .collect();
    bar_chart("Incidents by severity", &by_severity, false, w)?;

    let mut rules = BTreeMap::<&str, usize>::new();
    for i in incidents {
        *rules.entry(&i.rule_id).or_default() += 1;
    }
    bar_chart("Incidents by rule", &top(rules, "rules"), false, w)?;

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
    bar_chart(
        "Incidents by repository",
        &top(repos, "repositories"),
        true,
        w,
    )?;

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
    bar_chart("Incidents by year of first leak", &years, false, w)?;

    writeln!(w, "</div>")
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
fn bar_chart(title: &str, bars: &[Bar], tail: bool, w: &mut dyn Write) -> io::Result<()> {
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
    writeln!(
        w,
        "<figure>\n<figcaption>{t}</figcaption>\n\
         <svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         role=\"img\" aria-label=\"{t}: {d}\">\n<title>{t}</title>",
        t = Esc(title),
        d = Esc(&data.join(", ")),
    )?;
    for (i, b) in bars.iter().enumerate() {
        let y = i * ROW + 4;
        let len = b.count * BAR_MAX / max;
        let class = if b.class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", b.class)
        };
        writeln!(
            w,
            "<g{class}><title>{full}: {n}</title>\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{len}\" height=\"{bh}\"/>\
             <text x=\"{cx}\" y=\"{ty}\">{n}</text></g>",
            full = Esc(&b.label),
            n = b.count,
            lx = LABEL - 6,
            ty = y + 13,
            label = Esc(&shorten(&b.label, 28, tail)),
            bh = ROW - 6,
            cx = LABEL + len + 5,
        )?;
    }
    writeln!(w, "</svg>\n</figure>")
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

/// Column headers: (label, sort type for the script: "num", "text" or none).
const COLUMNS: [(&str, &str); 9] = [
    ("ID", "text"),
    ("Severity", "num"),
    ("Rule", "text"),
    ("Spread", "num"),
    ("First seen", "text"),
    ("Triage", "num"),
    ("Secret", "text"),
    ("Locations", "num"),
    ("Remediation", ""),
];

/// Places listed before the rest fold into a `<details>`.
const SHOWN_LOCATIONS: usize = 3;

fn incidents(report: &AuditReport, w: &mut dyn Write) -> io::Result<()> {
    let n = report.incidents.len();
    writeln!(
        w,
        "<section id=\"incidents\" aria-labelledby=\"incidents-h\">\n\
         <h2 id=\"incidents-h\">Incidents ({n})</h2>"
    )?;
    if n == 0 {
        let msg = if report.summary.all_statuses {
            "No incidents: nothing was found in the repositories audited."
        } else {
            "No open incidents: every incident found has been triaged."
        };
        return writeln!(w, "<p class=\"empty\">{msg}</p>\n</section>");
    }
    // Hidden until the script shows it: without JavaScript it could do nothing.
    writeln!(
        w,
        "<form id=\"filters\" hidden>\n\
         <label>Filter <input type=\"search\" name=\"q\" placeholder=\"rule, path, author, id…\"></label>\n\
         <label>Severity <select name=\"severity\"><option value=\"\">any</option>\
         <option value=\"critical\">critical</option><option value=\"high\">high and above</option>\
         <option value=\"medium\">medium and above</option><option value=\"low\">low and above</option>\
         </select></label>"
    )?;
    write!(
        w,
        "<label>Triage <select name=\"status\"><option value=\"\">any</option>"
    )?;
    for s in Status::ALL {
        write!(w, "<option value=\"{s}\">{s}</option>")?;
    }
    writeln!(
        w,
        "<option value=\"reappeared\">reappeared</option></select></label>\n\
         <output name=\"shown\"></output>\n</form>"
    )?;
    writeln!(w, "<table id=\"incident-table\">\n<thead><tr>")?;
    for (label, sort) in COLUMNS {
        if sort.is_empty() {
            write!(w, "<th scope=\"col\">{label}</th>")?;
        } else {
            write!(w, "<th scope=\"col\" data-type=\"{sort}\">{label}</th>")?;
        }
    }
    writeln!(w, "</tr></thead>\n<tbody>")?;
    for incident in &report.incidents {
        row(incident, w)?;
    }
    writeln!(w, "</tbody>\n</table>\n</section>")
}

fn row(i: &Incident, w: &mut dyn Write) -> io::Result<()> {
    let t = &i.triage;
    let status_rank = Status::ALL.iter().position(|&s| s == t.status).unwrap_or(0);
    write!(
        w,
        "<tr data-severity=\"{sev}\" data-status=\"{st}\"{re}>\
         <td class=\"nowrap\"><code>{id}</code></td>\
         <td data-sort=\"{rank}\"><span class=\"badge sev {class}\">{sev}</span></td>\
         <td><code>{rule}</code><br><span class=\"desc\">{desc}</span>{kind}</td>\
         <td class=\"num\" data-sort=\"{spread}\">{spread}</td>\
         <td class=\"nowrap\" data-sort=\"{first}\" title=\"{first}\">{first_day}</td>\
         <td data-sort=\"{status_rank}\"><span class=\"badge\">{st}</span>",
        sev = i.severity,
        st = t.status,
        re = if i.reappeared {
            " data-reappeared=\"1\""
        } else {
            ""
        },
        id = Esc(&i.id),
        rank = severity_rank(i.severity),
        class = severity_class(i.severity),
        rule = Esc(&i.rule_id),
        desc = Esc(&i.description),
        kind = if i.kind == FindingKind::Path {
            " <span class=\"badge\">forbidden file</span>"
        } else {
            ""
        },
        spread = i.spread,
        first = Esc(&i.first_seen),
        first_day = Esc(day(&i.first_seen)),
    )?;
    if i.reappeared {
        write!(w, " <strong class=\"flag\">reappeared</strong>")?;
    }
    if let Some(note) = &t.note {
        write!(w, "<br>{}", Esc(note))?;
    }
    match (&t.by, &t.at) {
        (Some(by), Some(at)) => write!(
            w,
            "<br><span class=\"meta\">by {} on {}</span>",
            Esc(by),
            Esc(day(at))
        )?,
        (Some(by), None) => write!(w, "<br><span class=\"meta\">by {}</span>", Esc(by))?,
        (None, Some(at)) => write!(w, "<br><span class=\"meta\">on {}</span>", Esc(day(at)))?,
        (None, None) => {}
    }
    write!(w, "</td><td>")?;
    match (&i.secret, i.kind) {
        (Some(secret), _) => write!(
            w,
            "<code class=\"secret\">{}</code><br><span class=\"flag\">not redacted</span>",
            Esc(secret)
        )?,
        (None, FindingKind::Path) if i.redacted.is_empty() => {
            write!(w, "<span class=\"desc\">the file itself</span>")?
        }
        (None, _) => write!(w, "<code class=\"nowrap\">{}</code>", Esc(&i.redacted))?,
    }
    write!(
        w,
        "</td><td class=\"locs\" data-sort=\"{}\"><ul class=\"locs\">",
        i.locations.len()
    )?;
    let (first, rest) = i.locations.split_at(i.locations.len().min(SHOWN_LOCATIONS));
    for l in first {
        location(l, w)?;
    }
    write!(w, "</ul>")?;
    if !rest.is_empty() {
        write!(
            w,
            "<details><summary>{} more</summary><ul class=\"locs\">",
            rest.len()
        )?;
        for l in rest {
            location(l, w)?;
        }
        write!(w, "</ul></details>")?;
    }
    writeln!(
        w,
        "</td><td class=\"fix\">{}</td></tr>",
        Esc(&i.remediation)
    )
}

fn location(l: &Location, w: &mut dyn Write) -> io::Result<()> {
    let short = l.commit.get(..12).unwrap_or(&l.commit);
    write!(
        w,
        "<li><code class=\"repo\">{repo}</code> <code>{path}:{line}</code> \
         <code title=\"{commit}\">{short}</code> \
         <span class=\"who\" title=\"{email}\">{author}</span> \
         <span class=\"date\" title=\"{date}\">{day}</span>",
        repo = Esc(&l.repository),
        path = Esc(&l.path),
        line = l.line,
        commit = Esc(&l.commit),
        short = Esc(short),
        email = Esc(&l.email),
        author = Esc(&l.author),
        date = Esc(&l.date),
        day = Esc(day(&l.date)),
    )?;
    if l.after_revocation {
        write!(w, " <strong class=\"flag\">after revocation</strong>")?;
    }
    write!(w, "</li>")
}

// ---- Repositories ----

fn repositories(repos: &[RepoRow], w: &mut dyn Write) -> io::Result<()> {
    if repos.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "<section id=\"repositories\" aria-labelledby=\"repositories-h\">\n\
         <h2 id=\"repositories-h\">Repositories ({})</h2>\n\
         <details><summary>Every repository audited, with its last audit</summary>\n\
         <table>\n<thead><tr><th scope=\"col\">Repository</th><th scope=\"col\">Last audited</th>\
         <th scope=\"col\">Incidents</th><th scope=\"col\">Error</th></tr></thead>\n<tbody>",
        repos.len()
    )?;
    for r in repos {
        writeln!(
            w,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"flag\">{}</td></tr>",
            Esc(&r.name),
            Esc(r.scanned_at.as_deref().unwrap_or("never")),
            r.incidents,
            Esc(r.error.as_deref().unwrap_or_default()),
        )?;
    }
    writeln!(w, "</tbody>\n</table>\n</details>\n</section>")
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
            first_seen: first_seen.to_string(),
            spread: 1,
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
                all_statuses: false,
            },
            repositories: vec![RepoRow {
                name: "git://example.test/a.git".to_string(),
                scanned_at: Some("2025-01-02T03:00:00Z".to_string()),
                error: None,
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
        assert!(!html.contains("'single'"));
        assert!(html.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; &#39;single&#39;"
        ));
        // The only script element is ours.
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn forbidden_code_points_are_replaced() {
        let html = Esc("a\u{0}b\u{1b}c\u{85}d\u{fdd0}e\u{ffff}f\tg\nh").to_string();
        assert_eq!(html, "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e\u{fffd}f\tg\nh");
        assert_eq!(Esc("é<ü>").to_string(), "é&lt;ü&gt;");
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
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
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
