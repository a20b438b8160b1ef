//! `scan registry://…` against real registries on loopback: Debian's `docker-registry` (the
//! CNCF distribution registry) over TLS from a test CA, anonymous and behind htpasswd, with
//! images pushed by `skopeo`; and, for Docker's Bearer token flow, a loopback HTTPS mock that
//! serves a layout's blobs only to a token its realm handed out for the right credentials.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{app_image, check_app_image, scan_any, scan_json};
use crate::mock_issuer::{answer, test_pki, Answer, Mock};
use crate::oci::{self, Pack};
use crate::util::Tree;

/// A `docker-registry` on 127.0.0.1 over TLS; stopped when dropped.
struct Registry {
    child: Child,
    port: u16,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Started, with htpasswd Basic auth for `user` when given, and ready; `None` when
    /// the tools are missing and the test is skipped ([`oci::have`]).
    fn start(user: Option<(&str, &str)>) -> Option<Registry> {
        let tools = [
            ("docker-registry", "docker-registry"),
            ("skopeo", "skopeo"),
            ("htpasswd", "apache2-utils"),
        ];
        if !tools.iter().all(|(p, package)| oci::have(p, package)) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (ca, cert, key) = test_pki();
        std::fs::write(d.join("ca.pem"), ca).unwrap();
        std::fs::write(d.join("cert.pem"), cert).unwrap();
        std::fs::write(d.join("key.pem"), key).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {}\n    key: {}\n",
            d.join("data").display(),
            d.join("cert.pem").display(),
            d.join("key.pem").display()
        );
        if let Some((u, p)) = user {
            let out = Command::new("htpasswd")
                .args(["-Bbn", u, p])
                .output()
                .expect("htpasswd (apache2-utils)");
            assert!(out.status.success());
            std::fs::write(d.join("htpasswd"), out.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                d.join("htpasswd").display()
            ));
        }
        std::fs::write(d.join("config.yml"), config).unwrap();
        let child = Command::new("docker-registry")
            .args(["serve"])
            .arg(d.join("config.yml"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(d.join("log")).unwrap())
            .spawn()
            .expect("docker-registry (Debian's docker-registry package)");
        let r = Registry {
            child,
            port,
            ca: d.join("ca.pem"),
            _dir: dir,
        };
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "the registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(r)
    }

    /// Pushes the OCI layout at `layout` (every platform) as `name:tag`.
    fn push(&self, layout: &Path, name: &str, creds: Option<&str>) {
        let mut c = Command::new("skopeo");
        c.args([
            "copy",
            "--all",
            "--insecure-policy",
            "--dest-tls-verify=false",
        ]);
        if let Some(creds) = creds {
            c.args(["--dest-creds", creds]);
        }
        c.arg(format!("oci:{}", layout.display()));
        c.arg(format!("docker://127.0.0.1:{}/{name}", self.port));
        let out = c.output().expect("skopeo");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn reference(&self, name: &str) -> String {
        format!("registry://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_image_pushed_to_a_real_registry_is_scanned_like_its_layout() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let t = Tree::new();
    let manifest = oci::layout(&t.join("layout"), &[app_image(Pack::Gzip)]).remove(0);
    reg.push(&t.join("layout"), "team/app:1", None);
    let image = reg.reference("team/app:1");
    let ca = reg.ca.to_str().unwrap();
    let (code, json, stderr) = scan_json(&t, &[&image, "--registry-ca", ca]);
    assert_eq!(code, 1, "{stderr}");
    check_app_image(&json, &image);

    // By digest: the manifest's bytes are checked against it.
    let by_digest = reg.reference(&format!("team/app@{manifest}"));
    let (code, json, stderr) = scan_json(&t, &[&by_digest, "--registry-ca", ca]);
    assert_eq!(code, 1, "{stderr}");
    check_app_image(&json, &by_digest);
    let other = format!("sha256:{}", "0".repeat(64));
    let (code, _, stderr) = scan_any(
        &t,
        &[
            &reg.reference(&format!("team/app@{other}")),
            "--registry-ca",
            ca,
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    // Without the CA the registry's certificate is not trusted: a clear error, exit 2.
    let (code, _, stderr) = scan_any(&t, &[&image]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{}/team/app", reg.port)),
        "{stderr}"
    );
    // A name the registry does not have.
    let (code, _, stderr) = scan_any(&t, &[&reg.reference("team/none:1"), "--registry-ca", ca]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
}

#[test]
fn a_multi_platform_image_in_a_registry() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let t = Tree::new();
    let mut images = Vec::new();
    for (arch, seed) in [("amd64", 50), ("arm64", 51)] {
        let own = super::env_line(seed);
        let mut image = oci::Image::new(vec![oci::layer(
            "COPY app /app",
            Pack::Zstd,
            &[("app/settings", &own)],
        )]);
        image.arch = arch;
        images.push(image);
    }
    oci::layout(&t.join("multi"), &images);
    reg.push(&t.join("multi"), "team/multi:2", None);
    let image = reg.reference("team/multi:2");
    let ca = reg.ca.to_str().unwrap();
    let (code, json, stderr) = scan_json(&t, &[&image, "--registry-ca", ca]);
    assert_eq!(code, 1, "{stderr}");
    let mut platforms: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("/app/settings"))
        .map(|f| f["image"]["platform"].as_str().unwrap())
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    let (code, json, _) = scan_json(
        &t,
        &[&image, "--registry-ca", ca, "--platform", "linux/amd64"],
    );
    assert_eq!(code, 1);
    assert!(json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["image"]["platform"] == "linux/amd64"));
}

#[test]
fn credentials_come_from_the_environment_or_docker_config_and_are_never_shown() {
    let password = format!("pw-{}", crate::util::synthetic(60, 20, crate::util::ALNUM));
    let Some(reg) = Registry::start(Some(("scanner", &password))) else {
        return;
    };
    let t = Tree::new();
    oci::layout(&t.join("layout"), &[app_image(Pack::Gzip)]);
    reg.push(
        &t.join("layout"),
        "team/app:1",
        Some(&format!("scanner:{password}")),
    );
    let image = reg.reference("team/app:1");
    let ca = reg.ca.to_str().unwrap().to_string();
    let run = |envs: &[(&str, &str)]| {
        let mut c = t.cmd(&["scan", "--format", "json", &image, "--registry-ca", &ca]);
        c.env_remove("LEAKGUARD_REGISTRY_USERNAME")
            .env_remove("LEAKGUARD_REGISTRY_PASSWORD");
        c.env("DOCKER_CONFIG", t.join("no-docker"));
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(&password), "the password in the output");
        (
            out.status.code().unwrap(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // None: the registry's challenge is answered with a clear error.
    let (code, _, stderr) = run(&[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("asks for credentials"), "{stderr}");
    // Wrong ones: refused.
    let (code, _, stderr) = run(&[
        ("LEAKGUARD_REGISTRY_USERNAME", "scanner"),
        ("LEAKGUARD_REGISTRY_PASSWORD", "wrong"),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refused the credentials"), "{stderr}");
    // From the environment.
    let (code, stdout, stderr) = run(&[
        ("LEAKGUARD_REGISTRY_USERNAME", "scanner"),
        ("LEAKGUARD_REGISTRY_PASSWORD", &password),
    ]);
    assert_eq!(code, 1, "{stderr}");
    check_app_image(&serde_json::from_slice(&stdout).unwrap(), &image);
    // From Docker's config.json, as `docker login` writes it.
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("scanner:{password}"));
    let config = serde_json::json!({"auths": {format!("127.0.0.1:{}", reg.port): {"auth": auth}}});
    t.file("docker/config.json", config.to_string());
    let dir = t.join("docker");
    let (code, stdout, stderr) = run(&[("DOCKER_CONFIG", dir.to_str().unwrap())]);
    assert_eq!(code, 1, "{stderr}");
    check_app_image(&serde_json::from_slice(&stdout).unwrap(), &image);
}

/// A registry that wants a Bearer token from its realm (Docker Hub's and GHCR's flow),
/// serving the layout at `layout` as `team/app:1`.
fn bearer_registry(layout: PathBuf, manifest: String, user: &'static str, pass: String) -> Mock {
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    );
    let token = "t0k-for-test";
    let realm = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let r = realm.clone();
    let mock = Mock::start(move |req| {
        let target = req.target.as_str();
        if target.starts_with("/token?") {
            return match req.header("authorization") == Some(basic.as_str()) {
                true => answer(200, &format!("{{\"token\": \"{token}\"}}")),
                false => answer(401, "{}"),
            };
        }
        if req.header("authorization") != Some(&format!("Bearer {token}")) {
            let challenge = format!(
                "Bearer realm=\"{}/token\",service=\"test\",scope=\"repository:team/app:pull\"",
                r.get().unwrap()
            );
            return Answer::Plain(
                401,
                vec![("WWW-Authenticate".into(), challenge)],
                b"{}".to_vec(),
            );
        }
        let blob = |d: &str| std::fs::read(oci::blob_file(&layout, d)).unwrap_or_default();
        match target.strip_prefix("/v2/team/app/") {
            Some("manifests/1") => Answer::Plain(
                200,
                vec![(
                    "Content-Type".into(),
                    "application/vnd.oci.image.manifest.v1+json".into(),
                )],
                blob(&manifest),
            ),
            Some(p) if p.starts_with("blobs/") => {
                Answer::Plain(200, Vec::new(), blob(&p["blobs/".len()..]))
            }
            _ => answer(404, "{}"),
        }
    });
    realm.set(mock.url("")).unwrap();
    mock
}

#[test]
fn a_bearer_token_is_fetched_from_the_realm_with_the_credentials() {
    let t = Tree::new();
    let layout = t.join("layout");
    let manifest = oci::layout(&layout, &[app_image(Pack::Zstd)]).remove(0);
    let pass = crate::util::synthetic(61, 24, crate::util::ALNUM);
    let mock = bearer_registry(layout, manifest, "robot", pass.clone());
    let image = format!("registry://{}/team/app:1", mock.addr);
    let ca = mock.ca_path().to_str().unwrap().to_string();
    let out = t
        .cmd(&["scan", "--format", "json", &image, "--registry-ca", &ca])
        .env("DOCKER_CONFIG", t.join("none"))
        .env("LEAKGUARD_REGISTRY_USERNAME", "robot")
        .env("LEAKGUARD_REGISTRY_PASSWORD", &pass)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_app_image(&json, &image);
    let requests = mock.requests();
    assert!(requests.iter().any(|r| r.target.starts_with("/token?")
        && r.target.contains("scope=repository%3Ateam%2Fapp%3Apull")));
    // Blobs were asked for with the token, never with the password.
    let blobs: Vec<_> = requests
        .iter()
        .filter(|r| r.target.contains("/blobs/"))
        .collect();
    assert!(!blobs.is_empty());
    for r in blobs {
        assert_eq!(r.header("authorization"), Some("Bearer t0k-for-test"));
    }
}

#[test]
fn garbage_from_a_registry_is_an_error_not_a_panic() {
    let t = Tree::new();
    for body in ["not json", "{\"manifests\": 5}", "[]"] {
        let b = body.to_string();
        let mock = Mock::start(move |_| answer(200, &b));
        let image = format!("registry://{}/team/app:1", mock.addr);
        let ca = mock.ca_path().to_str().unwrap().to_string();
        let (code, _, stderr) = scan_any(&t, &[&image, "--registry-ca", &ca]);
        assert_eq!(code, 2, "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains(&format!("cannot read {image}")), "{stderr}");
    }
}
