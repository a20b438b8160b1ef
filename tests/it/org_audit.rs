//! `audit --github-org`, `--github-user` and `--gitlab-group` against a loopback HTTPS
//! server (`mock_issuer`'s, with its test CA: git sends credentials over https only): a mock
//! of the forges' REST APIs in their documented shapes (pages, rate limits, garbage,
//! endless pages, 401 and 404), and the repositories served over real git smart HTTP by
//! `git http-backend` (CGI), which checks the token arrives as Basic credentials and counts
//! every git request. Nothing but 127.0.0.1 is ever contacted.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::mock_issuer::{Answer, Mock, Request};
use crate::util::{commit_in, git, leakguard, monime, synthetic, Tree, ALNUM};

/// A request's path, without the query.
fn path(req: &Request) -> &str {
    req.target.split('?').next().unwrap_or("")
}

/// A query parameter of a request.
fn query<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    let q = req.target.split_once('?')?.1;
    q.split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Status, headers, body.
type Resp = (u16, Vec<(String, String)>, Vec<u8>);

/// The loopback HTTPS mock (`mock_issuer`'s, with its test CA): `/api/…` answered by the
/// test's mock of the API (given the server's base URL), `/git/…` by `git http-backend`
/// over the bare repositories under `root`.
struct Server {
    mock: Mock,
}

impl Server {
    /// `auth`: the Basic credentials (`user:token`) git requests must carry.
    fn start(
        root: &Path,
        auth: &str,
        api: impl Fn(&Request, &str) -> Resp + Send + Sync + 'static,
    ) -> Server {
        let root = root.to_path_buf();
        let basic = format!("Basic {}", crate::util::base64(auth.as_bytes()));
        let mock = Mock::start(move |req| {
            let base = format!("https://{}", req.header("host").unwrap_or_default());
            let (status, headers, body) = match req.target.strip_prefix("/git/") {
                Some(rest) => match req.header("authorization") {
                    None => (
                        401,
                        vec![("WWW-Authenticate".into(), "Basic realm=\"git\"".into())],
                        b"credentials, please".to_vec(),
                    ),
                    Some(a) if a != basic => (403, Vec::new(), b"wrong".to_vec()),
                    Some(_) => http_backend(&root, rest, req),
                },
                None => api(req, &base),
            };
            Answer::Plain(status, headers, body)
        });
        Server { mock }
    }

    fn api_url(&self) -> String {
        self.mock.url("/api")
    }

    fn ca(&self) -> &Path {
        self.mock.ca_path()
    }

    fn git_requests(&self) -> Vec<Request> {
        let all = self.mock.requests().into_iter();
        all.filter(|r| r.target.starts_with("/git/")).collect()
    }

    fn api_requests(&self) -> Vec<Request> {
        let all = self.mock.requests().into_iter();
        all.filter(|r| r.target.starts_with("/api/")).collect()
    }
}

/// `git http-backend` run as CGI for one request: its `Status:` and headers parsed.
fn http_backend(root: &Path, path: &str, req: &Request) -> Resp {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut cmd = std::process::Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{path}"))
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", &req.method)
        .env("REMOTE_USER", "test")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_TYPE", req.header("content-type").unwrap_or(""))
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (name, var) in [
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
    ] {
        if let Some(v) = req.header(name) {
            cmd.env(var, v);
        }
    }
    let mut child = cmd.spawn().expect("git http-backend runs");
    let mut stdin = child.stdin.take().unwrap();
    let body = req.body.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let raw = out.stdout;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            raw.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })
        .expect("CGI headers");
    let mut status = 200;
    let mut headers = Vec::new();
    for line in String::from_utf8_lossy(&raw[..split.0]).lines() {
        let Some((n, v)) = line.split_once(':') else {
            continue;
        };
        if n.eq_ignore_ascii_case("status") {
            status = v.trim().split(' ').next().unwrap().parse().unwrap();
        } else {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    (status, headers, raw[split.1..].to_vec())
}

/// A JSON answer with extra headers.
fn json_resp(value: &Value, headers: Vec<(String, String)>) -> Resp {
    (200, headers, serde_json::to_vec(value).unwrap())
}

/// A synthetic forge token (obviously not a real one, yet shaped to be found if it leaked).
fn token(seed: u64) -> String {
    format!("ghp_{}", synthetic(seed, 36, ALNUM))
}

/// A site: bare repositories under `git/`, the clone directory, datastores.
struct Site {
    tree: Tree,
}

impl Site {
    fn new() -> Site {
        let site = Site { tree: Tree::new() };
        std::fs::create_dir_all(site.tree.join("git")).unwrap();
        site
    }

    fn git_root(&self) -> PathBuf {
        self.tree.join("git")
    }

    /// A bare repository `git/{path}.git` with one commit of `files`.
    fn repo(&self, path: &str, files: &[(&str, &str)]) {
        let work = self.tree.join(&format!("work/{path}"));
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        self.commit(&work, files);
        let bare = self.git_root().join(format!("{path}.git"));
        std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
        git(
            &self.tree.join("."),
            &[
                "clone",
                "-q",
                "--bare",
                work.to_str().unwrap(),
                bare.to_str().unwrap(),
            ],
        );
    }

    /// Another commit pushed to `git/{path}.git`.
    fn push(&self, path: &str, files: &[(&str, &str)]) {
        let work = self.tree.join(&format!("work/{path}"));
        self.commit(&work, files);
        let bare = self.git_root().join(format!("{path}.git"));
        git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
    }

    fn commit(&self, work: &Path, files: &[(&str, &str)]) {
        for (p, c) in files {
            std::fs::write(work.join(p), c).unwrap();
        }
        git(work, &["add", "-A"]);
        let date = "2024-03-04T05:06:07Z";
        commit_in(
            work,
            "change",
            &[("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)],
        );
    }

    fn db(&self) -> PathBuf {
        self.tree.join("audit.db")
    }

    /// `leakguard audit --db audit.db ARGS` with `envs`: (code, stdout, stderr).
    fn audit(
        &self,
        server: &Server,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> (i32, String, String) {
        let out = leakguard()
            .current_dir(self.tree.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITLAB_TOKEN")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env("NO_PROXY", "*")
            .env("SSL_CERT_FILE", server.ca())
            .args(["audit", "--db", self.db().to_str().unwrap()])
            .args(["--clone-dir", self.tree.join("clones").to_str().unwrap()])
            .args(["--api-url", &server.api_url()])
            .args(["--api-ca", server.ca().to_str().unwrap()])
            .args(args)
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `leakguard report --format FORMAT`.
    fn report(&self, format: &str) -> String {
        let out = leakguard()
            .current_dir(self.tree.path())
            .args([
                "report",
                "--db",
                self.db().to_str().unwrap(),
                "--format",
                format,
            ])
            .args(["--all-statuses"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    /// (name, origin, error) of every repository in the datastore.
    fn repositories(&self) -> Vec<(String, Option<String>, Option<String>)> {
        let report: Value = serde_json::from_str(&self.report("json")).unwrap();
        report["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["origin"].as_str().map(String::from),
                    r["error"].as_str().map(String::from),
                )
            })
            .collect()
    }

    /// Every byte of the datastore (with its WAL, if any) and of the clone directory.
    fn stored_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for f in [self.db(), self.tree.join("audit.db-wal")] {
            all.extend(std::fs::read(f).unwrap_or_default());
        }
        fn walk(dir: &Path, all: &mut Vec<u8>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, all);
                } else {
                    all.extend(std::fs::read(&p).unwrap_or_default());
                }
            }
        }
        walk(&self.tree.join("clones"), &mut all);
        all
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A GitHub repository as `GET /orgs/{org}/repos` lists it.
fn github_repo(base: &str, full: &str, fork: bool, archived: bool, pushed: &str) -> Value {
    json!({
        "id": 1,
        "name": full.rsplit('/').next().unwrap(),
        "full_name": full,
        "private": false,
        "clone_url": format!("{base}/git/{full}.git"),
        "ssh_url": format!("ssh://git@127.0.0.1:1/{full}.git"),
        "fork": fork,
        "archived": archived,
        "pushed_at": pushed,
    })
}

/// The GitHub mock of organisation `acme`: its repositories two a page, through `Link`
/// headers; page 2 is first answered with a rate limit (reset a second away), once.
fn github_acme(
    pushed: Arc<Mutex<HashMap<String, String>>>,
) -> impl Fn(&Request, &str) -> Resp + Send + Sync {
    let limited = Mutex::new(false);
    move |req, base| {
        // The organisation, and a user of the same name (`GET /users/{user}/repos`).
        let listing = path(req);
        if listing != "/api/orgs/acme/repos" && listing != "/api/users/acme/repos" {
            return (404, Vec::new(), br#"{"message":"Not Found"}"#.to_vec());
        }
        let page: usize = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
        if page == 2 && !std::mem::replace(&mut *limited.lock().unwrap(), true) {
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 1;
            return (
                403,
                vec![
                    ("X-RateLimit-Remaining".into(), "0".into()),
                    ("X-RateLimit-Reset".into(), reset.to_string()),
                ],
                br#"{"message":"API rate limit exceeded"}"#.to_vec(),
            );
        }
        let pushed = pushed.lock().unwrap();
        let at = |name: &str| {
            pushed
                .get(name)
                .cloned()
                .unwrap_or_else(|| "2024-03-04T05:06:07Z".into())
        };
        let all = [
            github_repo(base, "acme/api", false, false, &at("api")),
            github_repo(base, "acme/web", false, false, &at("web")),
            github_repo(base, "acme/forked", true, false, &at("forked")),
            github_repo(base, "acme/old", false, true, &at("old")),
            github_repo(base, "acme/tools", false, false, &at("tools")),
        ];
        let items: Vec<Value> = all.iter().skip((page - 1) * 2).take(2).cloned().collect();
        let mut headers = Vec::new();
        if page * 2 < all.len() {
            let next = format!("{base}{listing}?per_page=100&page={}", page + 1);
            let last = format!("{base}{listing}?per_page=100&page=3");
            headers.push((
                "Link".into(),
                format!("<{next}>; rel=\"next\", <{last}>; rel=\"last\""),
            ));
        }
        json_resp(&Value::Array(items), headers)
    }
}

/// The secrets in acme's repositories, one per repository.
fn acme_site() -> Site {
    let site = Site::new();
    let py = |seed| format!("TOKEN = \"{}\"\n", monime(seed));
    site.repo("acme/api", &[("settings.py", &py(9101))]);
    site.repo("acme/web", &[("README.md", "# web\n")]);
    site.repo("acme/forked", &[("fork.py", &py(9102))]);
    site.repo("acme/old", &[("old.py", &py(9103))]);
    site.repo("acme/tools", &[("tools.py", &py(9104))]);
    site
}

#[test]
fn an_organisation_is_listed_page_by_page_cloned_with_the_token_and_skipped_when_idle() {
    let site = acme_site();
    let tok = token(77);
    let pushed: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let server = Server::start(
        &site.git_root(),
        &format!("x-access-token:{tok}"),
        github_acme(pushed.clone()),
    );
    let args = ["--github-org", "acme", "--exclude-archived"];
    let envs = [("GITHUB_TOKEN", tok.as_str())];

    let (code, out, err) = site.audit(&server, &args, &envs);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("github-org:acme: rate limited by the API, waiting"),
        "{err}"
    );
    assert!(
        out.contains("3 repositories audited") && out.contains("3 scanned"),
        "{out}"
    );
    assert!(
        out.contains("leakguard: from github-org:acme: 3 repositories (0 failed)"),
        "{out}"
    );
    let repos = site.repositories();
    let names: Vec<&str> = repos.iter().map(|r| r.0.as_str()).collect();
    let host = "127.0.0.1";
    assert_eq!(
        names,
        [
            format!("{host}/git/acme/api"),
            format!("{host}/git/acme/tools"),
            format!("{host}/git/acme/web")
        ],
        "the fork and the archived repository are left out"
    );
    assert!(
        repos
            .iter()
            .all(|r| r.1.as_deref() == Some("github-org:acme") && r.2.is_none()),
        "{repos:?}"
    );
    // The API got the token as a bearer token; git got it as Basic credentials, every
    // request after the first challenge.
    let api_reqs = server.api_requests();
    assert_eq!(api_reqs.len(), 4, "three pages and one rate-limited answer");
    let bearer = format!("Bearer {tok}");
    assert!(api_reqs
        .iter()
        .all(|r| r.header("authorization") == Some(bearer.as_str())));
    let fetched = server.git_requests();
    assert!(
        fetched.iter().any(|r| r.header("authorization").is_some()),
        "{fetched:?}"
    );
    // The findings of the cloned repositories are in the datastore.
    let report: Value = serde_json::from_str(&site.report("json")).unwrap();
    let found: Vec<String> = report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["locations"].as_array().unwrap().iter())
        .map(|l| {
            format!(
                "{}:{}",
                l["repository"].as_str().unwrap(),
                l["path"].as_str().unwrap()
            )
        })
        .collect();
    let mut found = found;
    found.sort();
    assert_eq!(
        found,
        [
            format!("{host}/git/acme/api:settings.py"),
            format!("{host}/git/acme/tools:tools.py")
        ]
    );
    // The HTML report groups the repositories under their origin.
    let html = site.report("html");
    assert!(
        html.contains("data-origin=\"github-org:acme\""),
        "no origin group"
    );
    assert!(
        html.contains("github-org:acme</code> (3)"),
        "no origin heading"
    );
    // The token is nowhere: not in any output, the datastore or the clones.
    for text in [&out, &err, &html] {
        assert!(!text.contains(&tok));
    }
    assert!(
        !contains(&site.stored_bytes(), &tok),
        "the token was stored"
    );

    // Re-run: nothing was pushed, so nothing is fetched.
    let before = server.git_requests().len();
    let (code, out, err) = site.audit(&server, &args, &envs);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("3 unchanged"), "{out}");
    assert_eq!(
        server.git_requests().len(),
        before,
        "an idle repository was fetched"
    );

    // A push to one repository, and its pushed_at moves: only it is fetched, and its new
    // secret found.
    site.push(
        "acme/web",
        &[("web.py", &format!("TOKEN = \"{}\"\n", monime(9105)))],
    );
    pushed
        .lock()
        .unwrap()
        .insert("web".into(), "2024-04-01T00:00:00Z".into());
    let (code, out, err) = site.audit(&server, &args, &envs);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("1 scanned, 2 unchanged"), "{out}");
    let new: Vec<Request> = server.git_requests().split_off(before);
    assert!(
        !new.is_empty()
            && new
                .iter()
                .all(|r| r.target.starts_with("/git/acme/web.git/")),
        "{new:?}"
    );
    assert!(site.report("json").contains("web.py"));

    // --include-forks adds the fork (archived is still left out).
    let (code, out, err) = site.audit(
        &server,
        &[
            "--github-org",
            "acme",
            "--exclude-archived",
            "--include-forks",
        ],
        &envs,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("4 repositories audited") && out.contains("1 scanned"),
        "{out}"
    );
    assert!(site
        .repositories()
        .iter()
        .any(|r| r.0.ends_with("acme/forked")));
    assert!(
        !contains(&site.stored_bytes(), &tok),
        "the token was stored"
    );
}

/// The GitLab mock of group `grp/sub`: projects one a page through `X-Next-Page` only.
fn gitlab_group() -> impl Fn(&Request, &str) -> Resp + Send + Sync {
    let limited = Mutex::new(false);
    move |req, base| {
        if path(req) != "/api/groups/grp%2Fsub/projects"
            || query(req, "include_subgroups") != Some("true")
        {
            return (
                404,
                Vec::new(),
                br#"{"message":"404 Group Not Found"}"#.to_vec(),
            );
        }
        let project = |path: &str, fork: bool| {
            let mut p = json!({
                "id": 7,
                "path_with_namespace": path,
                "http_url_to_repo": format!("{base}/git/{path}.git"),
                "ssh_url_to_repo": format!("ssh://git@127.0.0.1:1/{path}.git"),
                "archived": false,
                "last_activity_at": "2024-03-04T05:06:07.000Z",
            });
            if fork {
                p["forked_from_project"] = json!({"id": 1, "path_with_namespace": "up/stream"});
            }
            p
        };
        let all = [
            project("grp/sub/app", false),
            project("grp/sub/deep/lib", false),
            project("grp/sub/copy", true),
        ];
        let page: usize = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
        // Page 3 is first answered 429 with a Retry-After of a second, once.
        if page == 3 && !std::mem::replace(&mut *limited.lock().unwrap(), true) {
            let headers = vec![("Retry-After".into(), "1".into())];
            return (
                429,
                headers,
                br#"{"message":"429 Too Many Requests"}"#.to_vec(),
            );
        }
        let next = if page < all.len() {
            (page + 1).to_string()
        } else {
            String::new()
        };
        json_resp(&json!([all[page - 1]]), vec![("X-Next-Page".into(), next)])
    }
}

#[test]
fn a_gitlab_group_is_listed_with_its_subgroups_and_cloned_as_oauth2() {
    let site = Site::new();
    site.repo(
        "grp/sub/app",
        &[("app.py", &format!("TOKEN = \"{}\"\n", monime(9201)))],
    );
    site.repo("grp/sub/deep/lib", &[("lib.py", "x = 1\n")]);
    site.repo("grp/sub/copy", &[("copy.py", "x = 2\n")]);
    let tok = format!("glpat-{}", synthetic(78, 20, ALNUM));
    let server = Server::start(&site.git_root(), &format!("oauth2:{tok}"), gitlab_group());
    let (code, out, err) = site.audit(
        &server,
        &["--gitlab-group", "grp/sub"],
        &[("GITLAB_TOKEN", &tok)],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("2 repositories audited") && out.contains("2 scanned"),
        "{out}"
    );
    let repos = site.repositories();
    assert!(
        repos
            .iter()
            .all(|r| r.1.as_deref() == Some("gitlab-group:grp/sub")),
        "{repos:?}"
    );
    assert!(
        repos.iter().any(|r| r.0.ends_with("grp/sub/deep/lib")),
        "{repos:?}"
    );
    assert_eq!(server.api_requests().len(), 4, "three pages and one 429");
    assert!(
        err.contains("gitlab-group:grp/sub: rate limited by the API, waiting 1 s"),
        "{err}"
    );
    assert!(server
        .api_requests()
        .iter()
        .all(|r| r.header("private-token") == Some(tok.as_str())));
    assert!(!out.contains(&tok) && !err.contains(&tok));
    assert!(!contains(&site.stored_bytes(), &tok));
}

/// The mock's answers for owners that cannot be listed.
fn broken_api(req: &Request, base: &str) -> Resp {
    match path(req) {
        // Pages for ever, each pointing at the next.
        "/api/orgs/endless/repos" => {
            let page: usize = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let next = format!("{base}/api/orgs/endless/repos?page={}", page + 1);
            json_resp(
                &json!([]),
                vec![("Link".into(), format!("<{next}>; rel=\"next\""))],
            )
        }
        "/api/orgs/garbage/repos" => (200, Vec::new(), b"<html>Service Unavailable".to_vec()),
        "/api/orgs/locked/repos" => (
            401,
            Vec::new(),
            br#"{"message":"Bad credentials"}"#.to_vec(),
        ),
        _ => (404, Vec::new(), br#"{"message":"Not Found"}"#.to_vec()),
    }
}

#[test]
fn owners_that_cannot_be_listed_are_recorded_and_the_audit_goes_on() {
    let site = Site::new();
    let tok = token(79);
    let server = Server::start(
        &site.git_root(),
        &format!("x-access-token:{tok}"),
        broken_api,
    );
    // A local repository with a secret, audited alongside.
    let local = site.tree.join("local");
    std::fs::create_dir_all(&local).unwrap();
    git(&local, &["init", "-q", "-b", "main"]);
    site.commit(
        &local,
        &[("a.py", &format!("TOKEN = \"{}\"\n", monime(9301)))],
    );
    let args = [
        "--github-org",
        "endless",
        "--github-org",
        "garbage",
        "--github-org",
        "locked",
        "--github-user",
        "ghost",
        local.to_str().unwrap(),
    ];
    let start = std::time::Instant::now();
    let (code, out, err) = site.audit(
        &server,
        &args,
        &[("GITHUB_TOKEN", &tok), ("LEAKGUARD_FORGE_MAX_PAGES", "5")],
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(code, 2, "an incomplete audit\n{out}\n{err}");
    assert!(
        out.contains("1 scanned") && out.contains("4 failed"),
        "{out}"
    );
    for (owner, says) in [
        ("github-org:endless", "beyond 5 pages"),
        ("github-org:garbage", "not a list of repositories"),
        ("github-org:locked", "401 Unauthorized"),
        ("github-user:ghost", "404 Not Found"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("{owner}: cannot list")))
            .unwrap_or_else(|| panic!("{owner}: {err}"));
        assert!(line.contains(says), "{line}");
    }
    let repos = site.repositories();
    assert_eq!(repos.len(), 5, "{repos:?}");
    assert_eq!(
        repos.iter().filter(|r| r.2.is_some()).count(),
        4,
        "{repos:?}"
    );
    assert_eq!(
        server
            .api_requests()
            .iter()
            .filter(|r| path(r) == "/api/orgs/endless/repos")
            .count(),
        5
    );
    assert!(server.git_requests().is_empty());
    assert!(!out.contains(&tok) && !err.contains(&tok));
    assert!(!contains(&site.stored_bytes(), &tok));
}

#[test]
fn a_user_is_listed_without_a_token_and_cloned_over_ssh() {
    let site = acme_site();
    let server = Server::start(
        &site.git_root(),
        "nobody:nothing",
        github_acme(Arc::default()),
    );
    let (code, out, err) = site.audit(
        &server,
        &["--github-user", "acme", "--clone-protocol", "ssh"],
        &[("GIT_SSH_COMMAND", "false")],
    );
    // Every ssh clone fails (no ssh server here): each is a recorded failure.
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(server
        .api_requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
    assert!(server.git_requests().is_empty(), "https was used");
    let repos = site.repositories();
    assert_eq!(repos.len(), 4, "{repos:?}");
    assert!(
        repos
            .iter()
            .all(|r| r.2.is_some() && r.1.as_deref() == Some("github-user:acme")),
        "{repos:?}"
    );
    let listed = server.api_requests();
    assert_eq!(listed.len(), 4, "three pages and one rate limit");
    assert!(listed.iter().all(|r| path(r) == "/api/users/acme/repos"));
    // Merged into another datastore, the repositories keep their origin.
    let merged = site.tree.join("merged.db");
    let out = leakguard()
        .args([
            "merge",
            site.db().to_str().unwrap(),
            "-o",
            merged.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = leakguard()
        .args([
            "report",
            "--db",
            merged.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let origins: Vec<&Value> = report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["origin"])
        .collect();
    assert_eq!(origins, vec![&json!("github-user:acme"); 4]);
}
