//! Credentials in the repository URLs an audit is given: a token as the user name (GitHub's
//! form), as the password, in git's `user@host:path` form, in URLs that do not parse, and in
//! what gix and ssh say about them. None reaches stdout, stderr, the datastore or a report;
//! a URL that cannot be read is a failed repository, and the audit goes on. `file://` is
//! read in place: no process is started for it. Network: loopback only.

// A skipped variant says why on stderr.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{commit_in, git, leakguard, monime, synthetic, Repo, Tree, ALNUM};

/// A GitHub-style token, synthetic.
fn token(seed: u64) -> String {
    format!("ghp_{}", synthetic(seed, 36, ALNUM))
}

/// `leakguard ARGS` in `root`, its cache and clones inside it, git config isolated.
fn run(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let out = leakguard()
        .current_dir(root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("XDG_CACHE_HOME", root.join("cache"))
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file of the datastore (the database, its WAL and journal) as bytes.
fn datastore_bytes(db: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-journal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(b) = std::fs::read(PathBuf::from(p)) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// `(name, location, error)` of every repository in the datastore, read with SQLite itself.
fn repositories(db: &Path) -> Vec<(String, String, Option<String>)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT name, location, error FROM repositories ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A stand-in for `ssh` (through `GIT_SSH_COMMAND`, which gix honours as git does) that says
/// what a real one says when a key is refused: its arguments, `user@host` among them.
fn fake_ssh(dir: &Path) -> PathBuf {
    let p = dir.join("fake-ssh");
    std::fs::write(
        &p,
        "#!/bin/sh\necho \"$*: Permission denied (publickey).\" >&2\nexit 255\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    p
}

#[test]
#[cfg(unix)]
fn tokens_in_urls_reach_no_output_datastore_or_report() {
    let root = Tree::new();
    let good = Repo::new();
    let secret = monime(2101);
    good.write("a.py", format!("TOKEN = \"{secret}\"\n"));
    good.commit_all("one");
    let t = token(2102);
    let ssh = fake_ssh(root.path());
    let list = root.join("repos.txt");
    // Given in --repos: URLs that do not parse, one of them the issue's.
    std::fs::write(
        &list,
        format!(
            "ssh://git:{t}@bad host/x\nhttps://{t}@\nhttps://user:{t}@exa mple.test/o/r\n{}\n",
            good.path().display()
        ),
    )
    .unwrap();
    let urls = [
        // A token as the user name, GitHub's form, over every transport.
        format!("https://{t}@127.0.0.1:9/org/one.git"),
        format!("git://{t}@127.0.0.1:9/org/two.git"),
        format!("ssh://{t}@127.0.0.1:9/org/three.git"),
        // As the password.
        format!("https://x-access-token:{t}@127.0.0.1:9/org/four.git"),
        format!("ssh://git:{t}@127.0.0.1:9/org/five.git"),
        // git's scp-like form, with the token as the user, and as a password.
        format!("{t}@127.0.0.1:org/six.git"),
        format!("user:{t}@127.0.0.1:org/seven.git"),
        // Percent-encoded, which gix decodes in its messages.
        format!(
            "https://u:{}%40{}@127.0.0.1:9/org/eight.git",
            &t[..20],
            &t[20..]
        ),
    ];
    let db = root.join("a.db");
    let mut args = vec!["audit", "--db", db.to_str().unwrap(), "--repos"];
    args.push(list.to_str().unwrap());
    args.extend(urls.iter().map(String::as_str));
    let out = run(
        root.path(),
        &args,
        &[("GIT_SSH_COMMAND", ssh.to_str().unwrap())],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let pieces = [t.clone(), t[..20].to_string(), t[20..].to_string()];
    for p in &pieces {
        assert!(
            !stdout.contains(p.as_str()),
            "stdout shows the token:\n{stdout}"
        );
        assert!(
            !stderr.contains(p.as_str()),
            "stderr shows the token:\n{stderr}"
        );
    }
    // The audit went on past every bad URL: the good repository was scanned, the rest failed.
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 scanned, 0 unchanged, 11 failed"),
        "{stdout}{stderr}"
    );
    assert!(stderr.contains("ssh://***@bad host/x"), "{stderr}");
    assert!(
        stderr.contains("git://***@127.0.0.1:9/org/two.git"),
        "{stderr}"
    );
    assert!(stderr.contains("***@127.0.0.1:org/six.git"), "{stderr}");
    assert!(
        !stderr.contains("no such file"),
        "scp-like taken for a path:\n{stderr}"
    );

    // The datastore: no token in any column, nor anywhere in its files.
    let rows = repositories(&db);
    assert_eq!(rows.len(), 12, "{rows:#?}");
    for (name, location, error) in &rows {
        for p in &pieces {
            let all = format!("{name} {location} {error:?}");
            assert!(!all.contains(p.as_str()), "stored: {all}");
        }
    }
    let failed = rows.iter().filter(|r| r.2.is_some()).count();
    assert_eq!(failed, 11, "{rows:#?}");
    assert!(
        rows.iter().any(|r| r.1 == "ssh://***@bad host/x"),
        "{rows:#?}"
    );
    let bytes = datastore_bytes(&db);
    for p in &pieces {
        assert!(!contains(&bytes, p), "the datastore's files hold the token");
    }

    // Every report.
    for format in ["json", "html", "text", "csv", "sarif"] {
        let out = run(
            root.path(),
            &["report", "--db", db.to_str().unwrap(), "--format", format],
            &[],
        );
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        for p in &pieces {
            assert!(!contains(&out.stdout, p), "{format} report shows the token");
        }
        assert!(!contains(&out.stdout, &secret), "{format} shows the secret");
    }
    let json: serde_json::Value = serde_json::from_slice(
        &run(
            root.path(),
            &["report", "--db", db.to_str().unwrap(), "--format", "json"],
            &[],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(json["summary"]["repositories_failed"], 11, "{json:#}");
    assert_eq!(json["incidents"].as_array().unwrap().len(), 1, "{json:#}");
}

/// A malformed URL alone: the datastore is made, the failure is in it, redacted; exit 2.
#[test]
fn a_malformed_url_is_a_failed_repository_not_an_abort() {
    let root = Tree::new();
    let t = token(2111);
    let list = root.join("repos.txt");
    std::fs::write(&list, format!("ssh://git:{t}@bad host/x\n")).unwrap();
    let db = root.join("a.db");
    let args = [
        "audit",
        "--db",
        db.to_str().unwrap(),
        "--repos",
        list.to_str().unwrap(),
    ];
    let out = run(root.path(), &args, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        !stdout.contains(&t) && !stderr.contains(&t),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("0 scanned, 0 unchanged, 1 failed"),
        "{stdout}"
    );
    assert!(stderr.contains("not a git URL"), "{stderr}");
    assert!(stderr.contains("incomplete"), "{stderr}");
    let rows = repositories(&db);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "ssh://***@bad host/x");
    assert!(rows[0].2.as_deref().unwrap().contains("not a git URL"));
    assert!(!contains(&datastore_bytes(&db), &t));
}

/// A mistyped path that looks like credentials is not printed in clear either.
#[test]
fn a_path_that_looks_like_credentials_is_redacted() {
    let root = Tree::new();
    let t = token(2121);
    let db = root.join("a.db");
    let odd = format!("user:{t}@host/org/repo");
    let out = run(
        root.path(),
        &["audit", "--db", db.to_str().unwrap(), &odd],
        &[],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        !stdout.contains(&t) && !stderr.contains(&t),
        "{stdout}{stderr}"
    );
    for (name, location, error) in repositories(&db) {
        let all = format!("{name} {location} {error:?}");
        assert!(!all.contains(&t), "{all}");
    }
}

/// `file://` is the repository on disk, read in place like its path: no clone, and no
/// process (gix would start `git-upload-pack` to clone it). A `git` and a
/// `git-upload-pack` first on PATH would leave a mark if anything ran them.
#[test]
#[cfg(unix)]
fn file_urls_are_read_in_place_without_starting_a_process() {
    use std::os::unix::fs::PermissionsExt;
    let root = Tree::new();
    let origin = Repo::new();
    origin.write("a.py", format!("TOKEN = \"{}\"\n", monime(2131)));
    origin.commit_all("one");
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mark = root.join("ran");
    for name in ["git", "git-upload-pack", "ssh"] {
        let p = bin.join(name);
        std::fs::write(
            &p,
            format!("#!/bin/sh\necho {name} >> '{}'\nexit 1\n", mark.display()),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let db = root.join("a.db");
    let t = token(2132);
    for url in [
        format!("file://{}", origin.path().display()),
        format!("file://{t}@{}", origin.path().display()),
    ] {
        let out = run(
            root.path(),
            &["audit", "--db", db.to_str().unwrap(), &url],
            &[("PATH", &path)],
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(
            !stdout.contains(&t) && !stderr.contains(&t),
            "{stdout}{stderr}"
        );
        assert_eq!(out.status.code(), Some(1), "{url}: {stdout}{stderr}");
    }
    assert!(
        !mark.exists(),
        "a process ran: {:?}",
        std::fs::read_to_string(&mark)
    );
    assert!(!root.join("cache").exists(), "a file:// URL was cloned");
    // One repository, under its path: the same as auditing the path itself.
    let rows = repositories(&db);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let canonical = std::fs::canonicalize(origin.path()).unwrap();
    assert_eq!(rows[0].0, canonical.to_str().unwrap());
}

/// A git:// URL is cloned over loopback from `git daemon` (gix speaks the protocol itself:
/// no process), then fetched by the next run; a token given as its user is refused by gix
/// and never shown.
#[test]
#[cfg(unix)]
fn git_urls_are_cloned_over_loopback_then_fetched() {
    let root = Tree::new();
    let served = root.join("srv");
    std::fs::create_dir_all(&served).unwrap();
    let origin = Repo::new();
    origin.write("a.py", format!("TOKEN = \"{}\"\n", monime(2141)));
    origin.commit_all("one");
    git(
        &served,
        &[
            "clone",
            "-q",
            "--bare",
            origin.path().to_str().unwrap(),
            "r.git",
        ],
    );
    let Some(daemon) = Daemon::start(&served) else {
        eprintln!("SKIPPED: `git daemon` is not available");
        return;
    };
    let url = format!("git://127.0.0.1:{}/r.git", daemon.port);
    let db = root.join("a.db");
    let args = ["audit", "--db", db.to_str().unwrap(), &url];
    let out = run(root.path(), &args, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let clones = root.join("cache/leakguard/clones");
    assert_eq!(std::fs::read_dir(&clones).unwrap().count(), 1);
    origin.git(&["checkout", "-q", "-b", "feature"]);
    origin.write("b.py", format!("TOKEN = \"{}\"\n", monime(2142)));
    origin.commit_all("two");
    origin.git(&[
        "push",
        "-q",
        served.join("r.git").to_str().unwrap(),
        "feature",
    ]);
    let out = run(root.path(), &args, &[]);
    assert!(
        text(&out.stdout).contains("1 scanned"),
        "{}",
        text(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(
        &run(
            root.path(),
            &["report", "--db", db.to_str().unwrap(), "--format", "json"],
            &[],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(json["incidents"].as_array().unwrap().len(), 2, "{json:#}");

    let t = token(2143);
    let with_token = format!("git://{t}@127.0.0.1:{}/r.git", daemon.port);
    let out = run(
        root.path(),
        &["audit", "--db", db.to_str().unwrap(), &with_token],
        &[],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !stdout.contains(&t) && !stderr.contains(&t),
        "{stdout}{stderr}"
    );
    assert!(!contains(&datastore_bytes(&db), &t));
}

/// `git daemon` serving `dir` on a free loopback port, stopped when dropped.
struct Daemon {
    child: std::process::Child,
    port: u16,
}

impl Daemon {
    fn start(dir: &Path) -> Option<Daemon> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        // `git-daemon` itself, not `git daemon`: killing the `git` wrapper would leave the
        // daemon running.
        let exec = std::process::Command::new("git")
            .arg("--exec-path")
            .output()
            .ok()?;
        let exec = PathBuf::from(String::from_utf8_lossy(&exec.stdout).trim());
        let child = std::process::Command::new(exec.join("git-daemon"))
            .args(["--reuseaddr", "--listen=127.0.0.1", "--export-all"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", dir.display()))
            .arg(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let daemon = Daemon { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(daemon);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory named after a token (`keys-<token>/`), a repository or not, is shown and
/// stored with the token redacted, like a file of that name.
#[test]
fn a_local_path_holding_a_token_is_redacted() {
    let root = Tree::new();
    let t = monime(2151);
    let good = root.join(&format!("keys-{t}"));
    std::fs::create_dir_all(&good).unwrap();
    git(&good, &["init", "-q", "-b", "main"]);
    std::fs::write(good.join("a.txt"), "hello\n").unwrap();
    git(&good, &["add", "-A"]);
    commit_in(&good, "one", &[]);
    let missing = root.join(&format!("gone-{t}"));
    let db = root.join("a.db");
    let args = [
        "audit",
        "--db",
        db.to_str().unwrap(),
        good.to_str().unwrap(),
        missing.to_str().unwrap(),
    ];
    let out = run(root.path(), &args, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        !stdout.contains(&t) && !stderr.contains(&t),
        "{stdout}{stderr}"
    );
    let repos = repositories(&db);
    assert_eq!(repos.len(), 2, "{repos:?}");
    for (name, location, error) in repos {
        let all = format!("{name} {location} {error:?}");
        assert!(!all.contains(&t), "{all}");
        assert!(name.contains("mon_") && name.contains('…'), "{all}");
    }
    assert!(!contains(&datastore_bytes(&db), &t));
    for format in ["text", "json", "csv", "html", "sarif"] {
        let report = run(
            root.path(),
            &["report", "--db", db.to_str().unwrap(), "--format", format],
            &[],
        );
        assert!(!contains(&report.stdout, &t), "{format}");
    }
    // The redacted name is the repository's identity: a re-run finds it unchanged.
    let again = run(root.path(), &args, &[]);
    assert!(
        text(&again.stdout).contains("1 unchanged"),
        "{}",
        text(&again.stdout)
    );
}
