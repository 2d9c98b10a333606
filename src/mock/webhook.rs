//! [`WebhookSender`]: plays Douyin's side of a webhook, so that a receiver can
//! be tested end to end: signed bodies, fresh `Msg-Id`s, and byte-for-byte
//! redeliveries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use secrecy::SecretString;
use serde_json::Value;

use crate::error::{BODY_CAP, Error};
use crate::webhook::signature::{to_hex, webhook_signature};
use crate::webhook::{MSG_ID_HEADER, SIGNATURE_HEADER};

const OPERATION: &str = "webhook_delivery";

/// Posts signed webhooks to a receiver's URL, as Douyin does: `POST`,
/// `Content-Type: application/json`, `Msg-Id`, `X-Douyin-Signature`
/// (sha1 of secret + body), body `{event, client_key, content, log_id}` with
/// `content` a JSON string. `Debug` never shows the secret.
///
/// ```no_run
/// # async fn run() -> Result<(), douyin_goodlife::Error> {
/// use douyin_goodlife::mock::WebhookSender;
/// use serde_json::json;
///
/// let sender = WebhookSender::new("http://127.0.0.1:8080/douyin/webhook", "awkey", "secret");
/// let first = sender
///     .deliver("life_trade_certificate_notify", json!({"action": "verify", "msg_time": 1665991178,
///         "certificate": {"order_id": "1", "certificate_id": "7", "code": "123"}}))
///     .await?;
/// let again = sender.redeliver(&first.msg_id).await?; // same Msg-Id, same bytes
/// assert_eq!(again.body, first.body);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebhookSender {
    url: String,
    client_key: String,
    secret: SecretString,
    http: Result<reqwest::Client, String>,
    sent: Arc<Mutex<HashMap<String, Sent>>>,
}

#[derive(Clone)]
struct Sent {
    body: Bytes,
    signature: String,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("url", &self.url)
            .field("client_key", &self.client_key)
            .finish_non_exhaustive()
    }
}

/// What one delivery sent and what the receiver answered.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// The `Msg-Id` sent.
    pub msg_id: String,
    /// The `X-Douyin-Signature` sent.
    pub signature: String,
    /// The exact body sent.
    pub body: Bytes,
    /// The receiver's HTTP status.
    pub status: u16,
    /// The receiver's answer body (cut at [`BODY_CAP`] bytes).
    pub response: String,
}

impl WebhookSender {
    /// Delivers to `url` for the application `client_key`, signing with `secret`.
    pub fn new(
        url: impl Into<String>,
        client_key: impl Into<String>,
        secret: impl Into<SecretString>,
    ) -> Self {
        // Douyin gives up on a receiver after 5 s.
        let http = crate::tls::http_builder()
            .map_err(|e| e.to_string())
            .and_then(|b| {
                b.timeout(Duration::from_secs(5))
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))
            });
        WebhookSender {
            url: url.into(),
            client_key: client_key.into(),
            secret: secret.into(),
            http,
            sent: Arc::default(),
        }
    }

    /// The receiver's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends `event` with `content` (serialized into the envelope's `content`
    /// string) under a fresh `Msg-Id` and `log_id`.
    pub async fn deliver(&self, event: &str, content: Value) -> Result<DeliveryReport, Error> {
        let msg_id = random_id();
        let envelope = serde_json::json!({
            "event": event,
            "client_key": self.client_key,
            "content": content.to_string(),
            "log_id": random_id().to_uppercase(),
        });
        let body = Bytes::from(envelope.to_string());
        let signature = webhook_signature(&self.secret, &body);
        let sent = Sent { body, signature };
        self.lock().insert(msg_id.clone(), sent.clone());
        self.post(msg_id, sent).await
    }

    /// Sends an earlier delivery again, byte for byte, with the same `Msg-Id`
    /// (as Douyin does after a timeout). Fails with [`Error::Config`] for a
    /// `Msg-Id` this sender never sent.
    pub async fn redeliver(&self, msg_id: &str) -> Result<DeliveryReport, Error> {
        let sent = self
            .lock()
            .get(msg_id)
            .cloned()
            .ok_or_else(|| Error::Config(format!("no delivery with Msg-Id {msg_id:?}")))?;
        self.post(msg_id.to_owned(), sent).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sent>> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn post(&self, msg_id: String, sent: Sent) -> Result<DeliveryReport, Error> {
        let transport = |e: reqwest::Error| Error::Transport {
            operation: OPERATION,
            timeout: e.is_timeout(),
            attempts: 1,
            source: Arc::new(e),
        };
        let http = self.http.as_ref().map_err(|e| Error::Config(e.clone()))?;
        let answer = http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(MSG_ID_HEADER, &msg_id)
            .header(SIGNATURE_HEADER, &sent.signature)
            .body(sent.body.clone())
            .send()
            .await
            .map_err(transport)?;
        let status = answer.status().as_u16();
        let bytes = answer.bytes().await.map_err(transport)?;
        let cut = &bytes[..bytes.len().min(BODY_CAP)];
        Ok(DeliveryReport {
            msg_id,
            signature: sent.signature,
            body: sent.body,
            status,
            response: String::from_utf8_lossy(cut).into_owned(),
        })
    }
}

fn random_id() -> String {
    let bytes: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    to_hex(&bytes)
}
