//! A loopback HTTPS server standing in for the issuers in the validation tests: rustls with
//! a certificate from a test CA made at test time (rcgen), listening on 127.0.0.1 only.
//!
//! It counts connections (so a test can assert that none was made), records each request
//! (method, path, headers, body: whole or in chunks) and answers with what the test's handler returns, or
//! misbehaves as the handler asks: never answer, trickle, send without end, close.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the mock received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent (percent-encoded).
    pub target: String,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Everything the client sent, decoded as far as a secret could hide: the target
    /// percent-decoded, headers, basic credentials base64-decoded, and the body.
    pub fn everything(&self) -> String {
        let mut all = percent_decode(&self.target);
        for (n, v) in &self.headers {
            all.push_str(&format!("\n{n}: {v}"));
            if let Some(b) = v.strip_prefix("Basic ") {
                all.push('\n');
                use base64::Engine;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .unwrap_or_default();
                all.push_str(&String::from_utf8_lossy(&decoded));
            }
        }
        all.push('\n');
        all.push_str(&percent_decode(&String::from_utf8_lossy(&self.body)));
        all
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the mock does with a request.
#[allow(dead_code)]
pub enum Answer {
    /// Status, headers, body.
    Plain(u16, Vec<(String, String)>, Vec<u8>),
    /// Never answers (holds the connection for this long).
    Silence(Duration),
    /// Sends a 200 and a JSON body one byte every `Duration`, for ever.
    Trickle(Duration),
    /// Sends a 200 and an endless body as fast as the client reads it.
    Flood,
}

pub fn answer(status: u16, body: &str) -> Answer {
    Answer::Plain(status, Vec::new(), body.as_bytes().to_vec())
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

/// A running mock; it stops when dropped (its threads end with the test process).
pub struct Mock {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<Request>>>,
    /// The test CA's certificate (PEM), for `--validation-ca`.
    pub ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl Mock {
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Mock {
        let dir = tempfile::tempdir().unwrap();
        let (config, ca_pem) = tls_config();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let (connections, requests) = (connections.clone(), requests.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (config, requests, handler) =
                        (config.clone(), requests.clone(), handler.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, config, &requests, &*handler);
                    });
                }
            });
        }
        Mock {
            addr,
            connections,
            requests,
            ca,
            _dir: dir,
        }
    }

    /// `https://127.0.0.1:PORT` and `prefix`.
    pub fn url(&self, prefix: &str) -> String {
        format!("https://{}{prefix}", self.addr)
    }

    pub fn ca_path(&self) -> &Path {
        &self.ca
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// A test CA and a server certificate it signed for 127.0.0.1 and localhost: PEMs of the
/// CA's certificate, the server's certificate and its key.
pub fn test_pki() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "leakguard test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = params.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// A server config for 127.0.0.1 and localhost, and the PEM of the CA that signed it.
fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    use rustls::pki_types::pem::PemObject;
    let (ca, cert, key) = test_pki();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
            rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
        )
        .unwrap();
    (Arc::new(config), ca)
}

fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    requests: &Mutex<Vec<Request>>,
    handler: &Handler,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut reader = BufReader::new(&mut tls);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        // git's POSTs may come in chunks.
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = size.trim().split(';').next().unwrap_or("0");
            let n = usize::from_str_radix(size, 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let len = header("content-length").and_then(|v| v.parse::<usize>().ok());
        body.resize(len.unwrap_or(0), 0);
        reader.read_exact(&mut body)?;
    }
    drop(reader);
    let request = Request {
        method,
        target,
        headers,
        body,
    };
    let what = handler(&request);
    requests.lock().unwrap().push(request);
    match what {
        Answer::Plain(status, headers, body) => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (n, v) in headers {
                head.push_str(&format!("{n}: {v}\r\n"));
            }
            head.push_str("\r\n");
            tls.write_all(head.as_bytes())?;
            tls.write_all(&body)?;
            tls.flush()?;
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
        Answer::Silence(d) => std::thread::sleep(d),
        Answer::Trickle(every) => {
            tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")?;
            loop {
                tls.write_all(b" ")?;
                tls.flush()?;
                std::thread::sleep(every);
            }
        }
        Answer::Flood => {
            tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n{\"a\":\"")?;
            let chunk = vec![b'x'; 64 * 1024];
            loop {
                tls.write_all(&chunk)?;
            }
        }
    }
    Ok(())
}
