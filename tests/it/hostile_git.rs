//! Hostile and broken git inputs: corrupt objects, broken indexes, unusual repository
//! layouts, and repositories whose config or hooks try to make leakguard run or write
//! something. Every case: a clear message, the right exit code, never a panic.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use crate::util::{hits, leakguard, monime, peak_rss_kb, Repo, Tree};

/// Runs `leakguard ARGS` in `r`: (exit code, stdout, stderr); never a panic.
fn run(r: &Repo, args: &[&str]) -> (i32, String, String) {
    let out = r.cmd(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    let code = out.status.code().expect("exited, not killed");
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// Overwrites the loose object `id` with garbage.
fn corrupt(r: &Repo, id: &str) {
    let p = r.path().join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut perms = std::fs::metadata(&p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&p, perms).unwrap();
    std::fs::write(&p, b"this is not a zlib stream").unwrap();
}

fn rev(r: &Repo, spec: &str) -> String {
    r.git(&["rev-parse", spec]).trim().to_string()
}

/// Three commits, no secret: a.txt, d/x.txt; b.txt; c.txt.
fn clean_three() -> Repo {
    let r = Repo::new();
    r.write("a.txt", "hello\n").write("d/x.txt", "x\n");
    r.commit_all("one");
    r.write("b.txt", "more\n");
    r.commit_all("two");
    r.write("c.txt", "third\n");
    r.commit_all("three");
    r
}

#[test]
fn corrupt_or_missing_blob_in_history_is_named_and_the_rest_is_scanned() {
    let r = clean_three();
    r.write("s.py", format!("TOKEN = '{}'\n", monime(601)));
    r.commit_all("secret");
    let blob = rev(&r, "HEAD:a.txt");
    corrupt(&r, &blob);
    let (code, json, stderr) = r.json("history", &[]);
    assert_eq!(code, 1, "the secret elsewhere is still found:\n{stderr}");
    assert_eq!(hits(&json).len(), 1);
    assert!(
        stderr.contains(&blob) && stderr.contains("a.txt"),
        "{stderr}"
    );

    // Without a finding, the unreadable blob makes the scan incomplete: exit 2.
    let r = clean_three();
    let blob = rev(&r, "HEAD:a.txt");
    corrupt(&r, &blob);
    let (code, _, stderr) = run(&r, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&blob) && stderr.contains("incomplete"),
        "{stderr}"
    );
    let (code, json, _) = r.json("history", &[]);
    assert_eq!(code, 2);
    assert_eq!(json["summary"]["files_unreadable"], 1);
    assert_eq!(json["summary"]["files_scanned"], 3);

    // A missing object, likewise.
    let r = clean_three();
    let blob = rev(&r, "HEAD:b.txt");
    std::fs::remove_file(
        r.path()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .unwrap();
    let (code, _, stderr) = run(&r, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&blob) && stderr.contains("b.txt"),
        "{stderr}"
    );
}

#[test]
fn corrupt_blob_in_a_rename_does_not_stop_the_scan() {
    let r = Repo::new();
    let body: String = (0..40).map(|i| format!("line {i}\n")).collect();
    r.write("old.py", &body);
    r.commit_all("one");
    r.git(&["rm", "-q", "old.py"]);
    r.write("new.py", format!("{body}extra\n"));
    r.commit_all("rename and edit");
    let blob = rev(&r, "HEAD:new.py");
    corrupt(&r, &blob);
    let (code, _, stderr) = run(&r, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&blob) && stderr.contains("new.py"),
        "{stderr}"
    );
}

#[test]
fn corrupt_commit_or_tree_is_an_error_naming_it() {
    for (what, spec) in [
        ("commit", "HEAD~1"),
        ("head commit", "HEAD"),
        ("root tree", "HEAD~1^{tree}"),
        ("subtree", "HEAD~2:d"),
    ] {
        let r = clean_three();
        let id = rev(&r, spec);
        corrupt(&r, &id);
        for args in [&["history"][..], &["history", "--all"]] {
            let (code, _, stderr) = run(&r, args);
            assert_eq!(code, 2, "{what} {args:?}:\n{stderr}");
            assert!(
                stderr.contains(&id[2..]),
                "{what} {args:?}: not named:\n{stderr}"
            );
        }
    }
}

#[test]
fn corrupt_staged_blob_is_an_error_naming_the_file() {
    let r = clean_three();
    r.write("new.txt", "staged content\n");
    r.git(&["add", "new.txt"]);
    corrupt(&r, &rev(&r, ":new.txt"));
    let (code, _, stderr) = run(&r, &["staged"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("new.txt"), "{stderr}");
}

#[test]
fn truncated_index_fails_staged_but_not_history() {
    let r = Repo::new();
    for i in 0..30 {
        r.write(&format!("f{i}.txt"), format!("{i}\n"));
    }
    r.write("s.py", format!("TOKEN = '{}'\n", monime(602)));
    r.commit_all("init");
    r.write("n.txt", "new\n");
    r.git(&["add", "n.txt"]);
    let index = r.path().join(".git/index");
    let len = std::fs::metadata(&index).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&index)
        .unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let (code, _, stderr) = run(&r, &["staged"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("index"), "{stderr}");
    let (code, json, stderr) = r.json("history", &[]);
    assert_eq!(code, 1, "history does not need the index:\n{stderr}");
    assert_eq!(hits(&json)[0].0, "s.py");
}

#[test]
fn shallow_clone_scans_what_it_has_and_says_so() {
    let src = Repo::new();
    src.write("old.py", format!("TOKEN = '{}'\n", monime(603)));
    src.commit_all("old secret");
    src.git(&["rm", "-q", "old.py"]);
    src.commit_all("remove it");
    src.write("a.txt", "clean\n");
    src.commit_all("tip");
    let r = Repo::new();
    std::fs::remove_dir_all(r.path().join(".git")).unwrap();
    let url = format!("file://{}", src.path().display());
    r.git(&["clone", "-q", "--depth", "1", &url, "."]);
    let (code, json, stderr) = r.json("history", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["summary"]["commits"], 1);
    assert!(stderr.contains("shallow"), "{stderr}");
    r.write("new.py", format!("TOKEN = '{}'\n", monime(604)));
    r.git(&["add", "new.py"]);
    let (code, json, stderr) = r.json("staged", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(hits(&json)[0].0, "new.py");
}

#[test]
fn submodules_are_skipped_and_the_superproject_is_scanned() {
    let sub = Repo::new();
    sub.write("inner.py", format!("TOKEN = '{}'\n", monime(605)));
    sub.commit_all("sub");
    let r = Repo::new();
    r.write("a.txt", "hello\n");
    r.commit_all("init");
    let url = format!("file://{}", sub.path().display());
    r.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "sm",
    ]);
    r.commit_all("add submodule");
    // A bare gitlink too, with no .gitmodules entry.
    let commit = rev(&r, "HEAD");
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{commit},other"),
    ]);
    let (code, _, stderr) = run(&r, &["staged"]);
    assert_eq!(code, 0, "{stderr}");
    for args in [&[][..], &["--all"]] {
        let (code, json, stderr) = r.json("history", args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(hits(&json).is_empty());
    }
    r.write("top.py", format!("TOKEN = '{}'\n", monime(606)));
    r.git(&["add", "top.py"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!((code, hits(&json)[0].0.as_str()), (1, "top.py"));
    r.git(&["commit", "-q", "-m", "secret"]);
    let (code, json, _) = r.json("history", &[]);
    assert_eq!((code, hits(&json)[0].0.as_str()), (1, "top.py"));
}

#[test]
fn sparse_checkout_with_a_sparse_index() {
    let r = Repo::new();
    r.write("in/a.txt", "a\n")
        .write("out/deep/s.py", format!("TOKEN = '{}'\n", monime(607)))
        .write("top.txt", "top\n");
    r.commit_all("init");
    r.git(&["sparse-checkout", "set", "--cone", "in"]);
    r.git(&["config", "index.sparse", "true"]);
    r.git(&["sparse-checkout", "reapply"]);
    let listed = r.git(&["ls-files", "--sparse"]);
    assert!(listed.contains("out/\n"), "not a sparse index:\n{listed}");
    r.write("in/a.txt", "a\nb\n");
    r.git(&["add", "in/a.txt"]);
    let (code, json, stderr) = r.json("staged", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["summary"]["files_scanned"], 1);
    r.write("in/n.py", format!("TOKEN = '{}'\n", monime(608)));
    r.git(&["add", "in/n.py"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!(hits(&json), vec![hits(&json)[0].clone()]);
    assert_eq!((code, hits(&json)[0].0.as_str()), (1, "in/n.py"));
    // A copy of a file outside the cone is a new file, not a rename of a "deleted" one.
    r.git(&["reset", "-q", "in/n.py"]);
    r.write("in/copy.py", format!("TOKEN = '{}'\n", monime(607)));
    r.git(&["add", "in/copy.py"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!((code, hits(&json)[0].0.as_str()), (1, "in/copy.py"));
    let (code, json, _) = r.json("history", &[]);
    assert_eq!((code, hits(&json)[0].0.as_str()), (1, "out/deep/s.py"));
}

#[test]
fn bare_repository_history_works_and_staged_says_no_work_tree() {
    let src = Repo::new();
    src.write("s.py", format!("TOKEN = '{}'\n", monime(609)));
    src.commit_all("secret");
    let r = Repo::new();
    std::fs::remove_dir_all(r.path().join(".git")).unwrap();
    let url = format!("file://{}", src.path().display());
    r.git(&["clone", "-q", "--bare", &url, "."]);
    let (code, json, stderr) = r.json("history", &["--all"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(hits(&json)[0].0, "s.py");
    let (code, _, stderr) = run(&r, &["staged"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no work tree"), "{stderr}");
}

#[test]
fn detached_head() {
    let r = Repo::new();
    r.write("s.py", format!("TOKEN = '{}'\n", monime(610)));
    r.commit_all("secret");
    r.write("a.txt", "a\n");
    r.commit_all("later");
    r.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    let (code, json, _) = r.json("history", &[]);
    assert_eq!((code, json["summary"]["commits"].as_u64()), (1, Some(1)));
    r.write("d.py", format!("TOKEN = '{}'\n", monime(611)));
    r.git(&["add", "d.py"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!((code, hits(&json)[0].0.as_str()), (1, "d.py"));
}

#[test]
fn git_dir_and_git_work_tree_are_honoured() {
    let top = Tree::new();
    let git_dir = top.join("store/repo.git");
    let work = top.join("work");
    let elsewhere = top.join("elsewhere");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(&git_dir).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&work)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_DIR", &git_dir)
            .env("GIT_WORK_TREE", &work)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["config", "user.name", "T"]);
    git(&["config", "user.email", "t@example.test"]);
    top.file("work/s.py", format!("TOKEN = '{}'\n", monime(612)));
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "secret"]);
    top.file("work/z.py", format!("TOKEN = '{}'\n", monime(613)));
    git(&["add", "z.py"]);
    let run_in = |args: &[&str]| {
        let out = leakguard()
            .current_dir(&elsewhere)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_DIR", &git_dir)
            .env("GIT_WORK_TREE", &work)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{stderr}"));
        (out.status.code().unwrap(), hits(&json))
    };
    let (code, found) = run_in(&["history", "--format", "json"]);
    assert_eq!((code, found[0].0.as_str()), (1, "s.py"));
    let (code, found) = run_in(&["staged", "--format", "json"]);
    assert_eq!((code, found[0].0.as_str()), (1, "z.py"));
}

#[test]
fn huge_blob_in_history_is_skipped_by_size_without_loading_it() {
    // 200 MB of zeros (1 GB works the same but `git add` alone takes ~17 s).
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let f = std::fs::File::create(r.path().join("big.bin")).unwrap();
    f.set_len(200 << 20).unwrap();
    drop(f);
    r.commit_all("big");
    std::fs::remove_file(r.path().join("big.bin")).unwrap();
    // Under the 256M default it would be read: the limit is set below the blob.
    let (code, json, stderr) = r.json("history", &["--max-file-size", "100M"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["summary"]["files_skipped_size"], 1);
    assert_eq!(json["summary"]["files_scanned"], 1);
    let args = ["history", "--format", "json", "--max-file-size", "100M"];
    if let Some(kb) = peak_rss_kb(
        r.path(),
        &args,
        &[
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
            ("GIT_CONFIG_NOSYSTEM", "1"),
        ],
    ) {
        assert!(kb < 100 * 1024, "peak RSS {kb} kB: the blob was loaded");
    }
}

/// The script every hostile setting points to: it leaves a marker if it ever runs.
fn hostile_repo(top: &Tree) -> (Repo, std::path::PathBuf) {
    let marker = top.join("EXECUTED");
    let script = top.join("evil.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$0 $*\" >> '{}'\ncat\n", marker.display()),
    )
    .unwrap();
    let exec = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    exec(&script);
    let r = Repo::new();
    let body: String = (0..30).map(|i| format!("line {i}\n")).collect();
    r.write("old.py", &body).write("sub/a.txt", "a\n");
    r.commit_all("one");
    r.git(&["mv", "old.py", "new.py"]);
    r.write("new.py", format!("{body}TOKEN = '{}'\n", monime(614)));
    r.commit_all("two");
    r.write(".gitattributes", "* filter=x diff=x merge=x\n");
    r.write("staged.py", format!("TOKEN = '{}'\n", monime(615)));
    r.git(&["add", "-A"]);
    // Hooks in .git/hooks and in a core.hooksPath directory.
    let hooks_path = top.join("hooks-elsewhere");
    std::fs::create_dir_all(&hooks_path).unwrap();
    for dir in [r.path().join(".git/hooks"), hooks_path.clone()] {
        for name in [
            "pre-commit",
            "post-checkout",
            "post-index-change",
            "reference-transaction",
            "fsmonitor-watchman",
            "pre-auto-gc",
            "post-rewrite",
        ] {
            let h = dir.join(name);
            std::fs::write(
                &h,
                format!("#!/bin/sh\n'{}' hook {name}\n", script.display()),
            )
            .unwrap();
            exec(&h);
        }
    }
    let s = script.display().to_string();
    for (key, value) in [
        ("core.fsmonitor", s.clone()),
        ("core.hooksPath", hooks_path.display().to_string()),
        ("diff.external", s.clone()),
        ("diff.x.command", s.clone()),
        ("diff.x.textconv", s.clone()),
        ("filter.x.clean", s.clone()),
        ("filter.x.smudge", s.clone()),
        ("filter.x.process", s.clone()),
        ("filter.x.required", "true".into()),
        ("merge.x.driver", s.clone()),
        ("core.sshCommand", s.clone()),
        ("gpg.program", s.clone()),
        ("core.pager", s.clone()),
        ("pager.diff", s.clone()),
        ("credential.helper", format!("!{s}")),
        ("core.askPass", s.clone()),
        ("core.editor", s.clone()),
        ("sequence.editor", s.clone()),
        ("commit.gpgsign", "true".into()),
        ("gc.auto", "1".into()),
        ("core.untrackedCache", "true".into()),
    ] {
        r.git(&["config", key, &value]);
    }
    (r, marker)
}

#[test]
fn never_executes_anything_from_the_scanned_repository() {
    let top = Tree::new();
    let (r, marker) = hostile_repo(&top);
    let base = r.git(&["rev-parse", "HEAD~1"]);
    let range = format!("{}..HEAD", base.trim());
    let baseline = top.join("bl.json").display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["scan", "."],
        vec!["staged"],
        vec!["history"],
        vec!["history", "--all"],
        vec!["history", "--range", &range],
        vec!["baseline", "--file", &baseline],
        vec!["rules", "list"],
    ];
    for dir in [r.path().to_path_buf(), r.path().join("sub")] {
        for args in &commands {
            let out = leakguard()
                .current_dir(&dir)
                .env("PAGER", "/bin/false")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .args(args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            assert!(
                !marker.exists(),
                "{args:?} in {} ran a program from the repository: {}",
                dir.display(),
                std::fs::read_to_string(&marker).unwrap_or_default()
            );
        }
    }
    // The setup is live: git itself does run it.
    let _ = std::process::Command::new("git")
        .current_dir(r.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["--no-pager", "diff", "HEAD~1"])
        .output();
    assert!(
        marker.exists(),
        "the hostile config never fires, even for git"
    );
}

/// Every path below `root` (files and directories, `.git` included, and `root` itself) with
/// size and mtime, keyed `name/relative/path`.
fn snapshot(root: &Path, name: &str) -> BTreeMap<String, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let m = root.metadata().unwrap();
    out.insert(name.to_string(), (0, m.modified().unwrap()));
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let m = path.symlink_metadata().unwrap();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(format!("{name}/{rel}"), (m.len(), m.modified().unwrap()));
            if m.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

/// The paths that differ between two snapshots.
fn changed(
    before: &BTreeMap<String, (u64, SystemTime)>,
    after: &BTreeMap<String, (u64, SystemTime)>,
) -> Vec<String> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect()
}

#[test]
fn never_writes_outside_the_report_the_baseline_and_the_hooks() {
    let top = Tree::new();
    let (r, _) = hostile_repo(&top);
    // No hooks path here: `install` goes to .git/hooks.
    r.git(&["config", "--unset", "core.hooksPath"]);
    std::fs::remove_file(r.path().join(".git/hooks/pre-commit")).unwrap();
    // Let the mtimes of git's own writes settle, so that a rewrite is visible.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let snap = || {
        let mut all = snapshot(r.path(), "repo");
        all.extend(snapshot(top.path(), "top"));
        all
    };
    let before = snap();
    for args in [
        &["scan", "."][..],
        &["staged"],
        &["history"],
        &["history", "--all"],
    ] {
        let (_, _, stderr) = run(&r, args);
        let after = snap();
        assert_eq!(
            changed(&before, &after),
            Vec::<String>::new(),
            "{args:?}: {stderr}"
        );
    }
    // Each writes its file (the directory holding it changes with it) and nothing else.
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["staged", "-o", "report.json"],
            &["repo", "repo/report.json"],
        ),
        (
            &["history", "-o", "report.json"],
            &["repo", "repo/report.json"],
        ),
        (
            &["baseline", "--file", "bl.json"],
            &["repo", "repo/bl.json"],
        ),
        (
            &["install"],
            &["repo/.git/hooks", "repo/.git/hooks/pre-commit"],
        ),
    ];
    for (args, expected) in cases {
        let before = snap();
        let (code, _, stderr) = run(&r, args);
        assert!(code <= 1, "{args:?}: {stderr}");
        assert_eq!(changed(&before, &snap()), expected, "{args:?}: {stderr}");
    }
}
