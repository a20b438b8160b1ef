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
    b"mypassword",
    b"mysecret",
    b"my_password",
    b"my_secret",
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

/// Values published in providers' documentation and tutorials: they appear in countless
/// repositories and grant nothing.
const KNOWN_TEST_VALUES: &[&[u8]] = &[
    // Stripe's documented test key.
    b"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    // The jwt.io sample token ("John Doe").
    b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

/// Keys that vendors publish for local emulators: the same in every installation.
const PUBLISHED_DEV_KEYS: &[&[u8]] = &[
    // Azure Storage emulator (Azurite) account key, start.
    b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
    // Azure Cosmos DB emulator key, start.
    b"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGy",
];

/// Does the secret look like a placeholder rather than a real value? Applies to every rule.
pub fn is_placeholder(secret: &[u8]) -> bool {
    if secret.is_empty()
        || KNOWN_TEST_VALUES.contains(&secret)
        || PUBLISHED_DEV_KEYS.iter().any(|k| contains(secret, k))
    {
        return true;
    }
    // `XXXXXXXX`, `********`, `00000000`: filler. A real token may hold a fixed run (Dropbox's
    // legacy tokens carry ten `A`s), so other characters count only when the run is a third
    // of the value.
    let (run, byte) = longest_run(secret);
    if run >= 6 && (b"xX*#0._-".contains(&byte) || run * 3 >= secret.len()) {
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
    if is_path(secret) {
        return true;
    }
    if is_url_without_credentials(&lower) {
        return true;
    }
    if is_uuid(&lower) {
        return true;
    }
    // `!flag`, `&name`, `*ptr`: an operator applied to an identifier is code.
    let operand = secret
        .strip_prefix(b"!")
        .or_else(|| secret.strip_prefix(b"&"))
        .or_else(|| secret.strip_prefix(b"*"))
        .unwrap_or(secret);
    is_identifier(operand) || is_snake_identifier(operand)
}

/// `http(s)://host/...` with no `user:password@` in its authority part.
pub fn is_url_without_credentials(lower: &[u8]) -> bool {
    let Some(rest) = lower
        .strip_prefix(b"http://")
        .or_else(|| lower.strip_prefix(b"https://"))
    else {
        return false;
    };
    let authority = rest.split(|&b| b == b'/').next().unwrap_or(rest);
    !(contains(authority, b"@") && contains(authority, b":"))
}

/// `MT7615_TOKEN_SIZE`, `curve25519_set_secret`, `regulator-fec1-pwdn`: two or more
/// segments, each in one case with letters and digits in at most three runs (`e7xx`), so
/// that random base64url values (mixed case, many letter/digit switches) are kept.
fn is_snake_identifier(s: &[u8]) -> bool {
    let segments: Vec<&[u8]> = s
        .split(|b| b"_.-".contains(b))
        .filter(|x| !x.is_empty())
        .collect();
    segments.len() >= 2
        && segments.iter().all(|seg| {
            let single_case =
                !seg.iter().any(u8::is_ascii_uppercase) || !seg.iter().any(u8::is_ascii_lowercase);
            let runs = 1 + seg
                .windows(2)
                .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
                .count();
            seg.iter().all(u8::is_ascii_alphanumeric) && single_case && runs <= 3
        })
}

/// A file path: a `/`, `./`, `../` or `~/` start and lowercase word segments (a random
/// base64 value that happens to start with `/` has mixed case and is not a path).
pub fn is_path(s: &[u8]) -> bool {
    let rest = [&b"~/"[..], b"../", b"./", b"/"]
        .iter()
        .find_map(|p| s.strip_prefix(*p));
    let Some(rest) = rest else { return false };
    let segments: Vec<&[u8]> = rest
        .split(|&b| b == b'/')
        .filter(|x| !x.is_empty())
        .collect();
    if segments.is_empty() || (s[0] == b'/' && segments.len() < 2) {
        return false;
    }
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, seg)| {
        seg.iter().all(|&b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b"_.@-".contains(&b)
                // A file name may have capitals when it has an extension (`Key.PEM`).
                || (i == last && b.is_ascii_uppercase() && seg.contains(&b'.'))
        })
    })
}

/// An identifier or dotted name is code, not a secret: letters and `_ . -` only, and
/// word-shaped (one case, or camelCase words averaging 3+ letters). Random letters-only
/// tokens have mixed case with short runs and are kept.
fn is_identifier(s: &[u8]) -> bool {
    if !s
        .iter()
        .all(|b| b.is_ascii_alphabetic() || b"_.-".contains(b))
    {
        return false;
    }
    let letters = || s.iter().filter(|b| b.is_ascii_alphabetic());
    if letters().all(u8::is_ascii_lowercase) || letters().all(u8::is_ascii_uppercase) {
        return true;
    }
    // Words start at a separator or at an uppercase letter following a lowercase one.
    let mut words = 0usize;
    let mut prev_lower = false;
    let mut in_word = false;
    for &b in s {
        if !b.is_ascii_alphabetic() {
            in_word = false;
            prev_lower = false;
            continue;
        }
        if !in_word || (b.is_ascii_uppercase() && prev_lower) {
            words += 1;
        }
        in_word = true;
        prev_lower = b.is_ascii_lowercase();
    }
    let n = letters().count();
    words > 0 && n >= 3 * words
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC32 (IEEE, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `n` in base62 (`0-9A-Za-z`), left-padded with `0` to 6 characters.
pub fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// GitHub's and npm's token checksum: after the prefix (`ghp_`, `npm_`…), 30 random
/// characters then the 6-character base62 CRC32 of those 30.
pub fn crc32_base62_ok(secret: &[u8]) -> bool {
    let body = match secret.iter().rposition(|&b| b == b'_') {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    if body.len() != 36 {
        return false;
    }
    let (data, check) = body.split_at(30);
    base62_6(crc32(data)) == check
}

fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The longest run of one repeated byte, and that byte.
fn longest_run(s: &[u8]) -> (usize, u8) {
    let mut best = (0, 0);
    let mut run = 0;
    let mut prev = None;
    for &b in s {
        if Some(b) == prev {
            run += 1;
        } else {
            run = 1;
            prev = Some(b);
        }
        if run > best.0 {
            best = (run, b);
        }
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
    fn crc32_and_checksum() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(&base62_6(61), b"00000z");
        let body = b"abcdefghijklmnopqrstuvwxyz0123";
        let mut token = b"ghp_".to_vec();
        token.extend_from_slice(body);
        token.extend_from_slice(&base62_6(crc32(body)));
        assert!(crc32_base62_ok(&token));
        let last = token.len() - 1;
        token[last] = if token[last] == b'A' { b'B' } else { b'A' };
        assert!(!crc32_base62_ok(&token));
    }

    #[test]
    fn placeholders() {
        for p in [
            &b"sk_live_your_api_key_here"[..],
            b"mon_test_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            b"<YOUR_TOKEN>",
            b"${API_KEY}",
            b"{{ token }}",
            b"AKIAIOSFODNN7EXAMPLE",
            b"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            b"aaaaaaaaaaaa",
        ] {
            assert!(is_placeholder(p), "{}", String::from_utf8_lossy(p));
        }
        assert!(!is_placeholder(b"mon_q8Z3vLk9PwX2mT7rB4nY6cH1dF5gJ0s")); // leakguard:allow
                                                                          // A fixed run inside a long token is part of the format, not filler.
        assert!(!is_placeholder(
            b"q8Z3vLk9PwXAAAAAAAAAA2mT7rB4nY6cH1dF5gJ0sK7pQ2wE9rT4yU6iO1pA3sD5fG8"
        ));
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
            b"./config/secret.key",
            b"/run/secrets/db_password",
            b"getApiKeyFromEnv",
            b"AUTH_TOKEN_VALUE",
            b"!opts.show_secrets",
            b"KVM_S390_PFAULT_TOKEN_INVALID",
            b"&sifive_fu540_prci_corepll_data",
            b"regulator-fec1-pwdn",
            b"GPIO_E7XX_IR_OFF",
            b"https://lore.kernel.org/lkml/1628086770.5rn8p04n6j.none@localhost/",
        ] {
            assert!(is_not_a_value(v), "{}", String::from_utf8_lossy(v));
        }
        assert!(!is_not_a_value(b"q8Z3vLk9PwX2mT7rB4nY"));
        // Random letters-only and `/`-leading base64 values are still secrets.
        assert!(!is_not_a_value(b"qWhDkEuXnVmZpAlS"));
        assert!(!is_not_a_value(b"/x9Kq2Lm8Np4Rt6Vw0Yz1Ab3Cd5Ef7Gh"));
        assert!(!is_not_a_value(b"/aB3/cD4eF5gH6"));
        assert!(!is_not_a_value(b"aB3_xK9-Lm2pQ7"));
        assert!(!is_not_a_value(b"K7Q2-X9P3-M4N8-Z1W6"));
        assert!(!is_not_a_value(b"https://user:pass@host"));
    }
}
