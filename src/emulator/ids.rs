//! Random ids (user subs, request ids, tokens): version 4 UUIDs from the
//! thread's random generator. uuid's own `new_v4` asks the kernel for its
//! 16 bytes every time, a system call on every request the emulator answers.

/// A random (version 4) UUID.
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_4_and_differ() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }
}
