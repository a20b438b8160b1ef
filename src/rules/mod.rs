//! Detection rules: the YAML model, the built-in files and compilation. Their self-tests,
//! which run the engine, are in [`crate::selftest`] (the engine depends on rules, not back).

pub mod builtin;
pub mod compile;
pub mod fragments;
pub mod syntax;
pub mod validation;

pub use compile::{
    Allow, AllowEntry, Check, LazyGlobs, LazyRegex, Matcher, Pair, Rule, RuleError, RuleSet, Source,
};
pub use syntax::{Checksum, Exposes, GroupNames, RuleKind, Severity, Within};

// `{{browser_prefix}}` and `{{server_secret_word}}`: fragments build.rs makes of the context
// vocabulary's lists (`src/engine/context/vocabulary.yaml`), so that rules name them.
include!(concat!(env!("OUT_DIR"), "/vocabulary_fragments.rs"));
