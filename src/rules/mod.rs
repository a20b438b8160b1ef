//! Detection rules: the YAML model, the built-in files, compilation and self-tests.

pub mod builtin;
pub mod check;
pub mod compile;
pub mod syntax;

pub use compile::{Allow, LazyRegex, Matcher, Rule, RuleError, RuleSet, Source};
pub use syntax::{Checksum, Severity};
