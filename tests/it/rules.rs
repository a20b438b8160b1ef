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

/// `docs/rules.md`, the coverage list users read, is what `rules list --format markdown`
/// prints for the built-in rules: a rule added without regenerating it fails CI.
#[test]
fn docs_rules_md_is_current() {
    let out = leakguard()
        .args(["rules", "list", "--no-config", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `cargo run -q -- rules list --no-config --format markdown > docs/rules.md`"
    );
    // One row per rule, and the header counts rules and issuers.
    let rows = generated
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(" | `"))
        .count();
    let json = leakguard()
        .args(["rules", "list", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rows, rules.len());
    let mut issuers: Vec<String> = rules
        .iter()
        .map(|r| r["issuer"].as_str().unwrap().to_lowercase())
        .collect();
    issuers.sort();
    issuers.dedup();
    assert!(
        generated.contains(&format!(
            "{} rules for {} issuers",
            rules.len(),
            issuers.len()
        )),
        "{}",
        &generated[..300.min(generated.len())]
    );
}

/// A reviewer reads a rule at a glance: `rules test` refuses a one-line pattern over 120
/// characters and names the rule and field; the same pattern as a commented `(?x)` block
/// over several lines passes, and its comments do not change what it matches (also in a
/// `value:`, whose last line may be a comment).
#[test]
fn long_one_line_patterns_are_refused_and_x_blocks_work() {
    let long = format!("\\b(zq_[a-z]{{8}}){}", "(?:x)?".repeat(20));
    assert!(long.len() > 120);
    let t = Tree::new();
    t.file(
        "c.yaml",
        format!(
            r#"
extend_default: false
rules:
  - id: long-one
    description: d
    severity: low
    keywords: [zq_]
    regex: '{long}'
    examples: {{match: ['zq_qmxkwrtp'], no_match: ['zq_abc']}}
  - id: commented
    description: d
    severity: low
    keywords: [zq2_]
    regex: |-
      (?x)
      \b(zq2_          # the prefix
      [a-z]{{8}})\b     # eight lowercase letters
    examples: {{match: ['zq2_qmxkwrtp'], no_match: ['zq2_qmxkwrt', 'zq2_qmxkwrtpz']}}
  - id: named
    description: d
    severity: low
    generic: true
    keywords: [zqname]
    name: 'zqname.*key'
    value: |-
      (?x)
      zv[0-9]{{4}}[a-zA-Z0-9]{{24}}   # a prefix, four digits, 24 more
    examples:
      match: ['ZQNAME_KEY=zv7302{{{{alnum:24}}}}']
      no_match: ['ZQNAME_KEY=zv7302{{{{alnum:25}}}}', 'ZQNAME_KEY=zvab{{{{alnum:24}}}}']
"#
        ),
    );
    let out = t
        .cmd(&["rules", "test", "--config", "c.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let fails: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(
        fails,
        [format!(
            "FAIL rule `long-one`: regex: a {}-character pattern line (at most 120): write it as a commented `(?x)` pattern over several lines",
            long.len()
        )],
        "{text}"
    );
    // A pattern over several lines without `(?x)` is a config error, naming the rule.
    t.file(
        "bad.yaml",
        "rules:\n  - id: nox\n    description: d\n    severity: low\n    keywords: [zq_]\n    regex: |\n      zq_\n      [a-z]+\n",
    );
    let out = t
        .cmd(&["rules", "test", "--config", "bad.yaml"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nox") && err.contains("(?x)"), "{err}");
}

/// The Markdown list groups rules by issuer, with the issuer's reference as a link, and a
/// `|` in a description cannot break the table.
#[test]
fn markdown_list_groups_by_issuer_with_references() {
    let t = Tree::new();
    t.file(
        "c.yaml",
        r#"
extend_default: false
rules:
  - id: zeta-key
    description: Zeta key | admin
    issuer: Zeta
    references: [https://zeta.example/docs/keys]
    severity: high
    keywords: [zk_]
    regex: '\b(zk_[a-z]{8})\b'
  - id: alpha-token
    description: Alpha token
    issuer: Alpha
    severity: low
    keywords: [at_]
    regex: '\b(at_[a-z]{8})\b'
"#,
    );
    let out = t
        .cmd(&[
            "rules", "list", "--config", "c.yaml", "--format", "markdown",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(" | `")).collect();
    assert_eq!(
        rows,
        [
            "| Alpha | `alpha-token` | Alpha token | low |  |",
            "| Zeta | `zeta-key` | Zeta key \\| admin | high | [docs](https://zeta.example/docs/keys) |",
        ],
        "{text}"
    );
    assert!(text.contains("2 rules for 2 issuers"), "{text}");
    // A reference that is not https is a config error.
    t.file(
        "c.yaml",
        "rules:\n  - id: x\n    description: d\n    severity: low\n    keywords: [x_]\n    regex: 'x_[a-z]{8}'\n    references: ['http://insecure.example']\n",
    );
    let out = t
        .cmd(&["rules", "list", "--config", "c.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
}
