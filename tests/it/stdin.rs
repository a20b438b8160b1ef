//! `leakguard scan -`: standard input as one file, in every format, named or not, with a
//! baseline and gates; empty and binary input.

use crate::util::{hits, monime, monime_test, Tree};

fn scan_stdin(tree: &Tree, input: impl Into<Vec<u8>>, args: &[&str]) -> (i32, String, String) {
    let out = tree
        .cmd(&[&["scan", "-"], args].concat())
        .write_stdin(input.into())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn kubectl_yaml(seed: u64) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  token: {}\n",
        monime(seed)
    )
}

#[test]
fn text_names_stdin_and_redacts() {
    let tree = Tree::new();
    let token = monime(1);
    let (code, out, _) = scan_stdin(&tree, kubectl_yaml(1), &[]);
    assert_eq!(code, 1);
    assert!(out.starts_with("<stdin>\n  4:10 "), "{out}");
    assert!(!out.contains(&token), "the secret leaked:\n{out}");
}

#[test]
fn json_and_sarif_carry_the_stdin_name() {
    let tree = Tree::new();
    let (code, out, _) = scan_stdin(&tree, kubectl_yaml(2), &["--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hits(&json)[0].0, "<stdin>");
    assert_eq!(hits(&json)[0].2, 4);

    let args = ["--format", "sarif", "--stdin-name", "k8s/secret.yaml"];
    let (code, out, _) = scan_stdin(&tree, kubectl_yaml(2), &args);
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    let loc = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "k8s/secret.yaml");
    assert_eq!(loc["region"]["startLine"], 4);
}

#[test]
fn stdin_named_dotenv_is_refused_like_a_committed_one() {
    let tree = Tree::new();
    let (code, out, _) = scan_stdin(&tree, "DEBUG=1\n", &["--stdin-name", ".env"]);
    assert_eq!(code, 1);
    assert!(out.contains("dotenv-file"), "{out}");
    // Unnamed, the same bytes are just text.
    let (code, out, _) = scan_stdin(&tree, "DEBUG=1\n", &[]);
    assert_eq!(code, 0, "{out}");
    // An allowlisted name is allowlisted on standard input too.
    let (code, _, _) = scan_stdin(&tree, "DEBUG=1\n", &["--stdin-name", ".env.example"]);
    assert_eq!(code, 0);
}

#[test]
fn empty_and_binary_input() {
    let tree = Tree::new();
    let (code, out, err) = scan_stdin(&tree, Vec::new(), &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["summary"]["files_scanned"], 1);
    assert_eq!(json["summary"]["bytes_scanned"], 0);

    // A provider token inside binary bytes is still found; a generic assignment is not.
    let mut bin = vec![0u8, 1, 2, 3, 0xFF, 0];
    bin.extend_from_slice(monime(3).as_bytes());
    bin.extend_from_slice(b"\0password=Zq8vLw3Xr5Tn1Pk7\0");
    let (code, out, _) = scan_stdin(&tree, bin, &["--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<String> = hits(&json).into_iter().map(|h| h.1).collect();
    assert_eq!(rules, vec!["monime-live-token"]);
}

#[test]
fn stdin_honours_the_baseline_and_the_gates() {
    let tree = Tree::new();
    tree.file("old.yaml", kubectl_yaml(4));
    let out = tree.cmd(&["baseline"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = [".leakguard-baseline.json"];
    assert!(tree.join(base[0]).is_file());
    let args = ["--baseline", base[0]];
    let (code, out, _) = scan_stdin(&tree, kubectl_yaml(4), &args);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = scan_stdin(&tree, kubectl_yaml(5), &args);
    assert_eq!(code, 1);

    let test_key = format!("token: {}\n", monime_test(6));
    let (code, out, _) = scan_stdin(&tree, test_key.clone(), &["--fail-on", "high"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("monime-test-token"), "{out}");
    let (code, _, _) = scan_stdin(&tree, test_key, &[]);
    assert_eq!(code, 1);
}

#[test]
fn stdin_cannot_be_mixed_with_paths_and_the_name_needs_it() {
    let tree = Tree::new();
    tree.file("a.txt", "x\n");
    let out = tree.cmd(&["scan", "-", "a.txt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`-` (standard input) cannot be scanned together"),
        "{err}"
    );
    let out = tree
        .cmd(&["scan", "a.txt", "--stdin-name", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
