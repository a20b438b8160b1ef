//! The matching engine: keyword prefilter → rule regexes → filters → `Finding`s.
//!
//! [`Engine`] is built once per run from a [`RuleSet`] and shared by reference between
//! threads; each thread owns a [`Scanner`] holding its scratch space, so scanning a buffer
//! allocates nothing unless something is found.
//!
//! A rule only runs where one of its keywords occurs: on the lines holding a keyword hit,
//! or on the whole buffer for `multiline` rules. Restricting line-scoped rules to their
//! line is both the speed-up and a precision choice: `\s*` never glues a name on one line
//! to a value on another.

pub mod decode;
pub mod entropy;
pub mod filters;
pub mod prefilter;

use crate::finding::{Finding, Suppression};
use crate::rules::{Matcher, Rule, RuleSet};

/// The marker that silences every finding on its line.
pub const ALLOW_MARKER: &[u8] = b"leakguard:allow";

/// All rules compiled into one automaton plus per-rule regexes. Immutable and `Sync`.
pub struct Engine {
    rules: RuleSet,
    keywords: Option<prefilter::Keywords>,
    /// The lowercase keyword patterns (pattern id = index).
    patterns: Vec<String>,
    /// For each keyword pattern id, the rules that listed it.
    keyword_rules: Vec<Vec<u32>>,
    /// Content rules without keywords: they run on every buffer.
    unfiltered: Vec<u32>,
    path_rules: Vec<u32>,
    policy: Policy,
}

/// How allowlists and inline comments are applied.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Honour `leakguard:allow` comments (CI can turn this off so that a comment alone cannot
    /// bypass review).
    pub inline_allow: bool,
    /// Keep suppressed findings, marked with what suppressed them (`--explain`). Allowlisted
    /// paths are then scanned too, to say what they would have reported.
    pub keep_suppressed: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            inline_allow: true,
            keep_suppressed: false,
        }
    }
}

/// Which allowlist silenced a candidate (resolved to a [`Suppression`] when reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    RulePath,
    RuleSecret,
    GlobalSecret,
}

/// One buffer to scan, with where it came from.
pub struct Input<'a> {
    /// Path as reported (relative to the scanned root).
    pub path: &'a str,
    /// Path used for allowlist globs (relative to the config's directory when known).
    pub match_path: &'a str,
    pub bytes: &'a [u8],
    /// Binary content: generic rules are skipped.
    pub binary: bool,
}

/// Error building the engine (only the keyword automaton can fail here).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword automaton: {0}")]
pub struct EngineError(#[from] aho_corasick::BuildError);

impl Engine {
    /// Compiles the prefilter over every rule's keywords.
    pub fn new(rules: RuleSet) -> Result<Engine, EngineError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<u32>> = Vec::new();
        let mut unfiltered = Vec::new();
        let mut path_rules = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            let i = i as u32;
            if rule.is_path_rule() {
                path_rules.push(i);
                continue;
            }
            if rule.keywords.is_empty() {
                unfiltered.push(i);
            }
            for kw in &rule.keywords {
                let lower = kw.to_ascii_lowercase();
                match patterns.iter().position(|p| *p == lower) {
                    Some(pid) => {
                        if !keyword_rules[pid].contains(&i) {
                            keyword_rules[pid].push(i);
                        }
                    }
                    None => {
                        patterns.push(lower);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(prefilter::Keywords::new(&patterns)?)
        };
        Ok(Engine {
            rules,
            keywords,
            patterns,
            keyword_rules,
            unfiltered,
            path_rules,
            policy: Policy::default(),
        })
    }

    /// Sets how allowlists and inline comments apply.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Uses the bulk keyword matcher (Vectorscan, when built with the `vectorscan`
    /// feature) for large scans; a no-op otherwise.
    pub fn enable_bulk_prefilter(&mut self) {
        if let Some(k) = &mut self.keywords {
            k.enable_bulk(&self.patterns);
        }
    }

    /// Which keyword matcher runs.
    pub fn prefilter_name(&self) -> &'static str {
        self.keywords
            .as_ref()
            .map_or("none", prefilter::Keywords::engine_name)
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Findings of the path rules for a file at `path` (`match_path` for globs).
    pub fn path_findings(&self, path: &str, match_path: &str, out: &mut Vec<Finding>) {
        for &r in &self.path_rules {
            let rule = &self.rules.rules[r as usize];
            if let Matcher::Path { globs } = &rule.matcher {
                if !globs.is_match(match_path) {
                    continue;
                }
                match rule.allow.path_entry(match_path) {
                    None => out.push(Finding::path(rule, path)),
                    Some(entry) if self.policy.keep_suppressed => {
                        let mut f = Finding::path(rule, path);
                        f.suppressed = Some(allowlisted(entry, &rule.allow));
                        out.push(f);
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// Findings for a file whose content is not scanned (too large, binary and skipped, or a
    /// history path): the path rules, unless the global allowlist exempts the path.
    pub fn path_only(&self, path: &str, match_path: &str, out: &mut Vec<Finding>) {
        match self.rules.allow.path_entry(match_path) {
            None => self.path_findings(path, match_path, out),
            Some(entry) if self.policy.keep_suppressed => {
                let first = out.len();
                self.path_findings(path, match_path, out);
                mark(&mut out[first..], &allowlisted(entry, &self.rules.allow));
            }
            Some(_) => {}
        }
    }

    /// The path allowlist (global, then the rule's own) that silences a content finding of
    /// `rule_id` at `path`, if any: the counterpart of [`Scanner::scan_blob`].
    pub fn path_suppression(&self, rule_id: &str, path: &str) -> Option<Suppression> {
        if let Some(e) = self.rules.allow.path_entry(path) {
            return Some(allowlisted(e, &self.rules.allow));
        }
        let rule = self.rules.get(rule_id)?;
        rule.allow
            .path_entry(path)
            .map(|e| allowlisted(e, &rule.allow))
    }

    /// A per-thread scanner.
    pub fn scanner(&self) -> Scanner<'_> {
        let n = self.rules.rules.len();
        Scanner {
            engine: self,
            keyword_scratch: self
                .keywords
                .as_ref()
                .map(prefilter::Keywords::scratch)
                .unwrap_or_default(),
            windows: vec![Vec::new(); n],
            whole: vec![false; n],
            touched: Vec::new(),
            candidates: Vec::new(),
            silenced: Vec::new(),
        }
    }
}

/// The suppression for an allowlist entry.
fn allowlisted(entry: String, allow: &crate::rules::Allow) -> Suppression {
    Suppression::Allowlist {
        entry,
        defined_in: allow.origin.clone(),
    }
}

/// Marks findings as suppressed (those already marked keep their first reason).
fn mark(findings: &mut [Finding], why: &Suppression) {
    for f in findings {
        if f.suppressed.is_none() {
            f.suppressed = Some(why.clone());
        }
    }
}

/// A match that passed the filters, before overlapping matches are merged.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rule: u32,
    start: usize,
    end: usize,
    entropy: f64,
    /// Set when an allowlist silenced it (kept only with `Policy::keep_suppressed`).
    why: Option<Why>,
}

/// Per-thread scratch: reused across buffers.
pub struct Scanner<'e> {
    engine: &'e Engine,
    keyword_scratch: prefilter::Scratch<'e>,
    /// Per rule: line windows `(start, end)` to run the regex on.
    windows: Vec<Vec<(usize, usize)>>,
    /// Per rule: run on the whole buffer.
    whole: Vec<bool>,
    touched: Vec<u32>,
    candidates: Vec<Candidate>,
    /// Allowlisted candidates, for `--explain`.
    silenced: Vec<Candidate>,
}

impl<'e> Scanner<'e> {
    /// The engine this scanner belongs to.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Scans one buffer, appending its findings to `out`.
    pub fn scan(&mut self, input: &Input<'_>, out: &mut Vec<Finding>) {
        let rules = &self.engine.rules;
        let global = rules.allow.path_entry(input.match_path);
        if global.is_some() && !self.engine.policy.keep_suppressed {
            return;
        }
        let start = out.len();
        self.engine.path_findings(input.path, input.match_path, out);
        let first = out.len();
        self.scan_content(
            input.path,
            Some(input.match_path),
            input.bytes,
            input.binary,
            out,
        );
        if !input.binary {
            let name = input.match_path.rsplit('/').next().unwrap_or("");
            let dotenv = name == ".env" || name.starts_with(".env.");
            self.scan_decoded(
                input.path,
                Some(input.match_path),
                input.bytes,
                dotenv,
                first,
                out,
            );
        }
        if let Some(entry) = global {
            mark(&mut out[start..], &allowlisted(entry, &rules.allow));
        }
    }

    /// Scans base64 values where secrets are stored encoded (Kubernetes Secret `data:`,
    /// `.env` values). A decoded finding takes the place of a generic finding on the encoded
    /// text itself, and points at the encoded value.
    fn scan_decoded(
        &mut self,
        path: &str,
        match_path: Option<&str>,
        bytes: &[u8],
        dotenv: bool,
        first: usize,
        out: &mut Vec<Finding>,
    ) {
        let policy = self.engine.policy;
        // Candidates come in offset order: count lines incrementally (linear, not quadratic,
        // in a large `.env` full of values).
        let (mut cursor, mut line) = (0usize, 1usize);
        for enc in decode::candidates(bytes, dotenv) {
            let inline = policy.inline_allow && line_is_allowed(bytes, enc.start);
            if inline && !policy.keep_suppressed {
                continue;
            }
            let mut found = Vec::new();
            self.scan_content(path, match_path, &enc.decoded, false, &mut found);
            if found.is_empty() {
                continue;
            }
            line += memchr::memchr_iter(b'\n', &bytes[cursor..enc.start]).count();
            cursor = enc.start;
            let column =
                enc.start - memchr::memrchr(b'\n', &bytes[..enc.start]).map_or(0, |p| p + 1) + 1;
            let encoded = &bytes[enc.start..enc.end];
            let mut i = first;
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
                if inline && f.suppressed.is_none() {
                    f.suppressed = Some(Suppression::InlineComment);
                }
                out.push(f);
            }
        }
    }

    /// `path` as it may be printed: a secret that a provider rule finds in a file name
    /// (`keys/mon_4f9K….json`) is redacted like any other, in every output and message.
    pub fn printable_path<'p>(&mut self, path: &'p str) -> std::borrow::Cow<'p, str> {
        let mut found = Vec::new();
        self.scan_content("", None, path.as_bytes(), false, &mut found);
        let rules = &self.engine.rules;
        let mut spans: Vec<(usize, usize, String)> = found
            .iter()
            .filter(|f| !f.secret_bytes().is_empty())
            .filter(|f| rules.get(&f.rule_id).is_some_and(|r| !r.generic))
            .map(|f| {
                let start = f.column - 1;
                (start, start + f.secret_bytes().len(), f.redacted.clone())
            })
            .collect();
        if spans.is_empty() {
            return std::borrow::Cow::Borrowed(path);
        }
        spans.sort();
        let mut out = String::with_capacity(path.len());
        let mut at = 0;
        for (start, end, redacted) in spans {
            if start < at || end > path.len() || !path.is_char_boundary(start) {
                continue;
            }
            out.push_str(&path[at..start]);
            out.push_str(&redacted);
            at = end;
        }
        out.push_str(&path[at..]);
        std::borrow::Cow::Owned(out)
    }

    /// Scans bytes whose path is not known yet (a history blob seen at several paths):
    /// content rules only, no path allowlists. Apply [`Engine::allows_at`] per path.
    pub fn scan_blob(&mut self, bytes: &[u8], binary: bool, out: &mut Vec<Finding>) {
        let first = out.len();
        self.scan_content("", None, bytes, binary, out);
        if !binary {
            // Without a path only manifests are recognised (by content), not `.env` files.
            self.scan_decoded("", None, bytes, false, first, out);
        }
    }

    fn scan_content(
        &mut self,
        path: &str,
        match_path: Option<&str>,
        bytes: &[u8],
        binary: bool,
        out: &mut Vec<Finding>,
    ) {
        let rules = &self.engine.rules;
        if bytes.is_empty() {
            return;
        }
        let policy = self.engine.policy;
        self.collect_windows(bytes);
        self.candidates.clear();
        self.silenced.clear();
        for ti in 0..self.touched.len() {
            let r = self.touched[ti] as usize;
            let rule = &rules.rules[r];
            if rule.generic && binary {
                continue;
            }
            let path_allowed = match_path.is_some_and(|p| rule.allow.allows_path(p));
            if path_allowed && !policy.keep_suppressed {
                continue;
            }
            let mut sink = Sink {
                kept: &mut self.candidates,
                silenced: policy.keep_suppressed.then_some(&mut self.silenced),
                path_allowed,
            };
            if self.whole[r] {
                run_rule(rule, r as u32, bytes, 0, &rules.allow, &mut sink);
            } else {
                for &(s, e) in &self.windows[r] {
                    run_rule(rule, r as u32, &bytes[s..e], s, &rules.allow, &mut sink);
                }
            }
        }
        for &r in &self.touched {
            self.windows[r as usize].clear();
            self.whole[r as usize] = false;
        }
        self.touched.clear();
        let at = Place {
            path,
            match_path,
            bytes,
        };
        if !self.candidates.is_empty() {
            emit(rules, policy, &at, &mut self.candidates, out);
        }
        if !self.silenced.is_empty() {
            emit(rules, policy, &at, &mut self.silenced, out);
        }
    }

    /// Runs the keyword automaton and records, per rule, where its regex must run.
    fn collect_windows(&mut self, bytes: &[u8]) {
        let engine = self.engine;
        for &r in &engine.unfiltered {
            self.touch(r);
            self.whole[r as usize] = true;
        }
        let Some(keywords) = &engine.keywords else {
            return;
        };
        let mut line = (usize::MAX, 0usize);
        let mut scratch = std::mem::take(&mut self.keyword_scratch);
        keywords.for_each(&mut scratch, bytes, |pos, pattern| {
            if !(line.0..line.1).contains(&pos) {
                line = line_bounds(bytes, pos);
            }
            for &r in &engine.keyword_rules[pattern as usize] {
                let ri = r as usize;
                if self.whole[ri] {
                    continue;
                }
                let rule = &engine.rules.rules[ri];
                let multiline = matches!(
                    rule.matcher,
                    Matcher::Content {
                        multiline: true,
                        ..
                    }
                );
                if self.windows[ri].is_empty() {
                    self.touch(r);
                }
                if multiline {
                    self.whole[ri] = true;
                } else if self.windows[ri].last() != Some(&line) {
                    self.windows[ri].push(line);
                }
            }
        });
        self.keyword_scratch = scratch;
    }

    fn touch(&mut self, r: u32) {
        if !self.touched.contains(&r) {
            self.touched.push(r);
        }
    }
}

/// 1-based line and byte column of `pos`.
pub fn line_col(bytes: &[u8], pos: usize) -> (usize, usize) {
    let line = memchr::memchr_iter(b'\n', &bytes[..pos]).count() + 1;
    let start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |p| p + 1);
    (line, pos - start + 1)
}

/// Does the line holding `pos` carry the `leakguard:allow` marker?
pub fn line_is_allowed(bytes: &[u8], pos: usize) -> bool {
    let (s, e) = line_bounds(bytes, pos);
    memchr::memmem::find(&bytes[s..e], ALLOW_MARKER).is_some()
}

/// The line holding `pos`, without its newline.
fn line_bounds(bytes: &[u8], pos: usize) -> (usize, usize) {
    let start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
    (start, end)
}

/// Where candidates go: kept ones, and allowlisted ones when `--explain` wants them.
struct Sink<'a> {
    kept: &'a mut Vec<Candidate>,
    silenced: Option<&'a mut Vec<Candidate>>,
    /// The rule's own path allowlist covers this file.
    path_allowed: bool,
}

/// The buffer being reported on.
struct Place<'a> {
    path: &'a str,
    match_path: Option<&'a str>,
    bytes: &'a [u8],
}

/// Runs one rule's regex over `hay` (which starts at `offset` in the buffer) and keeps the
/// secrets that pass the filters.
fn run_rule(
    rule: &Rule,
    r: u32,
    hay: &[u8],
    offset: usize,
    global: &crate::rules::Allow,
    sink: &mut Sink<'_>,
) {
    let Matcher::Content {
        regex,
        secret_group,
        ..
    } = &rule.matcher
    else {
        return;
    };
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
        let Some((entropy, mut why)) = accept(rule, secret, global) else {
            continue;
        };
        if sink.path_allowed {
            why = Some(Why::RulePath);
        }
        let c = Candidate {
            rule: r,
            start: offset + m.start(),
            end: offset + m.end(),
            entropy,
            why,
        };
        match (why, sink.silenced.as_deref_mut()) {
            (None, _) => sink.kept.push(c),
            (Some(_), Some(silenced)) => silenced.push(c),
            (Some(_), None) => {}
        }
    }
}

/// Applies entropy, placeholder and allowlist filters; returns the entropy if the secret is
/// a real candidate, with the allowlist that silences it, if one does.
fn accept(rule: &Rule, secret: &[u8], global: &crate::rules::Allow) -> Option<(f64, Option<Why>)> {
    let entropy = entropy::shannon(secret);
    if rule.min_entropy.is_some_and(|min| entropy < min) {
        return None;
    }
    if filters::is_placeholder(secret) || (rule.generic && filters::is_not_a_value(secret)) {
        return None;
    }
    match rule.checksum {
        Some(crate::rules::Checksum::Crc32Base62) if !filters::crc32_base62_ok(secret) => {
            return None
        }
        _ => {}
    }
    if rule.allow.allows_secret(secret) {
        return Some((entropy, Some(Why::RuleSecret)));
    }
    if global.allows_secret(secret) {
        return Some((entropy, Some(Why::GlobalSecret)));
    }
    Some((entropy, None))
}

/// Merges overlapping candidates (one secret, one finding, under the most specific rule),
/// drops lines marked `leakguard:allow`, and turns the rest into findings.
fn emit(
    rules: &RuleSet,
    policy: Policy,
    at: &Place<'_>,
    cands: &mut [Candidate],
    out: &mut Vec<Finding>,
) {
    let bytes = at.bytes;
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
                let m = memchr::memmem::find(&bytes[ls..le], ALLOW_MARKER).is_some();
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
            .map(|c| rules.rules[c.rule as usize].id.clone())
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
        let rule = &rules.rules[best.rule as usize];
        let secret = &bytes[best.start..best.end];
        let mut f = Finding::content(
            rule,
            at.path,
            line_no,
            best.start - line_start + 1,
            secret,
            best.entropy,
            also,
        );
        f.suppressed = match best.why {
            Some(Why::RulePath) => at
                .match_path
                .and_then(|p| rule.allow.path_entry(p))
                .map(|e| allowlisted(e, &rule.allow)),
            Some(Why::RuleSecret) => rule
                .allow
                .secret_entry(secret)
                .map(|e| allowlisted(e, &rule.allow)),
            Some(Why::GlobalSecret) => rules
                .allow
                .secret_entry(secret)
                .map(|e| allowlisted(e, &rules.allow)),
            None => None,
        };
        if inline && f.suppressed.is_none() {
            f.suppressed = Some(Suppression::InlineComment);
        }
        out.push(f);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Source;

    fn engine(yaml: &str) -> Engine {
        let set = RuleSet::load(
            &[],
            Some(&Source {
                name: "t.yaml".into(),
                text: yaml,
            }),
        )
        .unwrap();
        Engine::new(set).unwrap()
    }

    fn scan(e: &Engine, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        e.scanner().scan(
            &Input {
                path: "f.txt",
                match_path: "f.txt",
                bytes: text.as_bytes(),
                binary: false,
            },
            &mut out,
        );
        out
    }

    const TWO: &str = r#"
rules:
  - id: tok
    description: token
    severity: high
    keywords: [tok_]
    regex: '\b(tok_[A-Za-z0-9]{12})\b'
  - id: gen
    description: generic
    severity: low
    generic: true
    keywords: [key]
    regex: '(?i)key\s*=\s*"([^"]{8,})"'
"#;

    #[test]
    fn line_and_column_point_at_the_secret() {
        let e = engine(TWO);
        let f = scan(&e, "one\ntwo\n  x = tok_a1B2c3D4e5F6\n");
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].line, f[0].column), (3, 7));
        assert_eq!(f[0].secret_display(true), "tok_a1B2c3D4e5F6");
    }

    #[test]
    fn overlapping_rules_give_one_finding_under_the_specific_rule() {
        let e = engine(TWO);
        let f = scan(&e, "key = \"tok_a1B2c3D4e5F6\"\n");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule_id, "tok");
        assert_eq!(f[0].also_matched, vec!["gen".to_string()]);
    }

    #[test]
    fn allow_marker_silences_the_line() {
        let e = engine(TWO);
        assert!(scan(&e, "x = tok_a1B2c3D4e5F6 # leakguard:allow\n").is_empty());
        assert_eq!(
            scan(&e, "x = tok_a1B2c3D4e5F6\n# leakguard:allow\n").len(),
            1
        );
    }

    #[test]
    fn keyword_is_case_insensitive_but_needed() {
        let e = engine(TWO);
        assert_eq!(scan(&e, "KEY = \"a1B2c3D4e5F6g7\"").len(), 1);
        // No keyword, no regex run: same text without `key` finds nothing.
        assert!(scan(&e, "kex = \"a1B2c3D4e5F6g7\"").is_empty());
    }

    #[test]
    fn regex_does_not_join_lines() {
        let e = engine(TWO);
        assert!(scan(&e, "key =\n\"a1B2c3D4e5F6g7\"").is_empty());
    }

    #[test]
    fn generic_rules_skip_binary() {
        let e = engine(TWO);
        let mut out = Vec::new();
        e.scanner().scan(
            &Input {
                path: "b",
                match_path: "b",
                bytes: b"key = \"a1B2c3D4e5F6g7\"\0 tok_a1B2c3D4e5F6",
                binary: true,
            },
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule_id, "tok");
    }

    #[test]
    fn many_findings_have_increasing_lines() {
        let e = engine(TWO);
        let text: String = (0..50)
            .map(|i| format!("line {i}\n tok_a1B2c3D4e5F{}\n", i % 10))
            .collect();
        let f = scan(&e, &text);
        assert_eq!(f.len(), 50);
        for (i, x) in f.iter().enumerate() {
            assert_eq!(x.line, 2 * i + 2);
        }
    }
}
