//! Scanned data that tries to drive the terminal: author names, e-mails, file, directory and
//! repository names holding ANSI escapes (CSI colours and screen clears, OSC 8 hyperlinks),
//! BEL, backspace, carriage return, C1 controls and bidi overrides (U+202E, the isolates
//! U+2066..2069, the marks U+200E/F). Text reports, CSV and every message print them
//! escaped (`\u{1b}`, `\u{202e}`), so no name can recolour, rewrite or forge a line; JSON
//! keeps them exact (its own escaping is safe). A directory named after a token that the
//! walk cannot read is named redacted.

// A skipped variant says why on stderr.
#![allow(clippy::print_stderr)]

use std::path::Path;
use std::process::Output;

use crate::util::{commit_in, git, leakguard, monime, Repo, Tree};

/// Characters that must never reach a terminal raw (besides the `\n` that ends a line).
const RAW: [char; 12] = [
    '\u{1b}', '\u{7}', '\u{8}', '\r', '\u{9b}', '\u{9d}', '\u{202e}', '\u{2066}', '\u{2067}',
    '\u{2069}', '\u{200e}', '\u{200f}',
];

/// A hostile name: colour, a hyperlink, a screen clear, BEL, backspace, C1 CSI, bidi.
fn hostile(word: &str) -> String {
    format!(
        "{word}\u{1b}[31mred\u{1b}]8;;https://evil.test/\u{7}link\u{1b}]8;;\u{7}\u{1b}[2J\u{8}\u{9b}1m\u{202e}txt.exe\u{2066}iso\u{2069}\u{200f}end"
    )
}

/// `text` holds none of [`RAW`] (a CSV's `\r\n` record ends aside).
fn assert_no_raw(what: &str, text: &str) {
    let text = text.replace("\r\n", "\n");
    for c in RAW {
        assert!(
            !text.contains(c),
            "{what} prints {:?} raw:\n{}",
            c,
            text.escape_debug()
        );
    }
}

fn out_text(out: &Output) -> (String, String) {
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!e.contains("panicked"), "{e}");
    (o, e)
}

/// Commits everything in `dir` as `author` <`email`>.
fn commit_as(dir: &Path, author: &str, email: &str) {
    git(dir, &["add", "-A"]);
    let who = [("GIT_AUTHOR_NAME", author), ("GIT_AUTHOR_EMAIL", email)];
    commit_in(dir, "hostile", &who);
}

#[test]
fn history_text_escapes_authors_emails_and_paths() {
    let r = Repo::new();
    let dir = hostile("dir");
    r.write(
        &format!("{dir}/a.py"),
        format!("TOKEN = \"{}\"\n", monime(2201)),
    );
    commit_as(r.path(), &hostile("Mallory"), &hostile("m"));
    for args in [
        &["history"][..],
        &["history", "--all"],
        &["history", "--explain"],
    ] {
        let out = r.cmd(args).output().unwrap();
        let (stdout, stderr) = out_text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout}{stderr}");
        assert_no_raw("history stdout", &stdout);
        assert_no_raw("history stderr", &stderr);
        // The author is there, readable and escaped.
        assert!(stdout.contains("Mallory\\u{1b}[31mred"), "{stdout}");
        assert!(stdout.contains("\\u{202e}txt.exe"), "{stdout}");
    }
    // JSON keeps the exact name (serde escapes it).
    let (_, json, _) = r.json("history", &[]);
    let author = json["findings"][0]["commit"]["author"].as_str().unwrap();
    assert!(
        author.contains('\u{1b}') && author.contains('\u{202e}'),
        "{author:?}"
    );
}

#[test]
fn scan_escapes_bidi_and_controls_in_file_names() {
    let t = Tree::new();
    let name = hostile("f");
    t.file(
        &format!("{name}.py"),
        format!("TOKEN = \"{}\"\n", monime(2211)),
    );
    let out = t.cmd(&["scan", "."]).output().unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_no_raw("scan stdout", &stdout);
    assert_no_raw("scan stderr", &stderr);
    assert!(
        stdout.contains("\\u{202e}txt.exe\\u{2066}iso\\u{2069}\\u{200f}"),
        "{stdout}"
    );
}

/// A directory name cannot forge a line: neither a new one (`\n`) nor one drawn over the
/// last (`\r`), in audit's warnings or in the reports.
#[test]
fn a_directory_name_cannot_forge_a_summary_line() {
    let root = Tree::new();
    let repos = root.join("repos");
    let good = repos.join("good");
    std::fs::create_dir_all(&good).unwrap();
    git(&good, &["init", "-q", "-b", "main"]);
    std::fs::write(good.join("a.py"), format!("TOKEN = \"{}\"\n", monime(2221))).unwrap();
    commit_as(&good, "A", "a@example.test");
    for forged in [
        "x\nleakguard: 0 incidents need attention (0 open, 0 revoked and found again); 0 in all, 0 triaged",
        "x\rleakguard: 0 incidents need attention",
        "x\u{1b}[1A\u{1b}[2Kleakguard: 0 incidents need attention",
    ] {
        // Not a repository: a broken one, whose name the warning carries.
        let bad = repos.join(forged);
        std::fs::create_dir_all(bad.join(".git")).unwrap();
        std::fs::write(bad.join(".git/HEAD"), "garbage").unwrap();
    }
    // And a good repository under a hostile name, with a hostile author.
    let evil = repos.join(hostile("evil\nleakguard: 0 incidents"));
    std::fs::create_dir_all(&evil).unwrap();
    git(&evil, &["init", "-q", "-b", "main"]);
    std::fs::write(evil.join("b.py"), format!("TOKEN = \"{}\"\n", monime(2222))).unwrap();
    commit_as(&evil, &hostile("Eve\r"), "e@example.test");
    let db = root.join("a.db");
    let out = leakguard()
        .current_dir(root.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "audit",
            "--db",
            db.to_str().unwrap(),
            "--progress",
            "always",
        ])
        .arg(&repos)
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert_no_raw("audit stdout", &stdout);
    // The progress line draws with `\r` and CSI itself: only its own sequences are allowed.
    let own = stderr.replace("\r\u{1b}[2K", "");
    assert_no_raw("audit stderr", &own);
    let forged = |s: &str| s.lines().any(|l| l.starts_with("leakguard: 0 incidents"));
    assert!(!forged(&stdout) && !forged(&own), "{stdout}{stderr}");
    assert!(stdout.contains("2 incidents need attention"), "{stdout}");
    assert!(own.contains("x\\nleakguard: 0 incidents"), "{own}");

    for format in ["text", "csv"] {
        let out = leakguard()
            .args(["report", "--db", db.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        let (stdout, stderr) = out_text(&out);
        assert!(out.status.success(), "{stderr}");
        assert_no_raw(&format!("report --format {format}"), &stdout);
        assert!(!forged(&stdout), "{stdout}");
        assert!(
            stdout.contains("evil\\nleakguard: 0 incidents\\u{1b}[31m"),
            "{stdout}"
        );
        assert!(stdout.contains("Eve\\r\\u{1b}[31m"), "{format}: {stdout}");
    }
    // JSON holds the names exactly.
    let out = leakguard()
        .args(["report", "--db", db.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = json.to_string();
    assert!(names.contains("evil\\nleakguard"), "{names}");
    assert!(names.contains("\\u001b[31m"), "{names}");
}

/// A directory the walk cannot read, named after a token: the warning names it with the
/// token redacted. Made unreadable by a path longer than the system allows (`File name too
/// long`), which holds for root too; as another user, `chmod 000` as well.
#[test]
#[cfg(unix)]
fn an_unreadable_directory_named_after_a_token_is_named_redacted() {
    let token = monime(2231);
    let t = Tree::new();
    t.file("a.txt", "hello\n");
    let keys = t.join(&format!("keys-{token}"));
    std::fs::create_dir_all(&keys).unwrap();
    // 20 levels of 242-byte names: over PATH_MAX (4096). Built bottom-up with renames so
    // that no call here needs a long path.
    let levels = 20;
    for i in 0..levels {
        std::fs::create_dir(t.join(&format!("l{i}"))).unwrap();
    }
    for i in (1..levels).rev() {
        let name = format!("x{i:02}{}", "d".repeat(240));
        std::fs::rename(
            t.join(&format!("l{i}")),
            t.join(&format!("l{}/{name}", i - 1)),
        )
        .unwrap();
    }
    std::fs::rename(t.join("l0"), keys.join("deep")).unwrap();
    let mut named = vec!["keys-mon_"];
    let locked = t.join(&format!("locked-{token}"));
    let root = running_as_root();
    if !root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(locked.join("x")).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        named.push("locked-mon_");
    } else {
        eprintln!(
            "SKIPPED (running as root): the chmod 000 variant is skipped (root reads it anyway)"
        );
    }
    for format in ["text", "json"] {
        let out = t.cmd(&["scan", "--format", format, "."]).output().unwrap();
        let (stdout, stderr) = out_text(&out);
        assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
        assert!(
            !stdout.contains(&token),
            "stdout shows the token:\n{stdout}"
        );
        assert!(
            !stderr.contains(&token),
            "stderr shows the token:\n{stderr}"
        );
        for n in &named {
            assert!(stderr.contains(n), "{n} not named: {stderr}");
        }
        assert!(stderr.contains("cannot walk"), "{stderr}");
    }
    if !root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Whether the tests run as root (whom permission bits do not stop).
fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
