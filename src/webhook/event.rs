//! The webhook envelope and the typed events inside it.
//!
//! Every webhook body is `{event, client_key, content, log_id}`, `content`
//! being a JSON document inside a string (the `verify_webhook` challenge sends
//! an object instead). [`Envelope::event`] decodes `content` into the [`Event`]
//! for its `event` name; names this crate does not know come back as
//! [`Event::Unknown`] with the content untouched.
//!
//! ```
//! use douyin_goodlife::webhook::{CertificateAction, Envelope, Event};
//!
//! let body = br#"{"event":"life_trade_certificate_notify","client_key":"awkey","log_id":"L1",
//!   "content":"{\"action\":\"verify\",\"msg_time\":1665991178,\"certificate\":{\"order_id\":\"1\",\"certificate_id\":\"7\",\"code\":\"123\"}}"}"#;
//! let envelope = Envelope::from_slice(body)?;
//! match envelope.event()? {
//!     Event::CertificateNotify(n) => {
//!         assert_eq!(n.action, CertificateAction::Verify);
//!         assert_eq!(n.certificate.certificate_id, "7");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::VerifyError;

/// `event` of the voucher (券) notification.
pub const EVENT_CERTIFICATE_NOTIFY: &str = "life_trade_certificate_notify";
/// `event` of the callback-URL check sent when the URL is saved in the console.
pub const EVENT_VERIFY_WEBHOOK: &str = "verify_webhook";

/// The common webhook body. `content` is kept as received (the text of the
/// string, or the raw JSON when it is not a string).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The message type (`life_trade_certificate_notify`, …).
    pub event: String,
    /// The application the message is for (empty for `verify_webhook`).
    pub client_key: String,
    /// The `content` JSON text.
    pub content: String,
    /// Douyin's log id, to quote to Douyin support.
    pub log_id: Option<String>,
}

#[derive(Deserialize)]
struct WireEnvelope {
    event: String,
    #[serde(default)]
    client_key: String,
    #[serde(default)]
    content: Value,
    #[serde(default)]
    log_id: Option<Value>,
}

impl Envelope {
    /// Parses a raw webhook body.
    pub fn from_slice(body: &[u8]) -> Result<Self, VerifyError> {
        let wire: WireEnvelope =
            serde_json::from_slice(body).map_err(|e| VerifyError::MalformedBody(e.to_string()))?;
        let content = match wire.content {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let log_id = match wire.log_id {
            Some(Value::String(s)) => Some(s),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        Ok(Envelope {
            event: wire.event,
            client_key: wire.client_key,
            content,
            log_id,
        })
    }

    /// Decodes `content` into the typed event for `event`.
    pub fn event(&self) -> Result<Event, VerifyError> {
        let malformed = |e: serde_json::Error| VerifyError::MalformedBody(format!("content: {e}"));
        match self.event.as_str() {
            EVENT_CERTIFICATE_NOTIFY => serde_json::from_str(&self.content)
                .map(Event::CertificateNotify)
                .map_err(malformed),
            EVENT_VERIFY_WEBHOOK => serde_json::from_str(&self.content)
                .map(Event::VerifyWebhook)
                .map_err(malformed),
            _ => Ok(Event::Unknown {
                event: self.event.clone(),
                content: self.content.clone(),
            }),
        }
    }
}

/// A webhook's content, typed by its `event`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `life_trade_certificate_notify` (券消息通知).
    CertificateNotify(CertificateNotify),
    /// `verify_webhook`: answer with [`Challenge::response_body`].
    VerifyWebhook(Challenge),
    /// An event this crate has no type for; `content` is the JSON text as received.
    Unknown {
        /// The `event` name.
        event: String,
        /// The `content` JSON text.
        content: String,
    },
}

/// The content of `life_trade_certificate_notify`: a voucher of an order was
/// redeemed, un-redeemed or refunded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CertificateNotify {
    /// What happened.
    pub action: CertificateAction,
    /// When the message was sent, Unix seconds.
    pub msg_time: i64,
    /// The voucher.
    pub certificate: NotifiedCertificate,
    /// Fields the page does not list, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `action` of [`CertificateNotify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertificateAction {
    /// `verify`: redeemed (核销).
    Verify,
    /// `verify_cancel`: redemption cancelled (撤销核销).
    VerifyCancel,
    /// `refund_success`: refunded (退款成功).
    RefundSuccess,
    /// A value the page does not list.
    #[serde(untagged)]
    Other(String),
}

/// `certificate` of [`CertificateNotify`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotifiedCertificate {
    /// Douyin's order id.
    pub order_id: String,
    /// The voucher's id (not its code).
    pub certificate_id: String,
    /// The voucher code.
    #[serde(default)]
    pub code: Option<String>,
    /// Fields the page does not list (it is cut after `code`), as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The content of `verify_webhook`: `{"challenge": 12345}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Challenge {
    /// The value to echo, as sent (a number on the page).
    pub challenge: Value,
}

impl Challenge {
    /// The body to answer with (as JSON text): `{"challenge":12345}`.
    ///
    /// ```
    /// use douyin_goodlife::webhook::{Envelope, Event};
    ///
    /// let body = br#"{ "event": "verify_webhook", "client_key": "", "content": { "challenge": 12345 } }"#;
    /// let Event::VerifyWebhook(c) = Envelope::from_slice(body)?.event()? else { unreachable!() };
    /// assert_eq!(c.response_body(), r#"{"challenge":12345}"#);
    /// # Ok::<(), douyin_goodlife::webhook::VerifyError>(())
    /// ```
    pub fn response_body(&self) -> String {
        serde_json::json!({ "challenge": self.challenge }).to_string()
    }
}
