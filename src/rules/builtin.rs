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
    ("rules/payments.yaml", include_str!("../../rules/payments.yaml")),
    ("rules/messaging.yaml", include_str!("../../rules/messaging.yaml")),
    ("rules/keys.yaml", include_str!("../../rules/keys.yaml")),
    ("rules/generic.yaml", include_str!("../../rules/generic.yaml")),
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
