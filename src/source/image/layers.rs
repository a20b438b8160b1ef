//! The thread that reads an image: the config's values as small files, then each layer's
//! blob streamed through its decompressor (under the archives' bomb ratio) and its tar, every
//! regular file sent to the scanning threads (or streamed in windows when it is big), every
//! path a layer writes or whites out recorded for [`super::Scan::removed`], and the blob's
//! bytes checked against its digest as they go by.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::mpsc::SyncSender;

use sha2::{Digest, Sha256};

use super::plan::{self, Hasher, LayerKind, Manifest};
use super::store::Store;
use super::{Image, Job, Place, Scan, ScannedLayer, Touch, MAX_LAYER_BYTES, MAX_LAYER_ENTRIES};
use crate::cancel::Cancel;
use crate::chunk::{window_size, Content, Item, Limits, Origin, OriginKind, Sink};

/// The reading thread's state across images.
pub(super) struct LayerReader<'a, S> {
    pub(super) limits: Limits,
    pub(super) cancel: &'a Cancel,
    pub(super) tx: SyncSender<Job>,
    /// Reports problems and scans entries too big to send (streamed in windows).
    pub(super) own: &'a mut S,
    /// The content hashes of files already sent: the same bytes in another layer are not
    /// scanned again.
    pub(super) seen: HashSet<[u8; 16]>,
    /// Layers and configs already read (shared by platforms, or by images in one tarball).
    pub(super) read: HashSet<String>,
}

impl<S: Sink> LayerReader<'_, S> {
    pub(super) fn image(&mut self, i: usize, image: &Image, m: &Manifest, scan: &mut Scan) {
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
                let mut origin = blob_origin(image, &c.digest, Some(name.as_bytes()));
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
                index_of_image: i,
                image,
                index: first + n,
                platform: m.platform.clone(),
            };
            let origin = blob_origin(image, &l.digest, None);
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

    /// A file of `image`'s tarball or layout that its documents do not name: scanned as a
    /// plain file (`app.tar!/notes.txt`, `layout/blobs/sha256/…`), so that nothing beside an
    /// image goes unread.
    pub(super) fn plain(&mut self, image: &Image, unread: &super::store::Unread) {
        let name = unread.name.as_str();
        let origin = match &image.store {
            Store::Tar { .. } => {
                let mut o = Origin::new(
                    format!("{}!/{name}", image.path),
                    format!(
                        "{}!/{}",
                        image.shown,
                        crate::chunk::printable_name(name.as_bytes())
                    ),
                    OriginKind::File,
                );
                o.physical = Some(image.shown.len());
                o
            }
            // A layout's file, as the walk would have reported it.
            _ => {
                let join = |dir: &str, name: String| match dir.is_empty() {
                    true => name,
                    false => format!("{}/{name}", dir.trim_end_matches('/')),
                };
                let shown = crate::chunk::printable_name(name.as_bytes());
                Origin::new(
                    join(&image.dir_path, name.to_string()),
                    join(&image.dir_shown, shown),
                    OriginKind::File,
                )
            }
        };
        let origins = std::slice::from_ref(&origin);
        let read = image.store.open_unread(unread).and_then(|(mut r, size)| {
            if !self.limits.admits(size) {
                return Ok(None);
            }
            if size > window_size() as u64 {
                crate::source::stream(&mut *self.own, r, self.cancel, origins);
                return Ok(Some(None));
            }
            let mut bytes = Vec::with_capacity(size as usize);
            r.read_to_end(&mut bytes)?;
            Ok(Some(Some(bytes)))
        });
        match read {
            Ok(Some(Some(bytes))) => self.send(Job::Bytes(origin, bytes)),
            Ok(Some(None)) => {}
            Ok(None) => self.send(Job::TooLarge(origin)),
            Err(e) => self.own.take(Item {
                content: Content::Unreadable(e.to_string()),
                origins,
            }),
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
        let mut origin = blob_origin(at.image, &l.digest, None);
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
            let mut origin = blob_origin(at.image, &l.digest, Some(name.as_bytes()));
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
    index_of_image: usize,
    image: &'a Image,
    index: usize,
    platform: Option<String>,
}

impl LayerAt<'_> {
    fn place(&self, path: String, hash: Option<[u8; 16]>) -> Place {
        Place {
            image: self.index_of_image,
            layer: Some(self.index),
            config: None,
            platform: self.platform.clone(),
            path,
            hash,
        }
    }
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

/// The origin of a blob (a layer, a config) in `image`, or of the file `name` inside it.
fn blob_origin(image: &Image, digest: &str, name: Option<&[u8]>) -> Origin {
    let blob = short(digest);
    let (path, display) = match name {
        Some(n) => (
            format!("{}!{blob}/{}", image.path, String::from_utf8_lossy(n)),
            format!("{}!{blob}/{}", image.shown, crate::chunk::printable_name(n)),
        ),
        None => (
            format!("{}!{blob}", image.path),
            format!("{}!{blob}", image.shown),
        ),
    };
    let mut o = Origin::new(path, display, OriginKind::File);
    o.physical = Some(image.shown.len());
    o
}

/// `sha256:` and the first 12 hex digits: enough to tell an image's layers apart.
pub(super) fn short(digest: &str) -> &str {
    match digest.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => &digest[..alg.len() + 1 + 12],
        _ => digest,
    }
}

/// A tar entry's path as a layer's change set means it: `./` and `/` stripped.
pub(super) fn normal(raw: &[u8]) -> String {
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
