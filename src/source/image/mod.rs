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

mod layers;
mod plan;
#[cfg(feature = "https")]
mod registry;
mod store;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

use crate::cancel::Cancel;
use crate::chunk::{Content, Item, Limits, Origin, Sink};
use crate::finding::{Finding, ImagePlace, Removed};
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
    /// As given on the command line (or relative to the walk's root), `/`-separated and
    /// printable: the start of every path reported.
    shown: String,
    /// The start of every path allowlists and path rules see.
    path: String,
    /// A layout directory's own path as a walk reports it (empty for the walk's root) and as
    /// allowlists see it: the start of its plain files' paths.
    dir_shown: String,
    dir_path: String,
    store: Store,
}

/// Whether the directory `path` is an OCI image layout.
pub fn is_layout(path: &Path) -> bool {
    Store::dir(path).is_some()
}

/// Whether the file `path` is a tar holding an image (named `*.tar`: other files are not
/// opened to find out).
pub fn is_image_tar(path: &Path) -> bool {
    let tar = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tar"));
    tar && Store::tar(path).ok().flatten().is_some()
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
                path: shown.clone(),
                dir_shown: String::new(),
                dir_path: String::new(),
                shown,
            });
            continue;
        }
        // A directory is walked, and the walk hands over the layouts it meets, this one
        // too: the files beside an image's blobs are scanned as files.
        let store = match std::fs::metadata(p) {
            Ok(m) if m.is_file() => Store::tar(p).ok().flatten(),
            _ => None,
        };
        match store {
            Some(store) => list.push(Image {
                shown: crate::source::worktree::slash_path(p),
                path: crate::source::worktree::slash_path(p),
                dir_shown: String::new(),
                dir_path: String::new(),
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

    /// Adds the images a walk met (`found`: each one's origin as a file of the walk, and its
    /// path on disk). A walk's root is its own origin's empty path: it is shown as given.
    pub fn add(&mut self, found: Vec<(Origin, PathBuf)>) {
        for (origin, p) in found {
            let store = match p.is_dir() {
                true => Store::dir(&p),
                false => Store::tar(&p).ok().flatten(),
            };
            let Some(store) = store else { continue };
            let (shown, path) = match origin.display.is_empty() {
                true => {
                    let given = crate::source::worktree::slash_path(&p);
                    (given.clone(), given)
                }
                false => (origin.display.clone(), origin.path.clone()),
            };
            self.list.push(Image {
                shown,
                path,
                dir_shown: origin.display,
                dir_path: origin.path,
                store,
            });
        }
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
            let mut reader = layers::LayerReader {
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
                let plan::Plan {
                    manifests,
                    problems,
                    named,
                } = plan::plan(&image.store, self.platform.as_deref());
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
                let unread = image.store.unread(&named).unwrap_or_else(|(files, why)| {
                    reader.own.take(Item {
                        content: Content::Unreadable(why),
                        origins: std::slice::from_ref(&origin),
                    });
                    files
                });
                for unread in unread {
                    if cancel.is_cancelled() {
                        break;
                    }
                    reader.plain(image, &unread);
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
        assert_eq!(layers::short(&d), "sha256:aaaaaaaaaaaa");
        assert_eq!(layers::short("abc/layer.tar"), "abc/layer.tar");
        assert_eq!(layers::normal(b"./app/.env"), "app/.env");
        assert_eq!(layers::normal(b"/etc/x/"), "etc/x");
    }
}
