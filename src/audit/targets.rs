//! What an audit covers: the repositories named on the command line or in `--repos`, the
//! ones found under a directory, and git URLs, each under one canonical name. The name is
//! what the datastore files results under and what `--shard` hashes, so the same
//! repository given twice (or as `https://` and `git@`) is audited once.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

use crate::printable;

/// One repository to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Canonical: an absolute path for a local repository, `host/path` for a URL.
    pub name: String,
    pub source: Source,
    /// Set for a repository a forge listed ([`super::forge`]).
    pub listed: Option<Listed>,
}

/// What a forge's listing says of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `github-org:ORG`, `github-user:USER` or `gitlab-group:GROUP`.
    pub origin: String,
    /// `pushed_at` or `last_activity_at`: unchanged since a complete audit, no fetch.
    pub activity: Option<String>,
    /// The credentials handed to git for the clone (https only).
    pub auth: Option<Auth>,
}

/// A forge token for git, as the password of `user`; never shown (its `Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct Auth {
    /// `x-access-token` (GitHub) or `oauth2` (GitLab).
    pub user: &'static str,
    pub token: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Auth {{ user: {:?}, token: *** }}", self.user)
    }
}

/// Where a repository's objects come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A repository on disk (a work tree or a bare repository), read in place.
    Local(PathBuf),
    /// A URL, cloned (bare) into the clone directory and fetched on later runs.
    Remote(String),
    /// Given, but not a repository (or not a URL that can be read): recorded as a failure.
    /// Where it was (a path, or the URL without its credentials) and the error, both as
    /// they may be shown and stored.
    Broken(String, String),
}

impl Target {
    /// Where the repository is read from, for the datastore and messages (a path, or the
    /// URL without its user name and password: [`printable::url`]).
    pub fn location(&self) -> String {
        match &self.source {
            // The name is the path, as it may be shown (a token in it redacted by the audit).
            Source::Local(_) => self.name.clone(),
            Source::Broken(shown, _) => shown.clone(),
            Source::Remote(url) => printable::url(url),
        }
    }

    /// `message`, an error met while auditing this target (gix's and SQLite's often quote
    /// the URL), as it may be shown and stored: without the URL's credentials in any
    /// spelling, nor those of any other URL in it.
    pub fn redact(&self, message: &str) -> String {
        let mut out = match &self.source {
            Source::Remote(url) => printable::error_about(message, url),
            _ => printable::urls_in(message).into_owned(),
        };
        if let Some(auth) = self.auth() {
            out = out.replace(&auth.token, "***");
        }
        out
    }

    /// The credentials to clone with, if a forge listed it and gave a token.
    pub fn auth(&self) -> Option<&Auth> {
        self.listed
            .as_ref()
            .and_then(|l| l.auth.as_ref())
            .filter(|a| !a.token.is_empty())
    }

    /// The repository at `url` that a forge listed. A URL that is no remote repository (a
    /// `file://` one: a hostile API must not point the audit at local paths) is a failure.
    pub fn listed(url: &str, listed: Listed) -> Target {
        let mut out = Vec::new();
        if url.starts_with("file:") || !is_url(url) {
            out.push(broken(
                url,
                Path::new(url),
                "the API gave a clone URL that is not a remote repository".into(),
            ));
        } else {
            remote(url, &mut out);
        }
        let mut t = out.pop().expect("one target");
        t.listed = Some(listed);
        t
    }

    /// A failure recorded under `name` (an owner that could not be listed, say).
    pub fn failed(name: &str, shown: &str, why: String, listed: Option<Listed>) -> Target {
        Target {
            name: name.to_string(),
            source: Source::Broken(shown.to_string(), why),
            listed,
        }
    }

    /// Is this target in shard `index` of `count`? A stable hash of the name decides, so
    /// every machine agrees without talking to the others.
    pub fn in_shard(&self, index: u32, count: u32) -> bool {
        let digest = Sha256::digest(self.name.as_bytes());
        let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        n % u64::from(count) == u64::from(index)
    }
}

/// The targets `inputs` and the lines of the `--repos` file name, sorted by name, each once.
/// With `others` (forge owners to list), naming nothing here is fine.
pub fn collect(inputs: &[String], list: Option<&Path>, others: bool) -> Result<Vec<Target>> {
    let mut all: Vec<String> = inputs.to_vec();
    if let Some(file) = list {
        // A regular file of bounded size, like every file named on the command line: a
        // device or a FIFO would never end.
        let text = crate::fsguard::read_text(file, crate::fsguard::MAX_TEXT, "repository list")?;
        all.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from),
        );
    }
    if all.is_empty() && !others {
        bail!("nothing to audit: name repositories, directories or URLs, or give --repos FILE");
    }
    let mut targets = Vec::new();
    for input in &all {
        if is_url(input) {
            remote(input, &mut targets);
        } else {
            local(Path::new(input), &mut targets);
        }
    }
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    targets.dedup_by(|a, b| a.name == b.name);
    Ok(targets)
}

/// A URL rather than a path: a scheme, or git's scp-like `[user[:password]@]host:path`
/// with a user (`git@host:org/repo`, `user:TOKEN@host:path`): an `@` before the first `/`
/// and a `:` after it. Without a user, `C:\x` and `dir:x` are paths.
fn is_url(s: &str) -> bool {
    if s.contains("://") {
        return true;
    }
    let head = s.split(['/', '\\']).next().unwrap_or(s);
    head.rsplit_once('@')
        .is_some_and(|(_, host)| host.contains(':'))
}

/// The target of `url`: a repository to clone, a local one for `file://` (read in place,
/// like its path: cloning it would start `git-upload-pack`), or, when the URL cannot be
/// read, a failure recorded under the URL without its credentials, so that the audit of
/// the other repositories goes on.
fn remote(url: &str, out: &mut Vec<Target>) {
    let shown = printable::url(url);
    let failed = |why: String| Target {
        name: shown.clone(),
        source: Source::Broken(shown.clone(), printable::error_about(&why, url)),
        listed: None,
    };
    // git (and gix) would split `user:TOKEN@host:path` at its first `:`, and ssh to a host
    // named `user`: a password has no place in this form.
    if !url.contains("://") && url.rsplit_once('@').is_some_and(|(u, _)| u.contains(':')) {
        return out.push(failed(
            "git's `user@host:path` form takes no password (use ssh keys, or an https URL)".into(),
        ));
    }
    let parsed = match gix::url::parse(gix::bstr::BStr::new(url.as_bytes())) {
        Ok(p) => p,
        Err(e) => {
            let e = anyhow::Error::from(e);
            return out.push(failed(format!("not a git URL: {e:#}")));
        }
    };
    let path = String::from_utf8_lossy(&parsed.path).into_owned();
    if parsed.scheme == gix::url::Scheme::File {
        // A local repository by URL is the same repository as by path.
        return local(Path::new(&path), out);
    }
    match crate::fingerprint::normalize_url(parsed.host(), &path) {
        // Host and path only; `url` again in case the host held what was meant as a user.
        Some(name) => out.push(Target {
            name: printable::url(&name),
            source: Source::Remote(url.to_string()),
            listed: None,
        }),
        None => out.push(failed("names no repository".into())),
    }
}

fn canonical_path(p: &Path) -> String {
    let abs = std::fs::canonicalize(p).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    });
    abs.to_string_lossy().into_owned()
}

/// A repository at `path`, or every repository under it.
fn local(path: &Path, out: &mut Vec<Target>) {
    let name = canonical_path(path);
    if std::fs::symlink_metadata(path).is_err() {
        let why = "no such file or directory".to_string();
        out.push(broken(&name, path, why));
        return;
    }
    if is_repo(path) {
        out.push(Target {
            source: Source::Local(PathBuf::from(&name)),
            name,
            listed: None,
        });
        return;
    }
    let before = out.len();
    find_below(Path::new(&name), out);
    if out.len() == before {
        out.push(broken(
            &name,
            path,
            "not a git repository, and no repository under it".into(),
        ));
    }
}

/// A path that is no repository. A path that looks like credentials (`user:TOKEN@host/x`,
/// a URL mistyped) is stored and shown without them.
fn broken(name: &str, path: &Path, why: String) -> Target {
    let shown = printable::urls_in(&path.to_string_lossy()).into_owned();
    Target {
        name: printable::urls_in(name).into_owned(),
        source: Source::Broken(shown, why),
        listed: None,
    }
}

/// A work tree's top (it has `.git`) or a bare repository (`HEAD`, `objects/`, `refs/`).
/// Corrupt ones count: opening them fails later, and that failure is recorded.
fn is_repo(dir: &Path) -> bool {
    dir.join(".git").exists()
        || (dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir())
}

/// Every repository below `dir`, an absolute path without symbolic links (not below a
/// repository: submodules and nested checkouts are their own targets only when named).
/// Symbolic links are not followed, so the names found need no resolving.
fn find_below(dir: &Path, out: &mut Vec<Target>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        if is_repo(&d) {
            out.push(Target {
                name: d.to_string_lossy().into_owned(),
                source: Source::Local(d),
                listed: None,
            });
        } else {
            find_below(&d, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one target of `url`.
    fn target(url: &str) -> Target {
        let mut out = Vec::new();
        remote(url, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        out.pop().unwrap()
    }

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(is_url("https://example.test/org/repo.git"));
        assert!(is_url("git@example.test:org/repo.git"));
        assert!(is_url("user:SYNTHETIC@example.test:org/repo.git"));
        assert!(is_url("file:///srv/git/repo.git"));
        assert!(!is_url("C:\\src\\repo"));
        assert!(!is_url("C:\\Users\\me@corp:x"));
        assert!(!is_url("./repos"));
        assert!(!is_url("./a@b:c"));
        assert!(!is_url("dir:with-colon"));
    }

    #[test]
    fn one_repository_under_every_spelling_of_its_url() {
        let a = target("https://Example.test/Org/Repo.git");
        let b = target("git@example.test:org/repo");
        let c = target("ssh://git@example.test:2222/org/repo.git/");
        assert_eq!(a.name, "example.test/org/repo");
        assert_eq!(a.name, b.name);
        assert_eq!(a.name, c.name);
    }

    #[test]
    fn a_token_in_a_url_is_never_shown() {
        let tok = format!("ghs_{}", "SYNTHETIC".repeat(4));
        for url in [
            format!("https://x-access-token:{tok}@example.test/org/repo.git"),
            format!("https://{tok}@example.test/org/repo.git"),
            format!("ssh://{tok}@example.test/org/repo.git"),
            format!("{tok}@example.test:org/repo.git"),
            format!("user:{tok}@example.test:org/repo.git"),
            format!("git://{tok}@example.test/org/repo.git"),
            format!("ssh://git:{tok}@bad host/x"),
            format!("https://{tok}@"),
        ] {
            let t = target(&url);
            if let Source::Broken(_, why) = &t.source {
                assert!(!why.contains(&tok), "{url}: {why}");
            } else {
                assert_eq!(t.name, "example.test/org/repo", "{url}");
            }
            assert!(!t.name.contains(&tok), "{url}: {}", t.name);
            assert!(!t.location().contains(&tok), "{url}: {}", t.location());
        }
    }

    /// A listed repository keeps its listing; a clone URL that is local is refused, and
    /// the token never shows in a target's `Debug`.
    #[test]
    fn listed_targets_are_remote_only() {
        let auth = Auth {
            user: "x-access-token",
            token: "SYNTHETIC_TOKEN_1234".into(),
        };
        let listed = Listed {
            origin: "github-org:acme".into(),
            activity: Some("2024-01-01T00:00:00Z".into()),
            auth: Some(auth),
        };
        let t = Target::listed("https://example.test/acme/api.git", listed.clone());
        assert_eq!(t.name, "example.test/acme/api");
        assert_eq!(t.auth().map(|a| a.user), Some("x-access-token"));
        assert!(!format!("{t:?}").contains("SYNTHETIC_TOKEN_1234"));
        assert_eq!(
            t.redact("failed with SYNTHETIC_TOKEN_1234"),
            "failed with ***"
        );
        for local in ["file:///etc", "/etc", "../x"] {
            let t = Target::listed(local, listed.clone());
            assert!(matches!(t.source, Source::Broken(..)), "{local}: {t:?}");
        }
    }

    #[test]
    fn a_malformed_url_is_a_failed_target() {
        let t = target("ssh://git:SYNTHETIC_PW@bad host/x");
        assert_eq!(t.name, "ssh://***@bad host/x");
        match &t.source {
            Source::Broken(shown, why) => {
                assert_eq!(shown, "ssh://***@bad host/x");
                assert!(why.starts_with("not a git URL"), "{why}");
                assert!(!why.contains("SYNTHETIC_PW"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shards_partition_the_targets() {
        let targets: Vec<Target> = (0..200)
            .map(|i| target(&format!("https://example.test/org/r{i}")))
            .collect();
        let mut sizes = [0usize; 4];
        for t in &targets {
            let owners: Vec<u32> = (0..4).filter(|&i| t.in_shard(i, 4)).collect();
            assert_eq!(owners.len(), 1, "{} is in shards {owners:?}", t.name);
            sizes[owners[0] as usize] += 1;
        }
        assert!(sizes.iter().all(|&n| n > 25), "uneven shards: {sizes:?}");
    }
}
