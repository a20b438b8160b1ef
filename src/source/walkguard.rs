//! What the work tree walk reads besides the files it scans, checked: the `ignore` crate
//! opens every `.gitignore`, `.ignore` and `.git/info/exclude` on its way with blocking
//! reads, so each is looked at first ([`check_roots`] for the roots and their parents,
//! [`dir_ok`] for each directory before the walk enters it). And the files git tracks
//! though `.gitignore` matches them ([`tracked`]): they are committed, so they are scanned.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::preflight;
use super::worktree::Walk;
use crate::fsguard::{kind, Kind, MAX_TEXT};

/// The ignore files the walker reads in each directory.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// Checks what the walk reads before it enters a root: the ignore files of the roots and
/// of every directory above them, and the repositories holding them (`info/exclude`, the
/// index for [`tracked`]). An error names the file.
pub fn check_roots(walk: &Walk) -> Result<()> {
    let mut done = HashSet::new();
    for root in &walk.roots {
        let Ok(real) = root.path.canonicalize() else {
            continue;
        };
        let found = preflight::check(&real)?;
        let dir = if real.is_dir() {
            real.as_path()
        } else {
            real.parent().unwrap_or(Path::new("/"))
        };
        for anc in dir.ancestors() {
            if !done.insert(anc.to_path_buf()) {
                continue;
            }
            // The root's own may not link out of it; above the roots a link may point
            // anywhere (a user's dotfiles), but only to a regular file.
            let inside = [dir.to_path_buf()];
            if let Err(why) = ignore_files_ok(anc, (anc == dir).then_some(&inside[..])) {
                bail!("ignore file {why}");
            }
            if found.as_deref() != Some(anc) {
                preflight::check_exclude(anc).map_err(|e| {
                    anyhow::anyhow!("cannot read the ignore files of {}: {e}", anc.display())
                })?;
            }
        }
    }
    Ok(())
}

/// The canonical roots of a walk: links inside the tree may point below them, not out.
pub fn real_roots(walk: &Walk) -> Vec<PathBuf> {
    walk.roots
        .iter()
        .filter_map(|r| r.path.canonicalize().ok())
        .map(|r| match r.is_dir() {
            true => r,
            false => r.parent().map(Path::to_path_buf).unwrap_or(r),
        })
        .collect()
}

/// Whether the walk may enter `dir` (whose ignore files it will read): `Err` says why not.
/// Of a nested repository (`dir/.git`), the walker reads the `.git` file and
/// `info/exclude`: they are checked too.
pub fn dir_ok(dir: &Path, roots: &[PathBuf]) -> Result<(), String> {
    ignore_files_ok(dir, Some(roots)).map_err(|why| format!("its ignore file {why}"))?;
    preflight::check_exclude(dir).map_err(|e| e.to_string())
}

/// `dir`'s ignore files are missing or regular files of at most [`MAX_TEXT`] bytes; a link
/// must resolve to one, below one of `inside` when given.
fn ignore_files_ok(dir: &Path, inside: Option<&[PathBuf]>) -> Result<(), String> {
    for name in IGNORE_FILES {
        let path = dir.join(name);
        let why = match kind(&path) {
            Kind::Missing => continue,
            Kind::File(len) if len <= MAX_TEXT => continue,
            Kind::File(len) => format!("is {len} bytes, over the limit of {MAX_TEXT} bytes"),
            Kind::Link(real, false) => match inside {
                Some(roots) if !roots.iter().any(|r| real.starts_with(r)) => {
                    format!("is a link out of the scanned tree, to {}", real.display())
                }
                _ if std::fs::metadata(&real).is_ok_and(|m| m.len() > MAX_TEXT) => {
                    format!("is a link to a file over the limit of {MAX_TEXT} bytes")
                }
                _ => continue,
            },
            Kind::Dir | Kind::Link(_, true) => "is a directory".to_string(),
            Kind::Special(why) => why,
        };
        return Err(format!("{} {why}", path.display()));
    }
    Ok(())
}

/// The files git tracks below the walk's roots, spelt as the walk spells them (root joined
/// with the rest): those the walk does not see (`.gitignore` matches them, or a directory
/// holding them) are scanned after it, as committed content is scanned whatever
/// `.gitignore` says. Read from each root's repository index before the walk.
pub fn tracked(walk: &Walk) -> Result<HashSet<PathBuf>> {
    let mut out = HashSet::new();
    let mut repos = HashSet::new();
    for root in &walk.roots {
        let Ok(real_root) = root.path.canonicalize() else {
            continue;
        };
        // `check_roots` checked the repository's metadata: gix may open it.
        let Ok(repo) = gix::discover(&real_root) else {
            continue;
        };
        let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
            continue;
        };
        if !repos.insert((workdir.clone(), real_root.clone())) {
            continue;
        }
        let index = super::staged::open_index(&repo)?;
        for entry in index.entries() {
            let file = entry.mode == gix::index::entry::Mode::FILE
                || entry.mode == gix::index::entry::Mode::FILE_EXECUTABLE;
            if !file {
                continue;
            }
            let Ok(rel) = gix::path::from_bstr(entry.path(&index)) else {
                continue;
            };
            let Ok(below) = workdir
                .join(&rel)
                .strip_prefix(&real_root)
                .map(Path::to_path_buf)
            else {
                continue;
            };
            out.insert(match below.as_os_str().is_empty() {
                true => root.path.clone(),
                false => root.path.join(below),
            });
        }
    }
    Ok(out)
}

/// Of the tracked files the walk did not see, those to scan: not below a directory the walk
/// refused (`skip`), regular files reached through directories that are not links (a
/// tracked path whose directory is a link now is not followed out of the tree).
pub fn unseen(walk: &Walk, left: HashSet<PathBuf>, skip: &[PathBuf]) -> Vec<PathBuf> {
    let direct = |p: &Path| {
        let Some(root) = walk
            .roots
            .iter()
            .filter(|r| p.starts_with(&r.path))
            .max_by_key(|r| r.path.as_os_str().len())
        else {
            return false;
        };
        p.ancestors()
            .skip(1)
            .take_while(|a| *a != root.path && a.starts_with(&root.path))
            .all(|a| std::fs::symlink_metadata(a).is_ok_and(|m| m.is_dir()))
    };
    let mut out: Vec<PathBuf> = left
        .into_iter()
        .filter(|p| !skip.iter().any(|s| p.starts_with(s)))
        .filter(|p| direct(p) && matches!(kind(p), Kind::File(_)))
        .collect();
    out.sort();
    out
}
