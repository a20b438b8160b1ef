//! Report formats: SARIF against the official 2.1.0 schema (from the shared `schemas/`
//! folder beside the checkout), JSON against `docs/report.schema.json`, and redaction in
//! every format (with `--show-secrets` as the control that proves the check can fail).

use serde_json::Value;

use crate::util::{base64, monime, synthetic, Repo, Tree, ALNUM};

/// The official OASIS schema, vendored so that CI needs nothing beside the checkout.
const SARIF_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/schemas/sarif-schema-2.1.0.json"
);

/// The vendored schema is the one the project was given, byte for byte (checked where the
/// shared folder is present, beside the checkout).
#[test]
fn vendored_sarif_schema_is_the_official_one() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/schemas/sarif-schema-2.1.0.json"
    );
    if let Ok(official) = std::fs::read(shared) {
        assert_eq!(std::fs::read(SARIF_SCHEMA).unwrap(), official);
    }
}
const REPORT_SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The official schema is draft-04 (`id`, not `$id`); format checks are on.
fn sarif_validator() -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&load(SARIF_SCHEMA))
        .expect("the SARIF schema compiles")
}

fn report_validator() -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&load(REPORT_SCHEMA))
        .expect("docs/report.schema.json compiles")
}

/// Asserts that `doc` is a valid JSON report (`docs/report.schema.json`).
#[allow(dead_code)]
pub fn assert_valid_report(doc: &Value) {
    assert_valid(&report_validator(), doc);
}

/// Asserts that `doc` is valid SARIF 2.1.0 (the audit's reports use it too).
pub fn assert_valid_sarif(doc: &Value) {
    assert_valid(&sarif_validator(), doc);
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\nin {doc:#}");
}

/// Runs `cmd` and returns (exit code, stdout as text, parsed).
fn run(mut cmd: assert_cmd::Command) -> (i32, String, Value) {
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "exit {code}, not JSON ({e}):\n{text}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, text, json)
}

/// A tree with a live and a test Monime token (one in a directory with a space), a
/// base64-hidden one, and a `.p12` key store: content, decoded and path findings.
fn planted() -> (Tree, Vec<String>) {
    let t = Tree::new();
    let secrets = vec![
        monime(11),
        format!("mon_test_{}", synthetic(12, 31, ALNUM)),
        monime(13),
    ];
    t.file(
        "src/my app/config.py",
        format!("x = 1\nTOKEN = '{}'\n", secrets[0]),
    )
    .file(
        "tests/fixture.js",
        format!("const k = \"{}\";\n", secrets[1]),
    )
    .file(
        "deploy/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  token: {}\n",
            base64(secrets[2].as_bytes())
        ),
    )
    .file("certs/client.p12", "not really a key store\n");
    (t, secrets)
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"].as_array().unwrap()
}

#[test]
fn sarif_of_a_scan_validates_lists_every_rule_and_never_holds_a_secret() {
    let (t, secrets) = planted();
    let (code, text, sarif) = run(t.cmd(&["scan", "--no-config", "--format", "sarif"]));
    assert_eq!(code, 1);
    assert_valid(&sarif_validator(), &sarif);
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "secret {s} in SARIF:\n{text}");
    }
    assert!(!text.contains(&base64(secrets[2].as_bytes())));

    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "leakguard");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    let (_, _, listed) = run(t.cmd(&["rules", "list", "--no-config", "--format", "json"]));
    let listed: Vec<&str> = listed["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids, listed,
        "tool.driver.rules is every active rule, in order"
    );
    for r in rules {
        let sev: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev), "{r}");
        let tags = r["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&"security".into()) && tags.contains(&"secret".into()));
        assert!(!r["help"]["text"].as_str().unwrap().is_empty(), "{r}");
        assert!(!r["help"]["markdown"].as_str().unwrap().is_empty(), "{r}");
        assert!(r["name"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
    }

    // Results agree with the JSON report, finding for finding.
    let (_, json) = t.scan_json(&["--no-config"]);
    let findings = json["findings"].as_array().unwrap();
    let results = results(&sarif);
    assert_eq!(results.len(), findings.len());
    assert_eq!(results.len(), 4, "{json:#}");
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["rule_id"]);
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(uri, f["path"].as_str().unwrap().replace(' ', "%20"));
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"]["startLine"], f["line"]);
        assert_eq!(loc["region"]["startColumn"], f["column"]);
        assert_eq!(r["partialFingerprints"]["leakguard/v2"], f["fingerprint"]);
        let level = match f["severity"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        let msg = r["message"]["text"].as_str().unwrap();
        assert!(msg.starts_with(f["description"].as_str().unwrap()), "{msg}");
        if let Some(redacted) = f["secret"].as_str() {
            assert!(msg.contains(redacted), "{msg}");
        }
    }
    let by_path = |p: &str| {
        results
            .iter()
            .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == p)
            .unwrap_or_else(|| panic!("no result for {p}"))
    };
    let path_finding = by_path("certs/client.p12");
    assert_eq!(
        path_finding["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(
        by_path("deploy/secret.yaml")["properties"]["decoded"],
        "base64"
    );
    assert_eq!(by_path("src/my%20app/config.py")["level"], "error");
}

#[test]
fn show_secrets_is_the_only_way_a_secret_reaches_any_format() {
    let (t, secrets) = planted();
    for format in ["text", "json", "sarif"] {
        let out = t
            .cmd(&["scan", "--no-config", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("mon_"), "{format}: no findings?\n{text}");
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{format} leaks {s}");
        }
        let out = t
            .cmd(&["scan", "--no-config", "--show-secrets", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for s in &secrets {
            assert!(
                text.contains(s.as_str()),
                "{format} --show-secrets lacks {s}"
            );
        }
    }
}

/// A repository whose second commit adds a secret that the third removes.
fn leaky_repo() -> (Repo, String, String) {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit_all("init");
    let secret = monime(21);
    r.write(
        "app/settings.py",
        format!("DEBUG = 1\nTOKEN = '{secret}'\n"),
    );
    let added = r.commit_all("add settings");
    r.write("app/settings.py", "DEBUG = 1\n");
    r.commit_all("remove the token");
    (r, secret, added)
}

#[test]
fn sarif_of_a_history_scan_validates_and_names_the_commit() {
    let (r, secret, added) = leaky_repo();
    let (code, text, sarif) = run(r.cmd(&["history", "--format", "sarif"]));
    assert_eq!(code, 1);
    assert_valid(&sarif_validator(), &sarif);
    assert!(!text.contains(&secret));
    let results = results(&sarif);
    assert_eq!(results.len(), 1);
    let res = &results[0];
    assert_eq!(res["ruleId"], "monime-live-token");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/settings.py"
    );
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    let commit = &res["properties"]["commit"];
    assert_eq!(commit["id"], added.as_str());
    assert_eq!(commit["author"], "Test Author");
    assert_eq!(commit["email"], "author@example.test");
    assert!(commit["date"].as_str().unwrap().starts_with("20"));
    assert!(res["message"]["text"]
        .as_str()
        .unwrap()
        .contains(&added[..12]));
}

#[test]
fn json_reports_validate_against_the_documented_schema() {
    let v = report_validator();
    let (t, _) = planted();
    let (_, scan) = t.scan_json(&["--no-config"]);
    assert_eq!(scan["findings"].as_array().unwrap().len(), 4);
    assert_valid(&v, &scan);
    let (_, shown) = t.scan_json(&["--no-config", "--show-secrets"]);
    assert_valid(&v, &shown);
    let (_, clean) = Tree::new().scan_json(&["--no-config"]);
    assert_valid(&v, &clean);

    let (r, _, _) = leaky_repo();
    let (code, history, _) = r.json("history", &[]);
    assert_eq!(code, 1);
    assert!(history["findings"][0]["commit"].is_object());
    assert!(history["summary"]["commits"].is_number());
    assert_valid(&v, &history);

    // The schema documents `suppressed` items: a finding plus `suppressed_by`.
    let mut explained = scan.clone();
    let mut item = scan["findings"][0].clone();
    item["suppressed_by"] =
        serde_json::json!({"by": "baseline", "entry": "r 00ff a.py", "file": "base"});
    explained["suppressed"] = Value::Array(vec![item.clone()]);
    assert_valid(&v, &explained);
    item["suppressed_by"] = serde_json::json!({"by": "inline_comment"});
    explained["suppressed"] = Value::Array(vec![item]);
    assert_valid(&v, &explained);
}

/// What a broken document lacks, and how to break it.
type Breakage = (&'static str, fn(&mut Value));

/// The schema is strict enough to fail: each of these documents must be rejected.
#[test]
fn the_report_schema_rejects_renamed_missing_and_misplaced_fields() {
    let v = report_validator();
    let (t, _) = planted();
    let (_, scan) = t.scan_json(&["--no-config"]);
    assert!(v.is_valid(&scan));
    let breakages: Vec<Breakage> = vec![
        ("renamed finding field", |d| {
            let f = d["findings"][0].as_object_mut().unwrap();
            let id = f.remove("rule_id").unwrap();
            f.insert("rule".into(), id);
        }),
        ("missing summary field", |d| {
            d["summary"].as_object_mut().unwrap().remove("elapsed_ms");
        }),
        ("unknown summary field", |d| {
            d["summary"]["files_scaned"] = 1.into();
        }),
        ("wrong version", |d| d["version"] = 2.into()),
        ("bad severity", |d| {
            d["findings"][0]["severity"] = "severe".into();
        }),
        ("suppressed_by on a reported finding", |d| {
            d["findings"][0]["suppressed_by"] = serde_json::json!({"by": "inline_comment"});
        }),
        ("suppressed item without suppressed_by", |d| {
            d["suppressed"] = Value::Array(vec![d["findings"][0].clone()]);
        }),
        ("unknown suppression", |d| {
            let mut item = d["findings"][0].clone();
            item["suppressed_by"] = serde_json::json!({"by": "magic"});
            d["suppressed"] = Value::Array(vec![item]);
        }),
    ];
    for (what, breaks) in breakages {
        let mut doc = scan.clone();
        breaks(&mut doc);
        assert!(!v.is_valid(&doc), "schema accepts a document with a {what}");
    }
}

/// `--explain` end to end. Needs app.rs to fill `Report::suppressed` (issue 5, main branch);
/// the rendering itself is unit-tested in `src/report/`.
#[test]
fn explain_lists_an_inline_allowed_secret_in_every_format() {
    let t = Tree::new();
    let secret = monime(31);
    t.file("a.py", format!("T = '{secret}'  # leakguard:allow\n"));
    let (code, json) = t.scan_json(&["--no-config", "--explain"]);
    assert_eq!(code, 0);
    assert_valid(&report_validator(), &json);
    assert_eq!(
        json["suppressed"][0]["suppressed_by"]["by"],
        "inline_comment"
    );
    let (_, text, sarif) = run(t.cmd(&["scan", "--no-config", "--explain", "--format", "sarif"]));
    assert_valid(&sarif_validator(), &sarif);
    assert!(!text.contains(&secret));
    assert_eq!(results(&sarif)[0]["suppressions"][0]["kind"], "inSource");
    let out = t
        .cmd(&["scan", "--no-config", "--explain"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("by leakguard:allow comment"), "{text}");
    assert!(!text.contains(&secret));
}
