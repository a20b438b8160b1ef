//! `leakguard scan`: walking, skipping, exit codes and report shape, with custom rules.

use crate::util::{hits, tok, Tree, TOK_CONFIG};

fn tree() -> Tree {
    let t = Tree::new();
    t.file(".leakguard.yaml", TOK_CONFIG);
    t
}

#[test]
fn clean_tree_exits_0() {
    let t = tree();
    t.file("src/main.rs", "fn main() {}\n");
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    assert_eq!(json["summary"]["files_scanned"], 2);
}

#[test]
fn finding_exits_1_with_exact_location() {
    let t = tree();
    t.file("src/app.py", format!("a = 1\n\n    key = \"{}\"\n", tok(1)));
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![("src/app.py".into(), "tok".into(), 3, 12)]
    );
}

#[test]
fn hidden_files_scanned_git_dir_and_ignored_files_not() {
    let t = tree();
    t.file(".hidden/creds", tok(1))
        .file(".git/config", tok(2))
        .file(".gitignore", "build/\n")
        .file("build/out.txt", tok(3));
    let (_, json) = t.scan_json(&[]);
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(paths, vec![".hidden/creds".to_string()]);
    let (_, json) = t.scan_json(&["--no-ignore"]);
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(
        paths,
        vec![".hidden/creds".to_string(), "build/out.txt".to_string()]
    );
}

#[test]
fn explicit_file_is_scanned_even_if_ignored() {
    let t = tree();
    t.file(".gitignore", "secret.txt\n")
        .file("secret.txt", tok(4));
    let (code, json) = t.scan_json(&["secret.txt"]);
    assert_eq!(code, 1);
    assert_eq!(hits(&json)[0].0, "secret.txt");
}

#[test]
fn paths_are_relative_to_the_scanned_root() {
    let t = tree();
    t.file("a/b/c.txt", tok(5));
    let (_, json) = t.scan_json(&["a"]);
    assert_eq!(hits(&json)[0].0, "b/c.txt");
}

#[test]
fn binary_files_get_provider_rules_unless_skipped() {
    let t = tree();
    let mut blob = b"\x7fELF\0\0\0".to_vec();
    blob.extend_from_slice(tok(6).as_bytes());
    t.file("app.bin", &blob);
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(hits(&json)[0].0, "app.bin");
    let (code, json) = t.scan_json(&["--skip-binary"]);
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["files_skipped_binary"], 1);
}

#[test]
fn oversized_files_are_skipped_and_counted() {
    let t = tree();
    let mut big = "x".repeat(2000);
    big.push('\n');
    big.push_str(&tok(7));
    t.file("big.txt", big);
    let (code, json) = t.scan_json(&["--max-file-size", "1K"]);
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["files_skipped_size"], 1);
    let (code, _) = t.scan_json(&["--max-file-size", "1M"]);
    assert_eq!(code, 1);
}

#[test]
fn path_rules_fire_on_the_file_name() {
    let t = tree();
    t.file("deploy/.env", "A=1\n")
        .file("deploy/.env.example", "A=\n");
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![("deploy/.env".into(), "env-file".into(), 1, 1)]
    );
}

#[test]
fn utf16_crlf_and_invalid_utf8_are_scanned() {
    let t = tree();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("line1\r\nk={}\r\n", tok(8)).encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    t.file("u16.txt", &utf16);
    let mut latin = b"caf\xe9 \xff\n".to_vec();
    latin.extend_from_slice(tok(9).as_bytes());
    t.file("latin.txt", &latin);
    let (_, json) = t.scan_json(&[]);
    assert_eq!(
        hits(&json),
        vec![
            ("latin.txt".into(), "tok".into(), 2, 1),
            ("u16.txt".into(), "tok".into(), 2, 3)
        ]
    );
}

#[test]
fn secrets_are_redacted_unless_asked() {
    let t = tree();
    let secret = tok(10);
    t.file("a.txt", &secret);
    for format in ["text", "json"] {
        let out = t.cmd(&["scan", "--format", format]).output().unwrap();
        let all = [out.stdout, out.stderr].concat();
        let all = String::from_utf8_lossy(&all);
        assert!(!all.contains(&secret), "{format} leaked the secret:\n{all}");
        assert!(
            all.contains(&secret[..6]),
            "{format} lost the prefix:\n{all}"
        );
        let out = t
            .cmd(&["scan", "--format", format, "--show-secrets"])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains(&secret));
    }
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let t = tree();
    t.file("a.txt", tok(11));
    let out = t
        .cmd(&["scan", "--format", "json", "--output", "report.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["findings"][0]["rule_id"], "tok");
}

#[test]
fn output_to_a_device_writes_through_it() {
    let t = tree();
    t.file("a.txt", tok(19));
    t.cmd(&["scan", "--format", "json", "-o", "/dev/null"])
        .assert()
        .code(1);
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(!meta.is_file(), "/dev/null must still be a device");
}

#[test]
fn fingerprint_survives_a_line_move_but_not_a_new_secret() {
    let t = tree();
    t.file("a.txt", format!("{}\n", tok(12)));
    let (_, before) = t.scan_json(&[]);
    t.file("a.txt", format!("\n\n\nx {}\n", tok(12)));
    let (_, moved) = t.scan_json(&[]);
    t.file("a.txt", format!("{}\n", tok(13)));
    let (_, other) = t.scan_json(&[]);
    let fp = |j: &serde_json::Value| {
        j["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fp(&before), fp(&moved));
    assert_ne!(fp(&before), fp(&other));
    assert_eq!(moved["findings"][0]["line"], 4);
}

#[test]
fn many_files_in_parallel_give_sorted_deterministic_output() {
    let t = tree();
    for i in 0..200 {
        t.file(
            &format!("d{}/f{i:03}.txt", i % 7),
            format!("x\n{}\n", tok(100 + i)),
        );
    }
    let one = t.cmd(&["scan", "--threads", "1", "-q"]).output().unwrap();
    let many = t.cmd(&["scan", "--threads", "4", "-q"]).output().unwrap();
    assert_eq!(one.status.code(), Some(1));
    assert_eq!(one.stdout, many.stdout);
    let (_, json) = t.scan_json(&[]);
    let h = hits(&json);
    assert_eq!(h.len(), 200);
    let mut sorted = h.clone();
    sorted.sort();
    assert_eq!(h, sorted);
}

#[test]
fn missing_path_and_bad_flag_exit_2() {
    let t = tree();
    t.cmd(&["scan", "nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("path does not exist: nope"));
    t.cmd(&["scan", "--format", "xml"]).assert().code(2);
    t.cmd(&["scan", "--max-file-size", "lots"]).assert().code(2);
}

#[test]
fn unreadable_file_is_a_warning_not_an_abort() {
    // Reading /proc/self/mem at offset 0 fails with EIO even for root, unlike a chmod 000
    // file, so the case is real wherever the tests run (Linux).
    let t = tree();
    t.file("open.txt", tok(14));
    let out = t
        .cmd(&["scan", ".", "/proc/self/mem", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files_unreadable"], 1);
    assert_eq!(json["findings"][0]["path"], "open.txt");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: cannot read /proc/self/mem"), "{err}");

    // Without findings, a scan that missed a file cannot say "clean": exit 2, report written.
    std::fs::remove_file(t.join("open.txt")).unwrap();
    let out = t
        .cmd(&["scan", ".", "/proc/self/mem", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files_unreadable"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete scan"));
    // Even with --quiet, the warning that explains the exit code is printed.
    let out = t
        .cmd(&["scan", ".", "/proc/self/mem", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read /proc/self/mem"), "{err}");
}

#[test]
fn text_report_groups_by_file_and_summarises() {
    let t = tree();
    t.file("a.txt", format!("{}\n{}\n", tok(15), tok(16)))
        .file("b.txt", tok(17));
    let out = t.cmd(&["scan"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("\na.txt\n").count() + usize::from(text.starts_with("a.txt\n")),
        1
    );
    assert!(text.contains("3 findings (3 high) in 2 files"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when NO_COLOR/not a tty");
    let quiet = t.cmd(&["scan", "-q"]).output().unwrap();
    assert!(!String::from_utf8(quiet.stdout)
        .unwrap()
        .contains("leakguard:"));
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let t = tree();
    t.file("a.txt", tok(18));
    let out = t.cmd(&["scan", "--color", "always"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b["));
    let out = t.cmd(&["scan", "--color", "auto"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    // A report file never gets colour.
    t.cmd(&["scan", "--color", "always", "-o", "r.txt"])
        .assert()
        .code(1);
    assert!(!std::fs::read_to_string(t.join("r.txt"))
        .unwrap()
        .contains('\x1b'));
}
