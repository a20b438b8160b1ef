//! The audit datastore under hostile or careless use: two audits at once on one file, a
//! held lock, read-only and future-schema files, empty and non-SQLite files, a refused
//! `merge` input, names SQLite would read as URIs, re-revoking an incident found again,
//! and a corrupt file. Real binary, real SQLite files; every error is one line naming the
//! file, and a file that is refused is left byte for byte as it was.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::{commit_in, git, leakguard, monime, Tree};

/// Long enough for a debug build on a loaded machine; a hang fails instead of blocking.
const TIMEOUT: Duration = Duration::from_secs(120);

/// A directory of repositories and datastores; commands run in it.
struct Site {
    root: Tree,
}

/// What a run produced.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Site {
    fn new() -> Site {
        Site { root: Tree::new() }
    }

    /// Repository `repos/NAME` with one commit assigning each secret in its own file.
    fn repo(&self, name: &str, secrets: &[String]) -> PathBuf {
        let dir = self.root.join(&format!("repos/{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        for (i, s) in secrets.iter().enumerate() {
            std::fs::write(dir.join(format!("s{i}.py")), format!("TOKEN = \"{s}\"\n")).unwrap();
        }
        git(&dir, &["add", "-A"]);
        commit_in(&dir, "one", &[]);
        dir
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `leakguard ARGS` in the site, with `envs` (a `None` value removes the variable).
    fn run(&self, args: &[&str], envs: &[(&str, Option<&str>)]) -> Run {
        let mut c = leakguard();
        c.current_dir(self.root.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .timeout(TIMEOUT)
            .args(args);
        for (k, v) in envs {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let out = c.output().unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(!run.stderr.contains("panicked"), "panic: {run:?}");
        assert_ne!(run.code, -1, "killed (hang?): {run:?}");
        run
    }

    /// The incident ids of datastore `db` (every status), sorted.
    fn incidents(&self, db: &str) -> Vec<String> {
        let r = self.run(
            &["report", "--db", db, "--format", "json", "--all-statuses"],
            &[],
        );
        assert_eq!(r.code, 0, "{r:?}");
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let mut ids: Vec<String> = json["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// Every name in the site's root, sorted.
    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The binary, as `util::leakguard` finds it, for runs started side by side.
fn bin() -> PathBuf {
    match std::env::var_os("LEAKGUARD_TEST_BIN") {
        Some(b) => PathBuf::from(b),
        None => assert_cmd::cargo::cargo_bin("leakguard"),
    }
}

/// The bytes of `path` if it is a regular file (reading a FIFO would block the test).
fn contents(path: &Path) -> Option<Vec<u8>> {
    std::fs::metadata(path)
        .is_ok_and(|m| m.is_file())
        .then(|| std::fs::read(path).unwrap())
}

/// A one-line error that names `culprit`, with exit code 2.
fn refused(r: &Run, culprit: &str) {
    assert_eq!(r.code, 2, "{r:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{r:?}");
    assert!(lines[0].starts_with("leakguard: error: "), "{r:?}");
    assert!(lines[0].contains(culprit), "{culprit} not named: {r:?}");
}

/// Sets a datastore's schema version, as a newer leakguard would (in rollback mode).
fn set_user_version(db: &Path, v: i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    c.pragma_update(None, "user_version", v).unwrap();
}

/// Two audits started at once on one datastore (new, or an empty file; with and without
/// LEAKGUARD_FINGERPRINT_KEY, several rounds): each either completes or is refused with a
/// clear error (never "not the key it was created with" nor "table meta already exists"),
/// and a third audit then succeeds with every incident.
#[test]
fn two_audits_at_once_then_a_third_succeeds() {
    let site = Site::new();
    for i in 0..6 {
        site.repo(&format!("r{i}"), &[monime(2100 + i)]);
    }
    let repos = site.path("repos");
    let mut completed = 0;
    for round in 0..3 {
        for empty in [false, true] {
            for env_key in [false, true] {
                let db = format!("race-{round}-{empty}-{env_key}.db");
                if empty {
                    std::fs::write(site.path(&db), b"").unwrap();
                }
                let start = || {
                    let mut c = std::process::Command::new(bin());
                    c.current_dir(site.root.path())
                        .env("GIT_CONFIG_GLOBAL", "/dev/null")
                        .env("GIT_CONFIG_NOSYSTEM", "1")
                        .env("NO_COLOR", "1")
                        .args(["audit", "-q", "--db", &db])
                        .arg(&repos)
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::piped());
                    if env_key {
                        c.env("LEAKGUARD_FINGERPRINT_KEY", "race-key");
                    } else {
                        c.env_remove("LEAKGUARD_FINGERPRINT_KEY");
                    }
                    c.spawn().unwrap()
                };
                let (a, b) = (start(), start());
                for child in [a, b] {
                    let out = child.wait_with_output().unwrap();
                    let err = String::from_utf8_lossy(&out.stderr);
                    match out.status.code() {
                        Some(1) => completed += 1,
                        Some(2) => assert!(
                            err.contains("in use by another leakguard audit"),
                            "{db}: {err}"
                        ),
                        other => panic!("{db}: exit {other:?}: {err}"),
                    }
                }
                let key = env_key.then_some("race-key");
                let third = site.run(
                    &["audit", "--db", &db, repos.to_str().unwrap()],
                    &[("LEAKGUARD_FINGERPRINT_KEY", key)],
                );
                assert_eq!(third.code, 1, "{db}: {third:?}");
                assert!(third.stdout.contains("6 unchanged"), "{db}: {third:?}");
                assert_eq!(site.incidents(&db).len(), 6, "{db}");
            }
        }
    }
    assert!(completed >= 12, "at least one audit of each pair completes");
}

/// While another audit or merge holds the datastore's lock, `audit` and `merge -o` refuse
/// at once and write nothing; `report` and `triage` still work; once it is released, the
/// audit goes ahead.
#[cfg(unix)]
#[test]
fn a_held_lock_refuses_a_second_writer_but_not_readers() {
    let site = Site::new();
    site.repo("a", &[monime(2201)]);
    site.repo("b", &[monime(2202)]);
    assert_eq!(site.run(&["audit", "--db", "a.db", "repos/a"], &[]).code, 1);
    assert_eq!(site.run(&["audit", "--db", "b.db", "repos/b"], &[]).code, 1);
    let before = std::fs::read(site.path("a.db")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(site.path("a.db.lock"))
        .unwrap();
    lock.lock().unwrap();
    let r = site.run(&["audit", "--db", "a.db", "repos"], &[]);
    refused(&r, "a.db is in use by another leakguard audit or merge");
    let r = site.run(&["merge", "b.db", "-o", "a.db"], &[]);
    refused(&r, "a.db is in use");
    assert_eq!(std::fs::read(site.path("a.db")).unwrap(), before);
    let id = site.incidents("a.db")[0].clone();
    let r = site.run(&["triage", &id, "--status", "revoked", "--db", "a.db"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    drop(lock);
    let r = site.run(&["audit", "--db", "a.db", "repos"], &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(site.incidents("a.db").len(), 2);
}

/// `report`, and `merge` reading an input, open the datastore read-only: its bytes do not
/// change, nothing is created beside it (as left by an audit), a datastore left in WAL mode
/// by another client stays in WAL mode, and (when not root) a read-only file in a read-only
/// directory is reported and merged.
#[test]
fn report_and_merge_inputs_open_read_only() {
    let site = Site::new();
    site.repo("a", &[monime(2301), monime(2302)]);
    assert_eq!(site.run(&["audit", "--db", "a.db", "repos"], &[]).code, 1);
    let ids = site.incidents("a.db");
    assert_eq!(ids.len(), 2);
    let bytes = std::fs::read(site.path("a.db")).unwrap();
    // As an audit leaves it: rollback mode (header bytes 18-19 are 1), nothing beside it.
    assert_eq!(&bytes[18..20], &[1, 1]);
    let listing = site.listing();
    for args in [
        &["report", "--db", "a.db"][..],
        &["report", "--db", "a.db", "--format", "sarif"],
        &["report", "--db", "a.db", "--format", "html", "-o", "r.html"],
    ] {
        let r = site.run(args, &[]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    let r = site.run(&["merge", "a.db", "-o", "m.db"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(std::fs::read(site.path("a.db")).unwrap(), bytes);
    let mut expected = listing.clone();
    expected.extend(["m.db".to_string(), "m.db.lock".into(), "r.html".into()]);
    expected.sort();
    assert_eq!(site.listing(), expected);
    assert_eq!(site.incidents("m.db"), ids);

    // In WAL mode, as another SQLite client may leave it: not switched back by a reader.
    let wal = site.path("wal.db");
    std::fs::copy(site.path("a.db"), &wal).unwrap();
    {
        let c = rusqlite::Connection::open(&wal).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
    }
    let wal_bytes = std::fs::read(&wal).unwrap();
    assert_eq!(&wal_bytes[18..20], &[2, 2]);
    assert_eq!(site.incidents("wal.db"), ids);
    let r = site.run(&["merge", "wal.db", "-o", "m2.db"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(std::fs::read(&wal).unwrap(), wal_bytes);

    #[cfg(unix)]
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        let dir = site.path("ro");
        std::fs::create_dir(&dir).unwrap();
        std::fs::copy(site.path("a.db"), dir.join("a.db")).unwrap();
        std::fs::set_permissions(dir.join("a.db"), std::fs::Permissions::from_mode(0o444)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        assert_eq!(site.incidents("ro/a.db"), ids);
        let r = site.run(&["merge", "ro/a.db", "-o", "m3.db"], &[]);
        assert_eq!(r.code, 0, "{r:?}");
        let r = site.run(
            &["triage", &ids[0], "--status", "revoked", "--db", "ro/a.db"],
            &[],
        );
        refused(&r, "ro/a.db");
        assert!(r.stderr.contains("read-only"), "{r:?}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(std::fs::read(dir.join("a.db")).unwrap(), bytes);
    }
}

/// A datastore from a newer leakguard is refused by every command before anything is
/// written: same bytes, still in rollback mode, no WAL beside it.
#[test]
fn a_future_schema_is_refused_before_anything_is_written() {
    let site = Site::new();
    site.repo("a", &[monime(2401)]);
    assert_eq!(site.run(&["audit", "--db", "a.db", "repos"], &[]).code, 1);
    assert_eq!(site.run(&["audit", "--db", "ok.db", "repos"], &[]).code, 1);
    let id = site.incidents("a.db")[0].clone();
    set_user_version(&site.path("a.db"), 99);
    let bytes = std::fs::read(site.path("a.db")).unwrap();
    for args in [
        &["audit", "--db", "a.db", "repos"][..],
        &["report", "--db", "a.db"],
        &["triage", &id, "--status", "revoked", "--db", "a.db"],
        &["merge", "a.db", "-o", "out.db"],
        &["merge", "ok.db", "-o", "a.db"],
    ] {
        let r = site.run(args, &[]);
        refused(&r, "a.db");
        assert!(r.stderr.contains("newer than this leakguard"), "{r:?}");
        assert_eq!(std::fs::read(site.path("a.db")).unwrap(), bytes, "{args:?}");
        assert!(!site.path("a.db-wal").exists(), "{args:?}");
        assert!(!site.path("out.db").exists(), "{args:?}");
    }
}

/// Files that are not datastores: one line naming the file, exit 2, and the file as it
/// was. `report`, `triage` and `merge`'s inputs never create or initialise one (an empty
/// file stays empty); `audit` refuses everything but a datastore, a new file or an empty one.
#[test]
fn files_that_are_not_datastores_are_clear_errors_and_stay_as_they_were() {
    let site = Site::new();
    site.repo("a", &[monime(2501)]);
    assert_eq!(site.run(&["audit", "--db", "ok.db", "repos"], &[]).code, 1);
    site.root.file("empty.db", b"");
    site.root.file("text.db", "not a database\n");
    site.root.file("short.db", "SQLite");
    std::fs::create_dir(site.path("dir.db")).unwrap();
    {
        let c = rusqlite::Connection::open(site.path("other.db")).unwrap();
        c.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');")
            .unwrap();
    }
    let mut cases = vec![
        ("empty.db", "empty file"),
        ("text.db", "not an SQLite database"),
        ("short.db", "not an SQLite database"),
        ("dir.db", "is a directory"),
        ("other.db", "without leakguard's schema"),
        ("missing.db", "no audit datastore at missing.db"),
    ];
    #[cfg(unix)]
    {
        let fifo = site.path("fifo.db");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        cases.push(("fifo.db", "is a FIFO"));
    }
    for (name, why) in cases {
        let before = contents(&site.path(name));
        for args in [
            &["report", "--db", name][..],
            &["triage", "abcdef12", "--status", "revoked", "--db", name],
            &["merge", "ok.db", name, "-o", "out.db"],
        ] {
            let r = site.run(args, &[]);
            refused(&r, name);
            assert!(r.stderr.contains(why), "{args:?}: {r:?}");
            assert_eq!(contents(&site.path(name)), before, "{args:?}");
            assert!(!site.path("out.db").exists(), "{args:?}");
        }
        if name != "empty.db" && name != "missing.db" {
            let r = site.run(&["audit", "--db", name, "repos"], &[]);
            refused(&r, name);
            assert_eq!(contents(&site.path(name)), before);
        }
    }
    // An empty file is a new datastore to `audit`.
    let r = site.run(&["audit", "--db", "empty.db", "repos"], &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(site.incidents("empty.db").len(), 1);
}

/// A refused input leaves `merge -o` as it was: an existing output keeps its bytes, a new
/// one is not created, and no temporary file is left beside it. A later good merge works.
#[test]
fn a_refused_merge_input_leaves_the_output_as_it_was() {
    let site = Site::new();
    site.repo("a", &[monime(2601)]);
    site.repo("b", &[monime(2602)]);
    site.repo("c", &[monime(2603)]);
    for (db, repo) in [
        ("a.db", "repos/a"),
        ("b.db", "repos/b"),
        ("out.db", "repos/c"),
    ] {
        assert_eq!(site.run(&["audit", "--db", db, repo], &[]).code, 1);
    }
    let r = site.run(
        &["audit", "--db", "otherkey.db", "repos/a"],
        &[("LEAKGUARD_FINGERPRINT_KEY", Some("another key"))],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        site.run(&["audit", "--db", "future.db", "repos/a"], &[])
            .code,
        1
    );
    set_user_version(&site.path("future.db"), 7);
    site.root.file("empty.db", b"");
    site.root.file("text.db", "text\n");
    let out_bytes = std::fs::read(site.path("out.db")).unwrap();
    let listing = site.listing();
    for (bad, why) in [
        ("otherkey.db", "another key"),
        ("future.db", "newer than this leakguard"),
        ("empty.db", "empty file"),
        ("text.db", "not an SQLite database"),
        ("missing.db", "no audit datastore"),
    ] {
        // The bad input last: the good ones before it were merged into the scratch file.
        let r = site.run(&["merge", "a.db", "b.db", bad, "-o", "out.db"], &[]);
        refused(&r, bad);
        assert!(r.stderr.contains(why), "{r:?}");
        assert_eq!(
            std::fs::read(site.path("out.db")).unwrap(),
            out_bytes,
            "{bad}"
        );
        let r = site.run(&["merge", "a.db", bad, "-o", "new.db"], &[]);
        refused(&r, bad);
        assert!(!site.path("new.db").exists(), "{bad}");
        let mut expected = listing.clone();
        expected.push("new.db.lock".into());
        expected.sort();
        expected.dedup();
        assert_eq!(site.listing(), expected, "{bad}: nothing left behind");
    }
    let r = site.run(&["merge", "a.db", "b.db", "-o", "out.db"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(site.incidents("out.db").len(), 3);
}

/// `--db` and `merge` names are file names, never SQLite URIs or special names: each
/// becomes a file of exactly that name, holding the audit.
#[cfg(unix)]
#[test]
fn datastore_names_are_paths_not_uris() {
    let site = Site::new();
    site.repo("a", &[monime(2701)]);
    let names = [
        "file:x?mode=memory",
        ":memory:",
        "file:plain.db",
        "file:ro.db?mode=ro",
        "odd?name#frag%41.db",
    ];
    for name in names {
        let r = site.run(&["audit", "--db", name, "repos"], &[]);
        assert_eq!(r.code, 1, "{name}: {r:?}");
        let bytes = std::fs::read(site.path(name)).unwrap_or_default();
        assert!(
            bytes.starts_with(b"SQLite format 3\0"),
            "{name} not written"
        );
        assert_eq!(site.incidents(name).len(), 1, "{name}");
    }
    assert!(!site.path("x").exists() && !site.path("plain.db").exists());
    let mut args = vec!["merge"];
    args.extend(names);
    args.extend(["-o", "file:merged?mode=memory"]);
    let r = site.run(&args, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(site.incidents("file:merged?mode=memory").len(), 1);
}

/// Revoking an incident found again clears the flag: the places found so far were rotated
/// too. A place found after that is flagged again.
#[test]
fn revoking_again_clears_found_again() {
    let site = Site::new();
    let leaked = monime(2801);
    site.repo("a", std::slice::from_ref(&leaked));
    let audit = || site.run(&["audit", "--db", "a.db", "repos"], &[]);
    assert_eq!(audit().code, 1);
    let id = site.incidents("a.db")[0].clone();
    let triage = || {
        let r = site.run(&["triage", &id, "--status", "revoked", "--db", "a.db"], &[]);
        assert_eq!(r.code, 0, "{r:?}");
    };
    let reappeared = || {
        let r = site.run(
            &[
                "report",
                "--db",
                "a.db",
                "--format",
                "json",
                "--all-statuses",
            ],
            &[],
        );
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let i = &json["incidents"][0];
        assert_eq!(i["triage"]["status"], "revoked");
        i["reappeared"].as_bool().unwrap()
    };
    triage();
    assert_eq!(audit().code, 0);
    site.repo("b", std::slice::from_ref(&leaked));
    assert_eq!(audit().code, 1);
    assert!(reappeared());
    triage();
    assert!(!reappeared());
    let r = audit();
    assert_eq!(r.code, 0, "{r:?}");
    let r = site.run(&["report", "--db", "a.db", "--format", "json"], &[]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(json["incidents"].as_array().unwrap().is_empty(), "{json:#}");
    // Found in a third place after the second revocation: flagged again.
    std::thread::sleep(Duration::from_millis(5));
    site.repo("c", &[leaked]);
    assert_eq!(audit().code, 1);
    assert!(reappeared());
}

/// A corrupt datastore (a valid header, garbage pages): one line naming the file, exit 2,
/// for every command, and no content of the file in the message.
#[test]
fn a_corrupt_datastore_is_one_line_naming_it() {
    let site = Site::new();
    let secret = monime(2901);
    site.repo("a", std::slice::from_ref(&secret));
    let r = site.run(&["audit", "--db", "a.db", "--show-secrets", "repos"], &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let id = site.incidents("a.db")[0].clone();
    let mut bytes = std::fs::read(site.path("a.db")).unwrap();
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    for b in &mut bytes[page..] {
        *b = 0xA5;
    }
    std::fs::write(site.path("a.db"), &bytes).unwrap();
    for args in [
        &["report", "--db", "a.db"][..],
        &["report", "--db", "a.db", "--format", "json"],
        &["triage", &id, "--status", "revoked", "--db", "a.db"],
        &["audit", "--db", "a.db", "repos"],
        &["merge", "a.db", "-o", "out.db"],
    ] {
        let r = site.run(args, &[]);
        refused(&r, "a.db");
        assert!(!r.stderr.contains(&secret), "{r:?}");
        assert!(!site.path("out.db").exists(), "{args:?}");
    }
}

/// The schema of the first released datastores (version 1), as the source keeps it.
const VERSION_1: &str = include_str!("../../src/audit/migrations/1.sql");

/// A datastore as a leakguard of schema version 1 left it: one incident in one repository,
/// triaged `revoked`; `extra` is run on it before it is closed.
fn version_1(db: &Path, extra: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(VERSION_1).unwrap();
    c.execute_batch(
        "INSERT INTO meta VALUES ('key', 'kept'), ('key_check', 'check');
         INSERT INTO repositories VALUES ('acme/api', '/src/api', 1700000000000, NULL);
         INSERT INTO rules VALUES ('monime-access-token', 'Monime token', 'Revoke it.');
         INSERT INTO incidents VALUES ('5a5a11bb22cc33dd', 'content', NULL);
         INSERT INTO locations VALUES ('5a5a11bb22cc33dd', 'acme/api',
             '0123456789abcdef0123456789abcdef01234567', 'deploy/app.env', 3, 7,
             'monime-access-token', 3, 'mon_…', 'A. Author', 'a@example.com',
             '2024-01-01T00:00:00Z', 1704067200, 1700000000001);
         INSERT INTO triage VALUES ('5a5a11bb22cc33dd', 1700000000002, 'sam', 'revoked', 'rotated');",
    )
    .unwrap();
    c.execute_batch(extra).unwrap();
    c.pragma_update(None, "user_version", 1).unwrap();
}

/// A datastore of an older schema: `report` and `merge` only read, so they refuse it and
/// say how to upgrade it; `triage` upgrades it in place, keeping every row, and then the
/// report shows them. One with rows the new constraints refuse is not upgraded: one line
/// naming the file and the table, and the file stays byte for byte as it was.
#[test]
fn an_older_datastore_is_upgraded_in_place_or_left_as_it_was() {
    let site = Site::new();
    version_1(&site.path("old.db"), "");
    let bytes = std::fs::read(site.path("old.db")).unwrap();
    for args in [
        &["report", "--db", "old.db"][..],
        &["merge", "old.db", "-o", "out.db"],
    ] {
        let r = site.run(args, &[]);
        refused(&r, "old.db");
        assert!(r.stderr.contains("older than this leakguard's"), "{r:?}");
        assert!(r.stderr.contains("to upgrade it"), "{r:?}");
        assert_eq!(
            std::fs::read(site.path("old.db")).unwrap(),
            bytes,
            "{args:?}"
        );
        assert!(!site.path("out.db").exists(), "{args:?}");
    }

    let r = site.run(
        &[
            "triage", "5a5a11", "--status", "accepted", "--db", "old.db", "--note", "test key",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = site.run(
        &[
            "report",
            "--db",
            "old.db",
            "--format",
            "json",
            "--all-statuses",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let incidents = report["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{report}");
    let i = &incidents[0];
    assert_eq!(i["id"], "5a5a11bb22cc33dd");
    assert_eq!(i["triage"]["status"], "accepted", "{i}");
    assert_eq!(i["severity"], "critical", "{i}");
    assert!(r.stdout.contains("deploy/app.env"), "{i}");
    let c = rusqlite::Connection::open(site.path("old.db")).unwrap();
    let (version, decisions): (i64, i64) = c
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), count(*) FROM triage",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (version, decisions),
        (5, 2),
        "upgraded, the older decision kept"
    );
    drop(c);
    // It is a current datastore now: `merge` reads it.
    let r = site.run(&["merge", "old.db", "-o", "merged.db"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(site.incidents("merged.db"), ["5a5a11bb22cc33dd"]);

    // A place in a repository that was never recorded, and a severity out of range.
    for (extra, says) in [
        (
            "DELETE FROM repositories",
            "of its table locations name a row of repositories that is not there",
        ),
        (
            "UPDATE locations SET severity = 9",
            "CHECK constraint failed",
        ),
    ] {
        let _ = std::fs::remove_file(site.path("bad.db"));
        version_1(&site.path("bad.db"), extra);
        let bytes = std::fs::read(site.path("bad.db")).unwrap();
        let r = site.run(
            &["triage", "5a5a11", "--status", "accepted", "--db", "bad.db"],
            &[],
        );
        refused(&r, "bad.db");
        assert!(r.stderr.contains(says), "{extra}: {r:?}");
        assert!(r.stderr.contains("it stays as it was"), "{r:?}");
        assert_eq!(
            std::fs::read(site.path("bad.db")).unwrap(),
            bytes,
            "{extra}"
        );
    }
}
