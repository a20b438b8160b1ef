//! Container images written by the tests, following the OCI image spec (image-layout,
//! manifest, index, config) and `docker save`'s format: layers are tars made with the `tar`
//! crate, compressed with gzip or zstd, every blob named by its sha256.

use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How a layer blob is stored.
#[derive(Clone, Copy)]
pub enum Pack {
    Tar,
    Gzip,
    Zstd,
}

/// One layer: its files (a name `dir/.wh.x` is a whiteout), and the build step that made it.
pub struct Layer {
    pub files: Vec<(String, Vec<u8>)>,
    pub pack: Pack,
    pub created_by: String,
}

pub fn layer(created_by: &str, pack: Pack, files: &[(&str, &[u8])]) -> Layer {
    Layer {
        files: files
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect(),
        pack,
        created_by: created_by.to_string(),
    }
}

/// One image: its layers, its config's `Env` and labels, build steps that made no layer
/// (`ARG`, `ENV`), and its platform.
pub struct Image {
    pub layers: Vec<Layer>,
    pub env: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// Steps recorded before the layers' (empty layers).
    pub steps: Vec<String>,
    pub arch: &'static str,
}

impl Image {
    pub fn new(layers: Vec<Layer>) -> Image {
        Image {
            layers,
            env: vec!["PATH=/usr/local/bin:/usr/bin:/bin".into()],
            labels: Vec::new(),
            steps: Vec::new(),
            arch: "amd64",
        }
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// An uncompressed tar of `files`.
pub fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn packed(tar: &[u8], pack: Pack) -> (Vec<u8>, &'static str) {
    use std::io::Write;
    match pack {
        Pack::Tar => (tar.to_vec(), "application/vnd.oci.image.layer.v1.tar"),
        Pack::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(tar).unwrap();
            (
                e.finish().unwrap(),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        }
        Pack::Zstd => (
            zstd::stream::encode_all(tar, 3).unwrap(),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
    }
}

/// The config of `image`, with `diff_ids`.
fn config(image: &Image, diff_ids: &[String]) -> Vec<u8> {
    let mut history: Vec<Value> = image
        .steps
        .iter()
        .map(|s| json!({"created_by": s, "empty_layer": true}))
        .collect();
    history.extend(
        image
            .layers
            .iter()
            .map(|l| json!({"created_by": l.created_by})),
    );
    let labels: serde_json::Map<String, Value> = image
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    serde_json::to_vec(&json!({
        "architecture": image.arch,
        "os": "linux",
        "config": {"Env": image.env, "Labels": labels, "Cmd": ["/app/run"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .unwrap()
}

/// An OCI image layout in `dir`: one manifest per image, under an index of the platforms
/// when there are several. Returns the index.json's manifests' digests.
pub fn layout(dir: &Path, images: &[Image]) -> Vec<String> {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let mut manifests = Vec::new();
    for image in images {
        let mut layers = Vec::new();
        let mut diff_ids = Vec::new();
        for l in &image.layers {
            let tar = tar_of(&l.files);
            diff_ids.push(digest(&tar));
            let (bytes, media) = packed(&tar, l.pack);
            layers.push(
                json!({"mediaType": media, "digest": blob(dir, &bytes), "size": bytes.len()}),
            );
        }
        let cfg = config(image, &diff_ids);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(dir, &cfg), "size": cfg.len()},
            "layers": layers,
        }))
        .unwrap();
        manifests.push(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": blob(dir, &manifest),
            "size": manifest.len(),
            "platform": {"os": "linux", "architecture": image.arch},
        }));
    }
    let digests = manifests
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect();
    let top = if manifests.len() > 1 {
        // A multi-platform image: the layout's index points at the image's index.
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        }))
        .unwrap();
        vec![
            json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": blob(dir, &index), "size": index.len()}),
        ]
    } else {
        manifests
    };
    write_index(dir, &top);
    digests
}

/// Writes `oci-layout` and an `index.json` of `manifests`.
pub fn write_index(dir: &Path, manifests: &[Value]) {
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Writes `bytes` as a blob of the layout in `dir`; its digest.
pub fn blob(dir: &Path, bytes: &[u8]) -> String {
    let d = digest(bytes);
    let path = dir.join("blobs/sha256").join(&d["sha256:".len()..]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    d
}

/// The blob file of `digest` in the layout at `dir`.
pub fn blob_file(dir: &Path, digest: &str) -> std::path::PathBuf {
    dir.join("blobs/sha256").join(&digest["sha256:".len()..])
}

/// A tar of the directory `dir` (an `oci-archive`).
pub fn archive_of(dir: &Path) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(".", dir).unwrap();
    b.into_inner().unwrap()
}

/// A `docker save` tarball (Docker before 25): `manifest.json`, the config as `<hex>.json`,
/// each layer an uncompressed `<id>/layer.tar`.
pub fn docker_save(image: &Image) -> Vec<u8> {
    let mut files = Vec::new();
    let mut names = Vec::new();
    let mut diff_ids = Vec::new();
    for (i, l) in image.layers.iter().enumerate() {
        let tar = tar_of(&l.files);
        diff_ids.push(digest(&tar));
        let name = format!("{:064x}/layer.tar", i + 1);
        files.push((name.clone(), tar));
        names.push(name);
    }
    let cfg = config(image, &diff_ids);
    let cfg_name = format!("{}.json", &digest(&cfg)["sha256:".len()..]);
    files.push((cfg_name.clone(), cfg));
    let manifest = json!([{"Config": cfg_name, "RepoTags": ["example/app:1"], "Layers": names}]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    tar_of(&files)
}

/// Whether the tool `program` (a Debian package's) runs. A test that needs it is skipped
/// without it (so that `cargo test` passes on a fresh machine), unless
/// `LEAKGUARD_REQUIRE_IMAGE_TOOLS` is set (CI sets it to 1): then a missing tool fails.
#[allow(clippy::print_stderr, dead_code)]
pub fn have(program: &str, package: &str) -> bool {
    let runs = std::process::Command::new(program)
        .arg("--help")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !runs {
        let msg = format!("{program} is not installed (Debian: apt-get install {package})");
        match std::env::var("LEAKGUARD_REQUIRE_IMAGE_TOOLS") {
            Ok(v) if !v.is_empty() && v != "0" => {
                panic!("{msg} (LEAKGUARD_REQUIRE_IMAGE_TOOLS={v})")
            }
            _ => eprintln!("SKIPPED: {msg}"),
        }
    }
    runs
}
