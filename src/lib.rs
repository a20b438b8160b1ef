//! leakguard: a git secret scanner.
//!
//! Data flows one way: a [`source`] yields byte buffers with a location, the [`engine`]
//! turns them into [`finding::Finding`]s, a [`report`] writer prints them. `app` wires the
//! three for each subcommand of [`cli`].

pub mod app;
pub mod baseline;
pub mod cancel;
pub mod cli;
pub mod engine;
pub mod finding;
pub mod hook;
pub mod progress;
pub mod report;
pub mod rules;
pub mod source;
