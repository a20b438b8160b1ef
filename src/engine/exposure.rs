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
//!
//! And for the rules on logs and browser storage, whose group 1 is a reference to a value
//! (`token`, `self.api_key`, `process.env.X_API_KEY`, `os.environ["MONIME_TOKEN"]`):
//! - [`names_logged_secret`]: does its name hold a secret as it is? Its last words must be
//!   a secret word (`secret_value_words` and `session_token_words` in the vocabulary), it
//!   must not describe one (`token_type`, `secret_name`, `password_min_length`, `csrf_token`:
//!   the context grammar's descriptors and qualifiers) and no word of it may say it is
//!   derived, masked, a stand-in, a flag or a language model's token (`masking_words`:
//!   `masked_token`, `fake_password`, `hasToken`, `eos_token`). What is derived by a call or
//!   an operator (`token.length`, `len(key)`, `mask(token)`, `token[:4]`) is not a
//!   reference at all: the rules' `{{secret_ref}}` stops at the name.
//! - [`names_stored_secret`]: the same, but a session credential's name (`accessToken`,
//!   `authToken`: `session_token_words`) only when it is read from the environment
//!   (`process.env.X_TOKEN`): an app keeping its own user's session token in the browser
//!   is its design, not a leaked server secret.

use super::context::{
    describes, words, BROWSER_PREFIXES, MASKING_WORDS, PUBLIC_NAMES, SECRET_VALUE_WORDS,
    SERVER_SECRET_WORDS, SESSION_TOKEN_WORDS,
};
use crate::rules::GroupNames;

/// Whether an `exposure` rule's group 1 names what the rule's `group_names` asks for.
pub(crate) fn group_passes(test: GroupNames, group: &[u8]) -> bool {
    match test {
        GroupNames::BrowserSecret => names_server_secret(group),
        GroupNames::Secret => names_logged_secret(group),
        GroupNames::ServerSecret => names_stored_secret(group),
    }
}

/// What a secret-named value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// A secret proper: an API key, a password, a private key, a client secret.
    Secret,
    /// A credential an app keeps for its signed-in user (`accessToken`).
    Session,
}

/// A reference's receiver (`self.`, `os.environ[`), the name it ends in (`api_key` of `self.api_key`, `MONIME_TOKEN` of
/// `os.environ["MONIME_TOKEN"]` or `env::var("MONIME_TOKEN").unwrap()`), and whether what
/// it reads is the environment (`process.env`, `os.environ`, `getenv`, `env::var`, `ENV[`).
fn reference_parts(expr: &[u8]) -> (&[u8], &[u8], bool) {
    let start = expr
        .iter()
        .position(|b| !b"&* \t".contains(b))
        .unwrap_or(expr.len());
    let expr = &expr[start..];
    let quoted = expr.ends_with(b")") || expr.ends_with(b"]");
    let (receiver, name) = match expr.iter().rposition(|b| *b == b'"' || *b == b'\'') {
        Some(close) if quoted => {
            let open = expr[..close]
                .iter()
                .rposition(|b| *b == expr[close])
                .unwrap_or(close);
            (&expr[..open], &expr[(open + 1).min(close)..close])
        }
        _ => {
            let at = expr
                .iter()
                .rposition(|b| b".:>".contains(b))
                .map_or(0, |i| i + 1);
            (&expr[..at], &expr[at..])
        }
    };
    let env = receiver
        .split(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .any(|w| {
            [&b"env"[..], b"environ", b"getenv"]
                .iter()
                .any(|e| w.eq_ignore_ascii_case(e))
        });
    (receiver, name, env)
}

/// What `name` holds, if it names a secret as it is.
fn holds(name: &[u8]) -> Option<Holds> {
    if name.is_empty() || describes(name) {
        return None;
    }
    let words = words(name);
    if words.iter().any(|w| MASKING_WORDS.contains(&w.as_str())) {
        return None;
    }
    let ends = |entry: &&str| {
        let entry: Vec<&str> = entry.split('_').collect();
        words.len() >= entry.len() && words[words.len() - entry.len()..] == entry[..]
    };
    if SECRET_VALUE_WORDS.iter().any(ends) {
        Some(Holds::Secret)
    } else if SESSION_TOKEN_WORDS.iter().any(ends) {
        Some(Holds::Session)
    } else {
        None
    }
}

/// What a reference holds, and whether it reads the environment. A member of something
/// that names or describes (`EnvironmentVariableNames.MSI_SECRET`, `tokenTypes.SECRET`) is
/// a name, not a secret.
fn reference_holds(expr: &[u8]) -> (Option<Holds>, bool) {
    let (receiver, name, env) = reference_parts(expr);
    let described = !env
        && receiver
            .split(|b| b".:>-[(\"'$".contains(b))
            .any(|segment| !segment.is_empty() && describes(segment));
    (holds(name).filter(|_| !described), env)
}

/// Whether a reference (a log rule's group 1) is to a secret-named value as it is.
pub(crate) fn names_logged_secret(expr: &[u8]) -> bool {
    reference_holds(expr).0.is_some()
}

/// Whether a reference (a browser-storage rule's group 1) is to a server secret: a
/// secret-named value, or a session credential's name read from the environment.
pub(crate) fn names_stored_secret(expr: &[u8]) -> bool {
    let (holds, env) = reference_holds(expr);
    match holds {
        Some(Holds::Secret) => true,
        Some(Holds::Session) => env,
        None => false,
    }
}

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
    use crate::rules::RuleKind;

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
    fn references_name_their_last_name_and_whether_they_read_the_environment() {
        for (expr, name, env) in [
            ("token", "token", false),
            ("&self.api_key", "api_key", false),
            ("$this->password", "password", false),
            ("process.env.X_API_KEY", "X_API_KEY", true),
            ("process.env['X_API_KEY']", "X_API_KEY", true),
            ("os.environ[\"MONIME_TOKEN\"]", "MONIME_TOKEN", true),
            ("os.getenv('DB_PASSWORD')", "DB_PASSWORD", true),
            ("std::env::var(\"API_TOKEN\").unwrap()", "API_TOKEN", true),
            ("config['api_key']", "api_key", false),
            ("settings.get(\"SECRET_KEY\")", "SECRET_KEY", false),
        ] {
            let (_, got, reads) = reference_parts(expr.as_bytes());
            assert_eq!((got, reads), (name.as_bytes(), env), "{expr}");
        }
    }

    #[test]
    fn logged_and_stored_secrets_and_the_names_that_are_not() {
        for expr in [
            "token",
            "apiKey",
            "self.api_key",
            "process.env.X_API_KEY",
            "os.environ['MONIME_TOKEN']",
            "client_secret",
            "DB_PASSWORD",
            "privateKey",
            "accessToken",
        ] {
            assert!(names_logged_secret(expr.as_bytes()), "{expr}");
        }
        for expr in [
            "tokenizer",
            "token_id",
            "token_type",
            "password_min_length",
            "secret_name",
            "csrf_token",
            "next_token",
            "masked_token",
            "hasToken",
            "fake_password",
            "eos_token",
            "deletedSecret",
            "acquire_token",
            "ManagedIdentityEnvironmentVariableNames.MSI_SECRET",
            "publicKey",
            "key",
            "tokens",
        ] {
            assert!(!names_logged_secret(expr.as_bytes()), "{expr}");
        }
        for expr in [
            "apiKey",
            "STRIPE_SECRET_KEY",
            "clientSecret",
            "password",
            "process.env.X_TOKEN",
        ] {
            assert!(names_stored_secret(expr.as_bytes()), "{expr}");
        }
        for expr in [
            "accessToken",
            "token",
            "authToken",
            "res.data.idToken",
            "tokenType",
        ] {
            assert!(!names_stored_secret(expr.as_bytes()), "{expr}");
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

    /// A rule's `exposes` and its findings' exposure have the same name in every output.
    #[test]
    fn an_exposure_rule_reports_what_it_exposes() {
        let set = crate::rules::RuleSet::load_builtin(None).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for r in set.rules.iter().filter(|r| r.kind == RuleKind::Exposure) {
            let e = crate::finding::Exposure::of(r).unwrap();
            assert_eq!(e.as_str(), r.exposes.as_str(), "{}", r.id);
            seen.insert(e.as_str());
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
    }

    /// The `exposure` rules that find browser-prefixed names run only where a keyword
    /// occurs: every prefix must hold one.
    #[test]
    fn exposure_rule_keywords_cover_every_prefix() {
        let set = crate::rules::RuleSet::load_builtin(None).unwrap();
        let env_rules = set.rules.iter().filter(|r| {
            r.kind == crate::rules::RuleKind::Exposure
                && r.group_names == GroupNames::BrowserSecret
                && !r.id.contains("sveltekit")
        });
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
