//! Paired credentials (`pair:` rules): an id and its secret are one finding, in every
//! report, in `staged`, and as a config error when a pair is written wrong.

use crate::util::{synthetic, Repo, Tree, ALNUM};

const HEX: &[u8] = b"0123456789abcdef";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `(key id, secret)`: a synthetic AWS access key pair.
fn aws(seed: u64) -> (String, String) {
    (
        format!("AKIA{}", synthetic(seed, 16, BASE32)),
        synthetic(seed + 1, 40, B64),
    )
}

fn credentials(id: &str, secret: &str) -> String {
    format!("[default]\nregion = eu-west-1\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")
}

fn findings(json: &serde_json::Value) -> &Vec<serde_json::Value> {
    json["findings"].as_array().unwrap()
}

#[test]
fn an_aws_key_pair_is_one_finding_in_every_report() {
    let (id, secret) = aws(1);
    let t = Tree::new();
    t.file("credentials", credentials(&id, &secret));
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 1);
    let all = findings(&json);
    // The key id's own finding is folded into the pair.
    assert_eq!(all.len(), 1, "{json:#}");
    let f = &all[0];
    assert_eq!(f["rule_id"], "aws-secret-access-key");
    assert_eq!(f["line"], 4);
    assert_eq!(f["pair"]["rule_id"], "aws-access-key-id");
    assert_eq!(f["pair"]["line"], 3);
    assert_eq!(f["pair"]["column"], 21);
    let shown = f["pair"]["value"].as_str().unwrap();
    assert!(shown.starts_with("AKIA") && shown.ends_with('…'), "{shown}");
    let text = |args: &[&str]| {
        let out = t.cmd(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for out in [
        serde_json::to_string(&json).unwrap(),
        text(&["scan", "--no-config"]),
        text(&["scan", "--no-config", "--format", "sarif"]),
    ] {
        assert!(!out.contains(&id) && !out.contains(&secret), "{out}");
    }
    let plain = text(&["scan", "--no-config", "--color", "never"]);
    assert!(
        plain.contains("pair ") && plain.contains("aws-access-key-id at 3:21"),
        "{plain}"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&text(&["scan", "--no-config", "--format", "sarif"])).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
    let related = &result["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(result["properties"]["pair"]["ruleId"], "aws-access-key-id");
    // Shown only when asked.
    let (_, shown) = t.scan_json(&["--no-config", "--show-secrets"]);
    assert_eq!(findings(&shown)[0]["pair"]["value"], id.as_str());
}

#[test]
fn an_id_alone_or_too_far_from_its_secret_makes_no_pair() {
    let sid = format!("SK{}", synthetic(3, 32, HEX));
    let api_secret = synthetic(4, 32, ALNUM);
    let t = Tree::new();
    // An identifier alone is never a finding.
    t.file("alone.env", format!("# twilio\nTWILIO_API_KEY={sid}\n"));
    // `required`: a *secret* name five lines away from the key SID is not its secret.
    t.file(
        "far.env",
        format!("# twilio\nTWILIO_API_KEY={sid}\n\n\n\n\nAPP_SECRET={api_secret}\n"),
    );
    // Three lines away, it is.
    t.file(
        "near.env",
        format!("# twilio\nTWILIO_API_KEY={sid}\nREGION=ie1\n\nAPP_SECRET={api_secret}\n"),
    );
    let (_, json) = t.scan_json(&["--no-config"]);
    let twilio: Vec<_> = findings(&json)
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("twilio"))
        .map(|f| (f["path"].as_str().unwrap(), f["rule_id"].as_str().unwrap()))
        .collect();
    assert_eq!(twilio, [("near.env", "twilio-api-key")], "{json:#}");
    let near = findings(&json)
        .iter()
        .find(|f| f["path"] == "near.env" && f["rule_id"] == "twilio-api-key")
        .unwrap();
    assert_eq!(near["pair"]["rule_id"], "twilio-api-key-sid");
    assert_eq!(near["pair"]["line"], 2);
    // Not a generic finding either: the pair took the SID.
    assert!(
        !findings(&json)
            .iter()
            .any(|f| f["path"] == "near.env" && f["line"] == 2),
        "{json:#}"
    );
}

#[test]
fn the_nearest_id_is_the_companion() {
    let (id1, s1) = aws(10);
    let (id2, s2) = aws(20);
    let t = Tree::new();
    t.file(
        "credentials",
        format!("{}\n{}", credentials(&id1, &s1), credentials(&id2, &s2))
            .replace("[default]\n", "[p]\n"),
    );
    let (_, json) = t.scan_json(&["--no-config", "--show-secrets"]);
    let pairs: Vec<_> = findings(&json)
        .iter()
        .map(|f| {
            (
                f["secret"].as_str().unwrap(),
                f["pair"]["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [(s1.as_str(), id1.as_str()), (s2.as_str(), id2.as_str())]
    );
}

#[test]
fn staged_reports_a_pair_when_either_part_is_added() {
    let (id, secret) = aws(30);
    let r = Repo::new();
    r.write("app.cfg", "[default]\nregion = eu-west-1\n");
    r.commit_all("init");
    r.write("app.cfg", credentials(&id, &secret));
    r.git(&["add", "-A"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json).len(), 1, "{json:#}");
    assert_eq!(findings(&json)[0]["pair"]["line"], 3);
    r.git(&["commit", "-q", "-m", "keys"]);
    // Only the key id changes: the pair is new, though the secret's line is not.
    let (id2, _) = aws(31);
    r.write("app.cfg", credentials(&id2, &secret));
    r.git(&["add", "-A"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!(code, 1, "{json:#}");
    let f = &findings(&json)[0];
    assert_eq!(
        (f["rule_id"].as_str(), f["line"].as_u64()),
        (Some("aws-secret-access-key"), Some(4))
    );
    r.git(&["commit", "-q", "-m", "rotate id"]);
    // A change elsewhere in the file adds neither part.
    r.write(
        "app.cfg",
        credentials(&id2, &secret).replace("eu-west-1", "us-east-2"),
    );
    r.git(&["add", "-A"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!(code, 0, "{json:#}");
}

/// A config's pair mistakes are one-line errors naming the rule.
#[test]
fn a_pair_written_wrong_is_a_config_error() {
    let rule = |extra: &str| {
        format!(
            "rules:\n  - id: acme-secret\n    description: Acme secret\n    severity: high\n    keywords: [acme]\n    name: 'acme.*secret'\n    value: '[a-z0-9]{{32}}'\n{extra}"
        )
    };
    for (extra, says) in [
        ("    pair: {rule: acme-id, within: 3}\n", "names no rule that is loaded"),
        ("    pair: {rule: acme-secret, within: 3}\n", "cannot `pair` with itself"),
        ("    pair: {rule: aws-access-key-id, within: soon}\n", "give a number of lines or `file`"),
        (
            "    validate:\n      provider: acme\n      request: {url: 'https://api.acme.test/keys/{{pair}}', headers: {X-Key: '{{secret}}'}}\n      live: {status: [200]}\n      inactive: {status: [401]}\n      responses: {live: {status: 200}, inactive: {status: 401}}\n",
            "declares no `pair`",
        ),
    ] {
        let t = Tree::new();
        t.file(".leakguard.yaml", rule(extra));
        let out = t.cmd(&["scan", "."]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra}: {err}");
        assert!(err.contains(says), "{extra}: {err}");
        assert!(err.contains("acme-secret") || err.contains(".leakguard.yaml"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // Disabling the companion of a built-in pair says which rule needs it.
    let t = Tree::new();
    t.file(".leakguard.yaml", "disable: [twilio-account-sid]\n");
    let out = t.cmd(&["scan", "."]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("twilio-auth-token") && err.contains("twilio-account-sid"),
        "{err}"
    );
}

/// `rules list` says which rules are identifiers and which pair with one.
#[test]
fn rules_list_marks_identifiers_and_pairs() {
    let t = Tree::new();
    let out = t.cmd(&["rules", "list", "--no-config"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id}: {text}"))
            .to_string()
    };
    assert!(line("twilio-account-sid").ends_with("[identifier]"));
    assert!(line("twilio-auth-token").contains("[pair: twilio-account-sid]"));
    let out = t
        .cmd(&["rules", "list", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = |id: &str| {
        json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(rule("twilio-account-sid")["identifier"], true);
    assert_eq!(rule("twilio-api-key")["pair"]["rule"], "twilio-api-key-sid");
    assert_eq!(rule("twilio-api-key")["pair"]["required"], true);
    assert!(rule("github-pat").get("pair").is_none());
    assert!(rule("github-pat").get("identifier").is_none());
}
