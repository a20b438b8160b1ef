//! Filters that drop matches which look like secrets to a regex but not to a person:
//! placeholders, template and environment references, paths, URLs and UUIDs.
//!
//! These run only on candidate secrets (after a regex matched), never on whole files.

/// Words that mark documentation and templates, not live credentials (lowercase).
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"placeholder",
    b"your_",
    b"your-",
    b"yourapi",
    b"yourkey",
    b"yoursecret",
    b"yourtoken",
    b"redacted",
    b"changeme",
    b"change_me",
    b"dummy",
    b"sample",
    b"insert",
    b"replace",
    b"123456789",
    b"abcdefgh",
    b"qwerty",
];

/// Does the secret look like a placeholder rather than a real value? Applies to every rule.
pub fn is_placeholder(secret: &[u8]) -> bool {
    if secret.is_empty() {
        return true;
    }
    if longest_run(secret) >= 6 {
        return true;
    }
    if matches!(secret.first(), Some(b'<')) && matches!(secret.last(), Some(b'>')) {
        return true;
    }
    if contains(secret, b"${") || contains(secret, b"{{") || contains(secret, b"$(") {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| contains(&lower, w))
}

/// References that name a secret kept elsewhere (lowercase prefixes).
const REFERENCE_PREFIXES: &[&[u8]] = &[
    b"process.env",
    b"os.environ",
    b"os.getenv",
    b"getenv",
    b"system.getenv",
    b"import.meta.env",
    b"env.",
    b"env[",
    b"env(",
    b"secrets.",
    b"vars.",
    b"config.",
    b"settings.",
    b"self.",
    b"this.",
    b"props.",
    b"params.",
    b"request.",
    b"$",
    b"%",
    b"@",
];

/// For name-and-entropy rules: is the value a reference to a secret, a path, a URL without
/// credentials, a UUID or an identifier rather than a secret?
pub fn is_not_a_value(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    if REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    // File paths and URLs without credentials.
    if lower.starts_with(b"/")
        || lower.starts_with(b"./")
        || lower.starts_with(b"../")
        || lower.starts_with(b"~/")
    {
        return true;
    }
    if (lower.starts_with(b"http://") || lower.starts_with(b"https://")) && !contains(&lower, b"@")
    {
        return true;
    }
    if is_uuid(&lower) {
        return true;
    }
    // An identifier or dotted name (letters, `_`, `.`, `-`, no digit) is code, not a secret.
    secret
        .iter()
        .all(|b| b.is_ascii_alphabetic() || b"_.-".contains(b))
}

fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn longest_run(s: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &b in s {
        if Some(b) == prev {
            run += 1;
        } else {
            run = 1;
            prev = Some(b);
        }
        best = best.max(run);
    }
    best
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            &b"sk_live_your_api_key_here"[..],
            b"mon_test_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            b"<YOUR_TOKEN>",
            b"${API_KEY}",
            b"{{ token }}",
            b"AKIAIOSFODNN7EXAMPLE",
            b"aaaaaaaaaaaa",
        ] {
            assert!(is_placeholder(p), "{}", String::from_utf8_lossy(p));
        }
        assert!(!is_placeholder(b"mon_q8Z3vLk9PwX2mT7rB4nY6cH1dF5gJ0s"));
    }

    #[test]
    fn references_paths_urls_uuids() {
        for v in [
            &b"process.env.API_KEY"[..],
            b"os.environ",
            b"/etc/secrets/token",
            b"https://example.org/path",
            b"123e4567-e89b-12d3-a456-426614174000",
            b"request.headers.authorization",
            b"secrets.NPM_TOKEN",
        ] {
            assert!(is_not_a_value(v), "{}", String::from_utf8_lossy(v));
        }
        assert!(!is_not_a_value(b"q8Z3vLk9PwX2mT7rB4nY"));
        assert!(!is_not_a_value(b"https://user:pass@host"));
    }
}
