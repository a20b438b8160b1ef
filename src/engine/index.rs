//! The keyword index: which rules a buffer can match, and where their regexes must run.
//!
//! A rule only runs where one of its keywords occurs: on the lines holding a keyword hit,
//! or on the whole buffer for `multiline` rules. Restricting line-scoped rules to their
//! line is both the speed-up and a precision choice: `\s*` never glues a name on one line
//! to a value on another.

use super::lines::LineIndex;
use super::prefilter;
use std::collections::HashMap;

use crate::rules::{LazyGlobs, Matcher, RuleSet};

/// Every rule's keywords in one automaton, and the rules each keyword belongs to.
pub(crate) struct Index {
    keywords: Option<prefilter::Keywords>,
    /// The lowercase keyword patterns (pattern id = index).
    patterns: Vec<String>,
    /// For each keyword pattern id, the rules that listed it.
    keyword_rules: Vec<Vec<u32>>,
    /// Content rules without keywords: they run on every buffer.
    unfiltered: Vec<u32>,
    /// Rules that match a file's path, not its content.
    pub path_rules: PathRules,
}

/// Every path rule's globs in one set: one match per file instead of one per rule, and one
/// build (on the first path) instead of one per rule.
pub(crate) struct PathRules {
    set: LazyGlobs,
    /// The rule each glob of `set` belongs to, in rule order.
    owner: Vec<u32>,
}

impl PathRules {
    /// The path rules matching `path`, in rule order.
    pub fn matching(&self, path: &str) -> Vec<u32> {
        // `is_match` first: this runs for every file, most match nothing, and `matches`
        // allocates.
        if self.owner.is_empty() || !self.set.get().is_match(path) {
            return Vec::new();
        }
        let mut rules: Vec<u32> = self
            .set
            .get()
            .matches(path)
            .into_iter()
            .map(|g| self.owner[g])
            .collect();
        rules.dedup();
        rules
    }
}

impl Index {
    pub fn new(rules: &RuleSet) -> Index {
        // About two keywords a rule: sized once, not grown (and rehashed) a thousand times.
        let guess = rules.rules.len() * 2;
        let mut patterns: Vec<String> = Vec::with_capacity(guess);
        let mut ids: HashMap<String, usize> = HashMap::with_capacity(guess);
        let mut keyword_rules: Vec<Vec<u32>> = Vec::with_capacity(guess);
        let mut unfiltered = Vec::new();
        let (mut globs, mut owner) = (Vec::new(), Vec::new());
        for (i, rule) in rules.rules.iter().enumerate() {
            let i = i as u32;
            if let Matcher::Path { globs: mine } = &rule.matcher {
                globs.extend(mine.iter().cloned());
                owner.extend(mine.iter().map(|_| i));
                continue;
            }
            if rule.keywords.is_empty() {
                unfiltered.push(i);
            }
            for kw in &rule.keywords {
                match ids.entry(kw.to_ascii_lowercase()) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        let pid = *e.get();
                        if !keyword_rules[pid].contains(&i) {
                            keyword_rules[pid].push(i);
                        }
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        patterns.push(e.key().clone());
                        e.insert(patterns.len() - 1);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // Each rule's globs were checked when it was loaded (user rules by compiling them).
        let path_rules = PathRules {
            set: LazyGlobs::lazy(globs),
            owner,
        };
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(prefilter::Keywords::new(&patterns))
        };
        Index {
            keywords,
            patterns,
            keyword_rules,
            unfiltered,
            path_rules,
        }
    }

    /// Uses the bulk keyword matcher (Vectorscan, with the `vectorscan` feature).
    pub fn enable_bulk(&mut self) {
        if let Some(k) = &mut self.keywords {
            k.enable_bulk(&self.patterns);
        }
    }

    pub fn windows(&self, rules: usize) -> Windows<'_> {
        Windows {
            keyword_scratch: self
                .keywords
                .as_ref()
                .map(prefilter::Keywords::scratch)
                .unwrap_or_default(),
            lines: vec![Vec::new(); rules],
            whole: vec![false; rules],
            touched: Vec::new(),
        }
    }
}

/// Per-thread record of where each rule must run in the current buffer.
pub(crate) struct Windows<'i> {
    keyword_scratch: prefilter::Scratch<'i>,
    /// Per rule: line windows `(start, end)` to run the regex on.
    pub lines: Vec<Vec<(usize, usize)>>,
    /// Per rule: run on the whole buffer.
    pub whole: Vec<bool>,
    /// The rules with a window, in the order first seen.
    pub touched: Vec<u32>,
}

impl Windows<'_> {
    /// Runs the keyword automaton and records, per rule, where its regex must run.
    // A frame of its own, so that a profiler can cost the keyword stage alone
    // (`benches/keywords.sh` counts its instructions with callgrind).
    #[inline(never)]
    pub fn collect(&mut self, index: &Index, rules: &RuleSet, lines: &LineIndex<'_>) {
        let bytes = lines.bytes();
        for &r in &index.unfiltered {
            self.touch(r);
            self.whole[r as usize] = true;
        }
        let Some(keywords) = &index.keywords else {
            return;
        };
        let mut line = (usize::MAX, 0usize);
        let mut extended = (usize::MAX, 0usize);
        let mut scratch = std::mem::take(&mut self.keyword_scratch);
        keywords.for_each(&mut scratch, bytes, |pos, pattern| {
            if !(line.0..line.1).contains(&pos) {
                line = lines.bounds(pos);
            }
            for &r in &index.keyword_rules[pattern as usize] {
                let ri = r as usize;
                if self.whole[ri] {
                    continue;
                }
                let (multiline, context) = match rules.rules[ri].matcher {
                    Matcher::Content { multiline, .. } => (multiline, false),
                    Matcher::Context { .. } => (false, true),
                    Matcher::Path { .. } => (false, false),
                };
                if self.lines[ri].is_empty() {
                    self.touch(r);
                }
                if multiline {
                    self.whole[ri] = true;
                } else if context {
                    // Name-based rules see the structure a name heads (YAML blocks, CSV rows).
                    if extended.0 != line.0 {
                        extended = (line.0, super::context::extent(bytes, line));
                    }
                    let window = (line.0, extended.1);
                    if self.lines[ri].last() != Some(&window) {
                        self.lines[ri].push(window);
                    }
                } else if self.lines[ri].last() != Some(&line) {
                    self.lines[ri].push(line);
                }
            }
        });
        self.keyword_scratch = scratch;
    }

    /// Forgets the current buffer's windows.
    pub fn clear(&mut self) {
        for &r in &self.touched {
            self.lines[r as usize].clear();
            self.whole[r as usize] = false;
        }
        self.touched.clear();
    }

    fn touch(&mut self, r: u32) {
        if !self.touched.contains(&r) {
            self.touched.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::{RuleSet, Source};

    /// The one glob set of all path rules gives each matching rule once, in rule order.
    #[test]
    fn path_rules_match_through_one_set() {
        let text = r#"
extend_default: false
rules:
  - id: keys
    description: key files
    severity: high
    paths: ['**/id_rsa', '**/*.pem']
  - id: pem
    description: pem files
    severity: high
    paths: ['**/*.pem', 'certs/**']
  - id: token
    description: a token
    severity: high
    regex: 'tok_[a-z]{8}'
    keywords: [tok_]
"#;
        let src = Source {
            name: "t.yaml".into(),
            text,
        };
        let index = super::Index::new(&RuleSet::load(&[], Some(&src)).unwrap());
        assert_eq!(index.path_rules.matching("a/id_rsa"), vec![0]);
        assert_eq!(index.path_rules.matching("certs/x.pem"), vec![0, 1]);
        assert_eq!(index.path_rules.matching("certs/readme"), vec![1]);
        assert!(index.path_rules.matching("src/main.rs").is_empty());
    }
}
