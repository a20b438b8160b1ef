//! leakguard: a git secret scanner.
//!
//! Data flows one way: a source yields byte buffers with a location, the [`engine`] turns
//! them into [`finding::Finding`]s, a [`report`] writer prints them.

pub mod engine;
pub mod finding;
pub mod rules;
