//! The `leakguard` binary: parse the command line, run, map the outcome to an exit code.
//! Exit codes: 0 clean, 1 findings, 2 usage, config or runtime error, 130 interrupted.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use leakguard::app;
use leakguard::cancel::{Cancel, Interrupted};
use leakguard::cli::Cli;
use leakguard::exit::{ExitStatus, Messages};

/// Writes one line to stderr; a closed stderr is not worth a panic. Every message, warning
/// and error passes here, so here is where what they quote from scanned data (names, gix's
/// and SQLite's errors) is escaped for the terminal and any URL loses its credentials.
fn say(line: std::fmt::Arguments<'_>) {
    let line = leakguard::printable::message(&line.to_string());
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// First Ctrl-C: stop cleanly (no report is written). A second one: stop now, even in a
/// blocked read of standard input.
#[cfg(unix)]
fn on_ctrl_c(cancel: &Cancel) {
    use signal_hook::consts::SIGINT;
    // The handler sets the flag itself: no thread to start, which the ctrlc crate cost every
    // run (about 0.5 ms of the hook's startup). The exit goes first, so that it sees only
    // the flag an earlier Ctrl-C set.
    let _ = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, cancel.flag());
    let _ = signal_hook::flag::register(SIGINT, cancel.flag());
}

#[cfg(not(unix))]
fn on_ctrl_c(cancel: &Cancel) {
    let handler = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if handler.is_cancelled() {
            #[allow(clippy::exit)]
            std::process::exit(130);
        }
        handler.cancel();
    });
}

/// A panic is a bug, and its default message quotes whatever data the failed operation was
/// given (a file name holding a token, a line of a scanned file). This hook prints where it
/// happened in leakguard's own code, never the payload; the backtrace (with
/// `RUST_BACKTRACE=1`) names functions only.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        // Tests look for "panicked" on stderr: keep the word.
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        say(format_args!(
            "leakguard: internal error: panicked{at} (details withheld: they may hold scanned data); please report this bug at https://github.com/leakguard/leakguard/issues"
        ));
        let trace = std::backtrace::Backtrace::capture();
        if trace.status() == std::backtrace::BacktraceStatus::Captured {
            say(format_args!("{trace}"));
        }
    }));
}

fn main() -> ExitCode {
    quiet_panics();
    // CI systems often define variables with an empty value; an empty LEAKGUARD_* setting
    // means "not set", not "a value is required". (Still single-threaded here.)
    for (name, value) in std::env::vars_os() {
        if value.is_empty() && name.to_string_lossy().starts_with("LEAKGUARD_") {
            std::env::remove_var(name);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version (exit 0) and usage errors (exit 2) itself.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let cancel = Cancel::default();
    on_ctrl_c(&cancel);
    let mut messages = Messages::default();
    let result = app::run(cli, &mut messages, &cancel);
    if !messages.quiet {
        for n in &messages.notes {
            say(format_args!("leakguard: note: {n}"));
        }
    }
    // What an incomplete scan missed is printed even with --quiet: exit 2 points at it.
    if !messages.quiet || matches!(result, Ok(ExitStatus::Incomplete)) {
        for w in &messages.warnings {
            say(format_args!("leakguard: warning: {w}"));
        }
    }
    match result {
        Ok(ExitStatus::Clean) => ExitCode::from(0),
        Ok(ExitStatus::Findings) => ExitCode::from(1),
        Ok(ExitStatus::Incomplete) => {
            say(format_args!(
                "leakguard: error: incomplete scan: some files, blobs or repositories could not be read (see the warnings above)"
            ));
            ExitCode::from(2)
        }
        Err(e) if e.is::<Interrupted>() || cancel.is_cancelled() => {
            say(format_args!("leakguard: interrupted; no report written"));
            ExitCode::from(130)
        }
        Err(e) => {
            say(format_args!("leakguard: error: {e:#}"));
            ExitCode::from(2)
        }
    }
}
