//! The grammar's word lists, compiled from `vocabulary.yaml` by build.rs: descriptors and
//! qualifiers of names, code file extensions, command-line tools, constructors and auth
//! schemes; and the exposure vocabulary (`engine/exposure.rs`): the frameworks' browser
//! prefixes, server-secret name words and names public by design, each with its docs; the
//! secret words and masking words of the rules on logs and browser storage. Data, not code, so that a word is added without touching a parser, and checked
//! at build time so that a run parses no YAML (the pre-commit hook's startup).

use super::commands::Take;

include!(concat!(env!("OUT_DIR"), "/context_vocabulary.rs"));
