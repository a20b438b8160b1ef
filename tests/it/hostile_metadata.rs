//! Secrets in what a commit says besides its files: the message, the author's and
//! committer's names and e-mails, and ref names. `history` scans commit metadata; `--all`
//! and `audit` scan ref names; none of it is ever printed or stored in clear.

use std::path::Path;

use crate::util::{commit_in, git, leakguard, monime, Repo, Tree};

/// Commits everything with the author given.
fn commit_as(r: &Repo, name: &str, email: &str, msg: &str) {
    r.git(&["add", "-A"]);
    commit_in(
        r.path(),
        msg,
        &[("GIT_AUTHOR_NAME", name), ("GIT_AUTHOR_EMAIL", email)],
    );
}

/// `(path, line, column, origin, commit id)` of each finding of a JSON report.
fn places(json: &serde_json::Value) -> Vec<(String, u64, u64, String, String)> {
    let mut out: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["origin"].as_str().unwrap_or("").to_string(),
                f["commit"]["id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn no_secret(secret: &str, outputs: &[&[u8]]) {
    for o in outputs {
        assert!(
            !String::from_utf8_lossy(o).contains(secret),
            "secret printed:\n{}",
            String::from_utf8_lossy(o)
        );
    }
}

#[test]
fn a_token_in_a_commit_message_is_found_at_its_commit_in_every_selection() {
    let r = Repo::new();
    r.write("a.txt", "hello\n");
    r.commit_all("first");
    let secret = monime(301);
    r.write("b.txt", "more\n");
    let leaky = r.commit_all(&format!("deploy\n\nused token {secret} for the test"));
    r.write("c.txt", "again\n");
    r.commit_all(&format!("again {secret}"));

    for args in [vec![], vec!["--all"], vec!["--range", "HEAD~2..HEAD"]] {
        let mut all = vec!["--no-config"];
        all.extend(&args);
        let (code, json, stderr) = r.json("history", &all);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        // Once, at the commit that first said it, on the message's own line.
        assert_eq!(
            places(&json),
            vec![(
                "(commit message)".to_string(),
                3,
                12,
                "commit_message".to_string(),
                leaky.clone()
            )],
            "{args:?}"
        );
    }
    // A range that starts after the leak does not report it again.
    let (code, json, _) = r.json("history", &["--no-config", "--range", "HEAD~1..HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(places(&json)[0].4, r.head());

    let out = r.cmd(&["history", "--no-config"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    no_secret(&secret, &[&out.stdout, &out.stderr]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(commit message)"));
}

#[test]
fn a_token_as_author_name_or_email_is_found_and_never_printed() {
    let r = Repo::new();
    let (in_name, in_email) = (monime(302), monime(303));
    r.write("a.txt", "hello\n");
    commit_as(&r, &in_name, "dev@example.test", "one");
    r.write("b.txt", "more\n");
    commit_as(&r, "Dev", &format!("{in_email}@example.test"), "two");

    let (code, json, stderr) = r.json("history", &["--no-config"]);
    assert_eq!(code, 1, "{stderr}");
    let found = places(&json);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|f| f.0 == "(commit message)"));
    // The author and e-mail of each finding's commit are shown redacted.
    let text = json.to_string();
    no_secret(&in_name, &[text.as_bytes(), stderr.as_bytes()]);
    no_secret(&in_email, &[text.as_bytes()]);
    for f in json["findings"].as_array().unwrap() {
        let who = format!("{} {}", f["commit"]["author"], f["commit"]["email"]);
        assert!(who.contains("mon_") && who.contains('…'), "{who}");
    }
    for format in ["text", "sarif"] {
        let out = r
            .cmd(&["history", "--no-config", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        no_secret(&in_name, &[&out.stdout, &out.stderr]);
        no_secret(&in_email, &[&out.stdout, &out.stderr]);
    }
}

#[test]
fn a_token_in_a_ref_name_is_found_by_all_and_shown_redacted() {
    let r = Repo::new();
    r.write("a.txt", "hello\n");
    r.commit_all("one");
    let (branch, tag) = (monime(304), monime(305));
    r.git(&["branch", &format!("fix-{branch}")]);
    r.git(&["tag", &format!("v1-{tag}")]);

    // HEAD alone walks no ref name.
    let (code, _, _) = r.json("history", &["--no-config"]);
    assert_eq!(code, 0);

    let (code, json, stderr) = r.json("history", &["--no-config", "--all"]);
    assert_eq!(code, 1, "{stderr}");
    let found = places(&json);
    assert_eq!(found.len(), 2, "{found:?}");
    for (path, line, col, origin, commit) in &found {
        assert_eq!(origin, "ref_name");
        assert_eq!(
            (*line, *col),
            (1, if path.contains("heads") { 16 } else { 14 })
        );
        assert!(path.starts_with("refs/") && path.contains("mon_") && path.contains('…'));
        assert_eq!(commit, &r.head());
    }
    let out = r
        .cmd(&["history", "--no-config", "--all"])
        .output()
        .unwrap();
    no_secret(
        &branch,
        &[&out.stdout, &out.stderr, json.to_string().as_bytes()],
    );
    no_secret(
        &tag,
        &[&out.stdout, &out.stderr, json.to_string().as_bytes()],
    );
}

/// Every text column of every table of the datastore, concatenated.
fn datastore_text(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut all = String::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..n {
                if let Ok(s) = row.get::<_, String>(i) {
                    all.push_str(&s);
                    all.push('\n');
                }
            }
        }
    }
    all
}

#[test]
fn audit_scans_commit_metadata_and_stores_ref_names_redacted() {
    let r = Repo::new();
    let (msg, email, branch) = (monime(306), monime(307), monime(308));
    r.write("a.txt", "hello\n");
    r.commit_all(&format!("one {msg}"));
    r.write("b.txt", "more\n");
    commit_as(&r, "Dev", &format!("{email}@example.test"), "two");
    r.git(&["branch", &format!("leak/{branch}")]);

    let work = Tree::new();
    let db = work.join("audit.db");
    let audit = |extra: &[&str]| {
        let mut c = leakguard();
        c.current_dir(work.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["audit", "--db"])
            .arg(&db)
            .arg(r.path())
            .args(extra);
        c.output().unwrap()
    };
    let out = audit(&[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = datastore_text(&db);
    for s in [&msg, &email, &branch] {
        no_secret(s, &[&out.stdout, &out.stderr, stored.as_bytes()]);
    }
    assert!(stored.contains("(commit message)"), "{stored}");
    assert!(stored.contains("refs/heads/leak/mon_"), "{stored}");

    let report = leakguard()
        .args(["report", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    // Three secrets, three incidents: the message, the e-mail, the branch name.
    assert_eq!(json["incidents"].as_array().unwrap().len(), 3, "{json}");
    for s in [&msg, &email, &branch] {
        no_secret(s, &[&report.stdout]);
    }

    // The redacted ref names compare equal on a re-run: nothing moved, nothing rescanned.
    let again = audit(&[]);
    let said = String::from_utf8_lossy(&again.stderr).to_string()
        + &String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("1 unchanged"), "{said}");

    // A new branch with a token is scanned on the next run; the old ones are not reported
    // as new places.
    let other = monime(309);
    git(r.path(), &["branch", &format!("wip-{other}")]);
    let third = audit(&[]);
    assert_eq!(
        third.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    let stored = datastore_text(&db);
    no_secret(&other, &[&third.stdout, &third.stderr, stored.as_bytes()]);
    assert!(stored.contains("refs/heads/wip-mon_"), "{stored}");
}
