//! Named regex fragments rule files share, so that a rule reads as what it looks for:
//! `'\b(amzn\.mws\.{{uuid_any_case}})\b'`. A rule's `regex` (and its `name` and `value`)
//! may use `{{name}}`; the loader expands it (fragments may use fragments) before compiling,
//! and `rules list` shows the rule as written. An unknown name is a config error. Besides
//! [`FRAGMENTS`], build.rs makes `{{browser_prefix}}` and `{{server_secret_word}}` of the
//! context vocabulary's lists (`src/engine/context/vocabulary.yaml`), for `kind: exposure`
//! rules.
//!
//! Where a value is given to a name is not a fragment's business: name-based rules declare
//! `name:` + `value:` and the context grammar (`engine/context/`) knows the syntaxes.

/// `(name, regex)`, each with what it matches.
pub const FRAGMENTS: &[(&str, &str)] = &[
    // A lowercase UUID.
    (
        "uuid",
        r#"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#,
    ),
    // A UUID in either case.
    (
        "uuid_any_case",
        r#"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"#,
    ),
    // A word naming a secret: key, secret, token, password, credentials.
    (
        "secret_word",
        r#"(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|credentials?|access[_-]?key|auth[_-]?key|private[_-]?key)"#,
    ),
    // A name ending in what holds a secret (for `name:` rules: `stripe.*{{secret_name}}`).
    (
        "secret_name",
        r#"(?:apikey|key|token|secret|passw(?:or)?d|pat|credentials?)$"#,
    ),
    // Between a key id and its secret written together: `id:secret` (basic auth, URLs) or
    // `"id", "secret"` (two arguments). Put the secret's capture right after it. A secret
    // assigned to a name near its id is the rule's `name` + `value` with a `pair:`.
    ("then_secret", r#"(?::|["']\s*,\s*["'])"#),
    // A Bitcoin private key in Wallet Import Format: base58 (no 0, O, I or l), `5H`/`5J`/`5K`
    // and 49 more for an uncompressed key, `K`/`L` and 51 more for a compressed one.
    (
        "bitcoin_wif",
        r#"(?:5[HJK][1-9A-HJ-NP-Za-km-z]{49}|[KL][1-9A-HJ-NP-Za-km-z]{51})"#,
    ),
    // A token of some length in the alphabets issuers use (for `value:` of rules whose
    // issuer publishes no format; the randomness test does the rest).
    ("token_value", r#"[A-Za-z0-9_+/=.\-]{16,}"#),
    // For the `exposure` rules on logs and browser storage: a reference to a value whose
    // name ends in a secret word (`{{secret_word_end}}`, made by build.rs of the context
    // vocabulary), as it is: `token`, `&token`, `self.api_key`, `this.password`,
    // `$this->secret`, `os.environ["MONIME_TOKEN"]`, `config['api_key']`,
    // `os.getenv("X_API_KEY")`, `System.getenv("DB_PASSWORD")`, `env::var("API_TOKEN")`.
    // `engine/exposure.rs` then tests the name (not a descriptor, not masked).
    (
        "secret_ref",
        r#"(?:[&*]*(?:[\w$]+(?:\.|::|->))*[\w$]*{{secret_word_end}}|(?:[\w$]+\.)*[\w$]+\[\s*["'][\w.-]*{{secret_word_end}}["']\s*\]|(?:[\w$]+(?:\.|::))*(?:get|getenv|Getenv|var|getProperty)\(\s*["'][\w.-]*{{secret_word_end}}["']\s*\)(?:\.unwrap\(\))?)"#,
    ),
    // The arguments of a call before the one a rule captures, each followed by `,`, or the
    // operands before it followed by `+` or `%` (concatenation, Python's `%` formatting) or
    // `.format(`: string literals whole, parentheses balanced two deep, never past `;` or
    // the end of the line. Lazy: the first argument that qualifies is the one captured.
    (
        "earlier_args",
        r#"(?:(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`|\((?:[^()\n]|\([^()\n]*\))*\)|[^"'`,+%()\n;])*(?:[,+%]|\.format\()\s*)*?"#,
    ),
    // What opens an interpolation inside a string, up to the expression: a JavaScript
    // template literal's `${`, a Python f-string's `{`, a Rust format string's `{` (`{{` is
    // a literal brace in both), a Kotlin string template's `$` (then `{` or a name).
    ("js_template_open", r#"`(?:[^`\\\n]|\\.)*?\$\{\s*"#),
    (
        "fstring_open",
        r#"\b[fF][rR]?(?:"(?:[^"{\n\\]|\\.|\{\{|\{[^{}"\n]*\})*?|'(?:[^'{\n\\]|\\.|\{\{|\{[^{}'\n]*\})*?)\{\s*"#,
    ),
    (
        "rust_format_open",
        r#""(?:[^"{\n\\]|\\.|\{\{|\{[^{}"\n]*\})*?\{"#,
    ),
    // A Rust format string whose placeholders all format a string or any value (`{}`,
    // `{:?}`, `{name:>8}`), none a number (`{:08x}`, `{:b}`, `{:e}`, `{:p}`): a value shown
    // in hex is a number, never a string secret (a QUIC path-challenge `token`).
    (
        "rust_format_string",
        r#""(?:[^"{}\n\\]|\\.|\{\{|\}\}|\{[\w.]*(?::(?:[^{}"\n]*[^{}"\nxXobeEp?])?\??)?\})*""#,
    ),
    ("kotlin_template_open", r#""(?:[^"$\n\\]|\\.)*?\$"#),
];

/// How deep fragments may nest.
const MAX_DEPTH: usize = 4;

/// `pattern` with every `{{name}}` replaced by its fragment, from [`FRAGMENTS`] or
/// `vocabulary`: the fragments build.rs makes of the context vocabulary's lists
/// (`{{browser_prefix}}`, `{{server_secret_word}}`; `engine::context::VOCABULARY_FRAGMENTS`).
pub fn expand(pattern: &str, vocabulary: &[(&str, &str)]) -> Result<String, String> {
    expand_at(pattern, vocabulary, 0)
}

fn expand_at(pattern: &str, vocabulary: &[(&str, &str)], depth: usize) -> Result<String, String> {
    if !pattern.contains("{{") {
        return Ok(pattern.to_string());
    }
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut rest = pattern;
    // Every index below is where `find` found a character or ASCII `{{`/`}}`, or just past
    // that ASCII: all char boundaries.
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if name_len == 0 || !after[name_len..].starts_with("}}") {
            out.push_str("{{");
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        let found = FRAGMENTS.iter().chain(vocabulary).find(|(n, _)| *n == name);
        let Some((_, body)) = found else {
            return Err(format!("unknown fragment `{{{{{name}}}}}`"));
        };
        if depth >= MAX_DEPTH {
            return Err(format!("fragment `{name}` nests too deeply"));
        }
        out.push_str(&expand_at(body, vocabulary, depth + 1)?);
        rest = &after[name_len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_expand_nested_and_unknown_names_fail() {
        assert_eq!(
            expand("a{{uuid}}b", &[]).unwrap(),
            format!("a{}b", FRAGMENTS_UUID)
        );
        let word = expand("x{{secret_word}}", &[]).unwrap();
        assert!(
            word.starts_with("x(?:api") && !word.contains("{{"),
            "{word}"
        );
        assert_eq!(expand(r"x\{\{y\}\}{2}", &[]).unwrap(), r"x\{\{y\}\}{2}");
        assert_eq!(expand("{{ x }}", &[]).unwrap(), "{{ x }}");
        assert!(expand("{{nope}}", &[]).unwrap_err().contains("`{{nope}}`"));
        for (name, body) in FRAGMENTS {
            let full = expand(body, crate::rules::VOCABULARY_FRAGMENTS).unwrap();
            regex::bytes::Regex::new(&format!("(?:{full})"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    const FRAGMENTS_UUID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
}
