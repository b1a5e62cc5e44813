//! Parses a Cognito error answer the way the AWS SDKs do: the
//! `x-amzn-ErrorType` header first, else the body's `code` or `__type`; cut at
//! the first `:`; keep what follows `#`. The message may be `message`,
//! `Message` or `errorMessage`. Bodies that are not JSON (moto sends HTML 500
//! pages) leave the code empty, so the answer is classified by status.

use serde_json::Value;

/// A non-2xx answer from Cognito, reduced to what classification and the
/// report need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// HTTP status of the answer.
    pub(crate) status: u16,
    /// The error code (`TooManyRequestsException`), when one could be parsed.
    pub(crate) code: Option<String>,
    /// The human message, when the body carried one.
    pub(crate) message: Option<String>,
    /// `x-amzn-RequestId`, for support tickets.
    pub(crate) request_id: Option<String>,
}

impl ApiError {
    /// Builds an `ApiError` from the pieces of an HTTP answer.
    pub(crate) fn parse(
        status: u16,
        error_type_header: Option<&str>,
        request_id: Option<&str>,
        body: &[u8],
    ) -> ApiError {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let object = json.as_ref().and_then(Value::as_object);
        let body_code = object.and_then(|o| {
            ["code", "__type", "Code"]
                .iter()
                .find_map(|key| o.get(*key).and_then(Value::as_str))
        });
        let code = error_type_header
            .filter(|h| !h.trim().is_empty())
            .or(body_code)
            .map(sanitize_error_code)
            .filter(|c| !c.is_empty())
            .map(|c| printable(&c, 128));
        let message = object.and_then(|o| {
            ["message", "Message", "errorMessage"]
                .iter()
                .find_map(|key| o.get(*key).and_then(Value::as_str))
                .map(|m| printable(m, MAX_MESSAGE_CHARS))
        });
        ApiError {
            status,
            code,
            message,
            request_id: request_id.map(str::to_owned),
        }
    }

    /// The code, or `HTTP <status>` when the answer carried none.
    pub(crate) fn code_or_status(&self) -> String {
        match &self.code {
            Some(code) => code.clone(),
            None => format!("HTTP{}", self.status),
        }
    }
}

/// The longest message kept from an answer: it is written to the report,
/// to every unsent row's entry when it stops the run, and to the terminal.
pub(crate) const MAX_MESSAGE_CHARS: usize = 1024;

/// `text` made safe to print and to write: control characters (escape
/// codes, line breaks, NUL) become spaces, and past `max` characters it is
/// cut, with `…` to say so.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// `com.amazonaws.cognitoidentityprovider#TooManyRequestsException:http://...`
/// becomes `TooManyRequestsException`, exactly as smithy-rs and botocore do.
pub(crate) fn sanitize_error_code(raw: &str) -> String {
    let before_colon = raw.split(':').next().unwrap_or(raw);
    let after_hash = before_colon.rsplit('#').next().unwrap_or(before_colon);
    after_hash.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_wins_and_trailing_colon_is_cut() {
        let e = ApiError::parse(
            400,
            Some("TooManyRequestsException:"),
            Some("req-1"),
            br#"{"__type":"InternalErrorException","message":"slow down"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("TooManyRequestsException"));
        assert_eq!(e.message.as_deref(), Some("slow down"));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn namespace_prefix_is_dropped() {
        let e = ApiError::parse(
            400,
            None,
            None,
            br#"{"__type":"com.amazonaws.cognitoidentityprovider#UsernameExistsException","Message":"User already exists"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("UsernameExistsException"));
        assert_eq!(e.message.as_deref(), Some("User already exists"));
    }

    #[test]
    fn header_with_namespace_and_url_suffix() {
        let e = ApiError::parse(
            400,
            Some("aws.protocoltests#InvalidParameterException:http://internal.amazon.com/coral/"),
            None,
            b"",
        );
        assert_eq!(e.code.as_deref(), Some("InvalidParameterException"));
        assert_eq!(e.message, None);
    }

    #[test]
    fn code_member_and_error_message_variant() {
        let e = ApiError::parse(
            400,
            None,
            None,
            br#"{"code":"NotAuthorizedException","errorMessage":"bad hash"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("NotAuthorizedException"));
        assert_eq!(e.message.as_deref(), Some("bad hash"));
    }

    #[test]
    fn empty_header_falls_back_to_body() {
        let e = ApiError::parse(
            400,
            Some(""),
            None,
            br#"{"__type":"InvalidPasswordException","message":"short"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("InvalidPasswordException"));
    }

    #[test]
    fn html_body_has_no_code() {
        let e = ApiError::parse(
            500,
            None,
            None,
            b"<!doctype html><html><title>500 Internal Server Error</title></html>",
        );
        assert_eq!(e.code, None);
        assert_eq!(e.message, None);
        assert_eq!(e.code_or_status(), "HTTP500");
    }
}
