//! Big files: the default size limit admits a 32 MB bundle, files over the window size are
//! streamed in overlapping windows (a private key across a border is found once, at its
//! line), Ctrl-C stops a huge input between windows, and a lying BOM hides no token.
//! `LEAKGUARD_WINDOW_SIZE` shrinks the windows so that the tests need megabytes, not
//! gigabytes.

#![allow(clippy::print_stderr)]

use std::time::{Duration, Instant};

#[cfg(unix)]
use crate::util::{ctrl_c, spawn};
use crate::util::{hits, synthetic, tok, Hit, Tree, TOK_CONFIG};

/// 1 MiB windows: they overlap by 256 KiB and share findings at the overlap's middle.
const WINDOW: usize = 1 << 20;
const OVERLAP: usize = 256 << 10;

/// `leakguard scan --format json ARGS`, with windows of `window` bytes when given.
fn scan(t: &Tree, window: Option<usize>, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let mut cmd = t.cmd(&all);
    if let Some(w) = window {
        cmd.env("LEAKGUARD_WINDOW_SIZE", w.to_string());
    }
    let out = cmd.timeout(Duration::from_secs(300)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code().unwrap(), json, stderr)
}

#[test]
fn a_token_at_the_end_of_a_32_mb_single_line_bundle_is_found_by_default() {
    let t = Tree::new();
    t.file(".leakguard.yaml", TOK_CONFIG);
    let piece = "function(e,t){return e.map(function(n){return n*t+1})},";
    let mut bundle = String::with_capacity(32_000_100);
    while bundle.len() < 32_000_000 {
        bundle.push_str(piece);
    }
    let at = bundle.len();
    bundle.push_str(&format!("k=\"{}\";\n", tok(32)));
    t.file("dist/app.min.js", &bundle);
    drop(bundle);
    let want: Vec<Hit> = vec![("dist/app.min.js".into(), "tok".into(), 1, at as u64 + 4)];
    let started = Instant::now();
    let (code, json, err) = scan(&t, None, &[]);
    eprintln!("32 MB bundle, read whole: {:?}", started.elapsed());
    assert_eq!(code, 1, "{err}");
    assert_eq!(hits(&json), want);
    assert_eq!(json["summary"]["files_skipped_size"], 0);
    // Streamed in 1 MiB windows, the one line's columns are still the file's.
    let started = Instant::now();
    let (code, json, err) = scan(&t, Some(WINDOW), &[]);
    eprintln!("32 MB bundle, 1 MiB windows: {:?}", started.elapsed());
    assert_eq!(code, 1, "{err}");
    assert_eq!(hits(&json), want);
    let bytes = at + 26 + TOK_CONFIG.len();
    assert_eq!(json["summary"]["bytes_scanned"], bytes as u64);
}

/// A synthetic private key block (never a real key).
fn pem(seed: u64) -> String {
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: Vec<String> = (0..6).map(|i| synthetic(seed + i, 64, b64)).collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        body.join("\n")
    )
}

#[test]
fn private_keys_across_window_borders_are_found_once_at_their_line() {
    // Windows start every WINDOW - OVERLAP bytes; a window ends at start + WINDOW and hands
    // over to the next at the middle of their overlap. Keys straddle the first window's
    // hand-over point, its end, the second window's end and the last hand-over.
    let step = WINDOW - OVERLAP;
    let borders = [
        WINDOW - OVERLAP / 2,
        WINDOW,
        step + WINDOW,
        2 * step + WINDOW - OVERLAP / 2,
    ];
    let mut text = String::new();
    let mut want = Vec::new();
    let mut line = 1u64;
    for (i, &border) in borders.iter().enumerate() {
        let key = pem(100 + 10 * i as u64);
        while text.len() + key.len() / 2 < border {
            text.push_str(&format!("lorem ipsum dolor sit amet, line {line}\n"));
            line += 1;
        }
        assert!(text.len() < border && text.len() + key.len() > border);
        text.push_str(&key);
        // The secret is the key's body, on the line after BEGIN.
        want.push((
            "keys.txt".to_string(),
            "private-key".to_string(),
            line + 1,
            1,
        ));
        line += 8;
    }
    while text.len() < 4 * step {
        text.push_str("the end is near\n");
    }
    let t = Tree::new();
    t.file("keys.txt", &text);
    let (code, json, err) = scan(&t, None, &["--no-config"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(hits(&json), want, "read whole");
    let (code, json, err) = scan(&t, Some(WINDOW), &["--no-config"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(hits(&json), want, "in windows");
    assert_eq!(json["summary"]["files_scanned"], 1);
}

#[test]
fn a_lying_bom_hides_no_token() {
    let t = Tree::new();
    t.file(".leakguard.yaml", TOK_CONFIG);
    // `FF FE` then ASCII: decoded as UTF-16LE, the token would become CJK-looking text.
    let mut lying = b"\xFF\xFEnotes\ntoken = ".to_vec();
    lying.extend_from_slice(tok(16).as_bytes());
    lying.push(b'\n');
    t.file("notes.txt", &lying);
    // The same, big enough to be streamed.
    let mut big = lying.clone();
    big.extend(b"filler line\n".repeat(WINDOW / 8));
    big.extend_from_slice(format!("last = {}\n", tok(17)).as_bytes());
    let last_line = 3 + WINDOW as u64 / 8;
    t.file("big.txt", &big);
    // A true BOM still decodes.
    let mut utf16 = vec![0xFE, 0xFF];
    for u in format!("a\ntoken = {}\n", tok(18)).encode_utf16() {
        utf16.extend_from_slice(&u.to_be_bytes());
    }
    t.file("u16.txt", &utf16);
    let (code, json, err) = scan(&t, Some(WINDOW), &[]);
    assert_eq!(code, 1, "{err}");
    let mut got = hits(&json);
    got.sort();
    let h = |p: &str, line, column| (p.to_string(), "tok".to_string(), line, column);
    assert_eq!(
        got,
        vec![
            h("big.txt", 2, 9),
            h("big.txt", last_line, 8),
            h("notes.txt", 2, 9),
            h("u16.txt", 2, 9)
        ]
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_stream_between_windows() {
    use std::io::Write;
    let t = Tree::new();
    t.file(".leakguard.yaml", TOK_CONFIG);
    // Standard input is read through the same cancellable window reader as a huge file, and
    // a pipe held open cannot end before the signal, however fast the build: the run must
    // stop at its next read, not wait for the end of the input.
    let line = "let token = tok_short(value); // see tok_docs\n";
    let chunk = line.repeat(WINDOW / line.len());
    let args = ["scan", "-", "--format", "json", "-o", "report.json"];
    let window = WINDOW.to_string();
    let mut child = spawn(t.path(), &args, &[("LEAKGUARD_WINDOW_SIZE", &window)], true);
    let mut stdin = child.stdin.take().unwrap();
    for _ in 0..3 {
        stdin.write_all(chunk.as_bytes()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "ended with its input open"
    );
    let sent = Instant::now();
    ctrl_c(&child);
    // Keep feeding until the reader gives up: a broken pipe is the sign that it stopped.
    while sent.elapsed() < Duration::from_secs(10) && stdin.write_all(chunk.as_bytes()).is_ok() {}
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let waited = sent.elapsed();
    eprintln!("stopped {waited:?} after Ctrl-C");
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    // Generous for a loaded 2-core machine; the writer alone would go on for 10 s.
    assert!(waited < Duration::from_secs(8), "stopped in {waited:?}");
    assert!(!t.join("report.json").exists());
}

/// A second Ctrl-C ends the run at once, even while it waits on input that does not come.
#[cfg(unix)]
#[test]
fn a_second_ctrl_c_stops_a_blocked_read() {
    use std::io::Write;
    let t = Tree::new();
    let mut child = spawn(t.path(), &["scan", "-", "-o", "report.txt"], &[], true);
    // Some input, then nothing: the run waits in a read that no data will end.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    ctrl_c(&child);
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    ctrl_c(&child);
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    assert!(sent.elapsed() < Duration::from_secs(5));
    assert!(!t.join("report.txt").exists());
}
