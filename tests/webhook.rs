//! Webhook and SPI verification: signatures checked against digests computed
//! independently (python3's hashlib, on the exact bytes), every one-byte
//! tampering refused, the timestamp window, the URL's client_key, typed events,
//! Msg-Id de-duplication and the `verify_webhook` challenge.

mod common;

use common::python_digest;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use douyin_goodlife::ManualClock;
use douyin_goodlife::spi::{CodeCreateResponse, SpiVerifier};
use douyin_goodlife::webhook::signature::{spi_signature, webhook_signature};
use douyin_goodlife::webhook::{
    CertificateAction, Event, MemoryDedup, MsgDedup, VerifyError, WebhookVerifier,
};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

const KEY: &str = "awtestkey0001";
const SECRET: &str = "test-secret-0123";
/// 2021-06-21T16:34:40.123Z, the page's example timestamp.
const TS_MS: u64 = 1_624_293_280_123;

fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn notify_body() -> Vec<u8> {
    // Spaces and a newline inside, Chinese text: all signed as they are.
    format!(
        "{{\"event\": \"life_trade_certificate_notify\", \"client_key\": \"{KEY}\",\n \"content\": \"{{\\\"action\\\":\\\"verify_cancel\\\",\\\"msg_time\\\":1665991178,\\\"certificate\\\":{{\\\"order_id\\\":\\\"1069\\\",\\\"certificate_id\\\":\\\"7001\\\",\\\"code\\\":\\\"券码 123\\\",\\\"sku_id\\\":\\\"55\\\"}}}}\", \"log_id\": \"2022\"}}"
    )
    .into_bytes()
}

// ---------- known answers ----------

#[test]
fn webhook_sha1_known_answer() {
    let body = notify_body();
    let ours = webhook_signature(&secret(SECRET), &body);
    assert_eq!(
        ours,
        python_digest("sha1", &cat(&[SECRET.as_bytes(), &body]))
    );
    // The page's Go demo body.
    let demo = br#"{"event":"verify_webhook","client_key":"abc","content":{"challenge":12345}}"#;
    assert_eq!(
        webhook_signature(&secret("***"), demo),
        python_digest("sha1", &cat(&[b"***", demo]))
    );
}

#[test]
fn spi_get_known_answer_sorted_without_sign() {
    // Out of order, with `sign`, and an encoded value: signed decoded and sorted.
    let query =
        "timestamp=1624293280123&sign=abc&poi_id=7%2B1&client_key=xxxxxx&a=%E4%BD%A0+%E5%A5%BD";
    let ours = spi_signature(&secret("yyyyyy"), "GET", query, b"ignored for GET").unwrap();
    let str1 = "yyyyyy&a=你 好&client_key=xxxxxx&poi_id=7+1&timestamp=1624293280123";
    assert_eq!(ours, python_digest("sha256", str1.as_bytes()));
}

#[test]
fn spi_post_known_answer_raw_chinese_body_last() {
    let body = "{\"order_id\": \"1069\",\n  \"备注\": \"团购 三方码\"}\n".as_bytes();
    let query = "timestamp=1624293280123&client_key=xxxxxx";
    let ours = spi_signature(&secret("yyyyyy"), "post", query, body).unwrap();
    let str1 = cat(&[
        b"yyyyyy&client_key=xxxxxx&timestamp=1624293280123&http_body=",
        body,
    ]);
    assert_eq!(ours, python_digest("sha256", &str1));
    // The page's example str1.
    assert_eq!(
        spi_signature(&secret("yyyyyy"), "POST", query, b"zzzzzz").unwrap(),
        python_digest(
            "sha256",
            b"yyyyyy&client_key=xxxxxx&timestamp=1624293280123&http_body=zzzzzz"
        )
    );
}

// ---------- webhook verification ----------

fn webhook_verifier() -> WebhookVerifier {
    WebhookVerifier::new()
        .with_app("other-app", "other-secret")
        .with_app(KEY, SECRET)
}

#[test]
fn webhook_verifies_and_decodes_the_typed_event() {
    let body = notify_body();
    let sig = webhook_signature(&secret(SECRET), &body);
    let h = headers(&[("x-douyin-signature", &sig), ("msg-id", "msg-1")]);
    let v = webhook_verifier().check(&h, &body).unwrap();
    assert_eq!(v.msg_id.as_deref(), Some("msg-1"));
    assert_eq!(v.envelope.client_key, KEY);
    assert_eq!(v.envelope.log_id.as_deref(), Some("2022"));
    assert_eq!(&v.body[..], &body[..]);
    let Event::CertificateNotify(n) = v.event().unwrap() else {
        panic!("not a certificate notify")
    };
    assert_eq!(n.action, CertificateAction::VerifyCancel);
    assert_eq!(n.msg_time, 1_665_991_178);
    assert_eq!(n.certificate.order_id, "1069");
    assert_eq!(n.certificate.certificate_id, "7001");
    assert_eq!(n.certificate.code.as_deref(), Some("券码 123"));
    assert_eq!(n.certificate.extra["sku_id"], "55", "unlisted fields kept");
    assert!(v.challenge_response().is_none());
}

#[test]
fn webhook_every_single_byte_tampering_fails() {
    let body = notify_body();
    let sig = webhook_signature(&secret(SECRET), &body);
    let h = headers(&[("x-douyin-signature", &sig)]);
    let verifier = webhook_verifier();
    for i in 0..body.len() {
        for flip in [0x01u8, 0x20, 0x80] {
            let mut t = body.clone();
            t[i] ^= flip;
            let e = verifier
                .check(&h, &t)
                .expect_err(&format!("byte {i} ^ {flip:#x} was accepted"));
            assert_eq!(e.status(), 401, "byte {i} ^ {flip:#x}: {e:?}");
        }
    }
    // Re-serializing the JSON (same data, other bytes) breaks it too.
    let reserialized =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&body).unwrap()).unwrap();
    assert_eq!(
        verifier.check(&h, &reserialized).unwrap_err(),
        VerifyError::BadSignature
    );
}

#[test]
fn webhook_typed_errors() {
    let verifier = webhook_verifier().max_body(4096);
    let body = notify_body();
    let good = webhook_signature(&secret(SECRET), &body);

    assert_eq!(
        verifier.check(&HeaderMap::new(), &body).unwrap_err(),
        VerifyError::MissingSignature("x-douyin-signature")
    );
    let wrong_secret = webhook_signature(&secret("other-secret"), &body);
    let e = verifier
        .check(&headers(&[("x-douyin-signature", &wrong_secret)]), &body)
        .unwrap_err();
    assert_eq!(e, VerifyError::BadSignature);
    assert_eq!(e.status(), 401);

    let stranger = body.clone().replace_key("awstranger000");
    let sig = webhook_signature(&secret(SECRET), &stranger);
    assert_eq!(
        verifier
            .check(&headers(&[("x-douyin-signature", &sig)]), &stranger)
            .unwrap_err(),
        VerifyError::UnknownClientKey {
            client_key: "awstranger000".into()
        }
    );

    let big = vec![b' '; 4097];
    let e = verifier
        .check(&headers(&[("x-douyin-signature", &good)]), &big)
        .unwrap_err();
    assert_eq!(e, VerifyError::BodyTooLarge { limit: 4096 });
    assert_eq!(e.status(), 413);

    // Not JSON: malformed if signed with our secret, else a bad signature.
    assert_eq!(
        verifier
            .check(&headers(&[("x-douyin-signature", &good)]), b"not json")
            .unwrap_err(),
        VerifyError::BadSignature
    );
    let signed_junk = webhook_signature(&secret(SECRET), b"not json");
    let e = verifier
        .check(
            &headers(&[("x-douyin-signature", &signed_junk)]),
            b"not json",
        )
        .unwrap_err();
    assert!(matches!(e, VerifyError::MalformedBody(_)));
    assert_eq!(e.status(), 400);
    // No error shows a secret.
    for e in [e, VerifyError::BadSignature] {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(SECRET) && !shown.contains("other-secret"));
    }
    let shown = format!("{verifier:?}");
    assert!(shown.contains(KEY) && !shown.contains(SECRET));
}

trait ReplaceKey {
    fn replace_key(self, key: &str) -> Vec<u8>;
}

impl ReplaceKey for Vec<u8> {
    fn replace_key(self, key: &str) -> Vec<u8> {
        String::from_utf8(self)
            .unwrap()
            .replace(KEY, key)
            .into_bytes()
    }
}

#[test]
fn webhook_unknown_event_passes_through_untouched() {
    let content =
        r#"{"action": "pay_success","msg_time": 1665991178,"order": {"order_id": "123"}}"#;
    let body = serde_json::json!({
        "event": "life_trade_order_notify", "client_key": KEY, "content": content, "log_id": "L"
    })
    .to_string();
    let sig = webhook_signature(&secret(SECRET), body.as_bytes());
    let v = webhook_verifier()
        .check(&headers(&[("x-douyin-signature", &sig)]), body.as_bytes())
        .unwrap();
    assert_eq!(
        v.event().unwrap(),
        Event::Unknown {
            event: "life_trade_order_notify".into(),
            content: content.into()
        }
    );
}

#[test]
fn verify_webhook_challenge_is_echoed() {
    // The page's shape: empty client_key, content an object.
    let body =
        br#"{ "event": "verify_webhook", "client_key": "", "content": { "challenge": 12345 } }"#;
    let sig = webhook_signature(&secret(SECRET), body);
    let v = webhook_verifier()
        .check(&headers(&[("x-douyin-signature", &sig)]), body)
        .unwrap();
    assert_eq!(
        v.challenge_response().as_deref(),
        Some(r#"{"challenge":12345}"#)
    );
    // Signed with no configured secret: refused.
    let sig = webhook_signature(&secret("nobody's"), body);
    assert_eq!(
        webhook_verifier()
            .check(&headers(&[("x-douyin-signature", &sig)]), body)
            .unwrap_err(),
        VerifyError::BadSignature
    );
}

#[test]
fn hostile_inputs_never_panic() {
    let verifier = webhook_verifier();
    let spi = SpiVerifier::new().with_app(KEY, SECRET);
    let bodies: [&[u8]; 8] = [
        b"",
        b"{}",
        b"null",
        b"[1]",
        b"{\"event\":1}",
        b"{\"event\":\"life_trade_certificate_notify\",\"content\":\"{\\\"action\\\":1}\"}",
        b"\xff\xfe",
        b"{\"event\":\"x\",\"client_key\":\"\",\"content\":{}}",
    ];
    let sigs = ["", "zz", "\u{00e9}", &"a".repeat(40)];
    for body in bodies {
        for sig in sigs {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(sig) {
                h.insert("x-douyin-signature", v.clone());
                h.insert("x-life-sign", v);
            }
            if let Ok(v) = verifier.check(&h, body) {
                let _ = v.event();
            }
            for q in [
                "",
                "&&&",
                "client_key",
                "client_key=%",
                "client_key=a&timestamp=x",
                "=&==",
            ] {
                let _ = spi.check("POST", q, &h, body);
            }
        }
    }
}

// ---------- SPI verification ----------

fn spi_at(clock: &Arc<ManualClock>) -> SpiVerifier {
    SpiVerifier::new()
        .with_app("xxxxxx", "yyyyyy")
        .with_app(KEY, SECRET)
        .clock(clock.clone())
}

fn clock_at_ms(ms: u64) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_millis(ms)))
}

fn spi_call(key: &str, secret_text: &str, ts: u64, body: &[u8]) -> (String, HeaderMap) {
    let query = format!("timestamp={ts}&client_key={key}&sign=legacy");
    let sig = spi_signature(&secret(secret_text), "POST", &query, body).unwrap();
    (query, headers(&[("x-life-sign", &sig)]))
}

#[test]
fn spi_verifies_and_exposes_the_call() {
    let clock = clock_at_ms(TS_MS);
    let body = "{\"order_id\":\"1069\",\"备注\":\"x y\"}".as_bytes();
    let (query, h) = spi_call("xxxxxx", "yyyyyy", TS_MS, body);
    let call = spi_at(&clock).check("POST", &query, &h, body).unwrap();
    assert_eq!(call.client_key, "xxxxxx");
    assert_eq!(call.timestamp_ms, TS_MS as i64);
    assert_eq!(call.param("sign"), Some("legacy"));
    let req = call.code_create_request().unwrap();
    assert_eq!(req.get("order_id").and_then(|v| v.as_str()), Some("1069"));
    // The answer shapes of the page.
    assert_eq!(
        serde_json::to_value(CodeCreateResponse::issuing()).unwrap(),
        serde_json::json!({"data": {"error_code": 0, "description": "success", "result": 0}})
    );
}

#[test]
fn spi_every_single_byte_tampering_fails() {
    let clock = clock_at_ms(TS_MS);
    let verifier = spi_at(&clock);
    let body = "{\"a\": \"券\"}".as_bytes();
    let (query, h) = spi_call("xxxxxx", "yyyyyy", TS_MS, body);
    verifier.check("POST", &query, &h, body).unwrap();
    for i in 0..body.len() {
        let mut t = body.to_vec();
        t[i] ^= 0x01;
        assert!(
            verifier.check("POST", &query, &h, &t).is_err(),
            "body byte {i}"
        );
    }
    // Another parameter, a changed value, the body of a POST signed as a GET.
    let extra = format!("{query}&poi_id=1");
    assert_eq!(
        verifier.check("POST", &extra, &h, body).unwrap_err(),
        VerifyError::BadSignature
    );
    assert!(
        verifier
            .check("POST", &query.replace("123", "124"), &h, body)
            .is_err()
    );
    assert!(verifier.check("GET", &query, &h, body).is_err());
    // `sign` in the URL is not signed: changing it changes nothing.
    let other_sign = query.replace("legacy", "anything");
    verifier.check("POST", &other_sign, &h, body).unwrap();
}

#[test]
fn spi_stale_and_future_timestamps_fail() {
    let body = b"{}";
    let (query, h) = spi_call("xxxxxx", "yyyyyy", TS_MS, body);
    // Exactly at the edges of the 5-minute window: accepted.
    for now in [TS_MS - 300_000, TS_MS + 300_000] {
        spi_at(&clock_at_ms(now))
            .check("POST", &query, &h, body)
            .unwrap();
    }
    let e = spi_at(&clock_at_ms(TS_MS + 300_001))
        .check("POST", &query, &h, body)
        .unwrap_err();
    assert!(
        matches!(
            e,
            VerifyError::StaleTimestamp {
                skew_ms: 300_001,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.status(), 401);
    let e = spi_at(&clock_at_ms(TS_MS - 300_001))
        .check("POST", &query, &h, body)
        .unwrap_err();
    assert!(
        matches!(
            e,
            VerifyError::StaleTimestamp {
                skew_ms: -300_001,
                ..
            }
        ),
        "future: {e:?}"
    );
    // A configurable window.
    let clock = clock_at_ms(TS_MS + 2_000);
    let narrow = spi_at(&clock).window(Duration::from_secs(1));
    assert!(matches!(
        narrow.check("POST", &query, &h, body),
        Err(VerifyError::StaleTimestamp { .. })
    ));
}

#[test]
fn spi_uses_the_urls_client_key_not_the_header() {
    let clock = clock_at_ms(TS_MS);
    let body = b"{}";
    // Migrated app: the URL names the old key, the header the new one.
    let (query, mut h) = spi_call("xxxxxx", "yyyyyy", TS_MS, body);
    h.insert("x-life-clientkey", HeaderValue::from_static("awmigrated"));
    let call = spi_at(&clock).check("POST", &query, &h, body).unwrap();
    assert_eq!(call.client_key, "xxxxxx");
    assert_eq!(call.header_client_key.as_deref(), Some("awmigrated"));
    // Signed with the other app's secret: refused.
    let (query, h) = spi_call("xxxxxx", SECRET, TS_MS, body);
    assert_eq!(
        spi_at(&clock).check("POST", &query, &h, body).unwrap_err(),
        VerifyError::BadSignature
    );
}

#[test]
fn spi_typed_errors() {
    let clock = clock_at_ms(TS_MS);
    let v = spi_at(&clock).max_body(8);
    let (query, h) = spi_call("xxxxxx", "yyyyyy", TS_MS, b"{}");
    assert_eq!(
        v.check("POST", &query, &HeaderMap::new(), b"{}")
            .unwrap_err(),
        VerifyError::MissingSignature("x-life-sign")
    );
    assert_eq!(
        v.check("POST", &query, &h, b"123456789").unwrap_err(),
        VerifyError::BodyTooLarge { limit: 8 }
    );
    let (q, h2) = spi_call("awnobody", "yyyyyy", TS_MS, b"{}");
    assert_eq!(
        v.check("POST", &q, &h2, b"{}").unwrap_err(),
        VerifyError::UnknownClientKey {
            client_key: "awnobody".into()
        }
    );
    assert_eq!(
        v.check("POST", "timestamp=1", &h, b"{}").unwrap_err(),
        VerifyError::MissingParameter("client_key")
    );
    let no_ts = "client_key=xxxxxx";
    let sig = spi_signature(&secret("yyyyyy"), "POST", no_ts, b"{}").unwrap();
    assert_eq!(
        v.check("POST", no_ts, &headers(&[("x-life-sign", &sig)]), b"{}")
            .unwrap_err(),
        VerifyError::MissingParameter("timestamp")
    );
    assert_eq!(
        v.check("POST", "client_key=xxxxxx&client_key=b", &h, b"{}")
            .unwrap_err(),
        VerifyError::InvalidParameter("query")
    );
    let shown = format!("{v:?}");
    assert!(!shown.contains("yyyyyy") && !shown.contains(SECRET));
}

// ---------- de-duplication ----------

#[tokio::test]
async fn duplicate_msg_id_is_detected_in_memory() {
    let clock = Arc::new(ManualClock::default());
    let seen = MemoryDedup::new()
        .ttl(Duration::from_secs(600))
        .clock(clock.clone());
    assert!(seen.first_seen("msg-1").await.unwrap());
    assert!(!seen.first_seen("msg-1").await.unwrap());
    assert!(seen.first_seen("msg-2").await.unwrap());
    seen.forget("msg-2").await.unwrap();
    assert!(
        seen.first_seen("msg-2").await.unwrap(),
        "forgotten: handled again"
    );
    clock.advance(Duration::from_secs(601));
    assert!(seen.first_seen("msg-1").await.unwrap(), "after the TTL");
}
