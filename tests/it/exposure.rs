//! Exposure rules through the real binary: server secrets under names a framework ships to
//! browsers (`NEXT_PUBLIC_`, `VITE_`, …) in `.env`, `.env.example` and code; public-by-design
//! names left alone; a secret value under such a name raised to critical; and like every
//! rule, staged, disabled, allowlisted and filtered by severity. See issue 24.
//!
//! The prefixes and names below are written from the frameworks' and providers' docs, not
//! read from the vocabulary the rules are built from.

use serde_json::Value;

use crate::formats::{assert_valid_report, assert_valid_sarif};
use crate::util::{synthetic, Repo, Tree, ALNUM};

/// Each framework's browser prefix, and how its client code reads a variable.
const PREFIXES: &[(&str, &str)] = &[
    ("NEXT_PUBLIC_", "process.env."),
    ("VITE_", "import.meta.env."),
    ("REACT_APP_", "process.env."),
    ("EXPO_PUBLIC_", "process.env."),
    ("GATSBY_", "process.env."),
    ("NUXT_PUBLIC_", "process.env."),
    ("PUBLIC_", "import.meta.env."),
    ("VUE_APP_", "process.env."),
    ("STORYBOOK_", "process.env."),
];

/// The findings of `rule` in a JSON report, as `(path, line, finding)`.
fn of_rule<'a>(json: &'a Value, rule: &str) -> Vec<(&'a str, u64, &'a Value)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| (f["path"].as_str().unwrap(), f["line"].as_u64().unwrap(), f))
        .collect()
}

fn exposures(json: &Value) -> Vec<(&str, u64, &Value)> {
    let mut all = of_rule(json, "browser-exposed-secret-name");
    all.extend(of_rule(json, "browser-exposed-secret-in-code"));
    all.extend(of_rule(json, "browser-exposed-secret-sveltekit-import"));
    all
}

#[test]
fn every_prefix_is_found_in_env_env_example_and_code() {
    let t = Tree::new();
    let (mut env, mut example, mut code) = (String::new(), String::new(), String::new());
    for (prefix, access) in PREFIXES {
        env.push_str(&format!("{prefix}STRIPE_SECRET_KEY=\n"));
        example.push_str(&format!("{prefix}SUPABASE_SERVICE_ROLE_KEY=\n"));
        code.push_str(&format!("const k = {access}{prefix}OPENAI_API_KEY;\n"));
    }
    t.file(".env", &env)
        .file(".env.example", &example)
        .file("src/client.js", &code)
        .file(
            "src/routes/+page.svelte",
            "<script>\nimport { PUBLIC_DB_PASSWORD } from '$env/static/public';\n</script>\n",
        );
    let (code_, json) = t.scan_json(&[]);
    assert_eq!(code_, 1);
    assert_valid_report(&json);
    let found = exposures(&json);
    for (file, rule) in [
        (".env", "browser-exposed-secret-name"),
        (".env.example", "browser-exposed-secret-name"),
        ("src/client.js", "browser-exposed-secret-in-code"),
    ] {
        let lines: Vec<u64> = found
            .iter()
            .filter(|(p, _, f)| *p == file && f["rule_id"] == rule)
            .map(|(_, l, _)| *l)
            .collect();
        assert_eq!(lines, (1..=9).collect::<Vec<u64>>(), "{file}: {json:#}");
    }
    let svelte: Vec<_> = found
        .iter()
        .filter(|(p, ..)| *p == "src/routes/+page.svelte")
        .collect();
    assert_eq!(svelte.len(), 1, "{json:#}");
    assert_eq!(svelte[0].2["secret"], "PUBLIC_DB_PASSWORD");
    for (_, _, f) in &found {
        assert_eq!(f["severity"], "high");
        assert_eq!(f["exposure"], "browser-name");
        // The name is shown whole: it holds no secret.
        assert_eq!(f["secret_redacted"], false);
        let name = f["secret"].as_str().unwrap();
        assert!(
            name.ends_with("_KEY") || name.ends_with("PASSWORD"),
            "{name}"
        );
    }
}

#[test]
fn public_by_design_names_are_not_flagged() {
    let names = [
        "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY",
        "VITE_FIREBASE_API_KEY",
        "NEXT_PUBLIC_SENTRY_DSN",
        "NEXT_PUBLIC_ALGOLIA_SEARCH_KEY",
        "NEXT_PUBLIC_GOOGLE_MAPS_API_KEY",
        "VITE_METIGAN_PUBLISHABLE_KEY",
        // Server-only names, and names that describe a secret rather than hold one.
        "STRIPE_SECRET_KEY",
        "NEXT_PUBLIC_PASSWORD_MIN_LENGTH",
    ];
    let env: String = names.iter().map(|n| format!("{n}=\n")).collect();
    let code: String = names
        .iter()
        .map(|n| format!("use(process.env.{n});\n"))
        .collect();
    let t = Tree::new();
    t.file(".env.example", &env).file("src/app.ts", &code);
    let (_, json) = t.scan_json(&[]);
    assert_eq!(exposures(&json).len(), 0, "{json:#}");
}

#[test]
fn a_secret_value_under_a_browser_name_is_critical_and_reported_once() {
    let (a, b) = (synthetic(1, 30, ALNUM), synthetic(2, 30, ALNUM));
    let t = Tree::new();
    t.file(
        "web/.env.production",
        format!(
            "NEXT_PUBLIC_STRIPE_KEY=sk_live_{a}\nNEXT_PUBLIC_STRIPE_SECRET_KEY=\"sk_live_{b}\"\n"
        ),
    );
    let out = t.cmd(&["scan", "--format", "json"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(&a) && !text.contains(&b), "a secret leaked");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_valid_report(&json);
    let stripe = of_rule(&json, "stripe-secret-key");
    assert_eq!(stripe.len(), 2, "{json:#}");
    for (_, _, f) in &stripe {
        assert_eq!(f["severity"], "critical");
        assert_eq!(f["exposure"], "browser-name");
        assert_eq!(
            f["exposure_note"],
            "shipped to every browser that loads the app"
        );
        assert_eq!(f["secret_redacted"], true);
        assert!(f["remediation"].as_str().unwrap().contains("Revoke it now"));
    }
    // One finding per secret: the name's own exposure finding is folded into it.
    assert_eq!(exposures(&json).len(), 0, "{json:#}");
    // The text report says it too.
    let out = t.cmd(&["scan"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CRITICAL"), "{text}");
    assert!(
        text.contains("browser-name: shipped to every browser that loads the app"),
        "{text}"
    );
}

#[test]
fn staged_reports_only_the_added_lines() {
    let r = Repo::new();
    r.write(".env.example", "NEXT_PUBLIC_LEGACY_SECRET=\nPORT=3000\n");
    r.commit_all("init");
    r.write(
        ".env.example",
        "NEXT_PUBLIC_LEGACY_SECRET=\nPORT=3000\nVITE_SUPABASE_SERVICE_ROLE_KEY=\n",
    );
    r.git(&["add", ".env.example"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!(code, 1);
    let found = exposures(&json);
    assert_eq!(found.len(), 1, "{json:#}");
    assert_eq!(
        (found[0].1, found[0].2["secret"].as_str()),
        (3, Some("VITE_SUPABASE_SERVICE_ROLE_KEY"))
    );
}

#[test]
fn disabled_allowlisted_and_filtered_like_every_rule() {
    let env = "NEXT_PUBLIC_LEGACY_SECRET=\nVITE_DB_PASSWORD=\n";
    let t = Tree::new();
    t.file(".env.example", env);
    let (_, json) = t.scan_json(&[]);
    assert_eq!(exposures(&json).len(), 2, "{json:#}");
    // `--min-severity` applies: the names alone are `high`.
    let (code, json) = t.scan_json(&["--min-severity", "critical"]);
    assert_eq!((code, exposures(&json).len()), (0, 0), "{json:#}");
    // Disabled.
    t.file(
        ".leakguard.yaml",
        "disable: [browser-exposed-secret-name]\n",
    );
    let (code, json) = t.scan_json(&[]);
    assert_eq!((code, exposures(&json).len()), (0, 0), "{json:#}");
    // Allowlisted by name (the match is the name).
    t.file(
        ".leakguard.yaml",
        "allow:\n  regexes: ['^NEXT_PUBLIC_LEGACY_SECRET$']\n",
    );
    let (_, json) = t.scan_json(&[]);
    let found = exposures(&json);
    assert_eq!(found.len(), 1, "{json:#}");
    assert_eq!(found[0].2["secret"], "VITE_DB_PASSWORD");
    // And by an inline comment.
    t.file(
        ".env.example",
        "NEXT_PUBLIC_LEGACY_SECRET=\nVITE_DB_PASSWORD= # leakguard:allow\n",
    );
    let (code, json) = t.scan_json(&[]);
    assert_eq!((code, exposures(&json).len()), (0, 0), "{json:#}");
}

#[test]
fn sarif_tags_exposure_rules_and_says_what_is_exposed() {
    let t = Tree::new();
    t.file(".env.example", "NEXT_PUBLIC_STRIPE_SECRET_KEY=\n");
    let out = t.cmd(&["scan", "--format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&sarif);
    let driver = &sarif["runs"][0]["tool"]["driver"];
    let rule = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "browser-exposed-secret-name")
        .unwrap();
    let tags = rule["properties"]["tags"].as_array().unwrap();
    assert!(tags.iter().any(|t| t == "exposure"), "{tags:?}");
    let stripe = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "stripe-secret-key")
        .unwrap();
    assert!(!stripe["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "exposure"));
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "browser-exposed-secret-name");
    let message = result["message"]["text"].as_str().unwrap();
    assert!(
        message.contains("NEXT_PUBLIC_STRIPE_SECRET_KEY")
            && message.contains("shipped to every browser"),
        "{message}"
    );
    assert_eq!(result["properties"]["exposure"], "browser-name");
}

/// Framework configs: Next.js `env:` entries and Vite `define:` keys under a browser name.
#[test]
fn framework_configs_are_checked() {
    let t = Tree::new();
    t.file(
        "next.config.js",
        "module.exports = {\n  env: {\n    NEXT_PUBLIC_STRIPE_SECRET_KEY: process.env.STRIPE_SECRET_KEY,\n    NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: process.env.STRIPE_PK,\n  },\n};\n",
    )
    .file(
        "vite.config.ts",
        "export default defineConfig({\n  define: {\n    'import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY': JSON.stringify(key),\n    'import.meta.env.VITE_SUPABASE_ANON_KEY': JSON.stringify(anon),\n  },\n});\n",
    );
    let (_, json) = t.scan_json(&[]);
    assert_valid_report(&json);
    let mut found: Vec<(&str, u64, &str)> = exposures(&json)
        .into_iter()
        .map(|(p, l, f)| (p, l, f["secret"].as_str().unwrap()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("next.config.js", 3, "NEXT_PUBLIC_STRIPE_SECRET_KEY"),
            ("vite.config.ts", 3, "VITE_SUPABASE_SERVICE_ROLE_KEY"),
        ],
        "{json:#}"
    );
}

/// Build settings that inline values into every bundle whatever their names (Next.js `env`,
/// Vite `define`, webpack's DefinePlugin, Expo's `extra`), written from each tool's docs;
/// SvelteKit's dynamic public env; and every name of a SvelteKit public import, over lines.
#[test]
fn build_configs_and_every_public_import_name_are_checked() {
    let t = Tree::new();
    t.file(
        "web/next.config.mjs",
        "const nextConfig = {\n  env: {\n    stripeKey: process.env.STRIPE_SECRET_KEY,\n    siteUrl: process.env.SITE_URL,\n  },\n};\nexport default nextConfig;\n",
    )
    .file(
        "app/vite.config.ts",
        "export default defineConfig(({ mode }) => {\n  const env = loadEnv(mode, process.cwd(), '');\n  return {\n    define: {\n      __APP_VERSION__: JSON.stringify(pkg.version),\n      __OPENAI__: JSON.stringify(env.OPENAI_API_KEY),\n    },\n  };\n});\n",
    )
    .file(
        "legacy/webpack.config.js",
        "plugins: [\n  new webpack.DefinePlugin({\n    'process.env.GITHUB_TOKEN': JSON.stringify(process.env.GITHUB_TOKEN),\n  }),\n],\n",
    )
    .file(
        "mobile/app.config.js",
        "export default {\n  expo: {\n    extra: {\n      eas: { projectId: 'p' },\n      dbPassword: process.env[\"DB_PASSWORD\"],\n    },\n  },\n};\n",
    )
    .file(
        "kit/src/routes/+page.svelte",
        "<script>\n  import {\n    PUBLIC_SITE_URL,\n    PUBLIC_STRIPE_SECRET_KEY,\n    PUBLIC_DB_PASSWORD,\n  } from '$env/static/public';\n  import { env } from '$env/dynamic/public';\n  const k = env.PUBLIC_ADMIN_SECRET;\n</script>\n",
    )
    // Not a build config: a workflow's `env:` is the job's environment, on the server.
    .file(
        ".github/workflows/deploy.yml",
        "jobs:\n  deploy:\n    env: {STRIPE_SECRET_KEY: ${{ secrets.STRIPE_SECRET_KEY }}}\n",
    );
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 1, "{json:#}");
    assert_valid_report(&json);
    let mut found: Vec<(&str, u64, &str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["exposure"] == "browser-name")
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap(),
                f["secret"].as_str().unwrap(),
            )
        })
        .collect();
    found.sort();
    let config = "browser-exposed-secret-build-config";
    let import = "browser-exposed-secret-sveltekit-import";
    assert_eq!(
        found,
        [
            ("app/vite.config.ts", 6, config, "env.OPENAI_API_KEY"),
            (
                "kit/src/routes/+page.svelte",
                4,
                import,
                "PUBLIC_STRIPE_SECRET_KEY"
            ),
            (
                "kit/src/routes/+page.svelte",
                5,
                import,
                "PUBLIC_DB_PASSWORD"
            ),
            (
                "kit/src/routes/+page.svelte",
                8,
                "browser-exposed-secret-in-code",
                "PUBLIC_ADMIN_SECRET"
            ),
            // Once, though named twice (the key and the value).
            (
                "legacy/webpack.config.js",
                3,
                config,
                "process.env.GITHUB_TOKEN"
            ),
            (
                "mobile/app.config.js",
                5,
                config,
                "process.env[\"DB_PASSWORD\"]"
            ),
            (
                "web/next.config.mjs",
                3,
                config,
                "process.env.STRIPE_SECRET_KEY"
            ),
        ],
        "{json:#}"
    );
}

/// `each:` in a config: every name of a block is reported once; outside an exposure rule it
/// is a config error naming the rule.
#[test]
fn each_reports_every_name_of_a_block_and_belongs_to_exposure_rules() {
    let t = Tree::new();
    let rule = |kind: &str| {
        format!(
            "rules:\n  - id: flags-block\n    kind: {kind}\n    group_names: secret\n    description: x\n    severity: low\n    keywords: ['flags(']\n    regex: 'flags\\(([^)]*)\\)'\n    each: '(\\w+)'\n"
        )
    };
    t.file(".leakguard.yaml", rule("exposure"))
        .file("a.py", "flags(api_key, token_type, api_key, password)\n");
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 1, "{json:#}");
    let names: Vec<&str> = of_rule(&json, "flags-block")
        .iter()
        .map(|(_, _, f)| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api_key", "password"], "{json:#}");

    t.file(
        ".leakguard.yaml",
        rule("secret").replace("    group_names: secret\n", ""),
    );
    let out = t.cmd(&["scan"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("flags-block") && err.contains("`each`"),
        "{err}"
    );
}

/// `rules list` says which rules are exposure rules.
#[test]
fn rules_list_marks_exposure_rules() {
    let t = Tree::new();
    let out = t
        .cmd(&["rules", "list", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<&str> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["exposure"] == true)
        .map(|r| {
            let id = r["id"].as_str().unwrap();
            let exposes = match id {
                _ if id.starts_with("secret-logged-") => "log",
                "secret-in-browser-storage" => "browser-storage",
                _ => "browser-name",
            };
            assert_eq!(r["exposes"], exposes, "{r:#}");
            id
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "browser-exposed-secret-build-config",
            "browser-exposed-secret-in-code",
            "browser-exposed-secret-name",
            "browser-exposed-secret-sveltekit-import",
            "secret-in-browser-storage",
            "secret-logged-console",
            "secret-logged-go",
            "secret-logged-java",
            "secret-logged-logger",
            "secret-logged-python",
            "secret-logged-rust",
        ]
    );
}

/// A key public by design keeps its rule's severity under a browser name: it is meant for
/// browsers (a Firebase web key, a Maps browser key).
#[test]
fn a_public_by_design_key_under_a_browser_name_is_not_raised() {
    let key = format!("AIza{}", synthetic(3, 35, ALNUM));
    let t = Tree::new();
    t.file(
        ".env.local",
        format!("VITE_FIREBASE_API_KEY={key}\nNEXT_PUBLIC_GOOGLE_MAPS_API_KEY={key}\n"),
    );
    let (_, json) = t.scan_json(&[]);
    let google = of_rule(&json, "google-api-key");
    assert_eq!(google.len(), 2, "{json:#}");
    for (_, _, f) in google {
        assert_eq!(f["severity"], "high");
        assert!(f.get("exposure").is_none(), "{f:#}");
    }
}

/// The log findings of a report, as `(path, line, logged expression)`, sorted.
fn logged(json: &Value) -> Vec<(String, u64, String)> {
    let mut all: Vec<(String, u64, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["exposure"] == "log")
        .map(|f| {
            assert_eq!(f["severity"], "low", "{f:#}");
            assert_eq!(f["secret_redacted"], false, "{f:#}");
            assert!(f["rule_id"].as_str().unwrap().starts_with("secret-logged-"));
            let path = f["path"].as_str().unwrap().to_string();
            (
                path,
                f["line"].as_u64().unwrap(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

/// Each language's log and print calls, each file mixing what must be found (a
/// secret-named value as it is) with what must not (derived, masked, descriptors).
const LOG_FILES: &[(&str, &str)] = &[
    (
        "web/app.js",
        "console.log(token);
console.log(\"key\", process.env.X_API_KEY);
console.error(`login failed with ${apiKey}`);
console.log(token.length);
console.log(mask(token));
console.log(\"type\", tokenType, token_id);
console.log(tokenizer);
logger.info(`refresh ${this.refreshToken}`);
console.log(redact(secret));
console.log(hasToken ? \"signed in\" : \"anonymous\");
// console.log(token);
 * console.log(\"key\", apiKey);
logger.info(`checked ${EnvironmentVariableNames.API_SECRET}`);
console.log(deletedSecret);
",
    ),
    ("web/README.md", "console.log(apiKey)\n"),
    (
        "web/types.d.ts",
        "export const f = () => console.log(apiKey);\n",
    ),
    (
        "svc/app.py",
        "logger.info(f\"calling with {api_key}\")
print(os.environ[\"MONIME_TOKEN\"])
print(len(key))
print(token[:4])
print(f\"{token[:4]}...\")
logging.debug(\"min length %d\", password_min_length)
print(secret_name)
print(\"password: %s\" % password)
print(f\"{{api_key}} is a placeholder\")
",
    ),
    (
        "cmd/main.go",
        "log.Printf(\"%s\", secret)
fmt.Println(\"token:\", os.Getenv(\"GITHUB_TOKEN\"))
log.Printf(\"%d\", len(secret))
fmt.Fprintln(w, token)
log.Printf(\"%s\", secret.Name)
",
    ),
    (
        "src/main.rs",
        "println!(\"{token}\");
eprintln!(\"{}\", api_key);
println!(\"{}\", token.len());
println!(\"{{token}}\");
println!(\"{:?}\", token_kind);
info!(\"key {:?}\", self.private_key);
",
    ),
    (
        "app/App.java",
        "System.out.println(password);
Log.d(TAG, apiKey);
System.out.println(password.length());
Log.d(TAG, \"token type \" + tokenType);
",
    ),
    (
        "app/Main.kt",
        "Log.d(TAG, \"key: $apiKey\")
Log.i(TAG, \"key set: ${apiKey != null}\")
",
    ),
];

#[test]
fn each_log_form_per_language_is_found_and_derived_values_are_not() {
    let t = Tree::new();
    for (path, text) in LOG_FILES {
        t.file(path, text);
    }
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 1);
    assert_valid_report(&json);
    let want: Vec<(String, u64, String)> = [
        ("app/App.java", 1, "password"),
        ("app/App.java", 2, "apiKey"),
        ("app/Main.kt", 1, "apiKey"),
        ("cmd/main.go", 1, "secret"),
        ("cmd/main.go", 2, "os.Getenv(\"GITHUB_TOKEN\")"),
        ("src/main.rs", 1, "token"),
        ("src/main.rs", 2, "api_key"),
        ("src/main.rs", 6, "self.private_key"),
        ("svc/app.py", 1, "api_key"),
        ("svc/app.py", 2, "os.environ[\"MONIME_TOKEN\"]"),
        ("svc/app.py", 8, "password"),
        ("web/app.js", 1, "token"),
        ("web/app.js", 2, "process.env.X_API_KEY"),
        ("web/app.js", 3, "apiKey"),
        ("web/app.js", 8, "this.refreshToken"),
    ]
    .iter()
    .map(|(p, l, s)| (p.to_string(), *l, s.to_string()))
    .collect();
    assert_eq!(logged(&json), want, "{json:#}");
    // Nothing else is reported on these lines: a name holds no secret value.
    assert_eq!(json["findings"].as_array().unwrap().len(), want.len());
    let text = String::from_utf8(t.cmd(&["scan"]).output().unwrap().stdout).unwrap();
    assert!(text.contains("log: written to logs"), "{text}");
}

#[test]
fn log_findings_are_filtered_disabled_and_allowlisted_like_every_rule() {
    let t = Tree::new();
    t.file("app.js", "console.log(token);\nconsole.log(apiKey);\n");
    let (_, json) = t.scan_json(&[]);
    assert_eq!(logged(&json).len(), 2, "{json:#}");
    // Low: `--min-severity medium` leaves them out.
    let (code, json) = t.scan_json(&["--min-severity", "medium"]);
    assert_eq!((code, logged(&json).len()), (0, 0), "{json:#}");
    t.file(".leakguard.yaml", "disable: [secret-logged-console]\n");
    let (code, json) = t.scan_json(&[]);
    assert_eq!((code, logged(&json).len()), (0, 0), "{json:#}");
    // Allowlisted by the logged name.
    t.file(".leakguard.yaml", "allow:\n  regexes: ['^token$']\n");
    let (_, json) = t.scan_json(&[]);
    assert_eq!(
        logged(&json),
        [("app.js".into(), 2, "apiKey".into())],
        "{json:#}"
    );
    t.file(
        "app.js",
        "console.log(token);\nconsole.log(apiKey); // leakguard:allow\n",
    );
    let (code, json) = t.scan_json(&[]);
    assert_eq!((code, logged(&json).len()), (0, 0), "{json:#}");
}

#[test]
fn staged_reports_only_added_log_lines() {
    let r = Repo::new();
    r.write("app.py", "print(password)\nx = 1\n");
    r.commit_all("init");
    r.write(
        "app.py",
        "print(password)\nx = 1\nlogger.info(\"key %s\", api_key)\n",
    );
    r.git(&["add", "app.py"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        logged(&json),
        [("app.py".into(), 3, "api_key".into())],
        "{json:#}"
    );
}

#[test]
fn sarif_tags_log_rules_exposure() {
    let t = Tree::new();
    t.file("main.go", "fmt.Println(apiKey)\n");
    let out = t.cmd(&["scan", "--format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&sarif);
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "secret-logged-go")
        .unwrap();
    let tags = rule["properties"]["tags"].as_array().unwrap();
    assert!(tags.iter().any(|t| t == "exposure"), "{tags:?}");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["properties"]["exposure"], "log");
}

/// The browser-storage findings of a report, as `(path, line, stored expression)`, sorted.
fn stored(json: &Value) -> Vec<(String, u64, String)> {
    let mut all: Vec<(String, u64, String)> = of_rule(json, "secret-in-browser-storage")
        .into_iter()
        .map(|(path, line, f)| {
            assert_eq!(f["exposure"], "browser-storage", "{f:#}");
            assert_eq!(f["severity"], "medium", "{f:#}");
            assert_eq!(f["secret_redacted"], false, "{f:#}");
            (
                path.to_string(),
                line,
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

/// Server secrets put in `localStorage`, `sessionStorage` or a cookie set from script are
/// found; the session credential an app keeps for its own user is its design, and not.
#[test]
fn server_secrets_in_browser_storage_are_found_and_session_tokens_are_not() {
    let t = Tree::new();
    t.file(
        "web/src/store.ts",
        "localStorage.setItem(\"stripe\", process.env.STRIPE_SECRET_KEY);
sessionStorage.setItem('apiKey', apiKey);
window.localStorage.openaiKey = OPENAI_API_KEY;
document.cookie = `client_secret=${clientSecret}; path=/`;
document.cookie = \"pw=\" + encodeURIComponent(password) + \"; Secure\";
localStorage[\"gh\"] = process.env.GITHUB_TOKEN;
localStorage.setItem(\"token\", accessToken);
localStorage.setItem(\"auth\", res.data.token);
document.cookie = \"session=\" + authToken;
sessionStorage.setItem(\"refresh\", refreshToken);
localStorage.setItem(\"key\", apiKey.slice(-4));
localStorage.setItem(\"hasApiKey\", String(!!apiKey));
localStorage.setItem(\"secret_name\", secretName);
if (localStorage.apiKey == apiKey) {}
",
    );
    let (code, json) = t.scan_json(&[]);
    assert_eq!(code, 1);
    assert_valid_report(&json);
    let want: Vec<(String, u64, String)> = [
        (1, "process.env.STRIPE_SECRET_KEY"),
        (2, "apiKey"),
        (3, "OPENAI_API_KEY"),
        (4, "clientSecret"),
        (5, "password"),
        (6, "process.env.GITHUB_TOKEN"),
    ]
    .iter()
    .map(|(l, s)| ("web/src/store.ts".to_string(), *l, s.to_string()))
    .collect();
    assert_eq!(stored(&json), want, "{json:#}");
    assert_eq!(
        json["findings"].as_array().unwrap().len(),
        want.len(),
        "{json:#}"
    );
    // Like every rule: below `--min-severity high`, and disabled.
    let (code, json) = t.scan_json(&["--min-severity", "high"]);
    assert_eq!((code, stored(&json).len()), (0, 0), "{json:#}");
    t.file(".leakguard.yaml", "disable: [secret-in-browser-storage]\n");
    let (code, json) = t.scan_json(&[]);
    assert_eq!((code, stored(&json).len()), (0, 0), "{json:#}");
}

#[test]
fn staged_reports_only_added_browser_storage_lines() {
    let r = Repo::new();
    r.write("app.js", "localStorage.setItem('k', apiKey);\n");
    r.commit_all("init");
    r.write(
        "app.js",
        "localStorage.setItem('k', apiKey);\nsessionStorage.setItem('s', clientSecret);\n",
    );
    r.git(&["add", "app.js"]);
    let (code, json, _) = r.json("staged", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stored(&json),
        [("app.js".into(), 2, "clientSecret".into())],
        "{json:#}"
    );
}

/// A provider's token written as a literal into browser storage is reported by its own rule
/// (its severity, its value redacted) and carries the exposure; a plain literal is nothing.
#[test]
fn a_provider_token_literal_in_browser_storage_carries_the_exposure() {
    let (a, b) = (synthetic(4, 30, ALNUM), synthetic(5, 30, ALNUM));
    let t = Tree::new();
    t.file(
        "web/app.js",
        format!(
            "localStorage.setItem(\"stripe\", \"sk_live_{a}\");\ndocument.cookie = \"k=sk_live_{b}; path=/\";\nlocalStorage.setItem(\"theme\", \"dark\");\nconst key = \"sk_live_{a}\";\n"
        ),
    );
    let out = t.cmd(&["scan", "--format", "json"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(&a) && !text.contains(&b), "a secret leaked");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_valid_report(&json);
    let mut found: Vec<(u64, Option<&str>)> = of_rule(&json, "stripe-secret-key")
        .into_iter()
        .map(|(_, line, f)| {
            assert_eq!(f["secret_redacted"], true);
            (line, f["exposure"].as_str())
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (1, Some("browser-storage")),
            (2, Some("browser-storage")),
            (4, None)
        ],
        "{json:#}"
    );
    assert_eq!(stored(&json).len(), 0, "{json:#}");
    assert_eq!(json["findings"].as_array().unwrap().len(), 3, "{json:#}");
    let storage = of_rule(&json, "stripe-secret-key")[0].2;
    assert!(
        storage["remediation"]
            .as_str()
            .unwrap()
            .starts_with("Whatever is in localStorage"),
        "{storage:#}"
    );
}
