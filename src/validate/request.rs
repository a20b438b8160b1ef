//! A rule's request, filled in with one secret: pure, so every encoding is tested without a
//! network.
//!
//! The origin (scheme, host, port) comes from the rule or from `--validation-endpoint`,
//! never from the secret: the secret is percent-encoded into the path and query, so `/`,
//! `?`, `#` or `@` in it cannot move the request elsewhere.

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

/// The content type of a `form` body, as the client sends it (and an AWS signature signs it).
pub const FORM_TYPE: &str = "application/x-www-form-urlencoded";

/// `s` percent-encoded as a query or form component.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// One request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub method: Method,
    /// The origin, `https://host[:port]`, and the whole URL.
    pub origin: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// An `application/x-www-form-urlencoded` body.
    pub form: Option<String>,
}

/// `spec` with the secret (and its companion) filled in, sent to `endpoints[provider]` when
/// the user named one. Errors are reasons for an `unknown` verdict (they never hold the
/// secret).
pub fn prepare(
    spec: &ValidateSyntax,
    sent: &Credential,
    endpoints: &BTreeMap<String, String>,
) -> Result<Prepared, String> {
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
    let base = match endpoints.get(&spec.provider) {
        Some(e) => e.trim_end_matches('/'),
        None => rule_origin,
    };
    let (origin, _) = split_origin(base).ok_or("the endpoint is not an https:// URL")?;
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
    let mut url = format!(
        "{base}{}",
        fill(path, &|s| utf8_percent_encode(s, SEGMENT).to_string())?
    );
    if let Some(q) = query {
        url.push('?');
        url.push_str(&fill(q, &encode_component)?);
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
    let form = if r.form.is_empty() {
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
        Some(body.join("&"))
    };
    if let Some(a) = &r.aws_sigv4 {
        let key = (fill(&a.key_id, &raw)?, fill(&a.secret_key, &raw)?);
        let signature = aws_signature(
            (&a.service, &a.region),
            (&key.0, &key.1),
            (r.method, &url),
            &headers,
            form.as_deref(),
        )?;
        headers.extend(signature);
    }
    Ok(Prepared {
        method: r.method,
        origin: origin.to_string(),
        url,
        headers,
        form,
    })
}

/// The headers of an AWS Signature Version 4 over the request as it will be sent (the form
/// body with the content type the client gives it).
#[cfg(feature = "https")]
fn aws_signature(
    scope: (&str, &str),
    key: (&str, &str),
    (method, url): (Method, &str),
    headers: &[(String, String)],
    form: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    let mut signed = headers.to_vec();
    if form.is_some() {
        signed.push(("content-type".into(), FORM_TYPE.into()));
    }
    let method = format!("{method:?}").to_uppercase();
    let body = form.unwrap_or("").as_bytes();
    super::sigv4::headers(
        scope,
        key,
        &method,
        url,
        &signed,
        body,
        std::time::SystemTime::now(),
    )
}

#[cfg(not(feature = "https"))]
fn aws_signature(
    _: (&str, &str),
    _: (&str, &str),
    _: (Method, &str),
    _: &[(String, String)],
    _: Option<&str>,
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
        let p = prepare(&spec(SPEC), &Credential::single(hostile), &BTreeMap::new()).unwrap();
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
        let p = prepare(&spec(SPEC), &Credential::single("k"), &endpoints).unwrap();
        assert_eq!(p.origin, "https://127.0.0.1:8443");
        assert!(
            p.url
                .starts_with("https://127.0.0.1:8443/ghe/api/v1/keys/k/info?key=k"),
            "{}",
            p.url
        );
        let other = BTreeMap::from([("github".to_string(), "https://x.test".to_string())]);
        assert_eq!(
            prepare(&spec(SPEC), &Credential::single("k"), &other)
                .unwrap()
                .origin,
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
        let p = prepare(&s, &Credential::single("k&y=1"), &BTreeMap::new()).unwrap();
        // base64("api:k&y=1")
        assert_eq!(
            p.headers,
            [("Authorization".into(), "Basic YXBpOmsmeT0x".into())]
        );
        assert_eq!(p.form.as_deref(), Some("mode=read%20only&token=k%26y%3D1"));
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
        let p = prepare(&s, &sent, &BTreeMap::new()).unwrap();
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
}
