//! Transport failures are retried by their kind ([`TransportKind`]), as the
//! AWS SDKs' standard retry mode does: a connection never made is retried
//! always; a reset or timeout after the request went out only for an
//! operation that is safe to repeat; TLS, builder and redirect failures never.
//!
//! Each test runs against a raw TCP server of its own (`raw_http`) that counts
//! the connections it accepts. Backoff is zero (`fixed_delays`), and nothing
//! sleeps: a client call returns only after the server acted on every
//! connection it made, so the counts are final when it does.

mod raw_http;

use std::time::Duration;

use douyin_goodlife::{Client, Error, Operation, OrderQuery, RetryConfig, TransportKind};
use raw_http::{Behaviour, RawServer};
use serde_json::{Map, json};

const ATTEMPTS: u32 = 4;

/// `ATTEMPTS` attempts, no wait between them.
fn retry() -> RetryConfig {
    RetryConfig::default()
        .max_attempts(ATTEMPTS)
        .fixed_delays([Duration::ZERO])
}

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .access_token("clt.transport")
        .retry(retry())
        .build()
        .unwrap()
}

fn query() -> OrderQuery {
    OrderQuery::new("acc", "poi", 1_732_896_000, 1_732_982_400)
}

/// A read: safe to repeat.
async fn read(client: &Client) -> Error {
    client.query_reservation_orders(&query()).await.unwrap_err()
}

/// A write, without its idempotency key (`cancel_token`) unless `key`.
async fn cancel(client: &Client, key: bool) -> Error {
    let mut body =
        json!({"certificate_id": "7302187726149320704", "verify_id": "7302190011223344556"});
    if key {
        body["cancel_token"] = json!("c1f0a9e2-5b7d-4c3e-8f21-0a9b8c7d6e5f");
    }
    client
        .call_json(Operation::CertificateCancel, &Map::new(), Some(body))
        .await
        .unwrap_err()
}

fn kind(e: &Error) -> TransportKind {
    match e {
        Error::Transport { .. } => e.transport_kind().unwrap(),
        other => panic!("not a transport error: {other:?}"),
    }
}

/// The source chain of `e`, for messages.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut next = std::error::Error::source(e);
    while let Some(s) = next {
        out.push_str(" <- ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

#[tokio::test]
async fn a_tls_failure_is_not_retried() {
    // An https:// base URL on a server that does not speak TLS: the handshake
    // fails on the first bytes of its answer.
    let server = RawServer::start(Behaviour::Garbage).await;
    let client = client(&server.https_url());
    let e = read(&client).await;
    assert_eq!(kind(&e), TransportKind::Tls, "{}", chain(&e));
    assert_eq!(e.attempts(), 1, "{}", chain(&e));
    assert!(!e.is_retryable());
    assert!(e.not_carried_out());
    assert_eq!(server.accepts(), 1);

    // A write without its key: the same.
    let e = cancel(&client, false).await;
    assert_eq!(kind(&e), TransportKind::Tls, "{}", chain(&e));
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.accepts(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_for_reads_and_for_writes_without_a_key() {
    let base = format!("http://127.0.0.1:{}", raw_http::refused_port());
    let client = client(&base);
    for e in [read(&client).await, cancel(&client, false).await] {
        assert_eq!(kind(&e), TransportKind::Connect, "{}", chain(&e));
        assert_eq!(e.attempts(), ATTEMPTS, "{}", chain(&e));
        assert!(e.is_retryable() && e.not_carried_out());
        assert!(!matches!(e, Error::Transport { timeout: true, .. }));
    }
}

#[tokio::test]
async fn a_reset_after_the_request_is_retried_only_when_safe() {
    let server = RawServer::start(Behaviour::ResetAfterRequest).await;
    let client = client(&server.http_url());

    // A read: every attempt.
    let e = read(&client).await;
    assert_eq!(kind(&e), TransportKind::Reset, "{}", chain(&e));
    assert_eq!(e.attempts(), ATTEMPTS);
    assert_eq!(server.accepts(), ATTEMPTS as usize);
    assert_eq!(server.requests().len(), ATTEMPTS as usize);

    // A write without its key may have been carried out: one attempt.
    let e = cancel(&client, false).await;
    assert_eq!(kind(&e), TransportKind::Reset, "{}", chain(&e));
    assert!(e.is_retryable() && !e.not_carried_out());
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.accepts(), ATTEMPTS as usize + 1);

    // The same write with its key is safe to repeat: every attempt.
    let e = cancel(&client, true).await;
    assert_eq!(kind(&e), TransportKind::Reset, "{}", chain(&e));
    assert_eq!(e.attempts(), ATTEMPTS);
    assert_eq!(server.accepts(), 2 * ATTEMPTS as usize + 1);
    let sent = server.requests();
    let last = String::from_utf8_lossy(sent.last().unwrap());
    assert!(last.contains("cancel_token"), "{last}");
}

#[tokio::test]
async fn a_timeout_after_the_request_is_retried_only_when_safe() {
    let server = RawServer::start(Behaviour::Silent).await;
    let client = Client::builder()
        .base_url(server.http_url())
        .access_token("clt.transport")
        .retry(retry().max_attempts(2))
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let e = read(&client).await;
    assert_eq!(kind(&e), TransportKind::Timeout, "{}", chain(&e));
    assert!(matches!(e, Error::Transport { timeout: true, .. }));
    assert_eq!(e.attempts(), 2);
    let e = cancel(&client, false).await;
    assert_eq!(kind(&e), TransportKind::Timeout, "{}", chain(&e));
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.accepts(), 3);
}

/// A `reqwest::Client` of the caller's (default TLS provider installed first,
/// as the SDK installs none process-wide).
fn caller_http(builder: reqwest::ClientBuilder) -> reqwest::Client {
    #[cfg(feature = "rustls-ring")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    builder.build().unwrap()
}

#[tokio::test]
async fn a_builder_error_is_not_retried() {
    // The caller's HTTP client refuses plain http: reqwest fails the request
    // before connecting (a builder error).
    let server = RawServer::start(Behaviour::ResetAfterRequest).await;
    let client = Client::builder()
        .base_url(server.http_url())
        .access_token("clt.transport")
        .http_client(caller_http(reqwest::Client::builder().https_only(true)))
        .retry(retry())
        .build()
        .unwrap();
    for e in [read(&client).await, cancel(&client, false).await] {
        assert_eq!(kind(&e), TransportKind::Builder, "{}", chain(&e));
        assert_eq!(e.attempts(), 1);
        assert!(!e.is_retryable() && e.not_carried_out());
    }
    assert_eq!(server.accepts(), 0);
}

#[tokio::test]
async fn a_redirect_error_is_not_retried() {
    // The SDK's own client follows no redirect (a 3xx is `Error::Http`); a
    // caller's client that does fails here after one hop.
    let server = RawServer::start(Behaviour::Answer(std::sync::Arc::new(|_| {
        raw_http::answer(302, &[("location", "/again")], "")
    })))
    .await;
    let following = Client::builder()
        .base_url(server.http_url())
        .access_token("clt.transport")
        .http_client(caller_http(
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(1)),
        ))
        .retry(retry())
        .build()
        .unwrap();
    let e = read(&following).await;
    assert_eq!(kind(&e), TransportKind::Redirect, "{}", chain(&e));
    assert_eq!(e.attempts(), 1);
    assert!(!e.is_retryable());
    assert_eq!(server.accepts(), 2, "the request and the one hop followed");

    // The SDK's own client: a 302 is an `Http` error, not followed, not retried.
    let e = read(&client(&server.http_url())).await;
    assert!(matches!(e, Error::Http { status: 302, .. }), "{e:?}");
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.accepts(), 3);
}

#[tokio::test]
async fn only_transport_errors_have_a_kind() {
    let e = Error::invalid_request("page_size", "too large");
    assert_eq!(e.transport_kind(), None);
    let server = RawServer::start(Behaviour::Answer(std::sync::Arc::new(|_| {
        raw_http::answer(503, &[], "{}")
    })))
    .await;
    let e = read(&client(&server.http_url())).await;
    assert!(matches!(e, Error::Http { status: 503, .. }), "{e:?}");
    assert_eq!(e.transport_kind(), None);
    assert_eq!(e.attempts(), ATTEMPTS);
}

/// A refused certificate is a TLS failure too: one connection, one attempt.
#[cfg(feature = "rustls-ring")]
#[tokio::test]
async fn a_refused_certificate_is_not_retried() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl on PATH (.ci/run installs it)");
    assert!(made.status.success());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from_pem_file(&cert).unwrap()],
            rustls::pki_types::PrivateKeyDer::from_pem_file(&key).unwrap(),
        )
        .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepts = Arc::new(AtomicUsize::new(0));
    let counted = accepts.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
            while conn.is_handshaking() {
                if conn.complete_io(&mut tcp).is_err() {
                    break;
                }
            }
        }
    });
    let client = client(&format!("https://127.0.0.1:{port}"));
    let e = read(&client).await;
    assert_eq!(kind(&e), TransportKind::Tls, "{}", chain(&e));
    assert!(
        chain(&e).to_lowercase().contains("certificate"),
        "{}",
        chain(&e)
    );
    assert_eq!(e.attempts(), 1);
    assert_eq!(accepts.load(Ordering::SeqCst), 1);
}
