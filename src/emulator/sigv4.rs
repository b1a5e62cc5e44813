//! SigV4 verification for the operations Cognito serves only to IAM
//! credentials (ListUsers and every Admin* call), refused with the error
//! types AWS gives: no Authorization header → `MissingAuthenticationToken`,
//! an unknown key id → `UnrecognizedClient`, a wrong signature or a date
//! more than 5 minutes off → `InvalidSignature`.
//!
//! The expected signature is computed by the `aws-sigv4` crate from the
//! request's own method, URI, signed headers, body and `x-amz-date`, then
//! compared with the given one in constant time: the emulator has no HMAC
//! chain of its own to get wrong, and the test clients that sign (this
//! crate's tests, boto3) reach the same bytes independently.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use chrono::{DateTime, NaiveDateTime, Utc};
use hyper::http::request::Parts;

use super::access::Access;
use super::checks::Refusal;

/// The service name credential scopes must carry.
const SERVICE: &str = "cognito-idp";
/// How far a request's date may be from the emulator's clock.
const MAX_SKEW: Duration = Duration::from_secs(300);
/// `x-amz-date`'s format (ISO 8601 basic).
const AMZ_DATE: &str = "%Y%m%dT%H%M%SZ";

/// The parts of an `AWS4-HMAC-SHA256` Authorization header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn incomplete(message: impl Into<String>) -> Refusal {
    ("IncompleteSignatureException", message.into())
}

fn invalid_signature(message: impl Into<String>) -> Refusal {
    ("InvalidSignatureException", message.into())
}

fn parse(header: &str) -> Result<Authorization<'_>, Refusal> {
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let part = |name: &str| {
        rest.split(',')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
            .ok_or_else(|| incomplete(format!("Authorization header requires '{name}' parameter.")))
    };
    let (credential, signed_headers, signature) = (
        part("Credential")?,
        part("SignedHeaders")?,
        part("Signature")?,
    );
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(incomplete(format!(
            "Credential should be of the form KEY_ID/DATE/REGION/SERVICE/aws4_request, got '{credential}'."
        )));
    };
    Ok(Authorization {
        key_id,
        date,
        region,
        service,
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

fn amz(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).format(AMZ_DATE).to_string()
}

/// The request's `x-amz-date`, as text and as a time.
fn request_time(parts: &Parts) -> Result<(&str, SystemTime), Refusal> {
    let text = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        })?;
    let seconds = NaiveDateTime::parse_from_str(text, AMZ_DATE)
        .ok()
        .and_then(|t| u64::try_from(t.and_utc().timestamp()).ok())
        .ok_or_else(|| {
            incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{text}'."
            ))
        })?;
    Ok((text, UNIX_EPOCH + Duration::from_secs(seconds)))
}

/// Refuses a request dated more than [`MAX_SKEW`] away from `now`.
fn check_skew(text: &str, time: SystemTime, now: SystemTime) -> Result<(), Refusal> {
    if time + MAX_SKEW < now {
        return Err(invalid_signature(format!(
            "Signature expired: {text} is now earlier than {} ({} - 5 min.)",
            amz(now - MAX_SKEW),
            amz(now)
        )));
    }
    if time > now + MAX_SKEW {
        return Err(invalid_signature(format!(
            "Signature not yet current: {text} is still later than {} ({} + 5 min.)",
            amz(now + MAX_SKEW),
            amz(now)
        )));
    }
    Ok(())
}

/// The credential scope names the request's date, the emulator's region
/// and Cognito, and the signature covers the Host header.
fn check_scope(auth: &Authorization<'_>, text: &str, region: &str) -> Result<(), Refusal> {
    if !text.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{text}'.",
            auth.date,
            &text[..text.len().min(8)]
        )));
    }
    if auth.region != region {
        return Err(invalid_signature(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region
        )));
    }
    if auth.service != SERVICE {
        return Err(invalid_signature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }
    if !auth.signed_headers.contains(&"host") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(())
}

/// The signature `aws-sigv4` computes for this request: the headers the
/// client says it signed (with their values here), signed at its date.
fn expected_signature(
    access: &Access,
    parts: &Parts,
    body: &[u8],
    signed_headers: &[&str],
    time: SystemTime,
) -> Result<String, Refusal> {
    let mut headers = Vec::new();
    // x-amz-date comes from `time`: the signer adds it itself.
    for name in signed_headers.iter().filter(|n| **n != "x-amz-date") {
        for value in parts.headers.get_all(*name) {
            let value = value
                .to_str()
                .map_err(|_| invalid_signature("A signed header is not ASCII."))?;
            headers.push((*name, value));
        }
    }
    let uri = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let method = parts.method.as_str();
    let unsignable =
        |e: &dyn std::fmt::Display| invalid_signature(format!("The request cannot be signed: {e}"));
    let request = SignableRequest::new(method, uri, headers.into_iter(), SignableBody::Bytes(body))
        .map_err(|e| unsignable(&e))?;
    let identity: Identity = Credentials::new(
        &access.access_key_id,
        access.secret_access_key.expose(),
        None,
        None,
        "bulk-signup-emulator",
    )
    .into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the client listed: none of the crate's default
    // exclusions (User-Agent, …) applies to headers the client chose to sign.
    settings.excluded_headers = Some(Vec::new());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&access.region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| unsignable(&e))?
        .into();
    let output = sign(request, &params).map_err(|e| unsignable(&e))?;
    Ok(output.signature().to_owned())
}

/// Checks the request's SigV4 signature against the emulator's credentials,
/// at `now`.
pub(crate) fn verify(
    access: &Access,
    parts: &Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<(), Refusal> {
    let Some(header) = parts.headers.get("authorization") else {
        return Err((
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".to_owned(),
        ));
    };
    let header = header
        .to_str()
        .map_err(|_| incomplete("The Authorization header is not ASCII."))?;
    let auth = parse(header)?;
    if auth.key_id != access.access_key_id {
        return Err((
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".to_owned(),
        ));
    }
    let (text, time) = request_time(parts)?;
    check_skew(text, time, now)?;
    check_scope(&auth, text, &access.region)?;
    let expected = expected_signature(access, parts, body, &auth.signed_headers, time)?;
    if !super::ct::eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(invalid_signature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::signer::{self, Signing};
    use crate::send::cognito::wire::Secret;

    fn access() -> Access {
        Access::new(
            Some("AKIDEXAMPLE".into()),
            Some(Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
            "eu-west-1".into(),
        )
        .expect("access")
    }

    const BODY: &[u8] = br#"{"UserPoolId":"eu-west-1_X","Username":"ann"}"#;

    /// `verify` for a request signed with `key_id` and `secret` in `region`
    /// at `now + offset` seconds, carrying `body`.
    fn check(
        key_id: &str,
        secret: &str,
        region: &str,
        offset: i64,
        body: &[u8],
    ) -> Result<(), Refusal> {
        let now = SystemTime::now();
        let time = if offset >= 0 {
            now + Duration::from_secs(offset.unsigned_abs())
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        };
        let signing = Signing {
            key_id,
            secret,
            region,
            time,
        };
        let (parts, _) = signer::request("AdminGetUser", BODY, Some(&signing)).into_parts();
        verify(&access(), &parts, body, now)
    }

    fn good(offset: i64) -> Result<(), Refusal> {
        check(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "eu-west-1",
            offset,
            BODY,
        )
    }

    fn code(result: Result<(), Refusal>) -> &'static str {
        result.map_or_else(|e| e.0, |()| "ok")
    }

    #[test]
    fn a_request_signed_with_the_emulators_key_passes() {
        assert_eq!(code(good(0)), "ok");
        assert_eq!(code(good(-240)), "ok", "4 minutes late");
        assert_eq!(code(good(240)), "ok", "4 minutes early");
    }

    #[test]
    fn unsigned_unknown_and_wrongly_signed_requests_get_awss_error_types() {
        let (parts, _) = signer::request("AdminGetUser", BODY, None).into_parts();
        assert_eq!(
            code(verify(&access(), &parts, BODY, SystemTime::now())),
            "MissingAuthenticationTokenException"
        );
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            code(check("AKIDOTHER", secret, "eu-west-1", 0, BODY)),
            "UnrecognizedClientException"
        );
        let wrong = check("AKIDEXAMPLE", "not-the-secret", "eu-west-1", 0, BODY);
        assert!(
            wrong
                .as_ref()
                .is_err_and(|e| e.0 == "InvalidSignatureException"
                    && e.1
                        .starts_with("The request signature we calculated does not match")),
            "{wrong:?}"
        );
        let tampered = br#"{"UserPoolId":"eu-west-1_X","Username":"bob"}"#;
        assert_eq!(
            code(check("AKIDEXAMPLE", secret, "eu-west-1", 0, tampered)),
            "InvalidSignatureException"
        );
        assert_eq!(
            code(check("AKIDEXAMPLE", secret, "us-east-1", 0, BODY)),
            "InvalidSignatureException"
        );
    }

    #[test]
    fn a_date_more_than_five_minutes_off_is_refused() {
        let late = good(-360);
        assert!(
            late.as_ref().is_err_and(
                |e| e.0 == "InvalidSignatureException" && e.1.starts_with("Signature expired")
            ),
            "{late:?}"
        );
        let early = good(360);
        assert!(
            early
                .as_ref()
                .is_err_and(|e| e.1.starts_with("Signature not yet current")),
            "{early:?}"
        );
    }

    #[test]
    fn the_authorization_header_is_read_into_its_parts() {
        let header = "AWS4-HMAC-SHA256 Credential=AKID/20240102/eu-west-1/cognito-idp/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc123";
        assert_eq!(
            parse(header),
            Ok(Authorization {
                key_id: "AKID",
                date: "20240102",
                region: "eu-west-1",
                service: "cognito-idp",
                signed_headers: vec!["content-type", "host", "x-amz-date"],
                signature: "abc123",
            })
        );
        for broken in [
            "Bearer abc",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 Credential=AKID/20240102/eu-west-1, SignedHeaders=host, Signature=a",
        ] {
            assert_eq!(
                parse(broken).map_err(|e| e.0),
                Err("IncompleteSignatureException"),
                "{broken}"
            );
        }
    }
}
