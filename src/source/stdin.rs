//! Standard input as one file (`leakguard scan -`): what users pipe in, such as
//! `kubectl get secret -o yaml`, `docker inspect`, a CI log or `env`. It is named `<stdin>`, or
//! `--stdin-name NAME`, which path rules and allowlists then see as if it were a file there.

use std::io::Read;

use crate::cancel::Cancel;
use crate::chunk::{Origin, Sink};

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

/// Hands `input` to `sink` at `origin`, read to its end and scanned in windows (any size,
/// bounded memory; an archive is opened instead, up to `--max-file-size`).
pub fn feed(input: impl Read, origin: &Origin, cancel: &Cancel, sink: &mut impl Sink) {
    super::stream(sink, input, cancel, std::slice::from_ref(origin));
}
