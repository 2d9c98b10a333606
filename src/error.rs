//! The one error type of the SDK.
//!
//! Douyin answers HTTP 200 for errors too; the error codes live in the body
//! (`extra.error_code`, `data.error_code`, `BaseResp.StatusCode`). The envelope
//! check (`envelope.rs`) turns any non-zero code into [`Error::Api`]; every other
//! failure has its own variant. Variants built from a server answer carry the
//! `logid` to quote to Douyin support. No variant ever holds a secret.

use crate::code::ErrorCode;

/// Bodies kept in errors are cut to this many bytes (on a UTF-8 boundary).
pub const BODY_CAP: usize = 4096;

/// Where in the answer the deciding error code was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodeSource {
    /// `extra.error_code` (the platform envelope; checked first).
    Extra,
    /// `data.error_code` (the business answer; checked second).
    Data,
    /// `BaseResp.StatusCode` (the SPU endpoint's RPC status; checked third).
    BaseResp,
    /// `err_no` at the top level (the `err_no` / `err_msg` / `log_id` answer).
    ErrNo,
}

impl CodeSource {
    /// The JSON path of the field (`extra.error_code`, …).
    pub const fn path(self) -> &'static str {
        match self {
            CodeSource::Extra => "extra.error_code",
            CodeSource::Data => "data.error_code",
            CodeSource::BaseResp => "BaseResp.StatusCode",
            CodeSource::ErrNo => "err_no",
        }
    }
}

/// Everything that can go wrong in a call.
///
/// `Clone` so that one failed token fetch can be handed to every caller waiting
/// for it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Douyin answered with a non-zero error code.
    #[error(
        "{operation}: Douyin error {code}: {description}{}{}",
        logid_suffix(logid.as_deref()),
        attempts_suffix(*attempts)
    )]
    #[non_exhaustive]
    Api {
        /// Operation id of the call (`query_reservation_orders`, …).
        operation: &'static str,
        /// The error code, typed; undocumented codes are `ErrorCode::Unknown`.
        code: ErrorCode,
        /// `extra.sub_error_code`, when present and non-zero.
        sub_code: Option<i64>,
        /// The server's description (or the documented message when empty).
        description: String,
        /// `extra.sub_description`, when present and non-empty.
        sub_description: Option<String>,
        /// Log id of the request (`extra.logid`, else the `x-tt-logid` header).
        logid: Option<String>,
        /// Which field carried the deciding code.
        source_field: CodeSource,
        /// How many attempts were made before giving up.
        attempts: u32,
    },
    /// The call succeeded but one of its items did not: a non-zero result in
    /// a per-item list the spec declares (`x-douyin-verify-results`, e.g.
    /// `verify_results[].result` of a voucher verification). Never retried.
    #[error(
        "{operation}: item {index} failed with result {result}: {message}{}",
        logid_suffix(logid.as_deref())
    )]
    #[non_exhaustive]
    ItemFailed {
        /// Operation id of the call.
        operation: &'static str,
        /// Index of the first failed item.
        index: usize,
        /// Its result code.
        result: i64,
        /// Its message (`msg`).
        message: String,
        /// Log id of the answer.
        logid: Option<String>,
    },
    /// The request was refused before anything was sent.
    #[error("invalid request: {field}: {reason}")]
    #[non_exhaustive]
    InvalidRequest {
        /// Wire name of the offending field (`page_size`, `time_range.end_time`, …).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A non-2xx HTTP answer.
    #[error(
        "{operation}: HTTP {status}{}{}: {}",
        logid_suffix(logid.as_deref()),
        attempts_suffix(*attempts),
        body_preview(body)
    )]
    #[non_exhaustive]
    Http {
        /// Operation id of the call.
        operation: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The body, capped at [`BODY_CAP`] bytes.
        body: String,
        /// The `x-tt-logid` header, if any.
        logid: Option<String>,
        /// Seconds from a `Retry-After` header, if any.
        retry_after: Option<u64>,
        /// How many attempts were made before giving up.
        attempts: u32,
    },
    /// An HTTP 200 body that is not the documented JSON.
    #[error("{operation}: cannot decode the answer at `{path}`: {message}{}", logid_suffix(logid.as_deref()))]
    #[non_exhaustive]
    Decode {
        /// Operation id of the call.
        operation: &'static str,
        /// JSON path of the failure (`data.order_list[1].status`; `.` for the root).
        path: String,
        /// What the decoder said.
        message: String,
        /// The body, capped at [`BODY_CAP`] bytes.
        body: String,
        /// `extra.logid` if it could be read, else the `x-tt-logid` header.
        logid: Option<String>,
    },
    /// The request could not be sent or the answer could not be read
    /// (connection refused or reset, TLS handshake failed, timeout, body cut
    /// short). [`Error::transport_kind`] tells which, and so whether it is
    /// retried.
    #[error("{operation}: transport error{}: {source}", attempts_suffix(*attempts))]
    #[non_exhaustive]
    Transport {
        /// Operation id of the call.
        operation: &'static str,
        /// Whether it was a timeout.
        timeout: bool,
        /// How many attempts were made before giving up.
        attempts: u32,
        /// The underlying error.
        #[source]
        source: std::sync::Arc<reqwest::Error>,
    },
    /// The overall deadline of the call passed.
    #[error("{operation}: deadline of {deadline:?} exceeded after {attempts} attempt(s)")]
    #[non_exhaustive]
    Deadline {
        /// Operation id of the call.
        operation: &'static str,
        /// The configured overall deadline.
        deadline: std::time::Duration,
        /// Attempts started before the deadline.
        attempts: u32,
    },
    /// An `attr_value` did not decode (see [`AttrValueError`](crate::AttrValueError)).
    #[error(transparent)]
    AttrValue(#[from] crate::attr::AttrValueError),
    /// The client is misconfigured (bad base URL, no credentials, …).
    #[error("configuration: {0}")]
    Config(String),
    /// A paginated stream (`orders_stream`, `certificates_stream`) ended because
    /// the server's pages did not add up; see
    /// [`PaginationStop`](crate::PaginationStop). Items yielded before it stay valid.
    #[error(
        "{operation}: pagination stopped at page {page}: {reason}{}",
        logid_suffix(logid.as_deref())
    )]
    #[non_exhaustive]
    Pagination {
        /// Operation id of the paged call.
        operation: &'static str,
        /// The page number at which the stream stopped.
        page: u32,
        /// What the server did wrong.
        reason: crate::pagination::PaginationStop,
        /// Log id of the answer that showed it, if any.
        logid: Option<String>,
    },
    /// The shared token store (e.g. Redis, feature `redis`) failed or timed out,
    /// or another process held its fetch lock past
    /// [`RefreshPolicy::lock_wait`](crate::RefreshPolicy::lock_wait). A store
    /// that fails while the client fetches a token no longer fails the call
    /// (the client fetches on its own and logs a warning); this is what a
    /// [`TokenStore`](crate::TokenStore) method itself returns.
    #[error("token store: {0}")]
    TokenStore(#[source] TokenStoreError),
    /// The client-side rate limit of the operation is full (see
    /// [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)): nothing
    /// was sent. Never retried by the client.
    #[error("{operation}: client-side rate limit full; next slot in {retry_after:?}")]
    #[non_exhaustive]
    RateLimited {
        /// Operation id of the call.
        operation: &'static str,
        /// How long until the limiter would admit the call.
        retry_after: std::time::Duration,
    },
}

/// What kind of [`Error::Transport`] a failure is, which decides whether it is
/// retried (as the AWS SDKs' standard retry mode does): a connection that was
/// never made is retried always, a timeout or a reset after the request went
/// out only for an operation that is safe to repeat, and a TLS, builder or
/// redirect failure never (a retry would fail the same way).
///
/// ```
/// use douyin_goodlife::TransportKind;
///
/// assert!(TransportKind::Connect.is_retryable() && TransportKind::Connect.not_carried_out());
/// assert!(TransportKind::Reset.is_retryable() && !TransportKind::Reset.not_carried_out());
/// assert!(!TransportKind::Tls.is_retryable() && TransportKind::Tls.not_carried_out());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection was made: refused, unreachable, DNS, connect timeout.
    /// Nothing was sent; always retried.
    Connect,
    /// The TLS handshake failed (a certificate refused, a server that does not
    /// speak TLS, a corrupt record). Nothing was sent; never retried.
    Tls,
    /// The attempt's timeout passed after the connection was made: the
    /// request may have been carried out. Retried only when safe to repeat.
    Timeout,
    /// The connection was reset or closed, or the answer's body cut short,
    /// after the request went out: it may have been carried out. Retried only
    /// when safe to repeat.
    Reset,
    /// reqwest refused to build or send the request (e.g. a scheme that an
    /// `https_only` HTTP client refuses). Nothing was sent; never retried.
    Builder,
    /// A redirect policy failed (only an HTTP client given with
    /// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client)
    /// follows redirects; the SDK's own follows none). Never retried.
    Redirect,
    /// Anything else reqwest reports. Retried only when safe to repeat.
    Other,
}

impl TransportKind {
    /// The kind of a reqwest error.
    pub(crate) fn of(e: &reqwest::Error) -> Self {
        if e.is_builder() {
            TransportKind::Builder
        } else if e.is_redirect() {
            TransportKind::Redirect
        } else if handshake_failed(e) {
            TransportKind::Tls
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_request() || e.is_body() {
            TransportKind::Reset
        } else {
            TransportKind::Other
        }
    }

    /// Whether a retry may help: not for TLS, builder and redirect failures.
    pub fn is_retryable(self) -> bool {
        !matches!(
            self,
            TransportKind::Tls | TransportKind::Builder | TransportKind::Redirect
        )
    }

    /// Whether it proves that nothing reached the server: no connection, a
    /// failed handshake, or a request never built.
    pub fn not_carried_out(self) -> bool {
        matches!(
            self,
            TransportKind::Connect | TransportKind::Tls | TransportKind::Builder
        )
    }
}

/// Whether the TLS layer failed `e`: a `rustls::Error` in its source chain, or
/// an `io::Error` of kind `InvalidData` in a connect error (what the TLS
/// streams turn rustls's errors into: a refused certificate, a server that
/// answers the handshake with something else than TLS, a bad record).
///
/// reqwest reports these as connect errors (the handshake runs inside its
/// connector), so they must be told apart before [`reqwest::Error::is_connect`].
fn handshake_failed(e: &reqwest::Error) -> bool {
    use std::error::Error as _;
    let connect = e.is_connect();
    let mut next = e.source();
    // Bounded: a chain is a handful of links; a cyclic one must not hang.
    for _ in 0..32 {
        let Some(err) = next else { return false };
        if is_rustls_error(err) {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.get_ref().is_some_and(|inner| is_rustls_error(inner)) {
                return true;
            }
            if connect && io.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
            // `io::Error::source` skips the error it wraps: step into it.
            next = match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            };
            continue;
        }
        next = err.source();
    }
    false
}

#[cfg(feature = "rustls-ring")]
fn is_rustls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    e.is::<rustls::Error>()
}

#[cfg(not(feature = "rustls-ring"))]
fn is_rustls_error(_: &(dyn std::error::Error + 'static)) -> bool {
    // Without a direct rustls dependency the type cannot be named; the
    // `InvalidData` rule still catches the handshake's failures.
    false
}

/// What a [`TokenStore`](crate::TokenStore) failure says: a message (never a
/// secret) and, when there is one, the underlying error as
/// [`source`](std::error::Error::source).
///
/// ```
/// use std::error::Error as _;
/// use douyin_goodlife::{Error, TokenStoreError};
///
/// let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
/// let e = Error::TokenStore(TokenStoreError::with_source("redis: timed out", io));
/// assert_eq!(e.to_string(), "token store: redis: timed out");
/// assert_eq!(e.source().unwrap().source().unwrap().to_string(), "timed out");
/// let plain = Error::TokenStore("no such key".into());
/// assert!(matches!(plain, Error::TokenStore(ref s) if s.message() == "no such key"));
/// ```
#[derive(Clone, Debug)]
pub struct TokenStoreError {
    message: String,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TokenStoreError {
    /// A failure described by `message` alone.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A failure described by `message`, caused by `source`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(std::sync::Arc::new(source)),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for TokenStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TokenStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for TokenStoreError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for TokenStoreError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

fn logid_suffix(logid: Option<&str>) -> String {
    logid.map(|l| format!(" [logid {l}]")).unwrap_or_default()
}

fn attempts_suffix(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

fn body_preview(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    cap_str(&one_line, 200).to_string()
}

/// `s` cut to at most `max` bytes on a character boundary.
pub(crate) fn cap_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A body as text, lossily decoded and capped at [`BODY_CAP`].
pub(crate) fn capped_body(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(BODY_CAP)];
    let text = String::from_utf8_lossy(cut);
    cap_str(&text, BODY_CAP).to_string()
}

impl Error {
    /// The Douyin error code, for [`Error::Api`].
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The log id of the request, when the server gave one.
    pub fn logid(&self) -> Option<&str> {
        match self {
            Error::Api { logid, .. }
            | Error::Http { logid, .. }
            | Error::Decode { logid, .. }
            | Error::ItemFailed { logid, .. }
            | Error::Pagination { logid, .. } => logid.as_deref(),
            _ => None,
        }
    }

    /// The documented advice (排查建议) for an API error.
    pub fn advice(&self) -> Option<&'static str> {
        self.code().and_then(ErrorCode::advice)
    }

    /// Whether the failure is transient: a retryable code, HTTP 429, 500,
    /// 502, 503 or 504, or a transport failure other than TLS, builder and
    /// redirect ones (see [`TransportKind::is_retryable`]). (501, 505 and
    /// other statuses will not change on a retry.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { code, .. } => code.is_retryable(),
            Error::Http { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
            Error::Transport { source, .. } => TransportKind::of(source).is_retryable(),
            _ => false,
        }
    }

    /// Whether the failure proves the request was not carried out: a
    /// rejection code, HTTP 429, a connection that was never made (or whose
    /// TLS handshake failed, or a request reqwest would not build), or the
    /// client-side rate limit (nothing was sent). Only
    /// such failures are retried for a write sent without its idempotency key.
    pub fn not_carried_out(&self) -> bool {
        match self {
            Error::Api { .. } => true,
            Error::Http { status, .. } => *status == 429,
            Error::Transport { source, .. } => TransportKind::of(source).not_carried_out(),
            Error::RateLimited { .. } => true,
            _ => false,
        }
    }

    /// What kind of transport failure an [`Error::Transport`] is (`None` for
    /// the other variants).
    pub fn transport_kind(&self) -> Option<TransportKind> {
        match self {
            Error::Transport { source, .. } => Some(TransportKind::of(source)),
            _ => None,
        }
    }

    /// Whether the access token must be replaced before trying again.
    pub fn needs_new_token(&self) -> bool {
        self.code().is_some_and(ErrorCode::needs_new_token)
    }

    /// How many attempts were made (1 for errors that are never retried).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api { attempts, .. }
            | Error::Http { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::Deadline { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// Records the number of attempts on variants that carry it.
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            Error::Api { attempts, .. }
            | Error::Http { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::Deadline { attempts, .. } => *attempts = n,
            _ => {}
        }
        self
    }

    /// An [`Error::InvalidRequest`] naming `field`: for code that checks its
    /// input before calling the SDK (a CLI, a form) and reports it the same way.
    ///
    /// ```
    /// let e = douyin_goodlife::Error::invalid_request("page_size", "must be at most 50");
    /// assert_eq!(e.to_string(), "invalid request: page_size: must be at most 50");
    /// ```
    pub fn invalid_request(field: &'static str, reason: impl Into<String>) -> Self {
        Self::invalid(field, reason)
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidRequest {
            field,
            reason: reason.into(),
        }
    }
}
