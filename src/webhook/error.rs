//! Why a webhook or SPI request was refused.

/// Why a webhook or SPI request was not trusted. No variant holds a secret or
/// the body.
///
/// [`VerifyError::status`] is the HTTP status to answer with (the body of that
/// answer should say nothing more).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature header (`X-Douyin-Signature` or `x-life-sign`) is missing.
    #[error("the signature header `{0}` is missing")]
    MissingSignature(&'static str),
    /// The signature does not match the body (and, for SPI, the URL).
    #[error("the signature does not match")]
    BadSignature,
    /// No secret is configured for this `client_key`.
    #[error("no secret is configured for client_key {client_key:?}")]
    UnknownClientKey {
        /// The `client_key` the request named (the body's for a webhook, the
        /// URL's for an SPI call).
        client_key: String,
    },
    /// The SPI call's `timestamp` is outside the accepted window (either side).
    #[error(
        "timestamp {timestamp_ms} ms is {skew_ms} ms away from now, more than the {window_ms} ms allowed"
    )]
    StaleTimestamp {
        /// The URL's `timestamp`, in milliseconds since the Unix epoch.
        timestamp_ms: i64,
        /// How far it is from the verifier's clock (positive: in the past).
        skew_ms: i64,
        /// The window, in milliseconds.
        window_ms: i64,
    },
    /// The body is larger than the configured cap.
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// A required parameter (`client_key`, `timestamp`) is missing.
    #[error("the parameter `{0}` is missing")]
    MissingParameter(&'static str),
    /// A parameter is not what it should be (the query's encoding, a
    /// non-numeric timestamp, a repeated key, …); names the parameter.
    #[error("the parameter `{0}` is invalid")]
    InvalidParameter(&'static str),
    /// The webhook body is not the documented JSON envelope.
    #[error("the body is not the documented JSON: {0}")]
    MalformedBody(String),
}

impl VerifyError {
    /// The HTTP status to answer with: 401 for anything about authenticity
    /// (missing or bad signature, unknown `client_key`, stale timestamp), 413 for
    /// a body over the cap, 400 for a malformed request.
    pub fn status(&self) -> u16 {
        match self {
            VerifyError::MissingSignature(_)
            | VerifyError::BadSignature
            | VerifyError::UnknownClientKey { .. }
            | VerifyError::StaleTimestamp { .. } => 401,
            VerifyError::BodyTooLarge { .. } => 413,
            VerifyError::MissingParameter(_)
            | VerifyError::InvalidParameter(_)
            | VerifyError::MalformedBody(_) => 400,
        }
    }
}
