//! `leakguard staged`: only what the next commit adds, in real repositories.

use crate::util::{hits, monime, synthetic, Hit, Repo};

fn base() -> Repo {
    let r = Repo::new();
    r.write("app.py", "import os\n\ndef main():\n    pass\n")
        .write("README.md", "# demo\n");
    r.commit_all("init");
    r
}

fn staged(r: &Repo, args: &[&str]) -> (i32, Vec<Hit>, serde_json::Value) {
    let (code, json, _) = r.json("staged", args);
    (code, hits(&json), json)
}

#[test]
fn secret_in_a_staged_change_blocks_with_its_staged_line() {
    let r = base();
    r.write(
        "app.py",
        format!(
            "import os\nTOKEN = '{}'\n\ndef main():\n    pass\n",
            monime(1)
        ),
    );
    r.git(&["add", "app.py"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![("app.py".into(), "monime-live-token".into(), 2, 10)]
    );
}

#[test]
fn text_message_tells_the_ways_out_and_redacts() {
    let r = base();
    let token = monime(2);
    r.write("app.py", format!("TOKEN = '{token}'\n"));
    r.git(&["add", "app.py"]);
    let out = r.cmd(&["staged"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(&token), "secret leaked:\n{text}");
    for needle in [
        "app.py",
        "1:10",
        "git restore --staged",
        "leakguard:allow",
        "rotate",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

#[test]
fn unstaged_secret_passes_and_staged_blob_wins_over_worktree() {
    let r = base();
    r.write("app.py", format!("TOKEN = '{}'\n", monime(3)));
    assert_eq!(staged(&r, &[]).0, 0, "only in the work tree: not committed");
    r.git(&["add", "app.py"]);
    r.write("app.py", "TOKEN = os.environ['TOKEN']\n");
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(
        code, 1,
        "the staged blob holds the secret even if the file no longer does"
    );
    assert_eq!(found[0].0, "app.py");
}

#[test]
fn secret_already_in_head_and_untouched_passes() {
    let r = base();
    r.write(
        "config.py",
        format!("A = 1\nTOKEN = '{}'\nB = 2\n", monime(4)),
    );
    r.commit_all("legacy secret");
    r.write(
        "config.py",
        format!("A = 1\nTOKEN = '{}'\nB = 3\nC = 4\n", monime(4)),
    );
    r.write("app.py", "print('hello')\n");
    r.git(&["add", "-A"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!((code, found), (0, vec![]));
}

#[test]
fn staged_deletion_of_a_secret_line_passes() {
    let r = base();
    r.write("config.py", format!("A = 1\nTOKEN = '{}'\n", monime(5)));
    r.commit_all("secret");
    r.write("config.py", "A = 1\n");
    r.git(&["add", "-A"]);
    assert_eq!(staged(&r, &[]).0, 0);
    r.git(&["rm", "-q", "-f", "config.py"]);
    assert_eq!(staged(&r, &[]).0, 0);
}

#[test]
fn new_dotenv_blocks_and_example_with_placeholders_passes() {
    let r = base();
    r.write(
        ".env.example",
        "METIGAN_API_KEY=sk_live_your_api_key_here\nDB_PASSWORD=\n",
    );
    r.git(&["add", "-A"]);
    assert_eq!(staged(&r, &[]).0, 0);
    r.write("deploy/.env.production", "PORT=8080\n");
    r.git(&["add", "-A"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![("deploy/.env.production".into(), "dotenv-file".into(), 1, 1)]
    );
}

#[test]
fn renamed_file_is_reported_once_at_its_new_path() {
    let r = base();
    let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
    r.write("old/name.py", &body);
    r.write("legacy.py", format!("TOKEN = '{}'\n{body}", monime(6)));
    r.commit_all("files");
    // A pure rename of a file holding an old secret adds nothing.
    r.git(&["mv", "legacy.py", "moved.py"]);
    assert_eq!(staged(&r, &[]).0, 0);
    // A rename that also adds a secret: one finding, at the new path.
    std::fs::create_dir_all(r.path().join("new")).unwrap();
    r.git(&["mv", "old/name.py", "new/name.py"]);
    r.write("new/name.py", format!("{body}KEY = '{}'\n", monime(7)));
    r.git(&["add", "-A"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![("new/name.py".into(), "monime-live-token".into(), 21, 8)]
    );
}

#[test]
fn initial_commit_scans_everything_staged() {
    let r = Repo::new();
    r.write("a.txt", "hello\n")
        .write("b.txt", format!("x {}\n", monime(8)));
    r.git(&["add", "-A"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![("b.txt".into(), "monime-live-token".into(), 1, 3)]
    );
    // An empty repository with nothing staged is clean.
    let empty = Repo::new();
    assert_eq!(staged(&empty, &[]).0, 0);
}

#[test]
fn binary_blobs_use_provider_rules_unless_skipped() {
    let r = base();
    let key = format!(
        "AKIA{}",
        synthetic(9, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    let mut blob = b"\x00\x01\x02binary\x00".to_vec();
    blob.extend_from_slice(key.as_bytes());
    r.write("lib/tool.so", &blob);
    r.git(&["add", "-A"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(found[0].1, "aws-access-key-id");
    assert_eq!(staged(&r, &["--skip-binary"]).0, 0);
}

#[test]
fn merge_in_progress_blocks_a_secret_coming_in_and_passes_a_clean_merge() {
    let r = base();
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("feature.py", "def feature():\n    return 1\n");
    r.commit_all("clean feature");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.py", "x = 1\n");
    r.commit_all("main work");
    r.git(&["merge", "-q", "--no-commit", "--no-ff", "feature"]);
    assert_eq!(staged(&r, &[]).0, 0);
    r.git(&["merge", "--abort"]);
    r.git(&["checkout", "-q", "feature"]);
    r.write(
        "feature.py",
        format!("def feature():\n    return '{}'\n", monime(10)),
    );
    r.commit_all("feature with secret");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["merge", "-q", "--no-commit", "--no-ff", "feature"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![("feature.py".into(), "monime-live-token".into(), 2, 13)]
    );
}

#[test]
fn allow_comment_passes() {
    let r = base();
    r.write("t.py", format!("T = '{}'  # leakguard:allow\n", monime(11)));
    r.git(&["add", "-A"]);
    assert_eq!(staged(&r, &[]).0, 0);
}

#[test]
fn local_env_values_block_by_name_never_by_value() {
    let r = base();
    r.write(".gitignore", ".env.local\n");
    r.commit_all("ignore");
    // A low-entropy password no rule would catch.
    r.write(
        ".env.local",
        "DB_PASSWORD=winter-garden-42\nNODE_ENV=development\n",
    );
    r.write(
        "db.py",
        "connect(host='db', password='winter-garden-42')\nmode = 'development'\n",
    );
    r.git(&["add", "db.py"]);
    let out = r.cmd(&["staged"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
    assert!(
        all.contains("value of DB_PASSWORD from .env.local"),
        "{all}"
    );
    assert!(!all.contains("winter-garden-42"), "value leaked:\n{all}");
    let (_, found, _) = staged(&r, &[]);
    assert_eq!(
        found,
        vec![("db.py".into(), "local-env-value".into(), 1, 30)]
    );
}

#[test]
fn intent_to_add_symlink_and_gitlink_entries_are_handled() {
    let r = base();
    r.write("later.py", format!("T = '{}'\n", monime(12)));
    r.git(&["add", "-N", "later.py"]);
    assert_eq!(staged(&r, &[]).0, 0, "intent-to-add stages no content");
    std::os::unix::fs::symlink("app.py", r.path().join("link.py")).unwrap();
    r.git(&["add", "link.py"]);
    let sha = r.head();
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{sha},vendor/sub"),
    ]);
    let (code, _, json) = staged(&r, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        json["summary"]["files_scanned"], 1,
        "the link's blob, not the gitlink"
    );
}

#[test]
fn crlf_files_and_a_linked_worktree() {
    let r = base();
    r.git(&["config", "core.autocrlf", "true"]);
    r.write("win.txt", format!("first\r\nsecond {}\r\n", monime(13)));
    r.git(&["add", "win.txt"]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(found[0].2, 2);
    r.git(&["reset", "-q"]);
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    r.git(&["worktree", "add", "-q", wt_path.to_str().unwrap()]);
    std::fs::write(wt_path.join("w.py"), format!("T = '{}'\n", monime(14))).unwrap();
    let git = |args: &[&str]| {
        assert!(std::process::Command::new("git")
            .current_dir(&wt_path)
            .args(args)
            .status()
            .unwrap()
            .success());
    };
    git(&["add", "w.py"]);
    let out = crate::util::leakguard()
        .current_dir(&wt_path)
        .args(["staged", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        hits(&json),
        vec![("w.py".into(), "monime-live-token".into(), 1, 6)]
    );
}

#[test]
fn bare_repository_and_non_repository_exit_2() {
    let r = base();
    let bare = tempfile::tempdir().unwrap();
    let bare_path = bare.path().join("b.git");
    r.git(&["clone", "-q", "--bare", ".", bare_path.to_str().unwrap()]);
    let out = crate::util::leakguard()
        .current_dir(&bare_path)
        .arg("staged")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bare repository"));
    let none = tempfile::tempdir().unwrap();
    let out = crate::util::leakguard()
        .current_dir(none.path())
        .env("GIT_CEILING_DIRECTORIES", none.path().parent().unwrap())
        .arg("staged")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not inside a git repository"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn config_at_the_repository_root_applies() {
    let r = base();
    r.write(".leakguard.yaml", "disable: [monime-live-token]\n");
    r.write("sub/x.py", format!("T = '{}'\n", monime(15)));
    r.git(&["add", "-A"]);
    assert_eq!(staged(&r, &[]).0, 0);
}

#[test]
fn cherry_pick_in_progress_is_scanned_like_any_staged_change() {
    let r = base();
    r.git(&["checkout", "-q", "-b", "other"]);
    r.write("picked.py", format!("K = '{}'\n", monime(16)));
    let pick = r.commit_all("secret on other");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["cherry-pick", "--no-commit", &pick]);
    let (code, found, _) = staged(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![("picked.py".into(), "monime-live-token".into(), 1, 6)]
    );
}

#[test]
fn a_missing_staged_object_is_exit_2_naming_it() {
    let r = base();
    r.write("new.txt", "some new content\n");
    r.git(&["add", "new.txt"]);
    let id = r.git(&["rev-parse", ":new.txt"]).trim().to_string();
    std::fs::remove_file(r.path().join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    let out = r.cmd(&["staged"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // Like every command's incomplete scan: one warning naming what was missed, then the
    // incomplete-scan error.
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains(&id) && lines[0].contains("new.txt"),
        "{err}"
    );
    assert!(lines[1].contains("incomplete scan"), "{err}");
}

#[test]
fn a_file_over_the_size_limit_reports_its_path_only_when_it_is_new() {
    let r = base();
    r.write("config/.env", "A=1\n");
    r.git(&["add", "-f", "config/.env"]);
    let (code, found, json) = staged(&r, &["--max-file-size", "2"]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "config/.env");
    assert_eq!(json["summary"]["files_skipped_size"], 1);
    r.git(&["commit", "-q", "--no-verify", "-m", "env"]);
    // Modified and still too large: nothing is known to be added, not even the path.
    r.write("config/.env", "A=1\nB=2\n");
    r.git(&["add", "-f", "config/.env"]);
    let (code, found, json) = staged(&r, &["--max-file-size", "2"]);
    assert_eq!((code, found.len()), (0, 0), "{json}");
    assert_eq!(json["summary"]["files_skipped_size"], 1);
}
