//! Bare clones of remote repositories, kept in the clone directory and fetched on later
//! runs: every branch and tag, and the heads of pull and merge requests (GitHub's and
//! GitLab's refs), since a secret pushed to any of them is as leaked as one on the default
//! branch.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// What is fetched, each to the same name. (`+refs/*:refs/*`, git's mirror, matches nothing
/// in gix 0.90.)
const MIRROR: [&str; 4] = [
    "+refs/heads/*:refs/heads/*",
    "+refs/tags/*:refs/tags/*",
    "+refs/pull/*/head:refs/pull/*/head",
    "+refs/merge-requests/*/head:refs/merge-requests/*/head",
];

/// The default clone directory: the user's cache (`$XDG_CACHE_HOME` or `~/.cache`, else the
/// temporary directory).
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("leakguard").join("clones")
}

/// Where the clone of the repository named `name` lives: readable, and unique by a hash.
pub fn path_for(dir: &Path, name: &str) -> PathBuf {
    let readable: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let readable = readable.trim_matches('.');
    // Only ASCII characters are left (every other one became `_`): any index is a boundary.
    let tail = &readable[readable.len().saturating_sub(60)..];
    let digest = Sha256::digest(name.as_bytes());
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{tail}-{short}.git"))
}

/// The repository at `url`, cloned into `dest` the first time and fetched afterwards.
/// A clone left half-made by a killed run is removed and made again.
///
/// gix's errors quote the URL (and ssh's name the user): none leaves here unredacted, each
/// becomes its text through [`crate::printable::error_about`].
pub fn sync(url: &str, dest: &Path, interrupt: &AtomicBool) -> Result<gix::Repository> {
    clone_or_fetch(url, dest, interrupt)
        .map_err(|e| anyhow::anyhow!(crate::printable::error_about(&format!("{e:#}"), url)))
}

fn clone_or_fetch(url: &str, dest: &Path, interrupt: &AtomicBool) -> Result<gix::Repository> {
    let shown = crate::printable::url(url);
    if dest.exists() {
        match fetch(dest, url, interrupt) {
            Ok(repo) => return Ok(repo),
            Err(e) if gix::open(dest).is_ok() => return Err(e),
            Err(_) => std::fs::remove_dir_all(dest)
                .with_context(|| format!("cannot remove the broken clone {}", dest.display()))?,
        }
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the clone directory {}", parent.display()))?;
    }
    let mut prepare = gix::prepare_clone_bare(url, dest)
        .map_err(|e| no_https_hint(url, e.into()))
        .with_context(|| format!("cannot clone {shown}"))?
        .configure_remote(|r| r.with_refspecs(MIRROR, gix::remote::Direction::Fetch));
    let (repo, _) = prepare
        .fetch_only(gix::progress::Discard, interrupt)
        .map_err(|e| no_https_hint(url, e.into()))
        .with_context(|| format!("cannot clone {shown}"))?;
    Ok(repo)
}

/// Fetches every ref of `url` into the bare clone at `dest`.
fn fetch(dest: &Path, url: &str, interrupt: &AtomicBool) -> Result<gix::Repository> {
    let shown = crate::printable::url(url);
    let repo =
        gix::open(dest).with_context(|| format!("cannot open the clone {}", dest.display()))?;
    let remote = repo
        .remote_at(url)
        .with_context(|| format!("`{shown}` is not a git URL"))?
        .with_refspecs(MIRROR, gix::remote::Direction::Fetch)?;
    let fetched: Result<()> = (|| {
        remote
            .connect(gix::remote::Direction::Fetch)?
            .prepare_fetch(gix::progress::Discard, Default::default())?
            .receive(gix::progress::Discard, interrupt)?;
        Ok(())
    })();
    fetched
        .map_err(|e| no_https_hint(url, e))
        .with_context(|| format!("cannot fetch {shown}"))?;
    Ok(repo)
}

/// Points a user of a build without https support at the feature, or at a clone of their
/// own.
fn no_https_hint(url: &str, e: anyhow::Error) -> anyhow::Error {
    if cfg!(not(feature = "https")) && url.starts_with("http") {
        return e.context(
            "this leakguard was built without https support (cargo feature `https`; the release binaries have it): clone the repository with git and audit its path",
        );
    }
    e
}
