//! Receiving Douyin's calls to the merchant's server: webhooks (asynchronous
//! notifications such as `life_trade_certificate_notify`) and, with
//! [`crate::spi`], SPI calls (synchronous requests such as 发券).
//!
//! Nothing in a request is to be trusted before its signature is checked, and
//! the signature covers the raw body bytes: verify before parsing, with the
//! bytes exactly as received.
//!
//! - [`WebhookVerifier`] checks `X-Douyin-Signature` (sha1 of secret + body) for
//!   one or more applications and hands back a [`VerifiedWebhook`]: the `Msg-Id`,
//!   the [`Envelope`], the raw body; [`Envelope::event`] decodes the content
//!   into a typed [`Event`].
//! - [`MemoryDedup`] (and `RedisDedup`, feature `redis`) tells a redelivered
//!   `Msg-Id` from a new one.
//! - [`Challenge::response_body`] answers the `verify_webhook` check.
//! - [`signature`] computes both signatures, to test with or to send.
//! - With feature `axum`, `webhook::axum` has extractors that do all this.
//!
//! Framework-neutral use:
//!
//! ```
//! use douyin_goodlife::webhook::{Event, MemoryDedup, WebhookVerifier, signature::webhook_signature};
//! use reqwest::header::HeaderMap;
//!
//! fn handle(verifier: &WebhookVerifier, seen: &MemoryDedup, headers: &HeaderMap, body: &[u8]) -> (u16, String) {
//!     let verified = match verifier.check(headers, body) {
//!         Ok(v) => v,
//!         Err(e) => return (e.status(), String::new()), // say nothing more
//!     };
//!     if let Some(answer) = verified.challenge_response() {
//!         return (200, answer);
//!     }
//!     if verified.msg_id.as_deref().is_some_and(|id| !seen.insert(id)) {
//!         return (200, String::new()); // a redelivery: already handled
//!     }
//!     match verified.event() {
//!         Ok(Event::CertificateNotify(n)) => println!("{:?} {}", n.action, n.certificate.certificate_id),
//!         Ok(_) => {}
//!         Err(e) => return (e.status(), String::new()),
//!     }
//!     (200, String::new())
//! }
//! # let v = WebhookVerifier::new().with_app("k", "s");
//! # let body = br#"{"event":"verify_webhook","client_key":"","content":{"challenge":7}}"#;
//! # let mut h = HeaderMap::new();
//! # h.insert("x-douyin-signature", webhook_signature(&"s".into(), body).parse().unwrap());
//! # assert_eq!(handle(&v, &MemoryDedup::new(), &h, body), (200, r#"{"challenge":7}"#.to_string()));
//! # assert_eq!(handle(&v, &MemoryDedup::new(), &HeaderMap::new(), body).0, 401);
//! ```

mod apps;
#[cfg(feature = "axum")]
pub mod axum;
mod dedup;
mod error;
mod event;
pub mod signature;
mod verifier;

pub(crate) use apps::Apps;
#[cfg(feature = "redis")]
pub use dedup::RedisDedup;
pub use dedup::{DEFAULT_DEDUP_CAPACITY, DEFAULT_DEDUP_TTL, DedupError, MemoryDedup, MsgDedup};
pub use error::VerifyError;
pub use event::{
    CertificateAction, CertificateNotify, Challenge, EVENT_CERTIFICATE_NOTIFY,
    EVENT_VERIFY_WEBHOOK, Envelope, Event, NotifiedCertificate,
};
pub use verifier::{
    DEFAULT_MAX_BODY, MSG_ID_HEADER, SIGNATURE_HEADER, VerifiedWebhook, WebhookVerifier,
};
