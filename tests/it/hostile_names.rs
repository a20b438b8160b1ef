//! Hostile file names and hostile configs through the real binary (issue 21): a non-ASCII
//! name holding a secret-like span is redacted on a character boundary and never makes
//! `scan`, `staged`, `history --range` or `audit` panic; `--explain` names an allowlist
//! entry by its place, never by its text, in text, JSON and SARIF; a SARIF URI is made of a
//! name's real bytes, not of its escaped display text.

use std::path::Path;
use std::time::Duration;

use crate::util::{commit_in, git, leakguard, monime, Repo, Tree};

/// Long enough for a debug build on a loaded machine; a hang fails instead of blocking.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What a run printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}), exit {}:\n{}", self.code, self.all()))
    }
}

/// Runs `cmd` with a timeout and checks that nothing panicked (exit 101, or the panic
/// hook's line).
fn run(cmd: &mut assert_cmd::Command) -> Run {
    let out = cmd.timeout(TIMEOUT).output().unwrap();
    let r = Run {
        code: out.status.code().expect("exited (a hang?)"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        r.code != 101 && !r.stderr.contains("panicked"),
        "panic (exit {}):\n{}",
        r.code,
        r.stderr
    );
    r
}

/// `lead` + `a` + `n` characters from `first` on + `.txt`: the reproduction's shape (a
/// password assignment the snowflake rule reads in the name, running into characters of
/// two, three or four bytes, so that the rule's byte regex stops inside one).
fn wide_name(lead: &str, first: u32, n: u32) -> (String, String) {
    let wide: String = (first..)
        .filter_map(char::from_u32)
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .take(n as usize)
        .collect();
    (format!("{lead}a{wide}.txt"), wide)
}

/// The hostile names, each with a part of it that must never be printed: the reproduction,
/// then variants of our own (three- and four-byte characters, other assignment forms, a
/// directory component, a token running into non-ASCII letters).
fn hostile_names() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (lead, first, n) in [
        ("snowflake password='", 0x100, 70),
        ("snowflake password='", 0x4E00, 70),
        ("snowflake password='", 0x1F600, 40),
        ("snowflake password=\"", 0x400, 90),
        ("Snowflake Password = '", 0x100, 70),
        ("jdbc:mysql:h?user=u&password=", 0x4E00, 60),
    ] {
        let (name, wide) = wide_name(lead, first, n);
        // The characters past the four a redaction may show, well inside the match.
        let hidden: String = wide.chars().skip(6).take(12).collect();
        out.push((name, hidden));
    }
    let (name, wide) = wide_name("snowflake password='", 0x100, 70);
    let hidden: String = wide.chars().skip(6).take(12).collect();
    out.push((format!("{name}.d/inner.txt"), hidden));
    let token = monime(21);
    out.push((
        format!("keys/{token}\u{e9}\u{4e00}\u{1F600}.json"),
        token[12..].to_string(),
    ));
    out
}

/// Content with a secret, so that the hostile name is printed as a finding's path.
fn content(seed: u64) -> String {
    format!("token = {}\n", monime(seed))
}

/// Checks that a run printed the name redacted: a finding, no hidden part, no raw name.
fn redacted(r: &Run, name: &str, hidden: &str) {
    let all = r.all();
    assert_eq!(r.code, 1, "{all}");
    assert!(!all.contains(hidden), "{hidden:?} printed:\n{all}");
    assert!(!all.contains(name), "raw name printed:\n{all}");
    assert!(all.contains('…'), "nothing redacted:\n{all}");
}

#[test]
fn scan_redacts_non_ascii_names_on_character_boundaries() {
    for (i, (name, hidden)) in hostile_names().into_iter().enumerate() {
        let t = Tree::new();
        t.file(&name, content(i as u64));
        for format in ["text", "json", "sarif"] {
            let r = run(&mut t.cmd(&["scan", "--no-config", "--format", format, "."]));
            redacted(&r, &name, &hidden);
        }
        let r = run(&mut t.cmd(&["scan", "--no-config", "--format", "json", "."]));
        let path = r.json()["findings"][0]["path"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(path.contains('…'), "{path}");
    }
}

#[test]
fn scan_redacts_hostile_names_inside_archives() {
    use std::io::Write;
    let t = Tree::new();
    let names = hostile_names();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (i, (name, _)) in names.iter().enumerate() {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(content(100 + i as u64).as_bytes()).unwrap();
    }
    t.file("bundle.zip", w.finish().unwrap().into_inner());
    let r = run(&mut t.cmd(&["scan", "--no-config", "--format", "json", "."]));
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.json()["findings"].as_array().unwrap().len(), names.len());
    for (name, hidden) in &names {
        assert!(
            !r.all().contains(hidden.as_str()),
            "{hidden:?}:\n{}",
            r.all()
        );
        assert!(!r.all().contains(name.as_str()));
    }
}

#[test]
fn staged_redacts_non_ascii_names_on_character_boundaries() {
    for (i, (name, hidden)) in hostile_names().into_iter().enumerate() {
        let repo = Repo::new();
        repo.write("README.md", "hello\n");
        repo.commit_all("init");
        repo.write(&name, content(200 + i as u64));
        repo.git(&["add", "-A"]);
        for format in ["text", "json"] {
            let r = run(&mut repo.cmd(&["staged", "--no-config", "--format", format]));
            redacted(&r, &name, &hidden);
        }
    }
}

#[test]
fn history_range_redacts_non_ascii_names_on_character_boundaries() {
    let names = hostile_names();
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit_all("init");
    for (i, (name, _)) in names.iter().enumerate() {
        repo.write(name, content(300 + i as u64));
        repo.commit_all(&format!("add {i}"));
    }
    let range = format!("{base}..HEAD");
    for format in ["text", "json", "sarif"] {
        let r = run(&mut repo.cmd(&[
            "history",
            "--no-config",
            "--range",
            &range,
            "--format",
            format,
        ]));
        assert_eq!(r.code, 1, "{}", r.all());
        for (name, hidden) in &names {
            assert!(
                !r.all().contains(hidden.as_str()),
                "{hidden:?}:\n{}",
                r.all()
            );
            assert!(!r.all().contains(name.as_str()));
        }
    }
}

/// A repository under `root/repos/NAME` with one commit of `files`.
fn repo_at(root: &Path, name: &str, files: &[(&str, String)]) {
    let dir = root.join("repos").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(&dir, &["add", "-A"]);
    commit_in(&dir, "init", &[]);
}

/// The audit used to panic on the first hostile name, so that every later repository was
/// never audited and every re-run panicked again: now each repository is audited, twice.
#[test]
fn audit_goes_on_past_hostile_names_and_reruns() {
    let t = Tree::new();
    let names = hostile_names();
    let files: Vec<(&str, String)> = names
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), content(400 + i as u64)))
        .collect();
    repo_at(t.path(), "a-hostile", &files);
    repo_at(t.path(), "z-after", &[("app.py", content(499))]);
    let db = t.join("audit.db");
    let audit = || {
        let mut c = leakguard();
        c.current_dir(t.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("XDG_CACHE_HOME", t.join("cache"))
            .args([
                "audit",
                "--no-config",
                "--db",
                db.to_str().unwrap(),
                "repos",
            ]);
        run(&mut c)
    };
    for _ in 0..2 {
        let r = audit();
        assert_eq!(r.code, 1, "{}", r.all());
        for (name, hidden) in &names {
            assert!(
                !r.all().contains(hidden.as_str()),
                "{hidden:?}:\n{}",
                r.all()
            );
            assert!(!r.all().contains(name.as_str()));
        }
    }
    let mut c = leakguard();
    c.current_dir(t.path())
        .args(["report", "--db", db.to_str().unwrap(), "--format", "json"]);
    let r = run(&mut c);
    assert_eq!(r.code, 0, "{}", r.all());
    // Both repositories were audited: the one after the hostile names holds its incident.
    assert!(r.stdout.contains("z-after"), "{}", r.stdout);
    assert!(r.stdout.contains("app.py"), "{}", r.stdout);
    for (name, hidden) in &names {
        assert!(
            !r.stdout.contains(hidden.as_str()),
            "{hidden:?}:\n{}",
            r.stdout
        );
        assert!(!r.stdout.contains(name.as_str()));
    }
    // Nor does the datastore keep them in clear.
    let bytes = std::fs::read(&db).unwrap();
    for (_, hidden) in &names {
        assert!(
            memchr_find(&bytes, hidden.as_bytes()).is_none(),
            "{hidden:?} in the datastore"
        );
    }
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Nothing that silences a finding in content unredacts a name: a `leakguard:allow` written
/// in the name itself, or an allowlist entry that is the very token in the name.
#[test]
fn allow_markers_and_allowlists_never_unredact_a_name() {
    let marked = monime(41);
    let listed = monime(42);
    let t = Tree::new();
    t.file(&format!("leakguard:allow {marked}.txt"), content(43))
        .file(&format!("keys/{listed}.json"), content(44))
        .file(
            ".leakguard.yaml",
            format!("allow:\n  regexes: ['^{listed}$']\n"),
        );
    for args in [
        &["scan", "."][..],
        &["scan", "--format", "json", "."],
        &["scan", "--explain", "--format", "sarif", "."],
        &["scan", "--explain", "."],
    ] {
        let r = run(&mut t.cmd(args));
        assert_eq!(r.code, 1, "{args:?}: {}", r.all());
        for tok in [&marked, &listed] {
            assert!(
                !r.all().contains(&tok[12..]),
                "{args:?}: {tok} printed:\n{}",
                r.all()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// --explain names allowlist entries by place
// ---------------------------------------------------------------------------------------

/// A tree whose config allowlists three secrets: one by a global regex that is the exact
/// token, one by a global stopword, one by a rule's own stopword. Returns the tree and the
/// texts that must never be printed.
fn allowlisted_tree() -> (Tree, Vec<String>) {
    let exact = monime(31);
    let worded = monime(32);
    let word = worded[10..22].to_string();
    let own = format!("own_{}", crate::util::synthetic(33, 24, crate::util::ALNUM));
    let own_word = own[6..18].to_string();
    let config = format!(
        "allow:\n  regexes:\n    - '^{exact}$'\n  stopwords: ['{word}']\nrules:\n  - id: own-token\n    description: own token\n    severity: high\n    keywords: [own_]\n    regex: '\\b(own_[A-Za-z0-9]{{24}})\\b'\n    allow:\n      stopwords: ['{own_word}']\n"
    );
    let t = Tree::new();
    t.file(".leakguard.yaml", config)
        .file("a.py", format!("KEY = '{exact}'\n"))
        .file("b.py", format!("KEY = '{worded}'\n"))
        // Alone on its line: no assignment for a generic rule to report.
        .file("c.txt", format!("{own}\n"));
    (t, vec![exact, worded, word, own, own_word])
}

#[test]
fn explain_names_allowlist_entries_by_place_in_every_format() {
    let (t, never) = allowlisted_tree();
    let places = [
        "allow.regexes[0] in .leakguard.yaml:3",
        "allow.stopwords[0] in .leakguard.yaml:4",
        "rule `own-token` allow.stopwords[0] in .leakguard.yaml:12",
    ];
    for format in ["text", "json", "sarif"] {
        let r = run(&mut t.cmd(&["scan", "--explain", "--format", format, "."]));
        assert_eq!(r.code, 0, "{}", r.all());
        for s in &never {
            assert!(
                !r.all().contains(s.as_str()),
                "{format}: {s:?} printed:\n{}",
                r.all()
            );
        }
        for p in places {
            let (entry, file) = p.split_once(" in ").unwrap();
            assert!(
                r.stdout.contains(entry),
                "{format}: no {entry:?}:\n{}",
                r.stdout
            );
            assert!(
                r.stdout.contains(file),
                "{format}: no {file:?}:\n{}",
                r.stdout
            );
        }
    }
    let r = run(&mut t.cmd(&["scan", "--explain", "--format", "sarif", "."]));
    let sarif = r.json();
    let justifications: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|res| res["suppressions"].as_array().cloned().unwrap_or_default())
        .map(|s| s["justification"].as_str().unwrap().to_string())
        .collect();
    // Three files, and the config itself (it holds the exact token in its regex).
    assert!(justifications.len() >= 3, "{justifications:?}");
    for p in places {
        let (entry, file) = p.split_once(" in ").unwrap();
        assert!(
            justifications
                .iter()
                .any(|j| j.starts_with(&format!("allowlist {entry} in ")) && j.ends_with(file)),
            "{p}: {justifications:?}"
        );
    }
}

#[test]
fn staged_explain_names_allowlist_entries_by_place() {
    let (t, never) = allowlisted_tree();
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    let mut c = leakguard();
    c.current_dir(t.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["staged", "--explain"]);
    let r = run(&mut c);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("allow.regexes[0] in "), "{}", r.stdout);
    for s in &never {
        assert!(!r.all().contains(s.as_str()), "{s:?} printed:\n{}", r.all());
    }
}

// ---------------------------------------------------------------------------------------
// SARIF URIs are made of a name's real bytes
// ---------------------------------------------------------------------------------------

/// `(raw name bytes, what the text report shows, the SARIF URI)`.
#[cfg(unix)]
fn odd_names() -> Vec<(Vec<u8>, &'static str, &'static str)> {
    vec![
        (b"lat\xff1.txt".to_vec(), "lat\\xff1.txt", "lat%FF1.txt"),
        (b"nl\nname.txt".to_vec(), "nl\\nname.txt", "nl%0Aname.txt"),
        (
            b"esc\x1b[31m.txt".to_vec(),
            "esc\\u{1b}[31m.txt",
            "esc%1B%5B31m.txt",
        ),
        // A literal backslash that looks like an escape: shown doubled, encoded as itself.
        (b"lit\\xff.txt".to_vec(), "lit\\\\xff.txt", "lit%5Cxff.txt"),
        (b"half\xc3.txt".to_vec(), "half\\xc3.txt", "half%C3.txt"),
    ]
}

#[cfg(unix)]
fn sarif_uris(r: &Run) -> Vec<String> {
    let mut uris: Vec<String> = r.json()["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|res| {
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    uris.sort();
    uris
}

#[cfg(unix)]
#[test]
fn sarif_uris_percent_encode_the_real_bytes_of_a_name() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    for (i, (raw, _, _)) in odd_names().iter().enumerate() {
        let p = t.path().join(std::ffi::OsStr::from_bytes(raw));
        std::fs::write(p, content(500 + i as u64)).unwrap();
    }
    let mut want: Vec<String> = odd_names().iter().map(|n| n.2.to_string()).collect();
    want.sort();
    let r = run(&mut t.cmd(&["scan", "--no-config", "--format", "sarif", "."]));
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(sarif_uris(&r), want);
    // The text report shows the escaped names, each on its own line.
    let r = run(&mut t.cmd(&["scan", "--no-config", "."]));
    for (_, shown, _) in odd_names() {
        assert!(
            r.stdout.lines().any(|l| l == shown),
            "{shown:?}:\n{}",
            r.stdout
        );
    }

    // The same names committed: history reads them from git's trees.
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit_all("init");
    for (i, (raw, _, _)) in odd_names().iter().enumerate() {
        let p = repo.path().join(std::ffi::OsStr::from_bytes(raw));
        std::fs::write(p, content(600 + i as u64)).unwrap();
    }
    repo.commit_all("odd names");
    let range = format!("{base}..HEAD");
    let args = [
        "history",
        "--no-config",
        "--range",
        &range,
        "--format",
        "sarif",
    ];
    let r = run(&mut repo.cmd(&args));
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(sarif_uris(&r), want);
}
