//! SARIF 2.1.0 report, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).
//!
//! One run whose `tool.driver.rules` lists every active rule, and one result per finding
//! (reported or, with `--explain`, suppressed). The mapping, also documented in the README:
//!
//! - severity -> `level`: critical and high are `error`, medium `warning`, low `note`;
//! - severity -> `properties.security-severity`, the 0-10 score GitHub sorts alerts by;
//! - `fingerprint` -> `partialFingerprints["leakguard/v2"]` (keyed, see
//!   [`crate::fingerprint`]), so that a dashboard tracks one alert across runs even when the
//!   line moves;
//!   The run's `properties.fingerprintKey` says where the key came from;
//! - a history finding's commit goes in `result.properties.commit`;
//! - a suppressed finding carries a `suppressions` entry (`inSource` for a `leakguard:allow`
//!   comment, `external` for a baseline or allowlist entry).
//!
//! The secret is written only through [`Finding::secret_display`]: nothing here ever holds
//! the raw value unless `--show-secrets` was given.
//!
//! The document types, the severity mapping and the path-to-URI encoder here are the only
//! ones: `audit`'s SARIF report ([`crate::audit`]) builds its log from them too, with its
//! own property bags (SARIF's free-form `properties`).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde::Serialize;

use super::{Options, Report};
use crate::finding::{CommitInfo, Finding, FindingKind, Suppression, LOCAL_VALUE_RULE};
use crate::rules::{Rule, Severity};

/// The schema URI written in `$schema`: the `id` of the OASIS schema for 2.1.0 (errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Key of the fingerprint in `partialFingerprints`; the suffix names the fingerprint
/// algorithm and changes whenever it does (v1: unkeyed SHA-256; v2: HMAC-SHA256 with the
/// run's key, `crate::fingerprint`).
pub const FINGERPRINT_KEY: &str = "leakguard/v2";

/// The base every artifact URI is relative to: the scanned root.
const SRCROOT: &str = "%SRCROOT%";

/// Where to read about the tool, when the package declares it (`repository`, else
/// `homepage`, in Cargo.toml); `informationUri` is left out otherwise.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|u| !u.is_empty())
}

// ---- Document ----
// `R`, `P` and `L` are the property bags of the run, of a result and of a location.

#[derive(Serialize)]
pub(crate) struct Log<'a, R, P, L> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a, R, P, L>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a, R, P, L> {
    tool: Tool<'a>,
    invocations: [Invocation; 1],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, BaseId>,
    results: Vec<SarifResult<'a, P, L>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<R>,
}

/// Run-level facts a dashboard may want.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    /// Where the fingerprints' key came from (`summary.fingerprint_key` in JSON).
    fingerprint_key: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<RuleDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

#[derive(Serialize)]
struct BaseId {
    description: Message,
}

#[derive(Serialize)]
pub(crate) struct Message {
    pub text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleDescriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<String>,
    /// `high` for provider rules, `medium` for generic ones (names and entropy only).
    #[serde(skip_serializing_if = "Option::is_none")]
    precision: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SarifResult<'a, P, L> {
    pub rule_id: &'a str,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Message,
    pub locations: Vec<Location<L>>,
    pub partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SarifSuppression<'a>>,
    /// A paired secret's companion (its key or account id), where it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location<L>>,
    pub properties: P,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location<L> {
    pub physical_location: PhysicalLocation,
    /// In an archive: the entry's full path (`dist/app.jar!/config/app.properties`), whose
    /// lines the region cannot point at.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
    /// What is there, for a related location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<L>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    /// None inside an archive: the line is the entry's, not the archive file's.
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

impl PhysicalLocation {
    /// `path` (a reported path) at `line`:`column` (1 at least), or the whole file when
    /// `line` is `None`; a relative path is relative to the scanned root.
    pub fn new(path: &str, line: Option<(usize, usize)>) -> PhysicalLocation {
        PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: path_to_uri(path),
                uri_base_id: (!path.starts_with('/')).then_some(SRCROOT),
            },
            region: line.map(|(line, column)| Region {
                start_line: line.max(1),
                start_column: column.max(1),
            }),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
}

#[derive(Serialize)]
pub(crate) struct SarifSuppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: String,
    /// The suppression as the JSON report writes it (`by` plus its fields).
    properties: &'a Suppression,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: Severity,
    kind: FindingKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_length: Option<usize>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    also_matched: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a CommitInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<&'a crate::validate::Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pair: Option<PairProperties<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure: Option<crate::finding::Exposure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a crate::finding::ImagePlace>,
}

/// A paired secret's companion, as in the JSON report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PairProperties<'a> {
    rule_id: &'a str,
    value: &'a str,
}

/// The log of one run of leakguard with these rules and results. `root` describes what
/// relative paths are relative to (`%SRCROOT%`).
pub(crate) fn log<'a, R, P, L>(
    rules: Vec<RuleDescriptor<'a>>,
    results: Vec<SarifResult<'a, P, L>>,
    properties: Option<R>,
    root: &str,
) -> Log<'a, R, P, L> {
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "leakguard",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules,
                },
            },
            invocations: [Invocation {
                execution_successful: true,
            }],
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseId {
                    description: Message { text: root.into() },
                },
            )]),
            results,
            properties,
        }],
    }
}

/// Writes `log` followed by a newline.
pub(crate) fn write_log<R: Serialize, P: Serialize, L: Serialize>(
    log: &Log<'_, R, P, L>,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, log)?;
    writeln!(out)
}

// ---- Mapping ----

/// SARIF `level` of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` score of a severity (GitHub reads above 9.0 as critical,
/// 7.0 to 8.9 as high, 4.0 to 6.9 as medium, below as low).
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// The family of a rule, from the file that defines it: `rules/cloud.yaml` -> `cloud`;
/// rules from a user config are `custom`.
pub fn family(source: &str) -> &str {
    source
        .strip_prefix("rules/")
        .and_then(|f| f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml")))
        .filter(|f| !f.is_empty() && !f.contains('/'))
        .unwrap_or("custom")
}

/// `monime-live-token` -> `MonimeLiveToken` (SARIF's `name` is an identifier, not a title).
pub fn camel_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            let first = cs.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(cs).collect::<String>()
        })
        .collect()
}

/// A relative, `/`-separated path as a URI reference: everything but unreserved
/// characters, `/` and the sub-delimiters is percent-encoded, `:` included, so a first
/// segment like `c:x` is never read as a scheme. An absolute path becomes a `file://` URI.
/// `path` is a reported path, escaped onto one line ([`crate::chunk::printable_name`]): what
/// is encoded are the name's real bytes (`lat\xff1.txt` is `lat%FF1.txt`), not its escapes.
pub fn path_to_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in crate::chunk::name_bytes(path) {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'@' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn descriptor(rule: &Rule) -> RuleDescriptor<'_> {
    let mut d = descriptor_of(
        &rule.id,
        &rule.description,
        rule.severity,
        &rule.remediation,
        Some(family(&rule.source)),
        &format!("Defined in {}.", rule.source),
        Some(if rule.generic { "medium" } else { "high" }),
    );
    // An exposure rule finds a name that exposes a secret: tagged so code scanning can
    // filter on it.
    // (The built-in ones are tagged already by their file, `rules/exposure.yaml`.)
    let tags = &mut d.properties.tags;
    if rule.kind == crate::rules::RuleKind::Exposure && !tags.iter().any(|t| t == "exposure") {
        tags.push("exposure".to_string());
    }
    d
}

/// A descriptor for a finding whose rule is not in the rule set (the local `.env` check).
fn descriptor_for_finding(f: &Finding) -> RuleDescriptor<'_> {
    let (description, remediation) = if f.rule_id == LOCAL_VALUE_RULE {
        (
            "Value copied from the developer's local .env file",
            "Read the value from the environment or a secret store instead of writing it into a tracked file; if the commit was ever pushed, change the value.",
        )
    } else {
        (f.description.as_str(), f.remediation.as_str())
    };
    descriptor_of(
        &f.rule_id,
        description,
        f.severity,
        remediation,
        Some("builtin"),
        "Built into leakguard.",
        Some("high"),
    )
}

/// The descriptor of rule `id`; `family` becomes a tag, and `origin` ends the full
/// description.
pub(crate) fn descriptor_of<'a>(
    id: &'a str,
    description: &str,
    severity: Severity,
    remediation: &str,
    family: Option<&str>,
    origin: &str,
    precision: Option<&'static str>,
) -> RuleDescriptor<'a> {
    RuleDescriptor {
        id,
        name: camel_case(id),
        short_description: Message {
            text: description.to_string(),
        },
        full_description: Message {
            text: format!(
                "{description}. Severity: {severity}. {origin}",
                description = description.trim_end_matches('.')
            ),
        },
        help: MultiformatMessage {
            text: remediation.to_string(),
            markdown: format!("**{description}** ({severity})\n\n**How to fix:** {remediation}"),
        },
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(severity),
            tags: ["security", "secret"]
                .into_iter()
                .chain(family)
                .map(String::from)
                .collect(),
            precision,
        },
    }
}

fn message(f: &Finding, opts: Options) -> String {
    let mut text = match f.kind {
        FindingKind::Content => {
            let secret = f.secret_display(opts.show_secrets);
            if f.is_name {
                format!(
                    "{}: {secret} (a variable name; its value is not in the file).",
                    f.description
                )
            } else if secret.is_empty() {
                format!("{} ({} characters).", f.description, f.secret_len)
            } else {
                format!(
                    "{}: {secret} ({} characters{}).",
                    f.description,
                    f.secret_len,
                    if opts.show_secrets { "" } else { ", redacted" }
                )
            }
        }
        FindingKind::Path => format!("{}: this file must not be committed.", f.description),
    };
    if let Some(e) = f.exposure {
        text.push_str(&format!(" Exposure {}: {}.", e.as_str(), e.note()));
    }
    if let Some(inner) = f.inner_path() {
        match f.kind {
            FindingKind::Content => text.push_str(&format!(" In {inner}, line {}.", f.line)),
            FindingKind::Path => text.push_str(&format!(" In the archive: {inner}.")),
        }
    }
    if let Some(c) = &f.commit {
        text.push_str(&format!(
            " Introduced in commit {} by {} on {}.",
            c.id.get(..12).unwrap_or(&c.id),
            c.author,
            c.date
        ));
    }
    text
}

fn suppression(s: &Suppression) -> SarifSuppression<'_> {
    SarifSuppression {
        kind: match s {
            Suppression::InlineComment => "inSource",
            Suppression::Allowlist { .. } | Suppression::Baseline { .. } => "external",
        },
        status: "accepted",
        justification: super::suppression_reason(s),
        properties: s,
    }
}

fn result<'a>(
    f: &'a Finding,
    rule_index: usize,
    opts: Options,
) -> SarifResult<'a, ResultProperties<'a>, ()> {
    let inner = f.inner_path();
    let logical_locations = inner
        .map(|name| LogicalLocation {
            name: name.to_string(),
            fully_qualified_name: f.path.clone(),
        })
        .into_iter()
        .collect();
    SarifResult {
        rule_id: &f.rule_id,
        rule_index,
        // A secret its issuer still accepts is an error to fix now, whatever its severity.
        level: match &f.validation {
            Some(v) if v.status == crate::validate::Status::Live => "error",
            _ => level(f.severity),
        },
        message: Message {
            text: message(f, opts),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation::new(
                f.physical_path(),
                inner.is_none().then_some((f.line, f.column)),
            ),
            logical_locations,
            message: None,
            properties: None,
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.as_str())]),
        suppressions: f.suppressed.iter().map(suppression).collect(),
        related_locations: f
            .pair
            .iter()
            .map(|p| Location {
                physical_location: PhysicalLocation::new(
                    f.physical_path(),
                    inner.is_none().then_some((p.line, p.column)),
                ),
                logical_locations: Vec::new(),
                message: Some(Message {
                    text: format!(
                        "The id this secret works with ({}): {}",
                        p.rule_id,
                        p.display(opts.show_secrets)
                    ),
                }),
                properties: None,
            })
            .collect(),
        properties: ResultProperties {
            severity: f.severity,
            kind: f.kind,
            secret_length: (f.kind == FindingKind::Content).then_some(f.secret_len),
            also_matched: &f.also_matched,
            decoded: f.decoded,
            commit: f.commit.as_ref(),
            validation: f.validation.as_ref(),
            pair: f.pair.as_ref().map(|p| PairProperties {
                rule_id: &p.rule_id,
                value: p.display(opts.show_secrets),
            }),
            exposure: f.exposure,
            image: f.image.as_ref(),
        },
    }
}

/// Writes the SARIF log followed by a newline.
pub fn write(report: &Report<'_>, opts: Options, out: &mut dyn Write) -> io::Result<()> {
    let mut rules: Vec<RuleDescriptor<'_>> = report.rules.iter().map(descriptor).collect();
    let mut index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_ref(), i))
        .collect();
    let all = report.findings.iter().chain(report.suppressed);
    let mut results = Vec::with_capacity(report.findings.len() + report.suppressed.len());
    for f in all {
        let i = match index.get(f.rule_id.as_str()) {
            Some(&i) => i,
            None => {
                rules.push(descriptor_for_finding(f));
                index.insert(&f.rule_id, rules.len() - 1);
                rules.len() - 1
            }
        };
        results.push(result(f, i, opts));
    }
    let properties = report
        .summary
        .fingerprint_key
        .map(|k| RunProperties { fingerprint_key: k });
    let root = "The scanned root: paths are relative to it.";
    write_log(&log(rules, results, properties, root), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding() {
        assert_eq!(path_to_uri("src/main.rs"), "src/main.rs");
        assert_eq!(path_to_uri("my dir/a b.txt"), "my%20dir/a%20b.txt");
        assert_eq!(path_to_uri("c:x/100%.txt"), "c%3Ax/100%25.txt");
        assert_eq!(path_to_uri("a#b?c[d]"), "a%23b%3Fc%5Bd%5D");
        assert_eq!(path_to_uri("ünï.txt"), "%C3%BCn%C3%AF.txt");
        assert_eq!(path_to_uri("a\\b"), "a%5Cb");
        // The real bytes of escaped names: not UTF-8, control characters, a backslash.
        assert_eq!(path_to_uri("lat\\xff1.txt"), "lat%FF1.txt");
        assert_eq!(path_to_uri("a\\nb\\u{1b}c"), "a%0Ab%1Bc");
        assert_eq!(path_to_uri("lit\\\\x41"), "lit%5Cx41");
        assert_eq!(path_to_uri("keep-._~!$&'()*+,;=@"), "keep-._~!$&'()*+,;=@");
        assert_eq!(path_to_uri("/abs/x y"), "file:///abs/x%20y");
    }

    #[test]
    fn names_and_families() {
        assert_eq!(camel_case("monime-live-token"), "MonimeLiveToken");
        assert_eq!(camel_case("aws_access.key-id"), "AwsAccessKeyId");
        assert_eq!(family("rules/cloud.yaml"), "cloud");
        assert_eq!(family("rules/x.yml"), "x");
        assert_eq!(family("/home/me/repo/.leakguard.yaml"), "custom");
        assert_eq!(family(".leakguard.yaml"), "custom");
        assert_eq!(family("rules/a/b.yaml"), "custom");
    }

    #[test]
    fn levels_and_scores_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        let scores: Vec<f64> = [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .map(|s| security_severity(s).parse().unwrap())
        .collect();
        assert!(scores.windows(2).all(|w| w[0] < w[1]));
        assert!(scores[3] >= 9.0 && scores[2] >= 7.0 && scores[1] >= 4.0);
    }

    fn render(show_secrets: bool) -> (String, serde_json::Value) {
        use crate::report::{fixture, Report};
        let set = fixture::rules();
        let (mut findings, suppressed) = fixture::findings(&set);
        findings.push(Finding::local_value("conf.py", 2, 5, "API_KEY", ".env", 24));
        let summary = fixture::summary(&findings);
        let report = Report {
            findings: &findings,
            suppressed: &suppressed,
            summary: &summary,
            rules: &set.rules,
        };
        let opts = Options {
            show_secrets,
            quiet: false,
            color: false,
            footer: None,
        };
        let mut out = Vec::new();
        write(&report, opts, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let json = serde_json::from_str(&text).unwrap();
        (text, json)
    }

    #[test]
    fn every_result_points_at_its_rule_and_secrets_stay_redacted() {
        let (text, log) = render(false);
        assert!(!text.contains(&crate::report::fixture::secret()));
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["tok", "env-file", LOCAL_VALUE_RULE]);
        assert_eq!(rules[0]["name"], "Tok");
        assert_eq!(rules[0]["properties"]["tags"][2], "custom");
        assert_eq!(rules[0]["properties"]["security-severity"], "8.0");
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 7);
        for r in results {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
        let loc = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "dir%20name/app.py");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], SRCROOT);
        assert_eq!(loc["region"]["startLine"], 3);
        assert_eq!(loc["region"]["startColumn"], 12);
        assert_eq!(results[1]["level"], "warning");
        assert_eq!(results[2]["properties"]["commit"]["author"], "Test Author");
        assert!(results[2]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("commit 0123456789ab"));
        let kinds: Vec<&str> = results[4..]
            .iter()
            .map(|r| r["suppressions"][0]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["inSource", "external", "external"]);
        assert_eq!(
            results[6]["suppressions"][0]["justification"],
            "baseline entry tok 0011aabb src/x.py in .leakguard-baseline"
        );
        assert!(results[..4].iter().all(|r| r.get("suppressions").is_none()));
    }

    #[test]
    fn show_secrets_puts_the_secret_in_the_message() {
        let (text, log) = render(true);
        let secret = crate::report::fixture::secret();
        assert!(text.contains(&secret));
        assert!(log["runs"][0]["results"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains(&secret));
    }

    /// The official OASIS schema, vendored in `tests/schemas/`.
    #[test]
    fn validates_against_the_sarif_schema() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-schema-2.1.0.json"
        );
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the SARIF schema"))
                .unwrap();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let (_, log) = render(false);
        let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let mut broken = log.clone();
        broken["runs"][0]["results"][0]["level"] = "fatal".into();
        assert!(!validator.is_valid(&broken));
    }
}
