//! Hostile and broken inputs on disk: odd encodings, huge and special files, odd names,
//! symbolic links, unreadable files and oversized rule files. Each test plants a secret in
//! a normal file next to the hostile one and checks that the rest of the scan completes,
//! that nothing panics or hangs, and that what was skipped is said on stderr. Slow cases
//! print their timings (`--nocapture`).

#![allow(clippy::print_stderr)]

use std::time::{Duration, Instant};

use crate::util::{hits, tok, Tree, TOK_CONFIG};

/// Long enough for a debug build on a loaded machine; a hang fails instead of blocking.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What a run produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    json: serde_json::Value,
}

/// `leakguard ARGS` in the tree, with a timeout; checks that nothing panicked. `json` is
/// the parsed stdout when it is JSON, `Null` otherwise.
fn run(t: &Tree, args: &[&str]) -> Run {
    let out = t.cmd(args).timeout(TIMEOUT).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed (hang?): {stderr}"));
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    Run {
        code,
        stdout,
        stderr,
        json,
    }
}

/// `leakguard scan --format json ARGS` with the token config.
fn scan(t: &Tree, args: &[&str]) -> Run {
    t.file(".leakguard.yaml", TOK_CONFIG);
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(t, &all);
    assert!(
        r.json.is_object(),
        "not JSON (exit {}):\n{}",
        r.code,
        r.stderr
    );
    r
}

/// Does the report hold a `tok` finding at `path`?
fn found(r: &Run, path: &str) -> bool {
    hits(&r.json)
        .iter()
        .any(|(p, rule, _, _)| p == path && rule == "tok")
}

/// A normal file with a secret, next to the hostile input.
fn plant(t: &Tree) {
    t.file("normal.txt", format!("token = {}\n", tok(999)));
}

fn summary(r: &Run, key: &str) -> u64 {
    r.json["summary"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("no summary.{key}"))
}

#[test]
fn invalid_utf8_content() {
    let t = Tree::new();
    plant(&t);
    let mut bytes = b"head \xc3\x28 \xa0\xa1 \xf0\x28\x8c\x28\n\x80\x80 key = ".to_vec();
    bytes.extend_from_slice(tok(1).as_bytes());
    bytes.extend_from_slice(b" \xff\xfe\xfd\n\xc0");
    t.file("bad.txt", bytes);
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = hits(&r.json);
    assert!(
        h.contains(&("bad.txt".into(), "tok".into(), 2, 10)),
        "{h:?}"
    );
    assert!(found(&r, "normal.txt"));
    assert_eq!(summary(&r, "files_skipped_binary"), 0);
}

#[test]
fn utf16_with_bom_both_byte_orders() {
    let t = Tree::new();
    plant(&t);
    let text = format!("first\r\nsecond\r\nkey = {}\r\n", tok(2));
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    t.file("le.txt", le).file("be.txt", be);
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = hits(&r.json);
    for p in ["le.txt", "be.txt"] {
        assert!(h.contains(&(p.into(), "tok".into(), 3, 7)), "{p}: {h:?}");
    }
    assert!(found(&r, "normal.txt"));
}

#[test]
fn nul_laden_text_is_binary() {
    let t = Tree::new();
    plant(&t);
    let bin = format!("\0\0\0\x01ELF\0 {} \0\0 more\0", tok(3));
    t.file("blob.bin", &bin)
        .file("conf/.env", format!("\0{}", tok(4)));
    // Binary: provider rules still apply.
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, "blob.bin"), "{:?}", hits(&r.json));
    assert!(found(&r, "normal.txt"));
    assert_eq!(summary(&r, "files_skipped_binary"), 0);
    // `--skip-binary`: skipped and counted; path rules still apply.
    let r = scan(&t, &["--skip-binary"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!found(&r, "blob.bin"));
    assert!(!found(&r, "conf/.env"));
    assert!(found(&r, "normal.txt"));
    let h = hits(&r.json);
    assert!(h
        .iter()
        .any(|(p, rule, ..)| p == "conf/.env" && rule == "env-file"));
    assert_eq!(summary(&r, "files_skipped_binary"), 2);
}

/// A 100 MB single-line bundle with secrets spread along the line (the engine once looked
/// up the whole line again for every finding on it: quadratic).
#[test]
fn huge_single_line_bundle() {
    let t = Tree::new();
    plant(&t);
    let chunk = "var a=function(e,t){return e.apiKey||t.token?{key:e,tokenize:!0}:null};";
    const SIZE: usize = 100 * 1024 * 1024;
    const SECRETS: usize = 200;
    let mut bundle = String::with_capacity(SIZE + 4096);
    let every = SIZE / SECRETS;
    let mut n = 0;
    while bundle.len() < SIZE {
        bundle.push_str(chunk);
        if bundle.len() / every > n && n < SECRETS {
            bundle.push_str(&format!("c.k=\"{}\";", tok(10_000 + n as u64)));
            n += 1;
        }
    }
    bundle.push('\n');
    t.file("dist/app.min.js", &bundle);
    drop(bundle);
    let started = Instant::now();
    let r = scan(&t, &["--max-file-size", "200M"]);
    let took = started.elapsed();
    eprintln!("100 MB single-line bundle: {took:?}");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = hits(&r.json);
    let on_line: Vec<_> = h.iter().filter(|x| x.0 == "dist/app.min.js").collect();
    assert_eq!(on_line.len(), SECRETS);
    assert!(on_line.iter().all(|x| x.2 == 1));
    assert!(found(&r, "normal.txt"));
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

#[test]
fn file_over_max_size() {
    let t = Tree::new();
    plant(&t);
    let big = format!("{}\nkey = {}\n", "x".repeat(4000), tok(5));
    t.file("big.txt", &big).file("deploy/.env", &big);
    let r = scan(&t, &["--max-file-size", "1K"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(summary(&r, "files_skipped_size"), 2);
    assert!(!found(&r, "big.txt"));
    let h = hits(&r.json);
    assert!(h
        .iter()
        .any(|(p, rule, ..)| p == "deploy/.env" && rule == "env-file"));
    assert!(found(&r, "normal.txt"));
}

#[test]
fn empty_files() {
    let t = Tree::new();
    plant(&t);
    t.file("empty.txt", "").file("sub/.env", "");
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = hits(&r.json);
    assert!(h
        .iter()
        .any(|(p, rule, ..)| p == "sub/.env" && rule == "env-file"));
    assert!(found(&r, "normal.txt"));
    assert_eq!(summary(&r, "files_unreadable"), 0);
    // config, normal.txt, empty.txt, sub/.env
    assert_eq!(summary(&r, "files_scanned"), 4);
}

#[test]
fn hundred_thousand_files_in_one_directory() {
    let t = Tree::new();
    plant(&t);
    let dir = t.join("many");
    std::fs::create_dir(&dir).unwrap();
    let started = Instant::now();
    for i in 0..100_000u32 {
        std::fs::write(dir.join(format!("f{i}")), b"x\n").unwrap();
    }
    std::fs::write(dir.join("f77777"), format!("k = {}\n", tok(6))).unwrap();
    let made = started.elapsed();
    let started = Instant::now();
    let r = scan(&t, &[]);
    eprintln!(
        "100k files: created in {made:?}, scanned in {:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, "many/f77777"));
    assert!(found(&r, "normal.txt"));
    assert_eq!(summary(&r, "files_scanned"), 100_002);
}

#[test]
fn deep_nesting() {
    let t = Tree::new();
    plant(&t);
    let rel = format!("{}leaf.txt", "d/".repeat(300));
    t.file(&rel, format!("k = {}\n", tok(7)));
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, &rel));
    assert!(found(&r, "normal.txt"));
}

/// Deeper than `PATH_MAX` (built with `mkdirat`/`openat`, as no path can name the bottom):
/// the walk cannot open the deepest directories by path, says so, and the scan is
/// incomplete; the rest is still reported.
#[cfg(unix)]
#[test]
fn nesting_deeper_than_path_max() {
    use std::ffi::CString;
    use std::os::fd::{FromRawFd, OwnedFd};
    let t = Tree::new();
    plant(&t);
    let name = CString::new("dddddddddd").unwrap();
    let root = CString::new(t.path().to_str().unwrap()).unwrap();
    // SAFETY: plain syscalls on NUL-terminated names; each fd is owned and closed once.
    unsafe {
        let mut dir = OwnedFd::from_raw_fd(libc::open(root.as_ptr(), libc::O_DIRECTORY));
        for _ in 0..500 {
            use std::os::fd::AsRawFd;
            assert_eq!(libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), 0o755), 0);
            let fd = libc::openat(dir.as_raw_fd(), name.as_ptr(), libc::O_DIRECTORY);
            assert!(fd >= 0);
            dir = OwnedFd::from_raw_fd(fd);
        }
        use std::os::fd::AsRawFd;
        let leaf = CString::new("leaf.txt").unwrap();
        let fd = libc::openat(
            dir.as_raw_fd(),
            leaf.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT,
            0o644,
        );
        assert!(fd >= 0);
        let mut f = std::fs::File::from_raw_fd(fd);
        std::io::Write::write_all(&mut f, format!("k = {}\n", tok(8)).as_bytes()).unwrap();
    }
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, "normal.txt"));
    assert!(summary(&r, "files_unreadable") >= 1);
    let warn: Vec<_> = r.stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warn.len(), 1, "{}", r.stderr);
    assert!(
        warn[0].contains("cannot walk") && warn[0].contains("dddddddddd"),
        "{}",
        r.stderr
    );
    // Without a failing finding the incomplete scan exits 2.
    std::fs::remove_file(t.join("normal.txt")).unwrap();
    let r = scan(&t, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// Names are shown escaped: control characters as `\n`, `\u{1b}`, non-UTF-8 bytes as `\xNN`.
#[cfg(unix)]
#[test]
fn odd_file_names() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    plant(&t);
    t.file("new\nline.txt", format!("k = {}\n", tok(9)));
    t.file("esc\x1b[31mred.txt", format!("k = {}\n", tok(10)));
    let latin = std::ffi::OsStr::from_bytes(b"lat\xff1.txt");
    std::fs::write(t.path().join(latin), format!("k = {}\n", tok(11))).unwrap();
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for p in [
        "new\\nline.txt",
        "esc\\u{1b}[31mred.txt",
        "lat\\xff1.txt",
        "normal.txt",
    ] {
        assert!(found(&r, p), "{p}: {:?}", hits(&r.json));
    }
    // Text: one line per name, nothing forged, no raw escape sequence.
    let r = run(&t, &["scan"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains('\x1b'), "{}", r.stdout);
    assert!(
        !r.stdout.lines().any(|l| l.starts_with("line.txt")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().any(|l| l == "new\\nline.txt"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().any(|l| l == "lat\\xff1.txt"),
        "{}",
        r.stdout
    );
    // A file name given on the command line is escaped the same way.
    let r = scan(&t, &["new\nline.txt"]);
    assert!(found(&r, "new\\nline.txt"), "{:?}", hits(&r.json));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_the_root() {
    use std::os::unix::fs::symlink;
    let outside = Tree::new();
    outside.file("secret.txt", format!("k = {}\n", tok(12)));
    let t = Tree::new();
    plant(&t);
    symlink(".", t.join("loop")).unwrap();
    symlink("b", t.join("a")).unwrap();
    symlink("a", t.join("b")).unwrap();
    symlink("self", t.join("self")).unwrap();
    std::fs::create_dir(t.join("sub")).unwrap();
    symlink("..", t.join("sub/up")).unwrap();
    symlink(outside.path(), t.join("outdir")).unwrap();
    symlink(outside.join("secret.txt"), t.join("outfile.txt")).unwrap();
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = hits(&r.json);
    assert_eq!(h.len(), 1, "only normal.txt: {h:?}");
    assert!(found(&r, "normal.txt"));
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    // A loop given on the command line cannot be opened: a warning, an incomplete scan.
    let r = scan(&t, &["a"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot read a: cannot walk:"),
        "{}",
        r.stderr
    );
}

#[cfg(unix)]
#[test]
fn fifos_sockets_and_devices_are_skipped() {
    let t = Tree::new();
    plant(&t);
    let ok = std::process::Command::new("mkfifo")
        .arg(t.join("pipe"))
        .status()
        .unwrap();
    assert!(ok.success());
    let _sock = std::os::unix::net::UnixListener::bind(t.join("sock")).unwrap();
    // In the tree: skipped with a warning, not an unreadable file.
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, "normal.txt"));
    assert!(
        r.stderr.contains("skipped pipe: not a regular file (FIFO)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("skipped sock: not a regular file (socket)"),
        "{}",
        r.stderr
    );
    assert_eq!(summary(&r, "files_unreadable"), 0);
    // On the command line: a FIFO nobody writes to, a socket, endless devices.
    let r = scan(
        &t,
        &["./pipe", "sock", "/dev/zero", "/dev/null", "normal.txt"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, "normal.txt"));
    for w in [
        "skipped pipe: not a regular file (FIFO)",
        "skipped sock: not a regular file (socket)",
        "skipped /dev/zero: not a regular file (device)",
        "skipped /dev/null: not a regular file (device)",
    ] {
        assert!(r.stderr.contains(w), "{w}:\n{}", r.stderr);
    }
    assert_eq!(summary(&r, "files_unreadable"), 0);
    // Only a FIFO: nothing to scan, nothing missed.
    let r = scan(&t, &["pipe"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn dangling_links_and_read_errors() {
    use std::os::unix::fs::symlink;
    let t = Tree::new();
    plant(&t);
    symlink("nowhere.txt", t.join("dangling.txt")).unwrap();
    // In the tree a link is not followed, dangling or not.
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    // Named on the command line: it cannot be opened, the scan is incomplete.
    let r = scan(&t, &["dangling.txt"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("dangling.txt"), "{}", r.stderr);
    assert_eq!(summary(&r, "files_unreadable"), 1);
    // A file whose read fails (EIO on a regular file of size 0).
    let r = scan(&t, &["normal.txt", "/proc/self/mem"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, "normal.txt"));
    assert!(
        r.stderr.contains("cannot read /proc/self/mem"),
        "{}",
        r.stderr
    );
    assert_eq!(summary(&r, "files_unreadable"), 1);
    let r = scan(&t, &["/proc/self/mem"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // A file without read permission (root reads it anyway).
    use std::os::unix::fs::PermissionsExt;
    t.file("locked.txt", format!("k = {}\n", tok(13)));
    std::fs::set_permissions(t.join("locked.txt"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let r = scan(&t, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(found(&r, "normal.txt"));
    if unsafe { libc::geteuid() } != 0 {
        assert!(r.stderr.contains("cannot read locked.txt"), "{}", r.stderr);
        assert_eq!(summary(&r, "files_unreadable"), 1);
    }
    std::fs::set_permissions(t.join("locked.txt"), std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// One-line error on stderr, exit 2.
fn config_error(t: &Tree, config: impl AsRef<[u8]>) -> (String, Duration) {
    t.file(".leakguard.yaml", config);
    let started = Instant::now();
    let r = run(t, &["scan"]);
    let took = started.elapsed();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    (r.stderr, took)
}

#[test]
fn regex_over_the_size_limit() {
    let t = Tree::new();
    plant(&t);
    let (err, _) = config_error(
        &t,
        "rules:\n  - {id: huge, description: d, severity: low, keywords: [a], regex: 'a{1000}{1000}'}\n",
    );
    assert!(err.contains("rule `huge`"), "{err}");
    assert!(err.contains("size limit"), "{err}");
}

fn rule(i: usize) -> String {
    format!(
        "  - id: r{i}\n    description: rule {i}\n    severity: low\n    keywords: [k{i}_]\n    regex: '\\bk{i}_[a-z0-9]{{20}}\\b'\n"
    )
}

#[test]
fn ten_megabyte_rule_files() {
    let t = Tree::new();
    plant(&t);
    // One huge value.
    let cfg = format!(
        "{TOK_CONFIG}  - id: big\n    description: '{}'\n    severity: low\n    keywords: [big_]\n    regex: 'big_[0-9]{{8}}'\n",
        "d".repeat(10 * 1024 * 1024)
    );
    t.file(".leakguard.yaml", &cfg);
    let started = Instant::now();
    let r = run(&t, &["scan", "--format", "json"]);
    eprintln!("10 MB description: {:?}", started.elapsed());
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Many rules: 10 MB is far more than any real config; refused or loaded, quickly.
    let mut cfg = String::from("extend_default: false\nrules:\n");
    let mut i = 0;
    while cfg.len() < 10 * 1024 * 1024 {
        cfg.push_str(&rule(i));
        i += 1;
    }
    let (err, took) = config_error(&t, &cfg);
    eprintln!("{i} rules in 10 MB: {took:?}: {err}");
    assert!(err.contains(".leakguard.yaml:"), "{err}");
    assert!(err.contains("too large or too deeply nested"), "{err}");
    // Nesting: the parser's default budget (depth, nodes, aliases) bounds it.
    let (err, _) = config_error(&t, format!("rules: {}", "[".repeat(100_000)));
    assert!(err.contains(".leakguard.yaml:"), "{err}");
}
