//! Ctrl-C and closed pipes: a scan stops promptly with exit 130 and leaves no report file
//! (not even a partial or temporary one); a closed stdout ends the run quietly.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(unix)]
use crate::util::{ctrl_c, spawn};
use crate::util::{synthetic, Tree, ALNUM};

/// A tree big enough that a debug-build scan takes seconds.
fn big_tree() -> Tree {
    let t = Tree::new();
    let line = format!(
        "let token = \"{}\"; // secret api_key\n",
        synthetic(1, 40, ALNUM)
    );
    // Many mid-sized files: cancellation is checked between files, and every line here is a
    // finding, so one file must not take the whole time budget of a debug build.
    let body = line.repeat(500_000 / line.len());
    for i in 0..600 {
        t.file(&format!("d{}/f{i}.rs", i % 10), &body);
    }
    t
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_promptly_with_130_and_no_output_file() {
    let t = big_tree();
    let args = [
        "scan",
        ".",
        "--format",
        "json",
        "-o",
        "report.json",
        "-j",
        "2",
    ];
    let child = spawn(t.path(), &args, &[], false);
    std::thread::sleep(Duration::from_millis(400));
    let sent = Instant::now();
    ctrl_c(&child);
    let out = child.wait_with_output().unwrap();
    let waited = sent.elapsed();
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    // Generous: a loaded 2-core machine runs the debug build slowly; a full scan takes far longer.
    assert!(waited < Duration::from_secs(15), "stopped in {waited:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('d'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no report, no temp file: {leftovers:?}"
    );
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let t = Tree::new();
    for i in 0..200 {
        t.file(
            &format!("f{i}.py"),
            format!("TOKEN = 'mon_{}'\n", synthetic(i, 31, ALNUM)),
        );
    }
    let bin = assert_cmd::cargo::cargo_bin("leakguard");
    let mut child = Command::new(bin)
        .current_dir(t.path())
        .args(["scan", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe (what `| head -1` does).
    let mut stdout = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    use std::io::Read;
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {}
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(1)), "{out:?}");
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}
