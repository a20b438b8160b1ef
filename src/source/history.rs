//! A repository's history, read with gix: every commit reachable from HEAD, from every ref,
//! or in a range (what a pull request adds).
//!
//! Three steps. [`plan`] visits commits oldest first, diffed against their first parent, so
//! the first time a blob shows up at a path is the commit that introduced it; renames are
//! followed, so a file that merely moves is not a new leak. [`feed`] hands every unique blob
//! once, in parallel, with all its (commit, path) places as origins, then each path's
//! appearances for the path rules. [`attribute`] reports each finding once per (rule, path,
//! secret) with the earliest commit: a secret that lives on through fifty commits is one
//! finding.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use gix::bstr::{BString, ByteSlice};
use gix::ObjectId;
use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::chunk::{Content, Item, Limits, Origin, OriginKind, Sink};
use crate::finding::{CommitInfo, Finding};

/// Which commits to scan.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Everything reachable from HEAD.
    Head,
    /// Everything reachable from any ref.
    All,
    /// A revision range such as `main..feature` (or a single revision).
    Range(String),
    /// What `tips` reach that `hidden` do not: an audit's re-run, which hides the tips it
    /// scanned last time.
    Since {
        tips: Vec<ObjectId>,
        hidden: Vec<ObjectId>,
    },
}

impl Selection {
    /// `--range` if given, else `--all`, else HEAD.
    pub fn new(range: Option<&str>, all: bool) -> Selection {
        match (range, all) {
            (Some(r), _) => Selection::Range(r.to_string()),
            (None, true) => Selection::All,
            (None, false) => Selection::Head,
        }
    }
}

/// What the walk found: the commits, every path (interned, renames following their
/// source's lineage), and every place where something needs scanning.
pub struct Plan {
    commits: Vec<ObjectId>,
    paths: Vec<BString>,
    /// Every (blob, path) place, then every path's appearances (path rules): an origin's
    /// tag is an index into this list.
    places: Vec<Place>,
    /// Each unique blob with the range of its places in `places`.
    blobs: Vec<(ObjectId, std::ops::Range<usize>)>,
    /// The refs whose names are scanned, with the commit each points to.
    refs: Vec<(BString, ObjectId)>,
    /// Notes for stderr (a shallow clone, for instance).
    pub notes: Vec<String>,
}

/// Where something was seen: the path (interned, after following renames) and the commit.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// Into `paths`; for a [`What::Ref`], into `refs`; unused for a [`What::Message`].
    path: u32,
    /// Into `commits`; unused for a [`What::Ref`] (its tip is in `refs`).
    commit: u32,
    what: What,
}

/// What a [`Place`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    /// A blob at a path.
    Blob,
    /// A path's first appearance (path rules).
    Path,
    /// A commit's message and its author's and committer's names and e-mails.
    Message,
    /// A ref's name (`--all` and audits: every ref the walk starts from).
    Ref,
}

/// The path findings in commit metadata carry (and the path allowlist globs see); JSON
/// tells them from a file of that name by their `origin`.
pub const MESSAGE_PATH: &str = "(commit message)";

impl Plan {
    /// Commits walked.
    pub fn commits(&self) -> usize {
        self.commits.len()
    }

    /// Each unique blob still to be scanned, with the paths it was seen at.
    pub fn blobs(&self) -> impl Iterator<Item = (ObjectId, Vec<&[u8]>)> + '_ {
        self.blobs.iter().map(|(id, places)| {
            let paths = self.places[places.clone()]
                .iter()
                .map(|p| self.paths[p.path as usize].as_slice());
            (*id, paths.collect())
        })
    }

    /// Keeps only the blobs `keep` accepts (an audit drops those it already knows): the
    /// others are neither read nor scanned. Their places stay, so tags keep their meaning.
    pub fn retain_blobs(&mut self, mut keep: impl FnMut(&ObjectId, &[&[u8]]) -> bool) {
        let (places, paths) = (&self.places, &self.paths);
        self.blobs.retain(|(id, range)| {
            let at: Vec<&[u8]> = places[range.clone()]
                .iter()
                .map(|p| paths[p.path as usize].as_slice())
                .collect();
            keep(id, &at)
        });
    }

    /// The blob a finding's origin tag points into, if it was a blob (not a path).
    pub fn blob_of(&self, tag: u32) -> Option<ObjectId> {
        let tag = tag as usize;
        let i = self.blobs.partition_point(|(_, r)| r.end <= tag);
        self.blobs
            .get(i)
            .filter(|(_, r)| r.contains(&tag))
            .map(|(id, _)| *id)
    }

    fn origin(&self, tag: usize) -> Origin {
        let place = self.places[tag];
        let commit = || {
            self.commits[place.commit as usize]
                .to_hex_with_len(12)
                .to_string()
        };
        let (path, kind) = match place.what {
            What::Path => (self.paths[place.path as usize].as_bstr(), OriginKind::Path),
            What::Blob => (
                self.paths[place.path as usize].as_bstr(),
                OriginKind::Blob { commit: commit() },
            ),
            What::Message => (
                MESSAGE_PATH.as_bytes().as_bstr(),
                OriginKind::Commit { commit: commit() },
            ),
            What::Ref => (self.refs[place.path as usize].0.as_bstr(), OriginKind::Ref),
        };
        Origin {
            path: path.to_str_lossy().into_owned(),
            display: super::printable_name(path.as_ref()),
            kind,
            tag: tag as u32,
            physical: None,
        }
    }
}

/// Walks the selected commits, oldest first, and records where each blob and path first
/// appears.
pub fn plan(repo: &gix::Repository, selection: &Selection, cancel: &Cancel) -> Result<Plan> {
    let mut notes = Vec::new();
    if repo.is_shallow().unwrap_or(false) {
        notes.push(
            "this is a shallow clone: only the commits it holds are scanned; fetch the full history (git fetch --unshallow) for a complete audit".to_string(),
        );
    }
    let (tips, hidden) = select(repo, selection)?;
    let commits = walk(repo, tips, hidden.clone())?;

    // Path interning and rename lineage: a renamed path continues its source's identity.
    let mut paths: Vec<BString> = Vec::new();
    let mut path_ids: HashMap<BString, u32> = HashMap::new();
    let mut lineage: HashMap<u32, u32> = HashMap::new();
    let mut intern = |p: &[u8], paths: &mut Vec<BString>| -> u32 {
        if let Some(&id) = path_ids.get(p) {
            return id;
        }
        let id = paths.len() as u32;
        paths.push(p.into());
        path_ids.insert(p.into(), id);
        id
    };
    // For each blob, where it appeared first at each path (in first-seen order).
    let mut seen: HashMap<ObjectId, Vec<Place>> = HashMap::new();
    let mut order: Vec<ObjectId> = Vec::new();
    let mut new_paths: Vec<Place> = Vec::new();
    let mut cache = tree_diff_cache(repo)?;
    let empty = repo.empty_tree();
    for (ci, &commit_id) in commits.iter().enumerate() {
        cancel.check()?;
        let commit = repo
            .find_commit(commit_id)
            .with_context(|| format!("cannot read commit {}", commit_id))?;
        let tree = commit
            .tree()
            .with_context(|| format!("cannot read the tree of commit {}", commit_id))?;
        let parent_tree = match commit.parent_ids().next() {
            Some(p) => match repo.find_commit(p) {
                Ok(pc) => pc
                    .tree()
                    .with_context(|| format!("cannot read the tree of commit {}", p))?,
                // A shallow boundary: the parent is not here; everything counts as added.
                Err(_) => empty.clone(),
            },
            None => empty.clone(),
        };
        let rewrites = gix::diff::Rewrites {
            copies: None,
            percentage: Some(0.5),
            limit: 1000,
            track_empty: false,
        };
        let mut changes = Vec::new();
        let diffed = diff_commit(
            &parent_tree,
            &tree,
            &mut cache,
            Some(rewrites),
            &mut changes,
        );
        if diffed.is_err() {
            // Rename detection reads blobs; one unreadable blob must not stop the scan. Diff
            // again without it: the blob is then listed and reported as unreadable.
            changes.clear();
            cache.clear_resource_cache_keep_allocation();
            diff_commit(&parent_tree, &tree, &mut cache, None, &mut changes)
                .with_context(|| format!("cannot diff commit {}", commit_id))?;
        }
        cache.clear_resource_cache_keep_allocation();
        for (location, id, renamed_from) in changes {
            let pid = intern(&location, &mut paths);
            let commit = ci as u32;
            if let Some(from) = renamed_from {
                let from_id = intern(&from, &mut paths);
                let root = *lineage.get(&from_id).unwrap_or(&from_id);
                lineage.insert(pid, root);
            } else if !lineage.contains_key(&pid) {
                new_paths.push(Place {
                    path: pid,
                    commit,
                    what: What::Path,
                });
            }
            let canonical = *lineage.get(&pid).unwrap_or(&pid);
            let list = seen.entry(id).or_insert_with(|| {
                order.push(id);
                Vec::new()
            });
            if !list.iter().any(|s| s.path == canonical) {
                list.push(Place {
                    path: canonical,
                    commit,
                    what: What::Blob,
                });
            }
        }
    }
    let mut places = Vec::new();
    let mut blobs = Vec::with_capacity(order.len());
    for id in order {
        let start = places.len();
        places.extend(seen.remove(&id).unwrap_or_default());
        blobs.push((id, start..places.len()));
    }
    places.extend(new_paths);
    places.extend((0..commits.len() as u32).map(|commit| Place {
        path: 0,
        commit,
        what: What::Message,
    }));
    let refs = ref_names(repo, selection, &hidden)?;
    places.extend((0..refs.len() as u32).map(|path| Place {
        path,
        commit: 0,
        what: What::Ref,
    }));
    Ok(Plan {
        commits,
        paths,
        places,
        blobs,
        refs,
        notes,
    })
}

/// The refs whose names an `--all` walk or an audit scans: every ref pointing (through
/// tags) at a commit, except those an audit's re-run already scanned (their tip is hidden).
/// A branch name is text someone typed: a token pasted into it is as leaked as one in a file.
fn ref_names(
    repo: &gix::Repository,
    selection: &Selection,
    hidden: &[ObjectId],
) -> Result<Vec<(BString, ObjectId)>> {
    if !matches!(selection, Selection::All | Selection::Since { .. }) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let refs = repo.references().context("cannot read references")?;
    for r in refs.all().context("cannot read references")? {
        let mut r = r.map_err(|e| anyhow::anyhow!("cannot read references: {e}"))?;
        let name = r.name().as_bstr().to_owned();
        // Unreadable targets are the walk's business (`select` fails on them for `--all`).
        let Ok(id) = r.peel_to_id() else { continue };
        let id = id.detach();
        if !hidden.contains(&id) {
            out.push((name, id));
        }
    }
    out.sort();
    Ok(out)
}

/// The worker threads [`feed`] runs on: built once by the caller, so that an audit does not
/// start a pool per repository.
pub fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")
}

/// Hands every unique blob once (in parallel on `pool`, each worker with its own repository
/// handle and a sink made by `make`) with all the places it was seen, then every path's
/// appearances for the path rules.
pub fn feed<S: Sink>(
    pool: &rayon::ThreadPool,
    repo: &gix::Repository,
    plan: &Plan,
    limits: Limits,
    cancel: &Cancel,
    make: &(dyn Fn() -> S + Sync),
) -> Result<()> {
    let sync = repo.clone().into_sync();
    pool.install(|| {
        plan.blobs.par_iter().for_each_init(
            || (sync.to_thread_local(), make()),
            |(repo, sink), (id, places)| {
                if cancel.is_cancelled() {
                    return;
                }
                let origins: Vec<Origin> = places.clone().map(|t| plan.origin(t)).collect();
                let give = |sink: &mut S, content| {
                    sink.take(Item {
                        content,
                        origins: &origins,
                    })
                };
                match repo.find_header(*id) {
                    Ok(h) if !limits.admits(h.size()) => return give(sink, Content::TooLarge),
                    Ok(_) => {}
                    Err(e) => return give(sink, Content::Unreadable(format!("blob {id}: {e}"))),
                }
                match repo.find_blob(*id) {
                    Ok(b) => give(sink, Content::Bytes(&b.data)),
                    Err(e) => give(sink, Content::Unreadable(format!("blob {id}: {e}"))),
                }
            },
        )
    });
    cancel.check()?;
    // Commit metadata, one small chunk per commit, on the same workers.
    let first = (plan.places.iter())
        .position(|p| p.what == What::Message)
        .unwrap_or(plan.places.len());
    let messages = first..first + plan.commits.len();
    pool.install(|| {
        messages.into_par_iter().for_each_init(
            || (sync.to_thread_local(), make()),
            |(repo, sink), tag| {
                if cancel.is_cancelled() {
                    return;
                }
                let origins = [plan.origin(tag)];
                let id = plan.commits[plan.places[tag].commit as usize];
                let content = match commit_text(repo, id) {
                    Ok(text) => text,
                    Err(e) => {
                        let content = Content::Unreadable(format!("commit {id}: {e:#}"));
                        return sink.take(Item {
                            content,
                            origins: &origins,
                        });
                    }
                };
                sink.take(Item {
                    content: Content::Bytes(&content),
                    origins: &origins,
                });
            },
        )
    });
    cancel.check()?;
    let mut sink = make();
    for (tag, place) in plan.places.iter().enumerate() {
        let (content, origins) = match place.what {
            What::Blob | What::Message => continue,
            What::Path => (Content::PathOnly, [plan.origin(tag)]),
            What::Ref => {
                let name = plan.refs[place.path as usize].0.as_slice();
                (Content::Bytes(name), [plan.origin(tag)])
            }
        };
        sink.take(Item {
            content,
            origins: &origins,
        });
    }
    Ok(())
}

/// What a commit says besides its tree, as one text: the message (raw, so that its line
/// numbers are the message's own), then the author's and the committer's name and e-mail.
fn commit_text(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>> {
    let commit = repo.find_commit(id)?;
    let decoded = commit.decode()?;
    let mut text = decoded.message.to_vec();
    if !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    for (who, sig) in [
        ("Author", decoded.author()?),
        ("Committer", decoded.committer()?),
    ] {
        text.extend_from_slice(format!("{who}: ").as_bytes());
        text.extend_from_slice(sig.name);
        text.extend_from_slice(b" <");
        text.extend_from_slice(sig.email);
        text.extend_from_slice(b">\n");
    }
    Ok(text)
}

/// What makes two sightings the same finding: rule, path lineage (or what the place
/// holds, for commit metadata), secret, suppressed?
type SightingKey = (String, u32, Vec<u8>, bool);

/// Credits each finding to the commit that introduced it: a secret is reported once per
/// (rule, path lineage, secret), at its earliest commit, and not at all when the commit's
/// parent already held it at that path (a range starting after the leak). A secret in
/// commit messages or e-mails is reported once, at the first commit that holds it; one in
/// a ref's name, at the ref's tip.
/// `shown` makes a name or e-mail printable: the author of a commit can be a token too.
pub fn attribute(
    repo: &gix::Repository,
    plan: &Plan,
    found: Vec<(u32, Finding)>,
    shown: &mut dyn FnMut(&str) -> String,
) -> Result<Vec<Finding>> {
    // (rule, path, secret, suppressed?) → (commit, place, finding). Suppressed and reported
    // sightings are kept apart: an allowed copy must never hide an unallowed one.
    let mut best: HashMap<SightingKey, (u32, Place, Finding)> = HashMap::new();
    let mut findings = Vec::new();
    for (tag, mut f) in found {
        let place = plan.places[tag as usize];
        let lineage = match place.what {
            What::Blob => place.path,
            // Commit metadata has no path: one lineage of its own.
            What::Message => u32::MAX,
            What::Path => {
                let id = plan.commits[place.commit as usize];
                f.commit = Some(commit_info(repo, id, shown)?);
                findings.push(f);
                continue;
            }
            What::Ref => {
                let id = plan.refs[place.path as usize].1;
                f.commit = Some(commit_info(repo, id, shown)?);
                findings.push(f);
                continue;
            }
        };
        let key = (
            f.rule_id.clone(),
            lineage,
            f.secret_bytes().to_vec(),
            f.suppressed.is_some(),
        );
        let better = best
            .get(&key)
            .is_none_or(|(c, _, old)| (place.commit, f.line) < (*c, old.line));
        if better {
            best.insert(key, (place.commit, place, f));
        }
    }
    for (commit, place, mut f) in best.into_values() {
        let id = plan.commits[commit as usize];
        if place.what == What::Blob {
            let raw = plan.paths[place.path as usize].to_str_lossy();
            if parent_had(repo, id, &raw, f.secret_bytes()) {
                continue;
            }
        }
        f.commit = Some(commit_info(repo, id, shown)?);
        findings.push(f);
    }
    Ok(findings)
}

/// One change a commit makes: path, blob, and the source path of a rename.
type Change = (Vec<u8>, ObjectId, Option<Vec<u8>>);

/// The blob and symlink changes from `parent` to `tree`, renames followed if `rewrites`.
fn diff_commit(
    parent: &gix::Tree<'_>,
    tree: &gix::Tree<'_>,
    cache: &mut gix::diff::blob::Platform,
    rewrites: Option<gix::diff::Rewrites>,
    changes: &mut Vec<Change>,
) -> Result<()> {
    parent
        .changes()
        .context("cannot diff trees")?
        .options(|o| {
            o.track_path().track_rewrites(rewrites);
        })
        .for_each_to_obtain_tree_with_cache(tree, cache, |change| {
            use gix::object::tree::diff::Change;
            match change {
                Change::Addition {
                    location,
                    entry_mode,
                    id,
                    ..
                }
                | Change::Modification {
                    location,
                    entry_mode,
                    id,
                    ..
                } if entry_mode.is_blob() || entry_mode.is_link() => {
                    changes.push((location.to_vec(), id.detach(), None));
                }
                Change::Rewrite {
                    source_location,
                    location,
                    entry_mode,
                    id,
                    copy,
                    ..
                } if entry_mode.is_blob() || entry_mode.is_link() => {
                    let from = (!copy).then(|| source_location.to_vec());
                    changes.push((location.to_vec(), id.detach(), from));
                }
                _ => {}
            }
            Ok(gix::object::tree::diff::Action::Continue(()))
        })?;
    Ok(())
}

/// The blob cache rename detection uses. Unlike `diff_resource_cache_for_tree_diff`, it never
/// reads the index (a history audit must not depend on a broken or absent index) nor the
/// repository's `.gitattributes`; blobs come from the object database as stored, so no filter
/// or textconv program is ever run.
fn tree_diff_cache(repo: &gix::Repository) -> Result<gix::diff::blob::Platform> {
    let empty = gix::index::State::new(repo.object_hash());
    let attributes = repo
        .attributes_only(
            &empty,
            gix::worktree::stack::state::attributes::Source::IdMapping,
        )
        .context("cannot prepare tree diffs")?
        .detach();
    gix::diff::resource_cache(
        repo,
        gix::diff::blob::pipeline::Mode::ToGit,
        attributes,
        gix::diff::blob::pipeline::WorktreeRoots::default(),
    )
    .context("cannot prepare tree diffs")
}

/// Tips to walk from and commits to hide, from the selection.
fn select(repo: &gix::Repository, selection: &Selection) -> Result<(Vec<ObjectId>, Vec<ObjectId>)> {
    match selection {
        Selection::Head => {
            // An unborn HEAD (no commit yet) has nothing to scan; a HEAD that does not
            // resolve (a corrupt or missing commit) is an error, never an empty, clean scan.
            let head = repo.head().context("cannot read HEAD")?;
            if head.is_unborn() {
                return Ok((Vec::new(), Vec::new()));
            }
            let id = head
                .try_into_peeled_id()
                .context("cannot resolve HEAD")?
                .map(|id| id.detach());
            Ok((id.into_iter().collect(), Vec::new()))
        }
        Selection::All => {
            let mut tips = Vec::new();
            let refs = repo.references().context("cannot read references")?;
            for r in refs.all().context("cannot read references")? {
                let mut r = r.map_err(|e| anyhow::anyhow!("cannot read references: {e}"))?;
                // A ref whose object is corrupt or missing is an error: skipping it would
                // silently leave its history unscanned.
                let name = r.name().as_bstr().to_string();
                let id = r
                    .peel_to_id()
                    .with_context(|| format!("cannot resolve {name}"))?
                    .detach();
                let kind = repo
                    .find_header(id)
                    .with_context(|| format!("cannot read object {id} ({name})"))?
                    .kind();
                if kind == gix::object::Kind::Commit {
                    tips.push(id);
                }
            }
            tips.extend(select(repo, &Selection::Head)?.0);
            tips.sort();
            tips.dedup();
            Ok((tips, Vec::new()))
        }
        Selection::Since { tips, hidden } => Ok((tips.clone(), hidden.clone())),
        Selection::Range(spec) => {
            let parsed = repo
                .rev_parse(spec.as_bytes().as_bstr())
                .with_context(|| format!("bad range `{spec}`"))?
                .detach();
            use gix::revision::plumbing::Spec;
            match parsed {
                Spec::Range { from, to } => Ok((vec![to], vec![from])),
                Spec::Include(id) => Ok((vec![id], Vec::new())),
                other => {
                    bail!("bad range `{spec}`: use BASE..HEAD or a single revision (got {other:?})")
                }
            }
        }
    }
}

/// The BASE commit of a `BASE..HEAD` range (`None` for a single revision).
pub fn range_base(repo: &gix::Repository, spec: &str) -> Result<Option<ObjectId>> {
    let parsed = repo
        .rev_parse(spec.as_bytes().as_bstr())
        .with_context(|| format!("bad range `{spec}`"))?
        .detach();
    use gix::revision::plumbing::Spec;
    let Spec::Range { from, .. } = parsed else {
        return Ok(None);
    };
    let commit = repo
        .find_object(from)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("bad range `{spec}`: BASE is not a commit"))?;
    Ok(Some(commit.id))
}

/// The content of the file at `path` in `commit`, if it is a blob there.
pub fn read_at(repo: &gix::Repository, commit: ObjectId, path: &str) -> Result<Option<Vec<u8>>> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .with_context(|| format!("cannot read the tree of commit {commit}"))?;
    let Some(entry) = tree
        .lookup_entry_by_path(path)
        .with_context(|| format!("cannot look up {path} in commit {commit}"))?
    else {
        return Ok(None);
    };
    if !entry.mode().is_blob() {
        return Ok(None);
    }
    let blob = repo
        .find_blob(entry.object_id())
        .with_context(|| format!("cannot read {path} at commit {commit}"))?;
    Ok(Some(blob.data.clone()))
}

/// The selected commits, parents before children (ties by commit time, oldest first), so
/// that the first occurrence of a blob is the commit that introduced it even when many
/// commits share a timestamp.
fn walk(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
) -> Result<Vec<ObjectId>> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    use gix::revision::walk::Sorting;
    use gix::traverse::commit::simple::CommitTimeOrder;
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .sorting(Sorting::ByCommitTime(CommitTimeOrder::OldestFirst))
        .all()
        .context("cannot walk the history")?;
    let mut order: Vec<ObjectId> = Vec::new();
    let mut parents: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    for info in walk {
        let info = info.context("cannot walk the history")?;
        parents.insert(info.id, info.parent_ids.iter().copied().collect());
        order.push(info.id);
    }
    // Iterative depth-first post-order: a commit is emitted after all its walked parents.
    let mut emitted: std::collections::HashSet<ObjectId> = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(order.len());
    for &start in &order {
        if emitted.contains(&start) {
            continue;
        }
        let mut stack = vec![(start, false)];
        while let Some((id, expanded)) = stack.pop() {
            if emitted.contains(&id) {
                continue;
            }
            if expanded {
                emitted.insert(id);
                out.push(id);
                continue;
            }
            stack.push((id, true));
            for p in parents.get(&id).into_iter().flatten().rev() {
                if parents.contains_key(p) && !emitted.contains(p) {
                    stack.push((*p, false));
                }
            }
        }
    }
    Ok(out)
}

/// Did the first parent of `commit` already hold `secret` at `path`? Then the commit did
/// not introduce it (a range scan starting after the leak, or a secret reached by a merge).
fn parent_had(repo: &gix::Repository, commit: ObjectId, path: &str, secret: &[u8]) -> bool {
    if secret.is_empty() {
        return false;
    }
    let parent = match repo
        .find_commit(commit)
        .ok()
        .and_then(|c| c.parent_ids().next().map(|p| p.detach()))
    {
        Some(p) => p,
        None => return false,
    };
    let Ok(tree) = repo.find_commit(parent).and_then(|c| c.tree()) else {
        return false;
    };
    let Ok(Some(entry)) = tree.lookup_entry_by_path(path) else {
        return false;
    };
    repo.find_blob(entry.object_id())
        .is_ok_and(|b| memchr::memmem::find(&b.data, secret).is_some())
}

fn commit_info(
    repo: &gix::Repository,
    id: ObjectId,
    shown: &mut dyn FnMut(&str) -> String,
) -> Result<CommitInfo> {
    let commit = repo
        .find_commit(id)
        .with_context(|| format!("cannot read commit {id}"))?;
    let author = commit
        .author()
        .with_context(|| format!("cannot read the author of commit {id}"))?;
    let time = author.time().ok();
    let date = time
        .map(|t| t.format_or_unix(gix::date::time::format::ISO8601_STRICT))
        .unwrap_or_default();
    Ok(CommitInfo {
        id: id.to_string(),
        author: shown(&author.name.to_str_lossy()),
        email: shown(&author.email.to_str_lossy()),
        date,
        seconds: time.map_or(0, |t| t.seconds),
    })
}
