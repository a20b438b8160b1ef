//! Config discovery, merging with the built-ins, allowlists and config errors.

use crate::util::{hits, tok, Tree, TOK_CONFIG};

fn one_line_error(t: &Tree, args: &[&str]) -> String {
    let out = t.cmd(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "error must be one line:\n{err}"
    );
    err
}

#[test]
fn config_at_repository_root_applies_to_a_subdirectory_scan() {
    let t = Tree::new();
    let cfg = format!("{TOK_CONFIG}\nallow:\n  paths: ['app/vendor/**']\n");
    t.file(".git/HEAD", "ref: refs/heads/main\n")
        .file(".leakguard.yaml", cfg)
        .file("app/vendor/lib.txt", tok(1))
        .file("app/main.txt", tok(2));
    let out = t
        .cmd(&["scan", "app", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The allowlist glob is relative to the config's directory, the report to the root.
    assert_eq!(hits(&json), vec![("main.txt".into(), "tok".into(), 1, 1)]);
}

#[test]
fn explicit_config_and_no_config() {
    let t = Tree::new();
    t.file("cfg/custom.yaml", TOK_CONFIG).file("a.txt", tok(3));
    let (code, json) = t.scan_json(&["--config", "cfg/custom.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(json["summary"]["rules"], 2);
    t.file(".leakguard.yaml", TOK_CONFIG);
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 0, "built-ins do not know tok_");
    assert!(json["summary"]["rules"].as_u64().unwrap() > 2);
    t.cmd(&["scan", "--config", "missing.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing.yaml does not exist"));
}

#[test]
fn global_allowlist_regexes_and_stopwords() {
    let t = Tree::new();
    let a = tok(4);
    let b = format!("tok_{}", "Qz9Fixture7Wm3Kp");
    let cfg = format!(
        "{TOK_CONFIG}\nallow:\n  regexes: ['^{}$']\n  stopwords: ['fixture']\n",
        a
    );
    t.file(".leakguard.yaml", cfg)
        .file("a.txt", &a)
        .file("b.txt", &b)
        .file("c.txt", tok(5));
    let (_, json) = t.scan_json(&[]);
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(paths, vec!["c.txt".to_string()]);
}

#[test]
fn malformed_yaml_names_file_and_position() {
    let t = Tree::new();
    t.file(".leakguard.yaml", "rules:\n  - id: 'unclosed\n");
    let err = one_line_error(&t, &["scan"]);
    assert!(err.contains(".leakguard.yaml:2:"), "{err}");
}

#[test]
fn unknown_field_names_position() {
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        "rules:\n  - id: x\n    description: d\n    severity: low\n    keyword: [a]\n    regex: a\n",
    );
    let err = one_line_error(&t, &["scan"]);
    assert!(err.contains(".leakguard.yaml:5:"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
}

#[test]
fn invalid_regex_names_rule() {
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        "rules:\n  - {id: broken, description: d, severity: low, keywords: [a], regex: 'a(b'}\n",
    );
    let err = one_line_error(&t, &["scan"]);
    assert!(err.contains("rule `broken`: invalid regex"), "{err}");
}

#[test]
fn oversized_regex_is_rejected() {
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        "rules:\n  - {id: huge, description: d, severity: low, keywords: [a], regex: 'a{1000}{1000}'}\n",
    );
    let err = one_line_error(&t, &["scan"]);
    assert!(err.contains("rule `huge`"), "{err}");
}

#[test]
fn duplicate_id_and_bad_severity() {
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        "rules:\n  - {id: a, description: d, severity: low, keywords: [a], regex: a}\n  - {id: a, description: d, severity: low, keywords: [b], regex: b}\n",
    );
    let err = one_line_error(&t, &["scan"]);
    assert!(err.contains("rule `a`: duplicate rule id"), "{err}");
    t.file(
        ".leakguard.yaml",
        "rules:\n  - {id: a, description: d, severity: severe, keywords: [a], regex: a}\n",
    );
    let err = one_line_error(&t, &["scan"]);
    assert!(err.contains(".leakguard.yaml:2:"), "{err}");
}
