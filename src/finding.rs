//! `Finding`: the one record every source produces and every reporter consumes.
//!
//! A finding carries the raw secret only in memory, so that `--show-secrets` can print it;
//! every output goes through [`Finding::secret_display`], which redacts by default. Its
//! fingerprint is computed by the run-wide conclude step with the run's key, only when the
//! report shows it (see [`crate::fingerprint`]).

use std::borrow::Cow;

use serde::Serialize;

use crate::rules::{Rule, Severity};

/// Rule id of findings made from the developer's local `.env` values.
pub const LOCAL_VALUE_RULE: &str = "local-env-value";

/// What a finding is about: a secret in the content, or the file's path itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A secret inside the file's bytes.
    Content,
    /// A file that must not be committed at all (`.env`, `id_rsa`, …).
    Path,
}

/// Why a finding matters beyond its secret: it is exposed to whoever runs the app. Each
/// kind has a stable name in every output (`"exposure": "browser-name"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    /// Under a variable name a framework inlines into the JavaScript it sends to browsers
    /// (`NEXT_PUBLIC_`, `VITE_`, …): a server secret named so, or a secret value given to
    /// such a name.
    BrowserName,
    /// In a delivered artefact: a build output sent to browsers (`dist/`, `.next/static/`,
    /// a bundle, a source map), a mobile package, an Electron archive, a browser extension.
    Client,
    /// Given as it is to a log or print call.
    Log,
    /// Put in the browser's storage (`localStorage`, `sessionStorage`, `document.cookie`).
    BrowserStorage,
}

impl Exposure {
    pub const ALL: [Exposure; 4] = [
        Exposure::BrowserName,
        Exposure::Client,
        Exposure::Log,
        Exposure::BrowserStorage,
    ];

    /// What an `exposure` rule's findings are exposed to (its `exposes`); `None` for any
    /// other rule.
    pub fn of(rule: &Rule) -> Option<Exposure> {
        use crate::rules::Exposes;
        (rule.kind == crate::rules::RuleKind::Exposure).then_some(match rule.exposes {
            Exposes::BrowserName => Exposure::BrowserName,
            Exposes::Log => Exposure::Log,
            Exposes::BrowserStorage => Exposure::BrowserStorage,
        })
    }

    /// The exposure [`Exposure::as_str`] names (as the audit datastore keeps it).
    pub fn parse(name: &str) -> Option<Exposure> {
        Exposure::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// The name every output uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::BrowserName => "browser-name",
            Exposure::Client => "client",
            Exposure::Log => "log",
            Exposure::BrowserStorage => "browser-storage",
        }
    }

    /// What the exposure means, in words.
    pub fn note(self) -> &'static str {
        match self {
            Exposure::BrowserName => "shipped to every browser that loads the app",
            Exposure::Client => {
                "in what ships to browsers and devices: anyone who loads or installs it can read it"
            }
            Exposure::Log => {
                "written to logs, which many more people and systems read than the code"
            }
            Exposure::BrowserStorage => {
                "kept in browser storage, which every script on the page can read"
            }
        }
    }
}

/// One leak.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub description: String,
    pub severity: Severity,
    pub kind: FindingKind,
    /// Relative to the scanned root, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in bytes.
    pub column: usize,
    /// The raw secret; never printed unless the user asks.
    secret: String,
    /// Number of characters in the secret.
    pub secret_len: usize,
    pub redacted: String,
    /// Keyed hash of rule, path and secret; empty until the conclude step sets it, and only
    /// set when the report shows it (JSON, SARIF).
    pub fingerprint: String,
    /// What the fingerprint hashes in place of the secret when the finding holds none: the
    /// file and variable of a local `.env` value.
    identity: Option<String>,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    pub remediation: String,
    /// Other rules that matched the same secret.
    pub also_matched: Vec<String>,
    /// For history findings: the commit that introduced the secret.
    pub commit: Option<CommitInfo>,
    /// How the secret was hidden (`base64`) when it was found by decoding a value.
    pub decoded: Option<&'static str>,
    /// Where in history's metadata it was found, when not in a file: `commit_message` (the
    /// message, author or committer of [`Finding::commit`]) or `ref_name`.
    pub origin: Option<&'static str>,
    /// Why this finding is not reported, when it is not (kept only for `--explain`).
    pub suppressed: Option<Suppression>,
    /// In an archive: the length of `path`'s prefix naming the file on disk or in git
    /// (`dist/app.jar` of `dist/app.jar!/config/app.properties`).
    pub physical: Option<usize>,
    /// What the issuer said about the secret, when the run validated (`--validate`).
    pub validation: Option<crate::validate::Verdict>,
    /// The id a paired secret works with (`pair:` rules), when one was found near it.
    pub pair: Option<Companion>,
    /// Who can read it besides the repository's readers (an `exposure` rule's finding, or
    /// a secret given to a browser-exposed name).
    pub exposure: Option<Exposure>,
    /// The match is a variable's name (an `exposure` rule's), not a secret: every output
    /// shows it whole.
    pub is_name: bool,
    /// In a container image: the layer (or the config) it is in.
    pub image: Option<ImagePlace>,
}

/// Where in a container image a finding is: the layer that shipped its file, with the build
/// step that made the layer, or the image config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImagePlace {
    /// The layer's digest (`sha256:…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The config's digest (the image id), for a finding in its `Env`, labels, `Cmd`,
    /// `Entrypoint` or history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The layer's 1-based position in its image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// The build step that made the layer, from the image's history, with build arguments'
    /// values and the secrets found hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// `linux/amd64`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// A later layer deleted or replaced the file: a container does not see it, but the
    /// image still holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removed>,
}

/// What a later layer did to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// `deleted` or `overwritten`.
    pub how: &'static str,
    /// The later layer's digest and position.
    pub layer: String,
    pub position: usize,
}

/// A secret's companion: the key or account id found near it, whose own finding (if its
/// rule reports one) the pair absorbed. Its value is printed like a secret: redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companion {
    pub rule_id: String,
    /// Where it is, in the file (1-based; the column in bytes).
    pub line: usize,
    pub column: usize,
    value: String,
    pub redacted: String,
}

impl Companion {
    pub fn new(rule: &Rule, line: usize, column: usize, value: &[u8]) -> Companion {
        let value = String::from_utf8_lossy(value).into_owned();
        Companion {
            rule_id: rule.id.to_string(),
            line,
            column,
            redacted: redact(&value, &rule.keywords),
            value,
        }
    }

    /// The raw id, for validation only.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The id as it may be printed: redacted unless `show` is set.
    pub fn display(&self, show: bool) -> &str {
        if show {
            &self.value
        } else {
            &self.redacted
        }
    }
}

/// What silenced a finding: shown by `--explain`, never a reason to hide that it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Suppression {
    /// A `leakguard:allow` comment on the line.
    InlineComment,
    /// An allowlist entry (a path glob, a secret regex or a stopword) named by its place,
    /// never by its text, which may be the secret itself: `allow.regexes[2]` or
    /// ``rule `x` allow.stopwords[0]``, defined in `file:line`.
    Allowlist { entry: String, defined_in: String },
    /// A baseline entry (`rule hash [path]`, never the secret) and the baseline file.
    Baseline { entry: String, file: String },
}

/// The commit that introduced a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// ISO 8601 author date.
    pub date: String,
    /// The author date in seconds since the epoch: dates with different offsets compare.
    #[serde(skip)]
    pub seconds: i64,
}

impl Finding {
    /// The file on disk or in git: the archive, for a finding inside one.
    pub fn physical_path(&self) -> &str {
        match self.physical {
            Some(n) if self.path.is_char_boundary(n) => &self.path[..n],
            _ => &self.path,
        }
    }

    /// The path inside the archive (`config/app.properties`; nested: `lib.jar!/x`).
    pub fn inner_path(&self) -> Option<&str> {
        let n = self.physical?;
        let inner = self.path.get(n..)?.strip_prefix('!')?;
        Some(inner.strip_prefix('/').unwrap_or(inner))
    }

    /// A secret found in content.
    pub fn content(
        rule: &Rule,
        path: &str,
        line: usize,
        column: usize,
        secret: &[u8],
        entropy: f64,
        also_matched: Vec<String>,
    ) -> Finding {
        let secret = String::from_utf8_lossy(secret).into_owned();
        // An `exposure` rule matches a variable's name, which holds no secret: shown whole.
        let exposure = Exposure::of(rule);
        let redacted = match exposure {
            Some(_) => secret.clone(),
            None => redact(&secret, &rule.keywords),
        };
        Finding {
            rule_id: rule.id.to_string(),
            description: rule.description.to_string(),
            severity: rule.severity,
            kind: FindingKind::Content,
            path: path.to_string(),
            line,
            column,
            secret_len: secret.chars().count(),
            redacted,
            fingerprint: String::new(),
            identity: None,
            secret,
            entropy,
            remediation: rule.remediation.to_string(),
            also_matched,
            commit: None,
            decoded: None,
            origin: None,
            suppressed: None,
            physical: None,
            validation: None,
            pair: None,
            exposure,
            is_name: exposure.is_some(),
            image: None,
        }
    }

    /// A file whose path a path rule forbids.
    pub fn path(rule: &Rule, path: &str) -> Finding {
        Finding {
            rule_id: rule.id.to_string(),
            description: rule.description.to_string(),
            severity: rule.severity,
            kind: FindingKind::Path,
            path: path.to_string(),
            line: 1,
            column: 1,
            secret: String::new(),
            secret_len: 0,
            redacted: String::new(),
            fingerprint: String::new(),
            identity: None,
            entropy: 0.0,
            remediation: rule.remediation.to_string(),
            also_matched: Vec::new(),
            commit: None,
            decoded: None,
            origin: None,
            suppressed: None,
            physical: None,
            validation: None,
            pair: None,
            exposure: None,
            is_name: false,
            image: None,
        }
    }

    /// A staged copy of a value from the developer's local `.env` file. The value itself is
    /// never stored: the finding names the variable and the file.
    pub fn local_value(
        path: &str,
        line: usize,
        column: usize,
        var: &str,
        file: &str,
        len: usize,
    ) -> Finding {
        Finding {
            rule_id: LOCAL_VALUE_RULE.to_string(),
            description: format!("value of {var} from {file}"),
            severity: Severity::High,
            kind: FindingKind::Content,
            path: path.to_string(),
            line,
            column,
            secret: String::new(),
            secret_len: len,
            redacted: String::new(),
            fingerprint: String::new(),
            identity: Some(format!("{file}\0{var}")),
            entropy: 0.0,
            remediation: format!(
                "This is the value of {var} in your local {file}. Read it from the environment or a secret store instead of writing it into a tracked file; if this commit was ever pushed, change the value where {var} is used."
            ),
            also_matched: Vec::new(),
            commit: None,
            decoded: None,
            origin: None,
            suppressed: None,
            physical: None,
            validation: None,
            pair: None,
            exposure: None,
            is_name: false,
            image: None,
        }
    }

    /// The same finding at another path (history: one blob seen at several paths).
    pub fn at_path(&self, path: &str) -> Finding {
        let mut f = self.clone();
        f.path = path.to_string();
        f
    }

    /// The raw secret, for grouping (never for output: see [`Finding::secret_display`]).
    pub fn secret_bytes(&self) -> &[u8] {
        self.secret.as_bytes()
    }

    /// What the fingerprint hashes besides rule and path: the secret, or what identifies a
    /// finding that holds none.
    pub fn fingerprint_material(&self) -> &[u8] {
        match &self.identity {
            Some(id) => id.as_bytes(),
            None => self.secret.as_bytes(),
        }
    }

    /// What a check of this finding sends: the secret and, for a paired one, its id.
    pub fn credential(&self) -> crate::validate::Credential {
        crate::validate::Credential {
            secret: self.secret.clone(),
            pair: self.pair.as_ref().map(|p| p.value.clone()),
        }
    }

    /// The secret as it may be printed: redacted unless `show` is set.
    pub fn secret_display(&self, show: bool) -> &str {
        if show {
            &self.secret
        } else {
            &self.redacted
        }
    }

    /// Sort key giving deterministic output whatever the thread interleaving or hash order:
    /// place and rule, then the commit and the secret for findings that share a place
    /// (history: two secrets on one line of one path in different commits). Not the
    /// fingerprint: the order must not depend on the key, nor on whether it was computed.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, Option<&str>, &[u8]) {
        let commit = self.commit.as_ref().map(|c| c.id.as_str());
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            commit,
            self.fingerprint_material(),
        )
    }
}

/// How many characters after a known prefix may be shown: enough to recognise a key in a
/// dashboard, never enough to matter (at most 4, and at most a sixth of what is left).
fn visible_tail(rest_len: usize) -> usize {
    (rest_len / 6).min(4)
}

/// Redacts a secret to its recognisable start plus its length: `mon_4f9K…`.
pub fn redact(secret: &str, keywords: &[impl AsRef<str>]) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let lower = secret.to_ascii_lowercase();
    // A keyword the secret starts with (a provider prefix such as `ghp_`) is not secret.
    let prefix = keywords
        .iter()
        .map(AsRef::as_ref)
        .filter(|k| lower.starts_with(&k.to_ascii_lowercase()))
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(chars.len());
    let shown = prefix + visible_tail(chars.len() - prefix);
    let mut out: String = chars[..shown].iter().collect();
    out.push('…');
    out
}

/// `start..end` widened to the character boundaries around it (clamped to `s`): a span
/// found by a byte regex may start or end inside a UTF-8 character, and what it covers must
/// be hidden whole, never cut short (nor sliced inside a character, which panics).
pub fn char_span(s: &str, start: usize, end: usize) -> (usize, usize) {
    let end = end.min(s.len());
    let mut start = start.min(end);
    while !s.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end;
    while !s.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// `path` with the given byte spans replaced by their redacted forms: a secret in a file
/// name (`keys/mon_4f9K….json`) is hidden like any other, in every output and message.
/// Spans are widened to character boundaries ([`char_span`]); overlapping spans are hidden
/// together, behind the first one's redacted form.
pub fn redact_spans(path: &str, mut spans: Vec<(usize, usize, String)>) -> Cow<'_, str> {
    if spans.is_empty() {
        return Cow::Borrowed(path);
    }
    spans.sort();
    let mut out = String::with_capacity(path.len());
    let mut at = 0;
    for (start, end, redacted) in spans {
        if start >= end.min(path.len()) {
            continue; // nothing of the path to hide
        }
        let (start, end) = char_span(path, start, end);
        if end <= at {
            continue;
        }
        if start >= at {
            // Both on character boundaries: `at` is a previous span's widened end.
            out.push_str(&path[at..start]);
            out.push_str(&redacted);
        }
        at = end;
    }
    // `at` is 0 or a widened end: a character boundary.
    out.push_str(&path[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_prefix_and_at_most_four_more() {
        let kw = vec!["mon_".to_string()];
        assert_eq!(
            redact("mon_4f9KabcdefghijklmnopqrstuvwxyzA", &kw),
            "mon_4f9K…"
        );
        assert_eq!(redact("hunter2hunter", &[] as &[&str]), "hu…");
        assert_eq!(redact("abc", &[] as &[&str]), "…");
    }
}
