//! `leakguard rules list` and `leakguard rules test`.

use crate::util::{leakguard, Tree, TOK_CONFIG};

#[test]
fn builtin_rules_all_pass_their_examples() {
    let out = leakguard()
        .args(["rules", "test", "--no-config"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    // No built-in rule may lack keywords: no warning.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn failing_examples_are_named_and_exit_1() {
    let t = Tree::new();
    let cfg = r#"
extend_default: false
rules:
  - id: weak
    description: d
    severity: low
    keywords: [abc_]
    regex: '\babc_[a-z]{4}\b'
    examples:
      match: ['abc_wxyz', 'abc_TOOLONG']
      no_match: ['abc_ok', 'abc_oops']
  - id: nokw
    description: d
    severity: low
    regex: 'zzz[0-9]'
    examples: {match: ['zzz1'], no_match: ['zzz']}
"#;
    t.file("c.yaml", cfg);
    let out = t
        .cmd(&["rules", "test", "--config", "c.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("rule `weak`: match example #2 was not detected: abc_TOOLONG"),
        "{text}"
    );
    assert!(
        text.contains("rule `weak`: no_match example #2 was detected: abc_oops"),
        "{text}"
    );
    assert!(text.contains("2 failed"), "{text}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("rule `nokw`") && err.contains("no keywords"),
        "{err}"
    );
}

#[test]
fn list_shows_builtin_and_config_rules() {
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        TOK_CONFIG.replace("extend_default: false", ""),
    );
    let out = t
        .cmd(&["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"tok") && ids.contains(&"dotenv-file"),
        "{ids:?}"
    );
    let text = t.cmd(&["rules", "list"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("tok ") && l.contains("high")),
        "{text}"
    );
}
