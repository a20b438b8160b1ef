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
pub use syntax::{Checksum, RuleKind, Severity, Within};
