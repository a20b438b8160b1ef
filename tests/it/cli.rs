//! The CLI contract of the real binary, snapshotted: for each command line, its exit code,
//! stdout and stderr (and any report file it wrote), in `snapshots/it__cli__*.snap`.
//! What varies between runs is filtered: temp paths, timings, commit ids, dates, baseline
//! keys and hashes. Update with `INSTA_UPDATE=always cargo test --test it cli::`, then
//! review the diff.

use assert_cmd::Command;

use crate::util::{monime, tok, Repo, Tree, TOK_CONFIG};

/// (regex, replacement) for what differs from one run to the next.
const FILTERS: &[(&str, &str)] = &[
    (
        r#"("(?:elapsed_ms|rules_compile_ms)": )[0-9.eE+-]+"#,
        "${1}[MS]",
    ),
    (r"· \d+ ms", "· [MS] ms"),
    (r"\b[0-9a-f]{64}\b", "[KEY]"),
    (r"\b[0-9a-f]{40}\b", "[COMMIT]"),
    (r"\b[0-9a-f]{12}\b", "[SHORT]"),
    // Baseline hashes (keyed by the file's random key); fingerprints are stable and kept.
    (r#"("hash": ?")[0-9a-f]{32}""#, "${1}[HASH]\""),
    (r"\b([a-z][a-z0-9-]* )[0-9a-f]{32}\b", "${1}[HASH]"),
    (
        r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z| ?[+-]\d\d:?\d\d)?",
        "[DATE]",
    ),
];

/// Runs `cmd` (made by `Tree::cmd` or `Repo::cmd`) and snapshots `$ leakguard ARGS`, the exit
/// code, stdout, stderr and then each of `files` (relative to the command's directory).
fn snapshot(name: &str, cmd: &mut Command, files: &[&str]) {
    let dir = cmd.get_current_dir().expect("a temp dir").to_path_buf();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
    let args = args.join(" ");
    let out = cmd.output().unwrap();
    let code = out.status.code().expect("exited, not killed");
    let mut text = format!("$ leakguard {args}\nexit: {code}\n");
    let mut section = |title: &str, body: &[u8]| {
        let body = String::from_utf8_lossy(body);
        let nl = if body.is_empty() || body.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        text += &format!("----- {title} -----\n{body}{nl}");
    };
    section("stdout", &out.stdout);
    section("stderr", &out.stderr);
    for f in files {
        section(f, &std::fs::read(dir.join(f)).unwrap());
    }
    let mut settings = insta::Settings::clone_current();
    for root in [dir.canonicalize().unwrap(), dir] {
        settings.add_filter(&regex::escape(&root.to_string_lossy()), "[TMP]");
    }
    for (re, to) in FILTERS {
        settings.add_filter(re, *to);
    }
    // SARIF names the tool's version: a release is not a change of contract.
    let version = format!("\"{}\"", env!("CARGO_PKG_VERSION"));
    settings.add_filter(&regex::escape(&version), "\"[VERSION]\"");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// A tree with only the `tok` and `env-file` rules: small, stable reports.
fn tok_tree() -> Tree {
    let t = Tree::new();
    t.file(".leakguard.yaml", TOK_CONFIG);
    t
}

/// Two `tok` secrets in two files, a `.env` file and its allowed `.env.example`.
fn findings_tree() -> Tree {
    let t = tok_tree();
    t.file("src/app.py", format!("import os\n\nKEY = \"{}\"\n", tok(1)))
        .file("deploy/app.ini", format!("[auth]\ntoken = {}\n", tok(2)))
        .file("deploy/.env", "PORT=8080\n")
        .file("deploy/.env.example", "PORT=\n");
    t
}

#[test]
fn scan_reports_in_every_format() {
    let t = findings_tree();
    for format in ["text", "json", "sarif"] {
        let cmd = &mut t.cmd(&["scan", "--format", format]);
        snapshot(&format!("scan_{format}"), cmd, &[]);
    }
}

#[test]
fn scan_clean_quiet_and_show_secrets() {
    let t = tok_tree();
    t.file("src/main.rs", "fn main() {}\n");
    snapshot("scan_clean", &mut t.cmd(&["scan"]), &[]);
    let t = findings_tree();
    snapshot("scan_quiet", &mut t.cmd(&["scan", "--quiet"]), &[]);
    snapshot(
        "scan_show_secrets",
        &mut t.cmd(&["scan", "--show-secrets"]),
        &[],
    );
}

#[test]
fn scan_explain_names_the_inline_comment_and_the_allowlist() {
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        format!("{TOK_CONFIG}allow:\n  paths: ['fixtures/**']\n"),
    )
    .file("app.py", format!("KEY = '{}'\n", tok(3)))
    .file(
        "legacy.py",
        format!("KEY = '{}'  # leakguard:allow\n", tok(4)),
    )
    .file("fixtures/sample.txt", format!("{}\n", tok(5)));
    snapshot("scan_explain", &mut t.cmd(&["scan", "--explain"]), &[]);
    let cmd = &mut t.cmd(&["scan", "--explain", "--format", "json"]);
    snapshot("scan_explain_json", cmd, &[]);
}

#[test]
fn scan_severity_gates() {
    let t = findings_tree();
    let cmd = &mut t.cmd(&["scan", "--min-severity", "high"]);
    snapshot("scan_min_severity_high", cmd, &[]);
    snapshot(
        "scan_fail_on_critical",
        &mut t.cmd(&["scan", "--fail-on", "critical"]),
        &[],
    );
}

#[test]
fn scan_output_file() {
    let t = findings_tree();
    let cmd = &mut t.cmd(&["scan", "--format", "json", "-o", "report.json"]);
    snapshot("scan_output_file", cmd, &["report.json"]);
}

#[test]
fn scan_path_rule_and_builtin_rules() {
    let t = tok_tree();
    t.file("deploy/.env", "PORT=8080\n")
        .file("deploy/.env.example", "PORT=\n");
    snapshot("scan_path_rule", &mut t.cmd(&["scan"]), &[]);
    let t = Tree::new();
    t.file(
        "settings.py",
        format!("DEBUG = False\nMONIME_TOKEN = '{}'\n", monime(1)),
    )
    .file(".env", "PORT=8080\n");
    snapshot("scan_builtin_rules", &mut t.cmd(&["scan"]), &[]);
}

#[test]
fn baseline_suppresses_then_reports_stale_entries() {
    let t = findings_tree();
    let file = ".leakguard-baseline.json";
    snapshot("baseline_create", &mut t.cmd(&["baseline"]), &[file]);
    snapshot(
        "scan_baseline",
        &mut t.cmd(&["scan", "--baseline", file]),
        &[],
    );
    t.file("src/app.py", format!("import os\n\nKEY = \"{}\"\n", tok(6)));
    snapshot(
        "scan_baseline_stale",
        &mut t.cmd(&["scan", "--baseline", file]),
        &[],
    );
    snapshot(
        "baseline_prune",
        &mut t.cmd(&["baseline", "--prune"]),
        &[file],
    );
}

/// A repository with a committed README and app, as the pre-commit hook sees it.
fn staged_repo() -> Repo {
    let r = Repo::new();
    r.write("app.py", "import os\n")
        .write("README.md", "# demo\n");
    r.commit_all("init");
    r
}

#[test]
fn staged_blocks_a_staged_secret_only() {
    let r = staged_repo();
    r.write("app.py", format!("import os\nTOKEN = '{}'\n", monime(2)));
    r.git(&["add", "app.py"]);
    snapshot("staged_blocked", &mut r.cmd(&["staged"]), &[]);
    snapshot(
        "staged_json",
        &mut r.cmd(&["staged", "--format", "json"]),
        &[],
    );
    r.git(&["reset", "-q"]);
    r.write("README.md", "# demo\n\nMore.\n");
    r.git(&["add", "README.md"]);
    snapshot("staged_clean", &mut r.cmd(&["staged"]), &[]);
}

/// `tok` rules committed; a secret added then removed on main, another on branch `side`.
fn history_repo() -> Repo {
    let r = Repo::new();
    r.write(".leakguard.yaml", TOK_CONFIG)
        .write("a.txt", "one\n");
    r.commit_all("init");
    r.write("config.py", format!("x = 1\nTOKEN = '{}'\n", tok(7)));
    r.commit_all("add config");
    r.write("config.py", "x = 1\n");
    r.commit_all("remove the token");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("side.py", format!("K = '{}'\n", tok(8)));
    r.commit_all("side secret");
    r.git(&["checkout", "-q", "main"]);
    r
}

#[test]
fn history_head_all_and_json() {
    let r = history_repo();
    snapshot("history_head", &mut r.cmd(&["history"]), &[]);
    snapshot("history_all", &mut r.cmd(&["history", "--all"]), &[]);
    snapshot(
        "history_json",
        &mut r.cmd(&["history", "--format", "json"]),
        &[],
    );
}

#[test]
fn history_range_takes_the_config_from_base() {
    let r = history_repo();
    let base = r.head();
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write(
        ".leakguard.yaml",
        format!("{TOK_CONFIG}allow:\n  paths: ['**']\n"),
    );
    r.write("feature.py", format!("NEW = '{}'\n", tok(9)));
    r.commit_all("innocent feature");
    let range = format!("{base}..HEAD");
    snapshot(
        "history_range",
        &mut r.cmd(&["history", "--range", &range]),
        &[],
    );
}

#[test]
fn rules_list_and_test() {
    let t = tok_tree();
    snapshot("rules_list", &mut t.cmd(&["rules", "list"]), &[]);
    snapshot(
        "rules_list_json",
        &mut t.cmd(&["rules", "list", "--format", "json"]),
        &[],
    );
    snapshot("rules_test_pass", &mut t.cmd(&["rules", "test"]), &[]);
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        r"
extend_default: false
rules:
  - id: weak
    description: too strict
    severity: low
    keywords: [abc_]
    regex: '\babc_[a-z]{4}\b'
    examples: {match: ['abc_wxyz', 'abc_TOOLONG'], no_match: ['abc_ok', 'abc_oops']}
  - id: nokw
    description: no keywords
    severity: low
    regex: 'zzz[0-9]'
    examples: {match: ['zzz1'], no_match: ['zzz']}
",
    );
    snapshot("rules_test_fail", &mut t.cmd(&["rules", "test"]), &[]);
}

#[test]
fn errors_exit_2_with_one_line() {
    let t = tok_tree();
    snapshot("error_missing_path", &mut t.cmd(&["scan", "nope"]), &[]);
    snapshot(
        "error_missing_config",
        &mut t.cmd(&["scan", "--config", "nope.yaml"]),
        &[],
    );
    snapshot(
        "error_missing_baseline",
        &mut t.cmd(&["scan", "--baseline", "nope.json"]),
        &[],
    );
    snapshot(
        "error_unknown_flag",
        &mut t.cmd(&["scan", "--frobnicate"]),
        &[],
    );
    let cmd = &mut t.cmd(&["scan", "--max-file-size", "10Q"]);
    snapshot("error_bad_size_unit", cmd, &[]);
    snapshot("error_staged_outside_repo", &mut t.cmd(&["staged"]), &[]);
}

#[test]
fn help_lists_the_visible_commands() {
    let t = Tree::new();
    snapshot("help", &mut t.cmd(&["--help"]), &[]);
    snapshot(
        "completions_help",
        &mut t.cmd(&["completions", "--help"]),
        &[],
    );
    snapshot(
        "error_unknown_shell",
        &mut t.cmd(&["completions", "tcsh"]),
        &[],
    );
}

/// `-V` is the bare version (scripts parse it); `--version` adds how the binary was built,
/// which differs between release binaries (release/build.sh checks it).
#[test]
fn version_says_how_the_binary_was_built() {
    let t = Tree::new();
    let short = t.cmd(&["-V"]).output().unwrap();
    let short = String::from_utf8(short.stdout).unwrap();
    assert_eq!(short, format!("leakguard {}\n", env!("CARGO_PKG_VERSION")));

    let long = t.cmd(&["--version"]).output().unwrap();
    assert!(long.status.success());
    let long = String::from_utf8(long.stdout).unwrap();
    let lines: Vec<&str> = long.lines().collect();
    assert_eq!(lines[0], short.trim_end());
    let stage = if cfg!(feature = "vectorscan") {
        "vectorscan"
    } else {
        "aho-corasick"
    };
    assert_eq!(lines[1], format!("keyword stage: {stage}"));
    let features = lines[2].strip_prefix("optional features: ").unwrap();
    assert_eq!(
        features.contains("vectorscan"),
        cfg!(feature = "vectorscan"),
        "{long}"
    );
    assert_eq!(
        features.contains("https"),
        cfg!(feature = "https"),
        "{long}"
    );
    assert_eq!(
        lines[3],
        format!(
            "platform: {}-{}",
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    );
}

#[test]
fn config_errors_name_the_file_and_place() {
    let t = Tree::new();
    t.file(
        ".leakguard.yaml",
        "extend_default: false\nrules:\n  - id: a\n    description: [oops\n",
    );
    snapshot("error_malformed_yaml", &mut t.cmd(&["scan"]), &[]);
    let bad_regex = TOK_CONFIG.replace(r"'\b(tok_[A-Za-z0-9]{16})\b'", "'(tok_[A-Z'");
    t.file(".leakguard.yaml", bad_regex);
    snapshot("error_bad_regex", &mut t.cmd(&["scan"]), &[]);
}

#[test]
fn git_errors() {
    let r = history_repo();
    let cmd = &mut r.cmd(&["history", "--range", "nosuchbranch..HEAD"]);
    snapshot("error_bad_range", cmd, &[]);
    r.git(&["init", "-q", "--bare", "bare.git"]);
    let cmd = &mut r.cmd(&["staged", "--repo", "bare.git"]);
    snapshot("error_staged_bare_repo", cmd, &[]);
}
