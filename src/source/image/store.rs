//! Where an image's blobs are read from: the entries of a tar (`docker save`, an
//! `oci-archive`), found once by walking its headers and then read in place by offset, or
//! the files of an OCI image layout directory. Blobs are opened as readers: a layer is
//! streamed, never read whole or unpacked to disk.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Manifests, indexes and configs are JSON documents of a few KiB: one over this is refused
/// (read into memory whole, unlike a layer).
pub const MAX_DOCUMENT: u64 = 16 << 20;

/// An image's files. Those of a tarball or a layout's `blobs/` that no document names
/// ([`Store::unread`]) are scanned as plain files: a `manifest.json` or an `oci-layout` must
/// not hide what lies beside it.
pub enum Store {
    /// A tar: each regular entry's path (`./` stripped), offset and size, in order, and the
    /// entry each path names (its last, as tar extracts it).
    Tar {
        file: PathBuf,
        entries: Vec<(String, u64, u64)>,
        by_name: HashMap<String, usize>,
    },
    /// An OCI image layout directory.
    Dir(PathBuf),
    /// A repository in a registry (the `https` feature).
    #[cfg(feature = "https")]
    Registry(Box<super::registry::Registry>),
}

/// A file of a store no document names ([`Store::unread`]).
pub struct Unread {
    /// Its path in the tarball or the layout.
    pub name: String,
    /// Which tar entry (a name may be given to several).
    entry: Option<usize>,
}

/// How many tar entries an image tarball may have: an image has a few per layer and blob;
/// a tar of a source tree with a stray `manifest.json` is not walked to its end.
const MAX_TAR_ENTRIES: usize = 100_000;

impl Store {
    /// The tar at `path`, if it is one whose top level holds an image: `manifest.json` (a
    /// `docker save` tarball) or `oci-layout` and `index.json` (an `oci-archive`). `Ok(None)`
    /// for any other file, which is scanned as files are.
    pub fn tar(path: &Path) -> io::Result<Option<Store>> {
        let mut file = regular(path)?;
        let mut head = [0u8; 512];
        if file.read_exact(&mut head).is_err() || &head[257..262] != b"ustar" {
            return Ok(None);
        }
        file.seek(SeekFrom::Start(0))?;
        let mut archive = tar::Archive::new(file);
        let mut entries = Vec::new();
        let mut by_name = HashMap::new();
        for (n, e) in archive.entries_with_seek()?.enumerate() {
            if n == MAX_TAR_ENTRIES {
                return Ok(None);
            }
            // A tar damaged part way is not an image to attribute: it is read as an archive,
            // whose reader reports the damage.
            let Ok(e) = e else { return Ok(None) };
            if !e.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let name = name.trim_start_matches("./").to_string();
            by_name.insert(name.clone(), entries.len());
            entries.push((name, e.raw_file_position(), e.size()));
        }
        let image = by_name.contains_key("manifest.json")
            || (by_name.contains_key("oci-layout") && by_name.contains_key("index.json"));
        Ok(image.then(|| Store::Tar {
            file: path.to_path_buf(),
            entries,
            by_name,
        }))
    }

    /// The directory at `path`, if it is an OCI image layout (`oci-layout` and `index.json`).
    pub fn dir(path: &Path) -> Option<Store> {
        let regular = |name: &str| {
            std::fs::symlink_metadata(path.join(name)).is_ok_and(|m| m.file_type().is_file())
        };
        (regular("oci-layout") && regular("index.json")).then(|| Store::Dir(path.to_path_buf()))
    }

    /// The files of a tarball, or of a layout's `blobs/`, that are not among `named` (the
    /// names an image's documents give, [`super::plan::plan`]'s): to be scanned as plain
    /// files. A layout's other files are left to the walk; a tar entry whose name a later
    /// entry takes again is not named.
    ///
    /// `Err` when a layout's `blobs/` is too big or too deep to list (over 100,000 files, 8
    /// folders deep): the files listed so far come with it, and the scan is incomplete.
    pub fn unread(&self, named: &HashSet<String>) -> Result<Vec<Unread>, (Vec<Unread>, String)> {
        match self {
            Store::Tar {
                entries, by_name, ..
            } => Ok((0..entries.len())
                .filter(|&i| {
                    let name = &entries[i].0;
                    !(named.contains(name) && by_name.get(name) == Some(&i))
                })
                .map(|i| Unread {
                    name: entries[i].0.clone(),
                    entry: Some(i),
                })
                .collect()),
            Store::Dir(dir) => {
                let mut files = Vec::new();
                let listed = files_under(dir, Path::new("blobs"), 0, &mut files);
                files.retain(|f| !named.contains(f));
                files.sort();
                let files = files
                    .into_iter()
                    .map(|name| Unread { name, entry: None })
                    .collect();
                match listed {
                    true => Ok(files),
                    false => Err((
                        files,
                        format!(
                            "blobs/ not listed to its end: over {MAX_TAR_ENTRIES} files or 8 folders deep"
                        ),
                    )),
                }
            }
            #[cfg(feature = "https")]
            Store::Registry(_) => Ok(Vec::new()),
        }
    }

    /// Whether the store has a file at `name` (a path inside the tarball or layout).
    pub fn has(&self, name: &str) -> bool {
        match self {
            Store::Tar { by_name, .. } => by_name.contains_key(name),
            Store::Dir(dir) => safe(name).is_some_and(|n| dir.join(n).is_file()),
            #[cfg(feature = "https")]
            Store::Registry(_) => false,
        }
    }

    /// The manifest or index of `digest`: a registry serves them apart from blobs.
    pub fn manifest(&self, digest: &str) -> io::Result<Vec<u8>> {
        #[cfg(feature = "https")]
        if let Store::Registry(r) = self {
            return r.manifest(digest);
        }
        let path = blob_path(digest)
            .ok_or_else(|| io::Error::other(format!("{digest} is not a digest")))?;
        self.read(&path)
    }

    /// An unread file, open, and its size.
    pub fn open_unread(&self, u: &Unread) -> io::Result<(Box<dyn Read + Send>, u64)> {
        match (self, u.entry) {
            (Store::Tar { file, entries, .. }, Some(i)) => {
                let (_, at, size) = entries[i];
                let mut f = regular(file)?;
                f.seek(SeekFrom::Start(at))?;
                Ok((Box::new(f.take(size)), size))
            }
            _ => self.open(&u.name),
        }
    }

    /// The file at `name`, open, and its size. Each call opens its own handle, so layers
    /// can be read by several threads.
    pub fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        match self {
            Store::Tar {
                file,
                entries,
                by_name,
            } => {
                let &i = by_name.get(name).ok_or_else(|| missing(name))?;
                let (_, at, size) = entries[i];
                let mut f = regular(file)?;
                f.seek(SeekFrom::Start(at))?;
                Ok((Box::new(f.take(size)), size))
            }
            Store::Dir(dir) => {
                let rel = safe(name).ok_or_else(|| missing(name))?;
                let path = dir.join(rel);
                let meta = std::fs::symlink_metadata(&path).map_err(|_| missing(name))?;
                if !meta.file_type().is_file() {
                    return Err(io::Error::other(format!("{name} is not a regular file")));
                }
                let size = meta.len();
                Ok((Box::new(regular(&path)?.take(size)), size))
            }
            #[cfg(feature = "https")]
            Store::Registry(r) => {
                let digest = name
                    .strip_prefix("blobs/")
                    .and_then(|d| d.split_once('/'))
                    .map(|(alg, hex)| format!("{alg}:{hex}"))
                    .ok_or_else(|| missing(name))?;
                r.blob(&digest, None)
            }
        }
    }

    /// The whole (small) file at `name`.
    pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let (mut r, size) = self.open(name)?;
        if size > MAX_DOCUMENT {
            return Err(io::Error::other(format!(
                "{name} is {size} bytes, over the {} MiB a manifest or config may be",
                MAX_DOCUMENT >> 20
            )));
        }
        let mut out = Vec::with_capacity(size as usize);
        r.read_to_end(&mut out)?;
        Ok(out)
    }
}

/// The blob file of `digest` (`sha256:<hex>`) in an OCI layout: `blobs/sha256/<hex>`. `None`
/// for a digest that is not an algorithm and hex (it could name a path outside the layout).
pub fn blob_path(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    let alg_ok = !alg.is_empty() && alg.bytes().all(|b| b.is_ascii_alphanumeric());
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (alg_ok && hex_ok).then(|| format!("blobs/{alg}/{hex}"))
}

/// The regular file at `path`, opened without waiting: a path that became a FIFO or a
/// device since it was looked at is an error, not a hang.
fn regular(path: &Path) -> io::Result<File> {
    let f = super::super::worktree::open_nonblocking(path, true)?;
    match f.metadata()?.is_file() {
        true => Ok(f),
        false => Err(io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        ))),
    }
}

/// The files under `dir/rel` (links not followed), as `/`-separated paths relative to
/// `dir`. False when the listing stopped short: 8 folders deep, or at 100,000 files.
fn files_under(dir: &Path, rel: &Path, depth: usize, out: &mut Vec<String>) -> bool {
    let Ok(read) = std::fs::read_dir(dir.join(rel)) else {
        return true;
    };
    for e in read.flatten() {
        if out.len() >= MAX_TAR_ENTRIES {
            return false;
        }
        let Ok(t) = e.file_type() else { continue };
        let rel = rel.join(e.file_name());
        if t.is_dir() {
            if depth >= 8 || !files_under(dir, &rel, depth + 1, out) {
                return false;
            }
        } else {
            // Links and special files too: opening one is refused with a warning, so that
            // nothing under `blobs/` (which the walk leaves to this listing) goes unsaid.
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    true
}

/// A relative path with no `..`, root or prefix: what a layout's names may be.
fn safe(name: &str) -> Option<&Path> {
    let p = Path::new(name);
    p.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then_some(p)
}

fn missing(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{name} is missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_name_blobs_inside_the_layout_only() {
        let hex = "ab".repeat(32);
        assert_eq!(
            blob_path(&format!("sha256:{hex}")),
            Some(format!("blobs/sha256/{hex}"))
        );
        for bad in [
            format!("sha256:../../{hex}"),
            format!("sha256/x:{hex}"),
            "sha256:abc".to_string(),
            hex.clone(),
            format!(":{hex}"),
        ] {
            assert_eq!(blob_path(&bad), None, "{bad}");
        }
        assert!(safe("blobs/sha256/ab").is_some());
        assert!(safe("../x").is_none() && safe("/etc/passwd").is_none());
    }
}
