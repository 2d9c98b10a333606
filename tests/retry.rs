//! Retries: bounded, jittered, typed at the end; deadlines and timeouts.
//!
//! Backoff waits go through an injected sleeper that records the delays and
//! returns at once, so no test waits for real backoff.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use douyin_goodlife::{Client, ClientBuilder, Error, ErrorCode, RetryConfig, Sleeper};
use futures::future::BoxFuture;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORDERS_PATH: &str = "/goodlife/v1/comprehensive/trade/query/order/";
const TOKEN_PATH: &str = "/oauth/client_token/";

/// Records every delay asked for and does not wait.
#[derive(Debug, Default)]
struct RecordingSleeper {
    delays: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    fn delays(&self) -> Vec<Duration> {
        self.delays.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        self.delays.lock().unwrap().push(delay);
        Box::pin(async {})
    }
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .access_token("clt.retry")
}

async fn hits(server: &MockServer, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}

async fn answer_in_sequence(
    server: &MockServer,
    first: ResponseTemplate,
    times: u64,
    then: ResponseTemplate,
) {
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn retry_storm_ends_after_the_configured_attempts_within_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_error(2119003))
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let deadline = Duration::from_secs(60);
    let client = builder(&server)
        .deadline(deadline)
        .retry(
            RetryConfig::default()
                .max_attempts(4)
                .min_delay(Duration::from_millis(100))
                .too_frequent_delay(Duration::from_secs(3))
                .sleeper(sleeper.clone()),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                code: ErrorCode::TooFrequent,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 4);
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
    assert_eq!(hits(&server, ORDERS_PATH).await, 4);
    assert!(started.elapsed() < Duration::from_secs(5));

    // 2119003 backs off longer: 3 s more than the jittered exponential base.
    let delays = sleeper.delays();
    assert_eq!(delays.len(), 3);
    for (i, d) in delays.iter().enumerate() {
        let base = Duration::from_millis(100 << i);
        assert!(
            *d >= Duration::from_secs(3) && *d <= Duration::from_secs(3) + base,
            "{i}: {d:?}"
        );
    }
}

#[tokio::test]
async fn a_retry_that_would_pass_the_deadline_is_not_made() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_error(2119003))
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    // Defaults: 2119003 waits at least 2 s, more than this deadline allows.
    let client = builder(&server)
        .deadline(Duration::from_secs(1))
        .retry(RetryConfig::default().sleeper(sleeper.clone()))
        .build()
        .unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooFrequent));
    assert_eq!(err.attempts(), 1);
    assert!(sleeper.delays().is_empty());
    assert_eq!(hits(&server, ORDERS_PATH).await, 1);
}

#[tokio::test]
async fn server_error_then_success_succeeds() {
    let server = MockServer::start().await;
    answer_in_sequence(
        &server,
        ResponseTemplate::new(500).set_body_string("boom"),
        1,
        common::orders_ok(1),
    )
    .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = builder(&server)
        .retry(RetryConfig::default().sleeper(sleeper.clone()))
        .build()
        .unwrap();
    let page = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    assert_eq!(hits(&server, ORDERS_PATH).await, 2);
    // Full jitter: the first delay is within [0, min_delay].
    let delays = sleeper.delays();
    assert_eq!(delays.len(), 1);
    assert!(delays[0] <= Duration::from_millis(200), "{delays:?}");
}

#[tokio::test]
async fn retryable_codes_and_statuses_are_retried_and_counted() {
    for (template, expect_code, expect_status) in [
        (
            common::orders_error(2100004),
            Some(ErrorCode::from_code(2100004)),
            None,
        ),
        (ResponseTemplate::new(503), None, Some(503)),
        (ResponseTemplate::new(429), None, Some(429)),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(ORDERS_PATH))
            .respond_with(template)
            .mount(&server)
            .await;
        let client = builder(&server)
            .retry(RetryConfig::default().sleeper(Arc::new(RecordingSleeper::default())))
            .build()
            .unwrap();
        let err = client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap_err();
        assert_eq!(err.attempts(), 3, "{err:?}");
        assert_eq!(err.code(), expect_code);
        match (expect_status, &err) {
            (Some(s), Error::Http { status, .. }) => assert_eq!(*status, s),
            (None, Error::Api { .. }) => {}
            _ => panic!("unexpected {err:?}"),
        }
        assert_eq!(hits(&server, ORDERS_PATH).await, 3);
    }
}

#[tokio::test]
async fn non_retryable_codes_are_tried_once() {
    // Parameter, permission, quota: never retried.
    for code in [2100005, 2190004, 2119005, 28003017] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(ORDERS_PATH))
            .respond_with(common::orders_error(code))
            .mount(&server)
            .await;
        let sleeper = Arc::new(RecordingSleeper::default());
        let client = builder(&server)
            .retry(RetryConfig::default().sleeper(sleeper.clone()))
            .build()
            .unwrap();
        let err = client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::from_code(code)));
        assert!(!err.is_retryable(), "{code}");
        assert_eq!(err.attempts(), 1);
        assert_eq!(hits(&server, ORDERS_PATH).await, 1, "{code}");
        assert!(sleeper.delays().is_empty());
    }
}

#[tokio::test]
async fn wrong_credentials_10013_is_tried_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"error_code": 10013, "description": "client_key或client_secret错误"},
            "message": "error"
        })))
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = Client::builder()
        .base_url(server.uri())
        .credentials("aw-key", "wrong-secret")
        .retry(RetryConfig::default().sleeper(sleeper.clone()))
        .build()
        .unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TokenWrongCredentials));
    assert_eq!(err.attempts(), 1);
    assert_eq!(hits(&server, TOKEN_PATH).await, 1);
    assert_eq!(hits(&server, ORDERS_PATH).await, 0);
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    answer_in_sequence(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "7"),
        1,
        common::orders_ok(1),
    )
    .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = builder(&server)
        .retry(RetryConfig::default().sleeper(sleeper.clone()))
        .build()
        .unwrap();
    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_past_the_deadline_returns_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = builder(&server)
        .deadline(Duration::from_secs(10))
        .retry(RetryConfig::default().sleeper(sleeper.clone()))
        .build()
        .unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                status: 429,
                retry_after: Some(120),
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn the_overall_deadline_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_ok(1).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = builder(&server)
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Deadline { operation: "query_reservation_orders", attempts: 1, deadline, .. }
                if deadline == Duration::from_millis(300)
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried() {
    let server = MockServer::start().await;
    answer_in_sequence(
        &server,
        common::orders_ok(1).set_delay(Duration::from_secs(3)),
        1,
        common::orders_ok(1),
    )
    .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .retry(RetryConfig::default().sleeper(Arc::new(RecordingSleeper::default())))
        .build()
        .unwrap();
    let started = Instant::now();
    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();
    assert_eq!(hits(&server, ORDERS_PATH).await, 2);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn connection_refused_is_retried_then_typed() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .access_token("clt.retry")
        .retry(RetryConfig::default().sleeper(sleeper.clone()))
        .build()
        .unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                timeout: false,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert_eq!(sleeper.delays().len(), 2);
}

#[tokio::test]
async fn disabled_retries_make_one_attempt() {
    let server = MockServer::start().await;
    answer_in_sequence(&server, ResponseTemplate::new(500), 1, common::orders_ok(1)).await;
    let client = builder(&server)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                status: 500,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(hits(&server, ORDERS_PATH).await, 1);
}

#[tokio::test]
async fn seeded_jitter_is_reproducible_and_full() {
    async fn delays_with_seed(seed: u64) -> Vec<Duration> {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(ORDERS_PATH))
            .respond_with(ResponseTemplate::new(502))
            .mount(&server)
            .await;
        let sleeper = Arc::new(RecordingSleeper::default());
        let client = builder(&server)
            .retry(
                RetryConfig::default()
                    .max_attempts(6)
                    .min_delay(Duration::from_millis(100))
                    .max_delay(Duration::from_millis(400))
                    .jitter_seed(seed)
                    .sleeper(sleeper.clone()),
            )
            .build()
            .unwrap();
        client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap_err();
        sleeper.delays()
    }
    let a = delays_with_seed(7).await;
    let b = delays_with_seed(7).await;
    let c = delays_with_seed(8).await;
    assert_eq!(a.len(), 5);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Each delay is within [0, min(max_delay, min_delay * 2^n)].
    let caps = [100, 200, 400, 400, 400].map(Duration::from_millis);
    for (d, cap) in a.iter().zip(caps) {
        assert!(*d <= cap, "{d:?} > {cap:?}");
    }
}
