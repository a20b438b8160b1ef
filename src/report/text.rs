//! Human report: findings grouped by file, colour only when asked or on a terminal, then
//! (with `--explain`) the suppressed findings with what suppressed each, and a one-line
//! summary followed by any stale baseline entries.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::{suppression_reason, Options, Report, Summary};
use crate::finding::{Finding, FindingKind};
use crate::printable::text as esc;
use crate::rules::Severity;

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::new()
            .fg_color(Some(AnsiColor::Red.into()))
            .effects(Effects::BOLD),
        Severity::High => Style::new().fg_color(Some(AnsiColor::Red.into())),
        Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
    }
}

/// Writes the text report. Styles are emitted only when `opts.color` is set.
pub fn write(report: &Report<'_>, opts: Options, out: &mut dyn Write) -> io::Result<()> {
    let (findings, summary) = (report.findings, report.summary);
    let paint = |style: Style| if opts.color { style } else { Style::new() };
    let bold = paint(Style::new().effects(Effects::BOLD));
    let dim = paint(Style::new().effects(Effects::DIMMED));
    let mut current: Option<&str> = None;
    for f in findings {
        if current != Some(f.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{bold}{}{bold:#}", f.path)?;
            current = Some(&f.path);
        }
        let sev = paint(severity_style(f.severity));
        let at = format!("{}:{}", f.line, f.column);
        let live = f
            .validation
            .as_ref()
            .is_some_and(|v| v.status == crate::validate::Status::Live);
        writeln!(
            out,
            "  {at:<8} {sev}{:<8}{sev:#} {}{bold}{}{bold:#}  {}",
            f.severity.as_str().to_ascii_uppercase(),
            if live { "LIVE " } else { "" },
            f.rule_id,
            esc(&f.description)
        )?;
        if f.is_name {
            writeln!(
                out,
                "           {dim}name{dim:#}    {} {dim}(a variable name, not a secret){dim:#}",
                esc(f.secret_display(true)),
            )?;
        } else if f.kind == FindingKind::Content {
            let what = match (opts.show_secrets, f.decoded) {
                (true, Some(_)) => "decoded from base64",
                (true, None) => "secret",
                (false, Some(_)) => "redacted, decoded from base64",
                (false, None) => "redacted",
            };
            writeln!(
                out,
                "           {dim}secret{dim:#}  {} {dim}({} chars, {what}, entropy {:.1}){dim:#}",
                esc(f.secret_display(opts.show_secrets)),
                f.secret_len,
                f.entropy
            )?;
        }
        if let Some(e) = f.exposure {
            writeln!(
                out,
                "           {dim}exposed{dim:#} {}: {}",
                e.as_str(),
                e.note()
            )?;
        }
        if let Some(p) = &f.pair {
            writeln!(
                out,
                "           {dim}pair{dim:#}    {} {dim}({} at {}:{}){dim:#}",
                esc(p.display(opts.show_secrets)),
                p.rule_id,
                p.line,
                p.column
            )?;
        }
        if !f.also_matched.is_empty() {
            writeln!(
                out,
                "           {dim}also{dim:#}    {}",
                f.also_matched.join(", ")
            )?;
        }
        if let Some(c) = &f.commit {
            // Author, e-mail and date come from the commit as written: escaped.
            writeln!(
                out,
                "           {dim}commit{dim:#}  {} by {} <{}> on {}",
                c.id.get(..12).unwrap_or(&c.id),
                esc(&c.author),
                esc(&c.email),
                esc(&c.date)
            )?;
        }
        if let Some(place) = &f.image {
            writeln!(out, "           {dim}image{dim:#}   {}", image_line(place))?;
        }
        if let Some(v) = &f.validation {
            let mut line = format!("{} ({})", v.status, esc(&v.reason));
            for (name, value) in &v.details {
                line.push_str(&format!(" · {name}: {}", esc(value)));
            }
            writeln!(out, "           {dim}issuer{dim:#}  {line}")?;
        }
        writeln!(out, "           {dim}fix{dim:#}     {}", f.remediation)?;
    }
    if !report.suppressed.is_empty() {
        if !findings.is_empty() {
            writeln!(out)?;
        }
        write_suppressed(report.suppressed, opts, out)?;
    }
    if opts.quiet {
        return Ok(());
    }
    if !findings.is_empty() || !report.suppressed.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "{}",
        summary_line(summary, findings, !report.suppressed.is_empty(), opts.color)
    )?;
    if !summary.stale_baseline.is_empty() {
        for entry in &summary.stale_baseline {
            writeln!(out, "  {dim}stale{dim:#}  {}", esc(entry))?;
        }
        writeln!(
            out,
            "  {dim}these baseline entries match nothing: remove them with `leakguard baseline --prune`{dim:#}"
        )?;
    }
    if let (Some(footer), false) = (opts.footer, findings.is_empty()) {
        write!(out, "{footer}")?;
    }
    Ok(())
}

/// The `--explain` section: one line per suppressed finding, with what suppressed it.
fn write_suppressed(suppressed: &[Finding], opts: Options, out: &mut dyn Write) -> io::Result<()> {
    let paint = |style: Style| if opts.color { style } else { Style::new() };
    let bold = paint(Style::new().effects(Effects::BOLD));
    let dim = paint(Style::new().effects(Effects::DIMMED));
    writeln!(
        out,
        "{bold}suppressed{bold:#} {dim}({} finding{}, not reported){dim:#}",
        suppressed.len(),
        plural(suppressed.len())
    )?;
    for f in suppressed {
        let secret = match f.kind {
            FindingKind::Content => f.secret_display(opts.show_secrets),
            FindingKind::Path => "",
        };
        let by = f
            .suppressed
            .as_ref()
            .map_or_else(|| "unknown".to_string(), suppression_reason);
        let sep = if secret.is_empty() { "" } else { "  " };
        writeln!(
            out,
            "  {}:{}  {bold}{}{bold:#}{sep}{}  {dim}by{dim:#} {}",
            f.path,
            f.line,
            f.rule_id,
            esc(secret),
            esc(&by)
        )?;
    }
    Ok(())
}

/// `explained`: the suppressed findings are listed above (`--explain`); otherwise their
/// count comes with a pointer to `--explain`.
fn summary_line(s: &Summary, findings: &[Finding], explained: bool, color: bool) -> String {
    let mut files: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    files.dedup();
    let head = if s.findings == 0 && s.stats.incomplete() {
        // Something was not read: never "no secrets found", which reads as clean.
        let style = if color {
            Style::new().fg_color(Some(AnsiColor::Yellow.into()))
        } else {
            Style::new()
        };
        format!("{style}no secrets found in what could be read (incomplete){style:#}")
    } else if s.findings == 0 {
        let style = if color {
            Style::new().fg_color(Some(AnsiColor::Green.into()))
        } else {
            Style::new()
        };
        format!("{style}no secrets found{style:#}")
    } else {
        let style = if color {
            Style::new()
                .fg_color(Some(AnsiColor::Red.into()))
                .effects(Effects::BOLD)
        } else {
            Style::new()
        };
        let sev: Vec<String> = s
            .by_severity
            .iter()
            .rev()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        format!(
            "{style}{} finding{} ({}) in {} file{}{style:#}",
            s.findings,
            plural(s.findings),
            sev.join(", "),
            files.len(),
            plural(files.len())
        )
    };
    let st = &s.stats;
    let skipped = st.files_skipped_size + st.files_skipped_binary;
    let mut line = format!(
        "leakguard: {head} · scanned {} file{} ({}) · skipped {skipped}",
        st.files_scanned,
        plural(st.files_scanned as usize),
        human_bytes(st.bytes_scanned),
    );
    if skipped > 0 {
        line.push_str(&format!(
            " ({} over size, {} binary)",
            st.files_skipped_size, st.files_skipped_binary
        ));
    }
    if st.files_unreadable > 0 {
        line.push_str(&format!(" · unreadable {}", st.files_unreadable));
    }
    if st.archives > 0 {
        line.push_str(&format!(" · archives {}", st.archives));
        if st.archives_limited > 0 {
            line.push_str(&format!(" ({} cut short)", st.archives_limited));
        }
        if st.archive_entries_skipped > 0 {
            let n = st.archive_entries_skipped;
            line.push_str(&format!(" · unreadable archive entries {n}"));
        }
    }
    if s.suppressed > 0 {
        line.push_str(&format!(" · suppressed {}", s.suppressed));
        if !explained {
            line.push_str(" (--explain lists them)");
        }
    }
    if s.below_min_severity > 0 {
        line.push_str(&format!(" · below --min-severity {}", s.below_min_severity));
    }
    if !s.validation.is_empty() {
        let counts: Vec<String> = s
            .validation
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        line.push_str(&format!(" · validated: {}", counts.join(", ")));
    }
    if !s.stale_baseline.is_empty() {
        let n = s.stale_baseline.len();
        line.push_str(&format!(
            " · {n} stale baseline entr{}",
            if n == 1 { "y" } else { "ies" }
        ));
    }
    line.push_str(&format!(" · {:.0} ms", s.elapsed_ms));
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1.2 MB`-style sizes (decimal units, as throughput figures use).
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1e3 {
        format!("{n} B")
    } else if n < 1e6 {
        format!("{:.1} kB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{:.2} GB", n / 1e9)
    }
}

/// Where in a container image: `layer 2 sha256:… (linux/amd64): COPY . /app; deleted by
/// layer 3 sha256:…`, or the config. Every part is escaped (instructions are the image's text).
fn image_line(p: &crate::finding::ImagePlace) -> String {
    let short = |d: &str| d.get(..19).unwrap_or(d).to_string();
    let mut s = match (&p.layer, &p.config) {
        (Some(l), _) => format!("layer {} {}", p.position.unwrap_or(0), short(l)),
        (None, Some(c)) => format!("config {}", short(c)),
        (None, None) => "image".to_string(),
    };
    if let Some(platform) = &p.platform {
        s.push_str(&format!(" ({})", esc(platform)));
    }
    if let Some(i) = &p.instruction {
        s.push_str(&format!(": {}", esc(i)));
    }
    if let Some(r) = &p.removed {
        s.push_str(&format!(
            "; {} by layer {} {}",
            r.how,
            r.position,
            short(&r.layer)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn render(stale: &[&str], counts: (usize, usize), quiet: bool) -> String {
        let set = fixture::rules();
        let (findings, suppressed) = fixture::findings(&set);
        let mut summary = fixture::summary(&findings);
        summary.suppressed = counts.0;
        summary.below_min_severity = counts.1;
        summary.stale_baseline = stale.iter().map(|s| s.to_string()).collect();
        let report = Report {
            findings: &findings,
            suppressed: &suppressed,
            summary: &summary,
            rules: &set.rules,
        };
        let opts = Options {
            show_secrets: false,
            quiet,
            color: false,
            footer: None,
        };
        let mut out = Vec::new();
        write(&report, opts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn suppressed_section_names_what_suppressed_each_finding() {
        let text = render(&[], (3, 0), false);
        assert!(!text.contains(&fixture::secret()));
        let section: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("suppressed"))
            .take(4)
            .collect();
        assert_eq!(section[0], "suppressed (3 findings, not reported)");
        assert_eq!(
            section[1],
            "  tests/s0.py:3  tok  tok_Fc…  by leakguard:allow comment"
        );
        assert!(section[2].ends_with("by allowlist allow.paths[0] in .leakguard.yaml:3"));
        assert!(
            section[3].ends_with("by baseline entry tok 0011aabb src/x.py in .leakguard-baseline")
        );
        // --quiet drops the summary, not what --explain asked for.
        let quiet = render(&[], (3, 0), true);
        assert!(quiet.contains("by leakguard:allow comment"));
        assert!(!quiet.contains("leakguard: "));
    }

    #[test]
    fn summary_mentions_suppressed_below_threshold_and_stale_entries_only_when_nonzero() {
        let plain = render(&[], (0, 0), false);
        let summary = plain
            .lines()
            .find(|l| l.starts_with("leakguard: "))
            .unwrap();
        assert!(!summary.contains("suppressed"));
        assert!(!summary.contains("min-severity"));
        assert!(!plain.contains("stale"));

        let text = render(
            &["tok 0011aabb a.py", "env-file 2233ccdd .env"],
            (3, 2),
            false,
        );
        let summary = text.lines().find(|l| l.starts_with("leakguard: ")).unwrap();
        assert!(summary
            .contains(" · suppressed 3 · below --min-severity 2 · 2 stale baseline entries · "));
        assert!(text.contains("\n  stale  tok 0011aabb a.py\n  stale  env-file 2233ccdd .env\n"));
        assert!(text.contains("leakguard baseline --prune"));
    }

    #[test]
    fn suppressed_count_points_at_explain_when_not_listed() {
        let set = fixture::rules();
        let (findings, _) = fixture::findings(&set);
        let mut summary = fixture::summary(&findings);
        summary.suppressed = 2;
        let line = summary_line(&summary, &findings, false, false);
        assert!(
            line.contains(" · suppressed 2 (--explain lists them) · "),
            "{line}"
        );
        let line = summary_line(&summary, &findings, true, false);
        assert!(line.contains(" · suppressed 2 · "), "{line}");
    }
}
