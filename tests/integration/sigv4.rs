//! SigV4 for the tests' admin calls, signed as an AWS SDK signs them: the
//! `aws-sigv4` crate with its default settings over Host, Content-Type,
//! X-Amz-Target and the body. Used for every server; moto and cognito-local
//! ignore the signature, the emulator checks it.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Who signs and for which region.
#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

impl Signer {
    /// The headers to send for a JSON 1.1 `POST` of `body` to `url` for
    /// `target`, signed at `time`: the three it signs, then `x-amz-date`
    /// and `authorization`.
    pub fn headers(
        &self,
        url: &str,
        target: &str,
        body: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        let parsed = reqwest::Url::parse(url).expect("endpoint url");
        let host = match parsed.port() {
            Some(port) => format!("{}:{port}", parsed.host_str().expect("host")),
            None => parsed.host_str().expect("host").to_owned(),
        };
        let mut headers = vec![
            (
                "content-type".to_owned(),
                "application/x-amz-json-1.1".to_owned(),
            ),
            ("host".to_owned(), host),
            ("x-amz-target".to_owned(), target.to_owned()),
        ];
        let identity: Identity = Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            None,
            None,
            "integration-tests",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("cognito-idp")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .expect("signing params")
            .into();
        let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let request = SignableRequest::new(
            "POST",
            parsed.path(),
            pairs,
            SignableBody::Bytes(body.as_bytes()),
        )
        .expect("signable request");
        let (instructions, _) = sign(request, &params).expect("signed").into_parts();
        let signature: Vec<(String, String)> = instructions
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        headers.extend(signature);
        headers
    }
}
