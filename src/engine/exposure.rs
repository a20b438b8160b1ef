//! Browser-exposed names: a variable named with a prefix that a framework inlines into the
//! JavaScript it sends to browsers (`NEXT_PUBLIC_`, `VITE_`, …; the list, with each
//! framework's docs, is `browser_prefixes` in `context/vocabulary.yaml`).
//!
//! Two questions, both on bytes and without allocating:
//! - [`names_server_secret`]: does a name an `exposure` rule matched really name a server
//!   secret? Not when it holds a public-by-design name (`STRIPE_PUBLISHABLE_KEY`,
//!   `SUPABASE_ANON_KEY`: `public_names`), nor when it describes a secret rather than holding
//!   one (`NEXT_PUBLIC_PASSWORD_MIN_LENGTH`, the context grammar's descriptors), unless it
//!   ends in a server name that itself ends so (`DATABASE_URL`).
//! - [`browser_name_before`]: is the text before a secret value an assignment to such a
//!   name (`NEXT_PUBLIC_X=` before `sk_live_…`)? The resolve step then raises that secret's
//!   finding to critical, with the exposure note.

use super::context::{describes, BROWSER_PREFIXES, PUBLIC_NAMES, SERVER_SECRET_WORDS};

/// The browser prefix `name` starts with, longest first (`NEXT_PUBLIC_` over `PUBLIC_`).
fn prefix_of(name: &[u8]) -> Option<&'static str> {
    BROWSER_PREFIXES
        .iter()
        .map(|&(p, _, _)| p)
        .filter(|p| name.starts_with(p.as_bytes()) && name.len() > p.len())
        .max_by_key(|p| p.len())
}

/// `word` occurs in `name` as whole `_`-separated segments.
fn has_segments(name: &[u8], word: &[u8]) -> bool {
    memchr::memmem::find_iter(name, word).any(|at| {
        let end = at + word.len();
        (at == 0 || name[at - 1] == b'_') && (end == name.len() || name[end] == b'_')
    })
}

/// `name` ends with `word` as whole segments.
fn ends_with_segments(name: &[u8], word: &[u8]) -> bool {
    name.ends_with(word) && (name.len() == word.len() || name[name.len() - word.len() - 1] == b'_')
}

/// Whether a name (without its prefix) holds a key public by design (`public_names`).
fn public_by_design(rest: &[u8]) -> bool {
    PUBLIC_NAMES
        .iter()
        .any(|&(p, _, _)| has_segments(rest, p.as_bytes()))
}

/// Whether `name` (an `exposure` rule's match: a browser prefix, then a server-secret word)
/// names a server secret.
pub(crate) fn names_server_secret(name: &[u8]) -> bool {
    let Some(prefix) = prefix_of(name) else {
        return false;
    };
    let rest = &name[prefix.len()..];
    if public_by_design(rest) {
        return false;
    }
    if SERVER_SECRET_WORDS
        .iter()
        .any(|w| ends_with_segments(rest, w.as_bytes()))
    {
        return true;
    }
    !describes(rest)
}

/// Whether `before` (a line up to where a secret value starts) ends in an assignment to a
/// browser-exposed name: `NEXT_PUBLIC_X=`, `VITE_X: "`, `export REACT_APP_X='`. A name
/// holding a key public by design (`VITE_FIREBASE_API_KEY=AIza…`) is not one: that key is
/// meant for browsers, and its rule's own severity stands.
pub(crate) fn browser_name_before(before: &[u8]) -> bool {
    let trim = |s: &[u8], set: &[u8]| -> usize {
        s.iter()
            .rposition(|b| !set.contains(b))
            .map_or(0, |i| i + 1)
    };
    let mut end = trim(before, b" \t\"'`");
    let op = trim(&before[..end], b"=:");
    if op == end || end - op > 2 {
        return false;
    }
    end = trim(&before[..op], b" \t\"'");
    let name_end = end;
    let start = before[..name_end]
        .iter()
        .rposition(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_'))
        .map_or(0, |i| i + 1);
    if start > 0 && before[start - 1].is_ascii_alphanumeric() {
        return false;
    }
    let name = &before[start..name_end];
    prefix_of(name).is_some_and(|p| !public_by_design(&name[p.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_secret_names_and_the_names_that_are_not() {
        for name in [
            "NEXT_PUBLIC_STRIPE_SECRET_KEY",
            "VITE_SUPABASE_SERVICE_ROLE_KEY",
            "REACT_APP_DB_PASSWORD",
            "NEXT_PUBLIC_DATABASE_URL",
            "PUBLIC_OPENAI_API_KEY",
        ] {
            assert!(names_server_secret(name.as_bytes()), "{name}");
        }
        for name in [
            "NEXT_PUBLIC_PASSWORD_MIN_LENGTH",
            "VITE_SECRET_NAME",
            "NEXT_PUBLIC_PASSWORD_RESET_URL",
        ] {
            assert!(!names_server_secret(name.as_bytes()), "{name}");
        }
        assert!(!names_server_secret(b"STRIPE_SECRET_KEY"));
    }

    /// Every public-by-design name stays unflagged under every prefix, even with a server
    /// word beside it.
    #[test]
    fn public_by_design_names_are_never_server_secrets() {
        for &(prefix, _, _) in BROWSER_PREFIXES {
            for &(public, _, _) in PUBLIC_NAMES {
                for name in [
                    format!("{prefix}{public}"),
                    format!("{prefix}{public}_SECRET"),
                ] {
                    assert!(!names_server_secret(name.as_bytes()), "{name}");
                }
            }
        }
    }

    #[test]
    fn assignments_to_browser_names() {
        for before in [
            "NEXT_PUBLIC_X=",
            "export VITE_KEY = \"",
            "  REACT_APP_TOKEN: '",
            "const a = { EXPO_PUBLIC_K: `",
        ] {
            assert!(browser_name_before(before.as_bytes()), "{before}");
        }
        for before in [
            "STRIPE_KEY=",
            "MY_VITE_KEY=",
            "NEXT_PUBLIC_X",
            "x = f(NEXT_PUBLIC_X, ",
            "VITE_FIREBASE_API_KEY=",
            "NEXT_PUBLIC_GOOGLE_MAPS_API_KEY=\"",
        ] {
            assert!(!browser_name_before(before.as_bytes()), "{before}");
        }
    }

    /// The `exposure` rules run only where a keyword occurs: every prefix must hold one.
    #[test]
    fn exposure_rule_keywords_cover_every_prefix() {
        let set = crate::rules::RuleSet::load_builtin(None).unwrap();
        let env_rules = set
            .rules
            .iter()
            .filter(|r| r.kind == crate::rules::RuleKind::Exposure && !r.id.contains("sveltekit"));
        let mut n = 0;
        for r in env_rules {
            n += 1;
            for &(p, _, _) in BROWSER_PREFIXES {
                let p = p.to_ascii_lowercase();
                let covered = r
                    .keywords
                    .iter()
                    .any(|k| p.contains(&k.to_ascii_lowercase()));
                assert!(covered, "rule `{}`: no keyword for `{p}`", r.id);
            }
        }
        assert_eq!(n, 2);
    }
}
