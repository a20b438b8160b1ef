//! The `validate:` block of a rule: how to ask a secret's issuer whether it still works, as
//! one read-only HTTP request written as data, and how to read the answer.
//!
//! The request's scheme, host and port are fixed in the rule. The secret only fills
//! `{{secret}}` in the URL's path or query (percent-encoded), in header values, in basic
//! credentials, in form fields or in the string values of a JSON body (JSON-escaped): a
//! secret can never choose where it is sent, nor change a body's shape. A rule with a
//! `pair:` may also send its companion (an account or key id) as `{{pair}}`, in the same
//! places. An issuer that hosts one API in several regions, where a key works only in its
//! own, lists their origins in `regions:`. This file is the syntax and its checks only
//! (build.rs runs them on the built-in rules); sending the request is `crate::validate`'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A `validate:` block and where it starts (0 when unknown), for errors.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidateBlock {
    pub spec: ValidateSyntax,
    pub line: u32,
    pub column: u32,
}

impl<'de> Deserialize<'de> for ValidateBlock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ValidateBlock, D::Error> {
        let s = serde_saphyr::Spanned::<ValidateSyntax>::deserialize(d)?;
        Ok(ValidateBlock {
            line: u32::try_from(s.referenced.line()).unwrap_or(0),
            column: u32::try_from(s.referenced.column()).unwrap_or(0),
            spec: s.value,
        })
    }
}

/// One validation, as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateSyntax {
    /// The family `--validation-endpoint FAMILY=URL` names (`github`, `gitlab`): a
    /// self-hosted instance's URL replaces the request URL's origin.
    pub provider: String,
    pub request: Request,
    /// When the answer says the secret works. Every test given must hold.
    pub live: Condition,
    /// When the answer says it does not (revoked, expired, unknown). Neither: `unknown`.
    pub inactive: Condition,
    /// Non-secret facts from a live answer, by name: `json:/pointer` or `header:Name`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// The issuer's documented answers to a live and to a dead secret: `rules test` reads
    /// them with the conditions above, and the tests serve them from a loopback mock.
    pub responses: Responses,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Responses {
    pub live: Response,
    pub inactive: Response,
}

/// An answer as the issuer documents it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(default)]
    pub method: Method,
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// HTTP basic authentication (`Authorization: Basic …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<Basic>,
    /// An `application/x-www-form-urlencoded` body (POST only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub form: BTreeMap<String, String>,
    /// An `application/json` body (POST only), for APIs whose reads are POSTs (GraphQL):
    /// placeholders fill its string values, never its keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// The origins (`https://host[:port]`) of the regions the issuer hosts this API in, by
    /// name, when a key works only in its own: each is asked in turn, the URL's own first
    /// (its origin must be one of them), until one accepts the key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub regions: BTreeMap<String, String>,
    /// Sign the request with AWS Signature Version 4: the secret key signs and is never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_sigv4: Option<AwsSigV4>,
}

/// What an AWS Signature Version 4 needs: the service and region signed for, and the key
/// id and secret key (templates: `{{pair}}` and `{{secret}}`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSigV4 {
    pub service: String,
    pub region: String,
    pub key_id: String,
    pub secret_key: String,
}

/// Only methods that read. POST is for the APIs whose read-only checks are POSTs (Slack's
/// `auth.test`); `rules test` cannot tell what an endpoint does, the review of the rule can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Head,
    Post,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Basic {
    pub user: String,
    #[serde(default)]
    pub password: String,
}

/// Tests on an answer; all that are given must hold.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The status is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<u16>,
    /// The JSON body has these values at these pointers (`/ok: true`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json: BTreeMap<String, Scalar>,
    /// The body contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl Condition {
    fn is_empty(&self) -> bool {
        self.status.is_empty() && self.json.is_empty() && self.body.is_none()
    }
}

/// A JSON value a condition compares with.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// A piece of a template: text as written, where the secret goes, or where its companion
/// goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Secret,
    Pair,
}

/// `text` split at its `{{secret}}` and `{{pair}}` placeholders; any other `{{…}}` is an
/// error.
pub fn template(text: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(format!("`{{{{` without `}}}}` in `{text}`"));
        };
        match after[..end].trim() {
            "secret" => pieces.push(Piece::Secret),
            "pair" => pieces.push(Piece::Pair),
            other => {
                return Err(format!(
                    "unknown placeholder `{{{{{other}}}}}` in `{text}` (the placeholders are `{{{{secret}}}}` and `{{{{pair}}}}`)"
                ))
            }
        }
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// `url` split into its origin (`https://host[:port]`) and the rest (path and query).
pub fn split_origin(url: &str) -> Option<(&str, &str)> {
    let after = url.strip_prefix("https://")?;
    let end = after.find(['/', '?']).unwrap_or(after.len());
    Some(url.split_at("https://".len() + end))
}

/// An HTTP token (header and detail names).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A JSON pointer (RFC 6901): empty, or `/`-separated reference tokens.
fn is_pointer(s: &str) -> bool {
    s.is_empty() || s.starts_with('/')
}

/// A region's name, as `--validation-endpoint PROVIDER.REGION=URL` writes it.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `url` split at its origin, when the origin is fixed: https, a host, no placeholder,
/// user or fragment in it.
fn fixed_origin(url: &str) -> Result<(&str, &str), String> {
    let Some((origin, rest)) = split_origin(url) else {
        return Err(format!("validate: url `{url}` must start with https://"));
    };
    let host = &origin["https://".len()..];
    if host.is_empty()
        || host.contains(['{', '}', '@', '\\', '#'])
        || host.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "validate: url `{url}`: the scheme, host and port are fixed (no placeholder, user or fragment there)"
        ));
    }
    Ok((origin, rest))
}

/// Every key (`json key`) and string value (`json value`) of a JSON body.
fn json_texts<'a>(v: &'a serde_json::Value, out: &mut Vec<(&'static str, &'a str)>) {
    match v {
        serde_json::Value::String(s) => out.push(("json value", s)),
        serde_json::Value::Array(items) => items.iter().for_each(|i| json_texts(i, out)),
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                out.push(("json key", key));
                json_texts(value, out);
            }
        }
        _ => {}
    }
}

impl ValidateSyntax {
    /// Every text of the request that may hold a placeholder, with what it is.
    fn templates(&self) -> Vec<(&'static str, &str)> {
        let r = &self.request;
        let rest = split_origin(&r.url).map_or(r.url.as_str(), |(_, rest)| rest);
        let mut all = vec![("url", rest)];
        all.extend(r.headers.values().map(|v| ("header", v.as_str())));
        if let Some(b) = &r.basic {
            all.push(("basic user", &b.user));
            all.push(("basic password", &b.password));
        }
        for (name, value) in &r.form {
            all.push(("form field", name));
            all.push(("form value", value));
        }
        if let Some(a) = &r.aws_sigv4 {
            all.push(("aws_sigv4 key_id", &a.key_id));
            all.push(("aws_sigv4 secret_key", &a.secret_key));
        }
        if let Some(json) = &r.json {
            json_texts(json, &mut all);
        }
        all
    }

    /// The regions to ask, in order: the URL's own first, then the rest by name. Empty for
    /// a rule without regions.
    pub fn regions(&self) -> Vec<(&str, &str)> {
        let r = &self.request;
        let own = split_origin(&r.url).map(|(origin, _)| origin);
        let (first, rest): (Vec<_>, Vec<_>) = r
            .regions
            .iter()
            .map(|(name, origin)| (name.as_str(), origin.as_str()))
            .partition(|(_, origin)| Some(*origin) == own);
        first.into_iter().chain(rest).collect()
    }

    /// The request sends the secret's companion (`{{pair}}`): the rule must declare one.
    pub fn uses_pair(&self) -> bool {
        self.templates()
            .iter()
            .any(|(_, t)| template(t).is_ok_and(|p| p.contains(&Piece::Pair)))
    }

    /// Everything that can be wrong with a block, short of sending it.
    pub fn check(&self) -> Result<(), String> {
        let p = &self.provider;
        if p.is_empty()
            || !p
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "validate: provider `{p}` must be lowercase letters, digits and `-`"
            ));
        }
        let r = &self.request;
        let (origin, rest) = fixed_origin(&r.url)?;
        if rest.contains('#') {
            return Err(format!("validate: url `{}` has a fragment", r.url));
        }
        self.check_regions(origin)?;
        for (name, value) in &r.headers {
            if !is_token(name) {
                return Err(format!(
                    "validate: header name `{name}` is not an HTTP token"
                ));
            }
            let lower = name.to_ascii_lowercase();
            if ["host", "content-length", "transfer-encoding", "connection"]
                .contains(&lower.as_str())
            {
                return Err(format!(
                    "validate: header `{name}` is set by the client, not the rule"
                ));
            }
            if value.chars().any(|c| c.is_control()) {
                return Err(format!("validate: header `{name}` has a control character"));
            }
        }
        if !r.form.is_empty() && r.method != Method::Post {
            return Err("validate: a `form` body needs `method: POST`".into());
        }
        if let Some(a) = &r.aws_sigv4 {
            let word = |w: &str| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            };
            if !word(&a.service) || !word(&a.region) {
                return Err("validate: aws_sigv4: `service` and `region` are lowercase words (`sts`, `us-east-1`)".into());
            }
        }
        if r.json.is_some() && r.method != Method::Post {
            return Err("validate: a `json` body needs `method: POST`".into());
        }
        if r.json.is_some() && !r.form.is_empty() {
            return Err("validate: a request has one body: `json` or `form`, not both".into());
        }
        let mut secret = false;
        for (what, text) in self.templates() {
            let pieces = template(text).map_err(|e| format!("validate: {what}: {e}"))?;
            let fixed = match what {
                "form field" => Some("a form field's name"),
                "json key" => Some("a JSON key"),
                _ => None,
            };
            if let Some(fixed) =
                fixed.filter(|_| pieces.iter().any(|p| !matches!(p, Piece::Text(_))))
            {
                return Err(format!(
                    "validate: {fixed} is fixed; the secret goes in a value"
                ));
            }
            secret |= pieces.contains(&Piece::Secret);
        }
        if !secret {
            return Err("validate: the request never sends `{{secret}}`".into());
        }
        for (which, c) in [("live", &self.live), ("inactive", &self.inactive)] {
            if c.is_empty() {
                return Err(format!(
                    "validate: `{which}` needs at least one test (status, json or body)"
                ));
            }
            if let Some(s) = c.status.iter().find(|s| !(100..=599).contains(*s)) {
                return Err(format!("validate: {which}: {s} is not an HTTP status"));
            }
            if let Some(p) = c.json.keys().find(|p| !is_pointer(p)) {
                return Err(format!(
                    "validate: {which}: `{p}` is not a JSON pointer (`/field/0/name`)"
                ));
            }
        }
        for (which, r) in [
            ("live", &self.responses.live),
            ("inactive", &self.responses.inactive),
        ] {
            if !(100..=599).contains(&r.status) {
                return Err(format!(
                    "validate: responses: {which}: {} is not an HTTP status",
                    r.status
                ));
            }
            if let Some(h) = r.headers.keys().find(|h| !is_token(h)) {
                return Err(format!(
                    "validate: responses: {which}: header name `{h}` is not an HTTP token"
                ));
            }
        }
        for (name, from) in &self.details {
            if name == "region" && !r.regions.is_empty() {
                return Err(
                    "validate: detail `region` is the region that accepted the key: name yours otherwise"
                        .into(),
                );
            }
            if !is_token(name) {
                return Err(format!(
                    "validate: detail name `{name}` is not a plain word"
                ));
            }
            let ok = match from.split_once(':') {
                Some(("json", p)) => is_pointer(p),
                Some(("header", h)) => is_token(h),
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "validate: detail `{name}`: `{from}` is neither `json:/pointer` nor `header:Name`"
                ));
            }
        }
        Ok(())
    }

    /// Regions: two or more, each a plain name and a fixed origin, the URL's among them.
    fn check_regions(&self, own: &str) -> Result<(), String> {
        let regions = &self.request.regions;
        if regions.is_empty() {
            return Ok(());
        }
        if regions.len() < 2 {
            return Err("validate: `regions` lists two or more; one region is just the url".into());
        }
        for (name, origin) in regions {
            if !is_name(name) {
                return Err(format!(
                    "validate: region `{name}` must be lowercase letters, digits and `-`"
                ));
            }
            let (_, rest) = fixed_origin(origin)?;
            if !rest.is_empty() {
                return Err(format!(
                    "validate: region `{name}`: `{origin}` is an origin only (https://host[:port]); the path stays in the url"
                ));
            }
        }
        if !regions.values().any(|o| o == own) {
            return Err(format!(
                "validate: the url's origin `{own}` is none of the regions'"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> ValidateSyntax {
        serde_saphyr::from_str::<ValidateSyntax>(yaml).unwrap()
    }

    const GOOD: &str = "
provider: example
request:
  url: https://api.example.test/v1/me?key={{secret}}
  headers:
    Authorization: Bearer {{ secret }}
live:
  status: [200]
  json:
    /ok: true
inactive:
  status: [401, 403]
details:
  login: json:/user/login
  scopes: header:X-Scopes
responses:
  live: {status: 200, body: '{\"ok\": true, \"user\": {\"login\": \"octocat\"}}'}
  inactive: {status: 401}
";

    #[test]
    fn a_good_block_passes_and_reads_as_written() {
        let v = parse(GOOD);
        v.check().unwrap();
        assert_eq!(v.request.method, Method::Get);
        assert_eq!(v.live.json["/ok"], Scalar::Bool(true));
        assert_eq!(
            template("Bearer {{ secret }}!").unwrap(),
            [Piece::Text("Bearer "), Piece::Secret, Piece::Text("!")]
        );
        assert_eq!(
            split_origin("https://h.test:8443/a?b"),
            Some(("https://h.test:8443", "/a?b"))
        );
        assert_eq!(
            split_origin("https://h.test?q"),
            Some(("https://h.test", "?q"))
        );
    }

    /// Each mistake, and the words that tell the author what it is.
    #[test]
    fn every_mistake_is_named() {
        for (from, to, says) in [
            (
                "https://api.example.test/v1",
                "http://api.example.test/v1",
                "must start with https://",
            ),
            (
                "https://api.example.test/v1",
                "https://{{secret}}.example.test/v1",
                "are fixed",
            ),
            (
                "https://api.example.test/v1",
                "https://u@api.example.test/v1",
                "are fixed",
            ),
            (
                "https://api.example.test/v1",
                "https://api.example.test/v1#x",
                "fragment",
            ),
            (
                "key={{secret}}",
                "key={{token}}",
                "unknown placeholder `{{token}}`",
            ),
            ("key={{secret}}", "key={{secret", "without `}}`"),
            (
                "Authorization: Bearer {{ secret }}",
                "Host: x",
                "set by the client",
            ),
            (
                "Authorization: Bearer {{ secret }}",
                "Bad Name: x",
                "not an HTTP token",
            ),
            ("provider: example", "provider: Example", "lowercase"),
            (
                "status: [401, 403]",
                "status: [401, 99]",
                "99 is not an HTTP status",
            ),
            ("/ok: true", "ok: true", "not a JSON pointer"),
            ("header:X-Scopes", "cookie:x", "neither `json:/pointer`"),
        ] {
            let yaml = GOOD.replace(from, to);
            assert_ne!(yaml, GOOD, "{from}");
            let err = parse(&yaml).check().unwrap_err();
            assert!(err.contains(says), "{to}: {err}");
        }
        let never = GOOD
            .replace("?key={{secret}}", "")
            .replace("Bearer {{ secret }}", "Bearer x");
        assert!(parse(&never).check().unwrap_err().contains("never sends"));
        let form = GOOD.replace("  headers:", "  form:\n    token: '{{secret}}'\n  headers:");
        assert!(parse(&form)
            .check()
            .unwrap_err()
            .contains("needs `method: POST`"));
        let post = form.replace("request:", "request:\n  method: POST");
        parse(&post).check().unwrap();
        let empty = GOOD.replace("inactive:\n  status: [401, 403]", "inactive: {}");
        assert!(parse(&empty)
            .check()
            .unwrap_err()
            .contains("at least one test"));
        let unknown = GOOD.replace("provider: example", "provider: example\nretries: 3");
        assert!(serde_saphyr::from_str::<ValidateSyntax>(&unknown).is_err());
    }

    const GRAPHQL: &str = "
provider: example
request:
  method: POST
  url: https://api.example.test/graphql
  headers: {Authorization: '{{secret}}'}
  json: {query: '{ viewer { id } }', variables: {ids: ['{{pair}}'], first: 1}}
live: {status: [200], json: {/data/viewer/id: x}}
inactive: {status: [401]}
responses: {live: {status: 200}, inactive: {status: 401}}
";

    /// A JSON body: any YAML value, its strings seen as templates (the companion there too),
    /// its keys fixed, POST only, never beside a form.
    #[test]
    fn a_json_body_and_its_mistakes() {
        let v = parse(GRAPHQL);
        v.check().unwrap();
        assert!(v.uses_pair(), "{{{{pair}}}} inside the body");
        assert_eq!(
            v.request.json.as_ref().unwrap()["variables"]["first"],
            serde_json::json!(1)
        );
        // The secret only in the body is still sent.
        parse(&GRAPHQL.replace("Authorization: '{{secret}}'", "X-Mode: read"))
            .check()
            .unwrap_err();
        let only_body = GRAPHQL
            .replace("Authorization: '{{secret}}'", "X-Mode: read")
            .replace("'{{pair}}'", "'{{secret}}'");
        parse(&only_body).check().unwrap();
        for (from, to, says) in [
            ("  method: POST\n", "", "a `json` body needs `method: POST`"),
            (
                "variables: {ids",
                "'{{secret}}': 1, variables: {ids",
                "a JSON key is fixed",
            ),
            (
                "'{{pair}}'",
                "'{{token}}'",
                "unknown placeholder `{{token}}`",
            ),
            (
                "  json:",
                "  form: {a: b}\n  json:",
                "`json` or `form`, not both",
            ),
        ] {
            let yaml = GRAPHQL.replace(from, to);
            assert_ne!(yaml, GRAPHQL, "{from}");
            let err = parse(&yaml).check().unwrap_err();
            assert!(err.contains(says), "{to}: {err}");
        }
    }

    const REGIONAL: &str = "
provider: example
request:
  url: https://api.eu.example.test/v1/me
  headers: {Authorization: 'Bearer {{secret}}'}
  regions: {us: 'https://api.example.test', eu: 'https://api.eu.example.test'}
live: {status: [200]}
inactive: {status: [401]}
details: {name: 'json:/name'}
responses: {live: {status: 200}, inactive: {status: 401}}
";

    #[test]
    fn regions_and_their_mistakes() {
        let v = parse(REGIONAL);
        v.check().unwrap();
        // The URL's own region first.
        assert_eq!(
            v.regions(),
            [
                ("eu", "https://api.eu.example.test"),
                ("us", "https://api.example.test")
            ]
        );
        assert!(parse(GOOD).regions().is_empty());
        for (from, to, says) in [
            ("us: 'https://api.example.test', ", "", "two or more"),
            ("{us:", "{US:", "region `US` must be lowercase"),
            (
                "'https://api.example.test'",
                "'http://api.example.test'",
                "must start with https://",
            ),
            (
                "'https://api.example.test'",
                "'https://{{secret}}.example.test'",
                "are fixed",
            ),
            (
                "'https://api.example.test'",
                "'https://api.example.test/v1'",
                "an origin only",
            ),
            (
                "url: https://api.eu.example.test/v1/me",
                "url: https://api.ap.example.test/v1/me",
                "none of the regions'",
            ),
            (
                "name: 'json:/name'",
                "region: 'json:/region'",
                "detail `region`",
            ),
        ] {
            let yaml = REGIONAL.replace(from, to);
            assert_ne!(yaml, REGIONAL, "{from}");
            let err = parse(&yaml).check().unwrap_err();
            assert!(err.contains(says), "{to}: {err}");
        }
        // Without regions, a detail may be called `region`.
        parse(&GOOD.replace("login: json:/user/login", "region: json:/user/login"))
            .check()
            .unwrap();
    }
}
