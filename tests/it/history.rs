//! `leakguard history`: audits of whole histories, all refs and CI ranges.

use crate::util::{hits, monime, Repo};

fn history(r: &Repo, args: &[&str]) -> (i32, serde_json::Value, String) {
    r.json("history", args)
}

#[test]
fn added_then_removed_secret_is_found_with_the_commit_that_added_it() {
    let r = Repo::new();
    r.write("a.txt", "one\n");
    r.commit_all("init");
    r.write("config.py", format!("x = 1\nTOKEN = '{}'\n", monime(1)));
    let added = r.commit_all("add config");
    r.write("config.py", "x = 1\n");
    r.commit_all("remove the token");
    let (code, json, _) = history(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![("config.py".into(), "monime-live-token".into(), 2, 10)]
    );
    let c = &json["findings"][0]["commit"];
    assert_eq!(c["id"], added.as_str());
    assert_eq!(c["author"], "Test Author");
    assert_eq!(c["email"], "author@example.test");
    assert!(c["date"].as_str().unwrap().starts_with("20"));
    assert_eq!(json["summary"]["commits"], 3);
}

#[test]
fn a_secret_living_through_fifty_commits_is_reported_once() {
    let r = Repo::new();
    r.write("s.py", format!("TOKEN = '{}'\n", monime(2)));
    let first = r.commit_all("secret");
    for i in 0..50 {
        r.write("s.py", format!("TOKEN = '{}'\n# edit {i}\n", monime(2)));
        r.commit_all(&format!("edit {i}"));
    }
    let (code, json, _) = history(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(json["findings"].as_array().unwrap().len(), 1);
    assert_eq!(json["findings"][0]["commit"]["id"], first.as_str());
    assert_eq!(json["summary"]["commits"], 51);
}

#[test]
fn moving_a_file_is_not_a_new_leak() {
    let r = Repo::new();
    let body: String = (0..30).map(|i| format!("line {i}\n")).collect();
    r.write("old.py", format!("TOKEN = '{}'\n{body}", monime(3)));
    let added = r.commit_all("add");
    r.git(&["mv", "old.py", "new.py"]);
    r.commit_all("move");
    r.write("new.py", format!("TOKEN = '{}'\n{body}more\n", monime(3)));
    r.commit_all("touch");
    let (_, json, _) = history(&r, &[]);
    assert_eq!(
        hits(&json),
        vec![("old.py".into(), "monime-live-token".into(), 1, 10)]
    );
    assert_eq!(json["findings"][0]["commit"]["id"], added.as_str());
}

#[test]
fn range_scans_only_the_new_commits() {
    let r = Repo::new();
    r.write("legacy.py", format!("OLD = '{}'\n", monime(4)));
    let base = r.commit_all("legacy secret on main");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write(
        "legacy.py",
        format!("OLD = '{}'\nNEW_LINE = 1\n", monime(4)),
    );
    r.commit_all("touch legacy file");
    let (code, json, _) = history(&r, &["--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 0, "pre-existing secret is not the PR's: {json}");
    r.write("feature.py", format!("KEY = '{}'\n", monime(5)));
    let added = r.commit_all("feature");
    let (code, json, _) = history(&r, &["--range", "main..pr"]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![("feature.py".into(), "monime-live-token".into(), 1, 8)]
    );
    assert_eq!(json["findings"][0]["commit"]["id"], added.as_str());
    assert_eq!(json["summary"]["commits"], 2);
}

#[test]
fn all_refs_reach_other_branches() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("side.py", format!("K = '{}'\n", monime(6)));
    r.commit_all("side secret");
    r.git(&["checkout", "-q", "main"]);
    assert_eq!(history(&r, &[]).0, 0);
    let (code, json, _) = history(&r, &["--all"]);
    assert_eq!(code, 1);
    assert_eq!(hits(&json)[0].0, "side.py");
}

#[test]
fn committed_dotenv_is_reported_with_its_commit() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    r.write(".env", "PORT=1\n");
    let added = r.commit_all("oops");
    r.git(&["rm", "-q", ".env"]);
    r.commit_all("remove");
    let (code, json, _) = history(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![(".env".into(), "dotenv-file".into(), 1, 1)]
    );
    assert_eq!(json["findings"][0]["commit"]["id"], added.as_str());
}

#[test]
fn bad_range_exits_2_with_the_reason() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("init");
    let out = r
        .cmd(&["history", "--range", "nosuchbranch..HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad range `nosuchbranch..HEAD`"), "{err}");
}

#[test]
fn shallow_clone_scans_what_it_has_and_says_so() {
    let r = Repo::new();
    r.write("old.py", format!("K = '{}'\n", monime(7)));
    r.commit_all("old secret");
    r.write("old.py", "K = None\n");
    r.commit_all("removed");
    r.write("new.py", format!("K = '{}'\n", monime(8)));
    r.commit_all("new secret");
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("shallow");
    let url = format!("file://{}", r.path().display());
    r.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let out = crate::util::leakguard()
        .current_dir(&clone)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shallow clone"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        hits(&json),
        vec![("new.py".into(), "monime-live-token".into(), 1, 6)]
    );
}

#[test]
fn empty_repository_is_clean() {
    let r = Repo::new();
    let (code, json, _) = history(&r, &[]);
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["commits"], 0);
}
