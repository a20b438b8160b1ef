//! Bare clones of remote repositories, kept in the clone directory and fetched on later
//! runs: every branch and tag, and the heads of pull and merge requests (GitHub's and
//! GitLab's refs), since a secret pushed to any of them is as leaked as one on the default
//! branch.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::targets::Auth;

/// What is fetched, each to the same name. (`+refs/*:refs/*`, git's mirror, matches nothing
/// in gix 0.90.)
const MIRROR: [&str; 4] = [
    "+refs/heads/*:refs/heads/*",
    "+refs/tags/*:refs/tags/*",
    "+refs/pull/*/head:refs/pull/*/head",
    "+refs/merge-requests/*/head:refs/merge-requests/*/head",
];

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
///
/// `auth` (a forge's token) is handed to the transport as the answer to its credential
/// request: never in the URL, the clone's config, or a credential helper's store.
pub fn sync(
    url: &str,
    dest: &Path,
    interrupt: &AtomicBool,
    auth: Option<&Auth>,
) -> Result<gix::Repository> {
    clone_or_fetch(url, dest, interrupt, auth).map_err(|e| {
        let mut e = crate::printable::error_about(&format!("{e:#}"), url);
        if let Some(a) = auth {
            e = e.replace(&a.token, "***");
        }
        anyhow::anyhow!(e)
    })
}

fn clone_or_fetch(
    url: &str,
    dest: &Path,
    interrupt: &AtomicBool,
    auth: Option<&Auth>,
) -> Result<gix::Repository> {
    let shown = crate::printable::url(url);
    if dest.exists() {
        match fetch(dest, url, interrupt, auth) {
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
    if let Some(auth) = auth {
        let auth = auth.clone();
        prepare = prepare.configure_connection(move |c| {
            credentials(c, &auth);
            Ok(())
        });
    }
    let (repo, _) = prepare
        .fetch_only(gix::progress::Discard, interrupt)
        .map_err(|e| no_https_hint(url, e.into()))
        .with_context(|| format!("cannot clone {shown}"))?;
    forget_credentials(dest, url)?;
    Ok(repo)
}

/// A clone records its URL as `remote.origin.url` in its config, credentials and all (a
/// token used as the user name, say), and the clone directory outlives the run. Fetches name
/// the URL themselves, so the recorded one is only for people: it keeps the URL with its
/// credentials shown as `***`.
fn forget_credentials(dest: &Path, url: &str) -> Result<()> {
    let shown = crate::printable::url(url);
    if shown == url {
        return Ok(());
    }
    let path = dest.join("config");
    let why = || format!("cannot remove the credentials from {}", path.display());
    let mut config =
        gix::config::File::from_path_no_includes(path.clone(), gix::config::Source::Local)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(why)?;
    config
        .set_raw_value_by("remote", Some("origin".into()), "url", shown.as_str())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(why)?;
    let mut text = Vec::new();
    config.write_to(&mut text).with_context(why)?;
    std::fs::write(&path, text).with_context(why)
}

/// Fetches every ref of `url` into the bare clone at `dest`.
fn fetch(
    dest: &Path,
    url: &str,
    interrupt: &AtomicBool,
    auth: Option<&Auth>,
) -> Result<gix::Repository> {
    let shown = crate::printable::url(url);
    let repo =
        gix::open(dest).with_context(|| format!("cannot open the clone {}", dest.display()))?;
    let remote = repo
        .remote_at(url)
        .with_context(|| format!("`{shown}` is not a git URL"))?
        .with_refspecs(MIRROR, gix::remote::Direction::Fetch)?;
    let fetched: Result<()> = (|| {
        let mut connection = remote.connect(gix::remote::Direction::Fetch)?;
        if let Some(auth) = auth {
            credentials(&mut connection, auth);
        }
        connection
            .prepare_fetch(gix::progress::Discard, Default::default())?
            .receive(gix::progress::Discard, interrupt)?;
        Ok(())
    })();
    fetched
        .map_err(|e| no_https_hint(url, e))
        .with_context(|| format!("cannot fetch {shown}"))?;
    Ok(repo)
}

/// Answers the transport's credential requests with `auth` (the user and the token as
/// its password), instead of git's helpers and prompts; stores and erases nothing.
#[cfg(feature = "https")]
fn credentials<T: gix::protocol::transport::client::blocking_io::Transport>(
    connection: &mut gix::remote::Connection<'_, '_, '_, T>,
    auth: &Auth,
) {
    use gix::credentials::{helper::Action, protocol::Outcome};
    let (user, token) = (auth.user.to_string(), auth.token.clone());
    connection.set_credentials(move |action| match action {
        Action::Get(ctx) => Ok(Some(Outcome {
            identity: gix::sec::identity::Account {
                username: user.clone(),
                password: token.clone(),
                oauth_refresh_token: None,
            },
            next: ctx.into(),
        })),
        Action::Store(_) | Action::Erase(_) => Ok(None),
    });
}

/// Without the `https` feature no forge lists repositories, so no target has credentials.
#[cfg(not(feature = "https"))]
fn credentials<T>(_: &mut T, _: &Auth) {}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// gix refuses credentials in `git://` URLs and `file://` is not cloned, so the https
    /// case (a token as the user name) is checked here on a clone's config as gix writes it.
    #[test]
    fn a_clone_keeps_no_credentials_in_its_config() {
        let dir = tempfile::tempdir().unwrap();
        let token = format!("ghp_{}", "Zx9".repeat(12));
        let url = format!("https://{token}@example.test/org/repo.git");
        gix::init_bare(dir.path()).unwrap();
        let config = dir.path().join("config");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "[remote \"origin\"]\n\turl = {url}\n\tfetch = +refs/heads/*:refs/heads/*\n"
        ));
        std::fs::write(&config, text).unwrap();
        forget_credentials(dir.path(), &url).unwrap();
        let after = std::fs::read_to_string(&config).unwrap();
        assert!(!after.contains(&token), "{after}");
        assert!(
            after.contains("url = https://***@example.test/org/repo.git"),
            "{after}"
        );
        assert!(
            after.contains("fetch = +refs/heads/*:refs/heads/*"),
            "{after}"
        );
        // The clone still opens, and a URL without credentials leaves the config alone.
        gix::open(dir.path()).unwrap();
        forget_credentials(dir.path(), "https://example.test/org/repo.git").unwrap();
        assert_eq!(std::fs::read_to_string(&config).unwrap(), after);
    }
}
