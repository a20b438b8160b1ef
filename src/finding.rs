//! `Finding`: the one record every source produces and every reporter consumes.
//!
//! A finding carries the raw secret only in memory, so that `--show-secrets` can print it;
//! every output goes through [`Finding::secret_display`], which redacts by default. The
//! fingerprint is a hash that never contains the secret and no line number, so it survives
//! edits that move the line (baselines rely on that).

use std::borrow::Cow;

use serde::Serialize;
use sha2::{Digest, Sha256};

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
    pub fingerprint: String,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    pub remediation: String,
    /// Other rules that matched the same secret.
    pub also_matched: Vec<String>,
    /// For history findings: the commit that introduced the secret.
    pub commit: Option<CommitInfo>,
    /// How the secret was hidden (`base64`) when it was found by decoding a value.
    pub decoded: Option<&'static str>,
    /// Why this finding is not reported, when it is not (kept only for `--explain`).
    pub suppressed: Option<Suppression>,
    /// In an archive: the length of `path`'s prefix naming the file on disk or in git
    /// (`dist/app.jar` of `dist/app.jar!/config/app.properties`).
    pub physical: Option<usize>,
}

/// What silenced a finding: shown by `--explain`, never a reason to hide that it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Suppression {
    /// A `leakguard:allow` comment on the line.
    InlineComment,
    /// An allowlist entry: a path glob, a secret regex or a stopword, and where it is defined
    /// (the config file, or the rule's own allowlist).
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
        self.path.get(n..)?.strip_prefix("!/")
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
        Finding {
            rule_id: rule.id.clone(),
            description: rule.description.clone(),
            severity: rule.severity,
            kind: FindingKind::Content,
            path: path.to_string(),
            line,
            column,
            secret_len: secret.chars().count(),
            redacted: redact(&secret, &rule.keywords),
            fingerprint: fingerprint(&rule.id, path, secret.as_bytes()),
            secret,
            entropy,
            remediation: rule.remediation.clone(),
            also_matched,
            commit: None,
            decoded: None,
            suppressed: None,
            physical: None,
        }
    }

    /// A file whose path a path rule forbids.
    pub fn path(rule: &Rule, path: &str) -> Finding {
        Finding {
            rule_id: rule.id.clone(),
            description: rule.description.clone(),
            severity: rule.severity,
            kind: FindingKind::Path,
            path: path.to_string(),
            line: 1,
            column: 1,
            secret: String::new(),
            secret_len: 0,
            redacted: String::new(),
            fingerprint: fingerprint(&rule.id, path, b""),
            entropy: 0.0,
            remediation: rule.remediation.clone(),
            also_matched: Vec::new(),
            commit: None,
            decoded: None,
            suppressed: None,
            physical: None,
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
            fingerprint: fingerprint(LOCAL_VALUE_RULE, path, format!("{file}\0{var}").as_bytes()),
            entropy: 0.0,
            remediation: format!(
                "This is the value of {var} in your local {file}. Read it from the environment or a secret store instead of writing it into a tracked file; if this commit was ever pushed, change the value where {var} is used."
            ),
            also_matched: Vec::new(),
            commit: None,
            decoded: None,
            suppressed: None,
            physical: None,
        }
    }

    /// The same finding at another path (history: one blob seen at several paths).
    pub fn at_path(&self, path: &str) -> Finding {
        let mut f = self.clone();
        f.fingerprint = fingerprint(&f.rule_id, path, f.secret.as_bytes());
        f.path = path.to_string();
        f
    }

    /// The raw secret, for grouping (never for output: see [`Finding::secret_display`]).
    pub fn secret_bytes(&self) -> &[u8] {
        self.secret.as_bytes()
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
    /// place and rule, then the secret's fingerprint and the commit for findings that share
    /// a place (history: two secrets on one line of one path in different commits).
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str, Option<&str>) {
        let commit = self.commit.as_ref().map(|c| c.id.as_str());
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            &self.fingerprint,
            commit,
        )
    }
}

/// How many characters after a known prefix may be shown: enough to recognise a key in a
/// dashboard, never enough to matter (at most 4, and at most a sixth of what is left).
fn visible_tail(rest_len: usize) -> usize {
    (rest_len / 6).min(4)
}

/// Redacts a secret to its recognisable start plus its length: `mon_4f9K…`.
pub fn redact(secret: &str, keywords: &[String]) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let lower = secret.to_ascii_lowercase();
    // A keyword the secret starts with (a provider prefix such as `ghp_`) is not secret.
    let prefix = keywords
        .iter()
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

/// `path` with the given byte spans replaced by their redacted forms: a secret in a file
/// name (`keys/mon_4f9K….json`) is hidden like any other, in every output and message.
pub fn redact_spans(path: &str, mut spans: Vec<(usize, usize, String)>) -> Cow<'_, str> {
    if spans.is_empty() {
        return Cow::Borrowed(path);
    }
    spans.sort();
    let mut out = String::with_capacity(path.len());
    let mut at = 0;
    for (start, end, redacted) in spans {
        if start < at || end > path.len() || !path.is_char_boundary(start) {
            continue;
        }
        out.push_str(&path[at..start]);
        out.push_str(&redacted);
        at = end;
    }
    out.push_str(&path[at..]);
    Cow::Owned(out)
}

/// A stable, privacy-safe identity for a finding: rule, path and a hash of the secret.
pub fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"leakguard-fingerprint-v1\0");
    h.update(rule_id.as_bytes());
    h.update(b"\0");
    h.update(path.as_bytes());
    h.update(b"\0");
    h.update(secret);
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
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
        assert_eq!(redact("hunter2hunter", &[]), "hu…");
        assert_eq!(redact("abc", &[]), "…");
    }

    #[test]
    fn fingerprint_is_stable_and_hides_secret() {
        let a = fingerprint("r", "p", b"s3cr3tvalue");
        assert_eq!(a, fingerprint("r", "p", b"s3cr3tvalue"));
        assert_ne!(a, fingerprint("r", "p", b"s3cr3tvaluf"));
        assert_ne!(a, fingerprint("r", "q", b"s3cr3tvalue"));
        assert!(!a.contains("s3cr3t"));
        assert_eq!(a.len(), 32);
    }
}
