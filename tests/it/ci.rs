//! What CI relies on: severity gates, config and baseline taken from BASE for a range, and
//! inline comments that CI can refuse to honour.

use crate::util::{hits, monime, monime_test, Repo};

/// A repository with one medium (test-mode) and one critical (live) token.
fn two_severities() -> Repo {
    let r = Repo::new();
    r.write("test.py", format!("T = '{}'\n", monime_test(1)));
    r.write("live.py", format!("L = '{}'\n", monime(2)));
    r
}

#[test]
fn fail_on_gates_the_exit_code_but_not_the_report() {
    let r = two_severities();
    let (code, json, _) = r.json("scan", &["--fail-on", "critical"]);
    assert_eq!((code, hits(&json).len()), (1, 2));
    r.write("live.py", "L = None\n");
    let (code, json, _) = r.json("scan", &["--fail-on", "high"]);
    assert_eq!(code, 0, "a medium finding does not fail a high gate");
    assert_eq!(hits(&json).len(), 1, "but it is still reported");
    let (code, _, _) = r.json("scan", &["--fail-on", "medium"]);
    assert_eq!(code, 1);
    let out = r
        .cmd(&["scan", "-q"])
        .env("LEAKGUARD_FAIL_ON", "critical")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "LEAKGUARD_FAIL_ON is honoured");
}

#[test]
fn min_severity_filters_what_is_reported_and_counts_the_rest() {
    let r = two_severities();
    let (code, json, _) = r.json("scan", &["--min-severity", "high"]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&json),
        vec![("live.py".into(), "monime-live-token".into(), 1, 6)]
    );
    assert_eq!(json["summary"]["below_min_severity"], 1);
    let out = r
        .cmd(&["scan", "--format", "json"])
        .env("LEAKGUARD_MIN_SEVERITY", "critical")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits(&json).len(), 1);
    let out = r.cmd(&["scan", "--fail-on", "bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn no_inline_allow_ignores_allow_comments() {
    let r = Repo::new();
    r.write("a.py", format!("T = '{}'  # leakguard:allow\n", monime(3)));
    let (code, _, _) = r.json("scan", &[]);
    assert_eq!(code, 0);
    let (code, json, _) = r.json("scan", &["--no-inline-allow"]);
    assert_eq!((code, hits(&json).len()), (1, 1));
    let out = r
        .cmd(&["scan", "-q"])
        .env("LEAKGUARD_NO_INLINE_ALLOW", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// main has a config and a baseline; a pull request weakens both and adds a secret.
fn weakened_pr() -> (Repo, String) {
    let r = Repo::new();
    r.write(".leakguard.yaml", "allow:\n  paths: ['docs/**']\n");
    r.write("legacy.py", format!("OLD = '{}'\n", monime(4)));
    let out = r.cmd(&["baseline", "history"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let base = r.commit_all("main with config and baseline");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write(".leakguard.yaml", "allow:\n  paths: ['**']\n");
    r.write("feature.py", format!("NEW = '{}'\n", monime(5)));
    r.commit_all("innocent feature");
    (r, base)
}

#[test]
fn a_range_takes_the_config_from_base_and_ignores_a_weakened_one() {
    let (r, base) = weakened_pr();
    let range = format!("{base}..HEAD");
    let (code, json, stderr) = r.json("history", &["--range", &range]);
    assert_eq!(
        code, 1,
        "the PR's allow-everything config is not trusted: {stderr}"
    );
    assert_eq!(
        hits(&json),
        vec![("feature.py".into(), "monime-live-token".into(), 1, 8)]
    );
    assert!(stderr.contains("as of BASE"), "says so: {stderr}");
    let (code, _, stderr) = r.json("history", &["--range", &range, "--config-from-worktree"]);
    assert_eq!(code, 0, "opting out uses the work tree's config: {stderr}");
}

#[test]
fn a_range_takes_the_baseline_from_base_so_a_pr_cannot_baseline_itself() {
    let (r, base) = weakened_pr();
    r.write(".leakguard.yaml", "allow:\n  paths: ['docs/**']\n");
    let out = r.cmd(&["baseline", "history"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    r.commit_all("baseline the new secret too");
    let range = format!("{base}..HEAD");
    let args = [
        "--range",
        range.as_str(),
        "--baseline",
        ".leakguard-baseline.json",
    ];
    let (code, json, stderr) = r.json("history", &args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(hits(&json)[0].0, "feature.py");
    let (code, _, _) = r.json(
        "history",
        &[&args[..], &["--config-from-worktree"]].concat(),
    );
    assert_eq!(code, 0, "the work tree's baseline covers it");
}

#[test]
fn a_baseline_missing_at_base_suppresses_nothing_and_says_so() {
    let r = Repo::new();
    r.write("a.txt", "x\n");
    let base = r.commit_all("init");
    r.write("feature.py", format!("NEW = '{}'\n", monime(6)));
    let out = r.cmd(&["baseline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    r.commit_all("feature with its own baseline");
    let range = format!("{base}..HEAD");
    let (code, _, stderr) = r.json(
        "history",
        &["--range", &range, "--baseline", ".leakguard-baseline.json"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("does not exist at BASE"), "{stderr}");
}

#[test]
fn progress_is_silent_off_a_terminal_and_in_ci() {
    let r = two_severities();
    for extra in [
        &[][..],
        &["--progress", "auto"][..],
        &["--progress", "never"][..],
    ] {
        let out = r
            .cmd(&[&["scan", "-q"], extra].concat())
            .env("CI", "true")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains('\r') && !err.contains("MB/s"),
            "{extra:?}: {err:?}"
        );
    }
    // Forced on, a short scan still finishes with a clean stderr (the line is erased or
    // never drawn) and the same result.
    let out = r
        .cmd(&["scan", "-q", "--progress", "always"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn empty_leakguard_variables_mean_unset() {
    let r = two_severities();
    let out = r
        .cmd(&["scan", "-q"])
        .env("LEAKGUARD_FAIL_ON", "")
        .env("LEAKGUARD_BASELINE", "")
        .env("LEAKGUARD_FORMAT", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}
