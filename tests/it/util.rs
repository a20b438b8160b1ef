//! Test helpers: a temporary tree to scan, the binary, and synthetic secrets.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A temporary directory tree.
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Writes `rel` (creating parent directories).
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Tree {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `leakguard ARGS` run inside the tree, with colour and config env cleared.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = leakguard();
        c.current_dir(self.path()).args(args);
        c
    }

    /// Runs `leakguard scan --format json ARGS` and returns (exit code, parsed JSON).
    pub fn scan_json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        let out = self.cmd(&all).output().unwrap();
        let code = out.status.code().unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "exit {code}, not JSON ({e}):\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, json)
    }
}

/// The binary under test with a clean environment: this build's, or the one named by
/// `LEAKGUARD_TEST_BIN` (to hold another build, say the last release, to the same contract).
/// Fingerprints are keyed with [`FINGERPRINT_KEY`], so that snapshots do not depend on the
/// commit ids of the temporary repositories (`tests/it/fingerprints.rs` removes it).
pub fn leakguard() -> Command {
    Command::from_std(std_leakguard())
}

/// [`leakguard`] as a plain `std::process::Command`, for the tests that start it and signal it.
fn std_leakguard() -> std::process::Command {
    let mut c = std::process::Command::new(bin_under_test());
    c.env_remove("LEAKGUARD_CONFIG")
        .env_remove("LEAKGUARD_FORMAT")
        .env_remove("LEAKGUARD_BASELINE")
        .env_remove("LEAKGUARD_BASELINE_KEY")
        .env_remove("LEAKGUARD_FAIL_ON")
        .env_remove("LEAKGUARD_MIN_SEVERITY")
        .env_remove("LEAKGUARD_NO_INLINE_ALLOW")
        .env("LEAKGUARD_FINGERPRINT_KEY", FINGERPRINT_KEY)
        .env_remove("CI")
        .env("NO_COLOR", "1");
    c
}

/// `leakguard ARGS` started in `dir` and left running, with `envs` added: stdout discarded,
/// stderr piped, stdin piped when `stdin` (else empty).
#[cfg(unix)]
pub fn spawn(dir: &Path, args: &[&str], envs: &[(&str, &str)], stdin: bool) -> std::process::Child {
    use std::process::Stdio;
    std_leakguard()
        .current_dir(dir)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends `child` what Ctrl-C sends: SIGINT.
#[cfg(unix)]
pub fn ctrl_c(child: &std::process::Child) {
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
}

/// The fingerprint key every test run uses unless it removes it.
pub const FINGERPRINT_KEY: &str = "leakguard-tests";

/// A deterministic random-looking string over `alphabet` (synthetic, never a real key).
pub fn synthetic(seed: u64, len: usize, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `(path, rule_id, line, column)` of a finding.
pub type Hit = (String, String, u64, u64);

/// `(path, rule_id, line, column)` of every finding in a JSON report.
pub fn hits(json: &serde_json::Value) -> Vec<Hit> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A config with one token rule and one path rule, replacing the built-ins, so that
/// walker tests do not depend on the built-in rule pack.
pub const TOK_CONFIG: &str = r#"
extend_default: false
rules:
  - id: tok
    description: test token
    severity: high
    keywords: [tok_]
    regex: '\b(tok_[A-Za-z0-9]{16})\b'
    min_entropy: 3.0
    examples: {match: ['tok_{{alnum:16}}'], no_match: ['tok_short']}
  - id: env-file
    description: env file
    severity: medium
    paths: ['**/.env', '**/.env.*']
    allow: {paths: ['**/.env.example']}
    examples: {match: ['.env'], no_match: ['.env.example']}
"#;

/// A synthetic token for `TOK_CONFIG`'s rule.
pub fn tok(seed: u64) -> String {
    format!("tok_{}", synthetic(seed, 16, ALNUM))
}

/// A git repository in a temp dir, driven with the `git` CLI.
pub struct Repo {
    pub tree: Tree,
}

impl Repo {
    /// `git init` with a local identity and no global hooks or config surprises.
    pub fn new() -> Repo {
        let r = Repo { tree: Tree::new() };
        r.git(&["init", "-q", "-b", "main"]);
        r.git(&["config", "user.name", "Test Author"]);
        r.git(&["config", "user.email", "author@example.test"]);
        r.git(&["config", "commit.gpgsign", "false"]);
        r
    }

    pub fn path(&self) -> &Path {
        self.tree.path()
    }

    /// Runs git in the repository and returns its stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Repo {
        self.tree.file(rel, contents);
        self
    }

    /// Stages everything and commits; returns the new commit id.
    pub fn commit_all(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// `leakguard ARGS` inside the repository.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = leakguard();
        c.current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args);
        c
    }

    /// Runs `leakguard SUBCOMMAND --format json ARGS`: (exit code, JSON, stderr).
    pub fn json(&self, sub: &str, args: &[&str]) -> (i32, serde_json::Value, String) {
        let mut all = vec![sub, "--format", "json"];
        all.extend_from_slice(args);
        let out = self.cmd(&all).output().unwrap();
        let code = out.status.code().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "exit {code}, not JSON ({e}):\n{}\nstderr:\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (code, json, stderr)
    }
}

/// Runs git in `dir` (which need not be a repository yet), with no global or system
/// config, and returns its stdout; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Commits what is staged in the repository at `dir` (empty commits too), as
/// `Test Author <author@example.test>` unless `envs` says otherwise (`GIT_AUTHOR_NAME`,
/// `GIT_AUTHOR_DATE`, …), with no global or system config; panics on failure.
pub fn commit_in(dir: &Path, msg: &str, envs: &[(&str, &str)]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test Author",
            "-c",
            "user.email=author@example.test",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            msg,
        ])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(envs.iter().copied())
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git commit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A synthetic Monime live token (the seed family every test can rely on).
pub fn monime(seed: u64) -> String {
    format!("mon_{}", synthetic(seed, 31, ALNUM))
}

/// A synthetic Monime test-mode token (medium severity).
pub fn monime_test(seed: u64) -> String {
    format!("mon_test_{}", synthetic(seed, 31, ALNUM))
}

/// Standard base64 with padding (tests build encoded secrets with it).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The binary under test: this build's, or the one named by `LEAKGUARD_TEST_BIN`.
fn bin_under_test() -> std::path::PathBuf {
    std::env::var_os("LEAKGUARD_TEST_BIN")
        .map_or_else(|| assert_cmd::cargo::cargo_bin("leakguard"), Into::into)
}

/// Peak RSS in kB of `leakguard ARGS` run in `dir` with `envs`, when `/usr/bin/time` is there.
pub fn peak_rss_kb(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Option<u64> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin_under_test())
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("Maximum resident set size"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

/// A zip of `files` (name, contents), written by the `zip` crate with `method`.
pub fn zip_of(files: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// An Electron asar (as `@electron/asar` lays one out) whose header is `header`
/// (`{"files": ...}`), followed by `data`: the size pickle, the header pickle (its payload's
/// length, the JSON's length, the JSON padded to 4 bytes), the files' bytes.
pub fn asar_with(header: &serde_json::Value, data: &[u8]) -> Vec<u8> {
    let json = header.to_string();
    let padded = json.len().div_ceil(4) * 4;
    let mut out = Vec::new();
    for n in [4, padded + 8, padded + 4, json.len()] {
        out.extend((n as u32).to_le_bytes());
    }
    out.extend(json.as_bytes());
    out.resize(16 + padded, 0);
    out.extend(data);
    out
}

/// An asar holding `files` (paths with `/`), stored one after the other.
pub fn asar_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut root = serde_json::json!({"files": {}});
    let mut data = Vec::new();
    for (path, bytes) in files {
        let mut dir = &mut root;
        let mut parts: Vec<&str> = path.split('/').collect();
        let file = parts.pop().unwrap();
        for p in parts {
            dir = dir["files"]
                .as_object_mut()
                .unwrap()
                .entry(p)
                .or_insert_with(|| serde_json::json!({"files": {}}));
        }
        dir["files"][file] =
            serde_json::json!({"size": bytes.len(), "offset": data.len().to_string()});
        data.extend(bytes);
    }
    asar_with(&root, &data)
}

/// A Chrome extension package of `version` 3 (a header of `header` bytes) or 2 (a public
/// key and a signature of `header` bytes each) around `zip`. The header is filler: the
/// scanner does not check signatures.
pub fn crx_of(version: u32, header: usize, zip: &[u8]) -> Vec<u8> {
    let mut out = b"Cr24".to_vec();
    out.extend(version.to_le_bytes());
    let filler = match version {
        3 => header,
        _ => {
            out.extend((header as u32).to_le_bytes());
            2 * header
        }
    };
    out.extend((header as u32).to_le_bytes());
    out.extend(std::iter::repeat_n(0xA5, filler));
    out.extend(zip);
    out
}
