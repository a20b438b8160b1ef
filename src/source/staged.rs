//! What the next commit would add: the index compared with HEAD's tree, read with gix.
//!
//! The walk follows git's own shortcut: the index's cache-tree extension records, per
//! directory, the tree id the index would write. Where that id is valid and equals HEAD's
//! subtree, nothing below it is staged and the directory is skipped without reading a tree
//! object. So a one-line change in an 80,000-file repository reads the index, the few trees
//! on the changed path and two blobs.
//!
//! [`feed`] hands each staged blob to the pipeline: a new file whole, a modified or renamed
//! one with the line ranges its diff adds (or, if binary, the bytes it replaces), so that
//! only what the commit adds is reported. Deleted lines and untouched files are never
//! looked at.

use std::collections::HashMap;
use std::ops::Range;

use anyhow::{Context, Result};
use gix::bstr::{BString, ByteSlice};
use gix::ObjectId;

use crate::chunk::{Content, Item, Limits, Origin, OriginKind, Since, Sink};

/// A staged path whose content the commit would add or change.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// Repository-relative, `/`-separated.
    pub path: BString,
    /// The staged blob.
    pub id: ObjectId,
    /// The blob it replaces: HEAD's version, or a rename's source. `None` for a new file.
    pub previous: Option<ObjectId>,
    /// Where a renamed file came from.
    pub renamed_from: Option<BString>,
}

/// One entry of a HEAD tree, as the walk needs it.
struct HeadEntry {
    name: BString,
    is_tree: bool,
    is_blob_like: bool,
    id: ObjectId,
}

struct Walk<'r> {
    repo: &'r gix::Repository,
    index: &'r gix::index::File,
    added: Vec<StagedFile>,
    deleted: Vec<(BString, ObjectId)>,
}

/// Reads the index without verifying its trailing checksum, as git does by default: the
/// hook must not pay for hashing 8 MB of index on every commit. No index yet: empty.
pub fn open_index(repo: &gix::Repository) -> Result<gix::index::File> {
    let path = repo.index_path();
    if !path.exists() {
        return Ok(gix::index::File::from_state(
            gix::index::State::new(repo.object_hash()),
            path,
        ));
    }
    gix::index::File::at(
        &path,
        repo.object_hash(),
        true,
        gix::index::decode::Options::default(),
    )
    .with_context(|| format!("cannot read the index {}", path.display()))
}

/// Lists what the index would commit relative to HEAD (or to nothing, before the first
/// commit). Renames are paired by identical content first, then by line similarity.
pub fn staged_files(repo: &gix::Repository, index: &gix::index::File) -> Result<Vec<StagedFile>> {
    let head = repo
        .head_tree_id_or_empty()
        .context("cannot resolve HEAD's tree")?
        .detach();
    let head = (head != ObjectId::empty_tree(repo.object_hash())).then_some(head);
    let mut walk = Walk {
        repo,
        index,
        added: Vec::new(),
        deleted: Vec::new(),
    };
    let entries = index.entries();
    walk.dir(head, index.tree(), b"", entries)?;
    let Walk { added, deleted, .. } = walk;
    pair_renames(repo, added, deleted)
}

impl Walk<'_> {
    /// Compares one directory: `head` is HEAD's tree for it, `cache` the index's cache-tree
    /// node, `entries` the index entries below `prefix`.
    fn dir(
        &mut self,
        head: Option<ObjectId>,
        cache: Option<&gix::index::extension::Tree>,
        prefix: &[u8],
        entries: &[gix::index::Entry],
    ) -> Result<()> {
        if let (Some(h), Some(c)) = (head, cache) {
            if c.num_entries.is_some() && c.id == h {
                return Ok(());
            }
        }
        let head_entries = match head {
            Some(id) => self.tree_entries(id)?,
            None => Vec::new(),
        };
        let mut by_name: HashMap<&[u8], &HeadEntry> = head_entries
            .iter()
            .map(|e| (e.name.as_slice(), e))
            .collect();
        let mut i = 0;
        while i < entries.len() {
            let path = entries[i].path(self.index);
            let rel = &path[prefix.len()..];
            if let Some(slash) = rel.find_byte(b'/') {
                // A subdirectory: every following entry below it.
                let name: &[u8] = &rel[..slash];
                let sub_prefix_len = prefix.len() + slash + 1;
                let mut j = i + 1;
                while j < entries.len() {
                    let p = entries[j].path(self.index);
                    if p.len() > sub_prefix_len && p[..sub_prefix_len] == path[..sub_prefix_len] {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let sub_head = by_name.remove(name).filter(|e| e.is_tree).map(|e| e.id);
                let sub_prefix = path[..sub_prefix_len].to_vec();
                if path.len() == sub_prefix_len && entries[i].mode.is_sparse() {
                    // A sparse index's directory entry (outside the sparse-checkout cone):
                    // it stands for a whole tree, compared with HEAD's tree by id.
                    if sub_head != Some(entries[i].id) {
                        self.trees(sub_head, entries[i].id, &sub_prefix)?;
                    }
                    i = j;
                    continue;
                }
                let sub_cache =
                    cache.and_then(|c| c.children.iter().find(|t| t.name.as_slice() == name));
                self.dir(sub_head, sub_cache, &sub_prefix, &entries[i..j])?;
                i = j;
                continue;
            }
            let entry = &entries[i];
            i += 1;
            let name: &[u8] = rel;
            let previous = by_name.remove(name);
            if entry.stage() != gix::index::entry::Stage::Unconflicted
                || entry
                    .flags
                    .contains(gix::index::entry::Flags::INTENT_TO_ADD)
                || entry.mode.is_submodule()
                || entry.mode.is_sparse()
            {
                // Conflicted entries cannot be committed; intent-to-add entries have no
                // staged content; gitlinks point at another repository.
                continue;
            }
            match previous {
                Some(p) if !p.is_tree && p.id == entry.id => {}
                Some(p) if p.is_blob_like => self.added.push(StagedFile {
                    path: path.to_owned(),
                    id: entry.id,
                    previous: Some(p.id),
                    renamed_from: None,
                }),
                _ => self.added.push(StagedFile {
                    path: path.to_owned(),
                    id: entry.id,
                    previous: None,
                    renamed_from: None,
                }),
            }
        }
        self.gone(prefix, by_name.into_values().collect())
    }

    /// Compares HEAD's tree `head` with the tree `new` the index holds for `prefix` (a
    /// sparse directory entry): blobs added or changed, and what HEAD had that is gone.
    fn trees(&mut self, head: Option<ObjectId>, new: ObjectId, prefix: &[u8]) -> Result<()> {
        let head_entries = match head {
            Some(id) => self.tree_entries(id)?,
            None => Vec::new(),
        };
        let mut by_name: HashMap<&[u8], &HeadEntry> = head_entries
            .iter()
            .map(|e| (e.name.as_slice(), e))
            .collect();
        for e in self.tree_entries(new)? {
            let previous = by_name.remove(e.name.as_slice());
            let mut path = prefix.to_vec();
            path.extend_from_slice(&e.name);
            if e.is_tree {
                path.push(b'/');
                let sub = previous.filter(|p| p.is_tree).map(|p| p.id);
                if sub != Some(e.id) {
                    self.trees(sub, e.id, &path)?;
                }
            } else if e.is_blob_like {
                match previous {
                    Some(p) if !p.is_tree && p.id == e.id => {}
                    p => self.added.push(StagedFile {
                        path: path.into(),
                        id: e.id,
                        previous: p.filter(|p| p.is_blob_like).map(|p| p.id),
                        renamed_from: None,
                    }),
                }
            }
        }
        self.gone(prefix, by_name.into_values().collect())
    }

    /// What HEAD has under `prefix` that the index no longer has: deletions (rename
    /// sources), whole subtrees included.
    fn gone(&mut self, prefix: &[u8], mut gone: Vec<&HeadEntry>) -> Result<()> {
        gone.sort_by(|a, b| a.name.cmp(&b.name));
        for e in gone {
            let mut path = prefix.to_vec();
            path.extend_from_slice(&e.name);
            if e.is_tree {
                path.push(b'/');
                self.dir(Some(e.id), None, &path, &[])?;
            } else if e.is_blob_like {
                self.deleted.push((path.into(), e.id));
            }
        }
        Ok(())
    }

    fn tree_entries(&self, id: ObjectId) -> Result<Vec<HeadEntry>> {
        let tree = self
            .repo
            .find_tree(id)
            .with_context(|| format!("cannot read tree {id}"))?;
        let decoded = tree
            .decode()
            .with_context(|| format!("cannot decode tree {id}"))?;
        Ok(decoded
            .entries
            .iter()
            .map(|e| HeadEntry {
                name: e.filename.to_owned(),
                is_tree: e.mode.is_tree(),
                is_blob_like: e.mode.is_blob() || e.mode.is_link(),
                id: e.oid.to_owned(),
            })
            .collect())
    }
}

/// Turns added+deleted pairs into renames: identical content first, then files whose lines
/// are at least half the same (git's default rename threshold).
fn pair_renames(
    repo: &gix::Repository,
    mut added: Vec<StagedFile>,
    mut deleted: Vec<(BString, ObjectId)>,
) -> Result<Vec<StagedFile>> {
    if deleted.is_empty() {
        return Ok(added);
    }
    for file in added.iter_mut().filter(|f| f.previous.is_none()) {
        if let Some(pos) = deleted.iter().position(|(_, id)| *id == file.id) {
            let (from, id) = deleted.swap_remove(pos);
            file.previous = Some(id);
            file.renamed_from = Some(from);
        }
    }
    // Similarity pairing is quadratic: only for the small change sets a commit usually has.
    const MAX_PAIRS: usize = 10_000;
    let new_files: Vec<usize> = (0..added.len())
        .filter(|&i| added[i].previous.is_none())
        .collect();
    if deleted.is_empty() || new_files.len() * deleted.len() > MAX_PAIRS {
        return Ok(added);
    }
    let old_blobs: Vec<Vec<u8>> = deleted
        .iter()
        .map(|(_, id)| read_blob(repo, *id))
        .collect::<Result<_>>()?;
    let mut taken = vec![false; deleted.len()];
    for i in new_files {
        let new = read_blob(repo, added[i].id)?;
        let best = old_blobs
            .iter()
            .enumerate()
            .filter(|(k, _)| !taken[*k])
            .map(|(k, old)| (k, similarity(old, &new)))
            .filter(|(_, s)| *s >= 0.5)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((k, _)) = best {
            taken[k] = true;
            added[i].previous = Some(deleted[k].1);
            added[i].renamed_from = Some(deleted[k].0.clone());
        }
    }
    Ok(added)
}

/// Share of `new`'s lines that also occur in `old` (as a multiset).
fn similarity(old: &[u8], new: &[u8]) -> f64 {
    let mut counts: HashMap<&[u8], usize> = HashMap::new();
    for l in old.lines() {
        *counts.entry(l).or_default() += 1;
    }
    let mut total = 0usize;
    let mut shared = 0usize;
    for l in new.lines() {
        total += 1;
        if let Some(c) = counts.get_mut(l) {
            if *c > 0 {
                *c -= 1;
                shared += 1;
            }
        }
    }
    if total == 0 {
        0.0
    } else {
        shared as f64 / total as f64
    }
}

fn read_blob(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>> {
    Ok(repo
        .find_blob(id)
        .with_context(|| format!("cannot read blob {id}"))?
        .detach()
        .data)
}

/// Hands every staged file to `sink`: a new path whole, a modified or renamed one with what
/// it replaces, so that only what the commit adds is reported.
pub fn feed(
    repo: &gix::Repository,
    files: &[StagedFile],
    limits: Limits,
    cancel: &crate::cancel::Cancel,
    sink: &mut impl Sink,
) -> Result<()> {
    for file in files {
        cancel.check()?;
        // The path as allowlist globs see it and as reports show it: escaped onto one line
        // (any secret in it is redacted when findings are built).
        let path = super::printable_name(file.path.as_ref());
        // A changed file adds nothing until its diff says what (a new one adds everything):
        // content not read (too large) reports nothing, not even the path.
        let since = file.previous.map(|_| Since::Lines(Vec::new()));
        let mut origin = Origin::new(path.clone(), path, OriginKind::Staged { since });
        // An unreadable blob is handed on like an unreadable file, so that the message names
        // the path redacted like every other output; `staged` makes it an error.
        let read = read_change(repo, file, limits);
        let content = match &read {
            Ok(None) => Content::TooLarge,
            Ok(Some((new, old))) => {
                if let Some(old) = old {
                    origin.kind = OriginKind::Staged {
                        since: Some(since_old(old, new)),
                    };
                }
                Content::Bytes(new)
            }
            Err(e) => Content::Unreadable(format!("{e:#}")),
        };
        sink.take(Item {
            content,
            origins: &[origin],
        });
    }
    Ok(())
}

/// A staged blob and the blob it replaces, if any.
type Change = (Vec<u8>, Option<Vec<u8>>);

/// The staged blob and the one it replaces; `None` when the staged one is over the limit.
fn read_change(
    repo: &gix::Repository,
    file: &StagedFile,
    limits: Limits,
) -> Result<Option<Change>> {
    let size = repo
        .find_header(file.id)
        .with_context(|| format!("staged blob {}", file.id))?
        .size();
    if !limits.admits(size) {
        return Ok(None);
    }
    let new = read_blob(repo, file.id)?;
    let old = file.previous.map(|p| read_blob(repo, p)).transpose()?;
    Ok(Some((new, old)))
}

/// What a change adds over `old`: line ranges for text, the old bytes if either is binary.
fn since_old(old: &[u8], new: &[u8]) -> Since {
    let (old, new) = (super::prepare(old), super::prepare(new));
    if new.binary || old.binary {
        Since::Bytes(old.bytes.into_owned())
    } else {
        Since::Lines(added_lines(&old.bytes, &new.bytes))
    }
}

/// 1-based line ranges of `new` that the diff from `old` adds.
pub fn added_lines(old: &[u8], new: &[u8]) -> Vec<Range<usize>> {
    use gix::diff::blob::{Algorithm, Diff, InternedInput};
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    diff.hunks()
        .filter(|h| !h.after.is_empty())
        .map(|h| h.after.start as usize + 1..h.after.end as usize + 1)
        .collect()
}

/// Where the developer's local `.env*` files may be: the top of the work tree and every
/// directory holding a staged file (not the whole tree, to keep the hook fast), as
/// repository-relative prefixes (`""`, `"src/"`).
pub fn env_dirs(files: &[StagedFile]) -> Vec<String> {
    let mut dirs: Vec<String> = vec![String::new()];
    for f in files {
        let p = f.path.to_str_lossy();
        if let Some((dir, _)) = p.rsplit_once('/') {
            dirs.push(format!("{dir}/"));
        }
    }
    dirs.sort();
    dirs.dedup();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_are_the_new_ones() {
        let old = b"a\nb\nc\n";
        let new = b"a\nX\nb\nc\nY\n";
        assert_eq!(added_lines(old, new), vec![2..3, 5..6]);
        assert_eq!(added_lines(b"", b"x\ny\n"), vec![1..3]);
        assert!(added_lines(b"a\nb\n", b"a\n").is_empty());
    }

    #[test]
    fn similarity_counts_shared_lines() {
        assert_eq!(similarity(b"a\nb\nc\nd\n", b"a\nb\nc\nd\n"), 1.0);
        assert_eq!(similarity(b"a\nb\n", b"a\nx\n"), 0.5);
        assert_eq!(similarity(b"a\n", b""), 0.0);
    }
}
