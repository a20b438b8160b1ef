//! Standard input as one file (`leakguard scan -`): what users pipe in, such as
//! `kubectl get secret -o yaml`, `docker inspect`, a CI log or `env`. It is named `<stdin>`, or
//! `--stdin-name NAME`, which path rules and allowlists then see as if it were a file there.

use std::io::Read;

use crate::chunk::{Content, Item, Limits, Origin, Sink};

/// How standard input is reported when it is not given a name.
pub const UNNAMED: &str = "<stdin>";

/// The origin standard input is reported at: `name` (as given, `/`-separated), or
/// [`UNNAMED`], which no path rule matches.
pub fn origin(name: Option<&str>) -> Origin {
    match name {
        Some(n) => {
            let n = n.replace('\\', "/");
            let n = n.trim_start_matches("./").to_string();
            let shown = super::printable_name(n.as_bytes());
            Origin::new(n, shown, crate::chunk::OriginKind::File)
        }
        None => Origin::file(UNNAMED),
    }
}

/// Reads `input` to its end (up to `--max-file-size`) and hands it to `sink` at `origin`.
pub fn feed(input: &mut dyn Read, origin: &Origin, limits: Limits, sink: &mut dyn Sink) {
    let mut bytes = Vec::new();
    let origins = std::slice::from_ref(origin);
    let content = match input.take(limits.max_file_size + 1).read_to_end(&mut bytes) {
        Err(e) => Content::Unreadable(e.to_string()),
        Ok(_) if !limits.admits(bytes.len() as u64) => Content::TooLarge,
        Ok(_) => Content::Bytes(&bytes),
    };
    sink.take(Item { content, origins });
}
