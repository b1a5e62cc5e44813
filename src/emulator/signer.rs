//! Requests for the emulator's unit tests, signed as an AWS SDK signs them:
//! the `aws-sigv4` crate with its default settings, over Host,
//! Content-Type, X-Amz-Target and the body, at a chosen time.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::Request;

use crate::send::cognito::wire::{CONTENT_TYPE, TARGET_PREFIX};

/// Who signs, for which region, when.
pub(crate) struct Signing<'a> {
    pub(crate) key_id: &'a str,
    pub(crate) secret: &'a str,
    pub(crate) region: &'a str,
    pub(crate) time: SystemTime,
}

/// A JSON 1.1 `POST /` for `operation` with `body`, signed if `signing` is given.
pub(crate) fn request(
    operation: &str,
    body: &[u8],
    signing: Option<&Signing<'_>>,
) -> Request<Full<Bytes>> {
    let target = format!("{TARGET_PREFIX}{operation}");
    let mut headers = vec![
        ("content-type".to_owned(), CONTENT_TYPE.to_owned()),
        ("host".to_owned(), "127.0.0.1:9339".to_owned()),
        ("x-amz-target".to_owned(), target),
    ];
    if let Some(signing) = signing {
        headers.extend(signature_headers(&headers, body, signing));
    }
    let mut builder = Request::post("/");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("request")
}

/// The `x-amz-date` and `authorization` headers for a request with `headers`.
fn signature_headers(
    headers: &[(String, String)],
    body: &[u8],
    signing: &Signing<'_>,
) -> Vec<(String, String)> {
    let identity: Identity =
        Credentials::new(signing.key_id, signing.secret, None, None, "unit-test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(signing.region)
        .name("cognito-idp")
        .time(signing.time)
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let signable =
        SignableRequest::new("POST", "/", pairs, SignableBody::Bytes(body)).expect("signable");
    let (instructions, _) = sign(signable, &params).expect("signed").into_parts();
    instructions
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}
