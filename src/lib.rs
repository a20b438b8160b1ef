//! leakguard: a git secret scanner.
//!
//! One data flow for every command:
//!
//! 1. [`cli`] parses the command line; [`config`] turns it into a validated `Config` once
//!    (the [`engine`] with its rules, the limits, the baseline, the gates, the output);
//! 2. a [`source`] (files, the index, history) produces [`chunk::Item`]s: bytes with their
//!    origins, or why there are none;
//! 3. the [`pipeline`] runs the engine's one entry on each chunk (content too big to hold
//!    at once in overlapping windows, [`stream`]; archives entry by entry); the engine's
//!    resolve step decides, per origin, what is a finding and what is suppressed;
//! 4. [`conclude`] applies the run-wide decisions (baseline, severity gates,
//!    [`fingerprint`]s), a [`report`]
//!    writer prints, and [`exit`] carries the status back to `main`.
//!
//! `app` is the wiring of each subcommand.

pub mod app;
pub mod audit;
pub mod baseline;
pub mod cancel;
pub mod chunk;
pub mod cli;
pub mod clock;
pub mod conclude;
pub mod config;
pub mod engine;
pub mod exit;
pub mod finding;
pub mod fingerprint;
pub mod fsguard;
pub mod hook;
pub mod incident;
pub mod output;
pub mod pipeline;
pub mod printable;
pub mod progress;
pub mod report;
pub mod rules;
pub mod selftest;
pub mod source;
pub mod stream;
pub mod validate;
