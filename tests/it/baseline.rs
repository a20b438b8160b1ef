//! `leakguard baseline` and `--baseline`: adopting leakguard in a repository that already has
//! findings, with entries that survive rebases and merges and hold no secret.

use crate::util::{hits, monime, Repo};

const FILE: &str = ".leakguard-baseline.json";

fn make_baseline(r: &Repo, args: &[&str]) -> String {
    let out = r.cmd(&[&["baseline"], args].concat()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stderr
}

fn read_baseline(r: &Repo) -> String {
    std::fs::read_to_string(r.path().join(FILE)).unwrap()
}

#[test]
fn create_suppress_then_report_stale_and_prune() {
    let r = Repo::new();
    r.write("a.py", format!("TOKEN = '{}'\n", monime(1)));
    r.write("b.py", format!("KEY = '{}'\n", monime(2)));
    let note = make_baseline(&r, &[]);
    assert!(note.contains("2 entries (2 added"), "{note}");
    let text = read_baseline(&r);
    assert!(!text.contains(&monime(1)[4..]) && !text.contains(&monime(2)[4..]));
    assert!(!text.contains("mon_"), "no prefix either: {text}");

    let (code, json, _) = r.json("scan", &["--baseline", FILE]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["summary"]["suppressed"], 2);

    // A new secret is still reported; removing an old one makes its entry stale.
    r.write("a.py", format!("TOKEN = '{}'\n", monime(3)));
    let (code, json, _) = r.json("scan", &["--baseline", FILE]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![("a.py".into(), "monime-live-token".into(), 1, 10)]
    );
    let stale = json["summary"]["stale_baseline"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{json}");
    assert!(stale[0].as_str().unwrap().starts_with("monime-live-token "));

    // Without --prune, updating keeps the stale entry; with it, it goes.
    let note = make_baseline(&r, &[]);
    assert!(note.contains("1 stale"), "{note}");
    let note = make_baseline(&r, &["--prune"]);
    assert!(
        note.contains("2 entries") && note.contains("1 pruned"),
        "{note}"
    );
    let (code, json, _) = r.json("scan", &["--baseline", FILE]);
    assert_eq!((code, json["summary"].get("stale_baseline")), (0, None));
}

#[test]
fn moved_lines_moved_files_and_rebases_stay_suppressed_but_a_new_secret_does_not() {
    let r = Repo::new();
    r.write("a.txt", "base\n");
    r.commit_all("init");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("conf.py", format!("TOKEN = '{}'\n", monime(4)));
    r.commit_all("add token");
    make_baseline(&r, &["history"]);
    let (code, _, _) = r.json("history", &["--baseline", FILE]);
    assert_eq!(code, 0);

    // Rewrite history: new commit ids, the secret on another line of another file.
    r.git(&["checkout", "-q", "main"]);
    r.write("a.txt", "base\nmore\n");
    r.commit_all("main moves on");
    r.git(&["checkout", "-q", "feature"]);
    r.git(&["rebase", "-q", "main"]);
    r.git(&["mv", "conf.py", "settings.py"]);
    r.write(
        "settings.py",
        format!("# settings\nDEBUG = False\nTOKEN = '{}'\n", monime(4)),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--amend", "-m", "squashed"]);
    let (code, json, _) = r.json("history", &["--baseline", FILE]);
    assert_eq!(code, 0, "rebased and moved secret stays suppressed: {json}");
    assert_eq!(json["summary"]["suppressed"], 1);

    // A different secret on the very same line is not suppressed.
    r.write(
        "settings.py",
        format!("# settings\nDEBUG = False\nTOKEN = '{}'\n", monime(5)),
    );
    r.commit_all("rotate");
    let (code, json, _) = r.json("history", &["--baseline", FILE]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![("settings.py".into(), "monime-live-token".into(), 3, 10)]
    );
}

#[test]
fn per_path_entries_do_not_follow_the_secret_elsewhere() {
    let r = Repo::new();
    r.write("fixtures/a.py", format!("TOKEN = '{}'\n", monime(6)));
    make_baseline(&r, &["--per-path"]);
    assert!(read_baseline(&r).contains("\"path\":\"fixtures/a.py\""));
    r.write("src/b.py", format!("TOKEN = '{}'\n", monime(6)));
    let (code, json, _) = r.json("scan", &["--baseline", FILE]);
    assert_eq!(code, 1);
    assert_eq!(hits(&json)[0].0, "src/b.py");
    assert_eq!(json["summary"]["suppressed"], 1);
}

#[test]
fn branches_that_each_add_entries_merge_without_conflict() {
    let r = Repo::new();
    r.write(".gitattributes", format!("{FILE} merge=union\n"));
    r.write("old.py", format!("T = '{}'\n", monime(7)));
    make_baseline(&r, &[]);
    r.commit_all("adopt leakguard");
    for (branch, seed) in [("one", 8), ("two", 9)] {
        r.git(&["checkout", "-q", "-b", branch, "main"]);
        r.write(&format!("{branch}.py"), format!("T = '{}'\n", monime(seed)));
        make_baseline(&r, &[]);
        r.commit_all(branch);
    }
    r.git(&["checkout", "-q", "main"]);
    r.git(&["merge", "-q", "--no-edit", "one"]);
    r.git(&["merge", "-q", "--no-edit", "two"]);
    let text = read_baseline(&r);
    assert_eq!(text.matches("\"rule\"").count(), 3, "{text}");
    let (code, json, _) = r.json("scan", &["--baseline", FILE]);
    assert_eq!(
        code, 0,
        "merged baseline parses and covers all three: {json}"
    );
    assert_eq!(json["summary"]["suppressed"], 3);
}

#[test]
fn a_broken_or_missing_baseline_is_a_clear_error() {
    let r = Repo::new();
    r.write("a.py", "x = 1\n");
    let out = r
        .cmd(&["scan", "--baseline", "nope.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope.json") && err.lines().count() == 1,
        "{err}"
    );
    r.write("bad.json", "{\"entries\": 3}");
    let out = r.cmd(&["scan", "--baseline", "bad.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
}

#[test]
fn a_secret_key_from_the_environment_is_required_once_used() {
    let r = Repo::new();
    r.write("a.py", format!("TOKEN = '{}'\n", monime(10)));
    let out = r
        .cmd(&["baseline"])
        .env("LEAKGUARD_BASELINE_KEY", "ci-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(read_baseline(&r).contains("\"secret_key\": true"));
    let ok = r
        .cmd(&["scan", "--baseline", FILE])
        .env("LEAKGUARD_BASELINE_KEY", "ci-secret")
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let missing = r.cmd(&["scan", "--baseline", FILE]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("LEAKGUARD_BASELINE_KEY"));
    let wrong = r
        .cmd(&["scan", "--baseline", FILE])
        .env("LEAKGUARD_BASELINE_KEY", "other")
        .output()
        .unwrap();
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "a wrong key suppresses nothing"
    );
}
