//! The CI integrations: `action.yml` (a composite GitHub Action) and
//! `ci/leakguard.gitlab-ci.yml` (a GitLab CI template). Their structure is checked, and their
//! shell steps are run with bash the way each CI runs them: the `${{ }}` expressions of a step's
//! `env:` evaluated from an emulated GitHub context, the template's variables as environment,
//! and `leakguard` on `PATH` as a wrapper that records its arguments and runs the real binary
//! on a repository built with the git CLI. `cargo` is a fake that records how it was called.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{monime, Repo};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

fn yaml(rel: &str) -> Value {
    serde_saphyr::from_str(&text(rel)).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

/// Every string in a YAML document.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The `${{ … }}` expressions in `text`, trimmed.
fn expressions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        let end = rest[i..].find("}}").expect("unclosed ${{") + i;
        out.push(rest[i + 3..end].trim().to_string());
        rest = &rest[end + 2..];
    }
    out
}

/// `text` with each `${{ e }}` replaced by `ctx[e]`; an unknown expression panics.
fn evaluate(text: &str, ctx: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        let end = rest[i..].find("}}").unwrap() + i;
        let e = rest[i + 3..end].trim();
        out.push_str(&rest[..i]);
        out.push_str(
            ctx.get(e)
                .unwrap_or_else(|| panic!("the test does not know `{e}`")),
        );
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// A sandbox: a `leakguard` wrapper and a fake `cargo` on PATH, a HOME, a RUNNER_TEMP.

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let sb = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in ["bin", "home", "temp"] {
            std::fs::create_dir_all(sb.dir.path().join(d)).unwrap();
        }
        sb.script(
            "bin/leakguard",
            "#!/bin/sh\n{ printf '%s\\037' \"$@\"; echo; } >> \"$SANDBOX/leakguard.log\"\nexec \"$LEAKGUARD_REAL\" \"$@\"\n",
        );
        // Records its arguments (and the commit it was asked to build), then "installs" the
        // wrapper above at --root/bin/leakguard.
        sb.script(
            "bin/cargo",
            "#!/bin/sh\n{ printf '%s\\037' \"$@\"; echo; } >> \"$SANDBOX/cargo.log\"\n\
             root=; path=; prev=\n\
             for a in \"$@\"; do\n  case \"$prev\" in --root) root=$a;; --path) path=$a;; esac\n  prev=$a\ndone\n\
             git -C \"$path\" rev-parse HEAD >> \"$SANDBOX/cargo.heads\" 2>/dev/null || echo none >> \"$SANDBOX/cargo.heads\"\n\
             mkdir -p \"$root/bin\" && ln -sf \"$SANDBOX/bin/leakguard\" \"$root/bin/leakguard\"\n",
        );
        sb
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn script(&self, rel: &str, body: &str) {
        let p = self.path(rel);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn log(&self, name: &str) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.path(name))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                l.split('\x1f')
                    .filter(|a| !a.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect()
    }

    /// The argument lists `leakguard` was run with.
    fn calls(&self) -> Vec<Vec<String>> {
        self.log("leakguard.log")
    }

    /// Runs `script` with `bash ARGS` in `cwd`: (exit code, stdout + stderr).
    fn bash(
        &self,
        bash_args: &[&str],
        script: &str,
        cwd: &Path,
        env: &[(String, String)],
    ) -> (i32, String) {
        let file = self.path("step.sh");
        std::fs::write(&file, script).unwrap();
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut c = Command::new("bash");
        c.args(bash_args)
            .arg(&file)
            .current_dir(cwd)
            .env("PATH", path)
            .env("HOME", self.path("home"))
            .env("SANDBOX", self.dir.path())
            .env("LEAKGUARD_REAL", env!("CARGO_BIN_EXE_leakguard"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("LEAKGUARD_CONFIG")
            // Leftovers in the job's environment: the scripts must not trip over them.
            .env("LEAKGUARD_BASELINE", "")
            .env("LEAKGUARD_FORMAT", "text");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("bash runs");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().expect("exit code"), log)
    }
}

/// `a b c` as an argument list.
fn argv(words: &str) -> Vec<String> {
    words.split(' ').map(String::from).collect()
}

// ---------------------------------------------------------------------------------------------
// action.yml

fn action() -> Value {
    yaml("action.yml")
}

fn steps(a: &Value) -> &Vec<Value> {
    a["runs"]["steps"].as_array().expect("runs.steps")
}

/// The index and the step whose `id` is `id`.
fn step_id<'a>(a: &'a Value, id: &str) -> (usize, &'a Value) {
    steps(a)
        .iter()
        .enumerate()
        .find(|(_, st)| st["id"] == id)
        .unwrap_or_else(|| panic!("no step with id {id}"))
}

/// The index and the step that uses `action` (`owner/name@ref`).
fn step_uses<'a>(a: &'a Value, action: &str) -> (usize, &'a Value) {
    steps(a)
        .iter()
        .enumerate()
        .find(|(_, st)| st["uses"] == action)
        .unwrap_or_else(|| panic!("no step uses {action}"))
}

/// The last step: it turns the recorded exit code into the job's result.
fn result_step(a: &Value) -> (usize, &Value) {
    let all = steps(a);
    (all.len() - 1, all.last().unwrap())
}

const INPUTS: &[&str] = &[
    "range",
    "path",
    "fail-on",
    "min-severity",
    "baseline",
    "no-inline-allow",
    "sarif",
    "sarif-category",
    "args",
    "install",
    "features",
];

#[test]
fn action_is_composite_and_declares_every_input_it_uses() {
    let a = action();
    assert_eq!(a["runs"]["using"], "composite");
    assert!(a["name"].is_string() && a["description"].is_string());
    let inputs = a["inputs"].as_object().expect("inputs");
    let declared: BTreeSet<&str> = inputs.keys().map(String::as_str).collect();
    assert_eq!(declared, INPUTS.iter().copied().collect());
    for (name, input) in inputs {
        assert!(
            input["description"].is_string(),
            "input {name}: description"
        );
        // GitHub passes inputs as strings: a YAML boolean default would be a trap.
        assert!(input["default"].is_string(), "input {name}: string default");
    }
    for (name, default) in [
        ("range", ""),
        ("path", "."),
        ("fail-on", "low"),
        ("baseline", ""),
        ("no-inline-allow", "true"),
        ("sarif", "true"),
        ("args", ""),
        ("install", "auto"),
    ] {
        assert_eq!(inputs[name]["default"], default, "input {name}");
    }

    // Every expression names a declared input, a step declared before its use, or a known
    // context; every input is used.
    let mut all = Vec::new();
    strings(&a, &mut all);
    let mut used = BTreeSet::new();
    for e in all.iter().flat_map(|t| expressions(t)) {
        let words: Vec<&str> = e
            .split(|c: char| !(c.is_alphanumeric() || "._-".contains(c)))
            .filter(|w| w.contains('.'))
            .collect();
        for w in words {
            if let Some(input) = w.strip_prefix("inputs.") {
                assert!(
                    declared.contains(input),
                    "`{e}` uses undeclared input {input}"
                );
                used.insert(input.to_string());
            } else if let Some(rest) = w.strip_prefix("steps.") {
                let id = rest.split('.').next().unwrap();
                step_id(&a, id);
            } else {
                assert!(
                    ["github.", "runner."].iter().any(|p| w.starts_with(p)),
                    "`{e}`: unexpected context {w}"
                );
            }
        }
    }
    let unused: Vec<_> = declared.iter().filter(|i| !used.contains(**i)).collect();
    assert!(unused.is_empty(), "inputs never used: {unused:?}");

    for (name, out) in a["outputs"].as_object().expect("outputs") {
        let v = s(out, "value");
        assert!(v.contains("steps.scan.outputs."), "output {name}: {v}");
    }
}

#[test]
fn action_scripts_take_values_from_the_environment_only() {
    let a = action();
    for st in steps(&a) {
        if let Some(run) = st["run"].as_str() {
            // Script injection: an expression inside `run:` is pasted into the script before
            // bash parses it.
            assert!(!run.contains("${{"), "expression inside run: {run}");
            assert_eq!(st["shell"], "bash", "{st}");
            let mut c = Command::new("bash");
            c.arg("-n").arg("-c").arg(run);
            assert!(c.status().unwrap().success(), "bash -n fails on: {run}");
        } else {
            assert!(
                st["uses"].is_string(),
                "a step is neither run nor uses: {st}"
            );
        }
    }
    assert!(
        text("action.yml").contains("fetch-depth: 0"),
        "the action documents the full-history checkout"
    );
}

#[test]
fn action_caches_the_binary_and_uploads_sarif_before_failing() {
    let a = action();
    let (cache_i, cache) = step_uses(&a, "actions/cache@v4");
    assert_eq!(cache["with"]["path"], "~/.leakguard/bin");
    let key = s(&cache["with"], "key");
    assert!(key.contains("github.action_ref") && key.contains("steps.source.outputs.hash"));
    let (install_i, install) = step_id(&a, "install");
    assert!(s(install, "run").contains("action/install.sh"));
    assert!(cache_i < install_i);
    assert!(s(install, "if").contains("steps.cache.outputs.cache-hit != 'true'"));
    assert_eq!(install["env"]["ACTION_PATH"], "${{ github.action_path }}");

    let (scan_i, _) = step_id(&a, "scan");
    let (upload_i, upload) = step_uses(&a, "github/codeql-action/upload-sarif@v3");
    let (result_i, result) = result_step(&a);
    assert!(install_i < scan_i && scan_i < upload_i && upload_i < result_i);
    let cond = s(upload, "if");
    assert!(
        cond.contains("always()"),
        "upload must run after a failure: {cond}"
    );
    assert!(cond.contains("inputs.sarif == 'true'"), "{cond}");
    assert!(
        cond.contains("steps.scan.outputs.sarif-file != ''"),
        "{cond}"
    );
    assert_eq!(
        upload["with"]["sarif_file"],
        "${{ steps.scan.outputs.sarif-file }}"
    );
    assert_eq!(s(result, "if"), "always()");
}

/// The emulated GitHub context of one run: the inputs (defaults, then `inputs`) and the event.
fn context(a: &Value, event: &[(&str, &str)], inputs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut ctx = BTreeMap::new();
    for (name, input) in a["inputs"].as_object().unwrap() {
        ctx.insert(format!("inputs.{name}"), s(input, "default").to_string());
    }
    for (k, v) in inputs {
        assert!(ctx.contains_key(&format!("inputs.{k}")), "no input {k}");
        ctx.insert(format!("inputs.{k}"), v.to_string());
    }
    for k in [
        "github.event.pull_request.base.sha",
        "github.event.pull_request.head.sha",
        "github.event.before",
        "github.event.after",
    ] {
        ctx.insert(k.to_string(), String::new());
    }
    ctx.insert("github.action_path".into(), root().display().to_string());
    for (k, v) in event {
        ctx.insert(k.to_string(), v.to_string());
    }
    ctx
}

/// Runs one `run:` step as GitHub does (`bash --noprofile --norc -eo pipefail`): its exit
/// code, log and outputs.
fn run_step(
    sb: &Sandbox,
    st: &Value,
    ctx: &BTreeMap<String, String>,
    cwd: &Path,
) -> (i32, String, BTreeMap<String, String>) {
    let out_file = sb.path("github_output");
    std::fs::write(&out_file, "").unwrap();
    let mut env: Vec<(String, String)> = st["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), evaluate(v.as_str().unwrap(), ctx)))
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in [
        ("GITHUB_OUTPUT", out_file.clone()),
        ("GITHUB_PATH", sb.path("github_path")),
        ("RUNNER_TEMP", sb.path("temp")),
        ("GITHUB_WORKSPACE", cwd.to_path_buf()),
    ] {
        env.push((k.into(), v.display().to_string()));
    }
    env.push(("CI".into(), "true".into()));
    let (code, log) = sb.bash(
        &["--noprofile", "--norc", "-eo", "pipefail"],
        s(st, "run"),
        cwd,
        &env,
    );
    let outputs = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (code, log, outputs)
}

struct ActionRun {
    scan: BTreeMap<String, String>,
    log: String,
    /// The exit code of the last step (the job's result).
    result: i32,
    calls: Vec<Vec<String>>,
    sb: Sandbox,
}

/// Runs the scan step and the result step on `repo`.
fn run_action(repo: &Repo, event: &[(&str, &str)], inputs: &[(&str, &str)]) -> ActionRun {
    let a = action();
    let sb = Sandbox::new();
    let mut ctx = context(&a, event, inputs);
    let (_, scan) = step_id(&a, "scan");
    let (code, log, outputs) = run_step(&sb, scan, &ctx, repo.path());
    assert_eq!(
        code, 0,
        "the scan step records the exit code, it does not fail: {log}"
    );
    for k in ["exit-code", "sarif-file"] {
        ctx.insert(
            format!("steps.scan.outputs.{k}"),
            outputs.get(k).cloned().unwrap_or_default(),
        );
    }
    let (_, result) = result_step(&a);
    let (result, result_log, _) = run_step(&sb, result, &ctx, repo.path());
    ActionRun {
        scan: outputs,
        log: format!("{log}{result_log}"),
        result,
        calls: sb.calls(),
        sb,
    }
}

/// A repository with `main` (one clean commit) and a branch `pr` checked out with one commit
/// adding `feature.py` (holding a secret if `secret`): (base, head).
fn pr_repo(secret: bool) -> (Repo, String, String) {
    let r = Repo::new();
    r.write("README", "hello\n");
    let base = r.commit_all("init");
    r.git(&["checkout", "-q", "-b", "pr"]);
    let body = if secret {
        format!("KEY = '{}'\n", monime(71))
    } else {
        "KEY = os.environ['KEY']\n".to_string()
    };
    r.write("feature.py", body);
    let head = r.commit_all("feature");
    (r, base, head)
}

fn pr_event<'a>(base: &'a str, head: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("github.event_name", "pull_request"),
        ("github.event.pull_request.base.sha", base),
        ("github.event.pull_request.head.sha", head),
    ]
}

/// The SARIF report exists and holds the scan's findings.
fn assert_report(path: &str, findings: bool) {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
    if let Some(runs) = json.get("runs") {
        let results = runs[0]["results"].as_array().expect("runs[0].results");
        assert_eq!(!results.is_empty(), findings, "{json}");
    } else {
        // Until SARIF lands, `--format sarif` writes the JSON report.
        let found = json["findings"].as_array().expect("findings");
        assert_eq!(!found.is_empty(), findings, "{json}");
    }
}

#[test]
fn action_on_a_pull_request_with_a_secret_fails_after_writing_sarif() {
    let (r, base, head) = pr_repo(true);
    let run = run_action(&r, &pr_event(&base, &head), &[]);
    assert_eq!(run.scan["exit-code"], "1", "{}", run.log);
    assert_eq!(run.result, 1, "{}", run.log);
    let sarif = &run.scan["sarif-file"];
    assert!(sarif.starts_with(&run.sb.path("temp").display().to_string()));
    assert_report(sarif, true);
    let expected = argv(&format!(
        "history . --range {base}..{head} --fail-on low --min-severity low --no-inline-allow \
         --format sarif --output {sarif}"
    ));
    assert_eq!(run.calls[0], expected);
    // The findings are printed to the log too, with workflow commands stopped meanwhile.
    assert_eq!(run.calls.len(), 2);
    assert!(run.log.contains("monime-live-token"), "{}", run.log);
    let stop = run.log.find("::stop-commands::").expect("stop-commands");
    assert!(stop < run.log.find("monime-live-token").unwrap());
    assert!(run.log.contains("::error title=leakguard::secrets found"));
}

#[test]
fn action_on_a_clean_pull_request_passes_even_with_old_secrets_on_main() {
    let r = Repo::new();
    r.write("legacy.py", format!("OLD = '{}'\n", monime(72)));
    let base = r.commit_all("legacy");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write("feature.py", "x = 1\n");
    let head = r.commit_all("feature");
    let run = run_action(&r, &pr_event(&base, &head), &[]);
    assert_eq!(run.scan["exit-code"], "0", "{}", run.log);
    assert_eq!(run.result, 0, "{}", run.log);
    assert_report(&run.scan["sarif-file"], false);
    assert_eq!(run.calls.len(), 1, "no text re-run when clean");
}

#[test]
fn action_on_push_scans_before_after_or_the_whole_history_of_a_new_branch() {
    let r = Repo::new();
    r.write("legacy.py", format!("OLD = '{}'\n", monime(73)));
    let before = r.commit_all("legacy");
    r.write("b.txt", "b\n");
    let after = r.commit_all("clean push");
    let push = |before: &str| {
        let ev = [
            ("github.event_name", "push"),
            ("github.event.before", before),
            ("github.event.after", after.as_str()),
        ];
        run_action(&r, &ev, &[("sarif", "false")])
    };
    let run = push(&before);
    assert_eq!(run.result, 0, "{}", run.log);
    assert_eq!(run.calls[0][..3], argv("history . --range"));
    assert_eq!(run.calls[0][3], format!("{before}..{after}"));
    assert!(!run.scan.contains_key("sarif-file"));

    let zeros = "0".repeat(40);
    let run = push(&zeros);
    assert_eq!(run.result, 1, "{}", run.log);
    assert!(
        !run.calls[0].iter().any(|a| a == "--range"),
        "{:?}",
        run.calls
    );
    assert!(run.calls[0].contains(&"text".to_string()));
    assert!(run.log.contains("legacy.py"), "{}", run.log);

    // The old tip of a force push, gone from the clone: the whole history, with a warning.
    let gone = "1234567".repeat(5) + "89abc";
    let run = push(&gone);
    assert_eq!(run.result, 1, "{}", run.log);
    assert!(
        run.log.contains("::warning title=leakguard::"),
        "{}",
        run.log
    );
}

#[test]
fn action_inputs_reach_the_command_line() {
    let (r, base, head) = pr_repo(true);
    let run = run_action(
        &r,
        &pr_event(&base, &head),
        &[
            ("fail-on", "critical"),
            ("min-severity", "medium"),
            ("no-inline-allow", "false"),
            ("baseline", "ci/base line.json"),
            ("args", "--skip-binary  --max-file-size 2M"),
            ("sarif", "false"),
        ],
    );
    let mut expected = argv(&format!(
        "history . --range {base}..{head} --fail-on critical --min-severity medium \
         --baseline BASELINE --format text --skip-binary --max-file-size 2M"
    ));
    let i = expected.iter().position(|a| a == "BASELINE").unwrap();
    expected[i] = "ci/base line.json".into();
    assert_eq!(run.calls, vec![expected], "{}", run.log);
    // A critical secret (and a baseline that does not exist): the job does not pass.
    assert_ne!(run.result, 0, "{}", run.log);
}

#[test]
fn action_an_explicit_range_wins_and_errors_fail_with_exit_2() {
    let (r, base, _) = pr_repo(true);
    let run = run_action(
        &r,
        &[("github.event_name", "workflow_dispatch")],
        &[("range", &format!("{base}..HEAD"))],
    );
    assert_eq!(run.result, 1, "{}", run.log);
    assert_eq!(run.calls[0][3], format!("{base}..HEAD"));

    // A flag leakguard does not know: exit 2, reported as an error, no SARIF upload.
    let run = run_action(
        &r,
        &[("github.event_name", "push")],
        &[("args", "--no-such-flag")],
    );
    assert_eq!(run.scan["exit-code"], "2", "{}", run.log);
    assert!(!run.scan.contains_key("sarif-file"));
    assert_eq!(run.result, 2, "{}", run.log);
    assert!(run
        .log
        .contains("::error title=leakguard::leakguard could not scan (exit 2)"));

    // A shallow clone cannot give the commits a range needs.
    let shallow = Repo::new();
    shallow.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &format!("file://{}", r.path().display()),
        "clone",
    ]);
    let sb = Sandbox::new();
    let a = action();
    let ctx = context(&a, &pr_event(&base, &base), &[]);
    let (code, log, out) = run_step(
        &sb,
        step_id(&a, "scan").1,
        &ctx,
        &shallow.path().join("clone"),
    );
    assert_eq!((code, out["exit-code"].as_str()), (0, "2"), "{log}");
    assert!(log.contains("fetch-depth: 0"), "{log}");
    assert!(sb.calls().is_empty());
}

/// A stand-in for Python that does what the install step asks of it: `-m venv DIR` makes
/// DIR/bin/python (itself), and `-m pip install ...` is recorded in pip.log and "installs" the
/// leakguard wrapper into the venv; with `broken`, every call fails (no usable Python).
fn fake_python(sb: &Sandbox, broken: bool) {
    let body = if broken {
        "#!/bin/sh\necho \"python: broken\" >&2\nexit 1\n".to_string()
    } else {
        "#!/bin/sh\n\
         case \"$1 $2\" in\n\
           '-m venv') mkdir -p \"$3/bin\" && ln -sf \"$0\" \"$3/bin/python\" ;;\n\
           '-m pip') shift 2; { printf '%s\\037' \"$@\"; echo; } >> \"$SANDBOX/pip.log\"\n\
             venv=$(dirname \"$(dirname \"$0\")\")\n\
             ln -sf \"$SANDBOX/bin/leakguard\" \"$venv/bin/leakguard\" ;;\n\
           *) exit 3 ;;\n\
         esac\n"
            .to_string()
    };
    for name in ["bin/python3", "bin/python"] {
        sb.script(name, &body);
    }
}

/// Runs the action's install step with `inputs`: (exit code, log, outputs).
fn install(sb: &Sandbox, inputs: &[(&str, &str)]) -> (i32, String, BTreeMap<String, String>) {
    let a = action();
    let repo = Repo::new();
    let ctx = context(&a, &[], inputs);
    run_step(sb, step_id(&a, "install").1, &ctx, repo.path())
}

#[test]
fn action_install_step_builds_from_its_own_checkout_into_the_cached_path() {
    let a = action();
    let sb = Sandbox::new();
    let repo = Repo::new();
    let ctx = context(&a, &[], &[("features", "vectorscan")]);

    let (code, log, out) = run_step(&sb, step_id(&a, "source").1, &ctx, repo.path());
    assert_eq!(code, 0, "{log}");
    let hash = &out["hash"];
    assert!(
        hash.len() == 32 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{hash}"
    );
    let ctx2 = context(&a, &[], &[]);
    let (_, _, out2) = run_step(&sb, step_id(&a, "source").1, &ctx2, repo.path());
    assert_ne!(&out2["hash"], hash, "features are part of the key");

    // Features mean a build from source, even where a wheel could be installed.
    fake_python(&sb, false);
    let (code, log, out) = run_step(&sb, step_id(&a, "install").1, &ctx, repo.path());
    assert_eq!(code, 0, "{log}");
    assert_eq!(out["method"], "cargo");
    assert!(sb.log("pip.log").is_empty(), "no pip for a features build");
    let home = sb.path("home");
    let expected = argv(&format!(
        "install --locked --path {} --root {}/.leakguard --target-dir {}/leakguard-target \
         --features vectorscan",
        root().display(),
        home.display(),
        sb.path("temp").display()
    ));
    assert_eq!(sb.log("cargo.log"), vec![expected]);
    // The cache step saves what was installed.
    let cached = s(&step_uses(&a, "actions/cache@v4").1["with"], "path").replacen(
        '~',
        &home.display().to_string(),
        1,
    );
    assert!(Path::new(&cached).join("leakguard").exists(), "{cached}");

    let put = steps(&a)
        .iter()
        .find(|st| {
            st["run"]
                .as_str()
                .is_some_and(|r| r.contains("GITHUB_PATH"))
        })
        .unwrap();
    run_step(&sb, put, &ctx, repo.path());
    let on_path = std::fs::read_to_string(sb.path("github_path")).unwrap();
    assert_eq!(Path::new(on_path.trim()), Path::new(&cached));
}

/// By default the action installs the wheel of its own version with pip, and builds nothing.
/// (.ci/wheel-check.sh runs the same script with the real wheel and pip.)
#[test]
fn action_install_step_prefers_the_wheel_of_its_own_version() {
    let sb = Sandbox::new();
    fake_python(&sb, false);
    let (code, log, out) = install(&sb, &[]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(out["method"], "pip", "{log}");
    let pip = sb.log("pip.log");
    assert_eq!(pip.len(), 1, "{pip:?}");
    let want = format!("leakguard-bin=={}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        pip[0].first().map(String::as_str),
        Some("install"),
        "{pip:?}"
    );
    assert_eq!(pip[0].last(), Some(&want), "{pip:?}");
    assert!(sb.log("cargo.log").is_empty(), "nothing built: {log}");
    let bin = sb.path("home").join(".leakguard/bin/leakguard");
    assert!(bin.exists(), "{log}");
    assert!(
        log.contains(&format!(
            "leakguard {}, installed with pip",
            env!("CARGO_PKG_VERSION")
        )),
        "{log}"
    );
}

/// No usable Python (or no wheel): `auto` says so and builds with cargo; `pip` fails; a bad
/// `install` value is a usage error. Nothing is left half-installed.
#[test]
fn action_install_step_falls_back_to_cargo_and_checks_its_input() {
    let sb = Sandbox::new();
    fake_python(&sb, true);
    let (code, log, out) = install(&sb, &[]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(out["method"], "cargo", "{log}");
    assert!(
        log.contains("::notice title=leakguard::no prebuilt leakguard-bin"),
        "{log}"
    );
    assert_eq!(sb.log("cargo.log").len(), 1);

    let sb = Sandbox::new();
    fake_python(&sb, true);
    let (code, log, _) = install(&sb, &[("install", "pip")]);
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("::error title=leakguard::pip could not install leakguard-bin=="),
        "{log}"
    );
    assert!(sb.log("cargo.log").is_empty());

    let sb = Sandbox::new();
    let (code, log, _) = install(&sb, &[("install", "brew")]);
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("install must be auto, pip or cargo, not 'brew'"),
        "{log}"
    );
    let (code, log, _) = install(&sb, &[("install", "pip"), ("features", "vectorscan")]);
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("features (vectorscan) need a build from source"),
        "{log}"
    );
    assert!(sb.log("cargo.log").is_empty());
    assert!(!sb.path("home").join(".leakguard/bin/leakguard").exists());
}

// ---------------------------------------------------------------------------------------------
// ci/leakguard.gitlab-ci.yml

const TEMPLATE: &str = "ci/leakguard.gitlab-ci.yml";

fn job() -> Value {
    let t = yaml(TEMPLATE);
    let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["leakguard"],
        "the template adds one job and nothing global"
    );
    t["leakguard"].clone()
}

fn script(job: &Value, key: &str) -> String {
    job[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is a list"))
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn gitlab_job_structure() {
    let j = job();
    let vars = j["variables"].as_object().expect("variables");
    assert_eq!(vars["GIT_DEPTH"], "0");
    for (k, v) in vars {
        assert!(v.is_string(), "variable {k} is a string");
    }
    let rules = serde_json::to_string(&j["rules"]).unwrap();
    assert!(rules.contains("merge_request_event"), "{rules}");
    assert!(rules.contains("$CI_OPEN_MERGE_REQUESTS"), "{rules}");
    assert_eq!(j["artifacts"]["when"], "always");
    assert_eq!(j["artifacts"]["paths"][0], "leakguard-report.*");
    assert!(s(&j, "image").starts_with('$'));

    // Every LEAKGUARD_* variable the scripts read is documented in the header; every
    // variable the job sets is too, except the image.
    let raw = text(TEMPLATE);
    let header: String = raw
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .collect();
    let all = format!("{}\n{}", script(&j, "before_script"), script(&j, "script"));
    let mut names: BTreeSet<String> = all
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("LEAKGUARD_"))
        .map(String::from)
        .collect();
    names.extend(vars.keys().filter(|k| k.starts_with("LEAKGUARD_")).cloned());
    names.remove("LEAKGUARD_IMAGE");
    names.remove("LEAKGUARD_CONFIG");
    for n in names {
        assert!(
            header.contains(&n),
            "{n} is not documented in the template's header"
        );
    }
    for key in ["before_script", "script"] {
        let mut c = Command::new("bash");
        c.arg("-n").arg("-c").arg(script(&j, key));
        assert!(c.status().unwrap().success(), "bash -n fails on {key}");
    }
}

/// Runs `keys` (e.g. `script`) of the job as the runner does (one bash, `set -eo pipefail`)
/// with the job's variables, `vars` over them, and `ci` (the predefined variables).
fn run_job(
    sb: &Sandbox,
    repo: &Repo,
    keys: &[&str],
    ci: &[(&str, &str)],
    vars: &[(&str, &str)],
) -> (i32, String) {
    let j = job();
    let mut env: BTreeMap<String, String> = j["variables"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    env.insert("CI".into(), "true".into());
    env.insert("GITLAB_CI".into(), "true".into());
    env.insert("CI_PROJECT_DIR".into(), repo.path().display().to_string());
    env.insert("CI_COMMIT_SHA".into(), repo.head());
    for (k, v) in ci.iter().chain(vars) {
        env.insert(k.to_string(), v.to_string());
    }
    let mut body = String::from("set -eo pipefail\n");
    for k in keys {
        body.push_str(&script(&j, k));
        body.push('\n');
    }
    let env: Vec<_> = env.into_iter().collect();
    sb.bash(&["--noprofile", "--norc"], &body, repo.path(), &env)
}

fn mr(base: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base),
        (
            "CI_COMMIT_BEFORE_SHA",
            "0000000000000000000000000000000000000000",
        ),
    ]
}

fn report(repo: &Repo, ext: &str) -> Value {
    let p = repo.path().join(format!("leakguard-report.{ext}"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

#[test]
fn gitlab_merge_request_with_a_secret_fails_and_keeps_the_report() {
    let (r, base, head) = pr_repo(true);
    let sb = Sandbox::new();
    let (code, log) = run_job(&sb, &r, &["script"], &mr(&base), &[]);
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("monime-live-token"), "{log}");
    let path = r.path().join("leakguard-report.sarif");
    assert_report(path.to_str().unwrap(), true);
    let calls = sb.calls();
    assert_eq!(
        calls[0],
        argv(&format!(
            "history . --range {base}..{head} --format sarif --output leakguard-report.sarif"
        ))
    );
    assert_eq!(calls.len(), 2, "the findings are printed to the log too");

    // JSON instead, and a clean merge request passes.
    let (code, log) = run_job(
        &sb,
        &r,
        &["script"],
        &mr(&base),
        &[("LEAKGUARD_FORMAT", "json")],
    );
    assert_eq!(code, 1, "{log}");
    assert_eq!(report(&r, "json")["findings"][0]["path"], "feature.py");
    let (clean, cbase, _) = pr_repo(false);
    let (code, log) = run_job(&sb, &clean, &["script"], &mr(&cbase), &[]);
    assert_eq!(code, 0, "{log}");
}

#[test]
fn gitlab_branch_pipelines_scan_the_push_or_the_whole_history() {
    let r = Repo::new();
    r.write("legacy.py", format!("OLD = '{}'\n", monime(74)));
    let before = r.commit_all("legacy");
    r.write("b.txt", "b\n");
    let head = r.commit_all("clean push");
    let sb = Sandbox::new();
    let (code, log) = run_job(
        &sb,
        &r,
        &["script"],
        &[("CI_COMMIT_BEFORE_SHA", &before)],
        &[],
    );
    assert_eq!(code, 0, "{log}");
    assert_eq!(sb.calls()[0][3], format!("{before}..{head}"));

    let zeros = "0".repeat(40);
    let sb = Sandbox::new();
    let (code, log) = run_job(
        &sb,
        &r,
        &["script"],
        &[("CI_COMMIT_BEFORE_SHA", &zeros)],
        &[],
    );
    assert_eq!(code, 1, "{log}");
    assert!(!sb.calls()[0].contains(&"--range".to_string()));
    assert!(log.contains("legacy.py"), "{log}");
}

#[test]
fn gitlab_variables_reach_leakguard_and_errors_exit_2() {
    let (r, base, _) = pr_repo(true);
    let sb = Sandbox::new();
    // Empty CI/CD variables are dropped, set ones are read by leakguard from the environment.
    let (code, log) = run_job(
        &sb,
        &r,
        &["script"],
        &mr(&base),
        &[
            ("LEAKGUARD_BASELINE", ""),
            ("LEAKGUARD_MIN_SEVERITY", ""),
            ("LEAKGUARD_FAIL_ON", "critical"),
            ("LEAKGUARD_ARGS", "--skip-binary --max-file-size 1M"),
        ],
    );
    assert_eq!(code, 1, "{log}");
    let call = &sb.calls()[0];
    assert_eq!(
        call[call.len() - 3..],
        argv("--skip-binary --max-file-size 1M")
    );

    let sb = Sandbox::new();
    let (code, log) = run_job(
        &sb,
        &r,
        &["script"],
        &mr(&base),
        &[("LEAKGUARD_FAIL_ON", "bogus")],
    );
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("could not scan (exit 2)"), "{log}");

    let sb = Sandbox::new();
    let (code, log) = run_job(
        &sb,
        &r,
        &["script"],
        &[],
        &[("LEAKGUARD_RANGE", &format!("{base}..HEAD"))],
    );
    assert_eq!(code, 1, "{log}");
    assert_eq!(sb.calls()[0][3], format!("{base}..HEAD"));
}

#[test]
fn gitlab_before_script_builds_the_requested_ref_once() {
    // A stand-in for the leakguard repository at LEAKGUARD_GIT_URL.
    let src = Repo::new();
    src.write("Cargo.toml", "[package]\nname = \"leakguard\"\n");
    let first = src.commit_all("v1");
    src.git(&["tag", "v1"]);
    src.write("NEWS", "more\n");
    let second = src.commit_all("v2");

    let (r, base, _) = pr_repo(false);
    let sb = Sandbox::new();
    let url = src.path().display().to_string();
    let build = |reference: &str, features: &str| {
        let (code, log) = run_job(
            &sb,
            &r,
            &["before_script", "script"],
            &mr(&base),
            &[
                ("LEAKGUARD_GIT_URL", &url),
                ("LEAKGUARD_GIT_REF", reference),
                ("LEAKGUARD_FEATURES", features),
            ],
        );
        assert_eq!(code, 0, "{log}");
        std::fs::read_to_string(sb.path("cargo.heads"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(build("v1", ""), [first.as_str()]);
    assert_eq!(build("v1", ""), [first.as_str()], "cached: no second build");
    assert_eq!(build("main", ""), [first.as_str(), second.as_str()]);
    assert_eq!(build(&second, ""), [first.as_str(), second.as_str()]);
    assert_eq!(
        build(&second, "vectorscan"),
        [first.as_str(), second.as_str(), second.as_str()]
    );
    let cargo = sb.log("cargo.log");
    let bin = r.path().join(".leakguard-bin");
    assert_eq!(cargo[0][..3], argv("install --locked --path"));
    assert_eq!(
        cargo[0][4..6],
        ["--root".to_string(), bin.display().to_string()]
    );
    assert_eq!(
        cargo[2][cargo[2].len() - 2..],
        argv("--features vectorscan")
    );
    let cache = &job()["cache"]["paths"][0];
    assert_eq!(cache, ".leakguard-bin/");
}

// ---------------------------------------------------------------------------------------------
// README

/// The README's install lines pin the wheel by version (`leakguard-bin==X`), to be pasted as
/// they are: a release that bumps Cargo.toml must bump them too.
#[test]
fn readme_pins_the_current_wheel_version() {
    let readme = text("README.md");
    let pins: Vec<&str> = readme
        .match_indices("leakguard-bin==")
        .map(|(i, m)| {
            let rest = &readme[i + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect();
    assert!(!pins.is_empty(), "the README shows the pinned wheel");
    for pin in pins {
        assert_eq!(
            pin,
            env!("CARGO_PKG_VERSION"),
            "README: leakguard-bin=={pin}"
        );
    }
}
