//! Rule runs: each touched rule's regex over its windows, then the filters (entropy,
//! placeholders, checksums, secret allowlists). What comes out is a [`Candidate`]: a span
//! and a rule, before any path is known.
//!
//! Every regex runs through [`bounded_captures`]: each search sees a bounded slice of its
//! window, so no pattern can rescan a long line once per match (`[a-z]+X|[a-z]{30}` on a
//! line of letters is quadratic under plain `captures_iter`), and a rule that still spends
//! more than its budget on a window is stopped and reported, never silently skipped.

use super::allow::{secret_why, Why};
use super::index::{Index, Windows};
use super::lines::LineIndex;
use super::{context, entropy, filters, randomness};
use crate::rules::{Allow, LazyRegex, Matcher, Rule, RuleSet};

/// A match that passed the filters, before overlapping matches are merged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub rule: u32,
    pub start: usize,
    pub end: usize,
    pub entropy: f64,
    /// Set when an allowlist silenced it (kept only with `Policy::keep_suppressed`).
    pub why: Option<Why>,
    /// A name-based rule's unquoted value: counts in config files, not in code, where a
    /// secret is a string literal (decided per origin, by the file's type).
    pub loose: bool,
    /// An `exposure` rule's `literal` group: a string literal given to what exposes it. Never
    /// reported itself: a secret another rule finds inside it carries the rule's exposure
    /// (`resolve.rs`).
    pub carrier: bool,
}

/// Appends the candidates of `bytes` to `out`. Rules for which `skip` holds do not run;
/// `keep_silenced` keeps candidates a secret allowlist silences (for `--explain`). A rule
/// whose regex overran its work budget ([`bounded_captures`]) stops for this buffer and is
/// added to `overrun`: the buffer was not fully scanned.
#[allow(clippy::too_many_arguments)]
pub(crate) fn candidates(
    index: &Index,
    rules: &RuleSet,
    windows: &mut Windows<'_>,
    chunk: (&LineIndex<'_>, bool),
    keep_silenced: bool,
    skip: impl Fn(&Rule) -> bool,
    out: &mut Vec<Candidate>,
    overrun: &mut Vec<u32>,
) {
    let (lines, binary) = chunk;
    let bytes = lines.bytes();
    if bytes.is_empty() {
        return;
    }
    windows.collect(index, rules, lines);
    let mut parsed = context::Lines::default();
    for &r in &windows.touched {
        let rule = &rules.rules[r as usize];
        if (rule.generic && binary) || skip(rule) {
            continue;
        }
        // A secret reported only beside its companion is not looked for where no keyword of
        // the companion occurs (`twilio-api-key` takes any *secret* name near an SK id).
        if let Some(p) = rule.pair.as_ref().filter(|p| p.required) {
            if !windows.touched.contains(&p.index) {
                continue;
            }
        }
        let mut run = |hay: &[u8], offset: usize| -> Result<(), Overrun> {
            let ctx = (&rules.allow, keep_silenced);
            match &rule.matcher {
                Matcher::Context {
                    name, value, regex, ..
                } => {
                    let found = parsed.assignments(hay, offset);
                    run_context(rule, r, (name, value), hay, offset, found, ctx, out);
                    if let Some(regex) = regex {
                        // The forms that are not an assignment (client calls, CLI commands)
                        // stay on the keyword's own line.
                        let line = hay.split(|&b| b == b'\n').next().unwrap_or(hay);
                        let re = (regex, None, None);
                        run_rule(rule, r, re, line, offset, ctx, out)?;
                    }
                    Ok(())
                }
                Matcher::Content {
                    regex,
                    secret_group,
                    each,
                    ..
                } => {
                    let re = (regex, *secret_group, each.as_ref());
                    run_rule(rule, r, re, hay, offset, ctx, out)
                }
                Matcher::Path { .. } => Ok(()),
            }
        };
        let ran = if windows.whole[r as usize] {
            match rule.matcher {
                // A name rule that looks at every line: each line is a window, as if it held
                // a keyword (with the block it heads).
                Matcher::Context { .. } => lines.spans().try_for_each(|line| {
                    let end = context::extent(bytes, line);
                    run(&bytes[line.0..end], line.0)
                }),
                _ => run(bytes, 0),
            }
        } else {
            windows.lines[r as usize]
                .iter()
                .try_for_each(|&(s, e)| run(&bytes[s..e], s))
        };
        if ran.is_err() {
            overrun.push(r);
        }
    }
    windows.clear();
}

/// Runs one rule's regex over `hay` (which starts at `offset` in the buffer) and keeps the
/// secrets that pass the filters.
fn run_rule(
    rule: &Rule,
    r: u32,
    (regex, secret_group, each): (&LazyRegex, Option<usize>, Option<&LazyRegex>),
    hay: &[u8],
    offset: usize,
    ctx: (&Allow, bool),
    out: &mut Vec<Candidate>,
) -> Result<(), Overrun> {
    if rule.kind == crate::rules::RuleKind::Exposure {
        return run_exposure(rule, r, (regex, each), hay, offset, ctx, out);
    }
    let regex = regex.get();
    let group = secret_group.unwrap_or(usize::from(regex.captures_len() > 1));
    bounded_captures(regex, hay, |caps| {
        let Some(m) = caps.get(group).or_else(|| caps.get(0)) else {
            return;
        };
        let secret = m.as_bytes();
        // A name-and-entropy match followed by `(` is a function call, not a value; one that
        // runs into a template expression (`prefix{{ var }}`, `prefix${VAR}`) is not literal.
        if rule.generic {
            let rest = &hay[m.end()..];
            if rest.starts_with(b"(") || rest.starts_with(b"{{") || rest.starts_with(b"${") {
                return;
            }
        }
        let Some(entropy) = accept(rule, secret) else {
            return;
        };
        let span = (offset + m.start(), offset + m.end());
        keep(rule, r, secret, span, entropy, (false, false), ctx, out);
    })
}

/// Runs an `exposure` rule, whose matches are names, not secrets: no entropy or placeholder
/// test, but each must pass the rule's test (`group_names`, `engine/exposure.rs`).
/// - The name is the first group that took part (a regex may name its reference in several
///   alternatives: a call's argument, an interpolation).
/// - With `each`, group 1 is a block and every name `each` finds in it is one, once
///   (`'process.env.X': JSON.stringify(process.env.X)` names one variable).
/// - A group named `literal` is a string literal given to what exposes it
///   (`localStorage.setItem("k", "sk_live_…")`): never reported itself, whatever secret
///   another rule finds in it carries the exposure.
fn run_exposure(
    rule: &Rule,
    r: u32,
    (regex, each): (&LazyRegex, Option<&LazyRegex>),
    hay: &[u8],
    offset: usize,
    ctx: (&Allow, bool),
    out: &mut Vec<Candidate>,
) -> Result<(), Overrun> {
    let each = each.map(LazyRegex::get);
    let mut name = |(s, e): (usize, usize), literal: bool| {
        exposed(rule, r, hay, (s, e, literal), offset, ctx, &mut *out)
    };
    bounded_captures(regex.get(), hay, |caps| {
        if let Some(l) = caps.name("literal") {
            return name((l.start(), l.end()), true);
        }
        let Some(each) = each else {
            if let Some(m) = first_group(caps).or_else(|| caps.get(0)) {
                name((m.start(), m.end()), false);
            }
            return;
        };
        let Some(block) = caps.get(1) else { return };
        let mut seen: Vec<&[u8]> = Vec::new();
        for m in each
            .captures_iter(block.as_bytes())
            .filter_map(|c| first_group(&c))
        {
            if !seen.contains(&m.as_bytes()) {
                seen.push(m.as_bytes());
                let at = block.start();
                name((at + m.start(), at + m.end()), false);
            }
        }
    })
}

/// The first group of `caps` that took part.
fn first_group<'h>(caps: &regex::bytes::Captures<'h>) -> Option<regex::bytes::Match<'h>> {
    (1..caps.len()).find_map(|i| caps.get(i))
}

/// Keeps what an exposure rule found at `s..e` of `hay`: a name that passes the rule's
/// test, or a `literal`. A reference (a log or storage rule's) is exposed only by code that
/// runs: not by a call in a comment (a JSDoc or doc-comment example, a commented-out line).
fn exposed(
    rule: &Rule,
    r: u32,
    hay: &[u8],
    (s, e, literal): (usize, usize, bool),
    offset: usize,
    ctx: (&Allow, bool),
    out: &mut Vec<Candidate>,
) {
    let reference = rule.group_names != crate::rules::GroupNames::BrowserSecret;
    if reference && in_comment_line(hay, s) {
        return;
    }
    let found = &hay[s..e];
    if literal || super::exposure::group_passes(rule.group_names, found) {
        let span = (offset + s, offset + e);
        keep(rule, r, found, span, 0.0, (false, literal), ctx, out);
    }
}

/// Whether `at` is on a comment line: its text up to `at` starts with `//`, `/*`, `*`, `#`
/// or `<!--`. Only the last [`COMMENT_REACH`] bytes are looked at, so that many matches on
/// one long line (a minified bundle, which holds no line comments) stay linear.
fn in_comment_line(hay: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(COMMENT_REACH);
    let start = match memchr::memrchr(b'\n', &hay[from..at]) {
        Some(i) => from + i + 1,
        None if from > 0 => return false,
        None => 0,
    };
    let line = hay[start..at].trim_ascii_start();
    [&b"//"[..], b"/*", b"*", b"#", b"<!--"]
        .iter()
        .any(|p| line.starts_with(p))
}

/// How far back [`in_comment_line`] looks for the start of a line.
const COMMENT_REACH: usize = 4096;

/// A regex spent more than its budget on one window.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Overrun;

/// The first slice a search sees past its start; doubled while it finds nothing it can
/// trust, reset after each match. Half of it is the longest match always found exactly.
pub(crate) const FIRST_SLICE: usize = 4096;

/// A match is trusted only if it ends this far (or half the slice, if less) before the
/// slice does, so that the cut cannot have shortened or changed it. A match up to
/// `FIRST_SLICE / 2` is always the plain search's; a longer one (a PEM block) is found as
/// the slice widens, unless a shorter match of the rule starts first within the slice.
const HORIZON: usize = 32 * 1024;

/// The largest slice: past it, a search with no match slides on by `slice - HORIZON`.
const MAX_SLICE: usize = 1 << 20;

/// Bytes a regex may be handed per byte of its window (plus [`BUDGET_FLOOR`]), counting
/// every slice of every search: a slice of [`FIRST_SLICE`] per match, so only a rule
/// matching every 16 bytes or more often over a long window comes near it.
pub(crate) const BUDGET_PER_BYTE: usize = 256;
const BUDGET_FLOOR: usize = 64 << 20;

/// `captures_iter` with bounded work: each search runs on `hay[..limit]` from `p`, so it
/// reads at most `limit - p` bytes whatever the pattern (the regex crate's search alone may
/// run to the end of the haystack per match, which makes some patterns quadratic). The
/// sum of those slices is linear in `hay` (about `2 * FIRST_SLICE` per match plus a few
/// times the length) and capped by the budget: past it, `Err(Overrun)`.
///
/// A match is the one `captures_iter` gives whenever that one is at most `FIRST_SLICE / 2`
/// long: a match ending at least `guard` before the slice's end is also one in the whole
/// haystack (assertions like `\b` and `$` see the same bytes), and no earlier or
/// preferred match can have been cut off without being longer than `guard`.
pub(crate) fn bounded_captures(
    regex: &regex::bytes::Regex,
    hay: &[u8],
    mut f: impl FnMut(&regex::bytes::Captures<'_>),
) -> Result<(), Overrun> {
    let n = hay.len();
    let mut budget = n
        .saturating_mul(BUDGET_PER_BYTE)
        .saturating_add(BUDGET_FLOOR);
    let (mut p, mut slice) = (0usize, FIRST_SLICE);
    // Where the last match ended: an empty match there is skipped, as `captures_iter` does.
    let mut last_end = None;
    while p <= n {
        let limit = p.saturating_add(slice).min(n);
        budget = budget.checked_sub(limit - p + 1).ok_or(Overrun)?;
        let guard = (slice / 2).min(HORIZON);
        let Some(caps) = regex.captures_at(&hay[..limit], p) else {
            if limit == n {
                break;
            }
            // Nothing starts in the slice, short of a match longer than the guard.
            if slice >= 2 * HORIZON {
                p = limit - HORIZON;
            }
            slice = (slice * 2).min(MAX_SLICE);
            continue;
        };
        let m = caps.get(0).expect("group 0 is the whole match");
        if limit < n && m.end() + guard > limit {
            // The cut may have shortened or changed this match: look again from where it
            // starts (or from where a match can no longer have been cut), wider if need be.
            let from = m.start().min(limit - guard);
            if from > p {
                p = from;
                continue;
            }
            if slice < 2 * HORIZON {
                slice *= 2;
                continue;
            }
            // Longer than the horizon: taken as found.
        }
        if m.is_empty() && last_end == Some(m.start()) {
            p = m.start() + 1;
            continue;
        }
        f(&caps);
        last_end = Some(m.end());
        p = if m.is_empty() { m.end() + 1 } else { m.end() };
        slice = FIRST_SLICE;
    }
    Ok(())
}

/// The last step for a secret that passed its rule's filters: the secret allowlists decide
/// whether it is kept, kept as silenced (`--explain`) or dropped.
#[allow(clippy::too_many_arguments)]
fn keep(
    rule: &Rule,
    r: u32,
    secret: &[u8],
    (start, end): (usize, usize),
    entropy: f64,
    (loose, carrier): (bool, bool),
    (global, keep_silenced): (&Allow, bool),
    out: &mut Vec<Candidate>,
) {
    let why = secret_why(rule, global, secret);
    if why.is_none() || keep_silenced {
        out.push(Candidate {
            rule: r,
            start,
            end,
            entropy,
            why,
            loose,
            carrier,
        });
    }
}

/// Runs one name-based rule over the assignments of a line (`hay`, at `offset`): the name
/// must match, the whole value must match, and the secret must pass the randomness test.
#[allow(clippy::too_many_arguments)]
fn run_context(
    rule: &Rule,
    r: u32,
    (name, value): (&LazyRegex, &LazyRegex),
    hay: &[u8],
    offset: usize,
    found: &[context::Assignment],
    allow: (&Allow, bool),
    out: &mut Vec<Candidate>,
) {
    let (name, value) = (name.get(), value.get());
    // A name that describes a secret (`appId`, `accountName`) holds no secret, but it is
    // exactly where an identifier is.
    let identifier = rule.kind == crate::rules::RuleKind::Identifier;
    for a in found {
        if (a.describes && !identifier) || !name.is_match(a.name.as_bytes()) {
            continue;
        }
        let v = &hay[a.start..a.end];
        let Some(caps) = value.captures(v) else {
            continue;
        };
        let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
            continue;
        };
        let secret = m.as_bytes();
        // An identifier is a name, not a secret: no randomness test (an Azure storage account
        // may well be called `acmeprod`), only the placeholder filter.
        let entropy = if identifier {
            if filters::is_placeholder(secret) {
                continue;
            }
            entropy::shannon(secret)
        } else {
            let Ok(score) = randomness::assess(secret, rule.generic) else {
                continue;
            };
            score.entropy
        };
        if rule.min_entropy.is_some_and(|min| entropy < min) || !checksum_ok(rule, secret) {
            continue;
        }
        let (start, end) = (offset + a.start + m.start(), offset + a.start + m.end());
        // A line inside a block window is also a window of its own.
        let seen = |c: &Candidate| c.rule == r && c.start == start && c.end == end;
        if out.iter().rev().take(64).any(seen) {
            continue;
        }
        let loose = !a.quoted;
        let flags = (loose, false);
        keep(rule, r, secret, (start, end), entropy, flags, allow, out);
    }
}

fn checksum_ok(rule: &Rule, secret: &[u8]) -> bool {
    match rule.checksum {
        Some(crate::rules::Checksum::Crc32Base62) => filters::crc32_base62_ok(secret),
        None => true,
    }
}

/// Applies the entropy, placeholder and checksum filters; returns the entropy if the secret
/// is a real candidate.
fn accept(rule: &Rule, secret: &[u8]) -> Option<f64> {
    let entropy = entropy::shannon(secret);
    if rule.min_entropy.is_some_and(|min| entropy < min) {
        return None;
    }
    if filters::is_placeholder(secret) || (rule.generic && filters::is_not_a_value(secret)) {
        return None;
    }
    if rule.randomness && randomness::assess(secret, false).is_err() {
        return None;
    }
    checksum_ok(rule, secret).then_some(entropy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(re: &regex::bytes::Regex, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        bounded_captures(re, hay, |c| {
            let m = c.get(0).unwrap();
            out.push((m.start(), m.end()));
        })
        .unwrap();
        out
    }

    /// Bounded searches give exactly `captures_iter`'s matches when these are shorter than
    /// the horizon: across slice borders, with `\b` and `$` at a cut, empty matches,
    /// preferred long branches, and matches longer than the first slice.
    #[test]
    fn bounded_searches_agree_with_a_plain_match_loop() {
        let mut text = Vec::new();
        let mut x = 7u64;
        while text.len() < 300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 11 {
                0 => text.extend_from_slice(b" tok_"),
                1 => text.push(b'\n'),
                2 => text.extend_from_slice(&b"q".repeat((x % 400) as usize)),
                3 => text.push(b'X'),
                _ => text.push(b"abcdefghij"[(x % 10) as usize]),
            }
        }
        let patterns = [
            r"\btok_[a-z]{4,}\b",
            r"[a-z]+X|[a-j]{5}",
            r"q{100,}",
            r"(?m)^[a-j]+$",
            r"tok_[a-z]*q{300,}",
            r"\b[a-j]{3}\b|X",
        ];
        for p in patterns {
            let re = regex::bytes::RegexBuilder::new(p)
                .unicode(false)
                .build()
                .unwrap();
            let plain: Vec<(usize, usize)> =
                re.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            assert!(plain.iter().all(|(s, e)| e - s <= FIRST_SLICE / 2), "{p}");
            assert_eq!(spans(&re, &text), plain, "{p}");
        }
        // Empty matches (every offset of a short buffer: a long one would overrun).
        let empty = regex::bytes::Regex::new("x*").unwrap();
        let short = &text[..3000];
        let plain: Vec<(usize, usize)> = empty
            .find_iter(short)
            .map(|m| (m.start(), m.end()))
            .collect();
        assert_eq!(spans(&empty, short), plain);
    }

    #[test]
    fn comment_lines_are_told_from_code() {
        for (hay, comment) in [
            ("call(token)", false),
            ("x = 1\n  // call(token)", true),
            ("  * call(token)", true),
            ("# call(token)", true),
            ("a // b\ncall(token)", false),
        ] {
            let at = hay.rfind("token").unwrap();
            assert_eq!(in_comment_line(hay.as_bytes(), at), comment, "{hay}");
        }
        let long = format!("// {}call(token)", "x".repeat(COMMENT_REACH));
        let at = long.rfind("token").unwrap();
        assert!(!in_comment_line(long.as_bytes(), at));
    }

    /// Linear work: a pattern that rescans the rest of the line per match stays within
    /// budget; one matching every byte of a long window overruns it.
    #[test]
    fn the_budget_stops_a_rule_matching_every_byte() {
        let letters = b"abcdefghijklmnopqrstuvwxyz".repeat(8_000);
        let greedy = regex::bytes::RegexBuilder::new("[a-z]+X|[a-z]{30}")
            .unicode(false)
            .build()
            .unwrap();
        let mut n = 0;
        assert!(bounded_captures(&greedy, &letters, |_| n += 1).is_ok());
        assert_eq!(n, letters.len() / 30);
        let every = regex::bytes::RegexBuilder::new("[a-z]+X|[a-z]")
            .unicode(false)
            .build()
            .unwrap();
        assert_eq!(bounded_captures(&every, &letters, |_| {}), Err(Overrun));
    }
}
