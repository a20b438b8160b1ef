//! The built-in rule files, compiled into the binary.
//!
//! One `include_str!` per file (not a directory include) so that cargo notices when a rule
//! file changes and rebuilds.

use super::compile::Source;

/// `(file name, contents)` of every built-in rule file, in load order.
const FILES: &[(&str, &str)] = &[
    ("rules/seed.yaml", include_str!("../../rules/seed.yaml")),
    ("rules/cloud.yaml", include_str!("../../rules/cloud.yaml")),
    ("rules/vcs.yaml", include_str!("../../rules/vcs.yaml")),
    (
        "rules/payments.yaml",
        include_str!("../../rules/payments.yaml"),
    ),
    (
        "rules/messaging.yaml",
        include_str!("../../rules/messaging.yaml"),
    ),
    ("rules/keys.yaml", include_str!("../../rules/keys.yaml")),
    ("rules/ai.yaml", include_str!("../../rules/ai.yaml")),
    (
        "rules/databases.yaml",
        include_str!("../../rules/databases.yaml"),
    ),
    (
        "rules/registries.yaml",
        include_str!("../../rules/registries.yaml"),
    ),
    (
        "rules/monitoring.yaml",
        include_str!("../../rules/monitoring.yaml"),
    ),
    ("rules/saas.yaml", include_str!("../../rules/saas.yaml")),
    ("rules/files.yaml", include_str!("../../rules/files.yaml")),
    (
        "rules/generic.yaml",
        include_str!("../../rules/generic.yaml"),
    ),
];

/// The built-in rule files as loadable sources.
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

    /// Built-in regexes compile lazily at run time; here every one is compiled eagerly,
    /// with the checks a user config gets (size limit, `secret_group` in range).
    #[test]
    fn builtin_rules_compile_eagerly() {
        for src in sources() {
            if let Err(e) = RuleSet::load(&[], Some(&src)) {
                panic!("{e}");
            }
        }
    }

    /// A reviewer reads a rule at a glance: no `regex:`, `name:` or `value:` line in a rule
    /// file is over 200 characters as written (quotes included). Name-based rules leave the
    /// assignment syntax to the context grammar (`name:` + `value:`); the fragments that used
    /// to spell it are gone, so a rule cannot fall back to them.
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
                    let n = re.chars().count();
                    assert!(
                        n <= 200,
                        "{} `{rule}`: a {n}-character {field}: {re}",
                        src.name
                    );
                }
            }
        }
    }

    /// Built-in rules are held to more than the file format requires.
    #[test]
    fn builtin_rules_are_complete() {
        let set = RuleSet::load(&sources(), None).expect("built-in rules load");
        let rules = &set.rules;
        assert!(rules.len() >= 150, "only {} rules", rules.len());
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
            assert!(
                r.remediation.len() > 40,
                "`{}` needs remediation text",
                r.id
            );
        }
    }
}
