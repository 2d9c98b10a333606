//! axum extractors (feature `axum`): [`Webhook`] and [`SpiCall`] read the
//! body once (capped), verify it, and hand the handler the verified request.
//! On failure the request is answered with [`VerifyError::status`] (401 for
//! signature problems, 413 for a body over the cap, 400 for a malformed
//! request) and an empty body: the reason goes to `tracing` at debug level,
//! never to the caller.
//!
//! The router's state must give an `Arc<WebhookVerifier>` (or
//! `Arc<SpiVerifier>`) through [`FromRef`]; the state may be the `Arc` itself.
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{Router, routing::post};
//! use douyin_goodlife::webhook::{Event, WebhookVerifier, axum::Webhook};
//!
//! async fn on_webhook(hook: Webhook) -> String {
//!     if let Event::CertificateNotify(n) = &hook.event {
//!         println!("{:?} {}", n.action, n.certificate.certificate_id);
//!     }
//!     hook.challenge_response().unwrap_or_default()
//! }
//!
//! let verifier = Arc::new(WebhookVerifier::new().with_app("awkey", "secret"));
//! let app: Router = Router::new().route("/douyin/webhook", post(on_webhook)).with_state(verifier);
//! ```

use std::sync::Arc;

use ::axum::body::Body;
use ::axum::extract::{FromRef, FromRequest, Request};
use ::axum::http::StatusCode;
use ::axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use super::{Event, VerifiedWebhook, VerifyError, WebhookVerifier};
use crate::spi::{SpiVerifier, VerifiedSpi};

/// A verified webhook and its typed event.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Webhook {
    /// The verified request: `Msg-Id`, envelope, raw body.
    pub verified: VerifiedWebhook,
    /// The content, typed.
    pub event: Event,
}

impl Webhook {
    /// The `Msg-Id` header, if any.
    pub fn msg_id(&self) -> Option<&str> {
        self.verified.msg_id.as_deref()
    }

    /// For a `verify_webhook` check, the body to answer with.
    pub fn challenge_response(&self) -> Option<String> {
        match &self.event {
            Event::VerifyWebhook(c) => Some(c.response_body()),
            _ => None,
        }
    }
}

/// A verified SPI call.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SpiCall {
    /// The verified call: URL `client_key`, timestamp, parameters, raw body.
    pub verified: VerifiedSpi,
}

/// Why an extractor refused a request; answers [`VerifyError::status`] with an
/// empty body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection(pub VerifyError);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        tracing::debug!(error = %self.0, "refused a Douyin webhook or SPI call");
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Body::empty()).into_response()
    }
}

/// Reads at most `limit` bytes of `body`.
async fn read_capped(body: Body, limit: usize) -> Result<Bytes, VerifyError> {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| VerifyError::MalformedBody("the body could not be read".into()))?;
        if buf.len().saturating_add(chunk.len()) > limit {
            return Err(VerifyError::BodyTooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn declared_too_large(req: &Request, limit: usize) -> bool {
    req.headers()
        .get(::axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
}

impl<S> FromRequest<S> for Webhook
where
    S: Send + Sync,
    Arc<WebhookVerifier>: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Arc::<WebhookVerifier>::from_ref(state);
        let limit = verifier.max_body_len();
        if declared_too_large(&req, limit) {
            return Err(Rejection(VerifyError::BodyTooLarge { limit }));
        }
        let (parts, body) = req.into_parts();
        let body = read_capped(body, limit).await.map_err(Rejection)?;
        let verified = verifier.check(&parts.headers, &body).map_err(Rejection)?;
        let event = verified.event().map_err(Rejection)?;
        Ok(Webhook { verified, event })
    }
}

impl<S> FromRequest<S> for SpiCall
where
    S: Send + Sync,
    Arc<SpiVerifier>: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Arc::<SpiVerifier>::from_ref(state);
        let limit = verifier.max_body_len();
        if declared_too_large(&req, limit) {
            return Err(Rejection(VerifyError::BodyTooLarge { limit }));
        }
        let (parts, body) = req.into_parts();
        let body = read_capped(body, limit).await.map_err(Rejection)?;
        let verified = verifier
            .check(
                parts.method.as_str(),
                parts.uri.query().unwrap_or(""),
                &parts.headers,
                &body,
            )
            .map_err(Rejection)?;
        Ok(SpiCall { verified })
    }
}
