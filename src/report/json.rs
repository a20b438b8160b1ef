//! JSON report: one document `{"version": 1, "findings": [...], "summary": {...}}`, plus
//! `"suppressed": [...]` when `--explain` found suppressed findings (each a finding object
//! with `suppressed_by`). The secret field is redacted unless `--show-secrets`;
//! `secret_redacted` says which. `docs/report.schema.json` describes the document; the
//! integration tests validate every report against it.

use std::io::{self, Write};

use serde::Serialize;

use super::{Options, Report, Summary};
use crate::finding::{CommitInfo, Exposure, Finding, FindingKind, Suppression};
use crate::rules::Severity;

/// Version of the JSON document's shape; bumped on incompatible changes.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    /// Only with `--explain`, and only when something was suppressed (an addition, not a
    /// change: `version` stays 1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressed: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    description: &'a str,
    severity: Severity,
    kind: FindingKind,
    path: &'a str,
    line: usize,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    secret_redacted: bool,
    secret_length: usize,
    entropy: f64,
    fingerprint: &'a str,
    also_matched: &'a [String],
    remediation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a CommitInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'static str>,
    /// Set on the items of `suppressed` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed_by: Option<&'a Suppression>,
    /// With `--validate`: what the issuer said.
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<&'a crate::validate::Verdict>,
    /// A paired secret's companion (its key or account id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pair: Option<JsonPair<'a>>,
    /// Who the finding is exposed to (`browser-name`), and what that means.
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure: Option<Exposure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure_note: Option<&'static str>,
    /// In a container image: the layer or config, the build step, what hid the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a crate::finding::ImagePlace>,
}

#[derive(Serialize)]
struct JsonPair<'a> {
    rule_id: &'a str,
    line: usize,
    column: usize,
    value: &'a str,
}

impl<'a> JsonFinding<'a> {
    fn new(f: &'a Finding, opts: Options) -> JsonFinding<'a> {
        JsonFinding {
            rule_id: &f.rule_id,
            description: &f.description,
            severity: f.severity,
            kind: f.kind,
            path: &f.path,
            line: f.line,
            column: f.column,
            secret: (f.kind == FindingKind::Content).then(|| f.secret_display(opts.show_secrets)),
            // A variable's name (an exposure rule's match) holds no secret: never redacted.
            secret_redacted: !opts.show_secrets && !f.is_name,
            secret_length: f.secret_len,
            entropy: (f.entropy * 100.0).round() / 100.0,
            fingerprint: &f.fingerprint,
            also_matched: &f.also_matched,
            remediation: &f.remediation,
            commit: f.commit.as_ref(),
            decoded: f.decoded,
            origin: f.origin,
            suppressed_by: f.suppressed.as_ref(),
            validation: f.validation.as_ref(),
            pair: f.pair.as_ref().map(|p| JsonPair {
                rule_id: &p.rule_id,
                line: p.line,
                column: p.column,
                value: p.display(opts.show_secrets),
            }),
            exposure: f.exposure,
            exposure_note: f.exposure.map(Exposure::note),
            image: f.image.as_ref(),
        }
    }
}

/// Writes the JSON document followed by a newline.
pub fn write(report: &Report<'_>, opts: Options, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: VERSION,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                // A reported finding never says it was suppressed, whatever it carries.
                suppressed_by: None,
                ..JsonFinding::new(f, opts)
            })
            .collect(),
        suppressed: report
            .suppressed
            .iter()
            .map(|f| JsonFinding::new(f, opts))
            .collect(),
        summary: report.summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
