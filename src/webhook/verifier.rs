//! [`WebhookVerifier`]: checks `X-Douyin-Signature` over the raw body.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use secrecy::SecretString;

use super::apps::Apps;
use super::error::VerifyError;
use super::event::{Envelope, Event};
use super::signature::{signature_matches, webhook_signature};

/// The header carrying the webhook signature.
pub const SIGNATURE_HEADER: &str = "x-douyin-signature";
/// The header identifying a message (the same message may arrive more than once).
pub const MSG_ID_HEADER: &str = "msg-id";
/// The default cap on a webhook or SPI body: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Verifies Douyin's webhooks for one or more applications.
///
/// The application is the body's `client_key`; the `verify_webhook` check,
/// whose `client_key` is empty, is accepted when it matches any configured
/// secret. `Debug` shows the keys, never the secrets.
///
/// ```
/// use douyin_goodlife::webhook::{Event, WebhookVerifier, signature::webhook_signature};
/// use reqwest::header::{HeaderMap, HeaderValue};
/// use secrecy::SecretString;
///
/// let verifier = WebhookVerifier::new().with_app("awkey", "secret-1");
/// let body = br#"{"event":"life_trade_order_notify","client_key":"awkey","content":"{}","log_id":"L"}"#;
/// let sig = webhook_signature(&SecretString::from("secret-1"), body);
/// let mut headers = HeaderMap::new();
/// headers.insert("x-douyin-signature", HeaderValue::from_str(&sig).unwrap());
/// headers.insert("msg-id", HeaderValue::from_static("m-1"));
///
/// let verified = verifier.check(&headers, body)?;
/// assert_eq!(verified.msg_id.as_deref(), Some("m-1"));
/// assert!(matches!(verified.event()?, Event::Unknown { .. }));
///
/// let mut tampered = body.to_vec();
/// tampered[10] ^= 1;
/// assert!(verifier.check(&headers, &tampered).is_err());
/// # Ok::<(), douyin_goodlife::webhook::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    apps: Apps,
    max_body: usize,
}

impl Default for WebhookVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl WebhookVerifier {
    /// A verifier with no application yet and a body cap of [`DEFAULT_MAX_BODY`].
    pub fn new() -> Self {
        WebhookVerifier {
            apps: Apps::default(),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Accepts messages for `client_key`, signed with `secret`.
    pub fn with_app(
        mut self,
        client_key: impl Into<String>,
        secret: impl Into<SecretString>,
    ) -> Self {
        self.apps.insert(client_key.into(), secret.into());
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

    /// Verifies one request: its headers and its raw body, exactly as received.
    ///
    /// Checks, in order: the body cap, the signature header's presence, the
    /// envelope's `client_key`, the signature. A body that is not the JSON
    /// envelope is [`VerifyError::MalformedBody`] only when it is signed with
    /// a configured secret, [`VerifyError::BadSignature`] otherwise.
    pub fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<VerifiedWebhook, VerifyError> {
        let signature = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
        let msg_id = headers
            .get(MSG_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.check_parts(signature, msg_id, body)
    }

    /// [`check`](Self::check) for frameworks without `http::HeaderMap`: the
    /// `X-Douyin-Signature` and `Msg-Id` header values, and the raw body.
    pub fn check_parts(
        &self,
        signature: Option<&[u8]>,
        msg_id: Option<String>,
        body: &[u8],
    ) -> Result<VerifiedWebhook, VerifyError> {
        if body.len() > self.max_body {
            return Err(VerifyError::BodyTooLarge {
                limit: self.max_body,
            });
        }
        let signature = signature.ok_or(VerifyError::MissingSignature(SIGNATURE_HEADER))?;
        let any_secret = || {
            // Every secret is tried, so the time taken does not tell which matched.
            self.apps.secrets().fold(false, |ok, s| {
                signature_matches(&webhook_signature(s, body), signature) | ok
            })
        };
        let envelope = match Envelope::from_slice(body) {
            Ok(envelope) => envelope,
            // Not the envelope, so no client_key to pick the secret by: only a
            // body signed with one of ours is called malformed; anything else is
            // a bad signature.
            Err(e) if any_secret() => return Err(e),
            Err(_) => return Err(VerifyError::BadSignature),
        };
        let authentic = if envelope.client_key.is_empty() {
            // `verify_webhook` names no application: any configured secret will do.
            any_secret()
        } else {
            let secret = self.apps.get(&envelope.client_key).ok_or_else(|| {
                VerifyError::UnknownClientKey {
                    client_key: envelope.client_key.clone(),
                }
            })?;
            signature_matches(&webhook_signature(secret, body), signature)
        };
        if !authentic {
            return Err(VerifyError::BadSignature);
        }
        Ok(VerifiedWebhook {
            msg_id,
            envelope,
            body: Bytes::copy_from_slice(body),
        })
    }
}

/// A webhook whose signature matched.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedWebhook {
    /// The `Msg-Id` header, if any: the key to de-duplicate on
    /// (see [`MemoryDedup`](super::MemoryDedup)).
    pub msg_id: Option<String>,
    /// The parsed envelope.
    pub envelope: Envelope,
    /// The raw body, as received and signed.
    pub body: Bytes,
}

impl VerifiedWebhook {
    /// Decodes the content into its typed [`Event`].
    pub fn event(&self) -> Result<Event, VerifyError> {
        self.envelope.event()
    }

    /// For a `verify_webhook` check, the body to answer with
    /// (`{"challenge":…}`); `None` for any other event.
    pub fn challenge_response(&self) -> Option<String> {
        match self.event() {
            Ok(Event::VerifyWebhook(c)) => Some(c.response_body()),
            _ => None,
        }
    }
}
