//! Checks a repository's metadata before gix opens it. gix opens `HEAD`, the config, the
//! index, `shallow`, refs, alternates and packs by path and reads them with blocking calls:
//! a FIFO there hangs the run, a link to `/dev/zero` reads until memory runs out. So every
//! metadata path gix may open is looked at first (`lstat`, never opened): it must be
//! missing, a regular file (text read whole: at most [`MAX_TEXT`]) or a link to one inside
//! the repository; directories must be directories. Anything else is an error naming the
//! file. One entry, [`check`] (or [`check_at`] for a given repository), used by every
//! command that opens a repository before it does.
//!
//! Files git's own tools keep beside the metadata (hooks, sockets of the fsmonitor
//! daemon, submodules' repositories under `modules/`) are not looked at: gix does not read
//! them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use gix::bstr::{BString, ByteSlice};

use crate::fsguard::{check_file, kind, read_text, Kind, Refused, MAX_TEXT};

/// The largest `.git` file (`gitdir: PATH`) or `commondir` read; gix allows 64 KiB too.
const MAX_POINTER: u64 = 64 * 1024;

/// How deep directories below `refs/`, `objects/` and `logs/` are followed, and alternates
/// and config includes chained: beyond anything git makes, short of a loop.
const MAX_DEPTH: usize = 32;

/// Checks the repository that `gix::discover(start)` (or `GIT_DIR`) would open, if any:
/// the first `.git` (directory or file) or bare repository from `start` upwards, as gix
/// finds it. Finding none is not an error here (gix says so). Returns the directory it was
/// found at.
pub fn check(start: &Path) -> Result<Option<PathBuf>> {
    if let Some(dir) = std::env::var_os("GIT_DIR").filter(|d| !d.is_empty()) {
        let work_tree = std::env::var_os("GIT_WORK_TREE").map(PathBuf::from);
        check_git_dir(Path::new(&dir), work_tree.as_deref())?;
        return Ok(None);
    }
    let abs = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    for a in abs.ancestors() {
        if check_at(a)? {
            return Ok(Some(a.to_path_buf()));
        }
    }
    Ok(None)
}

/// Checks the repository at `dir` (a work tree holding `.git`, or a bare repository), as
/// `gix::open(dir)` would open it: true if one was found there.
pub fn check_at(dir: &Path) -> Result<bool> {
    let dot = dir.join(".git");
    match kind(&dot) {
        Kind::Special(why) => bail!("cannot open the repository: {} {why}", dot.display()),
        Kind::File(_) | Kind::Link(_, false) => {
            let text = read_text(&dot, MAX_POINTER, "gitdir file")?;
            let Some(target) = text.trim_end().strip_prefix("gitdir:") else {
                // gix refuses it as well, with its own message.
                return Ok(false);
            };
            let git_dir = dir.join(target.trim());
            return check_git_dir(&git_dir, Some(dir));
        }
        Kind::Dir | Kind::Link(_, true) => {
            if check_git_dir(&dot, Some(dir))? {
                return Ok(true);
            }
        }
        Kind::Missing => {}
    }
    // A bare repository, or a `.git` directory given itself.
    check_git_dir(dir, None)
}

/// Checks what the work tree walker (the `ignore` crate) reads of the repository at `dir`:
/// its `.git` file, `commondir` and `info/exclude`. Less than [`check_at`]: the walk of a
/// tree holding a repository whose other metadata is broken loses nothing by it.
pub fn check_exclude(dir: &Path) -> Result<()> {
    let dot = dir.join(".git");
    let git_dir = match kind(&dot) {
        Kind::Missing => return Ok(()),
        Kind::Special(why) => bail!("{} {why}", dot.display()),
        Kind::Dir | Kind::Link(_, true) => dot,
        Kind::File(_) | Kind::Link(_, false) => {
            let text = read_text(&dot, MAX_POINTER, "gitdir file")?;
            match text.lines().next().and_then(|l| l.strip_prefix("gitdir: ")) {
                Some(target) => dir.join(target),
                None => return Ok(()),
            }
        }
    };
    let roots: Vec<PathBuf> = [dir, &git_dir]
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let commondir = git_dir.join("commondir");
    check_file(&commondir, Some(MAX_POINTER), &roots).map_err(|e| anyhow::anyhow!("{e}"))?;
    let common = match read_text(&commondir, MAX_POINTER, "commondir file") {
        Ok(text) => git_dir.join(text.lines().next().unwrap_or_default()),
        Err(_) => git_dir,
    };
    let mut roots = roots;
    roots.extend(common.canonicalize());
    check_file(&common.join("info/exclude"), Some(MAX_TEXT), &roots)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Checks the git directory `git_dir` (and its common directory); true if it looks like a
/// repository (`HEAD`, `objects/`, `refs/`).
fn check_git_dir(git_dir: &Path, work_tree: Option<&Path>) -> Result<bool> {
    let head = git_dir.join("HEAD");
    if matches!(kind(&head), Kind::Missing) {
        return Ok(false);
    }
    let mut roots: Vec<PathBuf> = [Some(git_dir), work_tree]
        .into_iter()
        .flatten()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let refused = |e: Refused| anyhow::anyhow!("cannot open the repository: {e}");
    // What gix reads to decide whether this is a repository at all.
    check_file(&head, Some(MAX_TEXT), &roots).map_err(refused)?;
    check_file(&git_dir.join("commondir"), Some(MAX_POINTER), &roots).map_err(refused)?;
    check_file(&git_dir.join("gitdir"), Some(MAX_POINTER), &roots).map_err(refused)?;
    let common = match read_text(&git_dir.join("commondir"), MAX_POINTER, "commondir file") {
        Ok(text) => git_dir.join(text.trim_end_matches(['\n', '\r'])),
        Err(_) => git_dir.to_path_buf(),
    };
    // Not a repository without both (gix looks further up): a directory that merely holds
    // a file named HEAD is not held to the rules of git metadata.
    let is_dir = |p: PathBuf| matches!(kind(&p), Kind::Dir | Kind::Link(_, true));
    if !is_dir(common.join("objects")) || !is_dir(common.join("refs")) {
        return Ok(false);
    }
    if let Ok(c) = common.canonicalize() {
        roots.push(c);
    }
    let mut checker = Checker {
        roots,
        seen: HashSet::new(),
    };
    checker.top(git_dir).map_err(refused)?;
    let same = git_dir.canonicalize().ok() == common.canonicalize().ok();
    if !same {
        checker.top(&common).map_err(refused)?;
    }
    for name in ["refs", "logs", "info", "worktrees"] {
        // Reflogs are only ever read line by line: any size.
        let cap = |file: &str| match (name, file) {
            ("logs", _) | (_, "index") => None,
            (_, f) if f.starts_with("sharedindex.") => None,
            _ => Some(MAX_TEXT),
        };
        for dir in [&common, &git_dir.to_path_buf()] {
            checker.walk(&dir.join(name), 0, &cap).map_err(refused)?;
            if same {
                break;
            }
        }
    }
    checker
        .objects(&common.join("objects"), 0)
        .map_err(refused)?;
    for config in [common.join("config"), git_dir.join("config.worktree")] {
        includes(&config, 0)?;
    }
    Ok(true)
}

/// Walks a repository's metadata.
struct Checker {
    roots: Vec<PathBuf>,
    /// Directories already walked (by resolved path): links cannot make a loop.
    seen: HashSet<PathBuf>,
}

impl Checker {
    /// The files at the top of a git directory that gix may open: the fixed ones, the split
    /// index's shared files, and every pseudo-ref (`HEAD`, `ORIG_HEAD`, `FETCH_HEAD`, ...: a
    /// revision may name any of them).
    fn top(&mut self, dir: &Path) -> Result<(), Refused> {
        for (name, cap) in [
            ("config", Some(MAX_TEXT)),
            ("config.worktree", Some(MAX_TEXT)),
            ("gitdir", Some(MAX_POINTER)),
            ("shallow", Some(MAX_TEXT)),
            ("index", None),
            ("packed-refs", None),
        ] {
            check_file(&dir.join(name), cap, &self.roots)?;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("sharedindex.") {
                check_file(&e.path(), None, &self.roots)?;
            } else if name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                check_file(&e.path(), Some(MAX_TEXT), &self.roots)?;
            }
        }
        Ok(())
    }

    /// The object database: loose objects and packs are mapped, not read (any size);
    /// alternates name more object databases, checked the same way.
    fn objects(&mut self, dir: &Path, depth: usize) -> Result<(), Refused> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        self.walk(dir, 0, &|name| match name {
            "alternates" | "http-alternates" | "commit-graph-chain" | "packs" => Some(MAX_TEXT),
            _ => None,
        })?;
        let Ok(text) = read_text(&dir.join("info/alternates"), MAX_TEXT, "alternates file") else {
            return Ok(());
        };
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let alt = dir.join(line.trim_matches('"'));
            if let Ok(real) = alt.canonicalize() {
                // An alternate is another repository's objects by design: inside it, links
                // are as good as in this one.
                self.roots.push(real);
            }
            self.objects(&alt, depth + 1)?;
        }
        Ok(())
    }

    /// Every file below `dir`, each held to `cap(its name)`.
    fn walk(
        &mut self,
        dir: &Path,
        depth: usize,
        cap_of: &dyn Fn(&str) -> Option<u64>,
    ) -> Result<(), Refused> {
        let refuse = |why: String| {
            Err(Refused {
                path: dir.to_path_buf(),
                why,
            })
        };
        let real = match kind(dir) {
            Kind::Missing => return Ok(()),
            Kind::Dir => dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
            Kind::Link(real, true) if self.inside(&real) => real,
            Kind::Link(real, true) => {
                return refuse(format!(
                    "is a link out of the repository, to {}",
                    real.display()
                ))
            }
            Kind::Link(..) | Kind::File(_) => return refuse("is not a directory".into()),
            Kind::Special(why) => return refuse(why),
        };
        if depth > MAX_DEPTH || !self.seen.insert(real) {
            return Ok(());
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name();
            let cap = cap_of(&name.to_string_lossy());
            // `d_type` from the directory read: no `stat` per loose object or pack.
            let is_dir = match e.file_type() {
                Ok(t) if t.is_file() && cap.is_none() => continue,
                Ok(t) if t.is_dir() => true,
                Ok(t) if t.is_symlink() => matches!(kind(&path), Kind::Link(_, true)),
                _ => false,
            };
            if is_dir {
                self.walk(&path, depth + 1, cap_of)?;
            } else {
                check_file(&path, cap, &self.roots)?;
            }
        }
        Ok(())
    }

    fn inside(&self, real: &Path) -> bool {
        self.roots.iter().any(|r| real.starts_with(r))
    }
}

/// The files a repository config names that gix reads as well: those it includes
/// (`include.path`, `includeIf.*.path`, checked in turn) and `core.attributesFile` (read
/// for history's rename detection), `core.excludesFile`. Each must be a regular file
/// (anywhere: `~/.gitconfig-work` is usual).
fn includes(config: &Path, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let Ok(bytes) = crate::fsguard::read_regular(config, MAX_TEXT, "git config") else {
        return Ok(());
    };
    let meta = gix::config::file::Metadata::api();
    let Ok(file) = gix::config::File::from_bytes_no_includes(&bytes, meta, Default::default())
    else {
        return Ok(());
    };
    let dir = config.parent().unwrap_or(Path::new("."));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let expand = |v: &BString, base: &Path| -> Option<PathBuf> {
        let v = gix::path::from_bstr(v.as_bstr()).ok()?;
        match v.strip_prefix("~") {
            Ok(rest) => home.as_ref().map(|h| h.join(rest)),
            // An absolute `v` replaces `base`.
            Err(_) => Some(base.join(v)),
        }
    };
    // (path, included: checked in turn)
    let mut paths: Vec<(PathBuf, bool)> = Vec::new();
    for section in ["include", "includeIf"] {
        for s in file.sections_by_name(section).into_iter().flatten() {
            for v in s.values("path") {
                paths.extend(expand(&v, dir).map(|p| (p, true)));
            }
        }
    }
    for key in ["core.attributesFile", "core.excludesFile"] {
        for v in file.strings(key).into_iter().flatten() {
            // Relative: to the current directory for git; the config's directory too.
            for base in [dir, Path::new(".")] {
                paths.extend(expand(&v, base).map(|p| (p, false)));
            }
        }
    }
    for (path, included) in paths {
        let by = match included {
            true => "included by",
            false => "named by",
        };
        let why = match kind(&path) {
            Kind::Missing => continue,
            Kind::File(len) if len > MAX_TEXT => {
                format!("is {len} bytes, over the limit of {MAX_TEXT} bytes")
            }
            Kind::File(_) | Kind::Link(_, false) => {
                if included {
                    includes(&path, depth + 1)?;
                }
                continue;
            }
            Kind::Dir | Kind::Link(_, true) => "is a directory, not a regular file".into(),
            Kind::Special(why) => why,
        };
        bail!(
            "cannot open the repository: {} ({by} {}) {why}",
            path.display(),
            config.display()
        );
    }
    Ok(())
}
