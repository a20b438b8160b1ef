//! The randomness test for values found by name: does a value look generated, or written by
//! a person or a program?
//!
//! Shannon entropy alone passes `webdavregeneratedpassword1` (3.9 bits per character),
//! `_win32typing.PyCredHandle` and `abcdef123456`. [`assess`] runs these checks in order;
//! the first that fails is the reason the value is not a secret:
//!
//! | check | rejects | threshold |
//! |---|---|---|
//! | placeholder | `your_api_key_here`, `xxxx`, `<token>`, `${VAR}`, `changeme` | [`filters::is_placeholder`] |
//! | not a value | references, paths, URLs, UUIDs, identifiers, `Foo::Bar` | [`filters::is_not_a_value`] |
//! | hash | `sha512-…`, `sha256:…`: a checksum names its algorithm | prefix |
//! | runs | `abcdef123456`, `qwertyuiop`, `abcabcabc` | half the characters in sequences or keyboard rows of 4+, or a repeated pattern |
//! | words | `webdavregeneratedpassword1`, `prod/db/credentials`, `_win32typing.PyCredHandle` | 60 % of the letters in dictionary words |
//! | shape (`generic` rules) | numbers, short hex (ids, hash prefixes) | digits only under 24, hex only under 24 |
//! | score (`generic` rules) | everything else too short or too plain | [`MIN_BITS`] |
//!
//! The **score** estimates the value's random bits: its Shannon entropy per character times
//! the characters that are neither in a word nor in a run. Generic rules need [`MIN_BITS`]:
//! 16 random alphanumerics score about 60, a 10-character mixed token about 32, a dictionary
//! password with a digit almost nothing.

use std::sync::OnceLock;

use super::{entropy, filters};

/// The score a value needs for a `generic` (name-only) rule.
pub const MIN_BITS: f64 = 40.0;

/// Why a value is not taken for a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Placeholder,
    NotAValue,
    Hash,
    Run,
    Words,
    Shape,
    Score,
}

/// What a value passing the test scored.
#[derive(Debug, Clone, Copy)]
pub struct Score {
    /// Shannon entropy, bits per character.
    pub entropy: f64,
    /// Estimated random bits (see the module docs).
    pub bits: f64,
}

/// Runs the checks on `value`; `generic` adds the shape and score checks.
pub fn assess(value: &[u8], generic: bool) -> Result<Score, Rejection> {
    if filters::is_placeholder(value) || is_elided(value) {
        return Err(Rejection::Placeholder);
    }
    // Letters only: the word test below tells identifiers (`getApiKeyFromEnv`) from random
    // letters better than the identifier shape does.
    let letters_only = value.iter().all(u8::is_ascii_alphabetic);
    // SOPS keeps encrypted values as `ENC[AES256_GCM,data:…]`: ciphertext, committed by design.
    if value.starts_with(b"ENC[") {
        return Err(Rejection::NotAValue);
    }
    // `name@host` (an e-mail address) and `node@addr` (a device-tree node) name things.
    let named = match value.iter().position(|&b| b == b'@') {
        Some(at) if at >= 2 && is_host_or_address(&value[at + 1..]) => &value[..at],
        _ => value,
    };
    // A provider rule's `value` already spells the token's shape (a UUID, `s.` + 24
    // characters): only name-only (`generic`) rules need telling values from names.
    if generic
        && ((!letters_only && filters::is_not_a_value(named))
            || is_type_path(value)
            || is_dotted_name(named)
            || (named.len() < value.len() && is_snake_identifier(named))
            || is_separated_words(value)
            || is_pascal_words(value)
            || is_file_or_pattern(value))
    {
        return Err(Rejection::NotAValue);
    }
    if is_hash(value) {
        return Err(Rejection::Hash);
    }
    let entropy = entropy::shannon(value);
    if generic && entropy * (value.len() as f64) < MIN_BITS {
        return Err(Rejection::Score);
    }
    let mut covered = vec![false; value.len()];
    let runs = mark_runs(value, &mut covered);
    if runs * 2 >= value.len() || is_periodic(value) {
        return Err(Rejection::Run);
    }
    let letters = value.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let in_words = mark_words(value, &mut covered);
    if letters >= 6 && in_words * 10 >= letters * 6 {
        return Err(Rejection::Words);
    }
    // Base64 of words or a run (`YSBzZWNyZXQ=` is "a secret") is a test value.
    if generic && encodes_text_not_secret(value) {
        return Err(Rejection::Words);
    }
    let free = covered.iter().filter(|c| !**c).count();
    let score = Score {
        entropy,
        bits: entropy * free as f64,
    };
    if generic {
        let digits = value.iter().all(u8::is_ascii_digit);
        let hex = value.iter().all(u8::is_ascii_hexdigit);
        // Letters in one case and under 20 (`isaacschlueter`): a name, not a token.
        let one_case = letters_only
            && (value.iter().all(u8::is_ascii_lowercase)
                || value.iter().all(u8::is_ascii_uppercase));
        if ((digits || hex) && value.len() < 24) || (one_case && value.len() < 20) {
            return Err(Rejection::Shape);
        }
        if score.bits < MIN_BITS {
            return Err(Rejection::Score);
        }
    }
    Ok(score)
}

/// `eyJ2IjoiMSIs...`, `metadata.<key>`: an example cut short, or with a slot to fill.
fn is_elided(v: &[u8]) -> bool {
    if v.ends_with(b"...") || v.ends_with("\u{2026}".as_bytes()) {
        return true;
    }
    let open = v.iter().position(|&b| b == b'<');
    let close = v.iter().rposition(|&b| b == b'>');
    matches!((open, close), (Some(o), Some(c)) if c > o + 1
        && v[o + 1..c].iter().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(b)))
}

/// `LicenseRef-scancode-sun-bcl-sdk-1.4.2`, `Europe/Istanbul`, `my-app/22a0-stage`: three or
/// more parts joined by `-`, `_`, `.` or `/` (or two joined by `/`), each a word (one case,
/// or capitalised words), a number, or short. A random token's parts are long and mixed.
fn is_separated_words(v: &[u8]) -> bool {
    let parts: Vec<&[u8]> = v
        .split(|b| b"-_./:".contains(b))
        .filter(|p| !p.is_empty())
        .collect();
    let slashes = v.iter().filter(|&&b| b == b'/').count();
    let enough = parts.len() >= 3 || (slashes >= 1 && parts.len() >= 2);
    // One odd part (`enc28j60` in `microchip-enc28j60-2009`) among three or more is allowed.
    let odd = parts.iter().filter(|p| !is_word_part(p)).count();
    enough && (odd == 0 || (odd == 1 && parts.len() >= 3 && parts.iter().all(|p| p.len() <= 10)))
}

/// A part of a separated name: short, a number, a word in one case or capitalised (with an
/// acronym after it: `MulanPSL`), or lowercase with a digit or two inside (`bpel4ws`).
fn is_word_part(p: &[u8]) -> bool {
    let switches = p
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
        .count();
    p.len() <= 4
        || p.iter().all(u8::is_ascii_digit)
        || (p.iter().all(u8::is_ascii_alphabetic)
            && (p.iter().skip(1).all(u8::is_ascii_lowercase)
                || p.iter().all(u8::is_ascii_uppercase)
                || is_pascal_words(p)
                || is_word_then_acronym(p)))
        || (p
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && switches <= 2)
}

/// `MulanPSL`, `OpenSSL`: a capitalised word then capitals.
fn is_word_then_acronym(p: &[u8]) -> bool {
    let lower_end = 1 + p[1..].iter().take_while(|b| b.is_ascii_lowercase()).count();
    p[0].is_ascii_uppercase() && lower_end >= 3 && p[lower_end..].iter().all(u8::is_ascii_uppercase)
}

/// `PendingAggregationRequests`, `ForbesLindesay`, `ActivationIds`: capitalised words of
/// three letters or more (a lowercase first word allowed), and a last word of two
/// (`GetEbsDefaultKmsKeyId`, an IAM action). Random letters break the pattern.
fn is_pascal_words(v: &[u8]) -> bool {
    if v.len() < 6 || !v.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let mut pieces = 0;
    let mut i = 0;
    while i < v.len() {
        let start = i;
        i += 1;
        while i < v.len() && v[i].is_ascii_lowercase() {
            i += 1;
        }
        let piece = &v[start..i];
        let first_ok = piece[0].is_ascii_uppercase() || start == 0;
        let shortest = if i == v.len() && pieces >= 2 { 2 } else { 3 };
        if piece.len() < shortest || !first_ok {
            return false;
        }
        pieces += 1;
    }
    pieces >= 2
}

/// A file (`client.key`, `app.war`), a URL-encoded path (`%2Ftests%2F…`) or a regex
/// (`[a-f0-9]{48}`) is not the secret itself.
fn is_file_or_pattern(v: &[u8]) -> bool {
    const EXTENSIONS: &[&[u8]] = &[
        b".key", b".pem", b".crt", b".cer", b".der", b".p12", b".pfx", b".jks", b".json", b".yaml",
        b".yml", b".txt", b".war", b".jar", b".zip", b".gz", b".enc", b".asc", b".gpg", b".pub",
        b".csv", b".xml", b".html", b".js", b".py", b".rs", b".sh",
    ];
    let lower = v.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
        || memchr::memmem::find(&lower, b"%2f").is_some()
        || [
            &b"[a-"[..],
            b"[0-",
            b"[a-z",
            b"\\d",
            b"\\w",
            b"\\s",
            b"(?",
            b"]{",
            b"]+",
        ]
        .iter()
        .any(|p| memchr::memmem::find(v, p).is_some())
}

/// Base64 that decodes to text made of words or runs (`YSBzZWNyZXQ=` → `a secret`,
/// `MDEyMzQ1Njc4…` → `0123456789…`).
fn encodes_text_not_secret(v: &[u8]) -> bool {
    let body = v
        .strip_suffix(b"==")
        .or_else(|| v.strip_suffix(b"="))
        .unwrap_or(v);
    if body.len() < 8
        || !body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(b))
    {
        return false;
    }
    let Some(text) = super::decode::decode(v) else {
        return false;
    };
    if text.is_empty() || !text.iter().all(|b| (0x20..0x7f).contains(b)) {
        return false;
    }
    let mut covered = vec![false; text.len()];
    let runs = mark_runs(&text, &mut covered);
    let letters = text.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let words = mark_words(&text, &mut covered);
    runs * 2 >= text.len() || (letters >= 4 && words * 10 >= letters * 6)
}

/// `informatik.uni-erlangen.de`, `33c0000`: what follows `@` in an address or a node name.
fn is_host_or_address(v: &[u8]) -> bool {
    !v.is_empty()
        && v.iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b))
        && (v.contains(&b'.') || v.iter().all(u8::is_ascii_hexdigit))
}

/// `clock-abe-dpll-bypass`, `Roman.Hodek`: lowercase words (or one capitalised word each)
/// joined by `-`, `_` or `.`, with at most a few digits.
fn is_snake_identifier(v: &[u8]) -> bool {
    let parts = v.split(|b| b"-_.".contains(b)).filter(|p| !p.is_empty());
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    digits <= 3
        && parts.clone().count() >= 1
        && parts.clone().all(|p| {
            p.iter().all(u8::is_ascii_alphanumeric)
                && p.iter().skip(1).all(|b| !b.is_ascii_uppercase())
        })
}

/// `AWS::ApiGateway::ApiKey`, `std::env::var`: a path in code.
fn is_type_path(v: &[u8]) -> bool {
    memchr::memmem::find(v, b"::").is_some()
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_:.<>".contains(b))
}

/// `_win32typing.PyCredHandle`, `os.path.join`: names joined by dots, each starting with a
/// letter and holding few digits (a JWT's dotted parts are long runs of base64).
fn is_dotted_name(v: &[u8]) -> bool {
    let mut parts = 0;
    for part in v.split(|&b| b == b'.') {
        let digits = part.iter().filter(|b| b.is_ascii_digit()).count();
        let ok = part
            .first()
            .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
            && part.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
            && digits <= 3;
        if !ok {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// A checksum written with its algorithm (`sha512-…` in lockfiles, `sha256:…` in images).
fn is_hash(v: &[u8]) -> bool {
    // PostgreSQL's stored forms: `md5` + 32 hex, `SCRAM-SHA-256$…`.
    if (v.len() == 35 && v.starts_with(b"md5") && v[3..].iter().all(u8::is_ascii_hexdigit))
        || v.starts_with(b"SCRAM-SHA-256$")
    {
        return true;
    }
    let lower = v.get(..7).unwrap_or(v).to_ascii_lowercase();
    [&b"sha1"[..], b"sha256", b"sha384", b"sha512", b"md5"]
        .iter()
        .any(|alg| {
            lower.starts_with(alg) && matches!(lower.get(alg.len()), Some(b'-' | b':' | b'='))
        })
}

/// Keyboard rows and the zigzags people type down them, in both directions.
const ROWS: &[&[u8]] = &[
    b"qwertyuiop",
    b"asdfghjkl",
    b"zxcvbnm",
    b"1234567890",
    b"1q2w3e4r5t6y7u8i9o0p",
    b"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    b"qazwsxedcrfvtgbyhnujmikolp",
];

/// Marks characters in runs of 4+ (`abcd`, `9876`, `qwer`, `a1b2c3d4`); returns how many.
fn mark_runs(v: &[u8], covered: &mut [bool]) -> usize {
    let lower = v.to_ascii_lowercase();
    let n = lower.len();
    // Interleaved sequences (`a1B2c3D4`): every other character counts up.
    for start in 0..n.saturating_sub(7) {
        let ok = (1..4).all(|k| {
            let (a, b) = (lower[start + 2 * k - 2], lower[start + 2 * k]);
            a.is_ascii_alphanumeric() && i16::from(b) - i16::from(a) == 1
        }) && (1..4).all(|k| {
            let (a, b) = (lower[start + 2 * k - 1], lower[start + 2 * k + 1]);
            a.is_ascii_alphanumeric() && i16::from(b) - i16::from(a) == 1
        });
        if ok {
            covered[start..start + 8].iter_mut().for_each(|c| *c = true);
        }
    }
    let mut i = 0;
    while i < n {
        let mut best = 1;
        for step in [1i16, -1] {
            let mut j = i + 1;
            while j < n
                && lower[j].is_ascii_alphanumeric()
                && i16::from(lower[j]) - i16::from(lower[j - 1]) == step
            {
                j += 1;
            }
            best = best.max(j - i);
        }
        for row in ROWS {
            for dir in [false, true] {
                let mut len = 0;
                while i + len < n {
                    let want = lower[i + len];
                    let found = row.iter().position(|&c| c == want);
                    let ok = match (len, found) {
                        (_, None) => false,
                        (0, Some(_)) => true,
                        (_, Some(p)) => {
                            let prev = row.iter().position(|&c| c == lower[i + len - 1]);
                            match prev {
                                Some(q) if dir => p + 1 == q,
                                Some(q) => q + 1 == p,
                                None => false,
                            }
                        }
                    };
                    if !ok {
                        break;
                    }
                    len += 1;
                }
                best = best.max(len);
            }
        }
        if best >= 4 || (best == 3 && seq3(&lower[i..i + 3])) {
            covered[i..i + best].iter_mut().for_each(|c| *c = true);
            i += best;
        } else {
            i += 1;
        }
    }
    covered.iter().filter(|c| **c).count()
}

/// `abc`, `XYZ`, `321`: a run of three consecutive letters or digits (keyboard rows need four).
fn seq3(w: &[u8]) -> bool {
    w.iter().all(u8::is_ascii_alphanumeric)
        && (w.windows(2).all(|p| i16::from(p[1]) - i16::from(p[0]) == 1)
            || w.windows(2).all(|p| i16::from(p[0]) - i16::from(p[1]) == 1))
}

/// `abcabcabc`, `5f5f5f5f`: one short pattern repeated.
fn is_periodic(v: &[u8]) -> bool {
    (1..=v.len() / 3).any(|p| v.iter().enumerate().skip(p).all(|(i, &b)| b == v[i - p]))
}

/// Marks letters that belong to dictionary words; returns how many letters are marked.
/// Words are looked for in each run of letters, split where camelCase starts a word.
fn mark_words(v: &[u8], covered: &mut [bool]) -> usize {
    let words = words();
    let mut total = 0;
    let mut start = 0;
    while start < v.len() {
        if !v[start].is_ascii_alphabetic() {
            start += 1;
            continue;
        }
        let mut end = start + 1;
        while end < v.len()
            && v[end].is_ascii_alphabetic()
            && !(v[end].is_ascii_uppercase() && v[end - 1].is_ascii_lowercase())
        {
            end += 1;
        }
        total += segment(&v[start..end], words, &mut covered[start..end]);
        start = end;
    }
    total
}

/// Longest cover of `piece` by dictionary words (dynamic programming over prefixes).
fn segment(piece: &[u8], words: &[&str], covered: &mut [bool]) -> usize {
    const MAX_WORD: usize = 24;
    const MAX: usize = 256;
    if piece.len() < 3 {
        return 0;
    }
    let n = piece.len().min(MAX);
    let mut lower = [0u8; MAX];
    for (l, b) in lower.iter_mut().zip(&piece[..n]) {
        *l = b.to_ascii_lowercase();
    }
    // best[i]: letters covered in lower[..i]; from[i]: where the word ending at i starts.
    let mut best = [0usize; MAX + 1];
    let mut from = [0usize; MAX + 1];
    for i in 1..=n {
        best[i] = best[i - 1];
        for j in i.saturating_sub(MAX_WORD)..i.saturating_sub(2) {
            let cand = best[j] + (i - j);
            if cand > best[i] && is_word(words, &lower[j..i]) {
                best[i] = cand;
                from[i] = j;
            }
        }
    }
    let mut i = n;
    while i > 0 {
        if best[i] == best[i - 1] {
            i -= 1;
        } else {
            covered[from[i]..i].iter_mut().for_each(|c| *c = true);
            i = from[i];
        }
    }
    best[n]
}

fn is_word(words: &[&str], w: &[u8]) -> bool {
    words.binary_search_by(|x| x.as_bytes().cmp(w)).is_ok()
}

/// The dictionary (the file is sorted, a test checks it), indexed on first use: only values
/// found by name need it.
fn words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        include_str!("words.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(v: &str) -> Option<Rejection> {
        assess(v.as_bytes(), true).err()
    }

    /// A small deterministic generator (xorshift), so the test needs no crate.
    fn random(seed: &mut u64, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                alphabet[(*seed % alphabet.len() as u64) as usize] as char
            })
            .collect()
    }

    #[test]
    fn what_people_and_programs_write_is_rejected() {
        for (v, r) in [
            ("webdavregeneratedpassword1", Rejection::Words),
            ("correcthorsebatterystaple", Rejection::Words),
            ("prod/db/credentials", Rejection::NotAValue),
            ("auth/invalid-app-credential", Rejection::NotAValue),
            ("_win32typing.PyCredHandle", Rejection::NotAValue),
            ("AWS::ApiGateway::ApiKey", Rejection::NotAValue),
            ("abcdef123456", Rejection::Run),
            ("zxcvbnm4321asdf", Rejection::Run),
            ("1q2w3e4r5t6y", Rejection::Run),
            ("a1B2c3D4e5F6g7", Rejection::Run),
            ("md5b9cf21044705305b48b73444d920048f", Rejection::Hash),
            ("ENC[AES256_GCM", Rejection::NotAValue),
            ("a1b2a1b2a1b2a1b2", Rejection::Score),
            ("sha512-Q2xlYW5SZWFkYWJsZUhhc2hWYWx1ZQ==", Rejection::Hash),
            ("x7Kq9Lx7Kq9Lx7Kq9Lx7Kq9L", Rejection::Run),
            ("48205d4ffd7feba3", Rejection::Shape),
            ("4820591736204918273645", Rejection::Shape),
            ("your_api_key_here", Rejection::Placeholder),
            ("changeme", Rejection::Placeholder),
            ("app.options.apiKey", Rejection::NotAValue),
            ("getApiKeyFromEnv", Rejection::NotAValue),
            (
                "Roman.Hodek@informatik.uni-erlangen.de",
                Rejection::NotAValue,
            ),
            ("clock-abe-dpll-bypass-clk-mux@114", Rejection::NotAValue),
            ("pinctrl@33c0000", Rejection::NotAValue),
            ("app.options.apiKey!", Rejection::NotAValue),
            ("X509KeyFlags2", Rejection::Words),
            ("Xk9mQ2", Rejection::Score),
            ("YSBzZWNyZXQ=", Rejection::Words),
            (
                "LicenseRef-scancode-sun-bcl-sdk-1.4.2",
                Rejection::NotAValue,
            ),
            ("Europe/Istanbul", Rejection::NotAValue),
            ("PendingAggregationRequests", Rejection::NotAValue),
            ("GetEbsDefaultKmsKeyId", Rejection::NotAValue),
            (
                ".%2Ftests%2Fcerts%2Frsa%2Fkeys%2Fclient.key",
                Rejection::NotAValue,
            ),
            ("([a-f0-9]{48}(?![a-f0-9]))", Rejection::NotAValue),
            ("eyJ2IjoiMSIsInMiOjEsImMiOi...", Rejection::Placeholder),
            ("vercel.ai.telemetry.metadata.<key>", Rejection::Placeholder),
            (
                "hijklmnopuvwDEFqrABCxyzsHIJGPQRSTUVWXYZKLMNOgabctdfe",
                Rejection::Run,
            ),
            ("isaacschlueter", Rejection::Shape),
            ("microchip-enc28j60-2009", Rejection::NotAValue),
            ("MulanPSL-1.0", Rejection::NotAValue),
            ("aws:cdk:analytics:mixin", Rejection::NotAValue),
        ] {
            assert_eq!(why(v), Some(r), "{v}");
        }
    }

    #[test]
    fn the_dictionary_is_sorted_and_unique() {
        let w = words();
        assert!(w.len() > 30_000);
        assert!(w.windows(2).all(|p| p[0].as_bytes() < p[1].as_bytes()));
    }

    #[test]
    fn a_password_with_an_at_sign_is_not_an_address() {
        assert!(assess(b"Xk9@Lm2PqR7sT4vW8yZ", true).is_ok());
    }

    #[test]
    fn generated_values_pass() {
        let mut seed = 0x9E37_79B9_7F4A_7C15;
        let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let lower = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let hex = b"0123456789abcdef";
        let mut rejected = Vec::new();
        for _ in 0..2000 {
            for (alphabet, len) in [(&alnum[..], 20), (alnum, 32), (lower, 24), (hex, 40)] {
                let v = random(&mut seed, alphabet, len);
                if let Some(r) = why(&v) {
                    rejected.push((v, r));
                }
            }
        }
        // A generated value is rejected rarely (a long word or run by chance).
        assert!(
            rejected.len() < 8,
            "{} rejected: {rejected:?}",
            rejected.len()
        );
    }
}
