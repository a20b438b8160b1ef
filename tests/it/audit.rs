//! `leakguard audit`, `triage`, `merge` and `report` on real repositories made with git:
//! incidents across repositories, re-runs that scan only what is new, triage that survives
//! re-audits and merges, shards that add up to the unsharded audit, a kill -9 mid-audit,
//! broken repositories, clones of URLs, and no clear secret in the datastore.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::util::{commit_in, git, leakguard, monime, monime_test, Repo, Tree};

/// A directory of repositories and the datastores of the audits run on it.
struct Fleet {
    root: Tree,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet { root: Tree::new() }
    }

    /// A repository `name` under `repos/` with one commit per `(path, contents)` step.
    fn repo(&self, name: &str, steps: &[(&str, &str)]) -> PathBuf {
        let dir = self.root.join(&format!("repos/{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        for (i, (path, contents)) in steps.iter().enumerate() {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, contents).unwrap();
            git(&dir, &["add", "-A"]);
            let date = format!("2024-0{}-0{}T12:00:00Z", 1 + i % 9, 1 + i % 9);
            commit(&dir, &format!("step {i}"), &date);
        }
        dir
    }

    fn repos(&self) -> PathBuf {
        self.root.join("repos")
    }

    fn db(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `leakguard ARGS` in the fleet's root.
    fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut c = leakguard();
        c.current_dir(self.root.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            .args(args)
            .envs(envs.iter().copied());
        c.output().unwrap()
    }

    /// `audit REPOS… --db DB`: (exit code, stdout, stderr).
    fn audit(&self, db: &str, extra: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
        let db = self.db(db);
        let mut args = vec!["audit", "--db", db.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = self.run(&args, envs);
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The JSON report of datastore `db`.
    fn report(&self, db: &str, all: bool) -> Value {
        let db = self.db(db);
        let mut args = vec!["report", "--db", db.to_str().unwrap(), "--format", "json"];
        if all {
            args.push("--all-statuses");
        }
        let out = self.run(&args, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn commit(dir: &Path, msg: &str, date: &str) {
    commit_in(
        dir,
        msg,
        &[("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)],
    );
}

/// A Python file assigning `secret`.
fn py(secret: &str) -> String {
    format!("import os\nMONIME_TOKEN = \"{secret}\"\n")
}

/// Incidents as comparable text: id, rule, status, and every (repository, commit, path,
/// line), sorted.
fn incidents(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut places: Vec<String> = i["locations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    format!(
                        "{}@{}:{}:{}",
                        l["repository"], l["commit"], l["path"], l["line"]
                    )
                })
                .collect();
            places.sort();
            format!(
                "{} {} {} {}",
                i["id"],
                i["rule_id"],
                i["triage"]["status"],
                places.join(" ")
            )
        })
        .collect();
    out.sort();
    out
}

fn find<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["rule_id"] == rule)
        .collect()
}

#[test]
fn one_secret_in_many_repositories_is_one_incident() {
    let f = Fleet::new();
    let shared = monime(1301);
    f.repo(
        "alpha",
        &[("README.md", "alpha\n"), ("app/settings.py", &py(&shared))],
    );
    f.repo("beta", &[("svc/config.py", &py(&shared))]);
    f.repo("gamma", &[("main.py", &py(&monime_test(1302)))]);
    f.repo("clean", &[("README.md", "nothing here\n")]);
    let repos = f.repos();
    let (code, out, err) = f.audit("a.db", &[repos.to_str().unwrap()], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("4 repositories audited"), "{out}");
    let report = f.report("a.db", false);
    let live = find(&report, "monime-live-token");
    assert_eq!(live.len(), 1, "{report:#}");
    let live = live[0];
    assert_eq!(live["spread"], 2);
    assert_eq!(live["severity"], "critical");
    assert_eq!(live["locations"].as_array().unwrap().len(), 2);
    assert_eq!(live["first_seen"], "2024-01-01T12:00:00Z", "{live:#}");
    assert_eq!(live["triage"]["status"], "open");
    // Most severe first: the live token before the test one.
    let ids: Vec<&str> = report["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["monime-live-token", "monime-test-token"],
        "{report:#}"
    );
    assert_eq!(report["summary"]["repositories"], 4);
}

#[test]
fn a_re_run_scans_only_what_changed_and_keeps_places() {
    let f = Fleet::new();
    let first = monime(1311);
    let alpha = f.repo("alpha", &[("a.py", &py(&first))]);
    f.repo("beta", &[("b.py", "print('hello')\n")]);
    let repos = f.repos();
    let repos = repos.to_str().unwrap();
    let (code, out, _) = f.audit("a.db", &[repos], &[]);
    assert_eq!(code, 1);
    assert!(out.contains("2 scanned, 0 unchanged"), "{out}");
    let (_, out, _) = f.audit("a.db", &[repos], &[]);
    assert!(out.contains("0 scanned, 2 unchanged"), "{out}");
    // A new commit that edits around the old secret and adds a new one.
    let second = monime(1312);
    std::fs::write(alpha.join("a.py"), format!("# edited\n{}", py(&first))).unwrap();
    std::fs::write(alpha.join("new.py"), py(&second)).unwrap();
    git(&alpha, &["add", "-A"]);
    commit(&alpha, "more", "2024-05-05T12:00:00Z");
    let (_, out, _) = f.audit("a.db", &[repos], &[]);
    assert!(out.contains("1 scanned, 1 unchanged"), "{out}");
    let report = f.report("a.db", false);
    let live = find(&report, "monime-live-token");
    assert_eq!(live.len(), 2, "{report:#}");
    for i in live {
        // The first secret is still one place (its first commit), not one per commit.
        assert_eq!(i["locations"].as_array().unwrap().len(), 1, "{i:#}");
    }
}

#[test]
fn triage_survives_re_audits_and_a_revoked_secret_found_again_is_flagged() {
    let f = Fleet::new();
    let leaked = monime(1321);
    let noise = monime_test(1322);
    f.repo("alpha", &[("a.py", &py(&leaked)), ("t.py", &py(&noise))]);
    let repos = f.repos();
    let repos = repos.to_str().unwrap();
    assert_eq!(f.audit("a.db", &[repos], &[]).0, 1);
    let report = f.report("a.db", false);
    let live = find(&report, "monime-live-token")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let test = find(&report, "monime-test-token")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let db = f.db("a.db");
    let db = db.to_str().unwrap();
    let triage = |id: &str, status: &str, note: &str| {
        let out = f.run(
            &[
                "triage",
                &id[..8],
                "--status",
                status,
                "--note",
                note,
                "--by",
                "sec-team",
                "--db",
                db,
            ],
            &[],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    triage(&live, "revoked", "rotated in the Monime dashboard");
    triage(&test, "accepted", "test-mode key");
    // Nothing needs attention now: exit 0, and the default report is empty.
    let (code, out, err) = f.audit("a.db", &[repos], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(f.report("a.db", false)["incidents"]
        .as_array()
        .unwrap()
        .is_empty());
    let all = f.report("a.db", true);
    let st = find(&all, "monime-live-token")[0];
    assert_eq!(st["triage"]["status"], "revoked");
    assert_eq!(st["triage"]["note"], "rotated in the Monime dashboard");
    assert_eq!(st["triage"]["by"], "sec-team");
    // `--all-statuses` makes every incident count.
    assert_eq!(f.audit("a.db", &[repos, "--all-statuses"], &[]).0, 1);
    // The revoked secret shows up in another repository: flagged, and it counts again.
    f.repo("beta", &[("copy.py", &py(&leaked))]);
    let (code, _, _) = f.audit("a.db", &[repos], &[]);
    assert_eq!(code, 1);
    let report = f.report("a.db", false);
    let again = find(&report, "monime-live-token");
    assert_eq!(again.len(), 1, "{report:#}");
    assert_eq!(again[0]["triage"]["status"], "revoked");
    assert_eq!(again[0]["reappeared"], true);
    let flagged: Vec<bool> = again[0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["after_revocation"].as_bool().unwrap())
        .collect();
    assert_eq!(flagged.iter().filter(|b| **b).count(), 1, "{flagged:?}");
    assert!(find(&report, "monime-test-token").is_empty());
    // Reopening works too, and an unknown id is an error naming it.
    triage(&test, "open", "");
    assert_eq!(find(&f.report("a.db", false), "monime-test-token").len(), 1);
    let out = f.run(
        &["triage", "ffffffffffff", "--status", "revoked", "--db", db],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no incident ffffffffffff"));
}

/// Four shards, each a process given its own JOB_COMPLETION_INDEX, merged: the incidents of
/// the unsharded audit, whatever the order of the merge, and merging again changes nothing.
#[test]
fn four_shards_merged_equal_one_audit() {
    let f = Fleet::new();
    let shared = monime(1331);
    for i in 0..12 {
        let own = monime(1340 + i);
        let mut steps = vec![("README.md", "x\n".to_string()), ("own.py", py(&own))];
        if i % 3 == 0 {
            steps.push(("vendored/shared.py", py(&shared)));
        }
        let steps: Vec<(&str, &str)> = steps.iter().map(|(p, c)| (*p, c.as_str())).collect();
        f.repo(&format!("r{i:02}"), &steps);
    }
    let repos = f.repos();
    let repos = repos.to_str().unwrap();
    let key = [("LEAKGUARD_FINGERPRINT_KEY", "shared-audit-key")];
    assert_eq!(f.audit("all.db", &[repos], &key).0, 1);
    let whole = incidents(&f.report("all.db", true));
    assert_eq!(whole.len(), 13);
    let mut shard_dbs = Vec::new();
    for i in 0..4 {
        let index = i.to_string();
        let env = [key[0], ("JOB_COMPLETION_INDEX", index.as_str())];
        let db = format!("shard-{i}.db");
        let (code, out, err) = f.audit(&db, &[repos, "--shards", "4"], &env);
        assert!(code == 0 || code == 1, "{out}{err}");
        shard_dbs.push(f.db(&db).to_str().unwrap().to_string());
    }
    // A triage decision made in one shard travels with the merge. Which shard holds which
    // repository depends on the temporary paths: take the first shard with an incident.
    let (shard, first) = (0..4)
        .find_map(|i| {
            let found = incidents(&f.report(&format!("shard-{i}.db"), true));
            found.first().map(|line| (i, line.clone()))
        })
        .expect("some shard holds an incident");
    let triaged = first
        .split(' ')
        .next()
        .unwrap()
        .trim_matches('"')
        .to_string();
    let triaged_in = shard_dbs[shard].clone();
    let out = f.run(
        &[
            "triage",
            &triaged,
            "--status",
            "false-positive",
            "--db",
            &triaged_in,
        ],
        &[],
    );
    assert!(out.status.success());
    let merge = |out: &str, inputs: &[String]| {
        let mut args = vec!["merge"];
        args.extend(inputs.iter().map(String::as_str));
        let target = f.db(out);
        args.extend(["-o", target.to_str().unwrap()]);
        let o = f.run(&args, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    merge("merged.db", &shard_dbs);
    let mut reversed = shard_dbs.clone();
    reversed.reverse();
    merge("reversed.db", &reversed);
    merge("reversed.db", &reversed);
    let merged = incidents(&f.report("merged.db", true));
    assert_eq!(merged, incidents(&f.report("reversed.db", true)));
    let fp = merged
        .iter()
        .filter(|i| i.contains("\"false-positive\""))
        .count();
    assert_eq!(fp, 1, "{merged:#?}");
    let untriaged: Vec<String> = merged
        .iter()
        .map(|i| i.replace("\"false-positive\"", "\"open\""))
        .collect();
    assert_eq!(untriaged, whole);
    // Shards need the shared key; a merge of datastores with different keys is refused.
    let env = [("JOB_COMPLETION_INDEX", "0")];
    let out = leakguard()
        .current_dir(f.root.path())
        .env_remove("LEAKGUARD_FINGERPRINT_KEY")
        .envs(env)
        .args(["audit", repos, "--shards", "4", "--db", "nokey.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LEAKGUARD_FINGERPRINT_KEY"));
    let other = [("LEAKGUARD_FINGERPRINT_KEY", "another-key")];
    assert_eq!(f.audit("other.db", &[repos], &other).0, 1);
    let o = f.run(
        &[
            "merge",
            &shard_dbs[0],
            f.db("other.db").to_str().unwrap(),
            "-o",
            "x.db",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("another key"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// kill -9 in the middle of an audit, then the same command again: the incidents of an
/// audit never interrupted.
#[cfg(unix)]
#[test]
fn killed_audit_resumes_to_the_same_incidents() {
    let f = Fleet::new();
    for i in 0..40 {
        let body = py(&monime(1400 + i % 25));
        let steps: Vec<(String, String)> = (0..4)
            .map(|c| (format!("f{c}.py"), format!("x = {c}\n")))
            .chain([("secret.py".to_string(), body)])
            .collect();
        let steps: Vec<(&str, &str)> = steps
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        f.repo(&format!("r{i:02}"), &steps);
    }
    let repos = f.repos();
    let repos = repos.to_str().unwrap();
    assert_eq!(f.audit("whole.db", &[repos], &[]).0, 1);
    let whole = incidents(&f.report("whole.db", true));
    let db = f.db("killed.db");
    let mut child = crate::util::spawn(
        f.root.path(),
        &["audit", repos, "--db", db.to_str().unwrap()],
        &[("XDG_CACHE_HOME", "/nonexistent")],
        false,
    );
    // Kill as soon as a few repositories are recorded (read as a second SQLite client would).
    let recorded = || -> i64 {
        let Ok(c) =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        else {
            return 0;
        };
        c.query_row("SELECT count(*) FROM repositories", [], |r| r.get(0))
            .unwrap_or(0)
    };
    let killed_mid_run = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if recorded() >= 3 {
            child.kill().unwrap();
            child.wait().unwrap();
            break true;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let before = recorded();
    assert!(before < 40, "{before} of 40 recorded before the kill");
    assert!(killed_mid_run, "every audit finished before the kill");
    let (code, out, err) = f.audit("killed.db", &[repos], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(incidents(&f.report("killed.db", true)), whole);
}

#[test]
fn broken_repositories_are_recorded_and_the_audit_goes_on() {
    let f = Fleet::new();
    f.repo("good", &[("a.py", &py(&monime(1351)))]);
    let corrupt = f.repos().join("corrupt");
    std::fs::create_dir_all(corrupt.join(".git")).unwrap();
    std::fs::write(corrupt.join(".git/HEAD"), "garbage").unwrap();
    let missing = f.root.join("does-not-exist");
    let repos = f.repos();
    let (code, out, err) = f.audit(
        "a.db",
        &[repos.to_str().unwrap(), missing.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("1 scanned, 0 unchanged, 2 failed"), "{out}");
    assert!(err.contains("corrupt"), "{err}");
    assert!(err.contains("does-not-exist"), "{err}");
    let report = f.report("a.db", false);
    assert_eq!(report["summary"]["repositories_failed"], 2);
    assert_eq!(find(&report, "monime-live-token").len(), 1);
    let failed: Vec<&Value> = report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["error"].is_null())
        .collect();
    assert_eq!(failed.len(), 2, "{report:#}");
}

/// A `file://` URL is the repository on disk, read in place like its path (no clone: that
/// would start `git-upload-pack`), and re-read by the next run. Cloning and fetching are
/// tested over `git://` in `hostile_urls.rs`.
#[test]
fn file_urls_are_read_in_place() {
    let f = Fleet::new();
    let origin = Repo::new();
    origin.write("a.py", py(&monime(1361)));
    origin.commit_all("one");
    let url = format!("file://{}", origin.path().display());
    let clones = f.root.join("clones");
    let args = [url.as_str(), "--clone-dir", clones.to_str().unwrap()];
    let (code, out, err) = f.audit("a.db", &args, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!clones.exists(), "a file:// URL was cloned");
    origin.git(&["checkout", "-q", "-b", "feature"]);
    origin.write("b.py", py(&monime(1362)));
    origin.commit_all("two");
    let (_, out, _) = f.audit("a.db", &args, &[]);
    assert!(out.contains("1 scanned"), "{out}");
    let report = f.report("a.db", false);
    assert_eq!(find(&report, "monime-live-token").len(), 2, "{report:#}");
    let unreachable = "file:///nonexistent/repository.git";
    let (code, _, err) = f.audit(
        "a.db",
        &[unreachable, "--clone-dir", clones.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("nonexistent/repository"), "{err}");
}

/// The datastore never holds a clear secret, and no report shows one, unless the audit ran
/// with `--show-secrets`.
#[test]
fn no_clear_secret_unless_asked() {
    let f = Fleet::new();
    let secret = monime(1371);
    f.repo("alpha", &[("a.py", &py(&secret))]);
    let repos = f.repos();
    f.audit("a.db", &[repos.to_str().unwrap()], &[]);
    let bytes = std::fs::read(f.db("a.db")).unwrap();
    assert!(
        !contains(&bytes, secret.as_bytes()),
        "the datastore holds the secret"
    );
    let db = f.db("a.db");
    for format in ["text", "json", "csv", "sarif", "html"] {
        let out = f.run(
            &["report", "--db", db.to_str().unwrap(), "--format", format],
            &[],
        );
        assert!(out.status.success());
        assert!(
            !contains(&out.stdout, secret.as_bytes()),
            "{format} shows the secret"
        );
    }
    // The control: with --show-secrets at audit time, it is kept and shown.
    f.audit("b.db", &[repos.to_str().unwrap(), "--show-secrets"], &[]);
    let db = f.db("b.db");
    let out = f.run(
        &["report", "--db", db.to_str().unwrap(), "--format", "csv"],
        &[],
    );
    assert!(contains(&out.stdout, secret.as_bytes()));
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn sarif_report_is_valid_sarif() {
    let f = Fleet::new();
    f.repo("alpha", &[("dir with space/a.py", &py(&monime(1381)))]);
    f.repo("beta", &[("b.py", &py(&monime(1381)))]);
    let repos = f.repos();
    f.audit("a.db", &[repos.to_str().unwrap()], &[]);
    let db = f.db("a.db");
    let out = f.run(
        &["report", "--db", db.to_str().unwrap(), "--format", "sarif"],
        &[],
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::formats::assert_valid_sarif(&sarif);
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let locations = results[0]["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 2);
    // The same writer, severity mapping and URI encoding as `scan --format sarif`.
    let rule = &run["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], results[0]["ruleId"]);
    assert_eq!(rule["defaultConfiguration"]["level"], results[0]["level"]);
    assert_eq!(results[0]["level"], "error");
    assert_eq!(rule["properties"]["security-severity"], "9.5");
    assert!(rule["help"]["text"].as_str().unwrap().len() > 20);
    let uris: Vec<&str> = locations
        .iter()
        .map(|l| {
            let a = &l["physicalLocation"]["artifactLocation"];
            assert_eq!(a["uriBaseId"], "%SRCROOT%");
            a["uri"].as_str().unwrap()
        })
        .collect();
    assert!(uris.contains(&"dir%20with%20space/a.py"), "{uris:?}");
    assert!(locations
        .iter()
        .all(|l| l["properties"]["repository"].as_str().unwrap().len() > 1));
    assert_eq!(
        results[0]["partialFingerprints"]["leakguardIncident/v1"],
        results[0]["properties"]["incident"]
    );
}

#[test]
fn usage_errors_name_the_culprit() {
    let f = Fleet::new();
    let out = f.run(&["audit", "--db", "x.db"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to audit"));
    let out = f.run(&["audit", ".", "--shard", "4/4"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = f.run(&["report", "--db", "missing.db"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no audit datastore at missing.db"));
    std::fs::write(
        f.root.join("notdb.db"),
        "this is not SQLite, just text that is long enough to matter",
    )
    .unwrap();
    let out = f.run(&["report", "--db", "notdb.db"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notdb.db") && err.lines().count() == 1,
        "{err}"
    );
}

/// An https URL goes through gix's http transport in builds with the `https` feature (here
/// to a closed local port: the failure is recorded, the audit goes on); without it, the
/// error says how to get it.
#[test]
fn https_urls_fail_clearly_when_unreachable_or_unsupported() {
    let f = Fleet::new();
    f.repo("alpha", &[("a.py", &py(&monime(1391)))]);
    let repos = f.repos();
    let url = "https://127.0.0.1:9/org/repo.git";
    let clones = f.root.join("clones");
    let args = [
        repos.to_str().unwrap(),
        url,
        "--clone-dir",
        clones.to_str().unwrap(),
    ];
    let (code, out, err) = f.audit("a.db", &args, &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("1 scanned, 0 unchanged, 1 failed"), "{out}");
    assert!(err.contains("127.0.0.1/org/repo"), "{err}");
    let hint = err.contains("built without https support");
    assert_eq!(hint, !cfg!(feature = "https"), "{err}");
}

/// A bare repository on disk is audited in place, every branch of it.
#[test]
fn bare_repositories_are_audited_in_place() {
    let f = Fleet::new();
    let origin = Repo::new();
    origin.write("a.py", py(&monime(1395)));
    origin.commit_all("one");
    origin.git(&["checkout", "-q", "-b", "side"]);
    origin.write("b.py", py(&monime(1396)));
    origin.commit_all("two");
    origin.git(&["checkout", "-q", "main"]);
    let bare = f.root.join("mirror.git");
    git(
        f.root.path(),
        &[
            "clone",
            "-q",
            "--bare",
            origin.path().to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let (code, out, err) = f.audit("a.db", &[bare.to_str().unwrap()], &[]);
    assert_eq!(code, 1, "{out}{err}");
    let report = f.report("a.db", false);
    assert_eq!(find(&report, "monime-live-token").len(), 2, "{report:#}");
    assert!(
        !f.root.join("cache").exists(),
        "a local repository was cloned"
    );
}

/// Listing a forge's repositories needs HTTPS: a build without it says so in one line, and
/// the flags that only apply to listings are refused alone.
#[cfg(not(feature = "https"))]
#[test]
fn forge_listings_need_the_https_feature() {
    let f = Fleet::new();
    let (code, out, err) = f.audit("a.db", &["--github-org", "acme"], &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("need a build with the https feature") && err.lines().count() == 1,
        "{err}"
    );
    let (code, _, err) = f.audit("a.db", &["--include-forks", "."], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("apply to --github-org"), "{err}");
    assert!(!f.db("a.db").exists(), "nothing was written");
}
