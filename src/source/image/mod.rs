//! Container images: a `docker save` tarball, an OCI image layout directory, or an
//! `oci-archive` tar, named on `scan`'s command line.
//!
//! The image config is scanned first (`Env`, labels, `Cmd`, `Entrypoint`, and the history's
//! `created_by` commands, where build arguments leak), then every layer in order. Each layer
//! is streamed (gzip and zstd decompressed on the fly, under the archives' bomb ratio) and
//! its files are handed to the pipeline at `image.tar!sha256:<layer>/<path>`. A file whose
//! bytes an earlier layer already shipped is not scanned again; a layer shared by several
//! platforms is read once. A file a later layer deletes or overwrites is still reported,
//! since pulling the image still gets it: after the scan, [`Images::attribute`] names the
//! layer, its build instruction and the layer that hid the file.

mod plan;
#[cfg(feature = "https")]
mod registry;
mod store;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::cancel::Cancel;
use crate::chunk::{window_size, Content, Item, Limits, Origin, OriginKind, Sink};
use crate::finding::{Finding, ImagePlace, Removed};
use plan::{Hasher, LayerKind, Manifest};
use store::Store;

/// A layer may hold this many entries (a base image's biggest layers hold tens of
/// thousands)…
const MAX_LAYER_ENTRIES: u64 = 2_000_000;
/// …and expand to this many bytes; a bomb is stopped earlier by the compression ratio.
const MAX_LAYER_BYTES: u64 = 64 << 30;

/// The images among the paths given to `scan`.
pub struct Images {
    list: Vec<Image>,
    platform: Option<String>,
}

struct Image {
    /// As given on the command line, `/`-separated: the start of every path reported.
    shown: String,
    store: Store,
}

/// Whether `path` names an image in a registry (`registry://…`).
pub fn is_registry(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with("registry://"))
}

/// Splits `paths` into images (tarballs, layouts, registry references) and the rest, which
/// are walked. `ca_files` are more trust roots for registries. `Err` names a registry
/// reference that cannot be used.
pub fn split(
    paths: &[PathBuf],
    platform: Option<&str>,
    ca_files: &[PathBuf],
) -> anyhow::Result<(Images, Vec<PathBuf>)> {
    let mut list = Vec::new();
    let mut rest = Vec::new();
    for p in paths {
        if is_registry(p) {
            let shown = p.to_string_lossy().into_owned();
            list.push(Image {
                store: registry(&shown, ca_files)?,
                shown,
            });
            continue;
        }
        let store = match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => Store::dir(p),
            Ok(m) if m.is_file() => Store::tar(p).ok().flatten(),
            _ => None,
        };
        match store {
            Some(store) => list.push(Image {
                shown: crate::source::worktree::slash_path(p),
                store,
            }),
            None => rest.push(p.clone()),
        }
    }
    let platform = platform.map(str::to_string);
    Ok((Images { list, platform }, rest))
}

#[cfg(feature = "https")]
fn registry(reference: &str, ca_files: &[PathBuf]) -> anyhow::Result<Store> {
    let at = registry::parse(reference).map_err(anyhow::Error::msg)?;
    let r = registry::Registry::new(at, ca_files).map_err(anyhow::Error::msg)?;
    Ok(Store::Registry(Box::new(r)))
}

#[cfg(not(feature = "https"))]
fn registry(reference: &str, _: &[PathBuf]) -> anyhow::Result<Store> {
    anyhow::bail!(
        "cannot scan {reference}: reading registries needs a build with the `https` feature \
         (the release binaries have it; `cargo install leakguard-cli --features https`)"
    )
}

/// Where a finding's origin is in an image: the tag each origin carries is 1 + its index.
struct Place {
    image: usize,
    /// Index into [`Scan::layers`]; `None` for the config.
    layer: Option<usize>,
    /// The config's digest, for a place in it.
    config: Option<String>,
    platform: Option<String>,
    /// The file's path in its layer.
    path: String,
    hash: Option<[u8; 16]>,
}

/// One layer as scanned, and what it did to paths (for what later layers hide).
struct ScannedLayer {
    digest: String,
    position: usize,
    instruction: Option<String>,
    touched: HashMap<String, Touch>,
    /// The layers above it in its image, in order (indexes into [`Scan::layers`]).
    above: Vec<usize>,
}

/// What a layer did to a path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Touch {
    Write(Option<[u8; 16]>),
    /// A whiteout: `.wh.<name>` deletes the name below (and all under it).
    Delete,
    /// An opaque directory: `.wh..wh..opq` hides everything below it from lower layers.
    Opaque,
}

/// What the feed learnt, for [`Images::attribute`].
#[derive(Default)]
pub struct Scan {
    places: Vec<Place>,
    layers: Vec<ScannedLayer>,
}

/// A file to scan, sent from the thread reading layers to the scanning threads.
enum Job {
    Bytes(Origin, Vec<u8>),
    TooLarge(Origin),
}

impl Images {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Scans every image: its config, then its layers, read by this thread and scanned by
    /// `limits.threads` sinks made by `make`.
    pub fn feed<S: Sink>(
        &self,
        limits: Limits,
        cancel: &Cancel,
        make: &(dyn Fn() -> S + Sync),
    ) -> Scan {
        let mut scan = Scan::default();
        let threads = match limits.threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let (tx, rx) = sync_channel::<Job>(threads * 2);
        let rx = Mutex::new(rx);
        std::thread::scope(|s| {
            for _ in 0..threads {
                let rx = &rx;
                s.spawn(move || work(rx, &mut make()));
            }
            let mut own = make();
            let mut reader = LayerReader {
                limits,
                cancel,
                tx,
                own: &mut own,
                seen: HashSet::new(),
                read: HashSet::new(),
            };
            for (i, image) in self.list.iter().enumerate() {
                if cancel.is_cancelled() {
                    break;
                }
                let (manifests, problems) = plan::plan(&image.store, self.platform.as_deref());
                // Each image file reports what it holds, whatever another one shares with it.
                reader.seen.clear();
                reader.read.clear();
                let origin = Origin::file(&image.shown);
                for p in problems {
                    reader.own.take(Item {
                        content: Content::Unreadable(p),
                        origins: std::slice::from_ref(&origin),
                    });
                }
                for m in &manifests {
                    reader.image(i, image, m, &mut scan);
                }
            }
            drop(reader);
        });
        scan
    }

    /// The findings of a run whose images [`Images::feed`] fed: each found in an image is
    /// told its layer, the instruction that made it, and what later layers did to its file.
    pub fn attribute(&self, scan: &Scan, found: Vec<(u32, Finding)>) -> Vec<Finding> {
        // Build instructions quote build arguments and commands: every secret found in the
        // images is hidden in them.
        let secrets: Vec<(String, String)> = found
            .iter()
            .filter(|(t, _)| *t > 0)
            .map(|(_, f)| (f.secret_display(true).to_string(), f.redacted.clone()))
            .filter(|(s, _)| s.len() >= 4)
            .collect();
        found
            .into_iter()
            .map(|(tag, mut f)| {
                let place = tag.checked_sub(1).and_then(|i| scan.places.get(i as usize));
                if let Some(p) = place {
                    let image = &self.list[p.image].shown;
                    f.image = Some(scan.place(p, &secrets));
                    mark(&mut f, image);
                }
                f
            })
            .collect()
    }
}

/// A scanning thread: files from the reading thread, scanned until it is done.
fn work<S: Sink>(rx: &Mutex<Receiver<Job>>, sink: &mut S) {
    loop {
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let (content, origin) = match &job {
            Job::Bytes(o, bytes) => (Content::Bytes(bytes), o),
            Job::TooLarge(o) => (Content::TooLarge, o),
        };
        sink.take(Item {
            content,
            origins: std::slice::from_ref(origin),
        });
    }
}

/// The reading thread's state across images.
struct LayerReader<'a, S> {
    limits: Limits,
    cancel: &'a Cancel,
    tx: SyncSender<Job>,
    /// Reports problems and scans entries too big to send (streamed in windows).
    own: &'a mut S,
    /// The content hashes of files already sent: the same bytes in another layer are not
    /// scanned again.
    seen: HashSet<[u8; 16]>,
    /// Layers and configs already read (shared by platforms, or by images in one tarball).
    read: HashSet<String>,
}

impl<S: Sink> LayerReader<'_, S> {
    fn image(&mut self, i: usize, image: &Image, m: &Manifest, scan: &mut Scan) {
        if let Some(c) = m
            .config
            .as_ref()
            .filter(|c| self.read.insert(c.digest.clone()))
        {
            for (name, text) in config_files(&c.config) {
                let tag = scan.add(Place {
                    image: i,
                    layer: None,
                    config: Some(c.digest.clone()),
                    platform: m.platform.clone(),
                    path: name.to_string(),
                    hash: None,
                });
                let mut origin = blob_origin(&image.shown, &c.digest, Some(name));
                origin.tag = tag;
                self.send(Job::Bytes(origin, text.into_bytes()));
            }
        }
        let first = scan.layers.len();
        for (n, l) in m.layers.iter().enumerate() {
            if self.cancel.is_cancelled() {
                return;
            }
            let above = (first + n + 1..first + m.layers.len()).collect();
            scan.layers.push(ScannedLayer {
                digest: l.digest.clone(),
                position: l.position,
                instruction: l.instruction.clone(),
                touched: HashMap::new(),
                above,
            });
            if !self.read.insert(l.digest.clone()) {
                continue;
            }
            let at = LayerAt {
                image: i,
                shown: &image.shown,
                index: first + n,
                platform: m.platform.clone(),
            };
            let origin = blob_origin(&image.shown, &l.digest, None);
            let result = match &l.kind {
                LayerKind::Tar => self.tar(&image.store, l, &at, scan),
                LayerKind::File => self.file(&image.store, l, &at, scan),
                LayerKind::Unknown(t) => Err(format!("layer has an unknown media type {t}")),
            };
            if let Err(e) = result {
                self.own.take(Item {
                    content: Content::Unreadable(e),
                    origins: std::slice::from_ref(&origin),
                });
            }
        }
    }

    fn send(&mut self, job: Job) {
        // The scanning threads outlive the reader: a send fails only if they all panicked.
        let _ = self.tx.send(job);
    }

    /// A layer that is not a file system: one file.
    fn file(
        &mut self,
        store: &Store,
        l: &plan::Layer,
        at: &LayerAt<'_>,
        scan: &mut Scan,
    ) -> Result<(), String> {
        let (mut raw, size) = store.open(&l.blob).map_err(|e| e.to_string())?;
        let mut origin = blob_origin(at.shown, &l.digest, None);
        origin.tag = scan.add(at.place(String::new(), None));
        if !self.limits.admits(size) {
            self.send(Job::TooLarge(origin));
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(size as usize);
        raw.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        if let Some(d) = &l.verify {
            plan::check(d, &bytes)?;
        }
        self.send(Job::Bytes(origin, bytes));
        Ok(())
    }

    /// A file system layer: each regular file sent to be scanned, each path it touches
    /// recorded.
    fn tar(
        &mut self,
        store: &Store,
        l: &plan::Layer,
        at: &LayerAt<'_>,
        scan: &mut Scan,
    ) -> Result<(), String> {
        let (raw, _) = store.open(&l.blob).map_err(|e| e.to_string())?;
        let hasher = match &l.verify {
            Some(d) => Some(Hasher::new(d)?),
            None => None,
        };
        let blob = Rc::new(RefCell::new(Hashing { inner: raw, hasher }));
        let consumed = Rc::new(std::cell::Cell::new(0u64));
        let counted = Counting {
            inner: Shared(blob.clone()),
            consumed: consumed.clone(),
        };
        let mut head = io::BufReader::with_capacity(64 << 10, counted);
        let first = {
            use io::BufRead;
            head.fill_buf().map_err(|e| e.to_string())?.to_vec()
        };
        let stream: Box<dyn Read> = match crate::source::archive::sniff(&first) {
            Some(crate::source::archive::Format::Gzip) => {
                Box::new(flate2::read::MultiGzDecoder::new(head))
            }
            Some(crate::source::archive::Format::Zstd) => {
                let mut d =
                    zstd::stream::read::Decoder::with_buffer(head).map_err(|e| e.to_string())?;
                d.window_log_max(26).map_err(|e| e.to_string())?;
                Box::new(d)
            }
            Some(crate::source::archive::Format::Tar) => Box::new(head),
            // An empty layer (no files) is an empty tar: two zero blocks, no magic.
            _ if first.iter().all(|&b| b == 0) => Box::new(head),
            _ => return Err("layer is not a tar, nor a gzip or zstd compressed tar".into()),
        };
        let bomb = Rc::new(std::cell::Cell::new(false));
        let bounded = Ratio {
            inner: stream,
            produced: 0,
            consumed,
            bomb: bomb.clone(),
        };
        let read = self.entries(bounded, l, at, scan);
        if bomb.get() {
            return Err(format!(
                "layer not read to its end: it expands to more than {} times its compressed size (a decompression bomb)",
                crate::source::archive::MAX_RATIO
            ));
        }
        read?;
        if self.cancel.is_cancelled() {
            return Ok(());
        }
        // The rest of the blob (the tar's padding, the compressor's end) counts for its digest.
        io::copy(&mut Shared(blob.clone()), &mut io::sink()).map_err(|e| e.to_string())?;
        let hashing = Rc::try_unwrap(blob).map_err(|_| "layer still in use".to_string())?;
        match hashing.into_inner().hasher {
            Some(h) => h.finish(),
            None => Ok(()),
        }
    }

    fn entries(
        &mut self,
        stream: impl Read,
        l: &plan::Layer,
        at: &LayerAt<'_>,
        scan: &mut Scan,
    ) -> Result<(), String> {
        let mut archive = tar::Archive::new(stream);
        let (mut count, mut bytes) = (0u64, 0u64);
        let entries = archive.entries().map_err(|e| e.to_string())?;
        for e in entries {
            if self.cancel.is_cancelled() {
                return Ok(());
            }
            let mut e = e.map_err(|e| format!("layer not read to its end: {e}"))?;
            count += 1;
            bytes = bytes.saturating_add(e.size());
            if count > MAX_LAYER_ENTRIES || bytes > MAX_LAYER_BYTES {
                return Err(format!(
                    "layer not read to its end: over {MAX_LAYER_ENTRIES} files or {} GiB",
                    MAX_LAYER_BYTES >> 30
                ));
            }
            let raw_name = e.path_bytes().into_owned();
            let name = normal(&raw_name);
            let (dir, base) = match name.rsplit_once('/') {
                Some((d, b)) => (d, b),
                None => ("", name.as_str()),
            };
            if base == ".wh..wh..opq" {
                scan.layers[at.index]
                    .touched
                    .insert(dir.to_string(), Touch::Opaque);
                continue;
            }
            if let Some(gone) = base.strip_prefix(".wh.") {
                let gone = if dir.is_empty() {
                    gone.to_string()
                } else {
                    format!("{dir}/{gone}")
                };
                scan.layers[at.index].touched.insert(gone, Touch::Delete);
                continue;
            }
            let kind = e.header().entry_type();
            if !(kind.is_file() || kind == tar::EntryType::Continuous) {
                continue;
            }
            let size = e.size();
            let mut origin = blob_origin(
                at.shown,
                &l.digest,
                Some(&crate::chunk::printable_name(name.as_bytes())),
            );
            origin.path = format!("{}!{}/{}", at.shown, short(&l.digest), name);
            if !self.limits.admits(size) {
                scan.layers[at.index]
                    .touched
                    .insert(name.clone(), Touch::Write(None));
                origin.tag = scan.add(at.place(name, None));
                self.send(Job::TooLarge(origin));
                continue;
            }
            if size > window_size() as u64 {
                scan.layers[at.index]
                    .touched
                    .insert(name.clone(), Touch::Write(None));
                origin.tag = scan.add(at.place(name, None));
                let origins = [origin];
                crate::source::stream(self.own, (&mut e).take(size), self.cancel, &origins);
                continue;
            }
            let mut data = Vec::with_capacity(size as usize);
            e.read_to_end(&mut data)
                .map_err(|err| format!("layer not read to its end: {name}: {err}"))?;
            let hash = (!data.is_empty()).then(|| {
                let d = Sha256::digest(&data);
                let mut h = [0u8; 16];
                h.copy_from_slice(&d[..16]);
                h
            });
            scan.layers[at.index]
                .touched
                .insert(name.clone(), Touch::Write(hash));
            let again = hash.is_some_and(|h| !self.seen.insert(h));
            if again {
                continue;
            }
            origin.tag = scan.add(at.place(name, hash));
            self.send(Job::Bytes(origin, data));
        }
        Ok(())
    }
}

/// Which layer of which image an entry is in.
struct LayerAt<'a> {
    image: usize,
    shown: &'a str,
    index: usize,
    platform: Option<String>,
}

impl LayerAt<'_> {
    fn place(&self, path: String, hash: Option<[u8; 16]>) -> Place {
        Place {
            image: self.image,
            layer: Some(self.index),
            config: None,
            platform: self.platform.clone(),
            path,
            hash,
        }
    }
}

impl Scan {
    /// Records a place; its tag.
    fn add(&mut self, place: Place) -> u32 {
        self.places.push(place);
        u32::try_from(self.places.len()).unwrap_or(u32::MAX)
    }

    /// What a finding at `p` is told about its place in the image.
    fn place(&self, p: &Place, secrets: &[(String, String)]) -> ImagePlace {
        let layer = p.layer.map(|i| &self.layers[i]);
        ImagePlace {
            layer: layer.map(|l| l.digest.clone()),
            config: p.config.clone(),
            position: layer.map(|l| l.position),
            instruction: layer
                .and_then(|l| l.instruction.as_deref())
                .map(|i| shown_instruction(i, secrets)),
            platform: p.platform.clone(),
            removed: p.layer.and_then(|i| self.removed(i, &p.path, p.hash)),
        }
    }

    /// The first layer above `layer` that deletes or replaces `path`: the file is hidden
    /// from a container, but still in the image.
    fn removed(&self, layer: usize, path: &str, hash: Option<[u8; 16]>) -> Option<Removed> {
        for &i in &self.layers[layer].above {
            let l = &self.layers[i];
            let how = match l.touched.get(path) {
                // The same bytes again (a `chmod`, a re-copy): still there.
                Some(Touch::Write(h)) if hash.is_some() && *h == hash => None,
                Some(Touch::Write(_)) => Some("overwritten"),
                Some(Touch::Delete) => Some("deleted"),
                _ => ancestors(path)
                    .any(|d| matches!(l.touched.get(d), Some(Touch::Delete | Touch::Opaque)))
                    .then_some("deleted"),
            };
            if let Some(how) = how {
                return Some(Removed {
                    how,
                    layer: l.digest.clone(),
                    position: l.position,
                });
            }
        }
        None
    }
}

/// `a/b/c`'s directories: `a/b`, `a`, and the root (an opaque root hides everything).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let p = rest?;
        match p.rsplit_once('/') {
            Some((d, _)) => {
                rest = Some(d);
                Some(d)
            }
            None => {
                rest = None;
                Some("")
            }
        }
    })
}

/// A build instruction as reported: build arguments' values (`RUN |2 A=… B=…`) and every
/// secret found in the image hidden, on one line, at most 300 characters.
fn shown_instruction(text: &str, secrets: &[(String, String)]) -> String {
    let mut out = text.replace(['\n', '\r'], " ");
    if let Some(rest) = out.strip_prefix("RUN |").or_else(|| out.strip_prefix('|')) {
        let mut words = rest.split(' ');
        let n: usize = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let prefix = if out.starts_with("RUN ") { "RUN " } else { "" };
        let mut parts = vec![format!("{prefix}|{n}")];
        for w in words.by_ref().take(n) {
            parts.push(match w.split_once('=') {
                Some((k, _)) => format!("{k}=…"),
                None => w.to_string(),
            });
        }
        parts.extend(words.map(str::to_string));
        out = parts.join(" ");
    }
    for (secret, redacted) in secrets {
        out = out.replace(secret.as_str(), redacted);
    }
    let out = crate::printable::text(&out).into_owned();
    match out.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &out[..i]),
        None => out,
    }
}

/// The remediation of a finding in an image: deleting the file in a later layer, or the
/// running container, does not take it out of the image.
fn mark(f: &mut Finding, image: &str) {
    let image = crate::printable::text(image);
    let hidden =
        match f.image.as_ref().and_then(|p| p.removed.as_ref()) {
            Some(r) => format!(
            " Layer {} {} the file, but it is still in layer {} and in every pull of the image.",
            r.position,
            if r.how == "deleted" { "deleted" } else { "overwrote" },
            f.image.as_ref().and_then(|p| p.position).unwrap_or(0)
        ),
            None => String::new(),
        };
    f.remediation = format!(
        "This is in the container image {image}: anyone who can pull it can read the key.{hidden} \
         Revoke the key, rebuild the image without it (give build secrets with \
         `RUN --mount=type=secret`, never ARG, ENV or COPY), and delete the pushed tags and \
         digests that hold it. {}",
        f.remediation
    );
}

/// The config's parts that hold values, each as a small text file of one value per line.
fn config_files(c: &plan::Config) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let run = c.config.as_ref();
    if let Some(env) = run.and_then(|r| r.env.as_ref()).filter(|e| !e.is_empty()) {
        out.push(("Env", lines(env.iter().map(String::as_str))));
    }
    if let Some(labels) = run
        .and_then(|r| r.labels.as_ref())
        .filter(|l| !l.is_empty())
    {
        let kv: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(("Labels", lines(kv.iter().map(String::as_str))));
    }
    for (name, args) in [
        ("Entrypoint", run.and_then(|r| r.entrypoint.as_ref())),
        ("Cmd", run.and_then(|r| r.cmd.as_ref())),
    ] {
        if let Some(args) = args.filter(|a| !a.is_empty()) {
            out.push((name, args.join(" ")));
        }
    }
    if let Some(h) = c.history.as_ref().filter(|h| !h.is_empty()) {
        let made = h.iter().map(|s| s.created_by.as_deref().unwrap_or(""));
        out.push(("history", lines(made)));
    }
    out
}

/// One value per line (a value's own line breaks become spaces): line N is value N.
fn lines<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::new();
    for v in values {
        s.push_str(&v.replace(['\n', '\r'], " "));
        s.push('\n');
    }
    s
}

/// The origin of a blob (a layer, a config) in the image `shown`, or of `name` inside it.
fn blob_origin(shown: &str, digest: &str, name: Option<&str>) -> Origin {
    let blob = format!("{shown}!{}", short(digest));
    let full = match name {
        Some(n) => format!("{blob}/{n}"),
        None => blob,
    };
    let mut o = Origin::new(full.clone(), full, OriginKind::File);
    o.physical = Some(shown.len());
    o
}

/// `sha256:` and the first 12 hex digits: enough to tell an image's layers apart.
fn short(digest: &str) -> &str {
    match digest.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => &digest[..alg.len() + 1 + 12],
        _ => digest,
    }
}

/// A tar entry's path as a layer's change set means it: `./` and `/` stripped.
fn normal(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let s = s.trim_start_matches("./").trim_start_matches('/');
    s.trim_end_matches('/').to_string()
}

/// A blob's bytes, hashed as they are read for its digest check.
struct Hashing {
    inner: Box<dyn Read + Send>,
    hasher: Option<Hasher>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The blob shared by the decompressor and the digest check that reads its rest.
struct Shared(Rc<RefCell<Hashing>>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.borrow_mut().read(buf)
    }
}

/// Counts the compressed bytes read.
struct Counting<R> {
    inner: R,
    consumed: Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

/// Stops a layer that expands past the archives' ratio (see [`crate::source::archive`]).
struct Ratio<R> {
    inner: R,
    produced: u64,
    consumed: Rc<std::cell::Cell<u64>>,
    bomb: Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Ratio<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use crate::source::archive::{MAX_RATIO, RATIO_FLOOR};
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let allowed = self
            .consumed
            .get()
            .max(1)
            .saturating_mul(MAX_RATIO)
            .max(RATIO_FLOOR);
        if self.produced > allowed {
            self.bomb.set(true);
            return Err(io::Error::other("decompression bomb"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_to_the_root() {
        let a: Vec<&str> = ancestors("a/b/c").collect();
        assert_eq!(a, ["a/b", "a", ""]);
        assert_eq!(ancestors("x").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn instructions_hide_build_arguments_and_found_secrets() {
        let s = shown_instruction("RUN |2 TOKEN=abc123 MODE=x /bin/sh -c make", &[]);
        assert_eq!(s, "RUN |2 TOKEN=… MODE=… /bin/sh -c make");
        let s = shown_instruction("|1 K=v /bin/sh -c echo", &[]);
        assert_eq!(s, "|1 K=… /bin/sh -c echo");
        let secrets = [("s3cr3tvalue".to_string(), "s3cr…(11)".to_string())];
        let s = shown_instruction("/bin/sh -c curl -H s3cr3tvalue\nx", &secrets);
        assert_eq!(s, "/bin/sh -c curl -H s3cr…(11) x");
        assert_eq!(
            shown_instruction(&"x".repeat(400), &[]).chars().count(),
            301
        );
    }

    #[test]
    fn short_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(short(&d), "sha256:aaaaaaaaaaaa");
        assert_eq!(short("abc/layer.tar"), "abc/layer.tar");
        assert_eq!(normal(b"./app/.env"), "app/.env");
        assert_eq!(normal(b"/etc/x/"), "etc/x");
    }
}
