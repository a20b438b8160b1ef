//! `leakguard audit`: many repositories, one datastore of incidents with their triage.
//!
//! The same flow as `history --all` for each repository (the plan, the pipeline with the one
//! engine, first-commit attribution), with two differences: the config is built once for
//! the whole audit, and the [`store`] remembers what was scanned. A re-run skips a
//! repository whose refs have not moved, walks only the commits new tips add, and does not
//! read a blob already found clean at the same path (in any repository: forks).

pub mod aggregate;
pub mod clone;
pub mod forge;
pub mod html;
/// The audit's data model lives in [`crate::incident`], below `config` (which builds the
/// triage decisions it names).
pub use crate::incident as model;
pub mod report;
pub mod store;
pub mod targets;
pub mod validation;

use std::collections::HashSet;

use anyhow::{bail, Context, Result};
use gix::ObjectId;
use sha2::{Digest, Sha256};

use crate::cancel::{Cancel, Interrupted};
use crate::chunk::Limits;
use crate::config::{self, Audit};
use crate::exit::{ExitStatus, Messages};
use crate::finding::{Finding, FindingKind};
use crate::fingerprint::{FingerprintKey, KEY_ENV};
use crate::source::history;
use store::{NewLocation, Provenance, Scanned, Store};
use targets::{Source, Target};

pub use crate::config::SHARD_ENV;

/// `leakguard audit`.
pub fn run(cfg: &Audit, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    messages.quiet |= cfg.quiet;
    let shard = cfg.shard;
    let listing = !cfg.forges.owners.is_empty();
    let mut all = targets::collect(&cfg.inputs, cfg.repos_file.as_deref(), listing)?;
    if listing {
        let say = |line: &str| {
            if !cfg.quiet {
                say(line)
            }
        };
        all.extend(forge::targets(&cfg.forges, cancel, &say));
        // A repository named and listed too is audited once, as listed.
        all.sort_by(|a, b| {
            (a.name.as_str(), a.listed.is_none()).cmp(&(b.name.as_str(), b.listed.is_none()))
        });
        all.dedup_by(|a, b| a.name == b.name);
    }
    let setup = &cfg.setup;
    // A repository's name is shown and stored: a token in a directory's name (`keys-<token>`)
    // is redacted like one in a file's, the same way in every run and every shard.
    let mut scanner = setup.engine().scanner();
    for t in &mut all {
        t.name = scanner.printable_path(&t.name).into_owned();
        if let targets::Source::Broken(shown, why) = &mut t.source {
            *shown = scanner.printable_path(shown).into_owned();
            *why = scanner.printable_path(why).into_owned();
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some((i, n)) = shard {
        all.retain(|t| t.in_shard(i, n));
    }
    // Made before anything is scanned: a bad --validation-ca, or a build without the
    // `https` feature, fails the audit at once.
    let validator = match &cfg.validation {
        Some((settings, after)) => {
            Some((crate::validate::Validator::new(settings.clone())?, *after))
        }
        None => None,
    };
    let env_key = std::env::var(KEY_ENV).ok();
    let _lock = store::Lock::acquire(&cfg.db)?;
    let (mut store, key) = Store::open(&cfg.db, env_key.as_deref(), shard.is_some())?;
    if store.use_rules(&setup.digest)? {
        messages.notes.push(
            "the rules, config or limits changed since the last audit: blobs known clean are scanned again".into(),
        );
    }
    let clone_dir = &cfg.clone_dir;
    let progress = cfg.progress;
    // One pool for the probe and every repository. If it cannot start, the probe reads the
    // refs one repository at a time and each repository's scan fails with the reason.
    let pool = history::pool(setup.limits.threads);
    let ctx = Shared {
        setup,
        limits: setup.limits,
        pool: &pool,
        key: &key,
        clone_dir,
        cancel,
        show_secrets: cfg.show_secrets,
    };
    let mut tally = Tally::default();
    let probed = probe(&all, setup.engine(), pool.as_ref().ok());
    crate::progress::Progress::run_counted(progress, "blobs", all.len(), |p| -> Result<()> {
        for (target, refs) in all.iter().zip(probed) {
            cancel.check()?;
            // A listed repository the forge says nobody pushed to since its last complete
            // audit is not even fetched.
            let idle = match target.listed.as_ref().and_then(|l| l.activity.as_deref()) {
                Some(a) => store.known(&target.name)?.is_some_and(|k| k.idle_since(a)),
                None => false,
            };
            let result = match refs {
                _ if idle => Ok(None),
                Some(refs) if store.unchanged(&target.name, &refs)? => Ok(None),
                // A bug must cost one repository, never the audit: the panic hook has said
                // where (and nothing of the data), and this repository is a recorded failure.
                _ => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    ctx.audit(target, &store, p)
                }))
                .unwrap_or_else(|_| {
                    bail!(
                        "leakguard failed on this repository (an internal error: please report it)"
                    )
                }),
            };
            if cancel.is_cancelled() {
                return Err(Interrupted.into());
            }
            let location = target.location();
            let from = Provenance {
                location: &location,
                origin: target.listed.as_ref().map(|l| l.origin.as_str()),
                activity: target.listed.as_ref().and_then(|l| l.activity.as_deref()),
            };
            match result {
                Ok(None) => {
                    tally.unchanged += 1;
                    if target.listed.is_some() && !idle {
                        store.record_idle(&target.name, from)?;
                    }
                }
                Ok(Some(mut scanned)) => {
                    if let Some(e) = &mut scanned.error {
                        *e = target.redact(e);
                        messages.warnings.push(format!("{}: {e}", target.name));
                        tally.failed += 1;
                    } else {
                        tally.scanned += 1;
                    }
                    store.record(&target.name, from, &scanned)?;
                }
                Err(e) => {
                    // Shown and stored only redacted: gix's and SQLite's errors quote URLs.
                    let e = target.redact(&format!("{e:#}"));
                    messages.warnings.push(format!("{}: {e}", target.name));
                    tally.failed += 1;
                    store.record_failure(&target.name, from, &e)?;
                }
            }
            if let Some(p) = p {
                p.done_one();
            }
        }
        Ok(())
    })?;
    if let Some((validator, after)) = &validator {
        cancel.check()?;
        let ctx = validation::Context {
            engine: setup.engine(),
            key: &key,
            targets: &all,
            clone_dir,
        };
        let counts = validation::check_due(&mut store, &ctx, validator, *after)?;
        if counts.is_empty() {
            messages
                .notes
                .push("validation: no incident was due for a check".into());
        } else {
            let mut counts: Vec<_> = counts.into_iter().collect();
            counts.sort();
            let said: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
            messages
                .notes
                .push(format!("validation: {}", said.join(", ")));
        }
    }
    let report = store.report(cfg.all_statuses)?;
    if !cfg.quiet {
        crate::output::to_stdout(|w| report::summary(&report, &tally.line(&cfg.db), w))?;
    }
    Ok(if tally.failed > 0 {
        ExitStatus::Incomplete
    } else if report.incidents.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

/// A progress line on stderr, now (not at the end, as [`Messages`] are): escaped for the
/// terminal like every message.
fn say(line: &str) {
    use std::io::Write;
    let line = crate::printable::message(&format!("leakguard: {line}"));
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The refs of every local repository, read in parallel: a re-run where little moved is
/// mostly this. `None` where they cannot be read (the audit proper says why).
fn probe(
    targets: &[Target],
    engine: &crate::engine::Engine,
    pool: Option<&rayon::ThreadPool>,
) -> Vec<Option<Vec<(String, String)>>> {
    use rayon::prelude::*;
    let read = |t: &Target| match &t.source {
        Source::Local(path) => open_local(path)
            .ok()
            .and_then(|r| raw_refs(&r, engine).ok()),
        _ => None,
    };
    match pool {
        Some(pool) => pool.install(|| targets.par_iter().map(read).collect()),
        None => targets.iter().map(read).collect(),
    }
}

/// Opens a repository on disk with its own config only: the user's and the system's have
/// no say in what an audit reads (and reading them for every repository costs time).
/// Its metadata is checked first ([`crate::source::preflight`]).
fn open_local(path: &std::path::Path) -> Result<gix::Repository> {
    crate::source::preflight::check_at(path)?;
    gix::open_opts(path, gix::open::Options::isolated())
        .with_context(|| format!("cannot open the repository {}", path.display()))
}

/// How many repositories went which way.
#[derive(Default)]
struct Tally {
    scanned: usize,
    unchanged: usize,
    failed: usize,
}

impl Tally {
    fn line(&self, db: &std::path::Path) -> String {
        let total = self.scanned + self.unchanged + self.failed;
        format!(
            "{total} repositories audited into {}: {} scanned, {} unchanged, {} failed",
            db.display(),
            self.scanned,
            self.unchanged,
            self.failed
        )
    }
}

/// What every repository's audit shares.
struct Shared<'a> {
    setup: &'a crate::config::AuditSetup,
    limits: Limits,
    /// The worker threads of every repository's scan ([`history::pool`]).
    pool: &'a Result<rayon::ThreadPool>,
    key: &'a FingerprintKey,
    clone_dir: &'a std::path::Path,
    cancel: &'a Cancel,
    show_secrets: bool,
}

impl Shared<'_> {
    /// Audits one repository: `None` when its refs have not moved since the last audit.
    fn audit(
        &self,
        target: &Target,
        store: &Store,
        progress: Option<&crate::progress::Progress>,
    ) -> Result<Option<Scanned>> {
        let mut repo = match &target.source {
            Source::Broken(_, why) => bail!("{why}"),
            Source::Local(path) => open_local(path)?,
            Source::Remote(url) => {
                let dest = clone::path_for(self.clone_dir, &target.name);
                clone::sync(url, &dest, &self.cancel.flag(), target.auth())?
            }
        };
        repo.object_cache_size_if_unset(8 * 1024 * 1024);
        // Refs as stored (no object is read): unchanged ones mean nothing to do.
        let refs = raw_refs(&repo, self.setup.engine())?;
        let known = store.known(&target.name)?;
        if known.as_ref().is_some_and(|k| k.unchanged(&refs)) {
            return Ok(None);
        }
        let tips = commits(&repo, refs.iter().map(|(_, t)| t), true)?;
        // What the last audit scanned is hidden from the walk, if this clone still has it.
        let old = known.iter().flat_map(|k| &k.refs).map(|(_, t)| t);
        let hidden = commits(&repo, old, false)?;
        let selection = history::Selection::Since { tips, hidden };
        let mut plan = history::plan(&repo, &selection, self.cancel)?;
        let pairs: Vec<[u8; 16]> = plan
            .blobs()
            .flat_map(|(id, paths)| paths.into_iter().map(move |p| clean_key(&id, p)))
            .collect();
        let clean = store.clean_among(&pairs)?;
        plan.retain_blobs(|id, paths| paths.iter().any(|p| !clean.contains(&clean_key(id, p))));
        let (fed, outcome) =
            crate::pipeline::run_with(self.setup.engine(), self.limits, progress, |make| {
                let pool = self.pool.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
                history::feed(pool, &repo, &plan, self.limits, self.cancel, make)
            });
        fed?;
        self.cancel.check()?;
        let unreadable = outcome.stats.incomplete();
        let error = unreadable.then(|| outcome.warnings.join("; "));
        let dirty: HashSet<ObjectId> = outcome
            .found
            .iter()
            .filter_map(|(tag, _)| plan.blob_of(*tag))
            .collect();
        let newly_clean = match unreadable {
            true => Vec::new(),
            false => plan
                .blobs()
                .filter(|(id, _)| !dirty.contains(id))
                .flat_map(|(id, paths)| paths.into_iter().map(move |p| clean_key(&id, p)))
                .collect(),
        };
        let mut scanner = self.setup.engine().scanner();
        let mut shown = |s: &str| scanner.printable_path(s).into_owned();
        let findings = history::attribute(&repo, &plan, outcome.found, &mut shown)?;
        let locations = findings
            .into_iter()
            .filter_map(|f| self.location(&target.name, f))
            .collect();
        Ok(Some(Scanned {
            refs,
            locations,
            clean: newly_clean,
            error,
        }))
    }

    /// A finding as a place of its incident.
    fn location(&self, repository: &str, f: Finding) -> Option<NewLocation> {
        let commit = f.commit.clone()?;
        Some(NewLocation {
            incident: incident_id(self.key, repository, &f),
            kind: f.kind,
            secret: (self.show_secrets && f.kind == FindingKind::Content)
                .then(|| f.secret_display(true).to_string()),
            rule_id: f.rule_id,
            description: f.description,
            remediation: f.remediation,
            severity: f.severity,
            redacted: f.redacted,
            commit,
            path: f.path,
            line: f.line,
            column: f.column,
            exposure: f.exposure,
        })
    }
}

/// The incident a finding belongs to: a secret is one incident wherever it is found, under
/// whichever rule; a forbidden file is one per repository and path.
fn incident_id(key: &FingerprintKey, repository: &str, f: &Finding) -> String {
    let mut id = match f.kind {
        FindingKind::Content => key.hash("audit-secret", "", f.secret_bytes()),
        FindingKind::Path => key.hash(
            &f.rule_id,
            &format!("{repository}\0{}", f.path),
            b"audit-path",
        ),
    };
    // A hex digest: ASCII, so 16 is a char boundary.
    id.truncate(16);
    id
}

/// A (blob, path) pair's key among the clean ones.
fn clean_key(blob: &ObjectId, path: &[u8]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(blob.as_bytes());
    h.update([0]);
    h.update(path);
    h.finalize()[..16].try_into().expect("16 bytes")
}

/// Every ref and HEAD with its target as stored: an object id, or `ref: NAME` for a
/// symbolic ref. Reads no object, so that an unchanged repository costs only this. Names
/// come as they may be stored and shown: a secret a provider rule finds in one (a token
/// pasted into a branch name) is redacted, the same way every time, so that an unchanged
/// repository still compares equal.
fn raw_refs(
    repo: &gix::Repository,
    engine: &crate::engine::Engine,
) -> Result<Vec<(String, String)>> {
    let mut scanner = engine.scanner();
    use gix::refs::TargetRef;
    let show = |t: TargetRef<'_>| match t {
        TargetRef::Object(id) => id.to_string(),
        TargetRef::Symbolic(name) => format!("ref: {}", name.as_bstr()),
    };
    let mut out = Vec::new();
    let platform = repo.references().context("cannot read references")?;
    for r in platform.all().context("cannot read references")? {
        let r = r.map_err(|e| anyhow::anyhow!("cannot read references: {e}"))?;
        let name = r.name().as_bstr().to_string();
        let name = scanner.printable_path(&name).into_owned();
        out.push((name, show(r.target())));
    }
    if let Some(head) = repo.head_ref().context("cannot read HEAD")? {
        out.push(("HEAD".to_string(), show(head.target())));
    } else if let Ok(id) = repo.head_id() {
        out.push(("HEAD".to_string(), id.to_string()));
    }
    out.sort();
    // Two names redacted alike keep one row: the other's tip is then walked again next
    // time (its blobs known clean are not rescanned), never lost.
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// The commits that ref targets (object ids; symbolic ones are skipped) peel to; trees,
/// blobs and tags of them are skipped. With `strict`, an object that cannot be read fails
/// the repository (skipping it would leave its history unaudited); otherwise it is left
/// out (an old tip a force-push removed).
fn commits<'a>(
    repo: &gix::Repository,
    targets: impl Iterator<Item = &'a String>,
    strict: bool,
) -> Result<Vec<ObjectId>> {
    let mut out = Vec::new();
    for t in targets {
        let Ok(id) = ObjectId::from_hex(t.as_bytes()) else {
            continue;
        };
        let peeled = repo
            .find_object(id)
            .map_err(anyhow::Error::from)
            .and_then(|o| Ok(o.peel_tags_to_end()?))
            .with_context(|| format!("cannot read object {id}"));
        match peeled {
            Ok(o) if o.kind == gix::object::Kind::Commit => out.push(o.id),
            Ok(_) => {}
            Err(e) if strict => return Err(e),
            Err(_) => {}
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `leakguard triage`.
pub fn triage(cfg: &config::Triage, messages: &mut Messages) -> Result<ExitStatus> {
    let mut store = Store::open_existing(&cfg.db)?;
    let id = store.triage(&cfg.id, cfg.status, &cfg.note, &cfg.by)?;
    messages.notes.push(format!(
        "incident {id} is now {} (by {})",
        cfg.status, cfg.by
    ));
    Ok(ExitStatus::Clean)
}

/// `leakguard merge`.
pub fn merge(cfg: &config::Merge, messages: &mut Messages) -> Result<ExitStatus> {
    let _lock = store::Lock::acquire(&cfg.output)?;
    let merged = store::merge_into(&cfg.output, &cfg.inputs)?;
    messages.notes.push(format!(
        "merged {merged} datastores into {}",
        cfg.output.display()
    ));
    Ok(ExitStatus::Clean)
}

/// `leakguard report`.
pub fn report(cfg: &config::AuditReportSettings) -> Result<ExitStatus> {
    let store = Store::open_read_only(&cfg.db)?;
    let data = store.report(cfg.all_statuses)?;
    let write = |w: &mut dyn std::io::Write| report::write(&data, cfg.format, w);
    match &cfg.output {
        Some(path) => crate::output::to_file(path, write)?,
        None => crate::output::to_stdout(write)?,
    }
    Ok(ExitStatus::Clean)
}
