//! The axum extractors end to end: an axum server on 127.0.0.1:0 receives
//! deliveries from the sandbox's `WebhookSender`; the handler gets the typed
//! event; a redelivery is caught by the Msg-Id dedup; tampered, unsigned,
//! malformed and oversized requests are refused with an empty body.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use douyin_goodlife::mock::WebhookSender;
use douyin_goodlife::spi::{CodeCreateResponse, IssuedCertificate, SpiVerifier};
use douyin_goodlife::webhook::axum::{SpiCall, Webhook};
use douyin_goodlife::webhook::signature::{spi_signature, webhook_signature};
use douyin_goodlife::webhook::{CertificateAction, Event, MemoryDedup, MsgDedup, WebhookVerifier};
use serde_json::json;
use tokio::sync::mpsc;

const KEY: &str = "awaxumkey0001";
const SECRET: &str = "axum-test-secret";

/// What the handler saw: the event, and whether its Msg-Id was new.
type Seen = (Event, bool);

#[derive(Clone)]
struct AppState {
    webhooks: Arc<WebhookVerifier>,
    spi: Arc<SpiVerifier>,
    dedup: MemoryDedup,
    seen: mpsc::UnboundedSender<Seen>,
}

impl FromRef<AppState> for Arc<WebhookVerifier> {
    fn from_ref(s: &AppState) -> Self {
        s.webhooks.clone()
    }
}

impl FromRef<AppState> for Arc<SpiVerifier> {
    fn from_ref(s: &AppState) -> Self {
        s.spi.clone()
    }
}

async fn on_webhook(State(state): State<AppState>, hook: Webhook) -> String {
    if let Some(answer) = hook.challenge_response() {
        return answer;
    }
    let new = match hook.msg_id() {
        Some(id) => state.dedup.first_seen(id).await.unwrap_or(true),
        None => true,
    };
    let _ = state.seen.send((hook.event.clone(), new));
    String::new()
}

async fn on_code_create(call: SpiCall) -> String {
    let order = call
        .verified
        .code_create_request()
        .ok()
        .and_then(|r| {
            r.get("order_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let answer =
        CodeCreateResponse::issued(vec![IssuedCertificate::new(format!("c-{order}"), "CODE1")]);
    serde_json::to_string(&answer).unwrap_or_default()
}

struct Harness {
    base: String,
    seen: mpsc::UnboundedReceiver<Seen>,
    sender: WebhookSender,
    http: reqwest::Client,
}

async fn start() -> Harness {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = AppState {
        webhooks: Arc::new(WebhookVerifier::new().with_app(KEY, SECRET).max_body(2048)),
        spi: Arc::new(SpiVerifier::new().with_app(KEY, SECRET)),
        dedup: MemoryDedup::new(),
        seen: tx,
    };
    let app = Router::new()
        .route("/douyin/webhook", post(on_webhook))
        .route("/douyin/spi/code", post(on_code_create))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://{addr}");
    // The sender first: it installs the TLS provider reqwest needs.
    let sender = WebhookSender::new(format!("{base}/douyin/webhook"), KEY, SECRET);
    Harness {
        base,
        seen: rx,
        sender,
        http: reqwest::Client::new(),
    }
}

fn certificate_content() -> serde_json::Value {
    json!({
        "action": "verify",
        "msg_time": 1_665_991_178,
        "certificate": {"order_id": "1069", "certificate_id": "7001", "code": "券码 1"}
    })
}

#[tokio::test]
async fn delivery_typed_event_duplicate_and_tampering() {
    let mut h = start().await;

    let first = h
        .sender
        .deliver("life_trade_certificate_notify", certificate_content())
        .await
        .unwrap();
    assert_eq!(first.status, 200, "{}", first.response);
    let (event, new) = h.seen.recv().await.unwrap();
    assert!(new);
    let Event::CertificateNotify(n) = event else {
        panic!("not typed: {event:?}")
    };
    assert_eq!(n.action, CertificateAction::Verify);
    assert_eq!(n.certificate.certificate_id, "7001");
    assert_eq!(n.certificate.code.as_deref(), Some("券码 1"));

    // The same message again: verified, and flagged as a duplicate.
    let again = h.sender.redeliver(&first.msg_id).await.unwrap();
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body);
    let (_, new) = h.seen.recv().await.unwrap();
    assert!(!new, "redelivery seen as new");

    // A tampered body with the original signature and Msg-Id.
    let mut tampered = first.body.to_vec();
    let i = tampered.len() / 2;
    tampered[i] ^= 0x01;
    let url = format!("{}/douyin/webhook", h.base);
    let answer = h
        .http
        .post(&url)
        .header("content-type", "application/json")
        .header("msg-id", &first.msg_id)
        .header("x-douyin-signature", &first.signature)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
    assert!(answer.bytes().await.unwrap().is_empty(), "no detail leaked");

    // No signature.
    let answer = h
        .http
        .post(&url)
        .body(first.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
    assert!(answer.bytes().await.unwrap().is_empty());

    // Signed, but not the documented JSON.
    let junk = b"[not json".to_vec();
    let sig = webhook_signature(&SECRET.into(), &junk);
    let answer = h
        .http
        .post(&url)
        .header("x-douyin-signature", sig)
        .body(junk)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    assert!(answer.bytes().await.unwrap().is_empty());

    // Over the 2048-byte cap.
    let big = vec![b' '; 4096];
    let sig = webhook_signature(&SECRET.into(), &big);
    let answer = h
        .http
        .post(&url)
        .header("x-douyin-signature", sig)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 413);

    // The handler ran for the two good deliveries only (it sends before answering).
    assert!(h.seen.try_recv().is_err());

    // Only what it sent can be redelivered; the secret never shows.
    assert!(h.sender.redeliver("never-sent").await.is_err());
    let shown = format!("{:?}", h.sender);
    assert!(shown.contains(KEY) && !shown.contains(SECRET), "{shown}");
}

#[tokio::test]
async fn challenge_is_answered() {
    let h = start().await;
    let body =
        br#"{ "event": "verify_webhook", "client_key": "", "content": { "challenge": 12345 } }"#;
    let answer = h
        .http
        .post(format!("{}/douyin/webhook", h.base))
        .header(
            "x-douyin-signature",
            webhook_signature(&SECRET.into(), body),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.text().await.unwrap(), r#"{"challenge":12345}"#);
}

#[tokio::test]
async fn spi_code_create_end_to_end() {
    let h = start().await;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let query = format!("client_key={KEY}&timestamp={now_ms}");
    let body = r#"{"order_id": "1069", "备注": "x"}"#;
    let sig = spi_signature(&SECRET.into(), "POST", &query, body.as_bytes()).unwrap();
    let url = format!("{}/douyin/spi/code?{query}", h.base);
    let answer = h
        .http
        .post(&url)
        .header("x-life-sign", &sig)
        .header("x-life-clientkey", "awmigrated")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let json: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(json["data"]["result"], 1);
    assert_eq!(json["data"]["certificates"][0]["certificate_id"], "c-1069");

    // The same signature over another body.
    let answer = h
        .http
        .post(&url)
        .header("x-life-sign", &sig)
        .body(r#"{"order_id": "1070", "备注": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
    assert!(answer.bytes().await.unwrap().is_empty());
}

/// The sandbox itself calls back: a voucher verified and cancelled through the
/// SDK reaches the axum receiver as two signed, typed webhooks; a redelivery
/// is caught by the dedup.
#[tokio::test]
async fn the_sandbox_delivers_signed_webhooks_for_the_verification_flow() {
    use douyin_goodlife::mock::{MockServer, sample};
    use douyin_goodlife::requests::CertificatePrepareRequest;
    use douyin_goodlife::{Client, types};

    let (tx, mut seen) = mpsc::unbounded_channel();
    let state = AppState {
        webhooks: Arc::new(
            WebhookVerifier::new().with_app(sample::CLIENT_KEY, sample::CLIENT_SECRET),
        ),
        spi: Arc::new(SpiVerifier::new().with_app(KEY, SECRET)),
        dedup: MemoryDedup::new(),
        seen: tx,
    };
    let app = Router::new()
        .route("/hook", post(on_webhook))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let server = MockServer::builder()
        .webhook_url(format!("http://{addr}/hook"))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .access_token(server.issue_token())
        .build()
        .unwrap();
    let code = server.scannable_codes().remove(0);
    let prepared = client
        .certificate_prepare(
            CertificatePrepareRequest::new().with_encrypted_data(code.encrypted_data),
        )
        .await
        .unwrap();
    let p = serde_json::to_value(prepared.data()).unwrap();
    let body: types::CertificateVerifyRequest = serde_json::from_value(json!({
        "verify_token": p["verify_token"],
        "poi_id": sample::POI_ID,
        "encrypted_codes": [p["certificates"][0]["encrypted_code"]],
    }))
    .unwrap();
    let verified = client.certificate_verify(body).await.unwrap();
    let r = serde_json::to_value(verified.data()).unwrap()["verify_results"][0].clone();

    let delivery = server.next_delivery().await.unwrap().unwrap();
    assert_eq!(delivery.status, 200, "{}", delivery.response);
    let (event, new) = seen.recv().await.unwrap();
    assert!(new);
    let Event::CertificateNotify(n) = event else {
        panic!("not typed: {event:?}")
    };
    assert_eq!(n.action, CertificateAction::Verify);
    assert_eq!(
        Some(n.certificate.certificate_id.as_str()),
        r["certificate_id"].as_str()
    );

    let cancel: types::CertificateCancelRequest = serde_json::from_value(
        json!({"certificate_id": r["certificate_id"], "verify_id": r["verify_id"]}),
    )
    .unwrap();
    client.certificate_cancel(cancel).await.unwrap();
    server.next_delivery().await.unwrap().unwrap();
    let (event, _) = seen.recv().await.unwrap();
    let Event::CertificateNotify(n) = event else {
        panic!("not typed: {event:?}")
    };
    assert_eq!(n.action, CertificateAction::VerifyCancel);

    server.redeliver(&delivery.msg_id).await.unwrap();
    let (_, new) = seen.recv().await.unwrap();
    assert!(!new, "the redelivery is a duplicate");
}
