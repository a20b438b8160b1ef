//! What an image holds, read from its JSON documents: the manifests to scan (one per
//! platform of a multi-platform index), each with its config and its layers in order, and
//! each layer with the build instruction that made it (the config's history).
//!
//! Every document is checked against its digest before it is believed. What cannot be read
//! (a missing blob, a digest that does not match, an unknown media type, an index that
//! refers to itself) is a problem to report, not an abort: the rest is still planned.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use sha2::{Digest, Sha256, Sha512};

use super::store::{blob_path, Store};

/// One image to scan: a platform's manifest.
#[derive(Debug)]
pub struct Manifest {
    /// `linux/amd64`, `linux/arm/v7`, when known.
    pub platform: Option<String>,
    pub config: Option<ImageConfig>,
    pub layers: Vec<Layer>,
}

/// The image config: its digest (the image id) and what it says.
#[derive(Debug)]
pub struct ImageConfig {
    pub digest: String,
    pub config: Config,
}

/// One layer blob.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Its name in the store (`blobs/sha256/<hex>`, `<id>/layer.tar`).
    pub blob: String,
    /// `sha256:<hex>`: how it is reported.
    pub digest: String,
    /// The digest its bytes must have, when known.
    pub verify: Option<String>,
    pub kind: LayerKind,
    /// The build instruction that made it (`RUN …`, `COPY …`), from the config's history.
    pub instruction: Option<String>,
    /// 1-based, in its image.
    pub position: usize,
}

/// What a layer blob is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKind {
    /// A file system change set: a tar, perhaps gzip or zstd compressed (the bytes say).
    Tar,
    /// Not a file system (an attestation, an SBOM: JSON): scanned as one file.
    File,
    /// A media type leakguard does not know: not read, and said so.
    Unknown(String),
}

/// The parts of an image config that are scanned or used.
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    #[serde(default)]
    pub history: Option<Vec<History>>,
}

/// How a container of the image runs: where `ENV` values and labels end up.
#[derive(Debug, Default, Deserialize)]
pub struct RunConfig {
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Cmd", default)]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Entrypoint", default)]
    pub entrypoint: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One build step. `created_by` is where build arguments leak (`RUN |1 TOKEN=… /bin/sh -c`).
#[derive(Debug, Default, Deserialize)]
pub struct History {
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub empty_layer: bool,
}

/// A `docker save` tarball's `manifest.json` entry.
#[derive(Deserialize)]
struct SavedImage {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// An OCI (or Docker) descriptor: what a document points at.
#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Deserialize)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

/// An index or a manifest: which one is told by the media type, or else by the fields.
#[derive(Deserialize)]
struct Document {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const MANIFEST_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Indexes nest (an index of platforms inside a layout's index): this deep at most.
const MAX_DEPTH: usize = 8;

/// What [`plan`] found: the manifests to scan, the problems met, and every file of the
/// store the image's documents name (on any platform), read or not.
pub struct Plan {
    pub manifests: Vec<Manifest>,
    pub problems: Vec<String>,
    pub named: HashSet<String>,
}

/// The manifests of the image in `store`, for `platform` (`os/arch[/variant]`) or all.
pub fn plan(store: &Store, platform: Option<&str>) -> Plan {
    let mut p = Planner {
        store,
        problems: Vec::new(),
        seen: HashSet::new(),
        out: Vec::new(),
        named: HashSet::new(),
    };
    #[cfg(feature = "https")]
    if let Store::Registry(r) = store {
        // A digest reference is checked like every other document; a tag's is what the
        // registry serves under it.
        let digest = super::store::blob_path(&r.at.reference).map(|_| r.at.reference.clone());
        let top = r
            .top()
            .map_err(|e| e.to_string())
            .and_then(|b| match &digest {
                Some(d) => check(d, &b).map(|()| b),
                None => Ok(b),
            });
        match top.and_then(parse_doc) {
            Ok(doc) => {
                p.seen.extend(digest);
                p.document(doc, None, 0)
            }
            Err(e) => p.problems.push(e),
        }
        return finish(p, platform);
    }
    // An OCI layout first: `docker save` since Docker 25 writes one beside its manifest.json,
    // and only the layout carries media types and platforms.
    if store.has("oci-layout") && store.has("index.json") {
        p.named
            .extend(["oci-layout".to_string(), "index.json".to_string()]);
        match store
            .read("index.json")
            .map_err(|e| e.to_string())
            .and_then(parse_doc)
        {
            Ok(doc) => p.document(doc, None, 0),
            Err(e) => p.problems.push(format!("index.json cannot be read: {e}")),
        }
    } else {
        p.named.insert("manifest.json".to_string());
        p.saved();
    }
    finish(p, platform)
}

/// The manifests planned, for `platform` or all, and the problems met.
fn finish(mut p: Planner<'_>, platform: Option<&str>) -> Plan {
    if p.out.is_empty() && p.problems.is_empty() {
        p.problems.push("holds no image manifest".into());
    }
    let mut manifests = p.out;
    if let Some(want) = platform {
        let all: Vec<String> = manifests
            .iter()
            .filter_map(|m| m.platform.clone())
            .collect();
        manifests.retain(|m| m.platform.as_deref().is_some_and(|p| matches(p, want)));
        if manifests.is_empty() {
            let has = if all.is_empty() {
                "none".to_string()
            } else {
                all.join(", ")
            };
            p.problems
                .push(format!("no image for platform {want} (platforms: {has})"));
        }
    }
    Plan {
        manifests,
        problems: p.problems,
        named: p.named,
    }
}

/// `linux/arm64` asks for `linux/arm64` and `linux/arm64/v8`.
fn matches(platform: &str, want: &str) -> bool {
    platform == want
        || platform
            .strip_prefix(want)
            .is_some_and(|rest| rest.starts_with('/'))
}

struct Planner<'a> {
    store: &'a Store,
    problems: Vec<String>,
    /// Documents already followed: an index that refers to itself (or a cycle) stops here.
    seen: HashSet<String>,
    out: Vec<Manifest>,
    /// The store's files the documents name.
    named: HashSet<String>,
}

impl Planner<'_> {
    /// A `docker save` tarball's `manifest.json`: one entry per saved image.
    fn saved(&mut self) {
        let saved: Vec<SavedImage> = match self
            .store
            .read("manifest.json")
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(s) => s,
            Err(e) => {
                return self
                    .problems
                    .push(format!("manifest.json cannot be read: {e}"))
            }
        };
        for image in saved {
            // `<hex>.json` (Docker before 25) or `blobs/sha256/<hex>`: its name is its digest.
            let config_digest = named_digest(&image.config);
            let config = self.config(&image.config, config_digest.as_deref());
            let diff_ids = config
                .as_ref()
                .and_then(|c| c.config.rootfs.as_ref())
                .map(|r| r.diff_ids.clone())
                .unwrap_or_default();
            let layers = image
                .layers
                .iter()
                .enumerate()
                .map(|(i, blob)| {
                    // A saved layer is an uncompressed tar: its digest is its diff id.
                    let digest = named_digest(blob).or_else(|| {
                        (diff_ids.len() == image.layers.len()).then(|| diff_ids[i].clone())
                    });
                    Layer {
                        blob: blob.trim_start_matches("./").to_string(),
                        digest: digest.clone().unwrap_or_else(|| blob.clone()),
                        verify: digest,
                        kind: LayerKind::Tar,
                        instruction: None,
                        position: i + 1,
                    }
                })
                .collect();
            self.push(None, config, layers);
        }
    }

    /// An index's or a manifest's document, reached through `platform`'s descriptor.
    fn document(&mut self, doc: Document, platform: Option<String>, depth: usize) {
        let is_index = match doc.media_type.as_deref() {
            Some(t) if INDEX_TYPES.contains(&t) => true,
            Some(t) if MANIFEST_TYPES.contains(&t) => false,
            _ => doc.manifests.is_some(),
        };
        if is_index {
            for d in doc.manifests.unwrap_or_default() {
                let platform = d.platform.as_ref().map(Platform::name).or(platform.clone());
                self.descriptor(d, platform, depth + 1);
            }
            return;
        }
        if doc.config.is_none() && doc.layers.is_none() {
            let what = "is neither an image index nor an image manifest";
            return self.problems.push(format!(
                "{} {what}",
                platform.as_deref().unwrap_or("a document")
            ));
        }
        let config = doc.config.and_then(|d| match blob_path(&d.digest) {
            Some(path) => self.config(&path, Some(&d.digest)),
            None => {
                self.problems
                    .push(format!("config digest {} is not a digest", d.digest));
                None
            }
        });
        let mut layers = Vec::new();
        for (i, d) in doc.layers.unwrap_or_default().into_iter().enumerate() {
            let Some(blob) = blob_path(&d.digest) else {
                self.problems
                    .push(format!("layer digest {} is not a digest", d.digest));
                continue;
            };
            layers.push(Layer {
                blob,
                digest: d.digest.clone(),
                verify: Some(d.digest),
                kind: layer_kind(&d.media_type),
                instruction: None,
                position: i + 1,
            });
        }
        self.push(platform, config, layers);
    }

    /// Follows a descriptor in an index: a manifest or another index.
    fn descriptor(&mut self, d: Descriptor, platform: Option<String>, depth: usize) {
        let known = INDEX_TYPES.contains(&d.media_type.as_str())
            || MANIFEST_TYPES.contains(&d.media_type.as_str())
            || d.media_type.is_empty();
        if !known {
            let what = &d.media_type;
            return self.problems.push(format!(
                "manifest {} has an unknown media type {what}",
                d.digest
            ));
        }
        if depth > MAX_DEPTH || !self.seen.insert(d.digest.clone()) {
            return self.problems.push(format!(
                "index entry {} refers back to an index already read (a cycle), or nests over {MAX_DEPTH} deep",
                d.digest
            ));
        }
        if blob_path(&d.digest).is_none() {
            return self
                .problems
                .push(format!("manifest digest {} is not a digest", d.digest));
        }
        self.named.extend(blob_path(&d.digest));
        let doc = self.store.manifest(&d.digest).map_err(|e| e.to_string());
        match doc
            .and_then(|b| check(&d.digest, &b).map(|()| b))
            .and_then(parse_doc)
        {
            Ok(doc) => self.document(doc, platform, depth),
            Err(e) => self.problems.push(format!("manifest {}: {e}", d.digest)),
        }
    }

    /// The config at `path`, checked against `digest`.
    fn config(&mut self, path: &str, digest: Option<&str>) -> Option<ImageConfig> {
        self.named.insert(path.trim_start_matches("./").to_string());
        let bytes = match digest {
            Some(d) => self.verified(path, d),
            None => self.store.read(path).map_err(|e| e.to_string()),
        };
        let parsed =
            bytes.and_then(|b| serde_json::from_slice::<Config>(&b).map_err(|e| e.to_string()));
        match parsed {
            Ok(config) => Some(ImageConfig {
                digest: digest.unwrap_or(path).to_string(),
                config,
            }),
            Err(e) => {
                self.problems
                    .push(format!("config {}: {e}", digest.unwrap_or(path)));
                None
            }
        }
    }

    /// The blob at `path`, whose bytes must have `digest`.
    fn verified(&self, path: &str, digest: &str) -> Result<Vec<u8>, String> {
        let bytes = self.store.read(path).map_err(|e| e.to_string())?;
        match check(digest, &bytes) {
            Ok(()) => Ok(bytes),
            Err(e) => Err(e),
        }
    }

    /// One manifest: its layers given their build instructions and positions.
    fn push(
        &mut self,
        platform: Option<String>,
        config: Option<ImageConfig>,
        mut layers: Vec<Layer>,
    ) {
        self.named.extend(layers.iter().map(|l| l.blob.clone()));
        let c = config.as_ref().map(|c| &c.config);
        let platform = platform.or_else(|| c.and_then(Config::platform));
        let made: Vec<&str> = c
            .and_then(|c| c.history.as_ref())
            .map(|h| {
                h.iter()
                    .filter(|s| !s.empty_layer)
                    .map(|s| s.created_by.as_deref().unwrap_or(""))
                    .collect()
            })
            .unwrap_or_default();
        // Only when every layer has its step: otherwise a guess would name the wrong one.
        if made.len() == layers.len() {
            for (l, by) in layers.iter_mut().zip(made) {
                l.instruction = (!by.is_empty()).then(|| by.to_string());
            }
        }
        self.out.push(Manifest {
            platform,
            config,
            layers,
        });
    }
}

impl Platform {
    fn name(&self) -> String {
        let mut s = format!("{}/{}", self.os, self.architecture);
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            s.push('/');
            s.push_str(v);
        }
        s
    }
}

impl Config {
    fn platform(&self) -> Option<String> {
        let (os, arch) = (self.os.as_deref()?, self.architecture.as_deref()?);
        Some(
            Platform {
                os: os.into(),
                architecture: arch.into(),
                variant: self.variant.clone(),
            }
            .name(),
        )
    }
}

fn parse_doc(bytes: Vec<u8>) -> Result<Document, String> {
    serde_json::from_slice(&bytes).map_err(|e| format!("not an image index or manifest: {e}"))
}

/// The digest a blob's name says it has: `blobs/sha256/<hex>` or `<hex>.json`.
fn named_digest(name: &str) -> Option<String> {
    let name = name.trim_start_matches("./");
    let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(h) = name.strip_prefix("blobs/sha256/").filter(|h| hex(h)) {
        return Some(format!("sha256:{h}"));
    }
    name.strip_suffix(".json")
        .filter(|h| hex(h))
        .map(|h| format!("sha256:{h}"))
}

/// What a layer descriptor's media type says it is.
fn layer_kind(media_type: &str) -> LayerKind {
    if media_type.starts_with("application/vnd.oci.image.layer.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.")
    {
        LayerKind::Tar
    } else if media_type.ends_with("json") {
        LayerKind::File
    } else {
        LayerKind::Unknown(media_type.to_string())
    }
}

/// Whether `bytes` have `digest` (sha256 or sha512).
pub fn check(digest: &str, bytes: &[u8]) -> Result<(), String> {
    let mut h = Hasher::new(digest)?;
    h.update(bytes);
    h.finish()
}

/// A running check of a blob read in pieces against its digest.
pub struct Hasher {
    digest: String,
    state: State,
}

enum State {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(digest: &str) -> Result<Hasher, String> {
        let state = match digest.split_once(':').map(|(a, _)| a) {
            Some("sha256") => State::Sha256(Sha256::new()),
            Some("sha512") => State::Sha512(Sha512::new()),
            _ => return Err(format!("{digest} is not a sha256 or sha512 digest")),
        };
        Ok(Hasher {
            digest: digest.to_string(),
            state,
        })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.state {
            State::Sha256(h) => h.update(bytes),
            State::Sha512(h) => h.update(bytes),
        }
    }

    /// `Err` when what was read does not have the digest.
    pub fn finish(self) -> Result<(), String> {
        let got: Vec<u8> = match self.state {
            State::Sha256(h) => h.finalize().to_vec(),
            State::Sha512(h) => h.finalize().to_vec(),
        };
        let hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
        let want = self.digest.split_once(':').map_or("", |(_, h)| h);
        match hex.eq_ignore_ascii_case(want) {
            true => Ok(()),
            false => Err(format!(
                "its content does not match its digest {}",
                self.digest
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_match_with_or_without_a_variant() {
        assert!(matches("linux/arm64/v8", "linux/arm64"));
        assert!(matches("linux/amd64", "linux/amd64"));
        assert!(!matches("linux/amd64", "linux/arm64"));
        assert!(!matches("linux/arm64x", "linux/arm64"));
    }

    #[test]
    fn layer_media_types() {
        for t in [
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar+zstd",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        ] {
            assert_eq!(layer_kind(t), LayerKind::Tar, "{t}");
        }
        assert_eq!(layer_kind("application/vnd.in-toto+json"), LayerKind::File);
        assert!(matches!(
            layer_kind("application/x-bogus"),
            LayerKind::Unknown(_)
        ));
    }

    #[test]
    fn digests_are_checked() {
        let d = format!("sha256:{:x}", Sha256::digest(b"abc"));
        assert_eq!(check(&d, b"abc"), Ok(()));
        assert!(check(&d, b"abd").is_err());
        assert!(check("md5:00", b"abc").is_err());
        assert_eq!(
            named_digest(&format!("blobs/sha256/{}", "a".repeat(64))),
            Some(format!("sha256:{}", "a".repeat(64)))
        );
        assert_eq!(
            named_digest(&format!("{}.json", "b".repeat(64))),
            Some(format!("sha256:{}", "b".repeat(64)))
        );
        assert_eq!(named_digest("abc/layer.tar"), None);
    }
}
