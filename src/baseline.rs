//! Baselines: the findings a repository has accepted, so that later runs report only new ones.
//!
//! An entry is a rule id, a keyed hash of the secret and, unless made with `--any-path`, the
//! path. Never a commit id, a line number or a timestamp: a rebase, a squash or a moved line
//! keeps a finding suppressed, while a different secret on the same line is not. The file
//! holds no secret in clear. Entries are sorted, one per line, and every entry line ends with
//! a comma (a fixed last line closes the list), so that branches adding entries merge
//! cleanly; with `merge=union` in `.gitattributes` they always do.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::finding::{Finding, FindingKind, Suppression};

/// The largest baseline read: about five million entries.
pub const MAX_FILE: u64 = 1024 * 1024 * 1024;

/// The default baseline file name.
pub const DEFAULT_FILE: &str = ".leakguard-baseline.json";

/// The environment variable holding an optional secret key for the hashes. Without it the
/// key is stored in the file (it makes the hashes unique to this baseline, but anyone who
/// holds the file can test guesses of a weak secret against them).
pub const KEY_ENV: &str = "LEAKGUARD_BASELINE_KEY";

const VERSION: u32 = 1;
const END_LINE: &str = r#"{"end": "entries above are sorted, one per line; keep this line last"}"#;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub hash: String,
}

impl Entry {
    /// `rule hash [path]`: how an entry is named in reports (never the secret).
    pub fn display(&self) -> String {
        match &self.path {
            Some(p) => format!("{} {} {p}", self.rule, self.hash),
            None => format!("{} {}", self.rule, self.hash),
        }
    }
}

/// The file as stored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    leakguard_baseline: u32,
    key: String,
    #[serde(default)]
    secret_key: bool,
    entries: Vec<serde_json::Value>,
}

/// A baseline in memory.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The HMAC key: the file's key, mixed with `LEAKGUARD_BASELINE_KEY` when that was used.
    key: Vec<u8>,
    /// The key as stored in the file (hex).
    stored_key: String,
    secret_key: bool,
    pub entries: BTreeSet<Entry>,
}

/// Findings after a baseline was applied.
pub struct Applied {
    pub kept: Vec<Finding>,
    /// Findings the baseline suppressed, marked with their entry.
    pub suppressed: Vec<Finding>,
    /// Entries that matched no finding.
    pub stale: Vec<Entry>,
}

impl Baseline {
    /// An empty baseline with a fresh random key (and the secret key from the environment,
    /// if set).
    pub fn new() -> Result<Baseline> {
        // Unique, not secret: the secret part, if wanted, is LEAKGUARD_BASELINE_KEY.
        let raw = crate::fingerprint::random_bytes();
        let stored_key = hex(&raw);
        let env = env_key();
        Baseline::with_key(stored_key, env.is_some(), env.as_deref())
    }

    fn with_key(stored_key: String, secret_key: bool, env: Option<&str>) -> Result<Baseline> {
        let file_key = unhex(&stored_key).context("`key` is not 64 hex digits")?;
        let key = match (secret_key, env) {
            (true, Some(env)) => {
                let mut mac = hmac(&file_key);
                mac.update(env.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            (true, None) => bail!("it was made with {KEY_ENV} set; set it to the same value"),
            (false, Some(_)) => {
                bail!("{KEY_ENV} is set but this baseline was made without it; unset it or make the baseline again")
            }
            (false, None) => file_key,
        };
        Ok(Baseline {
            key,
            stored_key,
            secret_key,
            entries: BTreeSet::new(),
        })
    }

    /// Parses a baseline file's text; `name` is used in errors.
    pub fn parse(text: &str, name: &str) -> Result<Baseline> {
        let stored: Stored = serde_json::from_str(text)
            .with_context(|| format!("baseline {name} is not a leakguard baseline"))?;
        if stored.leakguard_baseline != VERSION {
            bail!(
                "baseline {name} has format version {}; this leakguard reads version {VERSION}",
                stored.leakguard_baseline
            );
        }
        let mut b = Baseline::with_key(stored.key, stored.secret_key, env_key().as_deref())
            .with_context(|| format!("baseline {name}"))?;
        for (i, v) in stored.entries.into_iter().enumerate() {
            if v.get("end").is_some() {
                continue;
            }
            let e: Entry = serde_json::from_value(v)
                .with_context(|| format!("baseline {name}: entry {} is malformed", i + 1))?;
            b.entries.insert(e);
        }
        Ok(b)
    }

    /// Reads a baseline file.
    /// It must be a regular file (a FIFO or a device is refused, not read) of at most
    /// [`MAX_FILE`] bytes.
    pub fn load(path: &Path) -> Result<Baseline> {
        if let Err(e) = std::fs::metadata(path) {
            return Err(e).with_context(|| {
                format!(
                    "cannot read baseline {} (create it with `leakguard baseline`)",
                    path.display()
                )
            });
        }
        let text = crate::fsguard::read_text(path, MAX_FILE, "baseline")?;
        Baseline::parse(&text, &path.display().to_string())
    }

    /// The file's text: sorted entries, one per line.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{{");
        let _ = writeln!(s, "  \"leakguard_baseline\": {VERSION},");
        let _ = writeln!(s, "  \"key\": \"{}\",", self.stored_key);
        let _ = writeln!(s, "  \"secret_key\": {},", self.secret_key);
        let _ = writeln!(s, "  \"entries\": [");
        for e in &self.entries {
            let line = serde_json::to_string(e).expect("an entry serialises");
            let _ = writeln!(s, "    {line},");
        }
        let _ = writeln!(s, "    {END_LINE}");
        let _ = writeln!(s, "  ]");
        let _ = writeln!(s, "}}");
        s
    }

    /// The keyed hash identifying a finding's secret under a rule.
    pub fn hash(&self, f: &Finding) -> String {
        let mut mac = hmac(&self.key);
        mac.update(b"leakguard-baseline-v1\0");
        mac.update(f.rule_id.as_bytes());
        mac.update(b"\0");
        mac.update(&identity(f));
        hex(&mac.finalize().into_bytes()[..16])
    }

    /// The entry that would accept `f`.
    pub fn entry_for(&self, f: &Finding, any_path: bool) -> Entry {
        Entry {
            rule: f.rule_id.clone(),
            path: (!any_path).then(|| f.path.clone()),
            hash: self.hash(f),
        }
    }

    /// The entry accepting `f`, if any: the path-scoped one first, then a path-free one.
    pub fn lookup(&self, f: &Finding) -> Option<&Entry> {
        let scoped = self.entry_for(f, false);
        self.entries.get(&scoped).or_else(|| {
            let free = Entry {
                path: None,
                ..scoped
            };
            self.entries.get(&free)
        })
    }

    /// Records `found` (unsuppressed findings only): each gets its existing entry or a new
    /// one (path-free unless `per_path`); with `prune`, entries matching nothing are dropped.
    /// Returns the change in words, for the user.
    pub fn record(&mut self, found: &[Finding], per_path: bool, prune: bool) -> String {
        let before = self.entries.len();
        let mut wanted = BTreeSet::new();
        for f in found.iter().filter(|f| f.suppressed.is_none()) {
            let e = match self.lookup(f) {
                Some(e) => e.clone(),
                None => self.entry_for(f, !per_path),
            };
            wanted.insert(e);
        }
        let stale = self.entries.difference(&wanted).count();
        let added = wanted.difference(&self.entries).count();
        if prune {
            self.entries = wanted;
        } else {
            self.entries.extend(wanted);
        }
        let pruned = if prune { stale } else { 0 };
        let hint = if !prune && stale > 0 {
            format!("; {stale} stale: run with --prune to drop them")
        } else {
            String::new()
        };
        format!(
            "{} entries ({added} added, {} kept, {pruned} pruned{hint})",
            self.entries.len(),
            before - pruned,
        )
    }

    /// Splits findings into kept and suppressed ones; `others` (findings already suppressed
    /// by something else) count when deciding which entries are stale.
    pub fn apply(&self, findings: Vec<Finding>, others: &[Finding], file: &str) -> Applied {
        let mut used = BTreeSet::new();
        let mut kept = Vec::new();
        let mut suppressed = Vec::new();
        for mut f in findings {
            match self.lookup(&f) {
                Some(e) => {
                    used.insert(e.clone());
                    f.suppressed = Some(Suppression::Baseline {
                        entry: e.display(),
                        file: file.to_string(),
                    });
                    suppressed.push(f);
                }
                None => kept.push(f),
            }
        }
        for f in others {
            if let Some(e) = self.lookup(f) {
                used.insert(e.clone());
            }
        }
        let stale = self.entries.difference(&used).cloned().collect();
        Applied {
            kept,
            suppressed,
            stale,
        }
    }
}

/// What identifies a finding under its rule: the secret; for a forbidden file, its path; for a
/// local `.env` value, which variable of which file (the finding's description).
fn identity(f: &Finding) -> Vec<u8> {
    if !f.secret_bytes().is_empty() {
        f.secret_bytes().to_vec()
    } else if f.kind == FindingKind::Path {
        f.path.as_bytes().to_vec()
    } else {
        f.description.as_bytes().to_vec()
    }
}

fn env_key() -> Option<String> {
    std::env::var(KEY_ENV).ok().filter(|v| !v.is_empty())
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Every byte is an ASCII hex digit (checked above): any index is a char boundary.
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_hides_secrets() {
        let mut b = Baseline::with_key("ab".repeat(32), false, None).unwrap();
        b.entries.insert(Entry {
            rule: "r".into(),
            path: Some("a/b.txt".into()),
            hash: "00ff".into(),
        });
        b.entries.insert(Entry {
            rule: "q".into(),
            path: None,
            hash: "11ee".into(),
        });
        let text = b.to_text();
        // One entry per line, each ending in a comma, so an added entry never edits another.
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("\"rule\"")).collect();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.ends_with(',')));
        assert!(lines[0].contains("\"q\""), "sorted by rule: {text}");
        let back = Baseline::parse(&text, "t").unwrap();
        assert_eq!(back.entries, b.entries);
        assert_eq!(back.key, b.key);
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(Baseline::parse("{}", "t").is_err());
        assert!(Baseline::parse("not json", "t").is_err());
        let wrong_version = format!(
            r#"{{"leakguard_baseline": 9, "key": "{}", "entries": []}}"#,
            "ab".repeat(32)
        );
        assert!(Baseline::parse(&wrong_version, "t").is_err());
        let short_key = r#"{"leakguard_baseline": 1, "key": "abcd", "entries": []}"#;
        assert!(Baseline::parse(short_key, "t").is_err());
    }

    #[test]
    fn fresh_keys_differ() {
        let a = Baseline::new().unwrap();
        let b = Baseline::new().unwrap();
        assert_ne!(a.stored_key, b.stored_key);
    }
}
