//! Human report: findings grouped by file, colour only when asked or on a terminal, and a
//! one-line summary.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::{Options, Report, Summary};
use crate::finding::{Finding, FindingKind};
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
        writeln!(
            out,
            "  {at:<8} {sev}{:<8}{sev:#} {bold}{}{bold:#}  {}",
            f.severity.as_str().to_ascii_uppercase(),
            f.rule_id,
            f.description
        )?;
        if f.kind == FindingKind::Content {
            let what = match (opts.show_secrets, f.decoded) {
                (true, Some(_)) => "decoded from base64",
                (true, None) => "secret",
                (false, Some(_)) => "redacted, decoded from base64",
                (false, None) => "redacted",
            };
            writeln!(
                out,
                "           {dim}secret{dim:#}  {} {dim}({} chars, {what}, entropy {:.1}){dim:#}",
                f.secret_display(opts.show_secrets),
                f.secret_len,
                f.entropy
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
            writeln!(
                out,
                "           {dim}commit{dim:#}  {} by {} <{}> on {}",
                &c.id[..c.id.len().min(12)],
                c.author,
                c.email,
                c.date
            )?;
        }
        writeln!(out, "           {dim}fix{dim:#}     {}", f.remediation)?;
    }
    if opts.quiet {
        return Ok(());
    }
    if !findings.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(summary, findings, opts.color))?;
    if let (Some(footer), false) = (opts.footer, findings.is_empty()) {
        write!(out, "{footer}")?;
    }
    Ok(())
}

fn summary_line(s: &Summary, findings: &[Finding], color: bool) -> String {
    let mut files: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    files.dedup();
    let head = if s.findings == 0 {
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
