//! The resolve step: a chunk's candidates become [`Finding`]s at each of its origins.
//!
//! Everything that depends on *where* the bytes were found is decided here, once, for every
//! source: path rules, path and secret allowlists, `leakguard:allow` comments, the lines a
//! staged change adds, base64-decoded values taking the place of their encoded text, local
//! `.env` values, the redaction of secrets in file names, and the `--explain` reasons.
//! Overlapping candidates are merged per origin (one secret, one finding, under the most
//! specific rule).

use std::borrow::Cow;

use super::allow::{allowlisted, mark, suppression, Policy, Why};
use super::delivered;
use super::index::PathRules;
use super::lines::LineIndex;
use super::localenv::Hit;
use super::matcher::Candidate;
use crate::chunk::{Origin, OriginKind, Since};
use crate::finding::{redact, Companion, Exposure, Finding, FindingKind, Suppression};
use crate::rules::{AllowEntry, Rule, RuleKind, RuleSet, Severity, Within};

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
    /// The chunk's lines: every line and column comes from this one index.
    pub lines: &'a LineIndex<'a>,
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
        let at = (origin, shown);
        content_findings(rules, policy, found.lines, at, found.cands, &mut here);
        for d in found.decoded {
            let at = (content, found.lines);
            decoded_findings(rules, policy, origin, shown, d, at, &mut here);
        }
        if let Some(entry) = global {
            mark(here.iter_mut(), &allowlisted(entry, &rules.allow));
        }
    }
    // A local value is the developer's own: no allowlist of the project's silences it.
    local_findings(policy, found.lines, origin, shown, found.local, &mut here);
    if let OriginKind::Staged { since: Some(since) } = &origin.kind {
        keep_added(since, &mut here);
    }
    // In what ships to browsers and devices, every finding is public already.
    if let Some(what) = here.first().and_then(|_| delivered::artefact(&origin.path)) {
        here.iter_mut().for_each(|f| delivered::mark(f, what));
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
    lines: &LineIndex<'_>,
    (origin, shown): (&Origin, &str),
    cands: &[Candidate],
    out: &mut Vec<Finding>,
) {
    if cands.is_empty() {
        return;
    }
    let mut kept = Vec::with_capacity(cands.len());
    let mut silenced = Vec::new();
    let code = super::context::is_code(&origin.path);
    let near = Companions::of(rules, cands, lines, code);
    let carriers: Vec<&Candidate> = cands.iter().filter(|c| c.carrier).collect();
    for c in cands {
        if (c.loose && code) || c.carrier {
            continue;
        }
        let rule = &rules.rules[c.rule as usize];
        if rule.kind == RuleKind::Identifier {
            continue;
        }
        let why = if rule.allow.allows_path(&origin.path) {
            if !policy.keep_suppressed {
                continue;
            }
            Some(Why::RulePath)
        } else {
            c.why
        };
        let c = Candidate { why, ..*c };
        // `pair: {required: true}`: without its companion near, it is not the secret.
        if let Some(p) = rule.pair.as_ref().filter(|p| p.required) {
            let line = lines.line_col(c.start).0;
            if near.nearest(p.index, line, p.within).is_none() {
                continue;
            }
        }
        if why.is_none() {
            kept.push(c);
        } else {
            silenced.push(c);
        }
    }
    let mut made = Vec::new();
    for group in [&mut kept, &mut silenced] {
        merge(rules, policy, lines, group, |m| {
            let at = (m.best.rule, m.best.start, m.best.end);
            made.push((at, m.finding(rules, &origin.path, shown, lines.bytes())));
        });
    }
    if !near.is_empty() {
        pair_up(rules, lines.bytes(), &near, &mut made);
    }
    raise_exposed(rules, lines, &mut made);
    if !carriers.is_empty() {
        carry(rules, &carriers, &mut made);
    }
    out.extend(made.into_iter().map(|(_, f)| f));
}

/// A secret inside a string literal that an `exposure` rule's `literal` group took
/// (`localStorage.setItem("k", "sk_live_…")`) carries that rule's exposure, its remediation
/// first. It keeps its own rule and severity: one finding per secret. The literal alone is
/// never reported.
fn carry(rules: &RuleSet, carriers: &[&Candidate], made: &mut [((u32, usize, usize), Finding)]) {
    for ((r, start, end), f) in made.iter_mut() {
        if rules.rules[*r as usize].kind != RuleKind::Secret || f.exposure.is_some() {
            continue;
        }
        let Some(c) = carriers.iter().find(|c| c.start <= *start && *end <= c.end) else {
            continue;
        };
        let carrier = &rules.rules[c.rule as usize];
        f.exposure = Exposure::of(carrier);
        f.remediation = format!("{} {}", carrier.remediation, f.remediation);
    }
}

/// What a secret given to a browser-exposed name must be met with, before its rule's own
/// remediation.
const EXPOSED: &str = "This secret is given to a browser-exposed name: the framework inlines it into the JavaScript bundle, so every build that set it shipped it to every browser. Revoke it now; then rename the variable to a server-only name (no browser prefix) and move the call that needs it behind a server route.";

/// A secret given to a browser-exposed name (`NEXT_PUBLIC_X=sk_live_…`) is shipped to every
/// browser: its finding is raised to critical and carries the exposure. An `exposure`
/// finding on that name, before the secret on its line, is then dropped: one finding per
/// secret.
fn raise_exposed(
    rules: &RuleSet,
    lines: &LineIndex<'_>,
    made: &mut Vec<((u32, usize, usize), Finding)>,
) {
    let bytes = lines.bytes();
    let mut raised: Vec<(usize, usize)> = Vec::new();
    for ((r, start, _), f) in made.iter_mut() {
        if rules.rules[*r as usize].kind != RuleKind::Secret {
            continue;
        }
        let (ls, _) = lines.bounds(*start);
        if !super::exposure::browser_name_before(&bytes[ls..*start]) {
            continue;
        }
        f.severity = Severity::Critical;
        f.exposure = Some(Exposure::BrowserName);
        f.remediation = format!("{EXPOSED} {}", f.remediation);
        raised.push((f.line, *start));
    }
    if raised.is_empty() {
        return;
    }
    made.retain(|((r, _, end), f)| {
        f.exposure != Some(Exposure::BrowserName)
            || rules.rules[*r as usize].kind != RuleKind::Exposure
            || !raised.iter().any(|&(line, s)| line == f.line && *end <= s)
    });
}

/// The companions (`pair:` targets) found in one buffer: `(rule, line, column, start,
/// end)`, sorted.
struct Companions(Vec<(u32, usize, usize, usize, usize)>);

impl Companions {
    fn of(rules: &RuleSet, cands: &[Candidate], lines: &LineIndex<'_>, code: bool) -> Companions {
        let mut all: Vec<_> = cands
            .iter()
            .filter(|c| rules.rules[c.rule as usize].companion && !(c.loose && code))
            .map(|c| {
                let (line, column) = lines.line_col(c.start);
                (c.rule, line, column, c.start, c.end)
            })
            .collect();
        all.sort_unstable();
        Companions(all)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The companion of rule `rule` nearest to `line` and within reach (an earlier line
    /// wins a tie: an id usually comes first; on one line, the first).
    fn nearest(
        &self,
        rule: u32,
        line: usize,
        within: Within,
    ) -> Option<(u32, usize, usize, usize, usize)> {
        let all = &self.0;
        let mine = &all[all.partition_point(|e| e.0 < rule)..all.partition_point(|e| e.0 <= rule)];
        let i = mine.partition_point(|e| e.1 < line);
        let before = i
            .checked_sub(1)
            .map(|j| mine[mine.partition_point(|e| e.1 < mine[j].1)]);
        let best = match (before, mine.get(i).copied()) {
            (Some(b), Some(a)) if a.1 - line < line - b.1 => a,
            (Some(b), _) => b,
            (None, Some(a)) => a,
            (None, None) => return None,
        };
        match within {
            Within::Lines(n) if line.abs_diff(best.1) > n as usize => None,
            _ => Some(best),
        }
    }
}

/// Gives each paired secret its nearest companion, and drops what was found on the
/// companion itself (its own finding, a generic rule's) when a pair absorbs it: one pair,
/// one finding. Unless only a silenced secret took it, which must not hide a reported one.
fn pair_up(
    rules: &RuleSet,
    bytes: &[u8],
    near: &Companions,
    made: &mut Vec<((u32, usize, usize), Finding)>,
) {
    let mut absorbed: Vec<(usize, usize, bool)> = Vec::new();
    for ((rule, ..), f) in made.iter_mut() {
        let Some(p) = &rules.rules[*rule as usize].pair else {
            continue;
        };
        if let Some((r, line, column, start, end)) = near.nearest(p.index, f.line, p.within) {
            let companion = &rules.rules[r as usize];
            f.pair = Some(Companion::new(companion, line, column, &bytes[start..end]));
            absorbed.push((start, end, f.suppressed.is_none()));
        }
    }
    made.retain(|((_, start, end), f)| {
        f.pair.is_some()
            || !absorbed.iter().any(|&(s, e, by_reported)| {
                s < *end && *start < e && (by_reported || f.suppressed.is_some())
            })
    });
}

/// A decoded value's findings take the place of a finding on its encoded text, and point
/// at the encoded value. `at.0` is where this origin's content findings start in `out`.
fn decoded_findings(
    rules: &RuleSet,
    policy: Policy,
    origin: &Origin,
    shown: &str,
    d: &Decoded,
    (content, lines): (usize, &LineIndex<'_>),
    out: &mut Vec<Finding>,
) {
    let mut found = Vec::new();
    let inner = LineIndex::new(&d.bytes);
    content_findings(rules, policy, &inner, (origin, shown), &d.cands, &mut found);
    if found.is_empty() {
        return;
    }
    let (line, column) = lines.line_col(d.start);
    let encoded = &lines.bytes()[d.start..d.end];
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
        if let Some(p) = f.pair.as_mut() {
            (p.line, p.column) = (line, column);
        }
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
    lines: &LineIndex<'_>,
    origin: &Origin,
    shown: &str,
    hits: &[Hit],
    out: &mut Vec<Finding>,
) {
    for hit in hits.iter().filter(|h| h.file != origin.path) {
        let inline = policy.inline_allow && lines.is_allowed(hit.start);
        if inline && !policy.keep_suppressed {
            continue;
        }
        let (line, column) = lines.line_col(hit.start);
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

/// A staged change reports only what it adds, and a modified file's path is not news. A
/// pair is new when either of its parts is.
fn keep_added(since: &Since, found: &mut Vec<Finding>) {
    match since {
        Since::Lines(added) => found.retain(|f| {
            let lines = std::iter::once(f.line).chain(f.pair.as_ref().map(|p| p.line));
            f.kind == FindingKind::Content
                && lines
                    .into_iter()
                    .any(|l| added.iter().any(|r| r.contains(&l)))
        }),
        // No lines to diff: keep the secrets the old blob did not hold.
        Since::Bytes(old) => found.retain(|f| {
            let parts = std::iter::once(f.secret_bytes())
                .chain(f.pair.as_ref().map(|p| p.value().as_bytes()));
            f.kind == FindingKind::Content
                && parts
                    .into_iter()
                    .any(|b| memchr::memmem::find(old, b).is_none())
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
        .filter(|c| !rules.rules[c.rule as usize].generic && !c.carrier && c.end > c.start)
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
fn merge<'r>(
    rules: &'r RuleSet,
    policy: Policy,
    lines: &LineIndex<'_>,
    cands: &mut [Candidate],
    mut each: impl FnMut(Merged),
) {
    let bytes = lines.bytes();
    cands.sort_by_key(|c| (c.start, c.end));
    // The current line, whether it carries the allow marker, its lowercase copy and which
    // context words it holds (made only when two rules compete): computed once per line,
    // not once per finding, so that many findings on one huge line (a minified bundle)
    // stay linear.
    let mut cur: Option<(usize, usize, bool)> = None;
    let mut lower_line: Option<Vec<u8>> = None;
    let mut words: Vec<(&'r [u8], bool)> = Vec::new();
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
                let (ls, le) = lines.bounds(group[0].start);
                let m = memchr::memmem::find(&bytes[ls..le], super::allow::ALLOW_MARKER).is_some();
                cur = Some((ls, le, m));
                lower_line = None;
                words.clear();
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
            // Each context word is looked for once per line, whatever the number of groups.
            let mut on_line = |w: &'r [u8]| match words.iter().find(|(k, _)| *k == w) {
                Some(&(_, found)) => found,
                None => {
                    let found = memchr::memmem::find(lower, w).is_some();
                    words.push((w, found));
                    found
                }
            };
            let mut rank = |c: &Candidate| rank(&rules.rules[c.rule as usize], &mut on_line, c);
            group
                .iter()
                .max_by(|a, b| {
                    rank(a)
                        .cmp(&rank(b))
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
        let (line, column) = lines.line_col(best.start);
        each(Merged {
            best,
            line,
            column,
            inline,
            also,
        });
    }
}

/// How specific a rule's match is: provider rules over generic ones, then rules whose
/// context word is on the line (`on_line`), then explicit priority, then the longer secret.
fn rank<'r>(
    rule: &'r Rule,
    on_line: &mut impl FnMut(&'r [u8]) -> bool,
    c: &Candidate,
) -> (bool, bool, i32, usize) {
    let context = rule.context.iter().any(|w| on_line(w));
    (!rule.generic, context, rule.priority, c.end - c.start)
}
