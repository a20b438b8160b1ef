//! Validation against a loopback HTTPS mock of the issuers (`mock_issuer`): every rule with
//! a `validate:` block, live and dead, through the real binary; and the safety defaults:
//! internal addresses refused, no redirect followed elsewhere, timeouts, floods, trickles,
//! rate limits and echoes all ending in `unknown` with the secret in no output.
//!
//! They need the `https` feature (CI's second test pass); without it, `validate` must say so.

use crate::util::leakguard;

/// What a `leakguard validate` run printed.
#[derive(Debug)]
#[allow(dead_code)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `leakguard validate ARGS` with `secret` on standard input.
fn validate(args: &[&str], secret: &str) -> Run {
    let out = leakguard()
        .arg("validate")
        .args(args)
        .arg("--no-config")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .write_stdin(format!("{secret}\n"))
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    run
}

#[cfg(not(feature = "https"))]
#[test]
fn without_the_https_feature_validate_says_which_build_has_it() {
    let r = validate(&["--rule", "github-pat"], "ghp_EXAMPLE");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("`https` feature"), "{r:?}");
    assert!(!r.stderr.contains("ghp_EXAMPLE"), "{r:?}");
}

#[test]
fn the_secret_comes_from_standard_input_only() {
    let r = validate(&["--rule", "github-pat"], "");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no secret on standard input"), "{r:?}");
    let r = validate(&["--rule", "no-such-rule"], "x");
    assert!(r.stderr.contains("no rule `no-such-rule`"), "{r:?}");
    let r = validate(&["--rule", "melonly-api-token"], "x");
    assert!(r.stderr.contains("has no check"), "{r:?}");
    // There is no argument to put it in.
    let r = validate(&["--rule", "github-pat", "ghp_EXAMPLE"], "");
    assert_eq!(r.code, 2, "{r:?}");
}

#[cfg(feature = "https")]
mod https {
    use std::time::{Duration, Instant};

    use super::{validate, Run};
    use crate::mock_issuer::{answer, Answer, Mock, Request};
    use leakguard::rules::validation::Response;
    use leakguard::rules::RuleSet;

    /// `--validation-endpoint PROVIDER=<mock>/PROVIDER`, trusting the mock's CA, loopback
    /// allowed, and `extra`.
    fn against(mock: &Mock, provider: &str, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            "--validation-endpoint".to_string(),
            format!("{provider}={}", mock.url(&format!("/{provider}"))),
            "--validation-ca".to_string(),
            mock.ca_path().display().to_string(),
            "--allow-internal-ips".to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    fn run(rule: &str, args: &[String], secret: &str) -> Run {
        let mut all: Vec<&str> = vec!["--rule", rule, "--format", "json"];
        all.extend(args.iter().map(String::as_str));
        validate(&all, secret)
    }

    fn json(r: &Run) -> serde_json::Value {
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
    }

    fn documented(r: &Response) -> Answer {
        let headers = r
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        Answer::Plain(r.status, headers, r.body.as_bytes().to_vec())
    }

    /// The secret a dead key stands for in [`every_validating_rule_reads_its_issuers_answers`].
    const DEAD: &str = "EXAMPLE-revoked-0000";

    /// A rule's JSON body with `{{secret}}` filled in, as the issuer should receive it.
    fn filled(v: &serde_json::Value, secret: &str) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => Value::String(s.replace("{{secret}}", secret)),
            Value::Array(items) => Value::Array(items.iter().map(|i| filled(i, secret)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, i)| (k.clone(), filled(i, secret)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Every built-in rule that validates, against its issuer's documented answers: the
    /// live secret reads as live (exit 1) and the dead one as inactive (exit 0). The mock
    /// answers "live" only when the live secret reached it, in the rule's path, so the test
    /// also proves where the secret was sent.
    #[test]
    fn every_validating_rule_reads_its_issuers_answers() {
        let rules = RuleSet::load_builtin(None).unwrap();
        let validating: Vec<_> = rules
            .rules
            .iter()
            .filter(|r| r.validate.is_some())
            .collect();
        assert!(validating.len() >= 30, "{}", validating.len());
        let mut providers = std::collections::BTreeSet::new();
        for rule in validating {
            let spec = rule.validate.as_ref().unwrap().spec();
            providers.insert(spec.provider.clone());
            let live_secret = format!("EXAMPLE-live-{}-0000", rule.id);
            // A paired check also needs the id, on stdin's second line; the mock says live
            // only when both reached it.
            let pair_id = spec.uses_pair().then(|| "EXAMPLEpairID0000".to_string());
            let stdin = |secret: &str| match &pair_id {
                Some(id) => format!("{secret}\n{id}"),
                None => secret.to_string(),
            };
            let (path, _) = leakguard::rules::validation::split_origin(&spec.request.url)
                .map(|(_, rest)| rest.split_once('?').unwrap_or((rest, "")))
                .unwrap();
            let prefix = format!("/{}", spec.provider);
            let expected_path = path.replace("{{secret}}", "").replace("{{pair}}", "");
            let live_answer = spec.responses.live.clone();
            let dead_answer = spec.responses.inactive.clone();
            let (secret, id) = (live_secret.clone(), pair_id.clone());
            let sigv4 = spec.request.aws_sigv4.clone();
            let body = spec.request.json.clone();
            let mock = Mock::start(move |req: &Request| {
                assert!(req.target.starts_with(&prefix), "{}", req.target);
                let all = req.everything();
                // A signed request never carries its secret key: it must sign with it.
                let reached = match &sigv4 {
                    Some(a) => signed_with(req, (&a.service, &a.region), &secret),
                    None => all.contains(&secret),
                };
                let live = reached && id.as_ref().is_none_or(|id| all.contains(id));
                // A JSON body arrives as the rule writes it, the secret in its place.
                if let Some(body) = &body {
                    assert_eq!(req.header("content-type"), Some("application/json"));
                    let got: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
                    let sent = if live { secret.as_str() } else { DEAD };
                    assert_eq!(got, filled(body, sent));
                }
                if live {
                    documented(&live_answer)
                } else {
                    documented(&dead_answer)
                }
            });
            let args = against(&mock, &spec.provider, &[]);
            let live = run(&rule.id, &args, &stdin(&live_secret));
            assert_eq!(live.code, 1, "{}: {live:?}", rule.id);
            assert_eq!(json(&live)["validation"]["status"], "live", "{}", rule.id);
            let dead = run(&rule.id, &args, &stdin(DEAD));
            assert_eq!(dead.code, 0, "{}: {dead:?}", rule.id);
            assert_eq!(
                json(&dead)["validation"]["status"],
                "inactive",
                "{}",
                rule.id
            );
            let requests = mock.requests();
            assert_eq!(requests.len(), 2, "{}", rule.id);
            for req in &requests {
                let method = format!("{:?}", spec.request.method).to_uppercase();
                assert_eq!(req.method, method, "{}", rule.id);
                let ua = req.header("user-agent").unwrap_or("");
                assert!(ua.starts_with("leakguard/"), "{ua}");
                // The path is the rule's, under the endpoint's prefix (the secret aside).
                let sent = req.target.split('?').next().unwrap();
                let fixed: Vec<&str> = expected_path.split('/').filter(|s| !s.is_empty()).collect();
                for part in fixed {
                    assert!(sent.contains(part), "{}: {sent} lacks {part}", rule.id);
                }
            }
            for out in [&live.stdout, &live.stderr] {
                assert!(!out.contains(&live_secret), "{}: {out}", rule.id);
                if let Some(id) = &pair_id {
                    assert!(!out.contains(id.as_str()), "{}: {out}", rule.id);
                }
            }
        }
        assert!(providers.len() >= 18, "{providers:?}");
    }

    /// Whether `req` carries an AWS Signature Version 4 made with `secret_key` (recomputed
    /// with AWS's signer over what arrived, at the time it says it was signed).
    fn signed_with(req: &Request, (service, region): (&str, &str), secret_key: &str) -> bool {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        let (Some(auth), Some(date), Some(host)) = (
            req.header("authorization"),
            req.header("x-amz-date"),
            req.header("host"),
        ) else {
            return false;
        };
        let Some(key_id) = auth
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').next())
        else {
            return false;
        };
        // `20261207T140000Z`: days from the civil date, then the time of day.
        let n = |r: std::ops::Range<usize>| date.get(r).and_then(|d| d.parse::<i64>().ok());
        let (Some(y), Some(m), Some(d), Some(hh), Some(mm), Some(ss)) =
            (n(0..4), n(4..6), n(6..8), n(9..11), n(11..13), n(13..15))
        else {
            return false;
        };
        let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
        let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + d - 1 - 719_468;
        let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
        let identity =
            aws_credential_types::Credentials::new(key_id, secret_key, None, None, "test").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let url = format!("https://{host}{}", req.target);
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .filter(|(n, _)| n == "content-type")
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let method = req.method.as_str();
        let signable = SignableRequest::new(
            method,
            &url,
            headers.into_iter(),
            SignableBody::Bytes(&req.body),
        )
        .unwrap();
        let (want, _) = sign(signable, &params).unwrap().into_parts();
        let signed = want
            .headers()
            .any(|(n, v)| n == "authorization" && v == auth);
        signed
    }

    /// The GitHub check with `handler` answering; returns the run and the mock.
    fn github(
        handler: impl Fn(&Request) -> Answer + Send + Sync + 'static,
        extra: &[&str],
    ) -> (Run, Mock) {
        check("github-pat", "github", handler, extra)
    }

    fn check(
        rule: &str,
        provider: &str,
        handler: impl Fn(&Request) -> Answer + Send + Sync + 'static,
        extra: &[&str],
    ) -> (Run, Mock) {
        let mock = Mock::start(handler);
        let args = against(&mock, provider, extra);
        let r = run(rule, &args, SECRET);
        (r, mock)
    }

    const SECRET: &str = "ghp_EXAMPLEvalidationSECRET000000000000";

    fn unknown(r: &Run, reason: &str) {
        assert_eq!(r.code, 2, "{r:?}");
        let v = json(r);
        assert_eq!(v["validation"]["status"], "unknown", "{r:?}");
        let got = v["validation"]["reason"].as_str().unwrap();
        assert!(got.contains(reason), "{got:?} lacks {reason:?}");
        assert!(
            !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
            "{r:?}"
        );
    }

    #[test]
    fn loopback_is_refused_without_allow_internal_ips_and_nothing_connects() {
        let mock = Mock::start(|_: &Request| answer(200, "{}"));
        let endpoint = format!("github={}", mock.url("/github"));
        let ca = mock.ca_path().display().to_string();
        let r = validate(
            &[
                "--rule",
                "github-pat",
                "--format",
                "json",
                "--validation-endpoint",
                &endpoint,
                "--validation-ca",
                &ca,
            ],
            SECRET,
        );
        unknown(&r, "internal address");
        assert_eq!(mock.connections(), 0);
    }

    #[test]
    fn a_redirect_to_another_host_is_not_followed() {
        let elsewhere = Mock::start(|_: &Request| answer(200, "{}"));
        let to = elsewhere.url("/steal");
        let (r, mock) = github(
            move |_: &Request| {
                Answer::Plain(302, vec![("Location".into(), to.clone())], Vec::new())
            },
            &[],
        );
        unknown(&r, "redirect");
        assert_eq!(mock.requests().len(), 1);
        assert_eq!(elsewhere.connections(), 0);
    }

    #[test]
    fn failures_of_the_endpoint_are_unknown_with_a_reason() {
        for (answer_with, reason) in [
            (answer(500, "oops"), "HTTP 500"),
            (answer(503, ""), "HTTP 503"),
            (answer(404, "{}"), "neither"),
            (answer(429, ""), "HTTP 429"),
        ] {
            let once = std::sync::Mutex::new(Some(answer_with));
            let (r, _) = github(
                move |_: &Request| {
                    once.lock()
                        .unwrap()
                        .take()
                        .unwrap_or_else(|| answer(500, ""))
                },
                &[],
            );
            unknown(&r, reason);
        }
    }

    /// Slack answers 200 either way; its JSON tells. Garbage in a 200 is not `live`.
    #[test]
    fn an_answer_that_is_not_the_documented_json_is_unknown() {
        for body in ["<html>not json</html>", r#"{"ok": "yes"}"#, "{\"ok\": tr"] {
            let body = body.to_string();
            let (r, _) = check(
                "slack-bot-token",
                "slack",
                move |_: &Request| answer(200, &body),
                &[],
            );
            unknown(&r, "neither");
        }
    }

    #[test]
    fn a_429_with_a_short_retry_after_is_tried_again() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let (r, mock) = github(
            move |_: &Request| {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    Answer::Plain(429, vec![("Retry-After".into(), "1".into())], Vec::new())
                } else {
                    answer(200, r#"{"login": "octo"}"#)
                }
            },
            &[],
        );
        assert_eq!(r.code, 1, "{r:?}");
        assert_eq!(mock.requests().len(), 2);
    }

    /// Silence, a trickle and a flood: each ends in `unknown` within the timeout.
    #[test]
    fn slow_and_endless_answers_end_within_the_timeout() {
        for (misbehave, reason) in [
            (Answer::Silence(Duration::from_secs(20)), "within 2 s"),
            (Answer::Trickle(Duration::from_millis(100)), "within 2 s"),
        ] {
            let once = std::sync::Mutex::new(Some(misbehave));
            let started = Instant::now();
            let (r, _) = github(
                move |_: &Request| {
                    once.lock()
                        .unwrap()
                        .take()
                        .unwrap_or_else(|| answer(500, ""))
                },
                &["--validation-timeout", "2"],
            );
            unknown(&r, reason);
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{:?}",
                started.elapsed()
            );
        }
        let (r, _) = github(|_: &Request| Answer::Flood, &["--validation-timeout", "20"]);
        unknown(&r, "too large");
    }

    #[test]
    fn an_echoed_secret_reaches_no_output() {
        let (r, _) = github(
            |req: &Request| {
                let auth = req.header("authorization").unwrap_or("").to_string();
                Answer::Plain(
                    200,
                    vec![("X-OAuth-Scopes".into(), auth.clone())],
                    format!(r#"{{"login": "{auth}"}}"#).into_bytes(),
                )
            },
            &[],
        );
        assert_eq!(r.code, 1, "{r:?}");
        assert!(!r.stdout.contains(SECRET), "{r:?}");
        let v = json(&r);
        assert_eq!(v["validation"]["details"]["login"], "Bearer [secret]");
        assert_eq!(v["validation"]["details"]["scopes"], "Bearer [secret]");
        // And in text.
        let mock = Mock::start(|req: &Request| {
            answer(
                200,
                &format!(
                    r#"{{"login": "{}"}}"#,
                    req.header("authorization").unwrap_or("")
                ),
            )
        });
        let mut args: Vec<String> = vec!["--rule".into(), "github-pat".into()];
        args.extend(against(&mock, "github", &[]));
        let all: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = validate(&all, SECRET);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stdout.starts_with("github-pat: live"), "{r:?}");
        assert!(r.stdout.contains("login: Bearer [secret]"), "{r:?}");
        assert!(!r.stdout.contains(SECRET), "{r:?}");
    }

    #[test]
    fn a_bad_ca_file_or_endpoint_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("ca.pem");
        std::fs::write(&bad, "not a certificate").unwrap();
        let shown = bad.display().to_string();
        let r = validate(&["--rule", "github-pat", "--validation-ca", &shown], SECRET);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains(&shown), "{r:?}");
        for endpoint in [
            "github",
            "github=http://127.0.0.1:1",
            "github=https://u:p@h.test",
            "github=https://h.test/?q",
        ] {
            let r = validate(
                &["--rule", "github-pat", "--validation-endpoint", endpoint],
                SECRET,
            );
            assert_eq!(r.code, 2, "{endpoint}: {r:?}");
            assert!(r.stderr.contains("--validation-endpoint"), "{r:?}");
        }
    }

    /// A GraphQL-style check from a config rule: the key goes into the JSON body as one
    /// string, so a key holding `"` or `\` cannot add a field or end the query.
    #[test]
    fn a_json_body_carries_a_hostile_secret_as_one_string() {
        const CONFIG: &str = r#"rules:
  - id: graphco-key
    description: Graphco API key
    severity: medium
    keywords: [gco_]
    regex: '\b(gco_[a-z0-9]{24})\b'
    validate:
      provider: graphco
      request:
        method: POST
        url: https://api.graphco.test/graphql
        headers: {Authorization: '{{secret}}'}
        json:
          query: 'query($k: String!) { key(value: $k) { owner } }'
          variables: {k: '{{secret}}'}
      live: {status: [200], json: {/data/key/owner: acme}}
      inactive: {status: [401]}
      details: {owner: 'json:/data/key/owner'}
      responses:
        live: {status: 200, body: '{"data": {"key": {"owner": "acme"}}}'}
        inactive: {status: 401, body: '{"errors": [{"message": "not authenticated"}]}'}
"#;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yaml");
        std::fs::write(&config, CONFIG).unwrap();
        let hostile = r#"gco_EXAMPLE"}, "query": "mutation { drop }", "x": "\"#;
        let mock = Mock::start(move |req: &Request| {
            let body: serde_json::Value =
                serde_json::from_slice(&req.body).unwrap_or(serde_json::Value::Null);
            let want = serde_json::json!({
                "query": "query($k: String!) { key(value: $k) { owner } }",
                "variables": {"k": hostile},
            });
            let json = req.header("content-type") == Some("application/json");
            if json && body == want && req.header("authorization") == Some(hostile) {
                answer(200, r#"{"data": {"key": {"owner": "acme"}}}"#)
            } else {
                answer(401, "{}")
            }
        });
        let mut args = vec![
            "validate".to_string(),
            "--rule".into(),
            "graphco-key".into(),
            "--format".into(),
            "json".into(),
            "--config".into(),
            config.display().to_string(),
        ];
        args.extend(against(&mock, "graphco", &[]));
        let out = crate::util::leakguard()
            .args(&args)
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .write_stdin(format!("{hostile}\n"))
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_eq!(r.code, 1, "{r:?}");
        let v = json(&r);
        assert_eq!(v["validation"]["status"], "live", "{r:?}");
        assert_eq!(v["validation"]["details"]["owner"], "acme");
        assert_eq!(mock.requests().len(), 1);
        assert!(!r.stdout.contains(hostile) && !r.stderr.contains(hostile));
    }

    /// Mailgun's check with its US and EU regions on two mocks; returns the run and the
    /// mocks (US, EU).
    fn mailgun(
        us: impl Fn(&Request) -> Answer + Send + Sync + 'static,
        eu: impl Fn(&Request) -> Answer + Send + Sync + 'static,
        extra: &[&str],
    ) -> (Run, Mock, Mock) {
        let (us, eu) = (Mock::start(us), Mock::start(eu));
        let ca = tempfile::NamedTempFile::new().unwrap();
        let pems = [us.ca_path(), eu.ca_path()].map(|p| std::fs::read_to_string(p).unwrap());
        std::fs::write(ca.path(), pems.concat()).unwrap();
        let mut args = vec![
            "--validation-endpoint".to_string(),
            format!("mailgun.us={}", us.url("/us")),
            "--validation-endpoint".to_string(),
            format!("mailgun.eu={}", eu.url("/eu")),
            "--validation-ca".to_string(),
            ca.path().display().to_string(),
            "--allow-internal-ips".to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let r = run("mailgun-api-key", &args, MAILGUN_KEY);
        (r, us, eu)
    }

    /// A synthetic key in Mailgun's three-part shape.
    const MAILGUN_KEY: &str = "0123456789abcdef0123456789abcdef-01234567-89abcdef";

    /// A region's answer to a key that is not its own (Mailgun's documented 401).
    fn refuse(_: &Request) -> Answer {
        answer(401, "Forbidden")
    }

    fn accept(req: &Request) -> Answer {
        assert!(req.everything().contains(&format!("api:{MAILGUN_KEY}")));
        assert!(req.target.contains("/v4/domains"), "{}", req.target);
        answer(200, r#"{"total_count": 2, "items": []}"#)
    }

    /// A key of the second region asked: live, with the region; a key of the first: the
    /// second is never asked.
    #[test]
    fn a_region_bound_key_is_live_in_its_own_region() {
        let (r, us, eu) = mailgun(refuse, accept, &[]);
        assert_eq!(r.code, 1, "{r:?}");
        let v = json(&r);
        assert_eq!(v["validation"]["status"], "live", "{r:?}");
        assert_eq!(v["validation"]["details"]["region"], "eu");
        assert_eq!(v["validation"]["details"]["domains"], "2");
        assert_eq!((us.requests().len(), eu.requests().len()), (1, 1));
        assert!(!r.stdout.contains(MAILGUN_KEY) && !r.stderr.contains(MAILGUN_KEY));

        let (r, us, eu) = mailgun(accept, refuse, &[]);
        assert_eq!(r.code, 1, "{r:?}");
        assert_eq!(json(&r)["validation"]["details"]["region"], "us");
        assert_eq!((us.requests().len(), eu.connections()), (1, 0));
    }

    #[test]
    fn a_key_every_region_refuses_is_inactive() {
        let (r, us, eu) = mailgun(refuse, refuse, &[]);
        assert_eq!(r.code, 0, "{r:?}");
        let v = json(&r);
        assert_eq!(v["validation"]["status"], "inactive", "{r:?}");
        let reason = v["validation"]["reason"].as_str().unwrap();
        assert!(reason.contains("refused in every region"), "{reason}");
        assert!(reason.contains("us: HTTP 401") && reason.contains("eu: HTTP 401"));
        assert_eq!((us.requests().len(), eu.requests().len()), (1, 1));
    }

    /// One region refuses, the other fails: the key may be the failing region's, so the
    /// verdict is `unknown`, naming what each said.
    #[test]
    fn a_refusal_beside_a_failing_region_is_unknown() {
        let (r, _, _) = mailgun(|_: &Request| answer(500, "oops"), refuse, &[]);
        assert_eq!(r.code, 2, "{r:?}");
        let v = json(&r);
        assert_eq!(v["validation"]["status"], "unknown", "{r:?}");
        let reason = v["validation"]["reason"].as_str().unwrap();
        assert!(reason.contains("us: HTTP 500"), "{reason}");
        assert!(reason.contains("eu: HTTP 401"), "{reason}");

        let (r, _, _) = mailgun(
            refuse,
            |_: &Request| Answer::Silence(Duration::from_secs(20)),
            &["--validation-timeout", "2"],
        );
        assert_eq!(r.code, 2, "{r:?}");
        let reason = json(&r)["validation"]["reason"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(reason.contains("us: HTTP 401"), "{reason}");
        assert!(reason.contains("eu: no answer within 2 s"), "{reason}");
    }

    /// `mailgun=URL` replaces every region with one origin: one request, no region asked.
    #[test]
    fn a_provider_endpoint_replaces_every_region() {
        let mock = Mock::start(accept);
        let r = run(
            "mailgun-api-key",
            &against(&mock, "mailgun", &[]),
            MAILGUN_KEY,
        );
        assert_eq!(r.code, 1, "{r:?}");
        let v = json(&r);
        assert!(v["validation"]["details"].get("region").is_none(), "{r:?}");
        assert_eq!(mock.requests().len(), 1);
    }
}

/// Scanning commands with `--validate`, through a rule of the project's own config (which
/// is how a user adds a check): one request per distinct secret, the verdict in every
/// format, the filter and the live-only gate; and never a connection without the flag.
#[cfg(feature = "https")]
mod scans {
    use std::path::Path;

    use crate::mock_issuer::{answer, Mock, Request};
    use crate::util::{git, Repo, Tree};

    /// A config rule for `mock_` tokens whose check asks the `mockco` provider.
    pub const CONFIG: &str = r#"rules:
  - id: mockco-token
    description: Mockco API token
    severity: medium
    keywords: [mock_]
    regex: '\b(mock_[a-z0-9]{24})\b'
    validate:
      provider: mockco
      request:
        url: https://api.mockco.test/v1/me
        headers: {Authorization: 'Bearer {{secret}}'}
      live: {status: [200]}
      inactive: {status: [401]}
      details: {account: 'json:/account'}
      responses:
        live: {status: 200, body: '{"account": "acme"}'}
        inactive: {status: 401}
"#;

    /// A token that the mock takes as live when it ends in `live`.
    pub fn token(n: usize, live: bool) -> String {
        let tail = if live { "live" } else { "dead" };
        let body =
            crate::util::synthetic(n as u64 + 7, 20, b"abcdefghijklmnopqrstuvwxyz0123456789");
        format!("mock_{body}{tail}")
    }

    /// The mock: live for tokens ending in `live`, 401 otherwise.
    pub fn mock() -> Mock {
        Mock::start(|req: &Request| {
            if req
                .header("authorization")
                .is_some_and(|a| a.ends_with("live"))
            {
                answer(200, r#"{"account": "acme"}"#)
            } else {
                answer(401, "{}")
            }
        })
    }

    pub fn flags(mock: &Mock) -> Vec<String> {
        vec![
            "--validate".into(),
            "--validation-endpoint".into(),
            format!("mockco={}", mock.url("/mockco")),
            "--validation-ca".into(),
            mock.ca_path().display().to_string(),
            "--allow-internal-ips".into(),
        ]
    }

    fn run(dir: &Path, args: &[String]) -> (i32, String, String) {
        let out = crate::util::leakguard()
            .current_dir(dir)
            .args(args)
            .env_remove("HTTPS_PROXY")
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(!e.contains("panicked"), "{e}");
        (code, o, e)
    }

    fn args(cmd: &[&str], extra: Vec<String>) -> Vec<String> {
        cmd.iter().map(|s| s.to_string()).chain(extra).collect()
    }

    /// 1,000 findings of one secret in 100 files, and one dead secret: two requests.
    #[test]
    fn one_request_per_distinct_secret_and_the_verdict_in_every_format() {
        let t = Tree::new();
        t.file(".leakguard.yaml", CONFIG);
        let live = token(1, true);
        let dead = token(2, false);
        for f in 0..100 {
            let lines: String = (0..10)
                .map(|i| format!("TOKEN_{i} = \"{live}\"\n"))
                .collect();
            t.file(&format!("src/f{f}.py"), lines);
        }
        t.file("old.env.txt", format!("MOCKCO_TOKEN={dead}\n"));
        let m = mock();
        let (code, out, err) = run(
            t.path(),
            &args(&["scan", ".", "--format", "json"], flags(&m)),
        );
        assert_eq!(code, 1, "{err}");
        assert_eq!(m.requests().len(), 2, "one request per distinct secret");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        crate::formats::assert_valid_report(&json);
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1001);
        for f in findings {
            let want = if f["path"] == "old.env.txt" {
                "inactive"
            } else {
                "live"
            };
            assert_eq!(f["validation"]["status"], want, "{f}");
        }
        assert_eq!(json["summary"]["validation"]["live"], 1000);
        assert_eq!(json["summary"]["validation"]["inactive"], 1);
        assert!(!out.contains(&live) && !err.contains(&live));

        // SARIF: a live finding is an error, whatever its severity (medium here).
        let (_, out, _) = run(
            t.path(),
            &args(&["scan", ".", "--format", "sarif"], flags(&m)),
        );
        let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
        crate::formats::assert_valid_sarif(&sarif);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        for r in results {
            let live = r["properties"]["validation"]["status"] == "live";
            assert_eq!(r["level"], if live { "error" } else { "warning" }, "{r}");
        }
        // Text: a LIVE tag and the issuer's answer.
        let (_, out, _) = run(
            t.path(),
            &args(&["scan", "old.env.txt", "src/f0.py"], flags(&m)),
        );
        assert!(out.contains("MEDIUM   LIVE mockco-token"), "{out}");
        assert!(
            out.contains("issuer  live (HTTP 200: the issuer accepted it) · account: acme"),
            "{out}"
        );
        assert!(out.contains("issuer  inactive (HTTP 401"), "{out}");
        assert!(out.contains("validated: 10 live, 1 inactive"), "{out}");
        assert!(!out.contains(&live), "{out}");
    }

    /// A paired secret is checked with its id, once per distinct (secret, id), and without
    /// its id it is `unknown`, saying why, with no request made.
    #[test]
    fn a_pair_is_checked_with_both_parts_once_per_distinct_pair() {
        let hex = |seed| crate::util::synthetic(seed, 32, b"0123456789abcdef");
        let (sid, other_sid, auth) = (format!("AC{}", hex(1)), format!("AC{}", hex(2)), hex(3));
        let t = Tree::new();
        let env =
            |sid: &str| format!("# twilio\nTWILIO_ACCOUNT_SID={sid}\nTWILIO_AUTH_TOKEN={auth}\n");
        t.file("a.env.txt", env(&sid));
        t.file("b.env.txt", env(&sid));
        t.file("c.env.txt", env(&other_sid));
        t.file("d.env.txt", format!("# twilio\nTWILIO_AUTH_TOKEN={auth}\n"));
        let (want_sid, want_auth) = (sid.clone(), auth.clone());
        let m = Mock::start(move |req: &Request| {
            let all = req.everything();
            let pair = format!("{want_sid}:{want_auth}");
            if req.target.contains(&want_sid) && all.contains(&pair) {
                answer(
                    200,
                    r#"{"friendly_name": "Acme", "status": "active", "type": "Full"}"#,
                )
            } else {
                answer(401, r#"{"code": 20003, "message": "Authenticate"}"#)
            }
        });
        let flags = vec![
            "--validate".to_string(),
            "--validation-endpoint".into(),
            format!("twilio={}", m.url("/twilio")),
            "--validation-ca".into(),
            m.ca_path().display().to_string(),
            "--allow-internal-ips".into(),
            "--no-config".into(),
        ];
        let (code, out, err) = run(t.path(), &args(&["scan", ".", "--format", "json"], flags));
        assert_eq!(code, 1, "{err}");
        assert_eq!(
            m.requests().len(),
            2,
            "one request per distinct (secret, id)"
        );
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        crate::formats::assert_valid_report(&json);
        let status = |path: &str| {
            let f = json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["path"] == path && f["rule_id"] == "twilio-auth-token")
                .unwrap_or_else(|| panic!("{path}: {json:#}"));
            (
                f["validation"]["status"].as_str().unwrap().to_string(),
                f["validation"]["reason"].as_str().unwrap().to_string(),
            )
        };
        assert_eq!(status("a.env.txt").0, "live");
        assert_eq!(status("b.env.txt").0, "live");
        assert_eq!(status("c.env.txt").0, "inactive");
        let (d, why) = status("d.env.txt");
        assert_eq!(d, "unknown");
        assert!(why.contains("needs the id"), "{why}");
        for text in [&out, &err] {
            assert!(!text.contains(&auth) && !text.contains(&sid), "{text}");
        }
    }

    #[test]
    fn the_filter_hides_and_fail_on_live_gates_only_on_live() {
        let t = Tree::new();
        t.file(".leakguard.yaml", CONFIG);
        t.file(
            "a.py",
            format!("A = \"{}\"\nB = \"{}\"\n", token(1, true), token(2, false)),
        );
        let m = mock();
        let (code, out, _) = run(
            t.path(),
            &args(
                &[
                    "scan",
                    ".",
                    "--format",
                    "json",
                    "--validation-filter",
                    "inactive",
                ],
                flags(&m),
            ),
        );
        assert_eq!(code, 1);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let statuses: Vec<&str> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["validation"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["inactive"]);
        // Only the dead one left: --fail-on-live passes.
        let (code, _, _) = run(
            t.path(),
            &args(
                &[
                    "scan",
                    ".",
                    "--validation-filter",
                    "inactive",
                    "--fail-on-live",
                ],
                flags(&m),
            ),
        );
        assert_eq!(code, 0);
        let (code, _, _) = run(
            t.path(),
            &args(
                &["scan", ".", "--fail-on-live", "--fail-on", "critical"],
                flags(&m),
            ),
        );
        assert_eq!(code, 1, "a live finding fails even below --fail-on");
    }

    /// Without `--validate` nothing connects, in scan, history and staged; with it, staged
    /// and history validate too.
    #[test]
    fn nothing_connects_without_validate() {
        let r = Repo::new();
        r.write(".leakguard.yaml", CONFIG);
        r.write("a.py", format!("A = \"{}\"\n", token(1, true)));
        r.commit_all("one");
        r.write("b.py", format!("B = \"{}\"\n", token(3, true)));
        git(r.path(), &["add", "b.py"]);
        let m = mock();
        for cmd in [&["scan", "."][..], &["history", "."], &["staged"]] {
            let (code, _, err) = run(r.path(), &args(cmd, Vec::new()));
            assert_eq!(code, 1, "{cmd:?}: {err}");
        }
        assert_eq!(m.connections(), 0);
        for cmd in [
            &["history", ".", "--format", "json"][..],
            &["staged", "--format", "json"],
        ] {
            let (code, out, err) = run(r.path(), &args(cmd, flags(&m)));
            assert_eq!(code, 1, "{cmd:?}: {err}");
            let json: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(
                json["findings"][0]["validation"]["status"], "live",
                "{cmd:?}"
            );
        }
        assert_eq!(m.requests().len(), 2);
    }
}

#[test]
fn validation_flags_need_validate() {
    let t = crate::util::Tree::new();
    t.file("a.txt", "nothing\n");
    let out = t
        .cmd(&["scan", ".", "--allow-internal-ips"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("apply to --validate"));
    #[cfg(not(feature = "https"))]
    {
        let out = t.cmd(&["scan", ".", "--validate"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("`https` feature"));
    }
}

/// An endpoint no check would use is a usage error, before anything is scanned or sent: a
/// typo must not quietly send the checks to the public API instead.
#[test]
fn an_endpoint_for_no_provider_or_region_is_refused() {
    let t = crate::util::Tree::new();
    t.file("a.txt", "nothing\n");
    for cmd in [&["scan", "."][..], &["validate", "--rule", "github-pat"]] {
        for (endpoint, says) in [
            (
                "githb=https://ghe.example.test/api/v3",
                "no rule's check names the provider `githb`",
            ),
            (
                "github.eu=https://ghe.example.test",
                "`github` has no regions",
            ),
            (
                "mailgun.ap=https://mg.example.test",
                "has the regions eu, us",
            ),
        ] {
            let mut args = cmd.to_vec();
            args.extend(["--validate", "--validation-endpoint", endpoint]);
            if cmd[0] == "validate" {
                args.retain(|a| *a != "--validate");
            }
            let out = t.cmd(&args).write_stdin("x\n").output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(says), "{args:?}: {err}");
        }
    }
}

/// The README's table of validating providers, as the rules make it: one row per provider
/// and request, with its rules and what a live answer reports.
fn validation_table() -> String {
    use std::collections::BTreeMap;
    let rules = leakguard::rules::RuleSet::load_builtin(None).unwrap();
    type Row = (Vec<String>, std::collections::BTreeSet<String>);
    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    for r in &rules.rules {
        let Some(v) = r.validate.as_ref().map(|c| c.spec()) else {
            continue;
        };
        let method = format!("{:?}", v.request.method).to_uppercase();
        let url = v
            .request
            .url
            .replace("{{secret}}", "…")
            .replace("{{pair}}", "{id}");
        let signed = match v.request.aws_sigv4 {
            Some(_) => ", signed with SigV4",
            None => "",
        };
        let mut check = format!("`{method} {url}`{signed}");
        if !v.request.regions.is_empty() {
            let names: Vec<&str> = v.request.regions.keys().map(String::as_str).collect();
            check.push_str(&format!(" (regions: {})", names.join(", ")));
        }
        let row = rows.entry((v.provider.clone(), check)).or_default();
        row.0.push(format!("`{}`", r.id));
        row.1.extend(v.details.keys().cloned());
        if !v.request.regions.is_empty() {
            row.1.insert("region".into());
        }
    }
    let mut table =
        String::from("| provider | rules | check | a live answer reports |\n|---|---|---|---|\n");
    for ((provider, check), (ids, details)) in rows {
        let reports = if details.is_empty() {
            "the status".to_string()
        } else {
            details.into_iter().collect::<Vec<_>>().join(", ")
        };
        table.push_str(&format!(
            "| {provider} | {} | {check} | {reports} |\n",
            ids.join(", ")
        ));
    }
    table
}

#[test]
fn the_readme_lists_every_validating_provider() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start =
        "<!-- validation-table: generated from the rules; tests/it/validation.rs checks it -->\n";
    let end = "<!-- end validation-table -->";
    let at = readme.find(start).expect("the README's validation table") + start.len();
    let written = &readme[at..at + readme[at..].find(end).unwrap()];
    let table = validation_table();
    assert!(
        written == table,
        "README.md's validation table is out of date; it should read:\n{table}"
    );
}

/// `audit --validate`: the checks stored with their time, nothing checked again before
/// `--revalidate-after`, the live and unknown ones checked again after it (never the dead
/// ones), a revoked incident still live flagged, every report format carrying the status,
/// and the secret in no datastore or report.
#[cfg(feature = "https")]
mod audits {
    use std::path::Path;

    use crate::mock_issuer::{answer, Mock, Request};
    use crate::util::{commit_in, git, Tree};

    fn repo(dir: &Path, files: &[(&str, String)]) {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "-q", "-b", "main"]);
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        git(dir, &["add", "-A"]);
        commit_in(dir, "one", &[]);
    }

    fn run(site: &Tree, args: &[String]) -> (i32, String, String) {
        let out = crate::util::leakguard()
            .current_dir(site.path())
            .args(args)
            .env_remove("HTTPS_PROXY")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(!e.contains("panicked"), "{e}");
        (out.status.code().unwrap_or(-1), o, e)
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn checks_are_stored_revalidated_after_the_interval_and_a_revoked_live_one_is_flagged() {
        let site = Tree::new();
        site.file("config.yaml", super::scans::CONFIG);
        let live = super::scans::token(11, true);
        let dead = super::scans::token(12, false);
        repo(
            &site.join("repos/a"),
            &[("a.py", format!("A = \"{live}\"\n"))],
        );
        repo(
            &site.join("repos/b"),
            &[("b.py", format!("B = \"{live}\"\nC = \"{dead}\"\n"))],
        );
        let m = super::scans::mock();
        let mut audit = strings(&["audit", "repos", "--db", "a.db", "--config", "config.yaml"]);
        audit.extend(super::scans::flags(&m));
        // Without --validate, nothing connects.
        let (code, _, err) = run(
            &site,
            &strings(&[
                "audit",
                "repos",
                "--db",
                "a.db",
                "--config",
                "config.yaml",
                "--quiet",
            ]),
        );
        assert_eq!(code, 1, "{err}");
        assert_eq!(m.connections(), 0);
        // Two incidents, two checks (the live secret is in two repositories).
        let (code, _, err) = run(&site, &audit);
        assert_eq!(code, 1, "{err}");
        assert_eq!(m.requests().len(), 2, "{err}");
        assert!(err.contains("validation: 1 live, 1 inactive"), "{err}");
        let report = |site: &Tree| {
            let (code, out, err) = run(
                site,
                &strings(&[
                    "report",
                    "--db",
                    "a.db",
                    "--format",
                    "json",
                    "--all-statuses",
                ]),
            );
            assert_eq!(code, 0, "{err}");
            serde_json::from_str::<serde_json::Value>(&out).unwrap()
        };
        let r = report(&site);
        let incidents = r["incidents"].as_array().unwrap();
        assert_eq!(incidents.len(), 2);
        assert_eq!(
            incidents[0]["validation"]["status"], "live",
            "live first: {r}"
        );
        assert_eq!(incidents[0]["validation"]["details"]["account"], "acme");
        assert_eq!(incidents[1]["validation"]["status"], "inactive");
        let live_id = incidents[0]["id"].as_str().unwrap().to_string();

        // Again at once: nothing is due.
        run(&site, &audit);
        assert_eq!(m.requests().len(), 2);
        // After the interval: the live one again, never the dead one.
        let mut again = audit.clone();
        again.extend(strings(&["--revalidate-after", "0s"]));
        run(&site, &again);
        assert_eq!(m.requests().len(), 3);
        let auth = m.requests()[2].header("authorization").unwrap().to_string();
        assert!(auth.ends_with("live"), "{auth}");

        // Revoked, yet the issuer still accepts it: it needs attention again.
        let (code, _, err) = run(
            &site,
            &strings(&["triage", &live_id, "--status", "revoked", "--db", "a.db"]),
        );
        assert_eq!(code, 0, "{err}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        // Revoked and not checked since: the dead one is open, the revoked one is not shown.
        let (code, out, err) = run(
            &site,
            &strings(&["report", "--db", "a.db", "--format", "json"]),
        );
        assert_eq!(code, 0, "{err}");
        let r: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(r["incidents"].as_array().unwrap().len(), 1, "{r}");
        assert_ne!(r["incidents"][0]["id"], live_id.as_str());
        let (code, _, err) = run(&site, &again);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("validation: 1 live"), "{err}");
        let (code, out, _) = run(
            &site,
            &strings(&["report", "--db", "a.db", "--format", "json"]),
        );
        assert_eq!(code, 0, "{out}");
        let r: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(r["incidents"].as_array().unwrap().len(), 2, "{r}");
        assert_eq!(r["incidents"][0]["id"], live_id.as_str());
        assert_eq!(r["incidents"][0]["still_live"], true);
        let (_, text, _) = run(
            &site,
            &strings(&["report", "--db", "a.db", "--format", "text"]),
        );
        assert!(text.contains("STILL LIVE after it was revoked"), "{text}");
        assert!(text.contains("issuer   LIVE (HTTP 200"), "{text}");

        // Every format carries the status; no report or datastore holds the secret.
        for format in ["text", "json", "csv", "sarif", "html"] {
            let (code, out, err) = run(
                &site,
                &strings(&[
                    "report",
                    "--db",
                    "a.db",
                    "--all-statuses",
                    "--format",
                    format,
                ]),
            );
            assert_eq!(code, 0, "{format}: {err}");
            assert!(!out.contains(&live) && !out.contains(&dead), "{format}");
            let says = match format {
                "text" => "LIVE",
                "csv" => ",live,",
                "html" => ">LIVE</span>",
                _ => "\"live\"",
            };
            assert!(out.contains(says), "{format}: {out}");
        }
        let (_, sarif, _) = run(
            &site,
            &strings(&[
                "report",
                "--db",
                "a.db",
                "--all-statuses",
                "--format",
                "sarif",
            ]),
        );
        let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        crate::formats::assert_valid_sarif(&sarif);
        let live_result = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["properties"]["incident"] == live_id.as_str())
            .unwrap();
        assert_eq!(live_result["level"], "error");
        for f in ["a.db", "a.db-wal"] {
            if let Ok(bytes) = std::fs::read(site.join(f)) {
                assert!(
                    !bytes.windows(live.len()).any(|w| w == live.as_bytes()),
                    "{f}"
                );
            }
        }
    }

    /// An endpoint on loopback without --allow-internal-ips: `unknown`, and no connection.
    #[test]
    fn an_internal_endpoint_is_unknown_without_allow_internal_ips() {
        let site = Tree::new();
        site.file("config.yaml", super::scans::CONFIG);
        let live = super::scans::token(21, true);
        repo(
            &site.join("repos/a"),
            &[("a.py", format!("A = \"{live}\"\n"))],
        );
        let m = Mock::start(|_: &Request| answer(200, "{}"));
        let mut args = strings(&[
            "audit",
            "repos",
            "--db",
            "a.db",
            "--config",
            "config.yaml",
            "--validate",
        ]);
        args.extend(strings(&[
            "--validation-endpoint",
            &format!("mockco={}", m.url("/mockco")),
            "--validation-ca",
            &m.ca_path().display().to_string(),
        ]));
        let (_, _, err) = run(&site, &args);
        assert!(err.contains("validation: 1 unknown"), "{err}");
        assert_eq!(m.connections(), 0);
    }
}

#[test]
fn rules_list_shows_which_rules_validate() {
    let out = leakguard()
        .args(["rules", "list", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = |id: &str| {
        json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    let gh = rule("github-pat");
    assert_eq!(gh["validate"]["provider"], "github");
    assert_eq!(gh["validate"]["url"], "https://api.github.com/user");
    assert!(rule("melonly-api-token").get("validate").is_none());
    let out = leakguard()
        .args(["rules", "list", "--no-config"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap()
            .to_string()
    };
    assert!(line("github-pat").ends_with("[validates]"));
    assert!(!line("melonly-api-token").contains("[validates]"));
}
