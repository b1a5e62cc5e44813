//! `SecretHash = Base64(HMAC_SHA256(key = client_secret, message = Username + ClientId))`,
//! standard Base64 with padding, over the exact username sent (docs/PROTOCOL.md).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Computes the SecretHash for one username.
pub(crate) fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_cognito_md_test_vector() {
        assert_eq!(
            secret_hash("client-secret-example", "alice", "1example23456789"),
            "AlBVu2cvVbbKkIR7i3zS8ZRCF82NM3j32T+LWqw4C5o="
        );
    }

    #[test]
    fn depends_on_every_input() {
        let base = secret_hash("s", "u", "c");
        assert_ne!(base, secret_hash("s2", "u", "c"));
        assert_ne!(base, secret_hash("s", "u2", "c"));
        assert_ne!(base, secret_hash("s", "u", "c2"));
    }
}
