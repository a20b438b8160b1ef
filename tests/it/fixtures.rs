//! The `fixtures/scan` tree: exact findings with the built-in rules, and the text report
//! snapshotted (timings filtered).

use std::path::PathBuf;

use crate::util::{hits, leakguard};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/scan")
}

#[test]
fn exact_findings_with_builtin_rules() {
    let out = leakguard()
        .arg("scan")
        .arg(fixture())
        .args(["--no-config", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, u64, u64)> = hits(&json);
    let want: Vec<(&str, &str, u64, u64)> = vec![
        ("app/config.yaml", "postgres-connection-uri", 2, 23),
        ("app/config.yaml", "generic-secret-assignment", 5, 12),
        ("app/settings.py", "monime-live-token", 4, 24),
        ("app/settings.py", "monime-test-token", 5, 25),
        ("app/settings.py", "stripe-secret-key", 6, 22),
        ("bin/tool.bin", "aws-access-key-id", 1, 17),
        // The key id on line 3 is the secret's companion: one pair, one finding.
        ("ci/deploy.sh", "aws-secret-access-key", 4, 30),
        ("deploy/.env", "dotenv-file", 1, 1),
        ("deploy/.env", "metigan-live-key", 1, 17),
        ("deploy/.env", "melonly-api-token", 2, 19),
        ("deploy/.env", "mufi-api-key", 3, 14),
        ("keys/deploy_key.pem", "private-key", 2, 1),
        ("web/client.js", "github-pat", 3, 13),
        ("web/client.js", "jwt", 4, 18),
        ("web/client.js", "slack-bot-token", 5, 16),
        ("web/client.js", "gitlab-pat", 6, 17),
        ("web/client.js", "google-api-key", 7, 15),
    ];
    let want: Vec<(String, String, u64, u64)> = want
        .into_iter()
        .map(|(p, r, l, c)| (p.to_string(), r.to_string(), l, c))
        .collect();
    assert_eq!(got, want);
    // The Metigan key in .env names both other candidates; the Stripe key the Metigan rule.
    let f = &json["findings"];
    assert_eq!(f[6]["pair"]["rule_id"], "aws-access-key-id");
    assert_eq!(f[6]["pair"]["line"], 3);
    assert_eq!(
        f[8]["also_matched"],
        serde_json::json!([
            "generic-secret-assignment",
            "metigan-api-key",
            "stripe-secret-key"
        ])
    );
    assert_eq!(f[2]["severity"], "critical");
    assert_eq!(f[3]["severity"], "medium");
    // Seen: the ignored `local/` directory is not scanned, the binary is.
    assert!(!got.iter().any(|h| h.0.starts_with("local/")));
}

#[test]
fn text_report_snapshot() {
    let out = leakguard()
        .arg("scan")
        .arg(fixture())
        .args(["--no-config", "--threads", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let timing = regex::Regex::new(r"· \d+ ms").unwrap();
    let text = timing.replace(&text, "· [TIME] ms");
    insta::assert_snapshot!("fixtures_text_report", text);
}

#[test]
fn project_config_allowlists_fixtures() {
    // Scanning from the repository root picks up `.leakguard.yaml`, which exempts fixtures/.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    leakguard()
        .current_dir(&root)
        .args(["scan", "fixtures", "-q"])
        .assert()
        .code(0);
}
