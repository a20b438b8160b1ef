//! The resolve step: a chunk's candidates become [`Finding`]s at each of its origins.
//!
//! Everything that depends on *where* the bytes were found is decided here, once, for every
//! source: path rules, path and secret allowlists, `leakguard:allow` comments, the lines a
//! staged change adds, base64-decoded values taking the place of their encoded text, local
//! `.env` values, the redaction of secrets in file names, and the `--explain` reasons.
//! Overlapping candidates are merged per origin (one secret, one finding, under the most
//! specific rule).

use std::borrow::Cow;

use super::allow::{allowlisted, line_bounds, line_is_allowed, mark, suppression, Policy, Why};
use super::index::PathRules;
use super::localenv::Hit;
use super::matcher::Candidate;
use crate::chunk::{Chunk, Origin, OriginKind, Since};
use crate::finding::{redact, Finding, FindingKind, Suppression};
use crate::rules::{AllowEntry, Rule, RuleSet};

/// A base64 value whose decoded bytes hold candidates.
pub(crate) struct Decoded {
    pub start: usize,
    pub end: usize,
    /// The encoded value's line carries `leakguard:allow`.
    pub inline: bool,
    pub bytes: Vec<u8>,
    pub cands: Vec<Candidate>,
}

/// What the matcher found in a chunk, before any origin is applied.
pub(crate) struct Found<'a> {
    /// The rules that match a path.
    pub path_rules: &'a PathRules,
    pub cands: &'a [Candidate],
    pub decoded: &'a [Decoded],
    pub local: &'a [Hit],
}

/// One origin, as the resolve step needs it.
pub(crate) struct At<'a> {
    pub origin: &'a Origin,
    /// Its printable path (any secret in it redacted).
    pub shown: &'a str,
    /// The global path allowlist entry covering it, if any.
    pub global: Option<AllowEntry>,
}

/// Builds the findings of `chunk` at one origin.
pub(crate) fn at_origin(
    rules: &RuleSet,
    policy: Policy,
    chunk: &Chunk<'_>,
    at: At<'_>,
    found: &Found<'_>,
    out: &mut Vec<(u32, Finding)>,
) {
    let (origin, shown, global) = (at.origin, at.shown, at.global);
    let mut here = Vec::new();
    if global.is_none() || policy.keep_suppressed {
        if origin.path_rules_apply() {
            path_findings(rules, found.path_rules, policy, origin, shown, &mut here);
        }
        let content = here.len();
        content_findings(
            rules,
            policy,
            chunk.bytes,
            origin,
            shown,
            found.cands,
            &mut here,
        );
        let mut lines = Lines::default();
        for d in found.decoded {
            let at = (content, &mut lines);
            decoded_findings(rules, policy, chunk.bytes, origin, shown, d, at, &mut here);
        }
        if let Some(entry) = global {
            mark(here.iter_mut(), &allowlisted(entry, &rules.allow));
        }
    }
    // A local value is the developer's own: no allowlist of the project's silences it.
    local_findings(policy, chunk.bytes, origin, shown, found.local, &mut here);
    if let OriginKind::Staged { since: Some(since) } = &origin.kind {
        keep_added(since, &mut here);
    }
    let physical = origin
        .physical
        .map(|n| physical_len(shown, &origin.display, n));
    let meta = match origin.kind {
        OriginKind::Commit { .. } => Some("commit_message"),
        OriginKind::Ref => Some("ref_name"),
        _ => None,
    };
    out.extend(here.into_iter().map(|mut f| {
        f.physical = physical;
        f.origin = meta;
        (origin.tag, f)
    }));
}

/// Where the archive's name ends in `shown`, the printable form of `display` whose first
/// `n` bytes name the archive (redacting a secret in a name can change lengths).
fn physical_len(shown: &str, display: &str, n: usize) -> usize {
    match display.get(n..).and_then(|inner| shown.strip_suffix(inner)) {
        Some(outer) => outer.len(),
        None => shown.find("!/").unwrap_or(shown.len()),
    }
}

/// The path rules matching `origin`.
fn path_findings(
    rules: &RuleSet,
    path_rules: &PathRules,
    policy: Policy,
    origin: &Origin,
    shown: &str,
    out: &mut Vec<Finding>,
) {
    for r in path_rules.matching(&origin.path) {
        let rule = &rules.rules[r as usize];
        match rule.allow.path_entry(&origin.path) {
            None => out.push(Finding::path(rule, shown)),
            Some(entry) if policy.keep_suppressed => {
                let mut f = Finding::path(rule, shown);
                f.suppressed = Some(allowlisted(entry, &rule.allow));
                out.push(f);
            }
            Some(_) => {}
        }
    }
}

/// Content findings at `origin`: candidates of rules whose own path allowlist covers the
/// origin are silenced (kept apart for `--explain`, so that they never outrank a reported
/// one), the rest are merged.
fn content_findings(
    rules: &RuleSet,
    policy: Policy,
    bytes: &[u8],
    origin: &Origin,
    shown: &str,
    cands: &[Candidate],
    out: &mut Vec<Finding>,
) {
    if cands.is_empty() {
        return;
    }
    let mut kept = Vec::with_capacity(cands.len());
    let mut silenced = Vec::new();
    let code = super::context::is_code(&origin.path);
    for c in cands {
        if c.loose && code {
            continue;
        }
        let rule = &rules.rules[c.rule as usize];
        let why = if rule.allow.allows_path(&origin.path) {
            if !policy.keep_suppressed {
                continue;
            }
            Some(Why::RulePath)
        } else {
            c.why
        };
        let c = Candidate { why, ..*c };
        if why.is_none() {
            kept.push(c);
        } else {
            silenced.push(c);
        }
    }
    for group in [&mut kept, &mut silenced] {
        merge(rules, policy, bytes, group, |m| {
            out.push(m.finding(rules, &origin.path, shown, bytes));
        });
    }
}

/// Counts lines up to increasing offsets (decoded values come in offset order), so that a
/// large `.env` full of values stays linear.
#[derive(Default)]
struct Lines {
    cursor: usize,
    line: usize,
}

impl Lines {
    fn at(&mut self, bytes: &[u8], pos: usize) -> (usize, usize) {
        self.line += memchr::memchr_iter(b'\n', &bytes[self.cursor..pos]).count();
        self.cursor = pos;
        let start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |p| p + 1);
        (self.line + 1, pos - start + 1)
    }
}

/// A decoded value's findings take the place of a finding on its encoded text, and point
/// at the encoded value. `at.0` is where this origin's content findings start in `out`.
#[allow(clippy::too_many_arguments)]
fn decoded_findings(
    rules: &RuleSet,
    policy: Policy,
    bytes: &[u8],
    origin: &Origin,
    shown: &str,
    d: &Decoded,
    at: (usize, &mut Lines),
    out: &mut Vec<Finding>,
) {
    let mut found = Vec::new();
    content_findings(rules, policy, &d.bytes, origin, shown, &d.cands, &mut found);
    if found.is_empty() {
        return;
    }
    let (content, lines) = at;
    let (line, column) = lines.at(bytes, d.start);
    let encoded = &bytes[d.start..d.end];
    let mut i = content;
    while i < out.len() {
        if out[i].line == line && out[i].secret_bytes() == encoded {
            out.remove(i);
        } else {
            i += 1;
        }
    }
    for mut f in found {
        f.line = line;
        f.column = column;
        f.decoded = Some("base64");
        if d.inline && f.suppressed.is_none() {
            f.suppressed = Some(Suppression::InlineComment);
        }
        out.push(f);
    }
}

/// Values of the developer's local `.env` files found in a staged file (not in that file
/// itself, which its path rule reports).
fn local_findings(
    policy: Policy,
    bytes: &[u8],
    origin: &Origin,
    shown: &str,
    hits: &[Hit],
    out: &mut Vec<Finding>,
) {
    for hit in hits.iter().filter(|h| h.file != origin.path) {
        let inline = policy.inline_allow && line_is_allowed(bytes, hit.start);
        if inline && !policy.keep_suppressed {
            continue;
        }
        let (line, column) = line_col(bytes, hit.start);
        let mut f = Finding::local_value(
            shown,
            line,
            column,
            &hit.var,
            &hit.file,
            hit.end - hit.start,
        );
        if inline {
            f.suppressed = Some(Suppression::InlineComment);
        }
        out.push(f);
    }
}

/// A staged change reports only what it adds, and a modified file's path is not news.
fn keep_added(since: &Since, found: &mut Vec<Finding>) {
    match since {
        Since::Lines(added) => found.retain(|f| {
            f.kind == FindingKind::Content && added.iter().any(|r| r.contains(&f.line))
        }),
        // No lines to diff: keep the secrets the old blob did not hold.
        Since::Bytes(old) => found.retain(|f| {
            f.kind == FindingKind::Content && memchr::memmem::find(old, f.secret_bytes()).is_none()
        }),
    }
}

/// `path` with every provider-rule secret in it redacted (`keys/mon_4f9K….json`), given the
/// candidates found in the path's own bytes. A name is not a line of content: nothing
/// silences a candidate here (an allowlist, or `leakguard:allow` written in the name itself),
/// and overlapping candidates are hidden whole, not just the one a report would pick.
pub(crate) fn printable_path<'p>(
    rules: &RuleSet,
    path: &'p str,
    cands: &[Candidate],
) -> Cow<'p, str> {
    let mut found: Vec<(usize, usize, u32)> = cands
        .iter()
        .filter(|c| !rules.rules[c.rule as usize].generic && c.end > c.start)
        .map(|c| (c.start, c.end, c.rule))
        .collect();
    found.sort_unstable();
    let mut groups: Vec<(usize, usize, u32)> = Vec::with_capacity(found.len());
    for (start, end, rule) in found {
        match groups.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => groups.push((start, end, rule)),
        }
    }
    let spans = groups
        .into_iter()
        .map(|(start, end, rule)| {
            // A byte regex can stop inside a character: the whole character is hidden.
            let (start, end) = crate::finding::char_span(path, start, end);
            let keywords = &rules.rules[rule as usize].keywords;
            (start, end, redact(&path[start..end], keywords))
        })
        .collect();
    crate::finding::redact_spans(path, spans)
}

/// One secret after overlapping candidates are merged.
struct Merged {
    best: Candidate,
    line: usize,
    column: usize,
    inline: bool,
    also: Vec<String>,
}

impl Merged {
    fn finding(self, rules: &RuleSet, path: &str, shown: &str, bytes: &[u8]) -> Finding {
        let rule = &rules.rules[self.best.rule as usize];
        let secret = &bytes[self.best.start..self.best.end];
        let mut f = Finding::content(
            rule,
            shown,
            self.line,
            self.column,
            secret,
            self.best.entropy,
            self.also,
        );
        f.suppressed = self
            .best
            .why
            .and_then(|why| suppression(why, rule, &rules.allow, path, secret));
        if self.inline && f.suppressed.is_none() {
            f.suppressed = Some(Suppression::InlineComment);
        }
        f
    }
}

/// Merges overlapping candidates (one secret, one finding, under the most specific rule),
/// drops lines marked `leakguard:allow` (or marks them, with `--explain`), and hands each
/// merged secret with its line and column to `each`, in offset order.
fn merge(
    rules: &RuleSet,
    policy: Policy,
    bytes: &[u8],
    cands: &mut [Candidate],
    mut each: impl FnMut(Merged),
) {
    cands.sort_by_key(|c| (c.start, c.end));
    // Line cursor: findings come in offset order, so count newlines incrementally.
    let mut cursor = 0usize;
    let mut line_no = 1usize;
    // The current line, whether it carries the allow marker, and its lowercase copy (made
    // only when two rules compete): computed once per line, not once per finding, so that
    // many findings on one huge line (a minified bundle) stay linear.
    let mut cur: Option<(usize, usize, bool)> = None;
    let mut lower_line: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < cands.len() {
        let mut j = i + 1;
        let mut end = cands[i].end;
        while j < cands.len() && cands[j].start < end {
            end = end.max(cands[j].end);
            j += 1;
        }
        let group = &cands[i..j];
        i = j;
        let (ls, le, marked) = match cur {
            Some((ls, le, m)) if (ls..=le).contains(&group[0].start) => (ls, le, m),
            _ => {
                let (ls, le) = line_bounds(bytes, group[0].start);
                let m = memchr::memmem::find(&bytes[ls..le], super::allow::ALLOW_MARKER).is_some();
                cur = Some((ls, le, m));
                lower_line = None;
                (ls, le, m)
            }
        };
        let inline = policy.inline_allow && marked;
        if inline && !policy.keep_suppressed {
            continue;
        }
        let best = if group.len() == 1 {
            group[0]
        } else {
            let lower: &[u8] = lower_line.get_or_insert_with(|| bytes[ls..le].to_ascii_lowercase());
            group
                .iter()
                .max_by(|a, b| {
                    rank(&rules.rules[a.rule as usize], lower, a)
                        .partial_cmp(&rank(&rules.rules[b.rule as usize], lower, b))
                        .unwrap_or(std::cmp::Ordering::Equal)
                        // Earlier-defined rule wins a full tie.
                        .then(b.rule.cmp(&a.rule))
                })
                .copied()
                .expect("group is non-empty")
        };
        let mut also: Vec<String> = group
            .iter()
            .filter(|c| c.rule != best.rule)
            .map(|c| rules.rules[c.rule as usize].id.to_string())
            .collect();
        also.sort();
        also.dedup();
        line_no += memchr::memchr_iter(b'\n', &bytes[cursor..best.start]).count();
        cursor = best.start;
        // `best` may start after the group's first candidate, but never past a newline: the
        // candidates of one group overlap, and line-scoped matches hold no newline.
        let line_start = if best.start <= le {
            ls
        } else {
            memchr::memrchr(b'\n', &bytes[..best.start]).map_or(0, |p| p + 1)
        };
        each(Merged {
            best,
            line: line_no,
            column: best.start - line_start + 1,
            inline,
            also,
        });
    }
}

/// How specific a rule's match is: provider rules over generic ones, then rules whose
/// context word is on the line, then explicit priority, then the longer secret.
fn rank(rule: &Rule, lower_line: &[u8], c: &Candidate) -> (bool, bool, i32, usize) {
    let context = rule
        .context
        .iter()
        .any(|w| memchr::memmem::find(lower_line, w).is_some());
    (!rule.generic, context, rule.priority, c.end - c.start)
}

/// 1-based line and byte column of `pos`.
fn line_col(bytes: &[u8], pos: usize) -> (usize, usize) {
    let line = memchr::memchr_iter(b'\n', &bytes[..pos]).count() + 1;
    let start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |p| p + 1);
    (line, pos - start + 1)
}
