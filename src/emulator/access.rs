//! Who may call the emulator's admin operations: its IAM-style access key
//! (random unless `--access-key-id` and `--secret-access-key-file` give
//! one; the secret never as a process argument) and the region that SigV4
//! credential scopes must name (`--region`, else the pool id's prefix, as
//! in `us-east-1_AbC123`, else us-east-1).

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use rand::Rng;
use regex::Regex;

use crate::send::cognito::wire::Secret;

/// The region when neither `--region` nor the pool id names one.
const DEFAULT_REGION: &str = "us-east-1";

/// The emulator's credentials and region.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: Secret,
    pub(crate) region: String,
}

fn random_text(alphabet: &[u8], length: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..length)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

impl Access {
    /// The given key id and secret, or random ones in AWS's shapes.
    pub(crate) fn new(
        access_key_id: Option<String>,
        secret_access_key: Option<Secret>,
        region: String,
    ) -> anyhow::Result<Access> {
        let access_key_id = match access_key_id {
            Some(id) => check_key_id(id)?,
            None => format!(
                "AKIA{}",
                random_text(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
            ),
        };
        let secret_access_key = secret_access_key.unwrap_or_else(|| {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            Secret::new(random_text(alphabet, 40))
        });
        Ok(Access {
            access_key_id,
            secret_access_key,
            region,
        })
    }
}

/// An access key id: 1–128 letters, digits or `_` (AWS's `[\w]+`), so that
/// it cannot break the `Credential=` part of an Authorization header.
fn check_key_id(id: String) -> anyhow::Result<String> {
    let fits = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if (1..=128).contains(&id.len()) && fits {
        Ok(id)
    } else {
        anyhow::bail!("--access-key-id must be 1–128 ASCII letters, digits or `_`")
    }
}

/// The secret access key in `path`, surrounding white space trimmed.
pub(crate) fn read_secret(path: &Path) -> anyhow::Result<Secret> {
    let text = Secret::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --secret-access-key-file {}", path.display()))?,
    );
    let secret = text.expose().trim();
    if secret.is_empty() {
        anyhow::bail!("--secret-access-key-file {} is empty", path.display());
    }
    Ok(Secret::new(secret))
}

/// Whether `text` has the shape of an AWS region name (`eu-west-1`,
/// `us-gov-west-1`, …).
fn is_region(text: &str) -> bool {
    static REGION: OnceLock<Regex> = OnceLock::new();
    REGION
        .get_or_init(|| {
            Regex::new(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
                .unwrap_or_else(|e| unreachable!("static regex: {e}"))
        })
        .is_match(text)
}

/// The emulator's region: `flag`, else the pool id's region prefix, else us-east-1.
pub(crate) fn region(flag: Option<&str>, pool_id: &str) -> anyhow::Result<String> {
    if let Some(region) = flag {
        if !is_region(region) {
            anyhow::bail!("--region {region:?} is not a region name such as eu-west-1");
        }
        return Ok(region.to_owned());
    }
    let prefix = pool_id.split_once('_').map_or("", |(prefix, _)| prefix);
    Ok(if is_region(prefix) {
        prefix.to_owned()
    } else {
        DEFAULT_REGION.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_comes_from_the_flag_then_the_pool_id() {
        assert_eq!(
            region(Some("eu-west-1"), "us-east-1_X").ok(),
            Some("eu-west-1".into())
        );
        assert_eq!(
            region(None, "ap-southeast-2_Ab1").ok(),
            Some("ap-southeast-2".into())
        );
        assert_eq!(
            region(None, "us-gov-west-1_Ab1").ok(),
            Some("us-gov-west-1".into())
        );
        assert_eq!(
            region(None, "local_emulator").ok(),
            Some("us-east-1".into())
        );
        assert!(region(Some("Mars"), "x").is_err());
    }

    #[test]
    fn random_credentials_have_aws_shapes_and_given_ones_are_checked() {
        let access = Access::new(None, None, "us-east-1".into()).expect("random");
        assert!(access.access_key_id.starts_with("AKIA") && access.access_key_id.len() == 20);
        assert_eq!(access.secret_access_key.expose().len(), 40);
        let other = Access::new(None, None, "us-east-1".into()).expect("random");
        assert_ne!(access.secret_access_key, other.secret_access_key);
        assert!(Access::new(Some("AKIDEXAMPLE".into()), None, "x".into()).is_ok());
        assert!(Access::new(Some("AKID/EXAMPLE".into()), None, "x".into()).is_err());
        assert!(Access::new(Some(String::new()), None, "x".into()).is_err());
    }

    #[test]
    fn the_secret_file_is_trimmed_and_must_not_be_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret");
        std::fs::write(&path, "  wJalrXUtnFEMI/K7MDENG\n").expect("write");
        assert_eq!(
            read_secret(&path).expect("secret").expose(),
            "wJalrXUtnFEMI/K7MDENG"
        );
        std::fs::write(&path, "\n").expect("write");
        assert!(read_secret(&path).is_err());
        assert!(read_secret(&dir.path().join("missing")).is_err());
    }
}
