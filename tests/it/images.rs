//! Container images through the real binary (issue 25, item 1): `docker save` tarballs, OCI
//! layouts and `oci-archive` tars written by [`crate::oci`] from the OCI image spec. A key
//! in the config (`Env`, a history step's build argument) or in any layer is found, named by
//! the layer that shipped it and its build step, also when a later layer deletes or
//! overwrites the file; the same bytes in two layers are scanned once.

use serde_json::Value;

use crate::formats::{assert_valid_report, assert_valid_sarif};
use crate::oci::{self, layer, Image, Pack};
use crate::util::{leakguard, monime, Tree};

#[cfg(feature = "https")]
mod registry;

/// `leakguard scan ARGS --format json` in `tree` for a scan that must be complete: exit
/// code, report and stderr.
fn scan_json(tree: &Tree, args: &[&str]) -> (i32, Value, String) {
    let (code, json, stderr) = scan_any(tree, args);
    if code != 2 {
        // Every layer read to its end and its digest checked.
        assert!(!stderr.contains("warning"), "{stderr}");
        assert_eq!(json["summary"]["files_unreadable"], 0, "{json:#}");
    }
    (code, json, stderr)
}

/// `leakguard scan ARGS --format json` in `tree`: exit code, report and stderr.
fn scan_any(tree: &Tree, args: &[&str]) -> (i32, Value, String) {
    let out = tree
        .cmd(&[&["scan", "--format", "json"], args].concat())
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap(), json, stderr)
}

fn findings(json: &Value) -> Vec<&Value> {
    json["findings"].as_array().unwrap().iter().collect()
}

/// The finding whose path ends with `tail`.
fn at<'a>(json: &'a Value, tail: &str) -> &'a Value {
    let all = findings(json);
    let hits: Vec<&&Value> = all
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with(tail))
        .collect();
    assert_eq!(hits.len(), 1, "one finding at …{tail} in {json:#}");
    hits[0]
}

fn env_line(seed: u64) -> Vec<u8> {
    format!("MONIME_TOKEN={}\n", monime(seed)).into_bytes()
}

/// A three-layer image: a base, an app layer with a `.env` and a config file, and a layer
/// that deletes the `.env`, overwrites the config and copies a re-shipped file again.
fn app_image(pack: Pack) -> Image {
    let base = layer(
        "/bin/sh -c #(nop) ADD file:base in /",
        pack,
        &[
            ("etc/os-release", b"NAME=Test\n"),
            ("usr/share/shipped.txt", &env_line(3)),
        ],
    );
    let app = layer(
        "COPY . /app # buildkit",
        pack,
        &[
            ("app/.env", &env_line(1)),
            (
                "app/config.yml",
                format!("token: {}\n", monime(2)).as_bytes(),
            ),
        ],
    );
    let clean = layer(
        "RUN |1 BUILD_TOKEN=placeholder /bin/sh -c rm /app/.env",
        pack,
        &[
            ("app/.wh..env", b""),
            ("app/config.yml", b"token: ${TOKEN}\n"),
            ("usr/share/shipped.txt", &env_line(3)),
        ],
    );
    let mut image = Image::new(vec![base, app, clean]);
    image.env.push(format!("MONIME_API_TOKEN={}", monime(4)));
    image.steps.push(format!("ARG DEPLOY_TOKEN={}", monime(5)));
    image
}

/// What every form of [`app_image`] must report.
fn check_app_image(json: &Value, image: &str) {
    assert_valid_report(json);
    // This image's findings only (a scan may hold several images).
    let own: Vec<Value> = findings(json)
        .into_iter()
        .filter(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{image}!"))
        })
        .cloned()
        .collect();
    let json = &serde_json::json!({ "findings": own });
    let dotenv: Vec<&Value> = findings(json)
        .into_iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("/app/.env"))
        .collect();
    assert!(!dotenv.is_empty(), "{json:#}");
    let prefix = format!("{image}!sha256:");
    for f in &dotenv {
        let path = f["path"].as_str().unwrap();
        assert!(path.starts_with(&prefix), "{path}");
        let img = &f["image"];
        assert_eq!(img["position"], 2, "{f:#}");
        assert!(img["layer"].as_str().unwrap().starts_with("sha256:"));
        assert!(
            path.contains(&img["layer"].as_str().unwrap()[..19]),
            "{path}"
        );
        assert_eq!(img["instruction"], "COPY . /app # buildkit");
        assert_eq!(img["removed"]["how"], "deleted", "{f:#}");
        assert_eq!(img["removed"]["position"], 3);
        let fix = f["remediation"].as_str().unwrap();
        assert!(
            fix.contains("Layer 3 deleted the file, but it is still in layer 2"),
            "{fix}"
        );
        assert!(fix.contains("--mount=type=secret"), "{fix}");
    }
    // The overwritten config file.
    let cfg = at(json, "/app/config.yml");
    assert_eq!(cfg["image"]["removed"]["how"], "overwritten");
    assert_eq!(cfg["line"], 1);
    // The same bytes in layers 1 and 3: scanned once, at the layer that shipped them first,
    // and not hidden (layer 3 ships them again).
    let shipped = at(json, "/usr/share/shipped.txt");
    assert_eq!(shipped["image"]["position"], 1);
    assert!(shipped["image"].get("removed").is_none(), "{shipped:#}");
    // The config: `Env` line 2, the history's first step (an ARG with a default).
    let env = at(json, "/Env");
    assert_eq!(env["line"], 2);
    assert!(env["image"]["config"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(env["image"].get("layer").is_none());
    let history = at(json, "/history");
    assert_eq!(history["line"], 1);
    // Build arguments' values are hidden in instructions.
    let text = json.to_string();
    assert!(
        text.contains("RUN |1 BUILD_TOKEN=… /bin/sh -c rm /app/.env")
            || !text.contains("BUILD_TOKEN")
    );
    for seed in 1..=5 {
        assert!(!text.contains(&monime(seed)), "secret {seed} in the report");
    }
}

#[test]
fn a_docker_save_tarball_reports_layers_instructions_and_deleted_files() {
    let t = Tree::new();
    t.file("image.tar", oci::docker_save(&app_image(Pack::Tar)));
    let (code, json, stderr) = scan_json(&t, &["image.tar"]);
    assert_eq!(code, 1, "{stderr}");
    check_app_image(&json, "image.tar");
    // The `.env` path rule fires on the copied file too.
    let rules: Vec<&str> = findings(&json)
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("/app/.env"))
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.len() >= 2, "{rules:?}");
}

#[test]
fn oci_layouts_and_archives_with_gzip_and_zstd_layers() {
    for pack in [Pack::Gzip, Pack::Zstd, Pack::Tar] {
        let t = Tree::new();
        oci::layout(&t.join("layout"), &[app_image(pack)]);
        let (code, json, stderr) = scan_json(&t, &["layout"]);
        assert_eq!(code, 1, "{stderr}");
        check_app_image(&json, "layout");
        t.file("app.oci.tar", oci::archive_of(&t.join("layout")));
        std::fs::remove_dir_all(t.join("layout")).unwrap();
        let (code, json, stderr) = scan_json(&t, &["app.oci.tar"]);
        assert_eq!(code, 1, "{stderr}");
        check_app_image(&json, "app.oci.tar");
    }
}

#[test]
fn every_platform_of_an_index_is_scanned_and_platform_picks_one() {
    let t = Tree::new();
    let shared: &[(&str, &[u8])] = &[("etc/shared.env", &env_line(10))];
    let mut images = Vec::new();
    for (arch, seed) in [("amd64", 11), ("arm64", 12)] {
        let own = env_line(seed);
        let mut image = Image::new(vec![
            layer("ADD base /", Pack::Gzip, shared),
            layer("COPY app /app", Pack::Zstd, &[("app/settings", &own)]),
        ]);
        image.arch = arch;
        images.push(image);
    }
    oci::layout(&t.join("multi"), &images);
    let (code, json, stderr) = scan_json(&t, &["multi"]);
    assert_eq!(code, 1, "{stderr}");
    // The base layer is the same blob in both platforms: read once.
    let shared: Vec<&Value> = findings(&json)
        .into_iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("/etc/shared.env"))
        .collect();
    assert_eq!(shared.len(), 1, "{json:#}");
    let mut platforms: Vec<&str> = findings(&json)
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("/app/settings"))
        .map(|f| f["image"]["platform"].as_str().unwrap())
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);

    let (code, json, _) = scan_json(&t, &["multi", "--platform", "linux/arm64"]);
    assert_eq!(code, 1);
    let platforms: Vec<&str> = findings(&json)
        .iter()
        .filter_map(|f| f["image"]["platform"].as_str())
        .collect();
    assert!(
        !platforms.is_empty() && platforms.iter().all(|p| *p == "linux/arm64"),
        "{platforms:?}"
    );

    let (code, _, stderr) = scan_json(&t, &["multi", "--platform", "windows/amd64"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr
            .contains("no image for platform windows/amd64 (platforms: linux/amd64, linux/arm64)"),
        "{stderr}"
    );
}

#[test]
fn an_opaque_directory_hides_what_is_below_it() {
    let t = Tree::new();
    let image = Image::new(vec![
        layer(
            "COPY secrets /srv",
            Pack::Gzip,
            &[("srv/conf/app.env", &env_line(20))],
        ),
        layer(
            "RUN reset /srv/conf",
            Pack::Gzip,
            &[
                ("srv/conf/.wh..wh..opq", b""),
                ("srv/conf/new.txt", b"clean\n"),
            ],
        ),
    ]);
    oci::layout(&t.join("img"), &[image]);
    let (code, json, _) = scan_json(&t, &["img"]);
    assert_eq!(code, 1);
    let f = at(&json, "/srv/conf/app.env");
    assert_eq!(f["image"]["removed"]["how"], "deleted");
    assert_eq!(f["image"]["removed"]["position"], 2);
}

#[test]
fn sarif_names_the_image_as_the_artifact_and_the_layer_path_logically() {
    let t = Tree::new();
    t.file("image.tar", oci::docker_save(&app_image(Pack::Tar)));
    let out = t
        .cmd(&["scan", "image.tar", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| {
            r["locations"][0]["logicalLocations"][0]["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("/app/config.yml"))
        })
        .expect("a result in app/config.yml");
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "image.tar"
    );
    assert!(loc["logicalLocations"][0]["name"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(r["properties"]["image"]["position"], 2);
}

#[test]
fn text_output_names_the_layer_and_its_step() {
    let t = Tree::new();
    t.file("image.tar", oci::docker_save(&app_image(Pack::Tar)));
    let out = t.cmd(&["scan", "image.tar"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("layer 2 sha256:"), "{text}");
    assert!(text.contains("COPY . /app # buildkit"), "{text}");
    assert!(text.contains("deleted by layer 3"), "{text}");
    for seed in 1..=5 {
        assert!(!text.contains(&monime(seed)));
    }
}

#[test]
fn a_tar_that_is_not_an_image_is_scanned_as_an_archive() {
    let t = Tree::new();
    t.file(
        "plain.tar",
        oci::tar_of(&[("a/app.env".into(), env_line(30))]),
    );
    let (code, json, _) = scan_json(&t, &["plain.tar"]);
    assert_eq!(code, 1);
    let f = at(&json, "app.env");
    assert_eq!(f["path"], "plain.tar!/a/app.env");
    assert!(f.get("image").is_none());
}

#[test]
fn images_and_directories_in_one_scan() {
    let t = Tree::new();
    t.file("image.tar", oci::docker_save(&app_image(Pack::Tar)));
    t.file("src/app.env", env_line(31));
    let (code, json, _) = scan_json(&t, &["image.tar", "src"]);
    assert_eq!(code, 1);
    at(&json, "app.env");
    at(&json, "/app/config.yml");
    let _ = leakguard;
}

/// A clean one-layer image in a layout at `dir`, with `extra` files in its layer; the
/// layout's manifest digest.
fn clean_layout(dir: &std::path::Path, pack: Pack) -> String {
    let image = Image::new(vec![layer("COPY . /", pack, &[("etc/motd", b"hello\n")])]);
    oci::layout(dir, &[image]).remove(0)
}

/// The manifest of the single-image layout at `dir`, parsed.
fn manifest_of(dir: &std::path::Path, digest: &str) -> Value {
    serde_json::from_slice(&std::fs::read(oci::blob_file(dir, digest)).unwrap()).unwrap()
}

/// Replaces the layout's manifest with `manifest`, pointing index.json at it.
fn set_manifest(dir: &std::path::Path, manifest: &Value) {
    let bytes = serde_json::to_vec(manifest).unwrap();
    let d = oci::blob(dir, &bytes);
    oci::write_index(
        dir,
        &[
            serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": bytes.len()}),
        ],
    );
}

/// `scan DIR`: exit 2, and stderr holds each of `said`, on one line, never a panic.
fn incomplete(t: &Tree, path: &str, said: &[&str]) -> Value {
    let (code, json, stderr) = scan_any(t, &[path]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for s in said {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains("warning") && l.contains(s)),
            "{s:?} in {stderr}"
        );
    }
    json
}

#[test]
fn a_truncated_layer_makes_the_scan_incomplete_and_keeps_what_was_read() {
    for pack in [Pack::Gzip, Pack::Zstd, Pack::Tar] {
        let t = Tree::new();
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let image = Image::new(vec![layer(
            "COPY . /",
            pack,
            &[("app/first.env", &env_line(40)), ("app/blob.bin", &big)],
        )]);
        let d = oci::layout(&t.join("img"), &[image]).remove(0);
        let layer = manifest_of(&t.join("img"), &d)["layers"][0]["digest"]
            .as_str()
            .unwrap()
            .to_string();
        let file = oci::blob_file(&t.join("img"), &layer);
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() * 3 / 4]).unwrap();
        let (code, json, stderr) = scan_any(&t, &["img"]);
        // The key read before the cut is still reported (exit 1 wins over 2); the layer is
        // named in a warning and counted unreadable.
        assert_eq!(code, 1, "{stderr}");
        at(&json, "/app/first.env");
        assert!(
            stderr.contains(&format!("cannot read img!{}", &layer[..19])),
            "{stderr}"
        );
        assert_eq!(json["summary"]["files_unreadable"], 1);
    }
}

#[test]
fn a_manifest_pointing_at_a_missing_blob() {
    let t = Tree::new();
    let dir = t.join("img");
    let d = clean_layout(&dir, Pack::Gzip);
    let layer = manifest_of(&dir, &d)["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(oci::blob_file(&dir, &layer)).unwrap();
    incomplete(&t, "img", &[&layer[..19], "is missing"]);
}

#[test]
fn a_blob_whose_digest_does_not_match() {
    let t = Tree::new();
    let dir = t.join("img");
    let image = Image::new(vec![layer(
        "COPY . /",
        Pack::Gzip,
        &[("app/x.env", &env_line(41))],
    )]);
    let d = oci::layout(&dir, &[image]).remove(0);
    let mut m = manifest_of(&dir, &d);
    // The layer's blob replaced by other bytes under the same name: its findings are still
    // reported, and the mismatch makes the scan incomplete.
    let layer = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let other = oci::tar_of(&[("app/x.env".into(), env_line(42))]);
    std::fs::write(oci::blob_file(&dir, &layer), &other).unwrap();
    m["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar".into();
    set_manifest(&dir, &m);
    let (code, json, stderr) = scan_any(&t, &["img"]);
    assert_eq!(code, 1, "{stderr}");
    at(&json, "/app/x.env");
    assert!(stderr.contains("does not match its digest"), "{stderr}");
    assert_eq!(json["summary"]["files_unreadable"], 1);
    // A config or manifest that does not match is not believed at all.
    let dir = t.join("clean");
    let d = clean_layout(&dir, Pack::Gzip);
    let cfg = manifest_of(&dir, &d)["config"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(oci::blob_file(&dir, &cfg), b"{}").unwrap();
    incomplete(&t, "clean", &["config", "does not match its digest"]);
}

#[test]
fn unknown_media_types_are_named() {
    let t = Tree::new();
    let dir = t.join("img");
    let d = clean_layout(&dir, Pack::Gzip);
    let mut m = manifest_of(&dir, &d);
    m["layers"][0]["mediaType"] = "application/x-mystery".into();
    set_manifest(&dir, &m);
    incomplete(&t, "img", &["unknown media type application/x-mystery"]);
    // A manifest of an unknown type in the index.
    let bytes = serde_json::to_vec(&m).unwrap();
    let digest = oci::blob(&dir, &bytes);
    oci::write_index(
        &dir,
        &[
            serde_json::json!({"mediaType": "application/x-other-manifest", "digest": digest, "size": bytes.len()}),
        ],
    );
    incomplete(
        &t,
        "img",
        &["unknown media type application/x-other-manifest"],
    );
}

#[test]
fn an_index_that_refers_to_itself_ends() {
    let t = Tree::new();
    let dir = t.join("img");
    clean_layout(&dir, Pack::Gzip);
    // Two indexes naming each other: a cycle (an index cannot name its own digest).
    let mut names = Vec::new();
    let a_bytes = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []})).unwrap();
    let a = oci::blob(&dir, &a_bytes);
    for _ in 0..2 {
        let idx = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": names.last().unwrap_or(&a), "size": 1}],
        });
        names.push(oci::blob(&dir, &serde_json::to_vec(&idx).unwrap()));
    }
    // index.json itself lists the top one twice: a second visit is a cycle too.
    let top = serde_json::json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": names[1], "size": 1});
    oci::write_index(&dir, &[top.clone(), top]);
    incomplete(&t, "img", &["refers back to an index already read"]);
}

#[test]
fn a_layer_bomb_is_stopped_by_the_ratio() {
    let t = Tree::new();
    let dir = t.join("img");
    let zeros = vec![0u8; 64 << 20];
    let image = Image::new(vec![layer("RUN bomb", Pack::Gzip, &[("bomb.bin", &zeros)])]);
    oci::layout(&dir, &[image]);
    incomplete(&t, "img", &["decompression bomb"]);
}

#[test]
fn digests_that_name_paths_outside_the_layout_are_refused() {
    let t = Tree::new();
    let dir = t.join("img");
    let d = clean_layout(&dir, Pack::Gzip);
    t.file("outside.env", env_line(43));
    let mut m = manifest_of(&dir, &d);
    m["layers"][0]["digest"] = "sha256:../../../outside.env".into();
    set_manifest(&dir, &m);
    let json = incomplete(&t, "img", &["is not a digest"]);
    assert!(findings(&json).is_empty(), "{json:#}");
}

#[test]
fn garbage_documents_are_errors_not_panics() {
    for (name, body) in [
        ("index.json", &b"not json"[..]),
        ("index.json", b"{\"manifests\": 7}"),
        ("index.json", b"[]"),
        ("index.json", b"{\"manifests\": []}"),
    ] {
        let t = Tree::new();
        let dir = t.join("img");
        clean_layout(&dir, Pack::Gzip);
        std::fs::write(dir.join(name), body).unwrap();
        incomplete(&t, "img", &["cannot read img: "]);
    }
    // A docker save tarball whose manifest.json is garbage.
    let t = Tree::new();
    t.file(
        "image.tar",
        oci::tar_of(&[("manifest.json".into(), b"{".to_vec())]),
    );
    incomplete(&t, "image.tar", &["manifest.json cannot be read"]);
}

#[cfg(not(feature = "https"))]
#[test]
fn registries_need_the_https_feature() {
    let t = Tree::new();
    let out = t
        .cmd(&["scan", "registry://127.0.0.1:1/team/app:1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("needs a build with the `https` feature"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn big_files_in_layers_are_streamed_and_archives_in_them_opened() {
    let t = Tree::new();
    // Over the window (shrunk to 64 KiB): scanned in windows straight from the layer.
    let mut big = b"# generated\n".repeat(20_000);
    big.extend_from_slice(&env_line(70));
    let jar = crate::util::zip_of(
        &[("BOOT-INF/classes/app.env", env_line(71))],
        zip::CompressionMethod::Deflated,
    );
    let image = Image::new(vec![layer(
        "COPY target /srv",
        Pack::Gzip,
        &[("srv/big.txt", &big), ("srv/app.jar", &jar)],
    )]);
    oci::layout(&t.join("img"), &[image]);
    let out = t
        .cmd(&["scan", "--format", "json", "img"])
        .env("LEAKGUARD_WINDOW_SIZE", "65536")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = at(&json, "/srv/big.txt");
    assert_eq!(f["line"], 20_001);
    assert_eq!(f["image"]["position"], 1);
    let f = at(&json, "/srv/app.jar!/BOOT-INF/classes/app.env");
    assert_eq!(f["image"]["instruction"], "COPY target /srv");
}

#[cfg(unix)]
#[test]
fn special_files_in_a_layout_are_refused_not_waited_on() {
    let t = Tree::new();
    let dir = t.join("img");
    let d = clean_layout(&dir, Pack::Gzip);
    let m = manifest_of(&dir, &d);
    // The layer's blob becomes a FIFO, and the config a link out of the layout.
    let layer = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let file = oci::blob_file(&dir, &layer);
    std::fs::remove_file(&file).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success());
    let cfg = oci::blob_file(&dir, m["config"]["digest"].as_str().unwrap());
    std::fs::remove_file(&cfg).unwrap();
    t.file("elsewhere.json", "{}");
    std::os::unix::fs::symlink(t.join("elsewhere.json"), &cfg).unwrap();
    let mut child = crate::util::spawn(t.path(), &["scan", "img"], &[], false);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > until {
            let _ = child.kill();
            panic!("scan of a layout with a FIFO blob hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not a regular file"), "{stderr}");
}

/// An image made by a real tool, Debian's `umoci`: a layer adding a `.env`, a layer deleting
/// it, and a config `Env` value, each with the history step umoci records.
#[test]
fn an_image_built_with_umoci() {
    if !oci::have("umoci", "umoci") {
        return;
    }
    let t = Tree::new();
    let umoci = |args: &[&str]| {
        let out = std::process::Command::new("umoci")
            .current_dir(t.path())
            .args(args)
            .output()
            .expect("umoci (Debian's umoci package)");
        assert!(
            out.status.success(),
            "umoci {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    umoci(&["init", "--layout", "img"]);
    umoci(&["new", "--image", "img:v1"]);
    umoci(&["unpack", "--rootless", "--image", "img:v1", "b1"]);
    t.file("b1/rootfs/app/.env", env_line(80));
    umoci(&[
        "repack",
        "--history.created_by",
        "COPY .env /app/",
        "--image",
        "img:v1",
        "b1",
    ]);
    // A fresh unpack: a repack writes what changed since its own unpack.
    umoci(&["unpack", "--rootless", "--image", "img:v1", "b2"]);
    std::fs::remove_file(t.join("b2/rootfs/app/.env")).unwrap();
    umoci(&[
        "repack",
        "--history.created_by",
        "RUN rm /app/.env",
        "--image",
        "img:v1",
        "b2",
    ]);
    let env = format!("DEPLOY_TOKEN={}", monime(81));
    umoci(&["config", "--image", "img:v1", "--config.env", &env]);
    let (code, json, stderr) = scan_json(&t, &["img"]);
    assert_eq!(code, 1, "{stderr}");
    let dotenv: Vec<&Value> = findings(&json)
        .into_iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("/app/.env"))
        .collect();
    assert_eq!(dotenv.len(), 2, "the file and the token in it: {json:#}");
    for f in dotenv {
        assert_eq!(f["image"]["instruction"], "COPY .env /app/");
        assert_eq!(f["image"]["removed"]["how"], "deleted");
        assert_eq!(f["image"]["removed"]["position"], 2);
    }
    assert_eq!(at(&json, "/Env")["rule_id"], "monime-live-token");
}

/// Images a directory scan meets (a `docker save` in the workspace, an OCI layout written by
/// `skopeo copy … oci:`) are read as images, whatever the size limit for files: a CI step
/// that saves its image and then runs `leakguard scan .` checks what it is about to push.
#[test]
fn images_in_a_scanned_tree_are_read_as_images() {
    let t = Tree::new();
    t.file("build/app.tar", oci::docker_save(&app_image(Pack::Tar)));
    oci::layout(&t.join("out/oci"), &[app_image(Pack::Gzip)]);
    t.file(
        "build/plain.tar",
        oci::tar_of(&[("conf/app.env".into(), env_line(90))]),
    );
    // The image tarball is far over the limit for one file; its files are not.
    let (code, json, stderr) = scan_json(&t, &[".", "--max-file-size", "4K"]);
    assert_eq!(code, 1, "{stderr}");
    check_app_image(&json, "build/app.tar");
    check_app_image(&json, "out/oci");
    at(&json, "build/plain.tar!/conf/app.env");
    let paths: Vec<&str> = findings(&json)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths.iter().any(|p| p.contains("blobs/sha256")),
        "{paths:#?}"
    );
}

/// `oci-layout` and `index.json` in a directory, or `manifest.json` in a tar, make it an
/// image, but never hide what lies beside the image: a directory's other files are walked,
/// and blobs or tar entries no document names are scanned as plain files. Otherwise two
/// files added at a repository's root would blind `leakguard scan .` in CI.
#[test]
fn an_image_never_hides_what_lies_beside_it() {
    let t = Tree::new();
    // The repository root is made a layout of a clean image.
    clean_layout(t.path(), Pack::Gzip);
    t.file("src/app.env", env_line(100));
    oci::blob(t.path(), &env_line(101));
    t.file("blobs/sha256/not-a-digest/x.env", env_line(102));
    let (code, json, stderr) = scan_json(&t, &["."]);
    assert_eq!(code, 1, "{stderr}");
    let mut paths: Vec<&str> = findings(&json)
        .iter()
        .filter(|f| f["rule_id"] == "monime-live-token")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    paths.sort();
    let loose = oci::digest(&env_line(101));
    assert_eq!(
        paths,
        [
            format!("blobs/sha256/{}", &loose["sha256:".len()..]),
            "blobs/sha256/not-a-digest/x.env".to_string(),
            "src/app.env".to_string(),
        ]
    );

    // A docker save tarball with an entry its manifest does not name, and a name given twice
    // (tar extracts the last: the first is read all the same).
    let mut files = vec![
        ("notes/deploy.env".to_string(), env_line(103)),
        ("notes/deploy.env".to_string(), b"clean\n".to_vec()),
    ];
    let saved = oci::docker_save(&Image::new(vec![layer(
        "COPY . /",
        Pack::Tar,
        &[("etc/motd", b"hi\n")],
    )]));
    let mut archive = tar::Archive::new(saved.as_slice());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        files.push((name, data));
    }
    let u = Tree::new();
    u.file("image.tar", oci::tar_of(&files));
    let (code, json, stderr) = scan_json(&u, &["image.tar"]);
    assert_eq!(code, 1, "{stderr}");
    let f = at(&json, "image.tar!/notes/deploy.env");
    assert_eq!(f["rule_id"], "monime-live-token");
    assert!(f.get("image").is_none());
}

#[test]
fn a_layout_blobs_folder_too_deep_to_list_makes_the_scan_incomplete() {
    let t = Tree::new();
    clean_layout(&t.join("img"), Pack::Gzip);
    t.file("img/blobs/a/b/c/d/e/f/g/h/i/deep.env", env_line(104));
    incomplete(&t, ".", &["img: blobs/ not listed to its end"]);
}

#[test]
fn no_archives_reads_images_in_a_tree_as_files() {
    let t = Tree::new();
    t.file("build/app.tar", oci::docker_save(&app_image(Pack::Tar)));
    let (code, json, stderr) = scan_json(&t, &[".", "--no-archives"]);
    // The tar is one binary file: its path rules only, no image, nothing inside it.
    assert!(code == 0 || code == 1, "{stderr}");
    assert!(
        findings(&json)
            .iter()
            .all(|f| f.get("image").is_none() && !f["path"].as_str().unwrap().contains('!')),
        "{json:#}"
    );
}
