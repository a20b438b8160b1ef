//! The keyword index: which rules a buffer can match, and where their regexes must run.
//!
//! A rule only runs where one of its keywords occurs: on the lines holding a keyword hit,
//! or on the whole buffer for `multiline` rules. Restricting line-scoped rules to their
//! line is both the speed-up and a precision choice: `\s*` never glues a name on one line
//! to a value on another.

use super::lines::LineIndex;
use super::prefilter;
use std::collections::HashMap;

use crate::rules::syntax::Text;
use crate::rules::{LazyGlobs, Matcher, RuleSet};

/// Every rule's keywords in one automaton, and the rules each keyword belongs to.
pub(crate) struct Index {
    keywords: Option<prefilter::Keywords>,
    /// The rules that listed keyword pattern `p`: `keyword_rules[rules_at[p]..rules_at[p + 1]]`.
    rules_at: Vec<u32>,
    keyword_rules: Vec<u32>,
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
        // Built for every run, the hook's too: no allocation per keyword. The built-in
        // keywords are borrowed from the binary, and each keyword's rules are one list.
        let guess = rules.rules.len() * 2;
        let mut patterns: Vec<Text> = Vec::with_capacity(guess);
        let mut ids: HashMap<Text, u32> = HashMap::with_capacity(guess);
        // (pattern, rule) for every keyword of every rule, in rule order.
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(guess);
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
            let mine = pairs.len();
            for kw in &rule.keywords {
                let kw: Text = match kw.bytes().any(|b| b.is_ascii_uppercase()) {
                    true => kw.to_ascii_lowercase().into(),
                    false => kw.clone(),
                };
                let next = patterns.len() as u32;
                let pid = *ids.entry(kw).or_insert_with_key(|kw| {
                    patterns.push(kw.clone());
                    next
                });
                // A keyword the rule lists twice (in two cases) maps to the rule once.
                if !pairs[mine..].contains(&(pid, i)) {
                    pairs.push((pid, i));
                }
            }
        }
        // Each pattern's rules, in rule order (a stable sort by pattern).
        let mut rules_at = vec![0u32; patterns.len() + 1];
        for &(p, _) in &pairs {
            rules_at[p as usize + 1] += 1;
        }
        for p in 0..patterns.len() {
            rules_at[p + 1] += rules_at[p];
        }
        let mut next = rules_at.clone();
        let mut keyword_rules = vec![0u32; pairs.len()];
        for &(p, r) in &pairs {
            keyword_rules[next[p as usize] as usize] = r;
            next[p as usize] += 1;
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
            rules_at,
            keyword_rules,
            unfiltered,
            path_rules,
        }
    }

    /// The rules that listed keyword pattern `p`, in rule order.
    fn rules_of(&self, p: u32) -> &[u32] {
        let p = p as usize;
        &self.keyword_rules[self.rules_at[p] as usize..self.rules_at[p + 1] as usize]
    }

    /// Uses the bulk keyword matcher (Vectorscan, with the `vectorscan` feature).
    pub fn enable_bulk(&mut self) {
        if let Some(k) = &mut self.keywords {
            k.enable_bulk();
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
            for &r in index.rules_of(pattern) {
                let ri = r as usize;
                if self.whole[ri] {
                    continue;
                }
                let (multiline, context) = match rules.rules[ri].matcher {
                    Matcher::Content { multiline, .. } => (multiline, false),
                    Matcher::Context { multiline, .. } => (multiline, !multiline),
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

    /// build.rs lists the built-in keywords the way the index does (same order, path rules
    /// left out), so that the DFA it builds is the one the index uses.
    #[test]
    fn the_index_of_the_builtin_rules_takes_the_prebuilt_dfa() {
        let index = super::Index::new(&RuleSet::load_builtin(None).unwrap());
        let keywords = index.keywords.unwrap();
        assert!(keywords
            .patterns()
            .iter()
            .eq(super::prefilter::BUILTIN_KEYWORDS));
        assert!(keywords.is_prebuilt());
        // A config rule with its own keyword makes another list: that DFA is built.
        let cfg = "rules:\n  - id: own\n    description: d\n    severity: low\n    keywords: [zzq_own_]\n    regex: 'zzq_own_[a-z]{8}'\n    examples:\n      match: [zzq_own_abcdefgh, zzq_own_hgfedcba]\n      no_match: [zzq_own_, zzq_own_ABC]\n";
        let src = Source {
            name: "cfg.yaml".into(),
            text: cfg,
        };
        let index = super::Index::new(&RuleSet::load_builtin(Some(&src)).unwrap());
        assert!(!index.keywords.unwrap().is_prebuilt());
    }

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
