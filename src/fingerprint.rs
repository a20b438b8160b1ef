//! Keyed fingerprints: the identity of a finding in JSON and SARIF reports, which dashboards
//! use to track an alert across runs.
//!
//! A fingerprint is an HMAC-SHA256 of the rule id, the path and the secret (truncated to 128
//! bits), never a line number. Unkeyed (version 1), it let anyone holding a report test
//! guesses of a short password against it; keyed, a guess needs the key too.
//!
//! The key must be shared by CI and developers without configuration and stay the same
//! across runs, machines and rebases. It is, first found:
//!
//! 1. `LEAKGUARD_FINGERPRINT_KEY`, when set (any string);
//! 2. the repository's root commit ids reachable from HEAD, sorted (the walk reads git's
//!    commit-graph file when there is one); not in a shallow clone, whose "roots" are the
//!    shallow boundary and move with every fetch;
//! 3. the URL of the `origin` remote, normalised to host and path (no scheme, user, port or
//!    trailing `.git`, lowercased), so that `git@github.com:o/r.git` and
//!    `https://github.com/o/r` agree;
//! 4. a fixed public key (outside a repository, or a shallow clone without `origin`):
//!    stable, but no better than version 1 against guessing.
//!
//! Finding the roots walks the whole history, so the key is derived only when the report
//! shows fingerprints (see [`crate::config`]), never for the hook's text report.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::finding::Finding;

/// The environment variable that sets the key (any string), overriding the repository's.
pub const KEY_ENV: &str = "LEAKGUARD_FINGERPRINT_KEY";

/// Where a key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `LEAKGUARD_FINGERPRINT_KEY`.
    Env,
    /// This many root commits reachable from HEAD.
    Roots(usize),
    /// The normalised URL of the `origin` remote (shallow clones).
    Origin(String),
    /// A key made at random for an audit datastore and kept in it.
    Datastore,
    /// The fixed public key, and why no better one was found.
    Public(&'static str),
}

impl KeySource {
    /// The name reports give it (`summary.fingerprint_key`): a user can see whether the
    /// fingerprints are keyed by something secret to the project or by the public key.
    pub fn name(&self) -> &'static str {
        match self {
            KeySource::Env => "env",
            KeySource::Roots(_) => "root-commits",
            KeySource::Origin(_) => "origin-url",
            KeySource::Datastore => "datastore",
            KeySource::Public(_) => "public",
        }
    }
}

/// The HMAC key of a run's fingerprints.
#[derive(Clone)]
pub struct FingerprintKey {
    key: [u8; 32],
    pub source: KeySource,
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintKey")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl FingerprintKey {
    /// The key from the environment, else from the repository holding `at`.
    pub fn find(at: &Path) -> FingerprintKey {
        match std::env::var(KEY_ENV) {
            Ok(value) => FingerprintKey::from_env(&value),
            Err(_) => FingerprintKey::of_repo(at),
        }
    }

    /// The key `LEAKGUARD_FINGERPRINT_KEY=value` gives.
    pub fn from_env(value: &str) -> FingerprintKey {
        FingerprintKey::derive(b"env", value.as_bytes(), KeySource::Env)
    }

    /// The key of the repository holding `at`: its roots, else its origin, else public.
    pub fn of_repo(at: &Path) -> FingerprintKey {
        // `scan -` and the like: look from the current directory.
        let at = if at.exists() { at } else { Path::new(".") };
        let Ok(repo) = crate::source::open_repo(at) else {
            return FingerprintKey::public("not in a git repository");
        };
        let shallow = repo.is_shallow().unwrap_or(true);
        if !shallow {
            if let Some(roots) = roots(&repo) {
                return FingerprintKey::from_roots(&roots);
            }
        }
        if let Some(url) = origin_url(&repo) {
            let material = url.clone().into_bytes();
            return FingerprintKey::derive(b"origin", &material, KeySource::Origin(url));
        }
        FingerprintKey::public(if shallow {
            "a shallow clone without an origin remote"
        } else {
            "no commit and no origin remote"
        })
    }

    /// The key of a history whose root commits (hex ids) are `roots`, in any order.
    pub fn from_roots(roots: &[String]) -> FingerprintKey {
        let mut sorted = roots.to_vec();
        sorted.sort();
        sorted.dedup();
        let joined = sorted.join("\n");
        let source = KeySource::Roots(sorted.len());
        FingerprintKey::derive(b"roots", joined.as_bytes(), source)
    }

    /// The key an audit datastore made for itself (`material` is stored in it).
    pub fn datastore(material: &[u8]) -> FingerprintKey {
        FingerprintKey::derive(b"datastore", material, KeySource::Datastore)
    }

    /// The fixed key used when nothing better is known.
    pub fn public(why: &'static str) -> FingerprintKey {
        FingerprintKey::derive(b"public", b"", KeySource::Public(why))
    }

    /// Domain-separated: an origin URL given as `LEAKGUARD_FINGERPRINT_KEY` is another key.
    fn derive(kind: &[u8], material: &[u8], source: KeySource) -> FingerprintKey {
        let mut h = Sha256::new();
        h.update(b"leakguard-fingerprint-key-v2\0");
        h.update(kind);
        h.update(b"\0");
        h.update(material);
        FingerprintKey {
            key: h.finalize().into(),
            source,
        }
    }

    /// The fingerprint of `f`: rule, path and the secret (or, for a local `.env` value, the
    /// file and variable), never the line.
    pub fn fingerprint(&self, f: &Finding) -> String {
        self.hash(&f.rule_id, &f.path, f.fingerprint_material())
    }

    /// HMAC-SHA256 of rule, path and material, truncated to 128 bits, in hex.
    pub fn hash(&self, rule_id: &str, path: &str, material: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(b"leakguard-fingerprint-v2\0");
        mac.update(rule_id.as_bytes());
        mac.update(b"\0");
        mac.update(path.as_bytes());
        mac.update(b"\0");
        mac.update(material);
        let digest = mac.finalize().into_bytes();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// 32 bytes from the OS random source (through the std hasher's keys, which come from it)
/// mixed with the time: for keys that must be unique to a file.
pub fn random_bytes() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut raw = [0u8; 32];
    for (i, chunk) in raw.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    raw
}

/// The root commits reachable from HEAD, as hex; `None` when HEAD has no commit or a commit
/// cannot be read. Commits in git's commit-graph file are walked by their position in it
/// (parents without decoding a commit, seen-marks in a bit per commit), the rest (those
/// made since the file was written, or all of them without one) by reading the objects. A
/// commit-graph file that does not add up is ignored.
fn roots(repo: &gix::Repository) -> Option<Vec<String>> {
    let graph = repo.commit_graph_if_enabled().ok().flatten();
    graph
        .and_then(|g| roots_with(repo, Some(&g)))
        .or_else(|| roots_with(repo, None))
}

fn roots_with(
    repo: &gix::Repository,
    graph: Option<&gix::commitgraph::Graph>,
) -> Option<Vec<String>> {
    use gix::commitgraph::Position;
    let mut seen_pos = vec![false; graph.map_or(0, |g| g.num_commits() as usize)];
    let mut seen_ids = std::collections::HashSet::new();
    let mut ids = vec![repo.head_id().ok()?.detach()];
    let mut positions: Vec<Position> = Vec::new();
    let mut roots = Vec::new();
    loop {
        if let Some(id) = ids.pop() {
            if !seen_ids.insert(id) {
                continue;
            }
            if let Some(pos) = graph.and_then(|g| g.lookup(id)) {
                positions.push(pos);
                continue;
            }
            let commit = repo.find_commit(id).ok()?;
            let before = ids.len();
            ids.extend(commit.parent_ids().map(|p| p.detach()));
            if ids.len() == before {
                roots.push(id.to_string());
            }
        } else if let (Some(pos), Some(g)) = (positions.pop(), graph) {
            let at = pos.0 as usize;
            if std::mem::replace(&mut seen_pos[at], true) {
                continue;
            }
            let commit = g.commit_at(pos);
            let mut parents = 0;
            for p in commit.iter_parents() {
                let p = p.ok()?;
                parents += 1;
                if !*seen_pos.get(p.0 as usize)? {
                    positions.push(p);
                }
            }
            if parents == 0 {
                roots.push(commit.id().to_string());
            }
        } else {
            break;
        }
    }
    (!roots.is_empty()).then_some(roots)
}

/// The `origin` remote's fetch URL, normalised (see [`normalize_url`]).
fn origin_url(repo: &gix::Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url(gix::remote::Direction::Fetch)?;
    let path = String::from_utf8_lossy(&url.path);
    normalize_url(url.host(), &path)
}

/// `host/path`, lowercased, without a leading or trailing `/` or a trailing `.git`: the
/// scheme, user and port are not part of it. A local path remote keeps its path.
pub fn normalize_url(host: Option<&str>, path: &str) -> Option<String> {
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    let joined = match host {
        Some(h) if !h.is_empty() => format!("{h}/{path}"),
        _ => path.to_string(),
    };
    let joined = joined.trim_end_matches('/').to_lowercase();
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSet, Source};

    /// The version-1 fingerprint, unkeyed, as leakguard computed it before.
    fn unkeyed_v1(rule_id: &str, path: &str, secret: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(b"leakguard-fingerprint-v1\0");
        h.update(rule_id.as_bytes());
        h.update(b"\0");
        h.update(path.as_bytes());
        h.update(b"\0");
        h.update(secret);
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn short_password_finding() -> Finding {
        let text = "extend_default: false\nrules:\n  - id: pw\n    description: password\n    \
                    severity: high\n    keywords: [pw]\n    regex: 'pw=(\\w+)'\n";
        let src = Source {
            name: "t.yaml".into(),
            text,
        };
        let set = RuleSet::load(&[], Some(&src)).unwrap();
        // A short, guessable secret: 4 lowercase letters, some 460,000 guesses.
        Finding::content(&set.rules[0], "app/db.py", 3, 4, b"abcd", 2.0, vec![])
    }

    #[test]
    fn a_short_secret_cannot_be_recomputed_without_the_key() {
        let f = short_password_finding();
        let key = FingerprintKey::from_roots(&["1".repeat(40)]);
        let fp = key.fingerprint(&f);
        // It is the HMAC of rule, path and secret under the repository's derived key...
        let derived = Sha256::new()
            .chain_update(b"leakguard-fingerprint-key-v2\0roots\0")
            .chain_update("1".repeat(40))
            .finalize();
        let mut mac = Hmac::<Sha256>::new_from_slice(&derived).unwrap();
        mac.update(b"leakguard-fingerprint-v2\0pw\0app/db.py\0abcd");
        let want: String = mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(fp, want);
        // ...which the old unkeyed hash, or the same guess under another key, does not give.
        assert_ne!(fp, unkeyed_v1("pw", "app/db.py", b"abcd"));
        let guess = |k: &FingerprintKey| k.hash("pw", "app/db.py", b"abcd");
        assert_ne!(fp, guess(&FingerprintKey::public("test")));
        assert_ne!(fp, guess(&FingerprintKey::from_env("")));
        assert_ne!(fp, guess(&FingerprintKey::from_roots(&["2".repeat(40)])));
        assert_eq!(fp, guess(&key));
        assert!(!fp.contains("abcd"));
        assert_eq!(fp.len(), 32);
    }

    #[test]
    fn fingerprints_are_stable_and_separate_rule_path_and_secret() {
        let k = FingerprintKey::from_env("k");
        let a = k.hash("r", "p", b"s3cr3tvalue");
        assert_eq!(
            a,
            FingerprintKey::from_env("k").hash("r", "p", b"s3cr3tvalue")
        );
        assert_ne!(a, k.hash("r", "p", b"s3cr3tvaluf"));
        assert_ne!(a, k.hash("r", "q", b"s3cr3tvalue"));
        assert_ne!(a, k.hash("r\0p", "", b"s3cr3tvalue"));
        assert_ne!(
            a,
            FingerprintKey::from_env("k2").hash("r", "p", b"s3cr3tvalue")
        );
    }

    #[test]
    fn roots_are_a_set() {
        let (a, b) = ("a".repeat(40), "b".repeat(40));
        let k = FingerprintKey::from_roots(&[a.clone(), b.clone()]);
        let same = FingerprintKey::from_roots(&[b.clone(), a.clone(), b]);
        assert_eq!(k.hash("r", "p", b"s"), same.hash("r", "p", b"s"));
        assert_eq!(same.source, KeySource::Roots(2));
        let one = FingerprintKey::from_roots(&[a]);
        assert_ne!(k.hash("r", "p", b"s"), one.hash("r", "p", b"s"));
    }

    #[test]
    fn origin_urls_normalise_to_host_and_path() {
        let n = normalize_url;
        let want = Some("github.com/owner/repo".to_string());
        assert_eq!(n(Some("github.com"), "/Owner/Repo.git"), want);
        assert_eq!(n(Some("github.com"), "owner/repo"), want);
        assert_eq!(n(Some("GitHub.com"), "/owner/repo/"), want);
        assert_eq!(n(None, "/srv/git/repo.git"), Some("srv/git/repo".into()));
        assert_eq!(n(None, "/"), None);
    }

    #[test]
    fn a_directory_outside_git_gets_the_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let k = FingerprintKey::of_repo(dir.path());
        assert_eq!(k.source, KeySource::Public("not in a git repository"));
    }
}
