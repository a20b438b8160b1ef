//! The built-in rules, parsed and checked at build time.
//!
//! `build.rs` reads `rules/*.yaml` with the same serde model as a user config and writes
//! them out as [`StaticRule`]s, so a run does not parse YAML (that was most of the
//! pre-commit hook's startup). [`rules`] turns them back into the model the loader takes;
//! [`sources`] keeps the YAML text itself, for tests and the fuzz targets that load the
//! files the way a user config is loaded.

use super::compile::Source;
use std::borrow::Cow;

use super::syntax::{
    AllowSyntax, Checksum, Entry, Examples, Exposes, GroupNames, PairSyntax, RuleKind, RuleSyntax,
    Severity, Text, Within,
};

/// A built-in rule as build.rs wrote it: [`RuleSyntax`] with static strings.
pub(super) struct StaticRule {
    file: &'static str,
    id: &'static str,
    description: &'static str,
    issuer: Option<&'static str>,
    references: &'static [&'static str],
    severity: Severity,
    keywords: &'static [&'static str],
    regex: Option<&'static str>,
    name: Option<&'static str>,
    value: Option<&'static str>,
    secret_group: Option<usize>,
    min_entropy: Option<f64>,
    paths: &'static [&'static str],
    generic: bool,
    randomness: bool,
    context: &'static [&'static str],
    priority: i32,
    multiline: bool,
    kind: RuleKind,
    exposes: Option<Exposes>,
    group_names: Option<GroupNames>,
    each: Option<&'static str>,
    /// `(rule, within, required)`.
    pair: Option<(&'static str, Within, bool)>,
    checksum: Option<Checksum>,
    overlaps: &'static [&'static str],
    allow: Option<StaticAllow>,
    remediation: Option<&'static str>,
    /// `(match, no_match)`.
    examples: (&'static [&'static str], &'static [&'static str]),
    /// The `validate:` block, as JSON (build.rs checked it).
    validate: Option<&'static str>,
}

/// A built-in rule's allowlist: each entry with its line in the rule file.
pub(super) struct StaticAllow {
    paths: &'static [(&'static str, u32)],
    regexes: &'static [(&'static str, u32)],
    stopwords: &'static [(&'static str, u32)],
}

// `FILES`: `(file name, contents)` of every built-in rule file, in load order;
// `RULES`: their rules, in the same order.
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

fn strings(list: &'static [&'static str]) -> Vec<Text> {
    list.iter().map(|s| Cow::Borrowed(*s)).collect()
}

fn entries(list: &'static [(&'static str, u32)]) -> Vec<Entry> {
    list.iter()
        .map(|&(text, line)| Entry {
            text: Cow::Borrowed(text),
            line,
        })
        .collect()
}

impl StaticRule {
    fn syntax(&self) -> RuleSyntax {
        RuleSyntax {
            id: Cow::Borrowed(self.id),
            description: Cow::Borrowed(self.description),
            issuer: self.issuer.map(Cow::Borrowed),
            references: strings(self.references),
            severity: self.severity,
            keywords: strings(self.keywords),
            regex: self.regex.map(Cow::Borrowed),
            name: self.name.map(Cow::Borrowed),
            value: self.value.map(Cow::Borrowed),
            secret_group: self.secret_group,
            min_entropy: self.min_entropy,
            paths: strings(self.paths),
            generic: self.generic,
            randomness: self.randomness,
            context: strings(self.context),
            priority: self.priority,
            multiline: self.multiline,
            kind: self.kind,
            exposes: self.exposes,
            group_names: self.group_names,
            each: self.each.map(Cow::Borrowed),
            pair: self.pair.map(|(rule, within, required)| PairSyntax {
                rule: Cow::Borrowed(rule),
                within,
                required,
            }),
            checksum: self.checksum,
            overlaps: strings(self.overlaps),
            allow: self.allow.as_ref().map(|a| AllowSyntax {
                paths: entries(a.paths),
                regexes: entries(a.regexes),
                stopwords: entries(a.stopwords),
            }),
            remediation: self.remediation.map(Cow::Borrowed),
            examples: Examples {
                matches: strings(self.examples.0),
                no_match: strings(self.examples.1),
            },
            validate: None,
            validate_json: self.validate,
        }
    }
}

/// Every built-in rule, in load order, with the file it comes from.
pub fn rules() -> impl ExactSizeIterator<Item = (&'static str, RuleSyntax)> {
    RULES.iter().map(|r| (r.file, r.syntax()))
}

/// The built-in rule files as loadable YAML sources (what build.rs parsed).
pub fn sources() -> Vec<Source<'static>> {
    FILES
        .iter()
        .map(|(name, text)| Source {
            name: (*name).to_string(),
            text,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// Built-in regexes and globs compile lazily at run time; here every one is compiled
    /// eagerly, with the checks a user config gets (size limit, `secret_group` in range).
    #[test]
    fn builtin_rules_compile_eagerly() {
        for src in sources() {
            if let Err(e) = RuleSet::load(&[], Some(&src)) {
                panic!("{e}");
            }
        }
    }

    /// A reviewer reads a rule at a glance: no `regex:`, `name:` or `value:` written on one
    /// line of a rule file is over 80 characters (unquoted); a longer pattern is a commented
    /// `(?x)` block, whose lines the build holds to 120. Name-based rules leave the
    /// assignment syntax to the context grammar (`name:` + `value:`).
    #[test]
    fn builtin_regexes_are_short_as_written() {
        for src in sources() {
            let mut rule = "";
            for line in src.text.lines() {
                let line = line.trim_start();
                if let Some(id) = line.strip_prefix("- id: ") {
                    rule = id.trim();
                }
                for field in ["regex", "name", "value"] {
                    let Some(re) = line.strip_prefix(&format!("{field}: ")) else {
                        continue;
                    };
                    let unquoted = re
                        .strip_prefix('\'')
                        .and_then(|r| r.strip_suffix('\''))
                        .map_or_else(|| re.to_string(), |r| r.replace("''", "'"));
                    let n = unquoted.chars().count();
                    assert!(
                        n <= 80,
                        "{} `{rule}`: a {n}-character {field}: {re}",
                        src.name
                    );
                }
            }
        }
    }

    /// What build.rs wrote is what loading the YAML at run time gives, field for field.
    #[test]
    fn precompiled_rules_equal_the_yaml() {
        let yaml = RuleSet::load(&sources(), None).expect("built-in rules load");
        let built = RuleSet::load_builtin(None).expect("built-in rules load");
        assert_eq!(yaml.rules.len(), built.rules.len());
        for (a, b) in yaml.rules.iter().zip(&built.rules) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
        assert_eq!(yaml.warnings, built.warnings);
    }

    /// Built-in rules are held to more than the file format requires.
    #[test]
    fn builtin_rules_are_complete() {
        let set = RuleSet::load_builtin(None).expect("built-in rules load");
        let rules = &set.rules;
        // Coverage is a promise (issue 22): at least 700 rules for 600 issuers or formats.
        assert!(rules.len() >= 700, "only {} rules", rules.len());
        let issuers: std::collections::HashSet<String> =
            rules.iter().map(|r| r.issuer.to_lowercase()).collect();
        assert!(issuers.len() >= 600, "only {} issuers", issuers.len());
        for r in rules {
            assert!(
                r.is_path_rule() || !r.keywords.is_empty(),
                "built-in rule `{}` has no keywords",
                r.id
            );
            assert!(
                r.examples.matches.len() >= 2,
                "`{}` needs 2 match examples",
                r.id
            );
            assert!(
                r.examples.no_match.len() >= 2,
                "`{}` needs 2 no_match examples",
                r.id
            );
            // An identifier is never reported: the secret it pairs with says what to do.
            assert!(
                r.kind == crate::rules::RuleKind::Identifier || r.remediation.len() > 40,
                "`{}` needs remediation text",
                r.id
            );
        }
    }
}
