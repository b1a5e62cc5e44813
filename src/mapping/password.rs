//! Random passwords for `password = { generate = true }`: they meet the
//! pool's policy (or a strong default) and are never written anywhere; such
//! users must reset their password before they can sign in.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::send::cognito::pool::PasswordPolicy;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
/// A subset of Cognito's symbols that no shell or CSV tool treats specially.
const SYMBOLS: &[u8] = b"!#%*+-=?@^_~";
/// Generated passwords are at least this long, whatever the policy's minimum.
pub(crate) const MIN_GENERATED: usize = 20;

/// A password with one character of every class (so any policy is met) and
/// at least `max(policy minimum, 20)` characters, from the OS-seeded RNG.
pub(crate) fn generate_password(policy: &PasswordPolicy) -> String {
    let mut rng = rand::thread_rng();
    let length = policy.minimum_length.max(MIN_GENERATED);
    let classes = [LOWER, UPPER, DIGITS, SYMBOLS];
    let mut bytes: Vec<u8> = classes
        .iter()
        .map(|class| class[rng.gen_range(0..class.len())])
        .collect();
    let all: Vec<u8> = classes.concat();
    while bytes.len() < length {
        bytes.push(all[rng.gen_range(0..all.len())]);
    }
    bytes.shuffle(&mut rng);
    bytes.into_iter().map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meets_the_strictest_policy_and_differs_each_time() {
        let policy = PasswordPolicy {
            minimum_length: 32,
            ..PasswordPolicy::default()
        };
        let a = generate_password(&policy);
        let b = generate_password(&policy);
        assert_ne!(a, b);
        for p in [&a, &b] {
            assert_eq!(p.len(), 32);
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| SYMBOLS.contains(&(c as u8))));
        }
        assert_eq!(
            generate_password(&PasswordPolicy::default()).len(),
            MIN_GENERATED
        );
    }
}
