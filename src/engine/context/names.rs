//! Names: how they compare ([`normalize`]) and whether one holds a secret or only names or
//! qualifies one ([`describes`]). Separate from the syntax because it is vocabulary, not
//! grammar: its words live in `vocabulary.yaml` and grow with every false positive found.

use super::vocabulary::{DESCRIPTORS, FILE_NAMES, QUALIFIERS};

/// `MUFI_API_KEY`, `mufiApiKey`, `mufi-api-key` → `mufiapikey`; `spring.datasource.password`
/// keeps its dots. Lowercase ASCII letters and digits, `.` between segments.
pub(crate) fn normalize(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        if b.is_ascii_alphanumeric() {
            out.push(b.to_ascii_lowercase() as char);
        } else if b == b'.' && !out.is_empty() && !out.ends_with('.') {
            out.push('.');
        }
    }
    while out.ends_with('.') {
        out.pop();
    }
    out
}

/// Does this name (as written) name or qualify a secret rather than hold one?
pub(crate) fn describes(raw: &[u8]) -> bool {
    // `credential_process.rs`: a file's name, keying its checksum or its contents.
    if let Some(dot) = raw.iter().rposition(|&b| b == b'.') {
        let ext = &raw[dot + 1..];
        if FILE_NAMES.contains(&ext) {
            return true;
        }
    }
    let last = raw.rsplit(|&b| b == b'.').next().unwrap_or(raw);
    let words = words(last);
    let is = |list: &[&str], w: &str| list.contains(&w);
    match words.as_slice() {
        [] => false,
        [.., w] if is(DESCRIPTORS, w) => true,
        [.., q, _] => is(QUALIFIERS, q),
        _ => false,
    }
}

/// `apiKeyId` → `[api, key, id]`; `MUFI_API_KEY` → `[mufi, api, key]`. Digits end a word.
pub(crate) fn words(s: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev: u8 = b' ';
    for (i, &b) in s.iter().enumerate() {
        let next_lower = s.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        let boundary = !b.is_ascii_alphabetic()
            || (b.is_ascii_uppercase() && prev.is_ascii_lowercase())
            || (b.is_ascii_uppercase() && prev.is_ascii_uppercase() && next_lower);
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if b.is_ascii_alphabetic() {
            cur.push(b.to_ascii_lowercase() as char);
        }
        prev = b;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_across_case_styles() {
        for n in [
            "MUFI_API_KEY",
            "mufiApiKey",
            "mufi-api-key",
            "mufiapikey",
            "MufiApiKey",
        ] {
            assert_eq!(normalize(n.as_bytes()), "mufiapikey", "{n}");
        }
        assert_eq!(
            normalize(b"spring.datasource.password"),
            "spring.datasource.password"
        );
        assert_eq!(normalize(b".a..b."), "a.b");
    }

    #[test]
    fn names_that_describe_a_secret() {
        for d in [
            "tokenId",
            "api_key_id",
            "secretName",
            "NextToken",
            "csrf_token",
            "credential_process.rs",
        ] {
            assert!(describes(d.as_bytes()), "{d}");
        }
        for h in [
            "apiKey",
            "MUFI_API_KEY",
            "signingKey",
            "access_token",
            "nextAuthSecret",
            "credential_process.rsa",
        ] {
            assert!(!describes(h.as_bytes()), "{h}");
        }
    }

    #[test]
    fn words_split_at_case_and_separators() {
        assert_eq!(words(b"apiKeyId"), ["api", "key", "id"]);
        assert_eq!(words(b"MUFI_API_KEY"), ["mufi", "api", "key"]);
        assert_eq!(words(b"HTTPServerKey2x"), ["http", "server", "key", "x"]);
    }

    /// Every word of the vocabulary does what its list says, in the case styles names come
    /// in.
    #[test]
    fn every_descriptor_and_qualifier_works() {
        for d in DESCRIPTORS {
            for name in [
                format!("api_key_{d}"),
                format!("API_KEY_{}", d.to_uppercase()),
            ] {
                assert!(describes(name.as_bytes()), "{name}");
            }
            let camel = format!("apiKey{}{}", d[..1].to_uppercase(), &d[1..]);
            assert!(describes(camel.as_bytes()), "{camel}");
        }
        for q in QUALIFIERS {
            for name in [format!("{q}_token"), format!("{}_SECRET", q.to_uppercase())] {
                assert!(describes(name.as_bytes()), "{name}");
            }
        }
        for ext in FILE_NAMES {
            let name = format!("deploy_key.{}", String::from_utf8_lossy(ext));
            assert!(describes(name.as_bytes()), "{name}");
        }
    }
}
