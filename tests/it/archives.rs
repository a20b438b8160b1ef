//! Archives: each format with a planted synthetic token, nesting, bombs, `--no-archives`,
//! SARIF's logical locations, archives in staged blobs and in history, and the client
//! artefacts shipped to users (Electron's asar, browser extensions, Android apps).

use std::io::Write;

use crate::util::{asar_of, asar_with, crx_of, hits, monime, zip_of, Repo, Tree};

/// `config/app.properties` holding a token on line 3, plus a clean file.
fn files(seed: u64) -> Vec<(&'static str, Vec<u8>)> {
    let props = format!(
        "# settings\nserver.port=8080\nmonime.token={}\n",
        monime(seed)
    );
    vec![
        ("README.txt", b"nothing to see here\n".to_vec()),
        ("config/app.properties", props.into_bytes()),
    ]
}

fn deflated(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    zip_of(files, zip::CompressionMethod::Deflated)
}

fn tar(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let opts = lzma_rust2::XzOptions::with_preset(1);
    let mut e = lzma_rust2::XzWriter::new(Vec::new(), opts).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_format_names_the_inner_path_and_line() {
    let f = files(1);
    let t = tar(&f);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("dist/app.zip", deflated(&f)),
        ("dist/app.jar", zip_of(&f, zip::CompressionMethod::Stored)),
        ("dist/pkg-1.0-py3-none-any.whl", deflated(&f)),
        ("dist/Pkg.1.0.nupkg", deflated(&f)),
        ("dist/app.apk", zip_of(&f, zip::CompressionMethod::Stored)),
        ("dist/addon.xpi", deflated(&f)),
        ("dist/ext.crx", crx_of(3, 580, &deflated(&f))),
        ("dist/old-ext.crx", crx_of(2, 162, &deflated(&f))),
        ("dist/resources/app.asar", asar_of(&f)),
        ("dist/app.tar", t.clone()),
        ("dist/app.tgz", gz(&t)),
        ("dist/app.tar.bz2", bz2(&t)),
        ("dist/app.tar.xz", xz(&t)),
        // Known by content, not by name.
        ("dist/blob.bin", deflated(&f)),
        ("dist/blob.dat", asar_of(&f)),
    ];
    let tree = Tree::new();
    for (name, bytes) in &cases {
        tree.file(name, bytes);
    }
    let (code, json) = tree.scan_json(&["."]);
    assert_eq!(code, 1);
    let mut got: Vec<(String, u64)> = hits(&json)
        .into_iter()
        .map(|(p, _, line, _)| (p, line))
        .collect();
    got.sort();
    let mut want: Vec<(String, u64)> = cases
        .iter()
        .map(|(n, _)| (format!("{n}!/config/app.properties"), 3))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(json["summary"]["archives"], cases.len() as u64, "{json}");
}

#[test]
fn compressed_single_files_are_named_after_their_content() {
    let log = format!("started\nAuthorization token {}\n", monime(2));
    let tree = Tree::new();
    tree.file("logs/app.log.gz", gz(log.as_bytes()))
        .file("logs/app.log.bz2", bz2(log.as_bytes()))
        .file("logs/app.log.xz", xz(log.as_bytes()));
    let (code, json) = tree.scan_json(&["."]);
    assert_eq!(code, 1);
    let mut got: Vec<(String, u64)> = hits(&json).into_iter().map(|h| (h.0, h.2)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("logs/app.log.bz2!/app.log".to_string(), 2),
            ("logs/app.log.gz!/app.log".to_string(), 2),
            ("logs/app.log.xz!/app.log".to_string(), 2),
        ]
    );
}

#[test]
fn nested_archives_are_opened_to_the_depth_asked() {
    // A zip holding a tgz holding a jar holding the properties file: depth 3.
    let jar = deflated(&files(3));
    let tgz = gz(&tar(&[("lib/inner.jar", jar)]));
    let outer = deflated(&[("vendor/sdk.tgz", tgz)]);
    let tree = Tree::new();
    tree.file("release.zip", outer);
    let (code, json) = tree.scan_json(&["."]);
    assert_eq!(code, 1);
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(
        paths,
        vec!["release.zip!/vendor/sdk.tgz!/lib/inner.jar!/config/app.properties"]
    );
    assert_eq!(json["summary"]["archives"], 3);

    let (code, json) = tree.scan_json(&[".", "--archive-depth", "2"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["summary"]["archives"], 2);

    let (code, json) = tree.scan_json(&[".", "--no-archives"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["summary"]["archives"], 0);
}

#[test]
fn a_file_that_only_looks_like_an_archive_is_scanned_as_it_is() {
    let tree = Tree::new();
    let fake = format!("PK\x03\x04 is how this note starts\ntoken={}\n", monime(4));
    tree.file("notes.txt", fake);
    let (code, json) = tree.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(hits(&json)[0].0, "notes.txt");
    // A zip that cannot be opened may hide entries: counted, and the scan is incomplete
    // (exit 2 without the finding; tests/it/hostile_archives.rs).
    assert_eq!(json["summary"]["archives_limited"], 1);
}

#[test]
fn a_zip_bomb_is_cut_short_with_a_warning_and_the_scan_goes_on() {
    // 64 MiB of zeros deflate to about 64 KiB: a 1000:1 entry.
    let zeros = vec![0u8; 64 << 20];
    let bomb = deflated(&[
        ("zeros.bin", zeros),
        ("after.properties", files(5)[1].1.clone()),
    ]);
    let tree = Tree::new();
    tree.file("bomb.zip", bomb)
        .file("app.env.txt", format!("token={}\n", monime(6)));
    // Under the size limit as declared: only the ratio can stop it.
    let args = ["scan", ".", "--format", "json", "--max-file-size", "1G"];
    let out = tree.cmd(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bomb.zip!/zeros.bin: archive not read to its end: expands more than"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(paths, vec!["app.env.txt"]);
    assert_eq!(json["summary"]["archives_limited"], 1);
    // It stopped at the ratio: far less than 64 MiB was scanned.
    assert!(json["summary"]["bytes_scanned"].as_u64().unwrap() < 16 << 20);
}

#[test]
fn a_tar_bomb_of_entries_is_cut_short() {
    let names: Vec<String> = (0..100_050).map(|i| format!("f/{i}")).collect();
    let mut b = tar::Builder::new(Vec::new());
    for n in &names {
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, n, &b"x"[..]).unwrap();
    }
    let tgz = gz(&b.into_inner().unwrap());
    let tree = Tree::new();
    tree.file("many.tgz", tgz)
        .file("later.txt", format!("token={}\n", monime(7)));
    let out = tree
        .cmd(&["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("many.tgz: archive not read to its end: more than 100000 entries"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["archives_limited"], 1);
    assert_eq!(hits(&json)[0].0, "later.txt");
}

#[test]
fn sarif_points_at_the_archive_with_the_inner_path_as_a_logical_location() {
    let tree = Tree::new();
    tree.file("dist/app.jar", deflated(&files(8)));
    let out = tree
        .cmd(&["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    let loc = &result["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "dist/app.jar"
    );
    assert!(loc["physicalLocation"]["region"].is_null(), "{loc}");
    let logical = &loc["logicalLocations"][0];
    assert_eq!(logical["name"], "config/app.properties");
    assert_eq!(
        logical["fullyQualifiedName"],
        "dist/app.jar!/config/app.properties"
    );
    let text = result["message"]["text"].as_str().unwrap();
    assert!(text.contains("In config/app.properties, line 3."), "{text}");

    let out = tree.cmd(&["scan", "."]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("dist/app.jar!/config/app.properties\n  3:"),
        "{stdout}"
    );
}

#[test]
fn a_staged_archive_reports_what_its_entries_add() {
    let repo = Repo::new();
    let old_props = format!("monime.token={}\n", monime(9));
    let old = deflated(&[("config/a.properties", old_props.clone().into_bytes())]);
    repo.write("app.jar", old).commit_all("add jar");
    let new_props = format!("monime.token={}\n", monime(10));
    let new = deflated(&[
        ("config/a.properties", old_props.into_bytes()),
        ("config/b.properties", new_props.into_bytes()),
    ]);
    repo.write("app.jar", new);
    repo.git(&["add", "app.jar"]);
    let (code, json, stderr) = repo.json("staged", &[]);
    assert_eq!(code, 1, "{stderr}");
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(paths, vec!["app.jar!/config/b.properties"]);
}

#[test]
fn a_new_staged_archive_is_scanned_whole() {
    let repo = Repo::new();
    repo.write("README", "hello\n").commit_all("init");
    repo.write("dist/sdk.tgz", gz(&tar(&files(11))));
    repo.git(&["add", "dist/sdk.tgz"]);
    let (code, json, stderr) = repo.json("staged", &[]);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(String, u64)> = hits(&json).into_iter().map(|h| (h.0, h.2)).collect();
    assert_eq!(
        got,
        vec![("dist/sdk.tgz!/config/app.properties".to_string(), 3)]
    );
}

#[test]
fn history_finds_a_token_in_an_archive_and_its_commit() {
    let repo = Repo::new();
    repo.write("README", "hello\n").commit_all("init");
    repo.write("build/app.war", deflated(&files(12)));
    let leaked = repo.commit_all("ship the war");
    repo.write("README", "more\n").commit_all("later");
    let (code, json, stderr) = repo.json("history", &[]);
    assert_eq!(code, 1, "{stderr}");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["path"], "build/app.war!/config/app.properties");
    assert_eq!(findings[0]["line"], 3);
    assert_eq!(findings[0]["commit"]["id"], leaked);
}

#[test]
fn an_archive_bigger_than_a_window_is_opened_not_streamed() {
    // 300 KiB of stored noise before the properties file, windows of 64 KiB.
    let noise = crate::util::synthetic(13, 300 << 10, b"0123456789abcdef\n").into_bytes();
    let mut f = vec![("noise.txt", noise)];
    f.extend(files(13));
    let tree = Tree::new();
    tree.file("big.jar", zip_of(&f, zip::CompressionMethod::Stored));
    let out = tree
        .cmd(&["scan", ".", "--format", "json"])
        .env("LEAKGUARD_WINDOW_SIZE", "65536")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64)> = hits(&json).into_iter().map(|h| (h.0, h.2)).collect();
    assert_eq!(got, vec![("big.jar!/config/app.properties".to_string(), 3)]);
}

#[test]
fn an_archive_on_standard_input_is_opened() {
    let log = format!("started\ntoken {}\n", monime(14));
    let tree = Tree::new();
    let out = tree
        .cmd(&[
            "scan",
            "-",
            "--format",
            "json",
            "--stdin-name",
            "ci/app.log.gz",
        ])
        .write_stdin(gz(log.as_bytes()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64)> = hits(&json).into_iter().map(|h| (h.0, h.2)).collect();
    assert_eq!(got, vec![("ci/app.log.gz!/app.log".to_string(), 2)]);
}

#[test]
fn an_electron_app_is_read_as_it_ships() {
    // app.asar holds the code; native modules are unpacked beside it (the header names them
    // `unpacked`, the walk finds them as files), and a link points into the archive.
    let main = format!(
        "'use strict';\nconst api = {{ token: \"{}\" }};\n",
        monime(15)
    );
    let native = format!("{{\"key\": \"{}\"}}\n", monime(16));
    let package = b"{\"name\": \"app\"}\n";
    let data = [main.as_bytes(), package].concat();
    let header = serde_json::json!({"files": {
        "dist": {"files": {
            "main.js": {"size": main.len(), "offset": "0", "integrity": {
                "algorithm": "SHA256", "hash": "00", "blockSize": 4194304, "blocks": ["00"]}},
        }},
        "package.json": {"size": package.len(), "offset": main.len().to_string()},
        "current": {"link": "dist"},
        "native": {"unpacked": true, "files": {
            "config.json": {"size": native.len(), "unpacked": true},
        }},
    }});
    let asar = asar_with(&header, &data);
    let tree = Tree::new();
    tree.file("resources/app.asar", &asar)
        .file("resources/app.asar.unpacked/native/config.json", &native)
        // The same app shipped in a zip: read two archives deep.
        .file("release.zip", deflated(&[("resources/app.asar", asar)]));
    let out = tree
        .cmd(&["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<(String, u64)> = hits(&json).into_iter().map(|h| (h.0, h.2)).collect();
    got.sort();
    let want = [
        ("release.zip!/resources/app.asar!/dist/main.js", 2),
        ("resources/app.asar!/dist/main.js", 2),
        ("resources/app.asar.unpacked/native/config.json", 1),
    ];
    let want: Vec<(String, u64)> = want.iter().map(|(p, l)| (p.to_string(), *l)).collect();
    assert_eq!(got, want);
    assert_eq!(json["summary"]["archives"], 3, "{json}");
}

#[test]
fn an_asar_whose_header_lies_is_scanned_as_it_is() {
    // Nothing in it can be located, but its bytes are stored: the token is still found, at
    // the archive's path, and the archive is counted as not read.
    let mut asar = asar_of(&files(17));
    asar[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let tree = Tree::new();
    tree.file("app.asar", asar);
    let out = tree
        .cmd(&["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("app.asar: archive not read to its end: cannot be opened: its header claims"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<String> = hits(&json).into_iter().map(|h| h.0).collect();
    assert_eq!(paths, vec!["app.asar"]);
    assert_eq!(json["summary"]["archives_limited"], 1);
}
