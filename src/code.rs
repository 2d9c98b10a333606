//! Douyin error codes, generated from the spec's `x-error-code-catalog` and the
//! `x-error-codes` table of every operation (see `build.rs`).
//!
//! The spec is the single source: adding a row there adds a variant, its
//! message, advice and class here.
//!
//! ```
//! use douyin_goodlife::{ErrorClass, ErrorCode};
//!
//! let code = ErrorCode::from_code(2190008);
//! assert_eq!(code, ErrorCode::AccessTokenExpired);
//! assert!(code.needs_new_token());
//! assert_eq!(code.class(), ErrorClass::RefreshToken);
//! assert_eq!(ErrorCode::from_code(42), ErrorCode::Unknown(42));
//! ```

include!(concat!(env!("OUT_DIR"), "/error_codes.rs"));

/// What an error code means for a client. Read from the spec's
/// `x-error-code-catalog` (`class`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Busy, system or network codes: the same call may succeed later.
    Retryable,
    /// The access token is invalid or expired: fetch a new one and replay.
    RefreshToken,
    /// The request's parameters were refused: fix the request.
    InvalidRequest,
    /// The application or merchant lacks a capability or authorization.
    Permission,
    /// The application's quota is used up.
    Quota,
    /// Too many token requests (10020): slow down and reuse tokens.
    RateLimited,
    /// Wrong `client_key` / `client_secret`.
    Credentials,
    /// A code the spec does not document.
    Unknown,
}

impl ErrorClass {
    /// The class name as written in the spec (`retryable`, `refresh_token`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Retryable => "retryable",
            ErrorClass::RefreshToken => "refresh_token",
            ErrorClass::InvalidRequest => "invalid_request",
            ErrorClass::Permission => "permission",
            ErrorClass::Quota => "quota",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Credentials => "credentials",
            ErrorClass::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of an operation's documented error table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorRow {
    /// The operation id (`query_reservation_orders`, …).
    pub operation: &'static str,
    /// The numeric code.
    pub code: i64,
    /// 错误码描述, as the page gives it.
    pub message: &'static str,
    /// 排查建议, as the page gives it (may be empty).
    pub advice: &'static str,
}

impl ErrorCode {
    /// Whether the same call may succeed if tried again later (busy, system and
    /// network codes: 13000, 2100001, 2100004, 2119002, 2119003, 28001005,
    /// 28001006, 5000001).
    pub const fn is_retryable(self) -> bool {
        matches!(self.class(), ErrorClass::Retryable)
    }

    /// Whether the access token must be replaced (2190002, 2190008, 28001003,
    /// 28001008).
    pub const fn needs_new_token(self) -> bool {
        matches!(self.class(), ErrorClass::RefreshToken)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

impl From<i64> for ErrorCode {
    fn from(code: i64) -> Self {
        ErrorCode::from_code(code)
    }
}
