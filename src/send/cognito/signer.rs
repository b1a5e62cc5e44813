//! SigV4 signing for the admin operations (SignUp stays unsigned). The
//! credentials come from aws-config's default chain (environment, profile,
//! SSO, web identity, ECS/Batch containers, IMDSv2), or, for the built-in
//! emulator, from the keys it printed; the signature is aws-sigv4's. Both are
//! the AWS SDK's own code: bulk-signup only decides when to refresh.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// The service name Cognito's user pool API is signed for.
const SERVICE: &str = "cognito-idp";

/// Credentials are fetched again this long before they expire, so no
/// request goes out signed with keys that expire on the way.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// Signs requests for one region with credentials it keeps fresh.
pub(crate) struct Signer {
    provider: SharedCredentialsProvider,
    region: String,
    /// The credentials last fetched: fetching costs a network call for
    /// container, IMDS and SSO credentials, so it happens once per expiry.
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Signer")
            .field("region", &self.region)
            .finish()
    }
}

/// Headers to add to a request so that it is signed.
pub(crate) type SignatureHeaders = Vec<(&'static str, String)>;

impl Signer {
    /// A signer with the default credential chain, as the AWS CLI and SDKs
    /// find credentials. Nothing is fetched until the first request.
    pub(crate) async fn from_environment(region: &str) -> anyhow::Result<Signer> {
        // aws-config's HTTPS client (for IMDS, ECS, SSO, STS) on ring, like
        // reqwest's rustls: one crypto library in the build, not two.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http)
            .region(aws_config::Region::new(region.to_owned()))
            .load()
            .await;
        let provider = config.credentials_provider().ok_or_else(|| {
            anyhow::anyhow!("no AWS credential provider could be set up for the admin calls")
        })?;
        Ok(Signer::new(provider, region))
    }

    /// A signer with fixed keys (the built-in emulator's).
    #[allow(dead_code)] // the built-in emulator's keys, wired in next
    pub(crate) fn with_keys(access_key_id: &str, secret_access_key: &str, region: &str) -> Signer {
        let credentials = Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "bulk-signup emulator",
        );
        Signer::new(SharedCredentialsProvider::new(credentials), region)
    }

    fn new(provider: SharedCredentialsProvider, region: &str) -> Signer {
        Signer {
            provider,
            region: region.to_owned(),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// Fresh credentials: the cached ones unless they expire soon.
    pub(crate) async fn credentials(&self) -> anyhow::Result<Credentials> {
        let mut cached = self.cached.lock().await;
        let fresh = cached.as_ref().filter(|c| {
            c.expiry()
                .is_none_or(|expiry| expiry > SystemTime::now() + REFRESH_BEFORE_EXPIRY)
        });
        if let Some(credentials) = fresh {
            return Ok(credentials.clone());
        }
        let credentials = self.provider.provide_credentials().await.map_err(|e| {
            anyhow::anyhow!(
                "no AWS credentials for the admin calls ({e}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role provides them"
            )
        })?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// The headers that sign a POST of `body` to `url` with these other
    /// `headers` (all of which are signed).
    pub(crate) async fn sign(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<SignatureHeaders> {
        let identity: Identity = self.credentials().await?.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SERVICE)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let request = SignableRequest::new(
            "POST",
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )?;
        let (instructions, _signature) = sign(request, &params)?.into_parts();
        let (signed, _query) = instructions.into_parts();
        Ok(signed
            .into_iter()
            .map(|header| (header.name(), header.value().to_owned()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature headers carry the key id and scope, never the secret.
    #[tokio::test]
    async fn signing_adds_the_authorization_and_date_headers() {
        let signer = Signer::with_keys(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "eu-west-1",
        );
        let headers = signer
            .sign(
                "http://127.0.0.1:9/",
                &[
                    ("content-type", "application/x-amz-json-1.1"),
                    (
                        "x-amz-target",
                        "AWSCognitoIdentityProviderService.AdminGetUser",
                    ),
                ],
                b"{}",
            )
            .await
            .expect("signed");
        let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
        assert!(names.contains(&"authorization"), "{names:?}");
        assert!(names.contains(&"x-amz-date"), "{names:?}");
        let authorization = &headers
            .iter()
            .find(|(n, _)| *n == "authorization")
            .expect("auth")
            .1;
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                && authorization.contains("/eu-west-1/cognito-idp/aws4_request")
                && authorization.contains("x-amz-target"),
            "{authorization}"
        );
        assert!(!format!("{headers:?}{signer:?}").contains("wJalrXUtnFEMI"));
    }
}
