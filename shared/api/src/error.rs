//! The one error type of the public API: an HTTP status, a stable machine code
//! and a message that tells the caller what to fix.

use std::fmt;

use serde_json::{Value, json};

/// The message every 5xx answer carries: the cause stays in our logs.
const INTERNAL_MESSAGE: &str =
    "an internal error occurred; it has been logged, retry later or contact the administrator";

/// An error answer, rendered as `{"error": {"code", "message", "details"}}`.
///
/// 4xx errors are the caller's fault and their message says what to change;
/// 5xx errors are ours and their message never reveals internals.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// A stable, machine-readable code such as `invalid_parameter`.
    pub code: &'static str,
    /// A sentence for the person reading the answer.
    pub message: String,
    /// Structured context (the parameter at fault, allowed values, ...), or `null`.
    pub details: Value,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    /// 400: the request is malformed or a value is not allowed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }

    /// 401: no credentials, or credentials that do not identify anyone.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }

    /// 403: the caller is known but their role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }

    /// 404: nothing with this identity exists, or the caller may not see it.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 409: the request conflicts with the stored state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "conflict", message)
    }

    /// 413: the body is larger than the endpoint accepts.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!(
                "the request body is larger than {limit_bytes} bytes; send it in smaller parts"
            ),
        )
        .with_details(json!({ "limit_bytes": limit_bytes }))
    }

    /// 500: our fault. The cause is logged here and kept out of the answer.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(target: "relance.api", cause = %cause, "internal error");
        Self::new(500, "internal", INTERNAL_MESSAGE)
    }

    /// Replaces the generic code with a more precise one (`invalid_parameter`, ...).
    #[must_use]
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// Attaches structured context for programs reading the answer.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The JSON document sent as the response body.
    pub fn to_json(&self) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "details": self.details,
            }
        })
    }

    /// The response body as bytes, ready to send with `content-type: application/json`.
    pub fn body(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_renders_code_message_and_details_under_error() {
        let error = ApiError::bad_request("limit must be between 1 and 1000")
            .with_code("invalid_parameter")
            .with_details(json!({"parameter": "limit"}));

        assert_eq!(
            error.to_json(),
            json!({"error": {
                "code": "invalid_parameter",
                "message": "limit must be between 1 and 1000",
                "details": {"parameter": "limit"}
            }})
        );
    }

    #[test]
    fn each_constructor_maps_to_its_status() {
        let cases = [
            (ApiError::bad_request("x"), 400, "bad_request"),
            (ApiError::unauthorized("x"), 401, "unauthorized"),
            (ApiError::forbidden("x"), 403, "forbidden"),
            (ApiError::not_found("x"), 404, "not_found"),
            (ApiError::conflict("x"), 409, "conflict"),
            (ApiError::payload_too_large(10), 413, "payload_too_large"),
            (ApiError::internal(&"x"), 500, "internal"),
        ];

        for (error, status, code) in cases {
            assert_eq!((error.status, error.code), (status, code), "{error}");
        }
    }

    #[test]
    fn internal_error_never_shows_its_cause() {
        let error = ApiError::internal(&"disk I/O error at /var/lib/relance/sqlite_db.db");

        let body = String::from_utf8(error.body()).expect("JSON is UTF-8");

        assert!(!body.contains("sqlite_db"), "{body}");
        assert!(!body.contains("disk"), "{body}");
        assert_eq!(error.details, Value::Null);
    }
}
