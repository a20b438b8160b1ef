//! Arbitrary bytes scanned with the built-in rules, with and without a path. Beyond "no
//! panic", every finding must point inside the input, at its own secret, and never print
//! the whole secret when redacted.
#![no_main]

use std::sync::OnceLock;

use leakguard::chunk::{Chunk, Origin, OriginKind};
use leakguard::engine::{decode, Engine, Options};
use leakguard::finding::{Finding, FindingKind};
use leakguard::rules::{builtin, RuleSet};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let set = RuleSet::load(&builtin::sources(), None).expect("built-in rules load");
        Engine::new(set, Options::default())
    })
}

/// Paths that switch on path rules, dotenv decoding and path allowlists.
const PATHS: &[&str] = &[
    "src/app.py",
    ".env",
    ".env.production",
    "deploy/secret.yaml",
    "id_rsa",
    "docs/README.md",
    "package-lock.json",
    "a/b/config.json",
];

/// Byte offset of the start of 1-based `line`, and the line's end (without its newline).
fn line_span(bytes: &[u8], line: usize) -> Option<(usize, usize)> {
    let mut start = 0;
    for _ in 1..line {
        start += bytes[start..].iter().position(|&b| b == b'\n')? + 1;
    }
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| start + i);
    Some((start, end))
}

/// The secret, as stored (UTF-8, lossy), is what the input holds at `pos`: the raw bytes
/// from `pos` on that convert to it. Each U+FFFD stands for one to three raw bytes.
fn secret_at(bytes: &[u8], pos: usize, secret: &[u8]) -> bool {
    let replaced = String::from_utf8_lossy(secret).matches('\u{FFFD}').count();
    let hi = secret.len().min(bytes.len() - pos);
    let lo = secret.len().saturating_sub(2 * replaced);
    (lo..=hi).any(|n| String::from_utf8_lossy(&bytes[pos..pos + n]).as_bytes() == secret)
}

/// The base64 value starting at `pos` decodes to something holding the secret.
fn decoded_at(bytes: &[u8], pos: usize, secret: &[u8]) -> bool {
    let len = bytes[pos..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b"+/-_=".contains(&b)))
        .unwrap_or(bytes.len() - pos);
    let Some(plain) = decode::decode(&bytes[pos..pos + len]) else {
        return false;
    };
    let plain = String::from_utf8_lossy(&plain);
    let secret = String::from_utf8_lossy(secret);
    plain.contains(&*secret)
}

fn check(bytes: &[u8], findings: &[Finding]) {
    for f in findings {
        let (start, end) = line_span(bytes, f.line)
            .unwrap_or_else(|| panic!("line {} past the end of the input: {f:?}", f.line));
        assert!(f.line >= 1, "line 0: {f:?}");
        assert!(
            f.column >= 1 && start + f.column - 1 <= end,
            "column {} outside line {} ({} bytes): {f:?}",
            f.column,
            f.line,
            end - start
        );
        let pos = start + f.column - 1;
        let secret = f.secret_bytes();
        match (f.kind, f.decoded) {
            (FindingKind::Path, _) => assert!(secret.is_empty(), "path finding with a secret"),
            (FindingKind::Content, Some(_)) => {
                assert!(
                    decoded_at(bytes, pos, secret),
                    "decoded secret not at {pos}: {f:?}"
                )
            }
            (FindingKind::Content, None) => {
                assert!(!secret.is_empty(), "empty content secret: {f:?}");
                assert!(secret_at(bytes, pos, secret), "secret not at {pos}: {f:?}");
                assert!(pos + 1 <= end, "secret starts past its line: {f:?}");
            }
        }
        if f.secret_len > 12 {
            let shown = f.secret_display(false);
            let raw = String::from_utf8_lossy(secret);
            assert!(
                !shown.contains(&*raw),
                "redaction shows the secret: {shown:?}"
            );
        }
        assert_eq!(
            f.secret_len,
            String::from_utf8_lossy(secret).chars().count()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let engine = engine();
    let mut scanner = engine.scanner();
    let path = PATHS[sel as usize % PATHS.len()];
    let binary = sel & 0x80 != 0;
    let scan = |scanner: &mut leakguard::engine::Scanner<'_>, kind: OriginKind| {
        let origins = [Origin::new(path.into(), path.into(), kind)];
        let chunk = Chunk {
            bytes,
            binary,
            origins: &origins,
        };
        let mut out = Vec::new();
        scanner.scan(&chunk, &mut out);
        out.into_iter().map(|(_, f)| f).collect::<Vec<Finding>>()
    };
    check(bytes, &scan(&mut scanner, OriginKind::File));
    // A history blob: content rules only, whatever the path.
    let blob = scan(
        &mut scanner,
        OriginKind::Blob {
            commit: "0123456789ab".into(),
        },
    );
    check(bytes, &blob);
    assert!(blob.iter().all(|f| f.kind == FindingKind::Content));
});
