//! The one place that decides what an answer means for a row, following the
//! table in docs/PROTOCOL.md. Classification is by error code, never by HTTP status
//! (Cognito sends `TooManyRequestsException` as 400); the status only decides
//! for answers that carry no code (HTML error pages, proxies).

use super::error::ApiError;

/// What an error answer means for the row and the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Account-wide rate quota hit: retry with backoff, slow the run down.
    Throttled,
    /// Transient server or network trouble: retry with backoff.
    Transient,
    /// A trigger Lambda failed; may be transient: a few retries, then a row failure.
    LambdaFault,
    /// The user is already there: row outcome `exists`.
    Exists,
    /// The email/SMS quota was hit, but the user WAS created: never retry.
    CreatedButNotified,
    /// This row is wrong: row outcome `rejected`, no retry.
    RowError,
    /// The pool or client is misconfigured; every row would fail the same way:
    /// stop the run.
    Config,
}

impl Class {
    /// Whether another attempt may succeed.
    pub(crate) fn is_retryable(self) -> bool {
        matches!(
            self,
            Class::Throttled | Class::Transient | Class::LambdaFault
        )
    }
}

/// Classifies one error answer.
pub(crate) fn classify(error: &ApiError) -> Class {
    match error.code.as_deref() {
        Some(code) => classify_code(code).unwrap_or_else(|| classify_status(error.status)),
        None => classify_status(error.status),
    }
}

fn classify_code(code: &str) -> Option<Class> {
    let class = match code {
        "TooManyRequestsException" | "ThrottlingException" => Class::Throttled,
        "InternalErrorException" | "ServiceUnavailable" | "InternalFailure" => Class::Transient,
        "UnexpectedLambdaException" | "InvalidLambdaResponseException" => Class::LambdaFault,
        "UsernameExistsException" => Class::Exists,
        "LimitExceededException" => Class::CreatedButNotified,
        // Another user owns this email/phone alias: this row was not created.
        "AliasExistsException"
        | "InvalidPasswordException"
        | "InvalidParameterException"
        | "UserLambdaValidationException"
        | "CodeDeliveryFailureException" => Class::RowError,
        "ResourceNotFoundException"
        | "NotAuthorizedException"
        | "InvalidSmsRoleAccessPolicyException"
        | "InvalidSmsRoleTrustRelationshipException"
        | "InvalidEmailRoleAccessPolicyException"
        | "ForbiddenException"
        | "OperationNotEnabledException"
        | "UnrecognizedClientException"
        | "UnknownOperationException"
        // The signature or the identity behind an admin call: every later
        // call would be refused the same way.
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationTokenException"
        | "ExpiredTokenException"
        | "AccessDeniedException" => Class::Config,
        _ => return None,
    };
    Some(class)
}

/// For answers without a code: 5xx and 429 are transient; any other status
/// is taken as a refusal of this row.
fn classify_status(status: u16) -> Class {
    match status {
        429 => Class::Throttled,
        500..=599 => Class::Transient,
        _ => Class::RowError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, code: Option<&str>) -> ApiError {
        ApiError {
            status,
            code: code.map(str::to_owned),
            message: None,
            request_id: None,
        }
    }

    #[test]
    fn follows_the_cognito_md_table() {
        let table = [
            ("TooManyRequestsException", Class::Throttled),
            ("InternalErrorException", Class::Transient),
            ("UnexpectedLambdaException", Class::LambdaFault),
            ("InvalidLambdaResponseException", Class::LambdaFault),
            ("UsernameExistsException", Class::Exists),
            ("AliasExistsException", Class::RowError),
            ("InvalidPasswordException", Class::RowError),
            ("InvalidParameterException", Class::RowError),
            ("UserLambdaValidationException", Class::RowError),
            ("CodeDeliveryFailureException", Class::RowError),
            ("LimitExceededException", Class::CreatedButNotified),
            ("ResourceNotFoundException", Class::Config),
            ("NotAuthorizedException", Class::Config),
            ("InvalidSmsRoleAccessPolicyException", Class::Config),
            ("InvalidSmsRoleTrustRelationshipException", Class::Config),
            ("InvalidEmailRoleAccessPolicyException", Class::Config),
            ("ForbiddenException", Class::Config),
            ("OperationNotEnabledException", Class::Config),
            ("AccessDeniedException", Class::Config),
            ("InvalidSignatureException", Class::Config),
        ];
        for (code, class) in table {
            assert_eq!(classify(&err(400, Some(code))), class, "{code}");
        }
    }

    #[test]
    fn throttling_is_by_code_not_status() {
        assert_eq!(
            classify(&err(400, Some("TooManyRequestsException"))),
            Class::Throttled
        );
        assert_eq!(
            classify(&err(429, Some("InvalidParameterException"))),
            Class::RowError
        );
    }

    #[test]
    fn answers_without_a_code_go_by_status() {
        for status in [500, 502, 503, 504] {
            assert_eq!(classify(&err(status, None)), Class::Transient);
        }
        assert_eq!(classify(&err(429, None)), Class::Throttled);
        assert_eq!(classify(&err(400, None)), Class::RowError);
        assert_eq!(classify(&err(503, Some("SomethingNew"))), Class::Transient);
    }

    #[test]
    fn only_transient_classes_retry() {
        assert!(Class::Throttled.is_retryable());
        assert!(Class::Transient.is_retryable());
        assert!(Class::LambdaFault.is_retryable());
        for c in [
            Class::Exists,
            Class::CreatedButNotified,
            Class::RowError,
            Class::Config,
        ] {
            assert!(!c.is_retryable());
        }
    }
}
