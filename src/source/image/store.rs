//! Where an image's blobs are read from: the entries of a tar (`docker save`, an
//! `oci-archive`), found once by walking its headers and then read in place by offset, or
//! the files of an OCI image layout directory. Blobs are opened as readers: a layer is
//! streamed, never read whole or unpacked to disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Manifests, indexes and configs are JSON documents of a few KiB: one over this is refused
/// (read into memory whole, unlike a layer).
pub const MAX_DOCUMENT: u64 = 16 << 20;

/// An image's files.
pub enum Store {
    /// A tar: each regular entry's offset and size, by its path (`./` stripped).
    Tar {
        file: PathBuf,
        entries: HashMap<String, (u64, u64)>,
    },
    /// An OCI image layout directory.
    Dir(PathBuf),
    /// A repository in a registry (the `https` feature).
    #[cfg(feature = "https")]
    Registry(Box<super::registry::Registry>),
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
        let mut entries = HashMap::new();
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
            entries.insert(name, (e.raw_file_position(), e.size()));
        }
        let image = entries.contains_key("manifest.json")
            || (entries.contains_key("oci-layout") && entries.contains_key("index.json"));
        Ok(image.then(|| Store::Tar {
            file: path.to_path_buf(),
            entries,
        }))
    }

    /// The directory at `path`, if it is an OCI image layout (`oci-layout` and `index.json`).
    pub fn dir(path: &Path) -> Option<Store> {
        let regular = |name: &str| {
            std::fs::symlink_metadata(path.join(name)).is_ok_and(|m| m.file_type().is_file())
        };
        (regular("oci-layout") && regular("index.json")).then(|| Store::Dir(path.to_path_buf()))
    }

    /// Whether the store has a file at `name` (a path inside the tarball or layout).
    pub fn has(&self, name: &str) -> bool {
        match self {
            Store::Tar { entries, .. } => entries.contains_key(name),
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

    /// The file at `name`, open, and its size. Each call opens its own handle, so layers
    /// can be read by several threads.
    pub fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        match self {
            Store::Tar { file, entries } => {
                let &(at, size) = entries.get(name).ok_or_else(|| missing(name))?;
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
