//! What an audit's datastore holds, as the reports see it: incidents (one leaked secret and
//! every place it was found), their triage, and the repositories audited. Every report
//! format (text, JSON, CSV, SARIF, HTML) is written from one [`AuditReport`].

use serde::Serialize;

use crate::finding::FindingKind;
use crate::rules::Severity;

/// A triage decision about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Not looked at yet, or reopened: counts towards the exit code and the reports.
    Open,
    /// The secret was revoked: new places where it shows up are flagged.
    Revoked,
    /// Not a secret.
    FalsePositive,
    /// A real secret whose risk is accepted (a test key, a public demo token).
    Accepted,
}

impl Status {
    /// Every status, in the order reports list them.
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::Revoked,
        Status::FalsePositive,
        Status::Accepted,
    ];

    /// The name used on the command line, in the datastore and in every report.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Revoked => "revoked",
            Status::FalsePositive => "false-positive",
            Status::Accepted => "accepted",
        }
    }

    /// The status named `s` (as [`Status::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a report shows.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    pub summary: ReportSummary,
    /// Every repository in the datastore, sorted by name.
    pub repositories: Vec<RepoRow>,
    /// The incidents shown (open ones only unless all statuses were asked for), most
    /// severe first, then the most widely spread, then the earliest leak.
    pub incidents: Vec<Incident>,
}

/// Counts for the report's header and charts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportSummary {
    pub repositories: usize,
    /// Repositories whose last audit failed (their error is in [`RepoRow::error`]).
    pub repositories_failed: usize,
    /// All incidents, whatever their status.
    pub incidents_total: usize,
    /// Incidents per status (every status present, zero included), in [`Status::ALL`] order.
    pub by_status: Vec<(Status, usize)>,
    /// Revoked incidents with a place found after they were revoked.
    pub reappeared: usize,
    /// Incidents per validation status, of those checked (`audit --validate`); empty when
    /// none was.
    pub by_validation: Vec<(crate::validate::Status, usize)>,
    /// Revoked incidents whose issuer accepted the secret after the revocation.
    pub still_live: usize,
    /// Whether the report lists every status or open incidents only.
    pub all_statuses: bool,
}

/// A repository as the datastore knows it.
#[derive(Debug, Clone, Serialize)]
pub struct RepoRow {
    /// The canonical URL or path the audit was given (see `audit::targets`).
    pub name: String,
    /// When it was last audited (RFC 3339, UTC); `None` if never completed.
    pub scanned_at: Option<String>,
    /// Why its last audit failed, if it did.
    pub error: Option<String>,
    /// The organisation, user or group it was listed from (`github-org:ORG`,
    /// `github-user:USER`, `gitlab-group:GROUP`); `None` when it was named directly.
    pub origin: Option<String>,
    /// Incidents (of those in the report) with a place in it.
    pub incidents: usize,
}

/// One leaked secret (or one forbidden file) with every place it was found.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// The stable id `leakguard triage` takes: 16 hex digits of the keyed hash.
    pub id: String,
    /// The most severe rule that matched it.
    pub rule_id: String,
    pub description: String,
    pub severity: Severity,
    pub kind: FindingKind,
    /// The secret, redacted (empty for a forbidden file).
    pub redacted: String,
    /// The clear secret: only when the audit ran with `--show-secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub remediation: String,
    pub triage: Triage,
    /// Revoked, and found again in a place first seen after the revocation.
    pub reappeared: bool,
    /// The last check of the secret with its issuer (`audit --validate`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<crate::validate::Verdict>,
    /// Revoked, but its issuer accepted the secret in a check made after the revocation.
    pub still_live: bool,
    /// Author date of the earliest commit that holds it (RFC 3339, UTC).
    pub first_seen: String,
    /// How many repositories hold it.
    pub spread: usize,
    /// Who can read it beyond the repositories, each way once, from its places (`client`:
    /// one of them ships to browsers or devices).
    pub exposure: Vec<crate::finding::Exposure>,
    /// Every place, earliest first.
    pub locations: Vec<Location>,
}

/// The current triage of an incident.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    pub status: Status,
    pub note: Option<String>,
    /// Who decided, and when (RFC 3339); `None` for an incident never triaged.
    pub by: Option<String>,
    pub at: Option<String>,
}

/// One place an incident's secret was found: the commit that introduced it at a path.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// The repository's canonical name.
    pub repository: String,
    pub commit: String,
    pub author: String,
    pub email: String,
    /// Author date (RFC 3339).
    pub date: String,
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// When an audit first found this place (RFC 3339, UTC).
    pub found_at: String,
    /// Found after the incident was marked revoked.
    pub after_revocation: bool,
    /// Who can read it beyond the repository (`client`: the file ships to browsers or
    /// devices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<crate::finding::Exposure>,
}
