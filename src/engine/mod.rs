//! The matching engine: one entry, [`Scanner::scan`], from a [`Chunk`] to its `Finding`s.
//!
//! [`Engine`] is built once per run from a [`RuleSet`] and shared by reference between
//! threads; each thread owns a [`Scanner`] holding its scratch space, so scanning a buffer
//! allocates nothing unless something is found. Inside, one direction:
//!
//! - `index`: the keyword automaton says which rules can match and on which lines;
//! - `matcher`: those rules' regexes and filters give path-independent candidates (plus
//!   base64 values decoded by [`decode`] and local `.env` values from [`localenv`]);
//! - `resolve`: per origin, allowlists, inline comments, path rules, added lines and
//!   overlaps turn candidates into findings; `allow` holds the policy it applies.
//!
//! Public: [`Engine::new`], [`Engine::scanner`] (per-thread scratch) with its one entry
//! [`Scanner::scan`], rule introspection ([`Engine::rules`]), and
//! [`Scanner::printable_path`] for the messages that name a file. The
//! pure helpers `decode`, `entropy` and `filters` are public for the fuzz targets and
//! property tests; `localenv` builds the hook's local-value matcher.

mod allow;
mod context;
pub mod decode;
pub mod delivered;
mod dfa;
pub mod entropy;
pub(crate) mod exposure;
pub mod filters;
mod index;
mod lines;
pub mod localenv;
mod matcher;
mod prefilter;
pub mod randomness;
mod resolve;

pub use allow::Policy;

use crate::chunk::Chunk;
use crate::finding::Finding;
use crate::rules::RuleSet;
use localenv::LocalSecrets;
use matcher::Candidate;
use resolve::{Decoded, Found};

/// How an engine is built.
#[derive(Default)]
pub struct Options {
    /// How allowlists and inline comments apply.
    pub policy: Policy,
    /// Use the fastest keyword matcher built in (Vectorscan with the `vectorscan` feature),
    /// at a higher startup cost: for large scans, not the hook.
    pub bulk: bool,
    /// The developer's local `.env` values to look for (the hook).
    pub local: Option<LocalSecrets>,
}

/// All rules compiled into one automaton plus per-rule regexes. Immutable and `Sync`.
pub struct Engine {
    rules: RuleSet,
    index: index::Index,
    policy: Policy,
    local: Option<LocalSecrets>,
}

impl Engine {
    /// Compiles the keyword index over every rule's keywords.
    pub fn new(rules: RuleSet, options: Options) -> Engine {
        let mut index = index::Index::new(&rules);
        if options.bulk {
            index.enable_bulk();
        }
        Engine {
            rules,
            index,
            policy: options.policy,
            local: options.local.filter(|l| !l.is_empty()),
        }
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// A per-thread scanner.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            engine: self,
            windows: self.index.windows(self.rules.rules.len()),
            cands: Vec::new(),
            overrun: Vec::new(),
        }
    }
}

/// Per-thread scratch: reused across chunks.
pub struct Scanner<'e> {
    engine: &'e Engine,
    windows: index::Windows<'e>,
    cands: Vec<Candidate>,
    /// Rules stopped by their regex budget since [`Scanner::take_overrun`] was last called.
    overrun: Vec<u32>,
}

impl Scanner<'_> {
    /// Scans one chunk and appends its findings at every origin to `out`, each with its
    /// origin's tag. A chunk with no bytes gets its origins' path rules only.
    pub fn scan(&mut self, chunk: &Chunk<'_>, out: &mut Vec<(u32, Finding)>) {
        let engine = self.engine;
        let (rules, policy) = (&engine.rules, engine.policy);
        let keep = policy.keep_suppressed;
        // The global path allowlist, matched once per origin (it runs for every file).
        let mut first_global = chunk
            .origins
            .first()
            .and_then(|o| rules.allow.path_entry(&o.path));
        let allowed = |o: &crate::chunk::Origin| rules.allow.allows_path(&o.path);
        let single = chunk.origins.len() == 1;
        let live = keep
            || match chunk.origins {
                [_] => first_global.is_none(),
                many => !many.iter().all(allowed),
            };
        let mut decoded = Vec::new();
        let lines = lines::LineIndex::new(chunk.bytes);
        self.cands.clear();
        if live {
            // A rule whose own allowlist covers every origin need not run (unless
            // `--explain` wants to say what it would have found).
            let skip = |rule: &crate::rules::Rule| {
                !keep
                    && chunk
                        .origins
                        .iter()
                        .all(|o| rule.allow.allows_path(&o.path) || (!single && allowed(o)))
            };
            let bytes = (&lines, chunk.binary);
            let (index, w) = (&engine.index, &mut self.windows);
            let overrun = &mut self.overrun;
            matcher::candidates(index, rules, w, bytes, keep, skip, &mut self.cands, overrun);
            if !chunk.binary && !chunk.bytes.is_empty() {
                let dotenv = chunk.origins.iter().any(|o| o.is_dotenv());
                for enc in decode::candidates(chunk.bytes, dotenv) {
                    let inline = policy.inline_allow && lines.is_allowed(enc.start);
                    if inline && !keep {
                        continue;
                    }
                    let mut cands = Vec::new();
                    let inner = lines::LineIndex::new(&enc.decoded);
                    let bytes = (&inner, false);
                    matcher::candidates(index, rules, w, bytes, keep, skip, &mut cands, overrun);
                    if !cands.is_empty() {
                        decoded.push(Decoded {
                            start: enc.start,
                            end: enc.end,
                            inline,
                            bytes: enc.decoded,
                            cands,
                        });
                    }
                }
            }
        }
        let local = match &engine.local {
            Some(l) if !chunk.binary => l.find(chunk.bytes),
            _ => Vec::new(),
        };
        let cands = std::mem::take(&mut self.cands);
        let found = Found {
            path_rules: &engine.index.path_rules,
            cands: &cands,
            decoded: &decoded,
            local: &local,
            lines: &lines,
        };
        for (i, origin) in chunk.origins.iter().enumerate() {
            let shown = self.printable_path(&origin.display).into_owned();
            let global = match i {
                0 => first_global.take(),
                _ => rules.allow.path_entry(&origin.path),
            };
            let at = resolve::At {
                origin,
                shown: &shown,
                global,
            };
            resolve::at_origin(rules, policy, at, &found, out);
        }
        self.cands = cands;
    }

    /// The ids of the rules whose regex overran its work budget (see `matcher`) in the
    /// chunks scanned since the last call: those chunks were not fully scanned.
    pub fn take_overrun(&mut self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .overrun
            .drain(..)
            .map(|r| self.engine.rules.rules[r as usize].id.to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// `path` as it may be printed: a secret that a provider rule finds in a file name
    /// (`keys/mon_4f9K….json`) is redacted like any other, in every output and message.
    pub fn printable_path<'p>(&mut self, path: &'p str) -> std::borrow::Cow<'p, str> {
        let engine = self.engine;
        let mut cands = Vec::new();
        // Secrets an allowlist silences are hidden in a name all the same.
        let keep = true;
        let path_lines = lines::LineIndex::new(path.as_bytes());
        let bytes = (&path_lines, false);
        let (index, w) = (&engine.index, &mut self.windows);
        let mut overrun = Vec::new();
        let rules = &engine.rules;
        matcher::candidates(
            index,
            rules,
            w,
            bytes,
            keep,
            |_| false,
            &mut cands,
            &mut overrun,
        );
        if cands.is_empty() {
            return std::borrow::Cow::Borrowed(path);
        }
        resolve::printable_path(&engine.rules, path, &cands)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::Origin;
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
        Engine::new(set, Options::default())
    }

    fn scan_at(e: &Engine, path: &str, bytes: &[u8], binary: bool) -> Vec<Finding> {
        let mut out = Vec::new();
        let origins = [Origin::file(path)];
        let chunk = Chunk {
            bytes,
            binary,
            origins: &origins,
        };
        e.scanner().scan(&chunk, &mut out);
        out.into_iter().map(|(_, f)| f).collect()
    }

    fn scan(e: &Engine, text: &str) -> Vec<Finding> {
        scan_at(e, "f.txt", text.as_bytes(), false)
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
        let out = scan_at(
            &e,
            "b",
            b"key = \"a1B2c3D4e5F6g7\"\0 tok_a1B2c3D4e5F6",
            true,
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
