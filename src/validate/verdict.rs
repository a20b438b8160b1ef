//! An issuer's answer, read with the rule's conditions into a verdict: pure, so it is
//! tested with the answers providers document, without a network.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{withhold, Credential};
use crate::rules::validation::{Condition, Scalar, ValidateSyntax};

/// What validation concluded about a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The issuer accepted it: it must be revoked now.
    Live,
    /// The issuer refused it (revoked, expired or never valid).
    Inactive,
    /// The check ran but could not tell (timeout, error status, unexpected answer).
    Unknown,
    /// No check ran: validation was off, or the rule has none.
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Inactive => "inactive",
            Status::Unknown => "unknown",
            Status::NotChecked => "not-checked",
        }
    }

    /// The status named `s` (as [`Status::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Live,
            Status::Inactive,
            Status::Unknown,
            Status::NotChecked,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verdict, with why, what the issuer said about the secret, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: Status,
    pub reason: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// RFC 3339; empty when not checked.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub checked_at: String,
}

impl Verdict {
    pub fn not_checked(reason: &str) -> Verdict {
        Verdict {
            status: Status::NotChecked,
            reason: reason.to_string(),
            details: BTreeMap::new(),
            checked_at: String::new(),
        }
    }

    /// `unknown` for `reason`, with the secret withheld from it.
    pub fn unknown(reason: &str, sent: &Credential) -> Verdict {
        Verdict {
            status: Status::Unknown,
            reason: withhold(reason, sent),
            details: BTreeMap::new(),
            checked_at: String::new(),
        }
    }
}

/// The longest detail kept, in characters.
const DETAIL_MAX: usize = 120;

/// Reads an answer (`status`, headers with lowercase names, up to the body limit of the
/// body) with the rule's conditions. `truncated`: the body was longer than what was read.
pub fn judge(
    spec: &ValidateSyntax,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    truncated: bool,
    sent: &Credential,
) -> Verdict {
    // An answer larger than any issuer's documented one is not read at all, even by a
    // rule that only tests the status: it is not the issuer's API answering.
    if truncated {
        return Verdict {
            status: Status::Unknown,
            reason: format!("HTTP {status}: an answer too large to read"),
            details: BTreeMap::new(),
            checked_at: String::new(),
        };
    }
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let holds = |c: &Condition| {
        (c.status.is_empty() || c.status.contains(&status))
            && c.json.iter().all(|(pointer, want)| {
                json.as_ref()
                    .and_then(|j| j.pointer(pointer))
                    .is_some_and(|got| same(got, want))
            })
            && c.body
                .as_ref()
                .is_none_or(|text| memchr::memmem::find(body, text.as_bytes()).is_some())
    };
    let (status_out, reason) = if holds(&spec.live) {
        (
            Status::Live,
            format!("HTTP {status}: the issuer accepted it"),
        )
    } else if holds(&spec.inactive) {
        (
            Status::Inactive,
            format!("HTTP {status}: the issuer refused it"),
        )
    } else {
        let why = match status {
            429 => "rate limited",
            500..=599 => "the issuer's error",
            _ => "an answer that is neither the live nor the inactive one",
        };
        (Status::Unknown, format!("HTTP {status}: {why}"))
    };
    let mut details = BTreeMap::new();
    if status_out == Status::Live {
        for (name, from) in &spec.details {
            let value = match from.split_once(':') {
                Some(("json", p)) => json.as_ref().and_then(|j| j.pointer(p)).map(show),
                Some(("header", h)) => headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(h))
                    .map(|(_, v)| v.clone()),
                _ => None,
            };
            if let Some(v) = value.map(|v| clean(&v, sent)).filter(|v| !v.is_empty()) {
                details.insert(name.clone(), v);
            }
        }
    }
    Verdict {
        status: status_out,
        reason,
        details,
        checked_at: String::new(),
    }
}

/// One verdict from what each region said, in the order asked (the asking stops at the
/// first `live`): `live` as soon as one region accepted the key (its verdict, with
/// `region` among the details), `inactive` only when every region refused it, `unknown`
/// otherwise, naming what each region said. A key works only in its own region, so the
/// others' refusals say nothing about it.
pub fn combine(said: Vec<(String, Verdict)>) -> Verdict {
    if let Some(i) = said.iter().position(|(_, v)| v.status == Status::Live) {
        let (region, mut v) = said.into_iter().nth(i).expect("found above");
        v.reason = format!("{} in region {region}", v.reason);
        v.details.insert("region".into(), region);
        return v;
    }
    let all = said
        .iter()
        .map(|(region, v)| format!("{region}: {}", v.reason))
        .collect::<Vec<_>>()
        .join("; ");
    let refused = !said.is_empty() && said.iter().all(|(_, v)| v.status == Status::Inactive);
    let (status, reason) = if refused {
        (Status::Inactive, format!("refused in every region ({all})"))
    } else if said.is_empty() {
        (Status::Unknown, "no region was asked".to_string())
    } else {
        (
            Status::Unknown,
            format!("no region accepted it and not every region refused it ({all})"),
        )
    };
    Verdict {
        status,
        reason,
        details: BTreeMap::new(),
        checked_at: String::new(),
    }
}

fn same(got: &serde_json::Value, want: &Scalar) -> bool {
    match want {
        Scalar::Bool(b) => got.as_bool() == Some(*b),
        Scalar::Int(i) => got.as_i64() == Some(*i),
        Scalar::Str(s) => got.as_str() == Some(s.as_str()),
    }
}

/// A JSON value as one short line: strings as they are, lists joined.
fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A detail fit to print: the secret withheld, control characters dropped, cut short.
fn clean(v: &str, sent: &Credential) -> String {
    let v = withhold(v, sent);
    let v: String = v.chars().filter(|c| !c.is_control()).collect();
    let v = v.trim();
    if v.chars().count() > DETAIL_MAX {
        format!("{}…", v.chars().take(DETAIL_MAX - 1).collect::<String>())
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's `auth.test`: 200 either way, `ok` tells.
    const SLACK: &str = "
provider: slack
request:
  method: POST
  url: https://slack.com/api/auth.test
  headers: {Authorization: 'Bearer {{secret}}'}
live: {status: [200], json: {/ok: true}}
inactive: {status: [200], json: {/ok: false}}
details: {team: json:/team, user: json:/user, scopes: header:x-oauth-scopes}
responses:
  live: {status: 200, body: '{\"ok\": true}'}
  inactive: {status: 200, body: '{\"ok\": false}'}
";

    fn spec() -> ValidateSyntax {
        serde_saphyr::from_str(SLACK).unwrap()
    }

    const SECRET: &str = "xoxb-EXAMPLE-0000";

    #[test]
    fn live_inactive_and_unknown() {
        let h = vec![(
            "x-oauth-scopes".to_string(),
            "chat:write, users:read".to_string(),
        )];
        let live = judge(
            &spec(),
            200,
            &h,
            br#"{"ok":true,"team":"Acme","user":"bot"}"#,
            false,
            &Credential::single(SECRET),
        );
        assert_eq!(live.status, Status::Live);
        assert_eq!(live.details["team"], "Acme");
        assert_eq!(live.details["scopes"], "chat:write, users:read");
        let dead = judge(
            &spec(),
            200,
            &[],
            br#"{"ok":false,"error":"invalid_auth"}"#,
            false,
            &Credential::single(SECRET),
        );
        assert_eq!(dead.status, Status::Inactive);
        assert!(dead.details.is_empty());
        for (status, body, why) in [
            (500, &b"oops"[..], "the issuer's error"),
            (429, b"", "rate limited"),
            (200, b"<html>not json</html>", "neither"),
            (200, br#"{"ok":"yes"}"#, "neither"),
        ] {
            let v = judge(
                &spec(),
                status,
                &[],
                body,
                false,
                &Credential::single(SECRET),
            );
            assert_eq!(v.status, Status::Unknown, "{status} {body:?}");
            assert!(v.reason.contains(why), "{}", v.reason);
        }
        // A body cut at the limit is never read as JSON.
        let cut = judge(
            &spec(),
            200,
            &[],
            br#"{"ok":true}"#,
            true,
            &Credential::single(SECRET),
        );
        assert_eq!(cut.status, Status::Unknown);
        assert!(cut.reason.contains("too large"));
    }

    #[test]
    fn an_echoed_secret_never_reaches_the_details() {
        let body = format!(r#"{{"ok":true,"team":"token {SECRET} ok","user":"\u0007bell"}}"#);
        let v = judge(
            &spec(),
            200,
            &[("X-OAuth-Scopes".into(), SECRET.into())],
            body.as_bytes(),
            false,
            &Credential::single(SECRET),
        );
        assert_eq!(v.status, Status::Live);
        assert_eq!(v.details["team"], "token [secret] ok");
        assert_eq!(v.details["scopes"], "[secret]");
        assert_eq!(v.details["user"], "bell");
        assert!(!format!("{v:?}").contains(SECRET));
    }

    fn said(status: Status, reason: &str) -> Verdict {
        Verdict {
            status,
            reason: reason.into(),
            details: BTreeMap::new(),
            checked_at: String::new(),
        }
    }

    /// Every way the regions' answers combine.
    #[test]
    fn regions_combine_into_one_verdict() {
        let refused = || said(Status::Inactive, "HTTP 401: the issuer refused it");
        let mut accepted = said(Status::Live, "HTTP 200: the issuer accepted it");
        accepted.details.insert("domains".into(), "3".into());
        let failed = || said(Status::Unknown, "HTTP 500: the issuer's error");
        let r = |name: &str, v: Verdict| (name.to_string(), v);

        // Live in the second region: live, with the region.
        let v = combine(vec![r("us", refused()), r("eu", accepted.clone())]);
        assert_eq!(v.status, Status::Live);
        assert_eq!(v.details["region"], "eu");
        assert_eq!(v.details["domains"], "3");
        assert!(
            v.reason.ends_with("accepted it in region eu"),
            "{}",
            v.reason
        );
        // Live in the first (the others were never asked).
        let v = combine(vec![r("us", accepted.clone())]);
        assert_eq!(
            (v.status, v.details["region"].as_str()),
            (Status::Live, "us")
        );
        // Live even beside a region that failed.
        let v = combine(vec![r("us", failed()), r("eu", accepted)]);
        assert_eq!(v.status, Status::Live);

        // Refused everywhere: inactive, naming each.
        let v = combine(vec![r("us", refused()), r("eu", refused())]);
        assert_eq!(v.status, Status::Inactive);
        assert!(v.details.is_empty());
        assert_eq!(
            v.reason,
            "refused in every region (us: HTTP 401: the issuer refused it; eu: HTTP 401: the issuer refused it)"
        );

        // One refused, one could not tell: unknown, naming what each said.
        for regions in [
            vec![r("us", refused()), r("eu", failed())],
            vec![r("us", failed()), r("eu", refused())],
            vec![r("us", failed()), r("eu", failed())],
        ] {
            let v = combine(regions);
            assert_eq!(v.status, Status::Unknown);
            assert!(v.reason.contains("us: HTTP"), "{}", v.reason);
            assert!(v.reason.contains("eu: HTTP"), "{}", v.reason);
            assert!(
                v.reason.contains("not every region refused"),
                "{}",
                v.reason
            );
        }
        assert_eq!(combine(Vec::new()).status, Status::Unknown);
    }
}
