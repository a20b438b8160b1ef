//! Rule runs: each touched rule's regex over its windows, then the filters (entropy,
//! placeholders, checksums, secret allowlists). What comes out is a [`Candidate`]: a span
//! and a rule, before any path is known.

use super::allow::{secret_why, Why};
use super::index::{Index, Windows};
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
}

/// Appends the candidates of `bytes` to `out`. Rules for which `skip` holds do not run;
/// `keep_silenced` keeps candidates a secret allowlist silences (for `--explain`).
pub(crate) fn candidates(
    index: &Index,
    rules: &RuleSet,
    windows: &mut Windows<'_>,
    chunk: (&[u8], bool),
    keep_silenced: bool,
    skip: impl Fn(&Rule) -> bool,
    out: &mut Vec<Candidate>,
) {
    let (bytes, binary) = chunk;
    if bytes.is_empty() {
        return;
    }
    windows.collect(index, rules, bytes);
    let mut lines = context::Lines::default();
    for &r in &windows.touched {
        let rule = &rules.rules[r as usize];
        if (rule.generic && binary) || skip(rule) {
            continue;
        }
        let mut run = |hay: &[u8], offset: usize| {
            let ctx = (&rules.allow, keep_silenced);
            match &rule.matcher {
                Matcher::Context { name, value, regex } => {
                    let found = lines.assignments(hay, offset);
                    run_context(rule, r, (name, value), hay, offset, found, ctx, out);
                    if let Some(regex) = regex {
                        // The forms that are not an assignment (client calls, CLI commands)
                        // stay on the keyword's own line.
                        let line = hay.split(|&b| b == b'\n').next().unwrap_or(hay);
                        let re = (regex, None);
                        run_rule(rule, r, re, line, offset, ctx, out);
                    }
                }
                Matcher::Content {
                    regex,
                    secret_group,
                    ..
                } => run_rule(rule, r, (regex, *secret_group), hay, offset, ctx, out),
                Matcher::Path { .. } => {}
            }
        };
        if windows.whole[r as usize] {
            run(bytes, 0);
        } else {
            for &(s, e) in &windows.lines[r as usize] {
                run(&bytes[s..e], s);
            }
        }
    }
    windows.clear();
}

/// Runs one rule's regex over `hay` (which starts at `offset` in the buffer) and keeps the
/// secrets that pass the filters.
fn run_rule(
    rule: &Rule,
    r: u32,
    (regex, secret_group): (&LazyRegex, Option<usize>),
    hay: &[u8],
    offset: usize,
    (global, keep_silenced): (&Allow, bool),
    out: &mut Vec<Candidate>,
) {
    let regex = regex.get();
    let group = secret_group.unwrap_or(usize::from(regex.captures_len() > 1));
    for caps in regex.captures_iter(hay) {
        let Some(m) = caps.get(group).or_else(|| caps.get(0)) else {
            continue;
        };
        let secret = m.as_bytes();
        // A name-and-entropy match followed by `(` is a function call, not a value; one that
        // runs into a template expression (`prefix{{ var }}`, `prefix${VAR}`) is not literal.
        if rule.generic {
            let rest = &hay[m.end()..];
            if rest.starts_with(b"(") || rest.starts_with(b"{{") || rest.starts_with(b"${") {
                continue;
            }
        }
        let Some(entropy) = accept(rule, secret) else {
            continue;
        };
        let span = (offset + m.start(), offset + m.end());
        keep(
            rule,
            r,
            secret,
            span,
            entropy,
            false,
            (global, keep_silenced),
            out,
        );
    }
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
    loose: bool,
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
    for a in found {
        if a.describes || !name.is_match(a.name.as_bytes()) {
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
        let Ok(score) = randomness::assess(secret, rule.generic) else {
            continue;
        };
        if rule.min_entropy.is_some_and(|min| score.entropy < min) || !checksum_ok(rule, secret) {
            continue;
        }
        let (start, end) = (offset + a.start + m.start(), offset + a.start + m.end());
        // A line inside a block window is also a window of its own.
        let seen = |c: &Candidate| c.rule == r && c.start == start && c.end == end;
        if out.iter().rev().take(64).any(seen) {
            continue;
        }
        let loose = !a.quoted;
        keep(
            rule,
            r,
            secret,
            (start, end),
            score.entropy,
            loose,
            allow,
            out,
        );
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
