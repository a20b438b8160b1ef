//! The keyword index: which rules a buffer can match, and where their regexes must run.
//!
//! A rule only runs where one of its keywords occurs: on the lines holding a keyword hit,
//! or on the whole buffer for `multiline` rules. Restricting line-scoped rules to their
//! line is both the speed-up and a precision choice: `\s*` never glues a name on one line
//! to a value on another.

use super::allow::line_bounds;
use super::prefilter;
use crate::rules::{Matcher, RuleSet};

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
    pub path_rules: Vec<u32>,
}

impl Index {
    pub fn new(rules: &RuleSet) -> Result<Index, aho_corasick::BuildError> {
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
        Ok(Index {
            keywords,
            patterns,
            keyword_rules,
            unfiltered,
            path_rules,
        })
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
    pub fn collect(&mut self, index: &Index, rules: &RuleSet, bytes: &[u8]) {
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
                line = line_bounds(bytes, pos);
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
