//! The `leakguard` binary: parse the command line, run, map the outcome to an exit code.
//! Exit codes: 0 clean, 1 findings, 2 usage, config or runtime error.

#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

use leakguard::app::{self, ExitStatus, Messages};
use leakguard::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version (exit 0) and usage errors (exit 2) itself.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let mut messages = Messages::default();
    let result = app::run(cli, &mut messages);
    for n in &messages.notes {
        eprintln!("leakguard: note: {n}");
    }
    for w in &messages.warnings {
        eprintln!("leakguard: warning: {w}");
    }
    match result {
        Ok(ExitStatus::Clean) => ExitCode::from(0),
        Ok(ExitStatus::Findings) => ExitCode::from(1),
        Err(e) => {
            eprintln!("leakguard: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
