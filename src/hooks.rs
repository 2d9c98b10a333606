//! The glue between the hand-written layer and the generated client.
//!
//! progenitor ignores security schemes, so nothing generated sends the
//! `access-token` header. Every call builds a generated client around a fresh
//! [`CallContext`] holding the token chosen for that attempt; the `pre` hook puts
//! it on the wire, removes progenitor's undocumented `api-version` header, adds
//! the documented `content-type: application/json` (required by the pages even on
//! GET), and the `post` hook keeps the `x-tt-logid` response header.

use std::sync::{Arc, Mutex};

use progenitor_client::{ClientHooks, Error as GenError, OperationInfo};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// Header carrying the client token on every business call.
pub(crate) const ACCESS_TOKEN: HeaderName = HeaderName::from_static("access-token");
/// Header in which Douyin's gateway echoes the request's log id.
pub(crate) const LOGID: HeaderName = HeaderName::from_static("x-tt-logid");

/// Per-attempt state handed to the generated client.
#[derive(Clone)]
pub(crate) struct CallContext {
    token: Option<SecretString>,
    logid: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

impl CallContext {
    /// A context sending `token` (or no token, for `client_token` itself).
    pub(crate) fn new(token: Option<SecretString>) -> Self {
        Self {
            token,
            logid: Arc::new(Mutex::new(None)),
        }
    }

    /// The shared slot the `post` hook fills with the `x-tt-logid` header.
    pub(crate) fn logid_slot(&self) -> Arc<Mutex<Option<String>>> {
        self.logid.clone()
    }
}

impl ClientHooks<CallContext> for crate::generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), GenError<E>> {
        let ctx = &self.inner;
        let headers = request.headers_mut();
        // Not documented by Douyin; only documented headers go on the wire.
        headers.remove("api-version");
        headers
            .entry(CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("application/json"));
        if let Some(token) = &ctx.token {
            let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
                // Never echo the value: it is a secret.
                GenError::InvalidRequest(
                    "access token holds characters not allowed in a header".into(),
                )
            })?;
            value.set_sensitive(true);
            headers.insert(ACCESS_TOKEN, value);
        }
        Ok(())
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), GenError<E>> {
        if let Ok(response) = result
            && let Some(id) = response.headers().get(LOGID).and_then(|v| v.to_str().ok())
            && let Ok(mut slot) = self.inner.logid.lock()
        {
            *slot = Some(id.to_string());
        }
        Ok(())
    }
}
