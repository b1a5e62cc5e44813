//! Cognito's attribute vocabulary (docs/PROTOCOL.md): the standard attribute names,
//! which are booleans, and which names SignUp may never write.

/// Standard attributes a SignUp may write.
pub(crate) const STANDARD: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
    "email_verified",
    "phone_number_verified",
];

/// Standard attributes whose wire values are the strings `true`/`false`.
pub(crate) const BOOLEAN: &[&str] = &["email_verified", "phone_number_verified"];

/// Prefix of custom attributes.
pub(crate) const CUSTOM_PREFIX: &str = "custom:";
/// Prefix of developer-only attributes, which SignUp cannot write.
pub(crate) const DEVELOPER_PREFIX: &str = "dev:";
/// Longest custom attribute name after the prefix.
pub(crate) const MAX_CUSTOM_NAME: usize = 20;

/// The canonical attribute name for a header, if it names one: standard names
/// match case-insensitively (`Email` → `email`); `custom:` keeps the name's
/// case (Cognito's custom names are case-sensitive) but not the prefix's.
pub(crate) fn canonical_name(header: &str) -> Option<String> {
    let trimmed = header.trim();
    let lower = trimmed.to_ascii_lowercase();
    if let Some(standard) = STANDARD.iter().find(|s| **s == lower) {
        return Some((*standard).to_owned());
    }
    if lower.starts_with(CUSTOM_PREFIX) && trimmed.len() > CUSTOM_PREFIX.len() {
        return Some(format!(
            "{CUSTOM_PREFIX}{}",
            &trimmed[CUSTOM_PREFIX.len()..]
        ));
    }
    None
}

/// Why an attribute name can never be sent by SignUp, if it cannot.
pub(crate) fn forbidden_reason(name: &str) -> Option<&'static str> {
    // Called for every attribute of every row: compare without allocating.
    let name = name.trim();
    let prefix = name.get(..DEVELOPER_PREFIX.len());
    if name.eq_ignore_ascii_case("sub") {
        Some("`sub` is set by Cognito and cannot be sent")
    } else if prefix.is_some_and(|p| p.eq_ignore_ascii_case(DEVELOPER_PREFIX)) {
        Some("`dev:` attributes cannot be written by SignUp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names() {
        assert_eq!(canonical_name(" Email ").as_deref(), Some("email"));
        assert_eq!(
            canonical_name("Custom:Tier").as_deref(),
            Some("custom:Tier")
        );
        assert_eq!(canonical_name("custom:"), None);
        assert_eq!(canonical_name("Internal Notes"), None);
        assert_eq!(canonical_name("sub"), None);
    }

    #[test]
    fn forbidden_names() {
        assert!(forbidden_reason("sub").is_some());
        assert!(forbidden_reason("dev:flag").is_some());
        assert!(forbidden_reason(" DEV:flag").is_some());
        assert!(forbidden_reason("Sub").is_some());
        assert!(forbidden_reason("subscriber").is_none());
        assert!(forbidden_reason("dé").is_none());
        assert!(forbidden_reason("email").is_none());
    }
}
