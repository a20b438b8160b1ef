//! The HTML audit report checked by real tools: the Nu Html Checker (vnu) must find nothing
//! to report, and headless Chromium must show the summary and every incident, run the script
//! (filters and sorting, driven through the URL fragment) and take a screenshot.
//!
//! The tools come from `.ci/browser-tools.sh`. Without them these tests print what is missing
//! and skip, unless `LEAKGUARD_REQUIRE_BROWSER` is set (CI sets it to 1): then they fail.
//! `LEAKGUARD_KEEP_SCREENSHOT=FILE.png` keeps the screenshot, for a person to look at.

#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use leakguard::audit::html::write;
use leakguard::audit::model::{AuditReport, Incident, Location, RepoRow, ReportSummary};
use leakguard::audit::model::{Status, Triage};
use leakguard::finding::{Exposure, FindingKind};
use leakguard::rules::Severity;

// ---- The reports ----

const HOSTILE: &str = "<script>alert(1)</script> & \"q\" 'a'";

fn location(repo: &str, path: &str, n: usize) -> Location {
    Location {
        repository: repo.to_string(),
        commit: format!("{n:040x}"),
        author: "Ann Example".to_string(),
        email: "ann@example.test".to_string(),
        date: format!("20{:02}-03-04T05:06:07Z", 18 + n % 7),
        path: path.to_string(),
        line: n + 1,
        column: 5,
        found_at: "2025-01-01T00:00:00Z".to_string(),
        after_revocation: false,
        exposure: None,
    }
}

fn incident(
    id: &str,
    rule: &str,
    severity: Severity,
    status: Status,
    first_seen: &str,
    locations: Vec<Location>,
) -> Incident {
    let mut repos: Vec<&str> = locations.iter().map(|l| l.repository.as_str()).collect();
    repos.sort_unstable();
    repos.dedup();
    Incident {
        id: id.to_string(),
        rule_id: rule.to_string(),
        description: format!("Example rule {rule}"),
        severity,
        kind: FindingKind::Content,
        redacted: "EXAMPLE…0000".to_string(),
        secret: None,
        remediation: "Revoke the key, then rotate it.".to_string(),
        triage: Triage {
            status,
            note: None,
            by: None,
            at: None,
        },
        reappeared: false,
        validation: None,
        still_live: false,
        first_seen: first_seen.to_string(),
        spread: repos.len(),
        exposure: Vec::new(),
        locations,
    }
}

const A: &str = "git://git.example.test/org/alpha.git";
const B: &str = "/srv/mirrors/beta";
const C: &str = "ssh://git.example.test/org/gamma-with-a-rather-long-repository-name.git";

/// Five incidents covering every status, kind and marker, with hostile strings.
fn sample() -> AuditReport {
    let mut spread = incident(
        "a1b2c3d4e5f60001",
        "example-cloud-key",
        Severity::Critical,
        Status::Open,
        "2019-05-06T07:08:09+02:00",
        (0..5)
            .map(|n| location(if n % 2 == 0 { A } else { B }, "config/prod.env", n))
            .collect(),
    );
    spread.locations[1].path = format!("{HOSTILE}.txt");
    spread.locations[1].author = "O'Brien & \"Sons\" <ob@example.test>".to_string();
    // Its issuer still accepts it (`audit --validate`).
    spread.validation = Some(leakguard::validate::Verdict {
        status: leakguard::validate::Status::Live,
        reason: "HTTP 200: the issuer accepted it".to_string(),
        details: [("account".to_string(), HOSTILE.to_string())].into(),
        checked_at: "2025-01-02T03:00:00Z".to_string(),
    });

    let mut revoked = incident(
        "a1b2c3d4e5f60002",
        "example-chat-token",
        Severity::High,
        Status::Revoked,
        "2021-01-02T03:04:05Z",
        vec![location(A, "bot.py", 10), location(C, "bot.py", 11)],
    );
    revoked.reappeared = true;
    revoked.locations[1].after_revocation = true;
    // Shipped in a web build too.
    revoked.locations[0].path = "dist/assets/bot.js".to_string();
    revoked.locations[0].exposure = Some(Exposure::Client);
    revoked.exposure = vec![Exposure::Client];
    revoked.triage = Triage {
        status: Status::Revoked,
        note: Some(format!("rotated; see ticket {HOSTILE}")),
        by: Some("sec-team@example.test".to_string()),
        at: Some("2024-06-01T10:00:00Z".to_string()),
    };

    let mut file = incident(
        "a1b2c3d4e5f60003",
        "example-private-key-file",
        Severity::Medium,
        Status::FalsePositive,
        "2022-07-08T09:10:11Z",
        vec![location(B, "tests/fixtures/id_rsa", 20)],
    );
    file.kind = FindingKind::Path;
    file.redacted = String::new();
    file.triage.note = Some("a fixture key, generated for the tests".to_string());

    let mut clear = incident(
        "a1b2c3d4e5f60004",
        "example-demo-token",
        Severity::Low,
        Status::Accepted,
        "2024-02-03T04:05:06Z",
        vec![location(C, "demo/README.md", 30)],
    );
    clear.secret = Some("EXAMPLEdemoTOKENnotREAL0123".to_string());

    let open = incident(
        "a1b2c3d4e5f60005",
        HOSTILE,
        Severity::High,
        Status::Open,
        "2024-09-10T11:12:13Z",
        vec![location(C, "src/main.rs", 40)],
    );

    let incidents = vec![spread, revoked, open, file, clear];
    let repo = |name: &str, error: Option<&str>, n: usize| RepoRow {
        name: name.to_string(),
        scanned_at: error.is_none().then(|| "2025-01-01T00:00:00Z".to_string()),
        error: error.map(str::to_string),
        origin: None,
        incidents: n,
    };
    AuditReport {
        generated_at: "2025-01-02T03:04:05Z".to_string(),
        summary: ReportSummary {
            repositories: 4,
            repositories_failed: 1,
            incidents_total: 5,
            by_status: vec![
                (Status::Open, 2),
                (Status::Revoked, 1),
                (Status::FalsePositive, 1),
                (Status::Accepted, 1),
            ],
            reappeared: 1,
            by_validation: vec![(leakguard::validate::Status::Live, 1)],
            still_live: 0,
            all_statuses: true,
        },
        repositories: vec![
            repo(B, None, 2),
            repo(
                "file:///srv/broken <repo>",
                Some("clone failed: not a git repository & <gone>"),
                0,
            ),
            repo(A, None, 2),
            repo(C, None, 3),
        ],
        incidents,
    }
}

/// `n` incidents over 40 repositories and 30 rules, 1 to 6 places each.
fn big(n: usize) -> AuditReport {
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
    let incidents: Vec<Incident> = (0..n)
        .map(|i| {
            let locations = (0..1 + i % 6)
                .map(|k| {
                    let repo = format!(
                        "git://git.example.test/team-{}/service-{}.git",
                        (i + k) % 8,
                        (i + k) % 40
                    );
                    location(
                        &repo,
                        &format!("deploy/env/{}/settings-{k}.yaml", i % 17),
                        i + k,
                    )
                })
                .collect();
            incident(
                &format!("{:016x}", 0x00e0_0000_0000_0000_u64 + i as u64),
                &format!("example-rule-{}", i % 30),
                severities[i % 4],
                Status::Open,
                &format!("20{:02}-01-01T00:00:00Z", 14 + i % 11),
                locations,
            )
        })
        .collect();
    AuditReport {
        generated_at: "2025-01-02T03:04:05Z".to_string(),
        summary: ReportSummary {
            repositories: 40,
            repositories_failed: 0,
            incidents_total: n,
            by_status: Status::ALL
                .iter()
                .map(|&s| (s, if s == Status::Open { n } else { 0 }))
                .collect(),
            reappeared: 0,
            by_validation: Vec::new(),
            still_live: 0,
            all_statuses: false,
        },
        repositories: (0..40)
            .map(|r| RepoRow {
                name: format!("git://git.example.test/team-{}/service-{r}.git", r % 8),
                scanned_at: Some("2025-01-01T00:00:00Z".to_string()),
                error: None,
                origin: None,
                incidents: n / 10,
            })
            .collect(),
        incidents,
    }
}

fn empty() -> AuditReport {
    AuditReport {
        generated_at: "2025-01-02T03:04:05Z".to_string(),
        summary: ReportSummary {
            repositories: 1,
            by_status: Status::ALL.iter().map(|&s| (s, 0)).collect(),
            ..ReportSummary::default()
        },
        repositories: vec![RepoRow {
            name: A.to_string(),
            scanned_at: Some("2025-01-01T00:00:00Z".to_string()),
            error: None,
            origin: None,
            incidents: 0,
        }],
        incidents: Vec::new(),
    }
}

fn write_report(dir: &Path, name: &str, report: &AuditReport) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    write(report, &mut file).unwrap();
    path
}

// ---- The tools ----

/// `what`, or a skip (`None`) with how to install it; a failure when LEAKGUARD_REQUIRE_BROWSER
/// is set (to anything but 0).
fn require<T>(found: Option<T>, what: &str) -> Option<T> {
    if found.is_none() {
        let msg = format!(
            "{what} is not installed: run `bash .ci/browser-tools.sh` (Debian: apt-get install \
             chromium default-jre-headless; npm install -g vnu-jar)"
        );
        match std::env::var("LEAKGUARD_REQUIRE_BROWSER") {
            Ok(v) if !v.is_empty() && v != "0" => panic!("{msg} (LEAKGUARD_REQUIRE_BROWSER={v})"),
            _ => eprintln!("SKIPPED: {msg}"),
        }
    }
    found
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Nu Html Checker's jar: LEAKGUARD_VNU_JAR, or where `npm install -g vnu-jar` puts it.
fn vnu() -> Option<PathBuf> {
    let find = || {
        let jar = match std::env::var_os("LEAKGUARD_VNU_JAR") {
            Some(jar) => PathBuf::from(jar),
            None => {
                let root = Command::new("npm").args(["root", "-g"]).output().ok()?;
                let root = String::from_utf8(root.stdout).ok()?;
                Path::new(root.trim()).join("vnu-jar/build/dist/vnu.jar")
            }
        };
        (jar.is_file() && runs("java", "-version")).then_some(jar)
    };
    require(find(), "the Nu Html Checker (java and vnu.jar)")
}

fn chromium() -> Option<&'static str> {
    require(
        runs("chromium", "--version").then_some("chromium"),
        "chromium",
    )
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Headless Chromium on `file` (with `#fragment`), with a profile of its own in `dir` and at
/// most two minutes to finish.
fn headless(chrome: &str, dir: &Path, file: &Path, fragment: &str, args: &[&str]) -> Output {
    let profile = tempfile::tempdir_in(dir).unwrap();
    let url = format!("file://{}{fragment}", file.display());
    let out = Command::new("timeout")
        .args(["120", chrome, "--headless", "--no-sandbox", "--disable-gpu"])
        .args([
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(&url)
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium on {url}: {}", show(&out));
    out
}

fn dump_dom(chrome: &str, dir: &Path, file: &Path, fragment: &str) -> String {
    let out = headless(chrome, dir, file, fragment, &["--dump-dom"]);
    String::from_utf8(out.stdout).unwrap()
}

/// The ids of the incident rows in `dom`, in order, with whether the row is hidden.
fn rows(dom: &str) -> Vec<(String, bool)> {
    let body = &dom[dom.find("<tbody>").expect("an incident table")..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split("<tr ")
        .skip(1)
        .map(|row| {
            let tag = &row[..row.find('>').unwrap()];
            let id = &row[row.find("<code>").unwrap() + 6..row.find("</code>").unwrap()];
            (id.to_string(), tag.contains("hidden"))
        })
        .collect()
}

// ---- The tests ----

#[test]
fn the_nu_checker_finds_nothing() {
    let Some(jar) = vnu() else { return };
    let dir = tempfile::tempdir().unwrap();
    let files = [
        write_report(dir.path(), "sample.html", &sample()),
        write_report(dir.path(), "empty.html", &empty()),
        write_report(dir.path(), "big.html", &big(300)),
    ];
    // --Werror: a warning fails too; --also-check-svg is for .svg files, not inline SVG.
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--Werror", "--verbose"])
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "vnu: {}", show(&out));
}

#[test]
fn chromium_shows_every_incident_and_runs_the_script() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report = sample();
    let file = write_report(dir.path(), "sample.html", &report);

    let dom = dump_dom(chrome, dir.path(), &file, "");
    for text in [
        "<h2 id=\"summary-h\">Summary</h2>",
        "<dt>Failed repositories</dt><dd>1</dd>",
        "<dt>Reappeared revoked secrets</dt><dd>1</dd>",
        "<dt>False positive</dt><dd>1</dd>",
        // The live secret: counted, and badged in its row.
        "<dt>Live secrets (the issuer accepts them)</dt><dd>1</dd>",
        "<span class=\"badge check-live\" title=\"HTTP 200: the issuer accepted it (checked 2025-01-02T03:00:00Z)\">LIVE</span>",
        "aria-label=\"Incidents by severity: critical 1, high 2, medium 1, low 1\"",
        "aria-label=\"Incidents by year of first leak: 2019 1, 2021 1, 2022 1, 2024 2\"",
        "clone failed: not a git repository &amp; &lt;gone&gt;",
        "<details><summary>2 more</summary>",
        // The script ran (the CSP allowed it): the filters are shown and counted.
        "<form id=\"filters\">",
        "5 of 5 incidents shown",
        "<th scope=\"col\" data-type=\"num\"><button type=\"button\">Spread</button></th>",
        // Shipped to clients: a column for the incident, a badge at the place.
        "<th scope=\"col\" data-type=\"text\"><button type=\"button\">Exposure</button></th>",
        "<td data-sort=\"client\"><span class=\"badge exposure-client\" title=\"in what ships to browsers and devices: anyone who loads or installs it can read it\">client</span> </td>",
        "<code>dist/assets/bot.js:11</code>",
    ] {
        assert!(dom.contains(text), "{text:?} not in the DOM:\n{dom}");
    }
    assert!(!dom.contains("<script>alert"), "{dom}");
    let ids: Vec<(String, bool)> = report
        .incidents
        .iter()
        .map(|i| (i.id.clone(), false))
        .collect();
    assert_eq!(rows(&dom), ids);

    // The fragment drives the script: a severity floor, then a sort.
    let dom = dump_dom(chrome, dir.path(), &file, "#severity=high");
    assert!(dom.contains("3 of 5 incidents shown"), "{dom}");
    let hidden: Vec<bool> = rows(&dom).into_iter().map(|r| r.1).collect();
    assert_eq!(hidden, [false, false, false, true, true]);

    let dom = dump_dom(
        chrome,
        dir.path(),
        &file,
        "#status=reappeared&sort=First%20seen-desc",
    );
    assert!(dom.contains("1 of 5 incidents shown"), "{dom}");
    assert!(dom.contains("aria-sort=\"descending\""), "{dom}");
    let order: Vec<String> = rows(&dom).into_iter().map(|r| r.0).collect();
    assert_eq!(
        order,
        [
            "a1b2c3d4e5f60005",
            "a1b2c3d4e5f60004",
            "a1b2c3d4e5f60003",
            "a1b2c3d4e5f60002",
            "a1b2c3d4e5f60001"
        ]
    );

    let empty = write_report(dir.path(), "empty.html", &empty());
    let dom = dump_dom(chrome, dir.path(), &empty, "");
    assert!(dom.contains("No open incidents"), "{dom}");
}

#[test]
fn chromium_takes_a_screenshot() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = write_report(dir.path(), "sample.html", &sample());
    let png = dir.path().join("sample.png");
    let shot = format!("--screenshot={}", png.display());
    headless(
        chrome,
        dir.path(),
        &file,
        "",
        &[&shot, "--window-size=1400,1800", "--hide-scrollbars"],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The IHDR chunk: width and height, big-endian, at bytes 16..24.
    let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (1400, 1800));
    // A blank page of that size compresses to a few kilobytes.
    assert!(bytes.len() > 50_000, "a {}-byte screenshot", bytes.len());
    if let Some(keep) = std::env::var_os("LEAKGUARD_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

/// A thousand incidents: the size of the file and how long Chromium takes to load it and
/// run the script (printed; the bounds are generous, for a loaded CI machine).
#[test]
fn a_big_report_stays_usable() {
    let report = big(1_000);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let file = write_report(dir.path(), "big.html", &report);
    let rendered = started.elapsed();
    let size = std::fs::metadata(&file).unwrap().len();
    eprintln!("1,000 incidents (3,500 places): {size} bytes, written in {rendered:?}");
    assert!(size < 4_000_000, "{size} bytes");
    let Some(chrome) = chromium() else { return };
    let started = Instant::now();
    let dom = dump_dom(
        chrome,
        dir.path(),
        &file,
        "#severity=critical&sort=Spread-desc",
    );
    eprintln!("chromium load, filter and sort: {:?}", started.elapsed());
    assert!(
        dom.contains("250 of 1000 incidents shown"),
        "{}",
        &dom[..dom.len().min(5_000)]
    );
    assert_eq!(rows(&dom).len(), 1_000);
}

/// End to end: a real audit of real repositories, its HTML report from the binary, through
/// the checker and Chromium: every incident of the JSON report is a row.
#[test]
fn a_real_audit_report_validates_and_renders() {
    let (Some(jar), Some(chrome)) = (vnu(), chromium()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut repos = Vec::new();
    for (i, name) in ["<b>odd & \"name\"</b>.py", "svc/app.py", "config.py"]
        .iter()
        .enumerate()
    {
        let r = crate::util::Repo::new();
        r.write(
            name,
            format!("TOKEN = \"{}\"\n", crate::util::monime(2000 + i as u64 % 2)),
        );
        r.write(".env", "DB_PASSWORD=synthetic-password-for-tests\n");
        r.commit_all("leak");
        repos.push(r);
    }
    let db = dir.path().join("a.db");
    let html = dir.path().join("report.html");
    let lg = |args: &[&str]| {
        let out = crate::util::leakguard().args(args).output().unwrap();
        assert!(out.status.code().unwrap_or(9) <= 1, "{}", show(&out));
        out
    };
    let mut args = vec!["audit", "--db", db.to_str().unwrap(), "-q"];
    args.extend(repos.iter().map(|r| r.path().to_str().unwrap()));
    lg(&args);
    lg(&[
        "report",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    let json = lg(&["report", "--db", db.to_str().unwrap(), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let ids: Vec<String> = json["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 3, "{json:#}");
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--Werror"])
        .arg(&html)
        .output()
        .unwrap();
    assert!(out.status.success(), "vnu: {}", show(&out));
    let dom = dump_dom(chrome, dir.path(), &html, "");
    let shown: Vec<String> = rows(&dom).into_iter().map(|(id, _)| id).collect();
    assert_eq!(shown, ids);
    assert!(
        !dom.contains("<b>odd"),
        "an unescaped path reached the page"
    );
}
