//! Listing the repositories of a GitHub organisation or user, or of a GitLab group and its
//! subgroups, through the forge's REST API: the targets of `audit --github-org` and co.
//!
//! Pagination follows `Link: <…>; rel="next"` (both forges send it; GitLab's `X-Next-Page`
//! when it does not), up to [`MAX_PAGES`] pages: an API that never stops is a recorded
//! failure, not a hang. A rate-limited answer (403 or 429 with `X-RateLimit-Remaining: 0`
//! and `X-RateLimit-Reset`, or `Retry-After`) is waited out with a message on stderr, up to
//! [`MAX_WAIT`] in all. The token (`GITHUB_TOKEN`, `GITLAB_TOKEN`) goes in a header, only to
//! the API's origin; it is never in a URL, a message or the datastore.
//!
//! The pagination is written against [`Page`] and a fetch function, so that it is tested
//! without a network; only [`http`] (with the `https` feature) speaks HTTP.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use super::targets::{Auth, Listed, Target};
use crate::config::{Forges, Owner, OwnerKind};

/// The most pages one owner's listing reads (100 repositories each).
pub const MAX_PAGES: usize = 1000;

/// Lowers [`MAX_PAGES`] (tests): hidden, not a user's setting.
pub const MAX_PAGES_ENV: &str = "LEAKGUARD_FORGE_MAX_PAGES";

/// The longest a listing waits for rate limits, in all: a longer wait fails it.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// The public instances' APIs.
const GITHUB_API: &str = "https://api.github.com";
const GITLAB_API: &str = "https://gitlab.com/api/v4";

/// One answer of the API, with what the listing reads of it.
#[derive(Debug, Default, Clone)]
pub struct Page {
    pub status: u16,
    /// `401 Unauthorized`: the status as shown in errors.
    pub status_text: String,
    pub link: Option<String>,
    pub next_page: Option<String>,
    pub remaining: Option<String>,
    pub reset: Option<String>,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// How far a listing may go.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_pages: usize,
    pub max_wait: Duration,
}

impl Bounds {
    /// [`MAX_PAGES`] (or [`MAX_PAGES_ENV`]'s value) and [`MAX_WAIT`].
    pub fn from_env() -> Bounds {
        let max_pages = std::env::var(MAX_PAGES_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(MAX_PAGES);
        Bounds {
            max_pages,
            max_wait: MAX_WAIT,
        }
    }
}

/// The URL of the `rel="next"` link of a `Link` header, if any.
pub fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>')?;
        let url = &rest[start + 1..end];
        rest = &rest[end + 1..];
        let params = &rest[..rest.find('<').unwrap_or(rest.len())];
        let next = params.split(';').any(|p| {
            p.trim()
                .trim_end_matches(',')
                .split_once('=')
                .is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("rel")
                        && v.trim()
                            .trim_matches('"')
                            .split_whitespace()
                            .any(|r| r.eq_ignore_ascii_case("next"))
                })
        });
        if next {
            return Some(url);
        }
    }
    None
}

/// `url` with its `page` parameter set to `page` (GitLab's `X-Next-Page`).
fn with_page(url: &str, page: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("page"))
        .map(String::from)
        .collect();
    params.push(format!("page={page}"));
    format!("{base}?{}", params.join("&"))
}

/// `scheme://authority` of a URL, lower-cased: where a token may be sent.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// How long a rate-limited answer asks to wait (`now`: seconds since the epoch), or `None`
/// when the answer is not a rate limit. `Retry-After` wins; then `X-RateLimit-Reset` when
/// none is remaining (at least a second: the reset is rounded down); a bare 429 waits a
/// minute, as GitHub's documentation says for its secondary limits.
pub fn rate_limit_wait(p: &Page, now: u64) -> Option<Duration> {
    if p.status != 403 && p.status != 429 {
        return None;
    }
    let number = |v: &Option<String>| v.as_deref().and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(secs) = number(&p.retry_after) {
        return Some(Duration::from_secs(secs.max(1)));
    }
    if p.remaining.as_deref().map(str::trim) == Some("0") {
        if let Some(reset) = number(&p.reset) {
            return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
        }
    }
    (p.status == 429).then(|| Duration::from_secs(60))
}

/// Every item of every page from `first` on, following the next links (on `first`'s
/// origin only), waiting out rate limits (`wait` sleeps, and says so), within `bounds`.
pub fn paginate<T: DeserializeOwned>(
    first: &str,
    bounds: Bounds,
    now: impl Fn() -> u64,
    mut fetch: impl FnMut(&str) -> Result<Page>,
    mut wait: impl FnMut(Duration) -> Result<()>,
) -> Result<Vec<T>> {
    let home = origin_of(first);
    let mut url = first.to_string();
    let mut items = Vec::new();
    let mut waited = Duration::ZERO;
    let mut pages = 0;
    loop {
        let page = fetch(&url)?;
        if let Some(d) = rate_limit_wait(&page, now()) {
            waited += d;
            if waited > bounds.max_wait {
                bail!(
                    "rate limited: the API asks to wait {} s, beyond the {} s a listing may wait in all",
                    d.as_secs(),
                    bounds.max_wait.as_secs()
                );
            }
            wait(d)?;
            continue;
        }
        if !(200..300).contains(&page.status) {
            bail!("the API answered {}{}", page.status_text, hint(page.status));
        }
        pages += 1;
        let batch: Vec<T> = serde_json::from_slice(&page.body).with_context(|| {
            format!("the API's answer (page {pages}) is not a list of repositories")
        })?;
        items.extend(batch);
        let next = match page.link.as_deref().and_then(next_link) {
            Some(next) => Some(next.to_string()),
            None => page
                .next_page
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .map(|n| with_page(&url, n)),
        };
        let Some(next) = next else {
            return Ok(items);
        };
        if origin_of(&next) != home {
            bail!(
                "the API's next page is on another origin ({}): not followed",
                origin_of(&next)
            );
        }
        if pages >= bounds.max_pages {
            bail!(
                "the listing goes on beyond {} pages: stopped there (an API that paginates forever?)",
                bounds.max_pages
            );
        }
        url = next;
    }
}

/// What to check after an error status.
fn hint(status: u16) -> &'static str {
    match status {
        401 => " (is the token valid?)",
        403 => " (does the token have access?)",
        404 => " (no such organisation, user or group, or not visible with this token)",
        _ => "",
    }
}

/// A repository in GitHub's answer (`GET /orgs/{org}/repos`, `/users/{user}/repos`).
#[derive(Deserialize)]
struct GithubRepo {
    full_name: String,
    clone_url: String,
    ssh_url: String,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    archived: bool,
    pushed_at: Option<String>,
}

/// A project in GitLab's answer (`GET /groups/{id}/projects`).
#[derive(Deserialize)]
struct GitlabProject {
    path_with_namespace: String,
    http_url_to_repo: String,
    ssh_url_to_repo: String,
    /// Present (an object) on forks only.
    #[serde(default)]
    forked_from_project: Option<IgnoredAny>,
    #[serde(default)]
    archived: bool,
    last_activity_at: Option<String>,
}

/// A listed repository, whichever forge listed it.
struct Repo {
    name: String,
    https: String,
    ssh: String,
    fork: bool,
    archived: bool,
    activity: Option<String>,
}

impl From<GithubRepo> for Repo {
    fn from(r: GithubRepo) -> Repo {
        Repo {
            name: r.full_name,
            https: r.clone_url,
            ssh: r.ssh_url,
            fork: r.fork,
            archived: r.archived,
            activity: r.pushed_at,
        }
    }
}

impl From<GitlabProject> for Repo {
    fn from(p: GitlabProject) -> Repo {
        Repo {
            name: p.path_with_namespace,
            https: p.http_url_to_repo,
            ssh: p.ssh_url_to_repo,
            fork: p.forked_from_project.is_some(),
            archived: p.archived,
            activity: p.last_activity_at,
        }
    }
}

/// The first page's URL of `owner`'s listing on the API at `api`.
fn first_page(api: &str, owner: &Owner) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let name = utf8_percent_encode(&owner.name, NON_ALPHANUMERIC);
    match owner.kind {
        OwnerKind::GithubOrg => format!("{api}/orgs/{name}/repos?per_page=100&type=all"),
        OwnerKind::GithubUser => format!("{api}/users/{name}/repos?per_page=100&type=owner"),
        OwnerKind::GitlabGroup => format!(
            "{api}/groups/{name}/projects?include_subgroups=true&with_shared=false&per_page=100"
        ),
    }
}

/// The host of a URL (`https://` or scp-like `git@host:path`), lower-cased, without port.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    host.to_ascii_lowercase()
}

/// May the token of the API at `api` go to the git host of `clone_url`? Only to the API's
/// own host, or `github.com` for `api.github.com`: a listing that names another host
/// gets no token sent there.
fn same_forge(api: &str, clone_url: &str) -> bool {
    let (api, git) = (host_of(api), host_of(clone_url));
    !git.is_empty() && (git == api || api.strip_prefix("api.") == Some(git.as_str()))
}

/// The targets of every owner in `forges`, listed through the API: each listing that fails
/// is one failed target named after its owner (`github-org:ORG`), and the audit goes on.
/// `say` shows progress (rate-limit waits).
pub fn targets(forges: &Forges, cancel: &crate::cancel::Cancel, say: &dyn Fn(&str)) -> Vec<Target> {
    let bounds = Bounds::from_env();
    let mut out = Vec::new();
    for owner in &forges.owners {
        let origin = owner.origin();
        let (api, var, user) = match owner.kind {
            OwnerKind::GitlabGroup => (GITLAB_API, "GITLAB_TOKEN", "oauth2"),
            _ => (GITHUB_API, "GITHUB_TOKEN", "x-access-token"),
        };
        let api = forges.api_url.as_deref().unwrap_or(api);
        let token = std::env::var(var).ok().filter(|t| !t.trim().is_empty());
        let first = first_page(api, owner);
        let listed = fetcher(forges, owner, token.as_deref()).and_then(|mut get| {
            let fetch = |url: &str| {
                cancel.check()?;
                get(url)
            };
            list(owner, &first, bounds, cancel, say, fetch)
        });
        let listed = listed.map_err(|e| {
            let e = format!("{e:#}");
            match &token {
                Some(t) => e.replace(t.as_str(), "***"),
                None => e,
            }
        });
        let repos = match listed {
            Ok(repos) => repos,
            Err(e) => {
                let why = format!("cannot list the repositories of {origin}: {e}");
                let at = Listed {
                    origin: origin.clone(),
                    activity: None,
                    auth: None,
                };
                out.push(Target::failed(&origin, api, why, Some(at)));
                continue;
            }
        };
        for r in repos {
            if (r.fork && !forges.include_forks) || (r.archived && forges.exclude_archived) {
                continue;
            }
            let url = if forges.ssh { r.ssh } else { r.https };
            let http = url.starts_with("https://") || url.starts_with("http://");
            // Never over plain http (gix would refuse it too).
            let auth = match &token {
                Some(t) if url.starts_with("https://") && same_forge(api, &url) => Some(Auth {
                    user,
                    token: t.clone(),
                }),
                _ => None,
            };
            let listed = Listed {
                origin: origin.clone(),
                activity: r.activity,
                auth,
            };
            if forges.ssh && http {
                let why = format!("the API gave no ssh URL for {}", r.name);
                out.push(Target::failed(&r.name, &url, why, Some(listed)));
                continue;
            }
            out.push(Target::listed(&url, listed));
        }
    }
    out
}

/// One owner's repositories, every page of them, each asked for with `fetch`.
fn list(
    owner: &Owner,
    first: &str,
    bounds: Bounds,
    cancel: &crate::cancel::Cancel,
    say: &dyn Fn(&str),
    fetch: impl FnMut(&str) -> Result<Page>,
) -> Result<Vec<Repo>> {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    let origin = owner.origin();
    let wait = |d: Duration| -> Result<()> {
        say(&format!(
            "{origin}: rate limited by the API, waiting {} s before asking again",
            d.as_secs()
        ));
        let until = std::time::Instant::now() + d;
        while std::time::Instant::now() < until {
            cancel.check()?;
            std::thread::sleep(Duration::from_millis(100).min(until - std::time::Instant::now()));
        }
        Ok(())
    };
    Ok(match owner.kind {
        OwnerKind::GitlabGroup => paginate::<GitlabProject>(first, bounds, now, fetch, wait)?
            .into_iter()
            .map(Repo::from)
            .collect(),
        _ => paginate::<GithubRepo>(first, bounds, now, fetch, wait)?
            .into_iter()
            .map(Repo::from)
            .collect(),
    })
}

/// What asks the API for one page, with the run's trust roots and the owner's token.
#[cfg(feature = "https")]
fn fetcher(forges: &Forges, owner: &Owner, token: Option<&str>) -> Result<Fetch> {
    let api = http::Api::new(&forges.ca_files, owner.is_gitlab(), token)?;
    Ok(Box::new(move |url: &str| api.get(url)))
}

/// Without the `https` feature there is no HTTP client (the flags are refused up front).
#[cfg(not(feature = "https"))]
fn fetcher(_: &Forges, _: &Owner, _: Option<&str>) -> Result<Fetch> {
    bail!("listing repositories needs a build with the https feature")
}

/// Asks the API for one page.
type Fetch = Box<dyn FnMut(&str) -> Result<Page>>;

/// The API client: reqwest over rustls, with `--api-ca`'s roots and `HTTPS_PROXY`.
#[cfg(feature = "https")]
mod http {
    use std::io::Read;

    use anyhow::{Context, Result};

    use super::Page;
    use crate::validate::http::{env_proxy, trust_roots};

    /// The most one page's answer may hold (100 repositories are about 600 KB on GitHub).
    const MAX_BODY: u64 = 32 * 1024 * 1024;

    pub struct Api {
        client: reqwest::blocking::Client,
        /// The token's header: `Authorization: Bearer` (GitHub) or `PRIVATE-TOKEN` (GitLab).
        auth: Option<(&'static str, String)>,
    }

    impl Api {
        pub fn new(
            ca_files: &[std::path::PathBuf],
            gitlab: bool,
            token: Option<&str>,
        ) -> Result<Api> {
            let mut b = reqwest::blocking::Client::builder()
                .user_agent(concat!("leakguard/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(std::time::Duration::from_secs(10))
                .timeout(std::time::Duration::from_secs(60))
                // A redirect could carry the token elsewhere: none is followed.
                .redirect(reqwest::redirect::Policy::none())
                .tls_certs_merge(trust_roots(ca_files, "--api-ca")?);
            b = match env_proxy()? {
                Some(p) => b.proxy(p),
                None => b.no_proxy(),
            };
            let client = b
                .build()
                .map_err(|e| anyhow::anyhow!("cannot make an HTTPS client: {}", e.without_url()))?;
            let auth = token.map(|t| match gitlab {
                true => ("PRIVATE-TOKEN", t.to_string()),
                false => ("Authorization", format!("Bearer {t}")),
            });
            Ok(Api { client, auth })
        }

        /// One page (the body bounded), whatever its status.
        pub fn get(&self, url: &str) -> Result<Page> {
            let mut req = self
                .client
                .get(url)
                .header("Accept", "application/vnd.github+json, application/json")
                .header("X-GitHub-Api-Version", "2022-11-28");
            if let Some((name, value)) = &self.auth {
                let mut value = reqwest::header::HeaderValue::from_str(value)
                    .context("the token is not a valid HTTP header value")?;
                value.set_sensitive(true);
                req = req.header(*name, value);
            }
            let shown = url.split('?').next().unwrap_or(url);
            let resp = req
                .send()
                .map_err(|e| anyhow::anyhow!("cannot reach {shown}: {}", e.without_url()))?;
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            };
            let status = resp.status();
            let mut page = Page {
                status: status.as_u16(),
                status_text: format!(
                    "{} {} for {shown}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ),
                link: header("link"),
                next_page: header("x-next-page"),
                remaining: header("x-ratelimit-remaining"),
                reset: header("x-ratelimit-reset"),
                retry_after: header("retry-after"),
                body: Vec::new(),
            };
            resp.take(MAX_BODY)
                .read_to_end(&mut page.body)
                .with_context(|| format!("the answer from {shown} broke off"))?;
            Ok(page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    const API: &str = "https://api.example.test";

    fn page(status: u16, body: &str, link: Option<String>) -> Page {
        Page {
            status,
            status_text: status.to_string(),
            link,
            body: body.as_bytes().to_vec(),
            ..Page::default()
        }
    }

    fn bounds(max_pages: usize) -> Bounds {
        Bounds {
            max_pages,
            max_wait: Duration::from_secs(10),
        }
    }

    #[test]
    fn the_next_link_is_found_among_the_others() {
        let h = format!(
            "<{API}/orgs/a/repos?page=1>; rel=\"prev\", <{API}/orgs/a/repos?page=3>; rel=\"next\", <{API}/orgs/a/repos?page=9>; rel=\"last\""
        );
        assert_eq!(
            next_link(&h),
            Some(format!("{API}/orgs/a/repos?page=3").as_str())
        );
        assert_eq!(
            next_link("<https://x.test/?page=2>; REL=next"),
            Some("https://x.test/?page=2")
        );
        assert_eq!(next_link("<https://x.test/?page=1>; rel=\"first\""), None);
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("<broken"), None);
    }

    #[test]
    fn gitlab_next_page_sets_the_page_parameter() {
        let u = with_page(
            "https://g.test/api/v4/groups/a/projects?per_page=100&page=2",
            "3",
        );
        assert_eq!(
            u,
            "https://g.test/api/v4/groups/a/projects?per_page=100&page=3"
        );
    }

    #[test]
    fn rate_limit_waits_come_from_the_headers() {
        let mut p = page(403, "", None);
        assert_eq!(
            rate_limit_wait(&p, 1000),
            None,
            "a plain 403 is no rate limit"
        );
        p.remaining = Some("0".into());
        p.reset = Some("1002".into());
        assert_eq!(rate_limit_wait(&p, 1000), Some(Duration::from_secs(2)));
        assert_eq!(
            rate_limit_wait(&p, 1005),
            Some(Duration::from_secs(1)),
            "reset passed"
        );
        p.retry_after = Some("7".into());
        assert_eq!(rate_limit_wait(&p, 1000), Some(Duration::from_secs(7)));
        let mut q = page(429, "", None);
        assert_eq!(rate_limit_wait(&q, 0), Some(Duration::from_secs(60)));
        q.retry_after = Some("3".into());
        assert_eq!(rate_limit_wait(&q, 0), Some(Duration::from_secs(3)));
        let mut ok = page(200, "[]", None);
        ok.remaining = Some("0".into());
        ok.reset = Some("5000".into());
        assert_eq!(rate_limit_wait(&ok, 0), None);
    }

    #[test]
    fn pages_are_followed_and_rate_limits_waited_out() {
        let calls = Cell::new(0);
        let waits = Cell::new(Duration::ZERO);
        let items: Vec<u32> = paginate(
            &format!("{API}/x?page=1"),
            bounds(10),
            || 100,
            |url| {
                calls.set(calls.get() + 1);
                Ok(match (calls.get(), url.rsplit('=').next().unwrap()) {
                    (1, "1") => page(
                        200,
                        "[1,2]",
                        Some(format!("<{API}/x?page=2>; rel=\"next\"")),
                    ),
                    (2, "2") => Page {
                        remaining: Some("0".into()),
                        reset: Some("102".into()),
                        ..page(403, "", None)
                    },
                    (3, "2") => page(200, "[3]", None),
                    other => panic!("{other:?}"),
                })
            },
            |d| {
                waits.set(waits.get() + d);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(waits.get(), Duration::from_secs(2));
    }

    #[test]
    fn an_endless_listing_stops_at_the_page_cap() {
        let calls = Cell::new(0);
        let err = paginate::<u32>(
            &format!("{API}/x"),
            bounds(5),
            || 0,
            |_| {
                calls.set(calls.get() + 1);
                Ok(page(
                    200,
                    "[1]",
                    Some(format!("<{API}/x?again>; rel=\"next\"")),
                ))
            },
            |_| Ok(()),
        )
        .unwrap_err();
        assert_eq!(calls.get(), 5);
        assert!(format!("{err:#}").contains("beyond 5 pages"), "{err:#}");
    }

    #[test]
    fn too_long_a_wait_another_origin_garbage_and_errors_fail() {
        let run = |answer: Page| {
            let err = paginate::<u32>(
                &format!("{API}/x"),
                bounds(5),
                || 0,
                |_| Ok(answer.clone()),
                |_| Ok(()),
            )
            .unwrap_err();
            format!("{err:#}")
        };
        let e = run(Page {
            retry_after: Some("3600".into()),
            ..page(429, "", None)
        });
        assert!(e.contains("rate limited"), "{e}");
        let e = run(page(
            200,
            "[1]",
            Some("<https://elsewhere.test/x>; rel=\"next\"".into()),
        ));
        assert!(e.contains("another origin"), "{e}");
        let e = run(page(200, "<html>", None));
        assert!(e.contains("not a list of repositories"), "{e}");
        let e = run(page(404, "{}", None));
        assert!(
            e.contains("404") && e.contains("no such organisation"),
            "{e}"
        );
        let e = run(page(401, "{}", None));
        assert!(e.contains("401") && e.contains("token"), "{e}");
    }

    #[test]
    fn the_token_goes_to_the_forge_s_own_host_only() {
        assert!(same_forge(
            "https://api.github.com",
            "https://github.com/a/b.git"
        ));
        assert!(same_forge(
            "https://ghe.test/api/v3",
            "https://ghe.test/a/b.git"
        ));
        assert!(same_forge(
            "http://127.0.0.1:4000",
            "http://127.0.0.1:5000/a/b.git"
        ));
        assert!(!same_forge(
            "https://api.github.com",
            "https://evil.test/a/b.git"
        ));
        assert!(!same_forge(
            "https://gitlab.com/api/v4",
            "https://gitlab.com.evil.test/a.git"
        ));
    }

    #[test]
    fn both_forges_shapes_are_read() {
        let gh: Vec<GithubRepo> = serde_json::from_str(
            r#"[{"name":"a","full_name":"o/a","clone_url":"https://h/o/a.git","ssh_url":"git@h:o/a.git","fork":true,"archived":false,"pushed_at":"2024-01-01T00:00:00Z","extra":1}]"#,
        )
        .unwrap();
        let r = Repo::from(gh.into_iter().next().unwrap());
        assert!(r.fork && !r.archived);
        let gl: Vec<GitlabProject> = serde_json::from_str(
            r#"[{"path_with_namespace":"g/s/p","http_url_to_repo":"https://h/g/s/p.git","ssh_url_to_repo":"git@h:g/s/p.git","forked_from_project":null,"archived":true,"last_activity_at":"2024-01-01T00:00:00Z"},
                {"path_with_namespace":"g/f","http_url_to_repo":"https://h/g/f.git","ssh_url_to_repo":"git@h:g/f.git","forked_from_project":{"id":1},"archived":false,"last_activity_at":null}]"#,
        )
        .unwrap();
        let rs: Vec<Repo> = gl.into_iter().map(Repo::from).collect();
        assert!(!rs[0].fork && rs[0].archived);
        assert!(rs[1].fork && rs[1].activity.is_none());
        assert_eq!(
            first_page("https://g.test/api/v4", &Owner { kind: OwnerKind::GitlabGroup, name: "a/b".into() }),
            "https://g.test/api/v4/groups/a%2Fb/projects?include_subgroups=true&with_shared=false&per_page=100"
        );
    }
}
