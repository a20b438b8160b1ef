//! Rule self-tests (`leakguard rules test`, and the built-in pack's unit test): every rule's
//! `match` examples must produce a finding of that rule (an identifier's: a finding paired
//! with it) and its `no_match` examples must not, through the whole engine (prefilter,
//! regex, entropy, placeholders, allowlists), not through the bare regex.
//!
//! Examples may hold generators such as `{{alnum:31}}`, expanded here with a deterministic
//! generator seeded by the rule id, so rule files never contain secret-looking strings.

use crate::chunk::{Chunk, Origin};
use crate::engine::Engine;
use crate::finding::Finding;
use crate::rules::syntax::Text;
use crate::rules::Rule;

/// The findings of `bytes` in a file named `path`, through the whole engine.
fn scan_example(
    scanner: &mut crate::engine::Scanner<'_>,
    path: &str,
    bytes: &[u8],
) -> Vec<Finding> {
    let origins = [Origin::file(path)];
    let chunk = Chunk {
        bytes,
        binary: false,
        origins: &origins,
    };
    let mut found = Vec::new();
    scanner.scan(&chunk, &mut found);
    found.into_iter().map(|(_, f)| f).collect()
}

/// One example that did not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    /// `match` or `no_match`.
    pub kind: &'static str,
    pub index: usize,
    /// The example as written (generators unexpanded, so nothing secret-looking is printed).
    pub example: String,
    pub problem: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.kind == "pattern" {
            return write!(f, "rule `{}`: {}", self.rule, self.problem);
        }
        write!(
            f,
            "rule `{}`: {} example #{} {}: {}",
            self.rule,
            self.kind,
            self.index + 1,
            self.problem,
            self.example
        )
    }
}

/// Checks every rule of the engine; returns the failures (empty when all pass).
pub fn check_all(engine: &Engine) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    for rule in &engine.rules().rules {
        failures.extend(rule.style.iter().map(|problem| ExampleFailure {
            rule: rule.id.to_string(),
            kind: "pattern",
            index: 0,
            example: String::new(),
            problem: problem.clone(),
        }));
        check_rule(engine, rule, &mut failures);
        failures.extend(check_validation(rule));
    }
    failures.extend(check_overlaps(engine));
    failures
}

/// A rule's `validate:` block must read the issuer's documented answers as it says: the
/// live one as live, the dead one as inactive (offline: no request is sent).
fn check_validation(rule: &Rule) -> Vec<ExampleFailure> {
    use crate::validate::verdict::{judge, Status};
    let Some(spec) = rule.validate.as_ref().map(|c| c.spec()) else {
        return Vec::new();
    };
    let r = &spec.responses;
    [
        ("live", &r.live, Status::Live),
        ("inactive", &r.inactive, Status::Inactive),
    ]
    .into_iter()
    .filter_map(|(which, answer, want)| {
        // `judge` matches header names in any case.
        let headers: Vec<(String, String)> = answer.headers.clone().into_iter().collect();
        let got = judge(
            &spec,
            answer.status,
            &headers,
            answer.body.as_bytes(),
            false,
            &crate::validate::Credential::single(""),
        );
        (got.status != want).then(|| ExampleFailure {
            rule: rule.id.to_string(),
            kind: "pattern",
            index: 0,
            example: String::new(),
            problem: format!(
                "validate: the documented {which} answer reads as {} ({})",
                got.status, got.reason
            ),
        })
    })
    .collect()
}

/// No `match` example of one rule may be matched by an unrelated rule. Related means: one
/// of the two lists the other (or `*`) in `overlaps`, or either is `generic` (name-and-entropy rules
/// overlap provider rules by design; the engine reports the provider rule).
pub fn check_overlaps(engine: &Engine) -> Vec<ExampleFailure> {
    let rules = &engine.rules().rules;
    let by_id = engine.rules().by_id();
    let related = |a: &Rule, b: &Rule| {
        a.id == b.id
            || a.generic
            || b.generic
            || a.overlaps.iter().any(|o| o == &b.id || o == "*")
            || b.overlaps.iter().any(|o| o == &a.id || o == "*")
            || a.pair.as_ref().is_some_and(|p| p.rule == b.id)
            || b.pair.as_ref().is_some_and(|p| p.rule == a.id)
    };
    let mut scanner = engine.scanner();
    let mut failures = Vec::new();
    for rule in rules {
        for o in rule
            .overlaps
            .iter()
            .filter(|o| *o != "*" && !by_id.contains_key(o.as_ref()))
        {
            failures.push(ExampleFailure {
                rule: rule.id.to_string(),
                kind: "overlaps",
                index: 0,
                example: o.to_string(),
                problem: "names a rule that does not exist".into(),
            });
        }
    }
    // An identifier's examples hold a secret of another rule, by design.
    let secret_rule = |r: &&Rule| !r.is_path_rule() && r.kind != crate::rules::RuleKind::Identifier;
    for rule in rules.iter().filter(secret_rule) {
        for (index, example) in rule.examples.matches.iter().enumerate() {
            let text = expand(example, &rule.id, index as u64 + 1000);
            let found = scan_example(&mut scanner, "example.txt", text.as_bytes());
            let mut others: Vec<&str> = found
                .iter()
                .flat_map(|f| {
                    std::iter::once(f.rule_id.as_str())
                        .chain(f.also_matched.iter().map(String::as_str))
                })
                .filter(|id| by_id.get(id).is_some_and(|other| !related(rule, other)))
                .collect();
            others.sort();
            others.dedup();
            for other in others {
                failures.push(ExampleFailure {
                    rule: rule.id.to_string(),
                    kind: "match",
                    index,
                    example: example.to_string(),
                    problem: format!("is also matched by unrelated rule `{other}` (list it in `overlaps` if intended)"),
                });
            }
        }
    }
    failures
}

fn check_rule(engine: &Engine, rule: &Rule, failures: &mut Vec<ExampleFailure>) {
    let mut scanner = engine.scanner();
    let sets: [(&'static str, &Vec<Text>, bool); 2] = [
        ("match", &rule.examples.matches, true),
        ("no_match", &rule.examples.no_match, false),
    ];
    for (kind, examples, should_match) in sets {
        for (index, example) in examples.iter().enumerate() {
            let text = expand(
                example,
                &rule.id,
                index as u64 + u64::from(should_match) * 1000,
            );
            let (path, bytes) = if rule.is_path_rule() {
                (text.as_str(), &b""[..])
            } else {
                ("example.txt", text.as_bytes())
            };
            let found = scan_example(&mut scanner, path, bytes);
            // An identifier is only ever seen as a secret's companion: its examples show it
            // next to a secret of a rule that pairs with it.
            let hit = found.iter().any(|f| {
                f.rule_id == rule.id
                    || f.also_matched.iter().any(|a| *a == rule.id)
                    || f.pair.as_ref().is_some_and(|p| p.rule_id == rule.id)
            });
            if hit != should_match {
                failures.push(ExampleFailure {
                    rule: rule.id.to_string(),
                    kind,
                    index,
                    example: example.to_string(),
                    problem: if should_match {
                        "was not detected".into()
                    } else {
                        "was detected".into()
                    },
                });
            }
        }
    }
}

/// Expands `{{class:len}}` generators with a PRNG seeded by `(rule id, salt)`.
///
/// Classes: `alnum`, `upper`, `lower`, `digits`, `hex`, `HEX`, `lower_alnum`, `upper_alnum`,
/// `base64`, `base64url`; `{{checksummed:PREFIX}}` makes a GitHub/npm-style token with a
/// valid CRC32 suffix. Anything else is left as written.
pub fn expand(template: &str, rule_id: &str, salt: u64) -> String {
    let mut seed = 0xcbf2_9ce4_8422_2325u64;
    for b in rule_id.bytes() {
        seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = SplitMix(seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    // `open` and `close` are where `find` found ASCII `{{` and `}}`; `+ 2` and `+ 4` step
    // past that ASCII: all char boundaries.
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        match generate(&after[..close], &mut rng) {
            Some(s) => out.push_str(&s),
            None => out.push_str(&rest[open..open + close + 4]),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn generate(spec: &str, rng: &mut SplitMix) -> Option<String> {
    let (class, len) = spec.trim().split_once(':')?;
    if class.trim() == "checksummed" {
        // `{{checksummed:ghp_}}`: prefix, 30 random base62 characters and their checksum.
        let body = generate("alnum:30", rng)?;
        let sum = crate::engine::filters::base62_6(crate::engine::filters::crc32(body.as_bytes()));
        return Some(format!(
            "{}{body}{}",
            len.trim(),
            String::from_utf8_lossy(&sum)
        ));
    }
    let len: usize = len.trim().parse().ok()?;
    let alphabet: &[u8] = match class.trim() {
        "alnum" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "upper" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "lower" => b"abcdefghijklmnopqrstuvwxyz",
        "digits" => b"0123456789",
        "hex" => b"0123456789abcdef",
        "HEX" => b"0123456789ABCDEF",
        "lower_alnum" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "upper_alnum" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "base64" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "base64url" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        // Bitcoin's alphabet: no 0, O, I or l.
        "base58" => b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
        _ => return None,
    };
    if len > 100_000 {
        return None;
    }
    // Redraw strings that would trip the placeholder filter (long runs), so examples test
    // the rule and not the luck of the generator.
    loop {
        let s: String = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize] as char)
            .collect();
        if !crate::engine::filters::is_placeholder(s.as_bytes()) || len < 6 {
            return Some(s);
        }
    }
}

/// A tiny deterministic PRNG (SplitMix64): no dependency, same output everywhere.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Options;
    use crate::rules::RuleSet;

    #[test]
    fn expand_is_deterministic_and_shaped() {
        let a = expand("x mon_{{alnum:31}} y", "r", 1);
        assert_eq!(a, expand("x mon_{{alnum:31}} y", "r", 1));
        assert_ne!(a, expand("x mon_{{alnum:31}} y", "r", 2));
        assert_eq!(a.len(), "x mon_ y".len() + 31);
        assert!(expand("{{hex:8}}", "r", 0)
            .bytes()
            .all(|b| b.is_ascii_hexdigit()));
        assert_eq!(expand("{{nope:3}} {{", "r", 0), "{{nope:3}} {{");
    }

    /// Every built-in rule's examples pass through the whole engine.
    #[test]
    fn every_builtin_example_behaves() {
        let set = RuleSet::load_builtin(None).expect("built-in rules load");
        let engine = Engine::new(set, Options::default());
        let failures = super::check_all(&engine);
        let text: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        assert!(
            text.is_empty(),
            "{} failing examples:\n{}",
            text.len(),
            text.join("\n")
        );
    }
}
