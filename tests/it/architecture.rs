//! The shape of the code, checked: top-level modules depend on each other in one direction
//! (no cycles), sources never reach into the engine, and `app.rs` stays wiring.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The `crate::module` names a file's non-test, non-comment code refers to.
fn uses(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = BTreeSet::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (i, _) in line.match_indices("crate::") {
            let name: String = line[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// Top-level module → the top-level modules it uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel.iter().next().unwrap().to_string_lossy();
        let top = top.trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let mut deps = uses(&std::fs::read_to_string(&f).unwrap());
        deps.remove(&top);
        g.entry(top).or_default().extend(deps);
    }
    g
}

#[test]
fn modules_form_no_cycle() {
    let g = graph();
    assert!(g.len() > 10, "{g:?}");
    // Depth-first search with colours: reaching a module still on the stack is a cycle.
    fn visit<'a>(
        m: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(i) = stack.iter().position(|s| *s == m) {
            panic!("module cycle: {} -> {m}", stack[i..].join(" -> "));
        }
        stack.push(m);
        for d in g.get(m).into_iter().flatten() {
            visit(d, g, stack, done);
        }
        stack.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        visit(m, &g, &mut Vec::new(), &mut done);
    }
}

#[test]
fn sources_and_reports_stay_below_the_engine_and_the_command_line() {
    let g = graph();
    for (module, banned) in [
        (
            "source",
            &["engine", "pipeline", "config", "cli", "app"][..],
        ),
        ("report", &["cli", "source", "engine", "config", "app"][..]),
        (
            "engine",
            &["source", "pipeline", "selftest", "cli", "config", "app"][..],
        ),
        ("rules", &["engine", "selftest"][..]),
        // `audit` gets its settings from `config` (`config::Audit`, `Triage`, `Merge`,
        // `AuditReportSettings`), never from clap's types.
        ("audit", &["cli", "app"][..]),
        ("incident", &["audit", "config", "cli", "app"][..]),
        // Validation reads rules and sends requests; it decides nothing about a run.
        (
            "validate",
            &[
                "audit", "config", "cli", "app", "engine", "source", "report",
            ][..],
        ),
    ] {
        for b in banned {
            assert!(
                !g[module].contains(*b),
                "{module} uses {b}: {:?}",
                g[module]
            );
        }
    }
}

/// `audit` gets its settings from `config` like every other command: clap's `AuditArgs`
/// stop at `config::Audit::new`.
#[test]
fn audit_takes_its_settings_from_config() {
    let g = graph();
    assert!(g["audit"].contains("config"), "{:?}", g["audit"]);
    assert!(!g["config"].contains("audit"), "{:?}", g["config"]);
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/audit"),
        &mut files,
    );
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("AuditArgs"),
            "{} reads clap's AuditArgs",
            f.display()
        );
    }
}

#[test]
fn app_is_wiring() {
    let app = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app.rs"));
    let lines = app.unwrap().lines().count();
    assert!(lines <= 350, "src/app.rs has {lines} lines");
}
