//! A rule's request, filled in with one secret: pure, so every encoding is tested without a
//! network.
//!
//! The origin (scheme, host, port) comes from the rule (its URL's, or each of its
//! `regions`') or from `--validation-endpoint`, never from the secret: the secret is
//! percent-encoded into the path and query, so `/`, `?`, `#` or `@` in it cannot move the
//! request elsewhere, and JSON-escaped into a JSON body, so `"` or `\` in it cannot change
//! the body's shape.

use std::collections::BTreeMap;

use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::Credential;
use crate::rules::validation::{split_origin, template, Method, Piece, ValidateSyntax};

/// Everything but RFC 3986's unreserved characters: for query values and form fields.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// In a path segment `:` and `@` may stay (some APIs put `id:secret` in the path).
const SEGMENT: &AsciiSet = &COMPONENT.remove(b':').remove(b'@');

/// `s` percent-encoded as a query or form component.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// One request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub method: Method,
    /// The region this request asks (a rule with `regions`), by name.
    pub region: Option<String>,
    /// The origin, `https://host[:port]`, and the whole URL.
    pub origin: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

/// A request body, already encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `application/x-www-form-urlencoded`.
    Form(String),
    /// `application/json`.
    Json(String),
}

impl Body {
    pub fn content_type(&self) -> &'static str {
        match self {
            Body::Form(_) => "application/x-www-form-urlencoded",
            Body::Json(_) => "application/json",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Body::Form(t) | Body::Json(t) => t,
        }
    }
}

/// Where a check's requests go, with the path and query of the rule's URL after each:
/// `--validation-endpoint PROVIDER=URL` (one request, the user's own instance), else one
/// per region (each replaced by `PROVIDER.REGION=URL` when given), else the URL's origin.
fn bases<'a>(
    spec: &'a ValidateSyntax,
    rule_origin: &'a str,
    endpoints: &'a BTreeMap<String, String>,
) -> Vec<(Option<&'a str>, &'a str)> {
    let p = &spec.provider;
    if let Some(e) = endpoints.get(p) {
        return vec![(None, e.trim_end_matches('/'))];
    }
    let regions = spec.regions();
    if regions.is_empty() {
        return vec![(None, rule_origin)];
    }
    regions
        .into_iter()
        .map(|(name, origin)| {
            let base = endpoints
                .get(&format!("{p}.{name}"))
                .map_or(origin, |e| e.trim_end_matches('/'));
            (Some(name), base)
        })
        .collect()
}

/// `spec` with the secret (and its companion) filled in: one request, or one per region in
/// the order they are asked (see [`bases`]). Errors are reasons for an `unknown` verdict
/// (they never hold the secret).
pub fn prepare(
    spec: &ValidateSyntax,
    sent: &Credential,
    endpoints: &BTreeMap<String, String>,
) -> Result<Vec<Prepared>, String> {
    let secret = sent.secret.as_str();
    if secret.is_empty() || secret.chars().any(char::is_control) {
        return Err("the secret holds control characters, which no request can carry".into());
    }
    let pair = match &sent.pair {
        Some(p) if p.is_empty() || p.chars().any(char::is_control) => {
            return Err("its companion holds control characters, which no request can carry".into())
        }
        Some(p) => Some(p.as_str()),
        None if spec.uses_pair() => {
            return Err(
                "the check needs the id that goes with the secret, and none was found next to it"
                    .into(),
            )
        }
        None => None,
    };
    let r = &spec.request;
    let (rule_origin, rest) = split_origin(&r.url).ok_or("the rule's URL is not https://")?;
    let fill = |text: &str, encode: &dyn Fn(&str) -> String| -> Result<String, String> {
        let mut out = String::new();
        for piece in template(text)? {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Secret => out.push_str(&encode(secret)),
                Piece::Pair => out.push_str(&encode(pair.unwrap_or_default())),
            }
        }
        Ok(out)
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let mut tail = fill(path, &|s| utf8_percent_encode(s, SEGMENT).to_string())?;
    if let Some(q) = query {
        tail.push('?');
        tail.push_str(&fill(q, &encode_component)?);
    }
    let raw = |s: &str| s.to_string();
    let mut headers = Vec::new();
    for (name, value) in &r.headers {
        headers.push((name.clone(), fill(value, &raw)?));
    }
    if let Some(b) = &r.basic {
        let user = fill(&b.user, &raw)?;
        if user.contains(':') {
            return Err("a basic user name cannot hold `:`".into());
        }
        let both = format!("{user}:{}", fill(&b.password, &raw)?);
        let encoded = base64::engine::general_purpose::STANDARD.encode(both);
        headers.push(("Authorization".into(), format!("Basic {encoded}")));
    }
    let body = if let Some(json) = &r.json {
        let filled = fill_json(json, &|t| fill(t, &raw))?;
        Some(Body::Json(filled.to_string()))
    } else if r.form.is_empty() {
        None
    } else {
        let mut body = Vec::new();
        for (name, value) in &r.form {
            let value = fill(value, &raw)?;
            body.push(format!(
                "{}={}",
                encode_component(name),
                encode_component(&value)
            ));
        }
        Some(Body::Form(body.join("&")))
    };
    let key = match &r.aws_sigv4 {
        Some(a) => Some((a, fill(&a.key_id, &raw)?, fill(&a.secret_key, &raw)?)),
        None => None,
    };
    bases(spec, rule_origin, endpoints)
        .into_iter()
        .map(|(region, base)| {
            let (origin, _) = split_origin(base).ok_or("the endpoint is not an https:// URL")?;
            let url = format!("{base}{tail}");
            let mut headers = headers.clone();
            // A signature covers the host: one per origin asked.
            if let Some((a, id, secret_key)) = &key {
                let scope = (a.service.as_str(), a.region.as_str());
                let signed = (r.method, url.as_str());
                let signature =
                    aws_signature(scope, (id, secret_key), signed, &headers, body.as_ref())?;
                headers.extend(signature);
            }
            Ok(Prepared {
                method: r.method,
                region: region.map(str::to_string),
                origin: origin.to_string(),
                url,
                headers,
                body: body.clone(),
            })
        })
        .collect()
}

/// `v` with each string value filled in as a JSON string: serde_json escapes whatever the
/// secret holds, so it stays one string. Keys are fixed (the rule's check refuses
/// placeholders there).
fn fill_json(
    v: &serde_json::Value,
    fill: &dyn Fn(&str) -> Result<String, String>,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    Ok(match v {
        Value::String(s) => Value::String(fill(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| fill_json(i, fill))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, i)| Ok((k.clone(), fill_json(i, fill)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// The headers of an AWS Signature Version 4 over the request as it will be sent (the body
/// with the content type the client gives it).
#[cfg(feature = "https")]
fn aws_signature(
    scope: (&str, &str),
    key: (&str, &str),
    (method, url): (Method, &str),
    headers: &[(String, String)],
    body: Option<&Body>,
) -> Result<Vec<(String, String)>, String> {
    let mut signed = headers.to_vec();
    if let Some(b) = body {
        signed.push(("content-type".into(), b.content_type().into()));
    }
    let method = format!("{method:?}").to_uppercase();
    let bytes = body.map_or("", Body::text).as_bytes();
    let now = std::time::SystemTime::now();
    super::sigv4::headers(scope, key, &method, url, &signed, bytes, now)
}

#[cfg(not(feature = "https"))]
fn aws_signature(
    _: (&str, &str),
    _: (&str, &str),
    _: (Method, &str),
    _: &[(String, String)],
    _: Option<&Body>,
) -> Result<Vec<(String, String)>, String> {
    Err(super::NO_HTTPS.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> ValidateSyntax {
        let s: ValidateSyntax = serde_saphyr::from_str(yaml).unwrap();
        s.check().unwrap();
        s
    }

    const SPEC: &str = "
provider: example
request:
  url: https://api.example.test/v1/keys/{{secret}}/info?key={{secret}}&x=1
  headers:
    Authorization: Bearer {{secret}}
live: {status: [200]}
inactive: {status: [401]}
responses: {live: {status: 200}, inactive: {status: 401}}
";

    #[test]
    fn the_secret_cannot_move_the_request() {
        let hostile = "a/../b?c=d#e@evil.test:1 &x=%2F";
        let p = prepare(&spec(SPEC), &Credential::single(hostile), &BTreeMap::new())
            .unwrap()
            .remove(0);
        assert_eq!(p.origin, "https://api.example.test");
        assert_eq!(
            p.url,
            "https://api.example.test/v1/keys/a%2F..%2Fb%3Fc%3Dd%23e@evil.test:1%20%26x%3D%252F/info\
             ?key=a%2F..%2Fb%3Fc%3Dd%23e%40evil.test%3A1%20%26x%3D%252F&x=1"
        );
        assert_eq!(
            p.headers,
            [("Authorization".into(), format!("Bearer {hostile}"))]
        );
        assert!(prepare(
            &spec(SPEC),
            &Credential::single("a\r\nHost: evil"),
            &BTreeMap::new()
        )
        .is_err());
    }

    #[test]
    fn an_endpoint_replaces_the_origin_and_keeps_the_path() {
        let endpoints = BTreeMap::from([(
            "example".to_string(),
            "https://127.0.0.1:8443/ghe/api/".to_string(),
        )]);
        let p = prepare(&spec(SPEC), &Credential::single("k"), &endpoints)
            .unwrap()
            .remove(0);
        assert_eq!(p.origin, "https://127.0.0.1:8443");
        assert!(
            p.url
                .starts_with("https://127.0.0.1:8443/ghe/api/v1/keys/k/info?key=k"),
            "{}",
            p.url
        );
        let other = BTreeMap::from([("github".to_string(), "https://x.test".to_string())]);
        assert_eq!(
            prepare(&spec(SPEC), &Credential::single("k"), &other).unwrap()[0].origin,
            "https://api.example.test"
        );
    }

    #[test]
    fn basic_credentials_and_forms() {
        let s = spec(
            "
provider: example
request:
  method: POST
  url: https://api.example.test/check
  basic: {user: api, password: '{{secret}}'}
  form: {token: '{{secret}}', mode: read only}
live: {status: [200]}
inactive: {status: [401]}
responses: {live: {status: 200}, inactive: {status: 401}}
",
        );
        let p = prepare(&s, &Credential::single("k&y=1"), &BTreeMap::new())
            .unwrap()
            .remove(0);
        // base64("api:k&y=1")
        assert_eq!(
            p.headers,
            [("Authorization".into(), "Basic YXBpOmsmeT0x".into())]
        );
        assert_eq!(
            p.body,
            Some(Body::Form("mode=read%20only&token=k%26y%3D1".into()))
        );
    }

    /// A pair's id goes where `{{pair}}` is, encoded like the secret; without one the check
    /// cannot be made, and says why.
    #[test]
    fn the_companion_fills_its_placeholder() {
        let s = spec(
            "
provider: example
request:
  url: https://api.example.test/accounts/{{pair}}.json?sid={{pair}}
  basic: {user: '{{pair}}', password: '{{secret}}'}
live: {status: [200]}
inactive: {status: [401]}
responses: {live: {status: 200}, inactive: {status: 401}}
",
        );
        assert!(s.uses_pair());
        assert!(!spec(SPEC).uses_pair());
        let sent = Credential {
            secret: "s3cr3t".into(),
            pair: Some("AC1/2".into()),
        };
        let p = prepare(&s, &sent, &BTreeMap::new()).unwrap().remove(0);
        assert_eq!(
            p.url,
            "https://api.example.test/accounts/AC1%2F2.json?sid=AC1%2F2"
        );
        // base64("AC1/2:s3cr3t")
        assert_eq!(
            p.headers,
            [("Authorization".into(), "Basic QUMxLzI6czNjcjN0".into())]
        );
        let alone = prepare(&s, &Credential::single("s3cr3t"), &BTreeMap::new()).unwrap_err();
        assert!(alone.contains("needs the id"), "{alone}");
        let colon = Credential {
            pair: Some("a:b".into()),
            ..sent
        };
        assert!(prepare(&s, &colon, &BTreeMap::new())
            .unwrap_err()
            .contains("`:`"));
    }

    /// A GraphQL-style check: the secret lands in the JSON body as one string, whatever
    /// it holds, and the body's shape is the rule's.
    #[test]
    fn a_json_body_holds_the_secret_as_one_string() {
        let s = spec(
            r#"
provider: example
request:
  method: POST
  url: https://api.example.test/graphql
  headers: {Authorization: '{{secret}}'}
  json:
    query: '{ viewer { id } }'
    variables: {token: 'key {{secret}}', ids: ['{{secret}}', 7], strict: true}
live: {status: [200]}
inactive: {status: [401]}
responses: {live: {status: 200}, inactive: {status: 401}}
"#,
        );
        for hostile in [
            r#"k", "query": "mutation { x }"#,
            r#"k\", "a": "b"#,
            "k\\u0022}\n",
            "k}}{{secret",
        ] {
            let hostile = hostile.replace('\n', "");
            let p = prepare(&s, &Credential::single(&hostile), &BTreeMap::new())
                .unwrap()
                .remove(0);
            let body = p.body.unwrap();
            assert_eq!(body.content_type(), "application/json");
            let got: serde_json::Value = serde_json::from_str(body.text()).unwrap();
            let want = serde_json::json!({
                "query": "{ viewer { id } }",
                "variables": {
                    "token": format!("key {hostile}"),
                    "ids": [hostile, 7],
                    "strict": true,
                },
            });
            assert_eq!(got, want, "{hostile}");
        }
    }

    const REGIONAL: &str = "
provider: example
request:
  url: https://api.eu.example.test/v3/me?k={{secret}}
  regions: {us: 'https://api.example.test', eu: 'https://api.eu.example.test', ap: 'https://api.ap.example.test:8443'}
live: {status: [200]}
inactive: {status: [401]}
responses: {live: {status: 200}, inactive: {status: 401}}
";

    /// One request per region, the URL's own first; `PROVIDER.REGION=URL` moves one
    /// region, `PROVIDER=URL` replaces them all with one origin.
    #[test]
    fn regions_are_asked_in_order_and_endpoints_move_them() {
        let s = spec(REGIONAL);
        let urls = |endpoints: &[(&str, &str)]| -> Vec<(Option<String>, String)> {
            let endpoints = endpoints
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            prepare(&s, &Credential::single("k/1"), &endpoints)
                .unwrap()
                .into_iter()
                .map(|p| (p.region, p.url))
                .collect()
        };
        let region = |r: &str| Some(r.to_string());
        assert_eq!(
            urls(&[]),
            [
                (
                    region("eu"),
                    "https://api.eu.example.test/v3/me?k=k%2F1".into()
                ),
                (
                    region("ap"),
                    "https://api.ap.example.test:8443/v3/me?k=k%2F1".into()
                ),
                (
                    region("us"),
                    "https://api.example.test/v3/me?k=k%2F1".into()
                ),
            ]
        );
        assert_eq!(
            urls(&[("example.us", "https://127.0.0.1:9/mock/")])[2],
            (
                region("us"),
                "https://127.0.0.1:9/mock/v3/me?k=k%2F1".into()
            )
        );
        assert_eq!(
            urls(&[
                ("example", "https://mail.corp.test/api"),
                ("example.us", "https://127.0.0.1:9")
            ]),
            [(None, "https://mail.corp.test/api/v3/me?k=k%2F1".into())]
        );
        let p = prepare(&s, &Credential::single("k"), &BTreeMap::new()).unwrap();
        assert_eq!(p[1].origin, "https://api.ap.example.test:8443");
    }
}
