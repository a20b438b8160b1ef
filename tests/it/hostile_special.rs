//! Special files wherever leakguard or git's library opens a file by path: every git
//! metadata file, the `.git` pointer, ignore files, the config and the baseline, each as a
//! FIFO (whose `open` waits for a writer forever), as a link to `/dev/zero` (which never
//! ends) and as a link out of the repository. Each run is killed after [`TIMEOUT`], so a
//! hang fails the test instead of blocking the suite. Also: `-j` capped, tracked files that
//! `.gitignore` matches scanned, `--config` naming what it is.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::util::{git, hits, leakguard, monime, tok, Repo, Tree, TOK_CONFIG};

/// Every run here takes well under a second; a debug build on a loaded machine gets 30.
const TIMEOUT: Duration = Duration::from_secs(30);

/// What a run produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `leakguard ARGS` in `dir` with git's user and system config off, killed after
/// [`TIMEOUT`]; never a panic.
fn run(dir: &Path, args: &[&str]) -> Run {
    let out = leakguard()
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("leakguard {args:?} in {dir:?} killed (hang?):\n{stderr}"));
    assert!(!stderr.contains("panicked"), "{args:?}: panic:\n{stderr}");
    Run {
        code,
        stdout,
        stderr,
    }
}

/// A run that failed with one line on stderr (exit 2) holding `needle`.
fn assert_error(r: &Run, what: &str, needle: &str) {
    assert_eq!(
        r.code, 2,
        "{what}: exit {}\n{}{}",
        r.code, r.stdout, r.stderr
    );
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "{what}: not one line:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(needle),
        "{what}: no `{needle}` in:\n{}",
        r.stderr
    );
}

/// What takes the place of a file.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    Fifo,
    DevZero,
    /// A link to a regular file outside the repository.
    Outside,
}

const ALL: [Hostile; 3] = [Hostile::Fifo, Hostile::DevZero, Hostile::Outside];

impl Hostile {
    /// What the error says of it.
    fn said(self) -> &'static str {
        match self {
            Hostile::Fifo => "is a FIFO, not a regular file",
            Hostile::DevZero => "is a link to a character device, not a regular file",
            Hostile::Outside => "is a link out of the repository",
        }
    }
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Puts `h` at `path` (moving what was there to `path.lg-saved`, see [`restore`]);
/// `outside` holds the regular file a link out points to.
fn plant(path: &Path, h: Hostile, outside: &Tree) {
    let saved = saved(path);
    if std::fs::symlink_metadata(path).is_ok() {
        std::fs::rename(path, &saved).unwrap();
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    match h {
        Hostile::Fifo => mkfifo(path),
        Hostile::DevZero => symlink("/dev/zero", path).unwrap(),
        Hostile::Outside => {
            let copy = outside.join(&format!(
                "copy-{}",
                path.file_name().unwrap().to_string_lossy()
            ));
            let original = std::fs::read(&saved).unwrap_or_default();
            std::fs::write(&copy, original).unwrap();
            symlink(&copy, path).unwrap();
        }
    }
}

fn saved(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lg-saved");
    PathBuf::from(s)
}

/// Puts back what [`plant`] moved away.
fn restore(path: &Path) {
    std::fs::remove_file(path).unwrap();
    let saved = saved(path);
    if saved.exists() {
        std::fs::rename(saved, path).unwrap();
    }
}

/// A repository with every kind of metadata file git writes: loose and packed refs and
/// objects, a pack with its index, a multi-pack index, a commit graph, reflogs, pseudo-refs,
/// a staged change. Returns it and the metadata paths (relative to `.git`).
fn full_repo() -> (Repo, Vec<String>) {
    let r = Repo::new();
    r.write("a.txt", "one\n");
    r.commit_all("one");
    r.write("b.txt", "two\n");
    r.commit_all("two");
    r.git(&["gc", "-q"]);
    r.git(&["multi-pack-index", "write"]);
    r.git(&["commit-graph", "write", "--reachable"]);
    r.git(&["branch", "topic"]);
    r.git(&["update-ref", "ORIG_HEAD", "HEAD"]);
    r.write("c.txt", "three\n");
    r.git(&["add", "c.txt"]);
    let blob = r.git(&["hash-object", "-w", "c.txt"]);
    let blob = blob.trim();
    let mut files: Vec<String> = [
        "HEAD",
        "config",
        "index",
        "shallow",
        "packed-refs",
        "commondir",
        "refs/heads/topic",
        "ORIG_HEAD",
        "FETCH_HEAD",
        "logs/HEAD",
        "info/exclude",
        "objects/info/alternates",
        "objects/info/commit-graph",
        "objects/pack/multi-pack-index",
    ]
    .map(String::from)
    .to_vec();
    files.push(format!("objects/{}/{}", &blob[..2], &blob[2..]));
    for e in std::fs::read_dir(r.path().join(".git/objects/pack")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".idx") || name.ends_with(".pack") {
            files.push(format!("objects/pack/{name}"));
        }
    }
    for f in &files {
        let p = r.path().join(".git").join(f);
        // The ones git did not write are planted where it would.
        if ["HEAD", "config", "index", "packed-refs", "info/exclude"].contains(&f.as_str()) {
            assert!(p.is_file(), "git wrote no {f}");
        }
    }
    (r, files)
}

/// Every metadata file of [`full_repo`], as each [`Hostile`] kind: `leakguard ARGS` fails
/// at once with one line naming the file, and works again once it is put back.
fn metadata_case(args: &[&str]) {
    let (r, files) = full_repo();
    let outside = Tree::new();
    let before = run(r.path(), args);
    assert!(before.code < 2, "{args:?} before: {}", before.stderr);
    for f in &files {
        let path = r.path().join(".git").join(f);
        for h in ALL {
            plant(&path, h, &outside);
            let got = run(r.path(), args);
            let what = format!("{args:?} with .git/{f} {h:?}");
            assert_error(&got, &what, &format!(".git/{f} {}", h.said()));
            assert!(
                got.stderr
                    .starts_with("leakguard: error: cannot open the repository:"),
                "{what}: {}",
                got.stderr
            );
            restore(&path);
        }
    }
    let after = run(r.path(), args);
    assert_eq!(after.code, before.code, "{args:?} after: {}", after.stderr);
}

#[test]
fn git_metadata_special_files_stop_history() {
    metadata_case(&["history"]);
}

#[test]
fn git_metadata_special_files_stop_staged() {
    metadata_case(&["staged"]);
}

#[test]
fn git_metadata_special_files_stop_scan() {
    // `scan` reads `info/exclude` (through the walker) and the index (tracked files).
    metadata_case(&["scan", "--format", "json"]);
}

/// Links that stay inside the repository, as old git made `HEAD` and as some tools keep
/// the config, are read as usual.
#[test]
fn git_metadata_links_inside_the_repository_are_followed() {
    let (r, _) = full_repo();
    let git_dir = r.path().join(".git");
    std::fs::rename(git_dir.join("config"), git_dir.join("config.real")).unwrap();
    symlink("config.real", git_dir.join("config")).unwrap();
    std::fs::rename(git_dir.join("HEAD"), git_dir.join("HEAD.real")).unwrap();
    symlink(git_dir.join("HEAD.real"), git_dir.join("HEAD")).unwrap();
    for args in [&["history"][..], &["staged"], &["scan"]] {
        let got = run(r.path(), args);
        assert_eq!(got.code, 0, "{args:?}: {}", got.stderr);
    }
}

/// The `.git` entry itself, a linked work tree's pointer files and a config include.
#[test]
fn git_dir_pointers_and_includes() {
    let r = Repo::new();
    r.write("a.txt", "one\n");
    r.commit_all("one");
    let outside = Tree::new();
    for h in [Hostile::Fifo, Hostile::DevZero] {
        let dot = r.path().join(".git");
        let moved = r.path().join("real-git");
        std::fs::rename(&dot, &moved).unwrap();
        plant(&dot, h, &outside);
        for cmd in ["history", "staged", "scan"] {
            let got = run(r.path(), &[cmd]);
            let what = format!("{cmd} with .git {h:?}");
            assert_eq!(got.code, 2, "{what}: {}", got.stderr);
            assert!(got.stderr.contains("/.git "), "{what}: {}", got.stderr);
        }
        std::fs::remove_file(&dot).unwrap();
        std::fs::rename(&moved, &dot).unwrap();
    }
    // A linked work tree: its `.git` file, and `HEAD`, `commondir`, `gitdir` and `index`
    // in its private git directory.
    let wt = Tree::new();
    let wt_dir = wt.join("wt");
    r.git(&["worktree", "add", "-q", wt_dir.to_str().unwrap()]);
    let private = r.path().join(".git/worktrees/wt");
    for (path, shown) in [
        (wt_dir.join(".git"), "wt/.git ".to_string()),
        (private.join("HEAD"), "worktrees/wt/HEAD ".into()),
        (private.join("commondir"), "worktrees/wt/commondir ".into()),
        (private.join("gitdir"), "worktrees/wt/gitdir ".into()),
        (private.join("index"), "worktrees/wt/index ".into()),
    ] {
        for h in [Hostile::Fifo, Hostile::DevZero] {
            plant(&path, h, &outside);
            for cmd in ["staged", "history"] {
                let got = run(&wt_dir, &[cmd]);
                let what = format!("{cmd} with {shown}{h:?}");
                assert_error(&got, &what, &shown);
            }
            restore(&path);
        }
    }
    assert_eq!(run(&wt_dir, &["staged"]).code, 0);
    // The repository's config names a FIFO or a device as a file to include or read.
    let fifo = outside.join("include-fifo");
    mkfifo(&fifo);
    // (Written by hand: git itself would read the FIFO.)
    let config = r.path().join(".git/config");
    let original = std::fs::read_to_string(&config).unwrap();
    for target in [fifo.to_str().unwrap(), "/dev/zero"] {
        for entry in [
            "[include]\n\tpath",
            "[includeIf \"gitdir:/\"]\n\tpath",
            // Read by gix for history's rename detection.
            "[core]\n\tattributesFile",
        ] {
            std::fs::write(&config, format!("{original}{entry} = {target}\n")).unwrap();
            let got = run(r.path(), &["history"]);
            assert_error(&got, &format!("{entry} {target}"), target);
        }
    }
    std::fs::write(&config, original).unwrap();
    assert_eq!(run(r.path(), &["history"]).code, 0);
}

/// `audit` of a directory holding a repository with a special metadata file between two
/// good ones: the bad one is a recorded failure naming the file, the good ones are audited.
#[test]
fn audit_records_the_bad_repository_and_audits_the_others() {
    let top = Tree::new();
    let outside = Tree::new();
    for (i, name) in ["a-good", "c-good"].iter().enumerate() {
        let dir = top.join(&format!("repos/{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        let secret = monime(7100 + i as u64);
        std::fs::write(dir.join("a.py"), format!("MONIME_TOKEN = \"{secret}\"\n")).unwrap();
        git(&dir, &["add", "-A"]);
        git(
            &dir,
            &[
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@example.test",
                "commit",
                "-qm",
                "x",
            ],
        );
    }
    let bad = top.join("repos/b-bad");
    std::fs::create_dir_all(&bad).unwrap();
    git(&bad, &["init", "-q", "-b", "main"]);
    std::fs::write(bad.join("a.txt"), "x\n").unwrap();
    git(&bad, &["add", "-A"]);
    git(
        &bad,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.test",
            "commit",
            "-qm",
            "x",
        ],
    );
    git(&bad, &["pack-refs", "--all"]);
    for (n, (f, h)) in [
        ("HEAD", Hostile::Fifo),
        ("config", Hostile::DevZero),
        ("index", Hostile::Fifo),
        ("shallow", Hostile::Fifo),
        ("packed-refs", Hostile::DevZero),
        ("refs/heads/main", Hostile::Fifo),
        ("objects/info/alternates", Hostile::Outside),
    ]
    .into_iter()
    .enumerate()
    {
        let path = bad.join(".git").join(f);
        plant(&path, h, &outside);
        let db = top.join(&format!("audit-{n}.db"));
        let repos = top.join("repos");
        let got = run(
            top.path(),
            &[
                "audit",
                "--db",
                db.to_str().unwrap(),
                repos.to_str().unwrap(),
            ],
        );
        let what = format!("audit with .git/{f} {h:?}");
        assert_eq!(got.code, 2, "{what}: {}{}", got.stdout, got.stderr);
        assert!(
            got.stdout.contains("2 scanned, 0 unchanged, 1 failed"),
            "{what}: {}",
            got.stdout
        );
        assert!(
            got.stderr.contains(&format!(".git/{f} {}", h.said())),
            "{what}: {}",
            got.stderr
        );
        let report = run(
            top.path(),
            &["report", "--db", db.to_str().unwrap(), "--format", "json"],
        );
        let report: Value = serde_json::from_str(&report.stdout).unwrap();
        let mut found: Vec<String> = report["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["locations"].as_array().unwrap().iter())
            .map(|l| l["repository"].as_str().unwrap_or_default().to_string())
            .collect();
        found.sort();
        assert_eq!(found.len(), 2, "{what}: {report:#}");
        assert!(
            found[0].contains("a-good") && found[1].contains("c-good"),
            "{found:?}"
        );
        restore(&path);
    }
}

/// `.gitignore` and `.ignore`, at the root of the scan and below it, as a FIFO, a link to
/// `/dev/zero`, a link out of the tree and a directory; and a nested repository whose
/// `.git` or `info/exclude` is a FIFO.
#[test]
fn ignore_files_that_are_not_regular_files() {
    let t = Tree::new();
    let outside = Tree::new();
    outside.file("ignore-list", "*.log\n");
    t.file(".leakguard.yaml", TOK_CONFIG);
    t.file("normal.txt", format!("token = {}\n", tok(7201)));
    t.file("sub/inner.txt", format!("token = {}\n", tok(7202)));
    let scan = |args: &[&str]| {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        run(t.path(), &all)
    };
    for name in [".gitignore", ".ignore"] {
        for h in [Hostile::Fifo, Hostile::DevZero, Hostile::Outside] {
            let what = format!("{name} {h:?}");
            // At the root: nothing can be walked as it should be, an error.
            let at_root = t.join(name);
            plant(&at_root, h, &outside);
            let got = scan(&[]);
            let said = match h {
                Hostile::Outside => "is a link out of the scanned tree",
                _ => h.said(),
            };
            assert_error(&got, &what, &format!("{name} {said}"));
            restore(&at_root);
            // Below it: that directory is not scanned, said so, the rest is.
            let below = t.join(&format!("sub/{name}"));
            plant(&below, h, &outside);
            let got = scan(&[]);
            assert_eq!(got.code, 1, "{what}: {}", got.stderr);
            let json: Value = serde_json::from_str(&got.stdout).unwrap();
            let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
            assert_eq!(paths, ["normal.txt"], "{what}");
            assert_eq!(json["summary"]["files_unreadable"], 1, "{what}");
            assert!(
                got.stderr.contains(&format!(
                    "sub: not scanned: its ignore file ./sub/{name} {said}"
                )),
                "{what}: {}",
                got.stderr
            );
            restore(&below);
        }
        std::fs::create_dir(t.join(name)).unwrap();
        assert_error(&scan(&[]), &format!("{name} directory"), "is a directory");
        std::fs::remove_dir(t.join(name)).unwrap();
    }
    // A nested repository: the walker reads its `.git` file and `info/exclude`.
    let nested = t.join("sub/nested");
    std::fs::create_dir_all(&nested).unwrap();
    git(&nested, &["init", "-q"]);
    for (path, h) in [
        (nested.join(".git/info/exclude"), Hostile::Fifo),
        (nested.join(".git/info/exclude"), Hostile::DevZero),
    ] {
        plant(&path, h, &outside);
        let got = scan(&[]);
        let what = format!("nested info/exclude {h:?}");
        assert_eq!(got.code, 1, "{what}: {}", got.stderr);
        assert!(
            got.stderr.contains("sub/nested: not scanned:") && got.stderr.contains(h.said()),
            "{what}: {}",
            got.stderr
        );
        restore(&path);
    }
    std::fs::remove_dir_all(nested.join(".git")).unwrap();
    mkfifo(&nested.join(".git"));
    let got = scan(&[]);
    assert!(
        got.stderr.contains("nested/.git is a FIFO"),
        "{}",
        got.stderr
    );
    std::fs::remove_file(nested.join(".git")).unwrap();
    // Clean again: everything is scanned, nothing is missed.
    let got = scan(&[]);
    assert_eq!(got.code, 1, "{}", got.stderr);
    let json: Value = serde_json::from_str(&got.stdout).unwrap();
    assert_eq!(hits(&json).len(), 2, "{json:#}");
    assert_eq!(json["summary"]["files_unreadable"], 0);
}

/// `--config`, a discovered `.leakguard.yaml` and `--baseline`: each says what it is
/// instead of a regular file (or that it links out of the repository), in one line.
#[test]
fn config_and_baseline_that_are_not_regular_files() {
    let t = Tree::new();
    let outside = Tree::new();
    outside.file("rules.yaml", TOK_CONFIG);
    t.file("a.txt", "nothing\n");
    let fifo = t.join("fifo");
    mkfifo(&fifo);
    symlink("nowhere", t.join("dangling")).unwrap();
    let dir = t.path().to_str().unwrap().to_string();
    for (arg, said) in [
        (
            "/dev/zero",
            "config file /dev/zero is a character device, not a regular file",
        ),
        (
            "/dev/null",
            "config file /dev/null is a character device, not a regular file",
        ),
        (dir.as_str(), "is a directory, not a regular file"),
        ("fifo", "config file fifo is a FIFO, not a regular file"),
        ("dangling", "config file dangling is a dangling link"),
        ("missing.yaml", "config file missing.yaml does not exist"),
    ] {
        for cmd in [&["scan"][..], &["audit", "--db", "x.db", "."]] {
            let mut args = cmd.to_vec();
            args.extend(["--config", arg]);
            assert_error(&run(t.path(), &args), &format!("{args:?}"), said);
        }
    }
    // Discovered: a FIFO, a device, a link out of the tree, a directory.
    let found = t.join(".leakguard.yaml");
    for (h, said) in [
        (Hostile::Fifo, "is a FIFO, not a regular file"),
        (
            Hostile::DevZero,
            "is a link to a character device, not a regular file",
        ),
        (Hostile::Outside, "is a link out of"),
    ] {
        plant(&found, h, &outside);
        assert_error(&run(t.path(), &["scan"]), &format!("{h:?}"), said);
        std::fs::remove_file(&found).unwrap();
    }
    std::fs::create_dir(&found).unwrap();
    assert_error(&run(t.path(), &["scan"]), "directory", "is a directory");
    std::fs::remove_dir(&found).unwrap();
    // A link inside the tree is read.
    t.file("rules/real.yaml", TOK_CONFIG);
    symlink("rules/real.yaml", &found).unwrap();
    t.file("b.txt", format!("token = {}\n", tok(7301)));
    let got = run(t.path(), &["scan", "--format", "json"]);
    assert_eq!(got.code, 1, "{}", got.stderr);
    // The baseline.
    for (arg, said) in [
        ("fifo", "baseline fifo is a FIFO, not a regular file"),
        (
            "/dev/zero",
            "baseline /dev/zero is a character device, not a regular file",
        ),
        (dir.as_str(), "is a directory, not a regular file"),
    ] {
        let got = run(t.path(), &["scan", "--baseline", arg]);
        assert_error(&got, &format!("--baseline {arg}"), said);
    }
}

/// `-j` far beyond the cores is lowered, with a warning, instead of starting thousands of
/// threads (5000 took a minute).
/// `audit --repos FILE` reads the list like every file named on the command line: a
/// device, a FIFO or a directory is one line naming it, never a hang or an unbounded read.
#[test]
fn repository_lists_that_are_not_regular_files() {
    let t = Tree::new();
    let fifo = t.join("fifo");
    mkfifo(&fifo);
    let dir = t.path().to_str().unwrap().to_string();
    for (arg, said) in [
        (
            "/dev/zero",
            "repository list /dev/zero is a character device, not a regular file",
        ),
        (dir.as_str(), "is a directory, not a regular file"),
        ("fifo", "repository list fifo is a FIFO, not a regular file"),
    ] {
        let args = ["audit", "--db", "x.db", "--repos", arg];
        assert_error(&run(t.path(), &args), &format!("{args:?}"), said);
    }
}

#[test]
fn thread_count_is_capped() {
    let r = Repo::new();
    r.write("a.txt", "one\n");
    r.commit_all("one");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores * 4;
    for cmd in ["scan", "history"] {
        let started = std::time::Instant::now();
        let got = run(r.path(), &[cmd, "-j", "100000"]);
        assert_eq!(got.code, 0, "{cmd}: {}", got.stderr);
        assert!(
            got.stderr.contains(&format!(
                "warning: -j 100000 lowered to {cap} (4 per core on {cores} cores)"
            )),
            "{cmd}: {}",
            got.stderr
        );
        assert!(started.elapsed() < Duration::from_secs(20), "{cmd}: slow");
        let within = run(r.path(), &[cmd, "-j", &cap.to_string()]);
        assert!(!within.stderr.contains("lowered"), "{}", within.stderr);
    }
}

/// A file `.gitignore` matches but git tracks (`git add -f`) is committed content: `scan`
/// reads it, in an ignored directory too, from the top or from a subdirectory. An ignored
/// file git does not track is still skipped, and a tracked file that is a link now, or whose
/// directory is, is not followed out of the tree.
#[test]
fn tracked_files_matched_by_gitignore_are_scanned() {
    let r = Repo::new();
    let outside = Tree::new();
    outside.file("secret.txt", format!("token = {}\n", tok(7403)));
    outside.file("dir/k.txt", format!("token = {}\n", tok(7405)));
    r.write(".leakguard.yaml", TOK_CONFIG);
    r.write(
        ".gitignore",
        "*.secret\nignored-dir/\nlinked.txt\nlinkdir/\n",
    );
    r.write("linkdir/k.txt", "placeholder\n");
    r.write("kept.secret", format!("token = {}\n", tok(7401)));
    r.write(
        "ignored-dir/deep/kept.txt",
        format!("token = {}\n", tok(7402)),
    );
    r.write("linked.txt", "placeholder\n");
    r.git(&["add", ".leakguard.yaml", ".gitignore"]);
    r.git(&[
        "add",
        "-f",
        "kept.secret",
        "ignored-dir/deep/kept.txt",
        "linked.txt",
        "linkdir/k.txt",
    ]);
    r.git(&["commit", "-qm", "forced"]);
    // Untracked and ignored: not scanned.
    r.write("local.secret", format!("token = {}\n", tok(7404)));
    std::fs::remove_file(r.path().join("linked.txt")).unwrap();
    symlink(outside.join("secret.txt"), r.path().join("linked.txt")).unwrap();
    // A tracked file's directory replaced by a link out of the tree.
    std::fs::remove_dir_all(r.path().join("linkdir")).unwrap();
    symlink(outside.join("dir"), r.path().join("linkdir")).unwrap();
    let paths = |dir: &Path, args: &[&str]| {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        let got = run(dir, &all);
        let json: Value =
            serde_json::from_str(&got.stdout).unwrap_or_else(|_| panic!("{}", got.stderr));
        let mut p: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
        p.sort();
        (got.code, p)
    };
    let (code, got) = paths(r.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(got, ["ignored-dir/deep/kept.txt", "kept.secret"]);
    let (_, got) = paths(r.path(), &["ignored-dir"]);
    assert_eq!(got, ["deep/kept.txt"]);
    let (_, got) = paths(&r.path().join("ignored-dir/deep"), &[]);
    assert_eq!(got, ["kept.txt"]);
    let (_, got) = paths(r.path(), &["kept.secret"]);
    assert_eq!(got, ["kept.secret"]);
    // --no-ignore: everything on disk, once each (links still not followed).
    let (_, got) = paths(r.path(), &["--no-ignore"]);
    assert_eq!(
        got,
        ["ignored-dir/deep/kept.txt", "kept.secret", "local.secret"]
    );
}

/// A hook that is a FIFO or a device is refused by `install`, not read.
#[test]
fn install_refuses_a_special_existing_hook() {
    let r = Repo::new();
    let outside = Tree::new();
    let hook = r.path().join(".git/hooks/pre-commit");
    for h in [Hostile::Fifo, Hostile::DevZero] {
        plant(&hook, h, &outside);
        let got = run(r.path(), &["install"]);
        assert_error(&got, &format!("{h:?}"), "pre-commit");
        restore(&hook);
    }
}

/// A directory that merely holds a file named `HEAD` (and a `config/` directory, a FIFO
/// named `index`) is not a repository: its files are not held to the rules of git
/// metadata, and it is scanned as usual.
#[test]
fn a_file_named_head_does_not_make_a_repository() {
    let t = Tree::new();
    t.file(".leakguard.yaml", TOK_CONFIG);
    t.file("HEAD", "ref: refs/heads/main\n");
    t.file("config/app.txt", format!("token = {}\n", tok(7501)));
    mkfifo(&t.join("index"));
    let got = run(t.path(), &["scan", "--format", "json"]);
    assert_eq!(got.code, 1, "{}", got.stderr);
    let json: Value = serde_json::from_str(&got.stdout).unwrap();
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(paths, ["config/app.txt"]);
}
