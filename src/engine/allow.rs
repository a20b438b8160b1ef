//! The allow policy: what may silence a candidate (a path or secret allowlist, a
//! `leakguard:allow` comment) and whether silenced candidates are kept for `--explain`.
//! Applying it to an origin is [`super::resolve`]'s job; this module answers the questions.

use crate::finding::Suppression;
use crate::rules::{Allow, AllowEntry, Rule};

/// The marker that silences every finding on its line.
pub const ALLOW_MARKER: &[u8] = b"leakguard:allow";

/// How allowlists and inline comments are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Honour `leakguard:allow` comments (CI can turn this off so that a comment alone cannot
    /// bypass review).
    pub inline_allow: bool,
    /// Keep suppressed findings, marked with what suppressed them (`--explain`). Allowlisted
    /// paths are then scanned too, to say what they would have reported.
    pub keep_suppressed: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            inline_allow: true,
            keep_suppressed: false,
        }
    }
}

/// Which allowlist silenced a candidate (resolved to a [`Suppression`] when reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    RulePath,
    RuleSecret,
    GlobalSecret,
}

/// The suppression for an allowlist entry, named by its place, never by its text.
pub(crate) fn allowlisted(entry: AllowEntry, allow: &Allow) -> Suppression {
    Suppression::Allowlist {
        entry: allow.entry_name(entry),
        defined_in: allow.entry_place(entry),
    }
}

/// The secret allowlist (the rule's own, then the global one) that silences `secret`.
pub(crate) fn secret_why(rule: &Rule, global: &Allow, secret: &[u8]) -> Option<Why> {
    if rule.allow.allows_secret(secret) {
        Some(Why::RuleSecret)
    } else if global.allows_secret(secret) {
        Some(Why::GlobalSecret)
    } else {
        None
    }
}

/// The suppression a `why` stands for, with the entry that matched.
pub(crate) fn suppression(
    why: Why,
    rule: &Rule,
    global: &Allow,
    path: &str,
    secret: &[u8],
) -> Option<Suppression> {
    match why {
        Why::RulePath => rule
            .allow
            .path_entry(path)
            .map(|e| allowlisted(e, &rule.allow)),
        Why::RuleSecret => rule
            .allow
            .secret_entry(secret)
            .map(|e| allowlisted(e, &rule.allow)),
        Why::GlobalSecret => global.secret_entry(secret).map(|e| allowlisted(e, global)),
    }
}

/// Marks findings as suppressed (those already marked keep their first reason).
pub(crate) fn mark<'f>(
    findings: impl Iterator<Item = &'f mut crate::finding::Finding>,
    why: &Suppression,
) {
    for f in findings {
        if f.suppressed.is_none() {
            f.suppressed = Some(why.clone());
        }
    }
}
