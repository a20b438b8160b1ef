//! What an audit covers: the repositories named on the command line or in `--repos`, the
//! ones found under a directory, and git URLs, each under one canonical name. The name is
//! what the datastore files results under and what `--shard` hashes, so the same
//! repository given twice (or as `https://` and `git@`) is audited once.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// One repository to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Canonical: an absolute path for a local repository, `host/path` for a URL.
    pub name: String,
    pub source: Source,
}

/// Where a repository's objects come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A repository on disk (a work tree or a bare repository), read in place.
    Local(PathBuf),
    /// A URL, cloned (bare) into the clone directory and fetched on later runs.
    Remote(String),
    /// Given, but not a repository: recorded as a failure with this error.
    Broken(PathBuf, String),
}

impl Target {
    /// Where the repository is read from, for the datastore and messages (a path, or the
    /// URL without any password or token in it).
    pub fn location(&self) -> String {
        match &self.source {
            Source::Local(p) | Source::Broken(p, _) => p.display().to_string(),
            Source::Remote(url) => shown(url),
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
pub fn collect(inputs: &[String], list: Option<&Path>) -> Result<Vec<Target>> {
    let mut all: Vec<String> = inputs.to_vec();
    if let Some(file) = list {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the repository list {}", file.display()))?;
        all.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from),
        );
    }
    if all.is_empty() {
        bail!("nothing to audit: name repositories, directories or URLs, or give --repos FILE");
    }
    let mut targets = Vec::new();
    for input in &all {
        if is_url(input) {
            targets.push(remote(input)?);
        } else {
            local(Path::new(input), &mut targets);
        }
    }
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    targets.dedup_by(|a, b| a.name == b.name);
    Ok(targets)
}

/// A URL rather than a path: a scheme, or git's `user@host:path` form.
fn is_url(s: &str) -> bool {
    if s.contains("://") {
        return true;
    }
    // `host:path` counts only with a user (`git@host:org/repo`): `C:\x` and `dir:x` are paths.
    match s.split_once(':') {
        Some((left, _)) => left.contains('@') && !left.contains('/'),
        None => false,
    }
}

fn remote(url: &str) -> Result<Target> {
    let parsed = gix::url::parse(gix::bstr::BStr::new(url.as_bytes()))
        .with_context(|| format!("`{}` is not a git URL", shown(url)))?;
    let path = String::from_utf8_lossy(&parsed.path).into_owned();
    let name = match parsed.scheme {
        // A local repository by URL is the same repository as by path.
        gix::url::Scheme::File => canonical_path(Path::new(&path)),
        _ => crate::fingerprint::normalize_url(parsed.host(), &path)
            .with_context(|| format!("`{}` names no repository", shown(url)))?,
    };
    Ok(Target {
        name,
        source: Source::Remote(url.to_string()),
    })
}

/// `url` as it may be shown or stored: a password (an access token, often) is replaced.
pub fn shown(url: &str) -> String {
    match gix::url::parse(gix::bstr::BStr::new(url.as_bytes())) {
        Ok(mut u) if u.password().is_some() => {
            u.set_password(Some("***".into()));
            u.to_bstring().to_string()
        }
        Ok(_) => url.to_string(),
        // Unparsed: whatever comes before an `@` may be credentials.
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => url.to_string(),
        },
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
        out.push(broken(name, path, why));
        return;
    }
    if is_repo(path) {
        out.push(Target {
            source: Source::Local(PathBuf::from(&name)),
            name,
        });
        return;
    }
    let before = out.len();
    find_below(Path::new(&name), out);
    if out.len() == before {
        out.push(broken(
            name,
            path,
            "not a git repository, and no repository under it".into(),
        ));
    }
}

fn broken(name: String, path: &Path, why: String) -> Target {
    Target {
        name,
        source: Source::Broken(path.to_path_buf(), why),
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
            });
        } else {
            find_below(&d, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(is_url("https://example.test/org/repo.git"));
        assert!(is_url("git@example.test:org/repo.git"));
        assert!(is_url("file:///srv/git/repo.git"));
        assert!(!is_url("C:\\src\\repo"));
        assert!(!is_url("./repos"));
        assert!(!is_url("dir:with-colon"));
    }

    #[test]
    fn one_repository_under_every_spelling_of_its_url() {
        let a = remote("https://Example.test/Org/Repo.git").unwrap();
        let b = remote("git@example.test:org/repo").unwrap();
        let c = remote("ssh://git@example.test:2222/org/repo.git/").unwrap();
        assert_eq!(a.name, "example.test/org/repo");
        assert_eq!(a.name, b.name);
        assert_eq!(a.name, c.name);
    }

    #[test]
    fn a_token_in_a_url_is_never_shown() {
        let t =
            remote("https://x-access-token:ghs_SYNTHETIC123@example.test/org/repo.git").unwrap();
        assert!(!t.location().contains("SYNTHETIC"), "{}", t.location());
        assert!(t.location().contains("example.test/org/repo"));
        assert_eq!(t.name, "example.test/org/repo");
    }

    #[test]
    fn shards_partition_the_targets() {
        let targets: Vec<Target> = (0..200)
            .map(|i| remote(&format!("https://example.test/org/r{i}")).unwrap())
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
