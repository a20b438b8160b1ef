//! Arbitrary file names through every path-redaction step: the engine's printable path
//! (built-in rules), `redact_spans` with spans anywhere (inside characters too), the
//! printable escaping of raw name bytes and its inverse, SARIF URIs, a finding's archive
//! split and the audit's URL redaction. Beyond "no panic": a redacted span hides every
//! character it touches and keeps every other one; escaping round-trips; URIs are ASCII.
#![no_main]

use std::sync::OnceLock;

use leakguard::chunk::{name_bytes, printable_name};
use leakguard::engine::{Engine, Options};
use leakguard::finding::{char_span, redact_spans, Finding};
use leakguard::printable::{url, urls_in};
use leakguard::report::sarif::path_to_uri;
use leakguard::rules::{builtin, RuleSet};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let set = RuleSet::load(&builtin::sources(), None).expect("built-in rules load");
        Engine::new(set, Options::default())
    })
}

/// Stands for a redacted span; removed from the name first.
const MARK: char = '\u{E000}';

fuzz_target!(|data: &[u8]| {
    // The first bytes place up to three spans; the rest is the name, as raw bytes.
    let (head, raw) = data.split_at(data.len().min(6));
    let shown_name = printable_name(raw);
    assert!(!shown_name.chars().any(char::is_control));
    assert_eq!(name_bytes(&shown_name), raw);
    let uri = path_to_uri(&shown_name);
    assert!(uri.is_ascii());

    // The engine's redaction, on the printable name and on the lossy text of the bytes.
    let lossy = String::from_utf8_lossy(raw).replace(MARK, "?");
    let mut scanner = engine().scanner();
    let _ = scanner.printable_path(&shown_name);
    let _ = scanner.printable_path(&lossy);

    // Spans anywhere, against a model: a character is hidden iff a span touches it.
    let spans: Vec<(usize, usize)> = head
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| {
            (
                usize::from(c[0]),
                usize::from(c[0]) + usize::from(c[1] % 32),
            )
        })
        .collect();
    for &(s, e) in &spans {
        let (a, b) = char_span(&lossy, s, e);
        assert!(lossy.is_char_boundary(a) && lossy.is_char_boundary(b) && a <= b);
    }
    let out = redact_spans(
        &lossy,
        spans
            .iter()
            .map(|&(s, e)| (s, e, MARK.to_string()))
            .collect(),
    );
    let kept: String = out.chars().filter(|&c| c != MARK).collect();
    let want: String = lossy
        .char_indices()
        .filter(|&(i, c)| {
            let end = i + c.len_utf8();
            !spans
                .iter()
                .any(|&(s, e)| s < e.min(lossy.len()) && s < end && i < e)
        })
        .map(|(_, c)| c)
        .collect();
    assert_eq!(kept, want);

    // A finding's archive split, at every prefix length the head names.
    let rule = &engine().rules().rules[0];
    let mut f = Finding::path(rule, &lossy);
    f.physical = head.first().map(|&n| usize::from(n));
    assert!(lossy.starts_with(f.physical_path()));
    let _ = f.inner_path();

    // URL redaction, alone and inside a message: anything, and neither a password nor a
    // token used as the user name is ever shown.
    let _ = url(&lossy);
    let _ = urls_in(&lossy);
    let token = "Q".repeat(20);
    if !lossy.contains(&token) {
        for u in [
            format!("https://user:pw{token}x@example.test/{lossy}"),
            format!("https://{token}@example.test/{lossy}"),
        ] {
            assert!(!url(&u).contains(&token));
            assert!(!urls_in(&format!("cannot clone {u}")).contains(&token));
        }
    }
});
