//! The built-in rules on synthetic secrets and decoys: seed families, live vs test
//! severities, placeholders, references, `.env` files and disabling a rule.

use crate::util::{synthetic, Tree, ALNUM};

/// Findings as `(rule_id, severity)` for one file holding `text`, built-in rules only.
fn scan_text(name: &str, text: &str) -> Vec<(String, String)> {
    let t = Tree::new();
    t.file(name, text);
    let (_, json) = t.scan_json(&["--no-config"]);
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn one(rule: &str, severity: &str) -> Vec<(String, String)> {
    vec![(rule.to_string(), severity.to_string())]
}

#[test]
fn monime_live_is_critical_test_is_medium() {
    let live = format!("mon_{}", synthetic(1, 31, ALNUM));
    let test = format!("mon_test_{}", synthetic(2, 31, ALNUM));
    assert_eq!(
        scan_text("a.py", &format!("T = '{live}'\n")),
        one("monime-live-token", "critical")
    );
    assert_eq!(
        scan_text("a.py", &format!("T = '{test}'\n")),
        one("monime-test-token", "medium")
    );
    // 30 or 32 characters after the prefix is not a Monime token.
    let short = format!("mon_{}", synthetic(3, 30, ALNUM));
    assert!(scan_text("a.py", &format!("x {short}\n")).is_empty());
}

#[test]
fn metigan_wins_with_context_stripe_without() {
    let key = format!("sk_live_{}", synthetic(4, 32, ALNUM));
    assert_eq!(
        scan_text("settings.cfg", &format!("METIGAN_API_KEY={key}\n")),
        one("metigan-live-key", "critical")
    );
    assert_eq!(
        scan_text("pay.js", &format!("const k = '{key}';\n")),
        one("stripe-secret-key", "critical")
    );
    let test = format!("sk_test_{}", synthetic(5, 32, ALNUM));
    let found = scan_text("m.js", &format!("metigan.init('{test}')\n"));
    assert_eq!(found, one("metigan-test-key", "medium"));
}

#[test]
fn melonly_and_mufi_by_name_and_entropy() {
    let v = format!("{}7{}", synthetic(6, 15, ALNUM), synthetic(7, 16, ALNUM));
    assert_eq!(
        scan_text("x.sh", &format!("export MELONLY_API_TOKEN={v}\n"))[0].0,
        "melonly-api-token"
    );
    assert_eq!(
        scan_text("x.yaml", &format!("MUFI_SECRET_KEY: \"{v}\"\n"))[0].0,
        "mufi-api-key"
    );
    // Low entropy or a reference: nothing.
    assert!(scan_text("x.sh", "export MELONLY_API_TOKEN=abababababababab\n").is_empty());
    assert!(scan_text("x.sh", "export MUFI_API_KEY=$MUFI_API_KEY\n").is_empty());
}

#[test]
fn placeholders_and_references_never_fire() {
    let decoys = [
        "STRIPE_KEY=sk_live_your_api_key_here",
        "METIGAN_API_KEY=sk_live_your_api_key_here",
        "MONIME_TOKEN=mon_test_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "MONIME_TOKEN=mon_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "api_token = \"<YOUR_TOKEN>\"",
        "api_key: ${API_KEY}",
        "const apiKey = process.env.API_KEY;",
        "token = os.environ[\"TOKEN\"]",
        "password = \"aaaaaaaaaaaaaaaaaaaa\"",
        "secret = \"abcabcabcabcabcabcabc\"",
        "mon_table_name_for_monthly_reports",
    ];
    for d in decoys {
        assert!(
            scan_text("conf.py", &format!("{d}\n")).is_empty(),
            "fired on: {d}"
        );
    }
}

#[test]
fn dotenv_files_fire_templates_do_not() {
    let t = Tree::new();
    t.file(".env", "A=1\n")
        .file("svc/.env.production", "A=1\n")
        .file(
            ".env.example",
            "METIGAN_API_KEY=sk_live_your_api_key_here\n",
        )
        .file(".env.sample", "A=\n")
        .file(".env.template", "A=\n")
        .file("env.txt", "A=1\n");
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 1);
    let found: Vec<(&str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["rule_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![
            (".env", "dotenv-file"),
            ("svc/.env.production", "dotenv-file")
        ]
    );
}

#[test]
fn a_disabled_builtin_rule_is_silent() {
    let t = Tree::new();
    let key = format!("mon_{}", synthetic(8, 31, ALNUM));
    t.file("a.txt", format!("{key}\n"));
    assert_eq!(t.scan_json(&[]).0, 1);
    t.file(".leakguard.yaml", "disable: [monime-live-token]\n");
    assert_eq!(t.scan_json(&[]).0, 0);
}

#[test]
fn private_key_block_spanning_lines() {
    let body: Vec<String> = (0..4)
        .map(|i| {
            synthetic(
                20 + i,
                64,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            )
        })
        .collect();
    let pem = format!(
        "x\n-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        body.join("\n")
    );
    assert_eq!(
        scan_text("deploy-key.txt", &pem),
        one("private-key", "critical")
    );
}

#[test]
fn base64_values_in_kubernetes_secrets_and_dotenv_are_decoded() {
    let token = format!("mon_{}", synthetic(30, 31, ALNUM));
    let encoded = crate::util::base64(token.as_bytes());
    let t = Tree::new();
    t.file(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  token: {encoded}\n"
        ),
    );
    t.file(
        "svc/.env.staging.sample",
        format!("MONIME_TOKEN_B64={encoded}\n"),
    );
    t.file("notes.txt", format!("blob: {encoded}\n"));
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 1);
    let found: Vec<(String, String, u64, u64, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["decoded"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want = vec![
        (
            "k8s/secret.yaml".to_string(),
            "monime-live-token".to_string(),
            6,
            10,
            "base64".to_string(),
        ),
        (
            "svc/.env.staging.sample".into(),
            "monime-live-token".into(),
            1,
            18,
            "base64".into(),
        ),
    ];
    // A `.sample` template is not a committed .env (no path finding), but its encoded value
    // is still decoded; an encoded value elsewhere (notes.txt) is not decoded.
    assert_eq!(found, want);
    // The text report says the secret was decoded, and never prints it.
    let out = t.cmd(&["scan", "--no-config"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("decoded from base64"), "{text}");
    assert!(!text.contains(&token));
}
