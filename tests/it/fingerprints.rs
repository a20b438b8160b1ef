//! Keyed fingerprints (issue 12, part 5) on real repositories: stable across runs, clones
//! and rebases, different under another `LEAKGUARD_FINGERPRINT_KEY`, and stable in shallow
//! clones (keyed by the origin URL there, not by the moving shallow boundary).

use std::path::Path;

use assert_cmd::Command;

use crate::util::{git, monime, Repo, Tree};

/// `leakguard ARGS` in `dir` with the fingerprint key derived, not set.
fn derived(dir: &Path, args: &[&str]) -> Command {
    let mut c = crate::util::leakguard();
    c.current_dir(dir)
        .env_remove("LEAKGUARD_FINGERPRINT_KEY")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(args);
    c
}

/// The JSON report of `leakguard SUB --format json` in `dir`.
fn json(mut c: Command) -> serde_json::Value {
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every finding's (path, fingerprint).
fn fingerprints(j: &serde_json::Value) -> Vec<(String, String)> {
    let all = j["findings"].as_array().unwrap();
    assert!(!all.is_empty(), "{j:#}");
    all.iter()
        .map(|f| {
            let fp = f["fingerprint"].as_str().unwrap();
            assert_eq!(fp.len(), 32, "{fp}");
            (f["path"].as_str().unwrap().into(), fp.into())
        })
        .collect()
}

fn scan(dir: &Path) -> Vec<(String, String)> {
    fingerprints(&json(derived(dir, &["scan", "--format", "json", "."])))
}

fn history(dir: &Path) -> Vec<(String, String)> {
    fingerprints(&json(derived(dir, &["history", "--format", "json"])))
}

/// A repository of three commits, the secret in the second.
fn repo() -> Repo {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit_all("root");
    r.write("config.py", format!("TOKEN = '{}'\n", monime(41)));
    r.commit_all("secret");
    r.write("README", "hello again\n");
    r.commit_all("later");
    r
}

#[test]
fn stable_across_runs_formats_and_clones() {
    let r = repo();
    let first = scan(r.path());
    assert_eq!(first, scan(r.path()));
    assert_eq!(first, history(r.path()));
    // SARIF carries the same value under the v2 algorithm's key.
    let out = derived(r.path(), &["scan", "--format", "sarif", "."])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["partialFingerprints"]["leakguard/v2"], first[0].1);
    assert!(result["partialFingerprints"]["leakguard/v1"].is_null());
    // Read from git's commit-graph file (with a commit made after it was written) the roots,
    // and so the fingerprints, are the same as read from the objects.
    r.git(&["commit-graph", "write", "--reachable"]);
    assert!(r.path().join(".git/objects/info/commit-graph").exists());
    r.write("later.txt", "after the commit-graph\n");
    r.commit_all("after the graph");
    assert_eq!(first, scan(r.path()));
    // Another machine: a full clone elsewhere has the same roots, so the same key.
    let other = Tree::new();
    let src = r.path().to_str().unwrap();
    git(other.path(), &["clone", "-q", src, "clone"]);
    assert_eq!(first, scan(&other.join("clone")));
    // The same file outside any repository is keyed with the public key: another value.
    let plain = Tree::new();
    plain.file("config.py", format!("TOKEN = '{}'\n", monime(41)));
    assert_ne!(first, scan(plain.path()));
}

#[test]
fn stable_across_a_rebase() {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit_all("root");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("config.py", format!("TOKEN = '{}'\n", monime(42)));
    r.commit_all("secret");
    let before = history(r.path());
    let worktree = scan(r.path());
    r.git(&["checkout", "-q", "main"]);
    r.write("other.txt", "main moves on\n");
    r.commit_all("main");
    r.git(&["checkout", "-q", "feature"]);
    r.git(&["rebase", "-q", "main"]);
    // Every commit on the branch has a new id; the roots, and so the key, did not change.
    assert_eq!(history(r.path()), before);
    assert_eq!(scan(r.path()), worktree);
}

#[test]
fn a_different_key_gives_different_fingerprints() {
    let r = repo();
    let run = |key: &str| {
        let mut c = derived(r.path(), &["scan", "--format", "json", "."]);
        c.env("LEAKGUARD_FINGERPRINT_KEY", key);
        fingerprints(&json(c))
    };
    let a = run("team-secret-one");
    assert_eq!(a, run("team-secret-one"));
    assert_ne!(a, run("team-secret-two"));
    assert_ne!(
        a,
        scan(r.path()),
        "the variable overrides the repository's key"
    );
    // The same key gives the same fingerprints wherever the files are.
    let elsewhere = Tree::new();
    elsewhere.file("config.py", format!("TOKEN = '{}'\n", monime(41)));
    let mut c = derived(elsewhere.path(), &["scan", "--format", "json", "."]);
    c.env("LEAKGUARD_FINGERPRINT_KEY", "team-secret-one");
    assert_eq!(a, fingerprints(&json(c)));
}

#[test]
fn shallow_clones_are_keyed_by_the_origin_url_whatever_their_depth() {
    let r = repo();
    let url = format!("file://{}", r.path().display());
    let t = Tree::new();
    git(t.path(), &["clone", "-q", "--depth", "1", &url, "one"]);
    git(t.path(), &["clone", "-q", "--depth", "2", &url, "two"]);
    let (one, two) = (t.join("one"), t.join("two"));
    assert!(one.join(".git/shallow").exists());
    // The shallow boundaries differ (another "root" commit); the origin URL does not.
    assert_eq!(scan(&one), scan(&two));
    // The URL is normalised: scheme, user, port, case and `.git` do not matter.
    let set = |dir: &Path, url: &str| git(dir, &["remote", "set-url", "origin", url]);
    set(&one, "https://Example.test/team/app.git");
    set(&two, "git@example.test:team/app");
    assert_eq!(scan(&one), scan(&two));
    set(&two, "ssh://git@example.test:2222/team/app.git/");
    assert_eq!(scan(&one), scan(&two));
    set(&two, "https://example.test/team/other.git");
    assert_ne!(scan(&one), scan(&two));
    // A full clone is keyed by its roots instead: the documented trade-off.
    assert_ne!(scan(&one), scan(r.path()));
}

/// The report says where the key came from, so a user can see when fingerprints are only
/// publicly keyed.
#[test]
fn the_summary_names_the_key_source() {
    let r = repo();
    let key = |c: Command| json(c).get("summary").unwrap()["fingerprint_key"].clone();
    let json_scan = |dir: &Path| derived(dir, &["scan", "--format", "json", "."]);
    assert_eq!(key(json_scan(r.path())), "root-commits");
    let mut c = json_scan(r.path());
    c.env("LEAKGUARD_FINGERPRINT_KEY", "team-secret");
    assert_eq!(key(c), "env");
    let t = Tree::new();
    let url = format!("file://{}", r.path().display());
    git(t.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    assert_eq!(key(json_scan(&t.join("shallow"))), "origin-url");
    let plain = Tree::new();
    plain.file("config.py", format!("TOKEN = '{}'\n", monime(41)));
    assert_eq!(key(json_scan(plain.path())), "public");
    let sarif = json(derived(r.path(), &["scan", "--format", "sarif", "."]));
    assert_eq!(
        sarif["runs"][0]["properties"]["fingerprintKey"],
        "root-commits"
    );
}
