//! Asking a secret's issuer whether it still works (`--validate`, `leakguard validate`).
//!
//! A rule's `validate:` block (`rules::validation`) describes one read-only request; here
//! it is filled in with a secret ([`request`]), sent ([`http`], only in builds with the
//! `https` feature, through the same reqwest and rustls stack as gix), and the answer read
//! into a [`Verdict`] ([`verdict`]).
//!
//! What never changes, whatever a rule or an endpoint does:
//! - nothing is sent unless the user asked for validation;
//! - the secret goes only to the origin fixed in the rule (or the one the user names with
//!   `--validation-endpoint`), never to an address in loopback, private, link-local or
//!   multicast space unless `--allow-internal-ips`, and never after a redirect elsewhere;
//! - every failure of the endpoint (timeout, a trickle, a flood, garbage, a redirect, an
//!   error status) is an `unknown` verdict with a reason, never an error of the run;
//! - no verdict, reason or detail holds the secret, even when the endpoint echoes it.

pub mod address;
#[cfg(feature = "https")]
pub mod http;
pub mod request;
#[cfg(feature = "https")]
mod sigv4;
pub mod verdict;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::rules::validation::ValidateSyntax;

pub use verdict::{Status, Verdict};

/// What one check sends: the secret, and its companion (the key or account id a `pair:`
/// rule found next to it) for `{{pair}}`. Neither ever reaches a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Credential {
    pub secret: String,
    pub pair: Option<String>,
}

impl Credential {
    /// A secret without a companion.
    pub fn single(secret: impl Into<String>) -> Credential {
        Credential {
            secret: secret.into(),
            pair: None,
        }
    }
}

/// How validation runs: the defaults are the issue's and the README's.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--validation-endpoint PROVIDER=URL`: a provider's requests go to this origin (and
    /// path prefix) instead of the rule's.
    pub endpoints: BTreeMap<String, String>,
    /// `--validation-ca FILE`: more trust roots (PEM), beside the system's.
    pub ca_files: Vec<PathBuf>,
    /// `--allow-internal-ips`: allow loopback, private, link-local and multicast addresses.
    pub allow_internal: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests per second to one host.
    pub per_host_rate: u32,
    /// The most of a body that is read; the rest is not waited for.
    pub max_body: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            endpoints: BTreeMap::new(),
            ca_files: Vec::new(),
            allow_internal: false,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            concurrency: 8,
            per_host_rate: 50,
            max_body: 256 * 1024,
        }
    }
}

/// What a build without the `https` feature says when asked to validate.
pub const NO_HTTPS: &str = "validation needs a build with the `https` feature (the release binaries and the PyPI wheel have it; `cargo install leakguard-cli --features https`)";

/// Runs checks, or (in a build without the `https` feature) cannot be made.
pub struct Validator {
    #[cfg(feature = "https")]
    client: http::Client,
    #[cfg(not(feature = "https"))]
    never: std::convert::Infallible,
}

impl Validator {
    /// Errors name the `--validation-ca` file or proxy variable at fault, or the feature.
    pub fn new(settings: Settings) -> anyhow::Result<Validator> {
        #[cfg(feature = "https")]
        {
            Ok(Validator {
                client: http::Client::new(settings)?,
            })
        }
        #[cfg(not(feature = "https"))]
        {
            let _ = settings;
            anyhow::bail!(NO_HTTPS)
        }
    }

    /// A verdict for each `(rule's block, credential)`, in order.
    pub fn check_all(&self, items: &[(Arc<ValidateSyntax>, Credential)]) -> Vec<Verdict> {
        #[cfg(feature = "https")]
        {
            self.client.check_all(items)
        }
        #[cfg(not(feature = "https"))]
        {
            let _ = items;
            match self.never {}
        }
    }
}

/// The secret on `input` (standard input: never the command line, where shell history and
/// `ps` keep it): its first line, without surrounding white space. A check that sends the
/// secret's companion (`needs_pair`) reads it from the second line.
pub fn read_credential(input: impl std::io::Read, needs_pair: bool) -> anyhow::Result<Credential> {
    use anyhow::Context;
    use std::io::Read;
    let mut bytes = Vec::new();
    input
        .take(64 * 1024)
        .read_to_end(&mut bytes)
        .context("cannot read the secret from standard input")?;
    let Ok(text) = String::from_utf8(bytes) else {
        anyhow::bail!("standard input is not UTF-8 text: give the secret as text");
    };
    let mut lines = text.lines().map(str::trim);
    let secret = lines.next().unwrap_or("");
    if secret.is_empty() {
        anyhow::bail!(
            "no secret on standard input: pipe it in (`leakguard validate --rule ID < file`)"
        );
    }
    let pair = lines.next().filter(|p| !p.is_empty());
    if needs_pair && pair.is_none() {
        anyhow::bail!(
            "this rule's check also needs the id that goes with the secret: give the secret on the first line of standard input and the id on the second"
        );
    }
    Ok(Credential {
        secret: secret.to_string(),
        pair: pair.filter(|_| needs_pair).map(str::to_string),
    })
}

/// The secret and its companion, and any of their encodings that could appear in an answer,
/// cut out of `text`. For reasons and details: an endpoint may echo what it was sent.
pub fn withhold(text: &str, sent: &Credential) -> String {
    let mut out = text.to_string();
    let parts = [
        (Some(&sent.secret), "[secret]"),
        (sent.pair.as_ref(), "[pair]"),
    ];
    for (part, mark) in parts {
        let Some(part) = part.filter(|p| p.len() >= 4) else {
            continue;
        };
        let encoded = request::encode_component(part);
        // As a JSON string holds it, quotes aside (an echo of a JSON body).
        let json = serde_json::Value::from(part.as_str()).to_string();
        let escaped = &json[1..json.len() - 1];
        for form in [part.as_str(), encoded.as_str(), escaped] {
            if out.contains(form) {
                out = out.replace(form, mark);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withheld_in_every_form() {
        let s = "EXAMPLE/secret+value=";
        let sent = Credential::single(s);
        assert_eq!(withhold(&format!("a {s} b"), &sent), "a [secret] b");
        let enc = request::encode_component(s);
        assert_ne!(enc, s);
        assert_eq!(withhold(&format!("url?k={enc}"), &sent), "url?k=[secret]");
        assert_eq!(withhold("nothing here", &sent), "nothing here");
        let quoted = Credential::single(r#"EXAMPLE"quoted\"#);
        assert_eq!(
            withhold(r#"{"echo": "EXAMPLE\"quoted\\"}"#, &quoted),
            r#"{"echo": "[secret]"}"#
        );
        let paired = Credential {
            pair: Some("AKIDEXAMPLE01".into()),
            ..sent
        };
        assert_eq!(
            withhold(&format!("{s} of AKIDEXAMPLE01"), &paired),
            "[secret] of [pair]"
        );
    }
}
