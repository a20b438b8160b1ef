//! Delivered artefacts through the real binary: a key in what ships to browsers and devices
//! (a web build's output, a source map, a folder served as it is, an app package, an
//! unpacked browser extension) carries `exposure: client` and a remediation saying it is
//! public now, in `scan`, `staged`, `history` and `audit`, in JSON, SARIF and the audit's
//! reports; the same key anywhere else does not. See issue 24, item 2.
//!
//! The layouts are written from the tools' docs (Vite `dist/assets/`, Next.js
//! `.next/static/`, Android's APK, Chrome's `manifest.json`), not read from `delivered.yaml`.

use serde_json::Value;

use crate::formats::{assert_valid_report, assert_valid_sarif};
use crate::util::{asar_of, crx_of, leakguard, monime, zip_of, Repo, Tree};

const NOTE: &str =
    "in what ships to browsers and devices: anyone who loads or installs it can read it";

/// `path` → the finding's `exposure` (`None` when it has none), for every finding.
fn exposure_by_path(json: &Value) -> Vec<(String, Option<String>)> {
    let mut all: Vec<(String, Option<String>)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let e = f
                .get("exposure")
                .and_then(Value::as_str)
                .map(str::to_string);
            (f["path"].as_str().unwrap().to_string(), e)
        })
        .collect();
    all.sort();
    all.dedup();
    all
}

fn client(path: &str) -> (String, Option<String>) {
    (path.to_string(), Some("client".to_string()))
}

fn none(path: &str) -> (String, Option<String>) {
    (path.to_string(), None)
}

fn js(key: &str) -> String {
    format!("const k = \"{key}\";\n")
}

#[test]
fn build_outputs_bundles_and_source_maps_ship_their_keys() {
    let t = Tree::new();
    let map = format!(
        r#"{{"version":3,"sources":["../src/pay.js"],"sourcesContent":["const k = \"{}\";"],"mappings":"AAAA"}}"#,
        monime(2401)
    );
    t.file("web/dist/assets/index-4f2a9c1e.js", js(&monime(2402)))
        .file("web/dist/assets/index-4f2a9c1e.js.map", map)
        .file(
            "web/.next/static/chunks/pages/_app-8d1f.js",
            js(&monime(2403)),
        )
        .file(
            "web/public/config.json",
            format!("{{\"key\": \"{}\"}}\n", monime(2404)),
        )
        .file("static/vendor.bundle.js", js(&monime(2405)))
        .file("web/src/pay.js", js(&monime(2406)))
        // Build outputs that no browser loads.
        .file(
            "build/reports/config.txt",
            format!("key={}\n", monime(2407)),
        )
        .file("dist/settings.py", format!("KEY = \"{}\"\n", monime(2408)));
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 1, "{json:#}");
    assert_valid_report(&json);
    assert_eq!(
        exposure_by_path(&json),
        [
            none("build/reports/config.txt"),
            none("dist/settings.py"),
            client("static/vendor.bundle.js"),
            client("web/.next/static/chunks/pages/_app-8d1f.js"),
            client("web/dist/assets/index-4f2a9c1e.js"),
            client("web/dist/assets/index-4f2a9c1e.js.map"),
            client("web/public/config.json"),
            none("web/src/pay.js"),
        ],
        "{json:#}"
    );
    for f in json["findings"].as_array().unwrap() {
        let fix = f["remediation"].as_str().unwrap();
        let shipped = f.get("exposure").is_some();
        assert_eq!(
            fix.starts_with("This file ships to browsers or devices"),
            shipped,
            "{f:#}"
        );
        if shipped {
            assert_eq!(f["exposure_note"], NOTE, "{f:#}");
            assert!(
                fix.contains("Revoke it") && fix.contains("behind a server"),
                "{fix}"
            );
            // The rule's own recovery steps follow.
            assert!(fix.len() > 200, "{fix}");
            // Public now, but our report still does not print it.
            assert_eq!(f["secret_redacted"], true, "{f:#}");
        }
    }

    // SARIF: the result carries the exposure, and its message says it.
    let out = t
        .cmd(&["scan", "--no-config", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let bundle = results
        .iter()
        .find(|r| uri(r) == "web/dist/assets/index-4f2a9c1e.js")
        .expect("the bundle's result");
    assert_eq!(bundle["properties"]["exposure"], "client", "{bundle:#}");
    assert!(
        bundle["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Exposure client"),
        "{bundle:#}"
    );
    let source = results.iter().find(|r| uri(r) == "web/src/pay.js").unwrap();
    assert!(source["properties"].get("exposure").is_none(), "{source:#}");
}

#[test]
fn a_file_served_as_it_is_ships_even_when_a_path_rule_finds_it() {
    let t = Tree::new();
    t.file("public/.env", format!("PAYMENT_TOKEN={}\n", monime(2410)))
        .file(".env", format!("PAYMENT_TOKEN={}\n", monime(2411)));
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 1);
    let kinds: Vec<(&str, &str, Option<&str>)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f.get("exposure").and_then(Value::as_str),
            )
        })
        .collect();
    for (path, kind) in [("public/.env", "path"), ("public/.env", "content")] {
        assert!(
            kinds.contains(&(path, kind, Some("client"))),
            "{path} {kind}: {kinds:?}"
        );
    }
    assert!(
        kinds.iter().any(|k| k.0 == ".env" && k.2.is_none()),
        "{kinds:?}"
    );
}

#[test]
fn app_packages_electron_archives_and_extension_packages_ship_every_file() {
    let t = Tree::new();
    let package = |key: &str| {
        zip_of(
            &[
                ("AndroidManifest.xml", b"<manifest/>".to_vec()),
                (
                    "assets/config.json",
                    format!("{{\"token\": \"{key}\"}}").into_bytes(),
                ),
            ],
            zip::CompressionMethod::Deflated,
        )
    };
    let electron = asar_of(&[("dist/main.js", js(&monime(2423)).into_bytes())]);
    let crx = crx_of(3, 64, &package(&monime(2424)));
    t.file("release/app-release.apk", package(&monime(2420)))
        .file("release/App.IPA", package(&monime(2421)))
        .file("release/backup.zip", package(&monime(2422)))
        .file("desktop/resources/app.asar", electron)
        .file(
            "desktop/resources/app.asar.unpacked/config.js",
            js(&monime(2425)),
        )
        .file("extension/build.crx", crx);
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(
        exposure_by_path(&json),
        [
            client("desktop/resources/app.asar!/dist/main.js"),
            client("desktop/resources/app.asar.unpacked/config.js"),
            client("extension/build.crx!/assets/config.json"),
            client("release/App.IPA!/assets/config.json"),
            client("release/app-release.apk!/assets/config.json"),
            none("release/backup.zip!/assets/config.json"),
        ],
        "{json:#}"
    );
    let apk = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "release/app-release.apk!/assets/config.json")
        .unwrap();
    let fix = apk["remediation"].as_str().unwrap();
    assert!(fix.contains("(Android app package)"), "{fix}");
}

#[test]
fn an_unpacked_browser_extension_ships_every_file() {
    let t = Tree::new();
    t.file(
        "extension/manifest.json",
        r#"{"manifest_version": 3, "name": "Example", "version": "1.0", "background": {"service_worker": "js/worker.js"}}"#,
    )
    .file("extension/js/worker.js", js(&monime(2430)))
    // A web app manifest (for a PWA) has no `manifest_version`: not an extension.
    .file(
        "webapp/manifest.json",
        r#"{"name": "Example", "start_url": "/", "display": "standalone"}"#,
    )
    .file("webapp/app.js", js(&monime(2431)))
    .file("webapp/broken/manifest.json", "{ not json")
    .file("webapp/broken/app.js", js(&monime(2432)));
    let (code, json) = t.scan_json(&["--no-config"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(
        exposure_by_path(&json),
        [
            client("extension/js/worker.js"),
            none("webapp/app.js"),
            none("webapp/broken/app.js"),
        ],
        "{json:#}"
    );
    let fix = json["findings"][0]["remediation"].as_str().unwrap();
    assert!(fix.contains("(browser extension)"), "{fix}");

    // Scanned as the root itself, or as one file of it.
    for target in ["extension", "extension/js/worker.js"] {
        let (code, json) = t.scan_json(&["--no-config", target]);
        assert_eq!(code, 1, "{target}: {json:#}");
        let e = &json["findings"][0]["exposure"];
        assert_eq!(e, "client", "{target}: {json:#}");
    }
}

#[test]
fn staged_history_and_audit_know_what_ships() {
    let r = Repo::new();
    r.write("dist/app.js", js(&monime(2440)))
        .write("src/app.js", js(&monime(2441)));
    r.commit_all("build");

    let (code, json, err) = r.json("history", &["--no-config"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        exposure_by_path(&json),
        [client("dist/app.js"), none("src/app.js")],
        "{json:#}"
    );

    // Staged: only the added line, and it ships.
    r.write(
        "dist/app.js",
        format!("{}{}", js(&monime(2440)), js(&monime(2442))),
    );
    r.git(&["add", "dist/app.js"]);
    let (code, json, err) = r.json("staged", &["--no-config"]);
    assert_eq!(code, 1, "{err}");
    let found: Vec<(u64, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["exposure"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [(2, "client")], "{json:#}");
    r.git(&["commit", "-q", "-m", "rebuild"]);

    // The audit keeps each place's exposure, and its reports show it.
    let dbs = Tree::new();
    let db = dbs.join("audit.db");
    let db = db.to_str().unwrap();
    let out = leakguard()
        .args(["audit", "--db", db, "--no-config"])
        .arg(r.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = |format: &str| {
        let out = leakguard()
            .args(["report", "--db", db, "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&report("json")).unwrap();
    let mut seen: Vec<(String, Value, Value)> = json["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let l = &i["locations"][0];
            let e = l.get("exposure").cloned().unwrap_or(Value::Null);
            (
                l["path"].as_str().unwrap().to_string(),
                i["exposure"].clone(),
                e,
            )
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let client = serde_json::json!(["client"]);
    assert_eq!(
        seen,
        [
            ("dist/app.js".into(), client.clone(), "client".into()),
            ("dist/app.js".into(), client, "client".into()),
            ("src/app.js".into(), serde_json::json!([]), Value::Null),
        ],
        "{json:#}"
    );
    let text = report("text");
    assert!(
        text.contains(&format!("(exposed client: {NOTE})")),
        "{text}"
    );
    let csv = report("csv");
    assert!(csv.lines().next().unwrap().ends_with(",exposure"), "{csv}");
    assert_eq!(
        csv.lines().filter(|l| l.ends_with(",client")).count(),
        2,
        "{csv}"
    );
    let sarif: Value = serde_json::from_str(&report("sarif")).unwrap();
    assert_valid_sarif(&sarif);
    let places: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["locations"].as_array().unwrap())
        .filter(|l| l["properties"]["exposure"] == "client")
        .collect();
    assert_eq!(places.len(), 2, "{sarif:#}");
}
