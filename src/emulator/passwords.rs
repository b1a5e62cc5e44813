//! What the emulator keeps of a password: a salted SHA-256 digest, enough
//! to check a sign-in (InitiateAuth) and never the password itself, so a
//! memory dump or a debug print of the pool shows no password.

use sha2::{Digest, Sha256};

/// A password's salted digest.
#[derive(Clone)]
pub(crate) struct PasswordVerifier {
    salt: [u8; 16],
    digest: [u8; 32],
}

fn digest(salt: &[u8; 16], password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

impl PasswordVerifier {
    /// The verifier of `password`, with a fresh random salt.
    pub(crate) fn new(password: &str) -> Self {
        let salt: [u8; 16] = rand::random();
        PasswordVerifier {
            digest: digest(&salt, password),
            salt,
        }
    }

    /// Whether `password` is the one this verifier was made from.
    pub(crate) fn matches(&self, password: &str) -> bool {
        super::ct::eq(&digest(&self.salt, password), &self.digest)
    }
}

impl std::fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordVerifier(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_password_matches_and_none_shows() {
        let verifier = PasswordVerifier::new("Passw0rd!");
        assert!(verifier.matches("Passw0rd!"));
        assert!(!verifier.matches("passw0rd!"));
        assert!(!verifier.matches("Passw0rd!!"));
        assert!(!verifier.matches(""));
        assert_eq!(format!("{verifier:?}"), "PasswordVerifier(***)");
        // Salted: the same password gives another digest each time.
        assert_ne!(PasswordVerifier::new("Passw0rd!").digest, verifier.digest);
    }
}
