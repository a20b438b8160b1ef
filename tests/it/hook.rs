//! `leakguard install` / `uninstall` on real repositories made with the `git` CLI.
//!
//! Where the hook lands is checked against `git rev-parse --git-path hooks`, and that git runs
//! it from there is checked with a stand-in `leakguard` on PATH, so these tests do not depend
//! on `leakguard staged`. The end-to-end test with the real binary is the last one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{leakguard, synthetic, Tree, ALNUM};

const MARKER: &str = "# installed by leakguard install";

/// Environment that would point git or gix at another repository, or at the user's config.
const GIT_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
];

/// Isolates a command from the caller's git environment and global/system config.
fn isolate<C: EnvCmd>(c: &mut C) {
    for v in GIT_ENV {
        c.remove(v);
    }
    c.set("GIT_CONFIG_GLOBAL", "/dev/null".into());
    c.set("GIT_CONFIG_NOSYSTEM", "1".into());
}

trait EnvCmd {
    fn remove(&mut self, k: &str);
    fn set(&mut self, k: &str, v: OsString);
}

impl EnvCmd for Command {
    fn remove(&mut self, k: &str) {
        self.env_remove(k);
    }
    fn set(&mut self, k: &str, v: OsString) {
        self.env(k, v);
    }
}

impl EnvCmd for assert_cmd::Command {
    fn remove(&mut self, k: &str) {
        self.env_remove(k);
    }
    fn set(&mut self, k: &str, v: OsString) {
        self.env(k, v);
    }
}

/// `git ARGS` in `dir`, isolated.
fn git_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(git_exe());
    c.current_dir(dir).args(args);
    isolate(&mut c);
    c
}

/// `git ARGS` in `dir`; panics unless it succeeds; returns trimmed stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir, args).output().unwrap();
    assert!(out.status.success(), "git {args:?} failed: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

/// The absolute path of `git` (tests run it with a replaced PATH).
fn git_exe() -> PathBuf {
    let path = std::env::var_os("PATH").expect("PATH");
    std::env::split_paths(&path)
        .map(|d| d.join("git"))
        .find(|p| p.is_file())
        .expect("git on PATH")
}

/// `leakguard ARGS` in `dir`, isolated.
fn lg(dir: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut c = leakguard();
    c.current_dir(dir).args(args);
    isolate(&mut c);
    c
}

/// Runs `leakguard ARGS` in `dir`, returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = lg(dir, args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Asserts `leakguard ARGS` exits 2 with exactly one line on stderr; returns it.
fn one_line_error(dir: &Path, args: &[&str]) -> String {
    let (code, _, err) = run(dir, args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line:\n{err}");
    assert!(err.starts_with("leakguard: error: "), "{err}");
    err
}

/// A new repository at `<tree>/repo` with an identity and no signing.
fn repo() -> (Tree, PathBuf) {
    let t = Tree::new();
    let root = t.join("repo");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["config", "user.name", "Leak Guard"]);
    git(
        &root,
        &["config", "user.email", "leakguard@example.invalid"],
    );
    git(&root, &["config", "commit.gpgsign", "false"]);
    (t, root)
}

/// The hooks directory according to git itself, as seen from `dir`.
fn git_hooks_dir(dir: &Path) -> PathBuf {
    let p = git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
    );
    PathBuf::from(p)
}

fn canon(p: &Path) -> PathBuf {
    p.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn is_ours(p: &Path) -> bool {
    read(p).lines().any(|l| l == MARKER)
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_p: &Path) {}

/// Installs a stand-in `leakguard` into `<tree>/fakebin` that records its arguments and exits
/// with the code in `$FAKE_EXIT`; returns the directory.
fn fake_leakguard(t: &Tree) -> PathBuf {
    let bin = t.join("fakebin");
    t.file(
        "fakebin/leakguard",
        "#!/bin/sh\necho \"$@\" >> \"$FAKE_LOG\"\nexit \"${FAKE_EXIT:-0}\"\n",
    );
    make_executable(&bin.join("leakguard"));
    bin
}

/// PATH with `dir` in front.
fn path_with(dir: &Path) -> OsString {
    let old = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&old));
    std::env::join_paths(dirs).unwrap()
}

/// `git commit` in `dir` with `PATH`; returns the output.
fn commit(dir: &Path, path: &OsString, envs: &[(&str, &Path)], msg: &str) -> Output {
    let mut c = git_cmd(dir, &["commit", "-q", "-m", msg]);
    c.env("PATH", path);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Checks that git runs the installed hook in `dir`'s repository: a failing `leakguard
/// staged` stops the commit, a passing one lets it through.
fn assert_git_runs_hook(t: &Tree, dir: &Path) {
    let bin = fake_leakguard(t);
    let log = t.join("fake.log");
    let path = path_with(&bin);
    std::fs::write(dir.join("hooked.txt"), "hello\n").unwrap();
    git(dir, &["add", "hooked.txt"]);

    let mut c = git_cmd(dir, &["commit", "-q", "-m", "blocked"]);
    c.env("PATH", &path)
        .env("FAKE_LOG", &log)
        .env("FAKE_EXIT", "1");
    let out = c.output().unwrap();
    assert!(!out.status.success(), "hook exit 1 must stop the commit");
    assert_eq!(read(&log), "staged\n", "the hook runs `leakguard staged`");

    let out = commit(dir, &path, &[("FAKE_LOG", &log)], "allowed");
    assert!(out.status.success(), "hook exit 0 lets it through: {out:?}");
    assert_eq!(read(&log), "staged\nstaged\n");
    assert_eq!(git(dir, &["log", "-1", "--format=%s"]), "allowed");
}

#[test]
fn install_writes_an_executable_hook_that_runs_staged() {
    let (t, root) = repo();
    let (code, out, err) = run(&root, &["install"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "leakguard: installed pre-commit hook at .git/hooks/pre-commit\n"
    );
    let hook = root.join(".git/hooks/pre-commit");
    assert_eq!(
        canon(&git_hooks_dir(&root).join("pre-commit")),
        canon(&hook)
    );
    let text = read(&hook);
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(text.contains("exec leakguard staged"), "{text}");
    assert!(is_ours(&hook));
    #[cfg(unix)]
    assert_eq!(mode(&hook), 0o755);

    // Again: idempotent, nothing changes.
    let (code, out, _) = run(&root, &["install"]);
    assert_eq!(code, 0);
    assert!(out.contains("already installed"), "{out}");
    assert_eq!(read(&hook), text);

    assert_git_runs_hook(&t, &root);
}

#[test]
fn install_from_a_subdirectory_and_with_repo() {
    let (t, root) = repo();
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    lg(&root.join("a/b"), &["install"]).assert().success();
    assert!(is_ours(&root.join(".git/hooks/pre-commit")));
    lg(&root, &["uninstall"]).assert().success();
    // --repo names a path inside the repository; messages show where the hook went.
    lg(t.path(), &["install", "--repo", "repo/a"])
        .assert()
        .success()
        .stdout("leakguard: installed pre-commit hook at repo/.git/hooks/pre-commit\n");
    assert!(is_ours(&root.join(".git/hooks/pre-commit")));
}

#[test]
fn install_creates_a_missing_hooks_directory() {
    let (_t, root) = repo();
    std::fs::remove_dir_all(root.join(".git/hooks")).unwrap();
    lg(&root, &["install"]).assert().success();
    assert!(is_ours(&root.join(".git/hooks/pre-commit")));
}

#[test]
fn install_refuses_a_foreign_hook_and_force_replaces_it_with_a_backup() {
    let (_t, root) = repo();
    let hook = root.join(".git/hooks/pre-commit");
    let foreign = "#!/bin/sh\necho my own checks\n";
    std::fs::write(&hook, foreign).unwrap();

    let err = one_line_error(&root, &["install"]);
    assert!(err.contains(".git/hooks/pre-commit"), "{err}");
    assert!(err.contains("not written by leakguard"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(read(&hook), foreign, "left untouched");

    let (code, out, err) = run(&root, &["install", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(is_ours(&hook));
    let backup = root.join(".git/hooks/pre-commit.leakguard-backup");
    assert_eq!(read(&backup), foreign);
    assert!(
        out.contains(".git/hooks/pre-commit.leakguard-backup"),
        "{out}"
    );

    // A second foreign hook replaced with --force does not clobber the first backup.
    std::fs::write(&hook, "#!/bin/sh\necho second\n").unwrap();
    lg(&root, &["install"]).assert().code(2);
    lg(&root, &["install", "--force"]).assert().success();
    assert_eq!(read(&backup), foreign);
    assert_eq!(
        read(&root.join(".git/hooks/pre-commit.leakguard-backup.1")),
        "#!/bin/sh\necho second\n"
    );

    // Uninstall removes ours and points at the backups.
    let (code, out, _) = run(&root, &["uninstall"]);
    assert_eq!(code, 0);
    assert!(!hook.exists());
    assert!(out.contains("pre-commit.leakguard-backup"), "{out}");
    assert_eq!(read(&backup), foreign);
}

#[test]
fn install_points_pre_commit_framework_users_at_their_config() {
    let (_t, root) = repo();
    let hook = root.join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n",
    )
    .unwrap();
    let err = one_line_error(&root, &["install"]);
    assert!(err.contains(".pre-commit-config.yaml"), "{err}");
}

#[test]
fn a_symlinked_hook_is_foreign() {
    let (t, root) = repo();
    t.file("shared/pre-commit", "#!/bin/sh\nexit 0\n");
    #[cfg(unix)]
    {
        let hook = root.join(".git/hooks/pre-commit");
        std::os::unix::fs::symlink(t.join("shared/pre-commit"), &hook).unwrap();
        one_line_error(&root, &["install"]);
        one_line_error(&root, &["uninstall"]);
        lg(&root, &["install", "--force"]).assert().success();
        // The link was moved aside, not written through.
        assert_eq!(read(&t.join("shared/pre-commit")), "#!/bin/sh\nexit 0\n");
        assert!(is_ours(&hook));
        assert!(!std::fs::symlink_metadata(&hook)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

#[test]
fn uninstall_removes_only_its_own_hook() {
    let (_t, root) = repo();
    let hook = root.join(".git/hooks/pre-commit");

    let (code, out, _) = run(&root, &["uninstall"]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing to uninstall"), "{out}");

    lg(&root, &["install"]).assert().success();
    let (code, out, _) = run(&root, &["uninstall"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "leakguard: removed pre-commit hook .git/hooks/pre-commit\n"
    );
    assert!(!hook.exists());
    assert!(root.join(".git/hooks").is_dir());

    let foreign = "#!/bin/sh\nexit 0\n";
    std::fs::write(&hook, foreign).unwrap();
    let err = one_line_error(&root, &["uninstall"]);
    assert!(err.contains("not written by leakguard"), "{err}");
    assert!(err.contains(".git/hooks/pre-commit"), "{err}");
    assert_eq!(read(&hook), foreign);
}

#[test]
fn relative_core_hooks_path_is_relative_to_the_work_tree_root() {
    let (t, root) = repo();
    git(&root, &["config", "core.hooksPath", ".githooks"]);
    std::fs::create_dir_all(root.join("sub")).unwrap();
    // Run from a subdirectory: the relative path must not resolve against it.
    let (code, out, err) = run(&root.join("sub"), &["install"]);
    assert_eq!(code, 0, "{err}");
    let hook = root.join(".githooks/pre-commit");
    assert!(is_ours(&hook));
    assert!(out.contains("core.hooksPath"), "{out}");
    assert!(!root.join("sub/.githooks").exists());
    assert!(!root.join(".git/hooks/pre-commit").exists());
    assert_eq!(
        canon(&git_hooks_dir(&root.join("sub")).join("pre-commit")),
        canon(&hook)
    );
    assert_git_runs_hook(&t, &root);
    lg(&root.join("sub"), &["uninstall"]).assert().success();
    assert!(!hook.exists());
}

#[test]
fn absolute_and_home_relative_core_hooks_path() {
    let (t, root) = repo();
    let abs = t.join("abs-hooks");
    git(&root, &["config", "core.hooksPath", abs.to_str().unwrap()]);
    lg(&root, &["install"]).assert().success();
    assert!(is_ours(&abs.join("pre-commit")));

    // `~/` in a global config, as people set it up for all their repositories.
    git(&root, &["config", "--unset", "core.hooksPath"]);
    let home = t.join("home");
    t.file("home/gitconfig", "[core]\n\thooksPath = ~/githooks\n");
    let global = home.join("gitconfig");
    let mut c = lg(&root, &["install"]);
    c.env("HOME", &home).env("GIT_CONFIG_GLOBAL", &global);
    c.assert().success();
    let hook = home.join("githooks/pre-commit");
    assert!(is_ours(&hook));
    let mut g = git_cmd(
        &root,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
    );
    g.env("HOME", &home).env("GIT_CONFIG_GLOBAL", &global);
    let git_says = String::from_utf8(g.output().unwrap().stdout).unwrap();
    assert_eq!(
        canon(&PathBuf::from(git_says.trim_end()).join("pre-commit")),
        canon(&hook)
    );
}

#[test]
fn linked_worktree_installs_into_the_common_hooks_directory() {
    let (t, root) = repo();
    git(&root, &["commit", "-q", "--allow-empty", "-m", "initial"]);
    let wt = t.join("wt");
    git(&root, &["worktree", "add", "-q", wt.to_str().unwrap()]);

    lg(&wt, &["install"]).assert().success();
    let hook = root.join(".git/hooks/pre-commit");
    assert!(is_ours(&hook));
    assert!(!root.join(".git/worktrees/wt/hooks").exists());
    assert_eq!(canon(&git_hooks_dir(&wt).join("pre-commit")), canon(&hook));
    assert_git_runs_hook(&t, &wt);

    lg(&wt, &["uninstall"]).assert().success();
    assert!(!hook.exists());
}

#[test]
fn outside_a_repository_is_a_one_line_error() {
    let t = Tree::new();
    for args in [&["install"][..], &["uninstall"][..]] {
        let err = one_line_error(t.path(), args);
        assert!(err.contains("not a git repository"), "{err}");
    }
    let err = one_line_error(t.path(), &["install", "--repo", "missing"]);
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn a_bare_repository_gets_no_hook() {
    let t = Tree::new();
    git(t.path(), &["init", "-q", "--bare", "bare.git"]);
    let err = one_line_error(&t.join("bare.git"), &["install"]);
    assert!(err.contains("bare"), "{err}");
    assert!(!t.join("bare.git/hooks/pre-commit").exists());
}

#[test]
fn the_hook_says_so_when_leakguard_is_not_on_path() {
    let (t, root) = repo();
    lg(&root, &["install"]).assert().success();
    t.file("repo/a.txt", "a\n");
    git(&root, &["add", "a.txt"]);
    let empty = t.join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let out = commit(&root, &empty.into_os_string(), &[], "no leakguard");
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`leakguard` is not on PATH"), "{err}");
    // The packages' real names: `leakguard` on crates.io is another project.
    assert!(err.contains("cargo install leakguard-cli"), "{err}");
    assert!(err.contains("pipx install leakguard-bin"), "{err}");
    assert!(!err.contains("cargo install leakguard)"), "{err}");
}

/// The real thing: `leakguard install`, then `git commit` with the built binary on PATH.
#[test]
fn end_to_end_the_hook_blocks_a_secret_and_passes_a_clean_commit() {
    let (t, root) = repo();
    lg(&root, &["install"]).assert().success();
    let bin = Path::new(env!("CARGO_BIN_EXE_leakguard")).parent().unwrap();
    let path = path_with(bin);

    t.file("repo/README.md", "hello\n");
    git(&root, &["add", "README.md"]);
    let out = commit(&root, &path, &[], "clean");
    assert!(out.status.success(), "clean commit must pass: {out:?}");
    assert_eq!(git(&root, &["log", "-1", "--format=%s"]), "clean");

    let token = format!("mon_{}", synthetic(77, 31, ALNUM));
    t.file("repo/config.py", format!("MONIME_TOKEN = \"{token}\"\n"));
    git(&root, &["add", "config.py"]);
    let out = commit(&root, &path, &[], "leak");
    assert!(!out.status.success(), "secret commit must fail: {out:?}");
    // Git sends a hook's stdout to stderr.
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("monime-live-token"), "{all}");
    assert!(!all.contains(&token), "the secret is redacted:\n{all}");
    assert_eq!(git(&root, &["log", "-1", "--format=%s"]), "clean");
}
