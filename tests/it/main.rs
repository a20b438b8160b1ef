//! One integration test binary: each module drives the real `leakguard` binary.
//!
//! - `scan`: walking, skipping, exit codes and output of `leakguard scan` (custom rules).
//! - `builtin`: the built-in rules against synthetic secrets and decoys.
//! - `config`: config discovery and config errors.
//! - `rules`: `leakguard rules list|test`.
//! - `fixtures`: the `fixtures/` tree, snapshotted.
//! - `staged`, `history`: the git sources, on repositories built with the `git` CLI.
//! - `hook`: `leakguard install|uninstall` and the hook in a real commit.
//! - `integrations`: `action.yml` and the GitLab CI template, their scripts run with bash.

mod builtin;
mod config;
mod fixtures;
mod history;
mod hook;
mod integrations;
mod quality;
mod rules;
mod scan;
mod staged;
mod util;
