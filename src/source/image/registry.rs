//! Images in a registry (`registry://HOST[:PORT]/NAME[:TAG|@DIGEST]`), read over the OCI
//! distribution API: `GET /v2/<name>/manifests/<reference>` and `/blobs/<digest>`, over
//! https only. A registry that answers 401 is asked again with what its challenge names:
//! `Basic` credentials, or a `Bearer` token fetched from its realm with them (Docker's token
//! flow). Credentials come from `LEAKGUARD_REGISTRY_USERNAME` and
//! `LEAKGUARD_REGISTRY_PASSWORD`, else from the `auths` of Docker's `config.json`; they are
//! never printed, and never sent to another host than the registry and its token realm.
//! `HTTPS_PROXY` (with `NO_PROXY`) is honoured, and `--registry-ca` adds trust roots.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;

/// The media types asked for: an image index or a manifest, OCI's or Docker's.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// A reference to an image in a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host` or `host:port`.
    pub host: String,
    /// The repository: `team/app`.
    pub name: String,
    /// A tag (`latest` when none is given) or a digest (`sha256:…`).
    pub reference: String,
}

/// The `registry://` reference `s`, checked: a host, a repository name in the distribution
/// spec's alphabet, and a tag or digest.
pub fn parse(s: &str) -> Result<Reference, String> {
    let bad =
        |why: &str| format!("{s} is not a registry://HOST/NAME[:TAG|@DIGEST] reference: {why}");
    let rest = s
        .strip_prefix("registry://")
        .ok_or_else(|| bad("no registry:// scheme"))?;
    let (host, path) = rest.split_once('/').ok_or_else(|| bad("no image name"))?;
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !host_ok {
        return Err(bad("the host is not a host name or address"));
    }
    let (name, reference) = match path.split_once('@') {
        Some((n, d)) => (n, d.to_string()),
        None => match path.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, t.to_string()),
            _ => (path, "latest".to_string()),
        },
    };
    let name_ok = !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
    if !name_ok {
        return Err(bad(
            "the name must be lowercase letters, digits and . _ - /",
        ));
    }
    let tag_ok = |t: &str| {
        !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    if !(tag_ok(&reference) || super::store::blob_path(&reference).is_some()) {
        return Err(bad("the tag or digest is not one"));
    }
    // Docker Hub: `docker.io` is served by `registry-1.docker.io`, and an official image's
    // one-word name is under `library/`.
    let (host, name) = match host {
        "docker.io" | "index.docker.io" | DOCKER_HUB => {
            let name = match name.contains('/') {
                true => name.to_string(),
                false => format!("library/{name}"),
            };
            (DOCKER_HUB.to_string(), name)
        }
        _ => (host.to_string(), name.to_string()),
    };
    Ok(Reference {
        host,
        name,
        reference,
    })
}

/// Docker Hub's registry host.
const DOCKER_HUB: &str = "registry-1.docker.io";

/// A registry's repository, with the authorisation it asked for once it asked.
pub struct Registry {
    client: reqwest::blocking::Client,
    base: String,
    pub at: Reference,
    credentials: Option<(String, String)>,
    /// The `Authorization` header the registry accepted (or asked for) last.
    auth: Mutex<Option<String>>,
}

impl Registry {
    /// A client for `at`, trusting the extra roots in `ca_files` too.
    pub fn new(at: Reference, ca_files: &[PathBuf]) -> Result<Registry, String> {
        use crate::validate::http::{env_proxy, trust_roots};
        let roots = trust_roots(ca_files, "--registry-ca").map_err(|e| format!("{e:#}"))?;
        let b = reqwest::blocking::Client::builder()
            .user_agent(concat!("leakguard/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .https_only(true)
            .tls_certs_merge(roots);
        // A corporate proxy, as for validation and forge listings.
        let b = match env_proxy().map_err(|e| format!("{e:#}"))? {
            Some(p) => b.proxy(p),
            None => b.no_proxy(),
        };
        let client = b
            .build()
            .map_err(|e| format!("cannot make an HTTPS client: {}", e.without_url()))?;
        let credentials = credentials(&at.host);
        Ok(Registry {
            client,
            base: format!("https://{}/v2/{}", at.host, at.name),
            at,
            credentials,
            auth: Mutex::new(None),
        })
    }

    /// The document the reference names (an index or a manifest), and its digest when the
    /// reference is one (a tag's document is believed as served).
    pub fn top(&self) -> io::Result<Vec<u8>> {
        let r = self.at.reference.clone();
        self.manifest(&r)
    }

    /// A manifest or index by tag or digest.
    pub fn manifest(&self, reference: &str) -> io::Result<Vec<u8>> {
        let url = format!("{}/manifests/{reference}", self.base);
        let mut r = self.get(&url, Some(ACCEPT), Duration::from_secs(60))?;
        let mut out = Vec::new();
        (&mut r)
            .take(super::store::MAX_DOCUMENT + 1)
            .read_to_end(&mut out)?;
        if out.len() as u64 > super::store::MAX_DOCUMENT {
            return Err(io::Error::other(format!(
                "manifest {reference} is over {} MiB",
                super::store::MAX_DOCUMENT >> 20
            )));
        }
        Ok(out)
    }

    /// A blob, streamed, and its size when the registry says it.
    pub fn blob(&self, digest: &str, size: Option<u64>) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let url = format!("{}/blobs/{digest}", self.base);
        // A layer may be gigabytes: a minute, plus a second for each MiB.
        let time = Duration::from_secs(60 + size.unwrap_or(0) / (1 << 20));
        let r = self.get(&url, None, time)?;
        let len = r.content_length().or(size).unwrap_or(0);
        Ok((Box::new(r), len))
    }

    /// GET `url`; on a 401, once more with what the registry's challenge asks for.
    fn get(
        &self,
        url: &str,
        accept: Option<&str>,
        time: Duration,
    ) -> io::Result<reqwest::blocking::Response> {
        for attempt in 0..2 {
            let mut req = self.client.get(url).timeout(time);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            let auth = self.auth.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(h) = auth {
                req = req.header("Authorization", h);
            }
            let r = req
                .send()
                .map_err(|e| io::Error::other(self.failed(url, e)))?;
            let status = r.status();
            if status.is_success() {
                return Ok(r);
            }
            if status.as_u16() == 401 && attempt == 0 {
                let challenge = r
                    .headers()
                    .get("WWW-Authenticate")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let header = self.authorize(&challenge).map_err(io::Error::other)?;
                *self.auth.lock().unwrap_or_else(|e| e.into_inner()) = Some(header);
                continue;
            }
            let what = self.shown(url);
            return Err(match status.as_u16() {
                401 | 403 => io::Error::other(format!(
                    "{what}: HTTP {status}: the registry refused the credentials (set LEAKGUARD_REGISTRY_USERNAME and LEAKGUARD_REGISTRY_PASSWORD, or log in with `docker login {}`)",
                    self.at.host
                )),
                404 => io::Error::new(io::ErrorKind::NotFound, format!("{what}: HTTP 404: not in the registry")),
                _ => io::Error::other(format!("{what}: HTTP {status}")),
            });
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// The `Authorization` header a 401's challenge asks for.
    fn authorize(&self, challenge: &str) -> Result<String, String> {
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        let basic = || {
            let (user, pass) = self.credentials.as_ref().ok_or_else(|| {
                format!(
                    "{} asks for credentials: set LEAKGUARD_REGISTRY_USERNAME and LEAKGUARD_REGISTRY_PASSWORD, or log in with `docker login {}`",
                    self.at.host, self.at.host
                )
            })?;
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            Ok::<String, String>(format!("Basic {pair}"))
        };
        if scheme.eq_ignore_ascii_case("basic") {
            return basic();
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(format!(
                "{} asks for an unknown authorisation scheme {scheme:?}",
                self.at.host
            ));
        }
        let params = challenge_params(params);
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let realm = get("realm")
            .ok_or_else(|| format!("{}'s Bearer challenge names no realm", self.at.host))?;
        let mut url = reqwest::Url::parse(realm)
            .map_err(|_| format!("{}'s token realm is not a URL", self.at.host))?;
        if url.scheme() != "https" {
            return Err(format!(
                "{}'s token realm is not https: credentials are not sent there",
                self.at.host
            ));
        }
        {
            let mut q = url.query_pairs_mut();
            for k in ["service", "scope"] {
                if let Some(v) = get(k) {
                    q.append_pair(k, v);
                }
            }
        }
        let mut req = self.client.get(url);
        if self.credentials.is_some() {
            req = req.header("Authorization", basic()?);
        }
        let r = req
            .send()
            .map_err(|e| format!("the token realm of {}: {}", self.at.host, e.without_url()))?;
        if !r.status().is_success() {
            return Err(format!(
                "the token realm of {} answered HTTP {}",
                self.at.host,
                r.status()
            ));
        }
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let mut body = Vec::new();
        r.take(1 << 20)
            .read_to_end(&mut body)
            .map_err(|e| e.to_string())?;
        let t: Token = serde_json::from_slice(&body).map_err(|_| {
            format!(
                "the token realm of {} answered something that is not a token",
                self.at.host
            )
        })?;
        let token = t
            .token
            .or(t.access_token)
            .ok_or_else(|| format!("the token realm of {} gave no token", self.at.host))?;
        Ok(format!("Bearer {token}"))
    }

    /// A URL as messages show it: the path below the registry's repository.
    fn shown(&self, url: &str) -> String {
        let path = url.strip_prefix(&self.base).unwrap_or(url);
        format!("{}/{}{path}", self.at.host, self.at.name)
    }

    fn failed(&self, url: &str, e: reqwest::Error) -> String {
        format!("{}: {}", self.shown(url), e.without_url())
    }
}

/// `realm="https://…",service="x",scope="repository:a:pull"` as pairs.
fn challenge_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while let Some((k, after)) = rest.split_once('=') {
        let k = k.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (v, next) = match after.strip_prefix('"') {
            Some(q) => match q.find('"') {
                Some(end) => (q[..end].to_string(), &q[end + 1..]),
                None => (q.to_string(), ""),
            },
            None => match after.find(',') {
                Some(end) => (after[..end].to_string(), &after[end..]),
                None => (after.to_string(), ""),
            },
        };
        out.push((k, v));
        rest = next.trim_start().trim_start_matches(',');
    }
    out
}

/// The user name and password for `host`: the environment's, else Docker's config.
fn credentials(host: &str) -> Option<(String, String)> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(u), Some(p)) = (
        env("LEAKGUARD_REGISTRY_USERNAME"),
        env("LEAKGUARD_REGISTRY_PASSWORD"),
    ) {
        return Some((u, p));
    }
    let dir = env("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".docker")))?;
    let text = std::fs::read(dir.join("config.json")).ok()?;
    docker_auth(&text, host)
}

/// `host`'s entry in a Docker `config.json`'s `auths`: `auth` (base64 `user:password`), or
/// `username` and `password`. Keys may be written as URLs (`https://host/v1/`).
fn docker_auth(config: &[u8], host: &str) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(config).ok()?;
    let auths = v.get("auths")?.as_object()?;
    // `docker login` files Docker Hub's credentials under `https://index.docker.io/v1/`.
    let host = match host {
        DOCKER_HUB => "index.docker.io",
        h => h,
    };
    let entry = auths.iter().find_map(|(k, e)| {
        let k = k
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let k = k.split('/').next().unwrap_or(k);
        (k == host).then_some(e)
    })?;
    if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (u, p) = text.split_once(':')?;
        return Some((u.to_string(), p.to_string()));
    }
    let u = entry.get("username")?.as_str()?;
    let p = entry.get("password")?.as_str()?;
    Some((u.to_string(), p.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = parse("registry://127.0.0.1:5000/team/app:1.2").unwrap();
        assert_eq!(
            (r.host.as_str(), r.name.as_str(), r.reference.as_str()),
            ("127.0.0.1:5000", "team/app", "1.2")
        );
        assert_eq!(
            parse("registry://ghcr.io/org/app").unwrap().reference,
            "latest"
        );
        let hub = parse("registry://docker.io/alpine:3").unwrap();
        assert_eq!(
            (hub.host.as_str(), hub.name.as_str()),
            (DOCKER_HUB, "library/alpine")
        );
        assert_eq!(
            parse("registry://docker.io/acme/app").unwrap().name,
            "acme/app"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            parse(&format!("registry://r.example/app@{d}"))
                .unwrap()
                .reference,
            d
        );
        for bad in [
            "registry://host",
            "registry:///app",
            "registry://host/App",
            "registry://host/app:bad/tag",
            "registry://ho st/app",
            "registry://host/app@sha256:../x",
            "docker://host/app",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn challenges() {
        let p = challenge_params(
            r#"realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[2], ("scope".into(), "repository:a/b:pull".into()));
        assert_eq!(challenge_params("realm=x, service=y").len(), 2);
    }

    #[test]
    fn docker_config_auths() {
        // `docker login` writes base64 `user:password` (a password may hold colons).
        let auth = base64::engine::general_purpose::STANDARD.encode("user:pa:ss");
        let cfg = serde_json::json!({"auths": {
            "https://r.example/v1/": {"auth": auth},
            "other": {"username": "u", "password": "p"},
        }})
        .to_string();
        let cfg = cfg.as_bytes();
        assert_eq!(
            docker_auth(cfg, "r.example"),
            Some(("user".into(), "pa:ss".into()))
        );
        assert_eq!(docker_auth(cfg, "other"), Some(("u".into(), "p".into())));
        assert_eq!(docker_auth(cfg, "nope"), None);
        let pair = base64::engine::general_purpose::STANDARD.encode("me:pw");
        let hub = serde_json::json!({"auths": {"https://index.docker.io/v1/": {"auth": pair}}});
        let hub = hub.to_string();
        assert_eq!(
            docker_auth(hub.as_bytes(), DOCKER_HUB),
            Some(("me".into(), "pw".into()))
        );
        assert_eq!(docker_auth(b"garbage", "r.example"), None);
    }
}
