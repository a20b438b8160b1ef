//! Sending validation requests: reqwest's blocking client over rustls, the stack gix
//! already uses for https clones (one HTTP and TLS stack in the binary).
//!
//! One client per origin, made the first time the origin is asked for: its name is
//! resolved once, every address checked (see [`super::address`]), and the client pinned
//! to those addresses, so a DNS answer cannot change between the check and the connection.

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::request::{prepare, Prepared};
use super::verdict::{combine, judge, Status, Verdict};
use super::{address, Credential, Settings};
use crate::rules::validation::{Method, ValidateSyntax};

/// Sends requests with the run's settings.
pub struct Client {
    settings: Settings,
    roots: Vec<reqwest::Certificate>,
    proxy: Option<reqwest::Proxy>,
    /// The client of each origin, or why there is none (a refused address, say).
    clients: Mutex<HashMap<String, Result<reqwest::blocking::Client, String>>>,
    /// When each host may next be sent a request (the per-host rate limit).
    next: Mutex<HashMap<String, Instant>>,
}

impl Client {
    /// Reads the extra trust roots and the proxy: errors name the file or variable.
    pub fn new(settings: Settings) -> Result<Client> {
        let roots = trust_roots(&settings.ca_files, "--validation-ca")?;
        let proxy = env_proxy()?;
        Ok(Client {
            settings,
            roots,
            proxy,
            clients: Mutex::new(HashMap::new()),
            next: Mutex::new(HashMap::new()),
        })
    }

    /// Checks each `(rule's block, credential)`, `concurrency` at a time; verdicts in order.
    pub fn check_all(&self, items: &[(Arc<ValidateSyntax>, Credential)]) -> Vec<Verdict> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results = Mutex::new(vec![None; items.len()]);
        let workers = self.settings.concurrency.clamp(1, items.len().max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((spec, sent)) = items.get(i) else {
                        break;
                    };
                    let v = self.check(spec, sent);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(v);
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|v| v.unwrap_or_else(|| Verdict::not_checked("not reached")))
            .collect()
    }

    /// One check; every failure is an `unknown` verdict with its reason.
    pub fn check(&self, spec: &ValidateSyntax, sent: &Credential) -> Verdict {
        let mut v = match prepare(spec, sent, &self.settings.endpoints) {
            Ok(requests) => self.ask(spec, &requests, sent),
            Err(reason) => Verdict::unknown(&reason, sent),
        };
        v.checked_at = crate::clock::rfc3339(crate::clock::now_ms());
        v
    }

    /// One request, or each region's in turn until one accepts the key (then the rest are
    /// not asked: the key has been found live).
    fn ask(&self, spec: &ValidateSyntax, requests: &[Prepared], sent: &Credential) -> Verdict {
        let mut said = Vec::new();
        for p in requests {
            let v = self.send(spec, p, sent);
            let Some(region) = &p.region else {
                return v;
            };
            let live = v.status == Status::Live;
            said.push((region.clone(), v));
            if live {
                break;
            }
        }
        combine(said)
    }

    fn send(&self, spec: &ValidateSyntax, p: &Prepared, sent: &Credential) -> Verdict {
        let client = match self.client(&p.origin) {
            Ok(c) => c,
            Err(reason) => return Verdict::unknown(&reason, sent),
        };
        // One retry, when a 429 asks for a wait that fits in the time left. The time a check
        // may take starts once the rate limit lets it go.
        let mut started = None;
        for attempt in 0..2 {
            self.wait_turn(&p.origin);
            let started = *started.get_or_insert_with(Instant::now);
            let mut req = match p.method {
                Method::Get => client.get(&p.url),
                Method::Head => client.head(&p.url),
                Method::Post => client.post(&p.url),
            };
            for (name, value) in &p.headers {
                req = req.header(name, value);
            }
            if let Some(body) = &p.body {
                req = req
                    .header("Content-Type", body.content_type())
                    .body(body.text().to_string());
            }
            let resp = match req.send() {
                Ok(r) => r,
                Err(e) => return Verdict::unknown(&failure(e, self.settings.timeout), sent),
            };
            let status = resp.status().as_u16();
            if status == 429 && attempt == 0 {
                let left = self.settings.timeout.saturating_sub(started.elapsed());
                if let Some(wait) = retry_after(&resp).filter(|w| *w < left) {
                    std::thread::sleep(wait);
                    continue;
                }
            }
            if resp.status().is_redirection() {
                return Verdict::unknown(
                    &format!("HTTP {status}: a redirect to another host, not followed"),
                    sent,
                );
            }
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            return match self.read_body(resp, started) {
                Ok((body, truncated)) => judge(spec, status, &headers, &body, truncated, sent),
                Err(why) => Verdict::unknown(&format!("HTTP {status}: {why}"), sent),
            };
        }
        Verdict::unknown("HTTP 429: rate limited", sent)
    }

    /// Up to `max_body` bytes of the body (and whether there was more), by the deadline:
    /// the client's timeout bounds each read, and a trickle of small reads is cut here.
    fn read_body(
        &self,
        mut resp: reqwest::blocking::Response,
        started: Instant,
    ) -> Result<(Vec<u8>, bool), String> {
        let limit = self.settings.max_body;
        let late = || {
            format!(
                "the answer did not finish within {} s",
                self.settings.timeout.as_secs()
            )
        };
        let mut body = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            if started.elapsed() >= self.settings.timeout {
                return Err(late());
            }
            match resp.read(&mut buf) {
                Ok(0) => return Ok((body, false)),
                Ok(n) => {
                    body.extend_from_slice(&buf[..n]);
                    if body.len() > limit {
                        body.truncate(limit);
                        return Ok((body, true));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::TimedOut
                        || started.elapsed() >= self.settings.timeout =>
                {
                    return Err(late())
                }
                Err(_) => return Err("the answer broke off".into()),
            }
        }
    }

    /// The client for `origin`, made once: its addresses checked and pinned.
    fn client(&self, origin: &str) -> Result<reqwest::blocking::Client, String> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(origin.to_string())
            .or_insert_with(|| self.make_client(origin))
            .clone()
    }

    fn make_client(&self, origin: &str) -> Result<reqwest::blocking::Client, String> {
        let url = reqwest::Url::parse(origin).map_err(|_| format!("{origin} is not a URL"))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("{origin} names no host"))?;
        let port = url.port_or_known_default().unwrap_or(443);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let (addrs, literal): (Vec<SocketAddr>, bool) = match bare.parse::<IpAddr>() {
            Ok(ip) => (vec![SocketAddr::new(ip, port)], true),
            Err(_) => (
                (host, port)
                    .to_socket_addrs()
                    .map_err(|_| format!("cannot resolve {host}"))?
                    .collect(),
                false,
            ),
        };
        if addrs.is_empty() {
            return Err(format!("{host} has no address"));
        }
        if !self.settings.allow_internal {
            if let Some(a) = addrs.iter().find(|a| address::is_internal(a.ip())) {
                return Err(format!(
                    "{host} is {}, an internal address: not contacted (--allow-internal-ips allows it)",
                    a.ip()
                ));
            }
        }
        let same = url.clone();
        let mut b = reqwest::blocking::Client::builder()
            .user_agent(concat!("leakguard/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.settings.connect_timeout)
            .timeout(self.settings.timeout)
            .https_only(true)
            .redirect(reqwest::redirect::Policy::custom(move |a| {
                let u = a.url();
                let home = u.scheme() == same.scheme()
                    && u.host_str() == same.host_str()
                    && u.port_or_known_default() == same.port_or_known_default();
                if home && a.previous().len() < 3 {
                    a.follow()
                } else {
                    a.stop()
                }
            }))
            .tls_certs_merge(self.roots.iter().cloned());
        if !literal {
            b = b.resolve_to_addrs(host, &addrs);
        }
        b = match &self.proxy {
            Some(p) => b.proxy(p.clone()),
            None => b.no_proxy(),
        };
        b.build()
            .map_err(|e| format!("cannot make an HTTPS client: {}", e.without_url()))
    }

    /// Waits until `origin` may be sent another request: at most `per_host_rate` a second.
    fn wait_turn(&self, origin: &str) {
        let gap = Duration::from_secs(1) / self.settings.per_host_rate.max(1);
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = next
                .get(origin)
                .copied()
                .filter(|t| *t > now)
                .unwrap_or(now);
            next.insert(origin.to_string(), slot + gap);
            slot
        };
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }
}

/// The extra trust roots in the PEM files given to `flag` (a private instance's CA, or a
/// corporate proxy's): errors name the flag and the file.
pub fn trust_roots(files: &[std::path::PathBuf], flag: &str) -> Result<Vec<reqwest::Certificate>> {
    let mut roots = Vec::new();
    for file in files {
        let shown = file.display();
        let pem = std::fs::read(file).with_context(|| format!("cannot read {flag} {shown}"))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("{flag} {shown} is not a PEM certificate bundle"))?;
        if certs.is_empty() {
            anyhow::bail!("{flag} {shown} holds no certificate");
        }
        roots.extend(certs);
    }
    Ok(roots)
}

/// The proxy `HTTPS_PROXY` names (with `NO_PROXY`'s exceptions), if any.
pub fn env_proxy() -> Result<Option<reqwest::Proxy>> {
    ["HTTPS_PROXY", "https_proxy"]
        .into_iter()
        .find_map(|v| {
            std::env::var(v)
                .ok()
                .filter(|p| !p.is_empty())
                .map(|p| (v, p))
        })
        .map(|(var, p)| {
            reqwest::Proxy::https(&p)
                .map(|proxy| proxy.no_proxy(reqwest::NoProxy::from_env()))
                .with_context(|| format!("{var} is not a proxy URL"))
        })
        .transpose()
}

/// What went wrong sending, in words (never the URL: it may hold the secret).
fn failure(e: reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs());
    }
    if e.is_connect() {
        return "cannot connect".into();
    }
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// A `Retry-After` in seconds (the date form is not waited for).
fn retry_after(resp: &reqwest::blocking::Response) -> Option<Duration> {
    let v = resp.headers().get("retry-after")?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}
