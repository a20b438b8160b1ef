//! `audit --validate`: each incident's secret checked with its issuer, the check stored with
//! its time; a re-audit checks again the live and unknown ones older than
//! `--revalidate-after`.
//!
//! The datastore never holds the clear secret, so the secret is read again from where it
//! was found: the blob at one of the incident's places, scanned with the audit's rules,
//! the finding whose incident id matches. A place that cannot be read (the repository is
//! gone, not in this shard, or the place is inside an archive or a commit message) is
//! passed over for the next; an incident with no readable place is not checked.

use std::collections::HashMap;

use anyhow::Result;

use super::store::{Place, Store};
use super::targets::{Source, Target};
use super::{incident_id, open_local};
use crate::chunk::{Chunk, Origin};
use crate::finding::FindingKind;
use crate::fingerprint::FingerprintKey;
use crate::rules::Check;
use crate::validate::{Credential, Status, Validator};

/// A blob larger than this is not read again (the audit scanned it in windows).
const MAX_BLOB: usize = 32 * 1024 * 1024;

/// What checking needs from the audit.
pub struct Context<'a> {
    pub engine: &'a crate::engine::Engine,
    pub key: &'a FingerprintKey,
    pub targets: &'a [Target],
    pub clone_dir: &'a std::path::Path,
}

/// Checks the incidents that are due; returns how many got each status.
pub fn check_due(
    store: &mut Store,
    ctx: &Context<'_>,
    validator: &Validator,
    revalidate_after: std::time::Duration,
) -> Result<HashMap<Status, usize>> {
    let now = crate::clock::now_ms();
    let before =
        now.saturating_sub(i64::try_from(revalidate_after.as_millis()).unwrap_or(i64::MAX));
    let due = store.due_for_validation(before)?;
    let rules = ctx.engine.rules().by_id();
    let targets: HashMap<&str, &Target> =
        ctx.targets.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut repos: HashMap<String, Option<gix::Repository>> = HashMap::new();
    let mut items = Vec::new();
    let mut ids = Vec::new();
    for (incident, places) in due {
        // Only incidents a rule can check.
        if !places.iter().any(|p| {
            rules
                .get(p.rule_id.as_str())
                .is_some_and(|r| r.validate.is_some())
        }) {
            continue;
        }
        for place in &places {
            let Some(target) = targets.get(place.repository.as_str()) else {
                continue;
            };
            let repo = repos
                .entry(place.repository.clone())
                .or_insert_with(|| open(target, ctx.clone_dir));
            let Some(repo) = repo.as_ref() else { continue };
            let Some((rule_id, secret)) = secret_at(repo, place, ctx, &incident) else {
                continue;
            };
            let spec = rules
                .get(rule_id.as_str())
                .and_then(|r| r.validate.as_ref().map(Check::spec))
                .or_else(|| {
                    rules
                        .get(place.rule_id.as_str())
                        .and_then(|r| r.validate.as_ref().map(Check::spec))
                });
            if let Some(spec) = spec {
                items.push((spec, secret));
                ids.push(incident.clone());
                break;
            }
        }
    }
    let verdicts = validator.check_all(&items);
    drop(items);
    let mut counts = HashMap::new();
    let checks: Vec<_> = ids
        .into_iter()
        .zip(verdicts)
        .filter(|(_, v)| v.status != Status::NotChecked)
        .map(|(id, v)| {
            *counts.entry(v.status).or_default() += 1;
            (id, now, v)
        })
        .collect();
    store.record_validations(&checks)?;
    Ok(counts)
}

/// The repository of `target` as the audit left it (a URL's clone is not fetched again).
fn open(target: &Target, clone_dir: &std::path::Path) -> Option<gix::Repository> {
    match &target.source {
        Source::Local(path) => open_local(path).ok(),
        Source::Remote(_) => open_local(&super::clone::path_for(clone_dir, &target.name)).ok(),
        Source::Broken(..) => None,
    }
}

/// The rule and secret of `incident` in the blob at `place`, scanned again.
fn secret_at(
    repo: &gix::Repository,
    place: &Place,
    ctx: &Context<'_>,
    incident: &str,
) -> Option<(String, Credential)> {
    let id = gix::ObjectId::from_hex(place.commit.as_bytes()).ok()?;
    let tree = repo.find_commit(id).ok()?.tree().ok()?;
    let entry = tree.lookup_entry_by_path(&place.path).ok()??;
    let header = repo.find_header(entry.object_id()).ok()?;
    if header.size() > MAX_BLOB as u64 {
        return None;
    }
    let blob = entry.object().ok()?;
    let bytes = &blob.data;
    let origins = [Origin::file(&place.path)];
    let chunk = Chunk {
        bytes,
        binary: crate::source::is_binary(&bytes[..bytes.len().min(8192)]),
        origins: &origins,
    };
    let mut found = Vec::new();
    ctx.engine.scanner().scan(&chunk, &mut found);
    found
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| f.kind == FindingKind::Content && f.suppressed.is_none())
        .find(|f| incident_id(ctx.key, &place.repository, f) == incident)
        .map(|f| {
            let sent = f.credential();
            (f.rule_id, sent)
        })
}
