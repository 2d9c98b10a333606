//! Receiving Douyin's SPI calls (synchronous requests to the merchant's
//! server, such as 发券): [`SpiVerifier`] checks the newer signature rule,
//! `x-life-sign`, and the call's `timestamp`.
//!
//! The signed text is the client secret, then every URL parameter but `sign`
//! (URL-decoded) as `key=value` sorted by key, then for a POST
//! `http_body=<raw body>`, joined with `&`; its sha256 in lowercase hex is the
//! signature. The secret is the one of the URL's `client_key`, which after an
//! application migration differs from the `x-life-clientkey` header.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, UNIX_EPOCH};
//! use douyin_goodlife::ManualClock;
//! use douyin_goodlife::spi::SpiVerifier;
//! use douyin_goodlife::webhook::{VerifyError, signature::spi_signature};
//! use reqwest::header::{HeaderMap, HeaderValue};
//!
//! let clock = Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_millis(1_624_293_280_123)));
//! let verifier = SpiVerifier::new().with_app("xxxxxx", "yyyyyy").clock(clock.clone());
//! let query = "client_key=xxxxxx&timestamp=1624293280123";
//! let body = br#"{"order_id":"1"}"#;
//! let sig = spi_signature(&"yyyyyy".into(), "POST", query, body)?;
//! let mut headers = HeaderMap::new();
//! headers.insert("x-life-sign", HeaderValue::from_str(&sig).unwrap());
//!
//! let call = verifier.check("POST", query, &headers, body)?;
//! assert_eq!(call.client_key, "xxxxxx");
//!
//! clock.advance(Duration::from_secs(301)); // past the 5-minute window
//! assert!(matches!(
//!     verifier.check("POST", query, &headers, body),
//!     Err(VerifyError::StaleTimestamp { .. })
//! ));
//! # Ok::<(), VerifyError>(())
//! ```

mod code_create;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use crate::clock::{Clock, SystemClock};
use crate::webhook::signature::{parse_query, signature_matches, spi_signature_of_params};
use crate::webhook::{Apps, DEFAULT_MAX_BODY, VerifyError};

pub use code_create::{
    CODE_CREATE_ISSUED, CODE_CREATE_ISSUING, CodeCreateData, CodeCreateRequest, CodeCreateResponse,
    IssuedCertificate,
};

/// The header carrying the SPI signature (newer rule).
pub const SIGN_HEADER: &str = "x-life-sign";
/// The header naming the application (only an identifier: the signature uses
/// the URL's `client_key`).
pub const CLIENT_KEY_HEADER: &str = "x-life-clientkey";
/// How far the URL's `timestamp` may be from now by default, either way.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Verifies SPI calls for one or more applications. `Debug` shows the keys,
/// never the secrets.
#[derive(Clone, Debug)]
pub struct SpiVerifier {
    apps: Apps,
    window: Duration,
    clock: Arc<dyn Clock>,
    max_body: usize,
}

impl Default for SpiVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl SpiVerifier {
    /// No application yet, a window of [`DEFAULT_WINDOW`], the system clock, a
    /// body cap of [`DEFAULT_MAX_BODY`].
    pub fn new() -> Self {
        SpiVerifier {
            apps: Apps::default(),
            window: DEFAULT_WINDOW,
            clock: Arc::new(SystemClock),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Accepts calls whose URL names `client_key`, signed with `secret`.
    pub fn with_app(
        mut self,
        client_key: impl Into<String>,
        secret: impl Into<SecretString>,
    ) -> Self {
        self.apps.insert(client_key.into(), secret.into());
        self
    }

    /// Accepts timestamps at most `window` from now, either way.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Reads time from `clock`.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Refuses bodies larger than `bytes`.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The body cap, in bytes.
    pub fn max_body_len(&self) -> usize {
        self.max_body
    }

    /// Verifies one call: its HTTP method, the raw URL query string (without
    /// `?`), its headers and its raw body, exactly as received.
    pub fn check(
        &self,
        method: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedSpi, VerifyError> {
        let sign = headers.get(SIGN_HEADER).map(|v| v.as_bytes());
        let header_key = headers.get(CLIENT_KEY_HEADER).and_then(|v| v.to_str().ok());
        self.check_parts(method, query, sign, header_key, body)
    }

    /// [`check`](Self::check) for frameworks without `http::HeaderMap`: the
    /// `x-life-sign` and `x-life-clientkey` header values.
    pub fn check_parts(
        &self,
        method: &str,
        query: &str,
        sign: Option<&[u8]>,
        header_client_key: Option<&str>,
        body: &[u8],
    ) -> Result<VerifiedSpi, VerifyError> {
        if body.len() > self.max_body {
            return Err(VerifyError::BodyTooLarge {
                limit: self.max_body,
            });
        }
        let params = parse_query(query)?;
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let client_key = param("client_key")
            .filter(|k| !k.is_empty())
            .ok_or(VerifyError::MissingParameter("client_key"))?
            .to_owned();
        let sign = sign.ok_or(VerifyError::MissingSignature(SIGN_HEADER))?;
        let secret = self
            .apps
            .get(&client_key)
            .ok_or_else(|| VerifyError::UnknownClientKey {
                client_key: client_key.clone(),
            })?;
        let expected = spi_signature_of_params(secret, method, &params, body);
        if !signature_matches(&expected, sign) {
            return Err(VerifyError::BadSignature);
        }
        let timestamp_ms: i64 = param("timestamp")
            .ok_or(VerifyError::MissingParameter("timestamp"))?
            .parse()
            .map_err(|_| VerifyError::InvalidParameter("timestamp"))?;
        let now_ms = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let skew_ms = now_ms.saturating_sub(timestamp_ms);
        let window_ms = i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX);
        if skew_ms.unsigned_abs() > window_ms.unsigned_abs() {
            return Err(VerifyError::StaleTimestamp {
                timestamp_ms,
                skew_ms,
                window_ms,
            });
        }
        Ok(VerifiedSpi {
            client_key,
            header_client_key: header_client_key.map(str::to_owned),
            timestamp_ms,
            params,
            body: Bytes::copy_from_slice(body),
        })
    }
}

/// An SPI call whose signature and timestamp passed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedSpi {
    /// The URL's `client_key` (the one the signature was checked with).
    pub client_key: String,
    /// The `x-life-clientkey` header, if any (differs after a migration).
    pub header_client_key: Option<String>,
    /// The URL's `timestamp`, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// Every URL parameter, decoded, in the order received (`sign` included).
    pub params: Vec<(String, String)>,
    /// The raw body, as received and signed.
    pub body: Bytes,
}

impl VerifiedSpi {
    /// A URL parameter, decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Decodes the body as JSON into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, VerifyError> {
        serde_json::from_slice(&self.body).map_err(|e| VerifyError::MalformedBody(e.to_string()))
    }

    /// Decodes the body as a 发券 request.
    pub fn code_create_request(&self) -> Result<CodeCreateRequest, VerifyError> {
        self.json()
    }
}
