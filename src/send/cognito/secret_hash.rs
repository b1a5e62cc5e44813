//! `SecretHash = Base64(HMAC_SHA256(key = client_secret, message = Username + ClientId))`,
//! standard Base64 with padding, over the exact username sent (docs/PROTOCOL.md).
//! The HMAC is keyed once per run ([`SecretHasher`]); each row clones the
//! keyed state instead of deriving the key again from the secret.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Computes SecretHashes for one app client.
#[derive(Clone)]
pub(crate) struct SecretHasher {
    keyed: Hmac<Sha256>,
    client_id: String,
}

impl SecretHasher {
    pub(crate) fn new(client_secret: &str, client_id: &str) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        let keyed = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        SecretHasher {
            keyed,
            client_id: client_id.to_owned(),
        }
    }

    /// The SecretHash for one username.
    pub(crate) fn hash(&self, username: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(username.as_bytes());
        mac.update(self.client_id.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHasher(***)")
    }
}

/// Computes the SecretHash for one username (keying the HMAC each time).
#[cfg(test)]
pub(crate) fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    SecretHasher::new(client_secret, client_id).hash(username)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_documented_test_vector() {
        assert_eq!(
            secret_hash("client-secret-example", "alice", "1example23456789"),
            "AlBVu2cvVbbKkIR7i3zS8ZRCF82NM3j32T+LWqw4C5o="
        );
    }

    #[test]
    fn a_keyed_hasher_gives_each_username_its_own_hash() {
        let hasher = SecretHasher::new("client-secret-example", "1example23456789");
        assert_eq!(
            hasher.hash("alice"),
            "AlBVu2cvVbbKkIR7i3zS8ZRCF82NM3j32T+LWqw4C5o="
        );
        assert_ne!(hasher.hash("bob"), hasher.hash("alice"));
        // Hashing does not disturb the keyed state.
        assert_eq!(
            hasher.hash("alice"),
            "AlBVu2cvVbbKkIR7i3zS8ZRCF82NM3j32T+LWqw4C5o="
        );
        assert!(!format!("{hasher:?}").contains("client-secret-example"));
    }

    #[test]
    fn depends_on_every_input() {
        let base = secret_hash("s", "u", "c");
        assert_ne!(base, secret_hash("s2", "u", "c"));
        assert_ne!(base, secret_hash("s", "u2", "c"));
        assert_ne!(base, secret_hash("s", "u", "c2"));
    }
}
