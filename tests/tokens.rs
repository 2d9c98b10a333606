//! Automatic client tokens: one fetch for any number of concurrent cold
//! callers, one refresh for any number of concurrent rejections, early refresh
//! on an injected clock, failures shared by every waiter and never looped.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use douyin_goodlife::{
    AccessToken, Client, ClientBuilder, Clock, Error, ErrorClass, ErrorCode, ManualClock,
    MemoryTokenStore, RefreshPolicy, RetryConfig, StoreLock, TokenStore,
};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN_PATH: &str = "/oauth/client_token/";
const ORDERS_PATH: &str = "/goodlife/v1/comprehensive/trade/query/order/";
const KEY: &str = "aw-test-key";
const SECRET: &str = "test-secret-0123";

fn token_error(code: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": {"error_code": code, "description": "token endpoint says no"},
        "message": "error"
    }))
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .credentials(KEY, SECRET)
        .retry(RetryConfig::disabled())
}

fn token_header(r: &Request) -> Option<&str> {
    r.headers.get("access-token").and_then(|v| v.to_str().ok())
}

fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_cold_calls_fetch_one_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.one", 7200).set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_ok(7))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();

    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.query_reservation_orders(&common::order_query()).await })
        })
        .collect();
    for task in tasks {
        let page = task.await.unwrap().expect("call succeeds");
        assert_eq!(page.total, Some(7));
    }

    let token_requests = common::requests_to(&server, TOKEN_PATH).await;
    assert_eq!(token_requests.len(), 1, "exactly one token request");
    let calls = common::requests_to(&server, ORDERS_PATH).await;
    assert_eq!(calls.len(), 1000);
    assert!(calls.iter().all(|r| token_header(r) == Some("clt.one")));
}

#[tokio::test]
async fn token_request_wire() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.wire", 7200))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new(start()));
    let client = builder(&server).clock(clock.clone()).build().unwrap();
    let token = client.access_token().await.unwrap();
    assert_eq!(token.expose_secret(), "clt.wire");
    assert_eq!(token.issued_at(), start());
    assert_eq!(
        token.expires_at(),
        Some(start() + Duration::from_secs(7200))
    );

    let reqs = common::requests_to(&server, TOKEN_PATH).await;
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"client_key": KEY, "client_secret": SECRET, "grant_type": "client_credential"})
    );
    assert!(
        r.headers.get("access-token").is_none(),
        "the token request sends no token"
    );
    assert!(r.headers.get("api-version").is_none());
    assert_eq!(r.headers.get("content-type").unwrap(), "application/json");

    // Cached: asking again fetches nothing.
    client.access_token().await.unwrap();
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_rejections_cause_one_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.first", 7200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            common::token_answer("clt.second", 7200).set_delay(Duration::from_millis(100)),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .and(header("access-token", "clt.first"))
        // Held for a second, so that all 100 calls are on the wire with the
        // old token before the first rejection comes back.
        .respond_with(common::orders_error(2190008).set_delay(Duration::from_secs(1)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .and(header("access-token", "clt.second"))
        .respond_with(common::orders_ok(7))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    assert_eq!(
        client.access_token().await.unwrap().expose_secret(),
        "clt.first"
    );

    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.query_reservation_orders(&common::order_query()).await })
        })
        .collect();
    for task in tasks {
        let page = task.await.unwrap().expect("replayed call succeeds");
        assert_eq!(page.logid(), Some("L-ok"));
    }

    assert_eq!(
        common::requests_to(&server, TOKEN_PATH).await.len(),
        2,
        "one fetch, one refresh"
    );
    let calls = common::requests_to(&server, ORDERS_PATH).await;
    let first = calls
        .iter()
        .filter(|r| token_header(r) == Some("clt.first"))
        .count();
    let second = calls
        .iter()
        .filter(|r| token_header(r) == Some("clt.second"))
        .count();
    assert_eq!((first, second), (100, 100));
    assert_eq!(
        client.access_token().await.unwrap().expose_secret(),
        "clt.second"
    );
}

#[tokio::test]
async fn a_second_token_rejection_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.any", 7200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_error(28001003))
        .mount(&server)
        .await;
    // Retries on: a token error is still replayed once only.
    let client = builder(&server)
        .retry(RetryConfig::default().min_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                code: ErrorCode::GatewayAccessTokenInvalid,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.logid(), Some("L-err"));
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(common::requests_to(&server, ORDERS_PATH).await.len(), 2);
}

#[tokio::test]
async fn a_fixed_token_is_never_refreshed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_error(2190008))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .access_token("clt.fixed")
        .build()
        .unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AccessTokenExpired));
    assert_eq!(err.attempts(), 1);
    assert!(common::requests_to(&server, TOKEN_PATH).await.is_empty());
    let t = client.access_token().await.unwrap();
    assert_eq!((t.expose_secret(), t.expires_at()), ("clt.fixed", None));
}

#[tokio::test]
async fn no_token_configured_is_a_config_error_before_sending() {
    let server = MockServer::start().await;
    let client = Client::builder().base_url(server.uri()).build().unwrap();
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("credentials")),
        "{err}"
    );
    assert!(client.access_token().await.is_err());
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn token_near_expiry_is_refreshed_before_a_call_fails() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.old", 7200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.new", 7200))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_ok(7))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new(start()));
    let client = builder(&server).clock(clock.clone()).build().unwrap();

    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();
    // 601 s left: more than the margin, min(10 min, 10 % of 7200 s) = 600 s.
    clock.advance(Duration::from_secs(7200 - 601));
    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 1);

    // 599 s left: refreshed before the call, which carries the new token.
    clock.advance(Duration::from_secs(2));
    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 2);
    let calls = common::requests_to(&server, ORDERS_PATH).await;
    let sent: Vec<_> = calls.iter().map(|r| token_header(r).unwrap()).collect();
    assert_eq!(sent, ["clt.old", "clt.old", "clt.new"]);
    let t = client.access_token().await.unwrap();
    assert_eq!(
        t.expires_at(),
        Some(clock.now() + Duration::from_secs(7200))
    );
}

#[tokio::test]
async fn refresh_margin_is_configurable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.x", 1000))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new(start()));
    let client = builder(&server)
        .clock(clock.clone())
        .refresh_policy(RefreshPolicy::default().fraction(0.5))
        .build()
        .unwrap();
    client.access_token().await.unwrap();
    clock.advance(Duration::from_secs(499));
    client.access_token().await.unwrap();
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 1);
    clock.advance(Duration::from_secs(2));
    client.access_token().await.unwrap();
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 2);
}

#[tokio::test]
async fn failed_early_refresh_keeps_the_valid_token_and_is_not_looped() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.old", 7200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_error(10020))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_ok(7))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new(start()));
    let client = builder(&server).clock(clock.clone()).build().unwrap();
    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();

    clock.advance(Duration::from_secs(7000));
    // The refresh is refused, the still-valid token carries the calls.
    for _ in 0..5 {
        client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap();
    }
    assert_eq!(
        common::requests_to(&server, TOKEN_PATH).await.len(),
        2,
        "one failed refresh, not five"
    );

    clock.advance(Duration::from_secs(31));
    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();
    assert_eq!(
        common::requests_to(&server, TOKEN_PATH).await.len(),
        3,
        "tried again after 30 s"
    );

    // Expired: the refusal now reaches the caller, as rate limited.
    clock.advance(Duration::from_secs(200));
    let err = client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TokenRateLimited));
    assert_eq!(err.code().unwrap().class(), ErrorClass::RateLimited);
    assert!(!err.is_retryable());
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 4);
    let sent: Vec<_> = common::requests_to(&server, ORDERS_PATH)
        .await
        .iter()
        .map(|r| token_header(r).unwrap().to_string())
        .collect();
    assert_eq!(sent.len(), 7);
    assert!(sent.iter().all(|t| t == "clt.old"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_fail_every_waiter_with_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_error(10013).set_delay(Duration::from_secs(1)))
        .mount(&server)
        .await;
    // Retries on: credential errors are still tried once.
    let client = builder(&server)
        .retry(RetryConfig::default().min_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    // The answer is held for a second: all 50 wait for the one fetch in flight.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.query_reservation_orders(&common::order_query()).await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    code: ErrorCode::TokenWrongCredentials,
                    operation: "get_client_token",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.code().unwrap().class(), ErrorClass::Credentials);
        assert_eq!(err.attempts(), 1);
    }
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 1);
    assert!(common::requests_to(&server, ORDERS_PATH).await.is_empty());

    // The failure is not cached: the next call asks again, once.
    client.access_token().await.unwrap_err();
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 2);
}

#[tokio::test]
async fn token_endpoint_codes_are_typed_and_not_retried() {
    for (code, expected, class) in [
        (
            10002,
            ErrorCode::TokenBadParameters,
            ErrorClass::InvalidRequest,
        ),
        (
            10003,
            ErrorCode::TokenUnknownClientKey,
            ErrorClass::Credentials,
        ),
        (
            10013,
            ErrorCode::TokenWrongCredentials,
            ErrorClass::Credentials,
        ),
        (10020, ErrorCode::TokenRateLimited, ErrorClass::RateLimited),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(token_error(code))
            .mount(&server)
            .await;
        let client = builder(&server)
            .retry(RetryConfig::default().min_delay(Duration::from_millis(1)))
            .build()
            .unwrap();
        let err = client.access_token().await.unwrap_err();
        assert_eq!(err.code(), Some(expected), "{code}");
        assert_eq!(expected.class(), class);
        let err = client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(expected), "{code}");
        assert_eq!(
            common::requests_to(&server, TOKEN_PATH).await.len(),
            2,
            "{code}: once per call"
        );
    }
}

#[tokio::test]
async fn malformed_token_answers_are_decode_errors() {
    for (body, field) in [
        (
            json!({"data": {"error_code": 0, "expires_in": 7200}}),
            "data.access_token",
        ),
        (
            json!({"data": {"error_code": 0, "access_token": "clt.x", "expires_in": 0}}),
            "data.expires_in",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let client = builder(&server).build().unwrap();
        let err = client.access_token().await.unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref path, .. } if path == field),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn clients_sharing_a_store_share_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.shared", 7200))
        .mount(&server)
        .await;
    let store = Arc::new(MemoryTokenStore::new());
    let a = builder(&server).token_store(store.clone()).build().unwrap();
    let b = builder(&server).token_store(store.clone()).build().unwrap();
    let ta: AccessToken = a.access_token().await.unwrap();
    let tb = b.access_token().await.unwrap();
    assert_eq!(ta.expose_secret(), tb.expose_secret());
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 1);
}

/// What a [`FaultyStore`] step does.
#[derive(Clone, Copy, Debug, PartialEq)]
enum StoreFault {
    /// Answers `Error::TokenStore` at once.
    Fail,
    /// Never answers (until the test releases it, if ever).
    Hang,
}

/// A [`TokenStore`] over a [`MemoryTokenStore`] whose steps (`load`, `save`,
/// `invalidate`, `lock`, `unlock`) fail or hang on command. Every step that
/// is entered is reported on a channel, so tests wait for events, not time.
#[derive(Debug)]
struct FaultyStore {
    inner: MemoryTokenStore,
    faults: std::sync::Mutex<Vec<(&'static str, StoreFault)>>,
    entered: tokio::sync::mpsc::UnboundedSender<&'static str>,
    release: tokio::sync::Notify,
}

impl FaultyStore {
    fn new() -> (
        Arc<Self>,
        tokio::sync::mpsc::UnboundedReceiver<&'static str>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let store = Arc::new(Self {
            inner: MemoryTokenStore::new(),
            faults: std::sync::Mutex::new(Vec::new()),
            entered: tx,
            release: tokio::sync::Notify::new(),
        });
        (store, rx)
    }

    fn set(&self, step: &'static str, fault: StoreFault) {
        self.faults.lock().unwrap().push((step, fault));
    }

    fn clear(&self) {
        self.faults.lock().unwrap().clear();
    }

    /// Lets every hung step go on (to the memory store).
    fn release_all(&self) {
        self.clear();
        self.release.notify_waiters();
    }

    async fn step(&self, step: &'static str) -> Result<(), Error> {
        let _ = self.entered.send(step);
        let fault = self
            .faults
            .lock()
            .unwrap()
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, f)| *f);
        match fault {
            None => Ok(()),
            Some(StoreFault::Fail) => Err(Error::TokenStore(
                douyin_goodlife::TokenStoreError::with_source(
                    format!("injected {step} failure"),
                    std::io::Error::other("injected"),
                ),
            )),
            Some(StoreFault::Hang) => {
                self.release.notified().await;
                Ok(())
            }
        }
    }
}

impl TokenStore for FaultyStore {
    fn load<'a>(
        &'a self,
        client_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        Box::pin(async move {
            self.step("load").await?;
            self.inner.load(client_key).await
        })
    }

    fn save<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.step("save").await?;
            self.inner.save(client_key, token).await
        })
    }

    fn invalidate<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            self.step("invalidate").await?;
            self.inner.invalidate(client_key, token).await
        })
    }

    fn try_lock<'a>(
        &'a self,
        client_key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<StoreLock>, Error>> {
        Box::pin(async move {
            self.step("lock").await?;
            self.inner.try_lock(client_key, ttl).await
        })
    }

    fn unlock<'a>(
        &'a self,
        client_key: &'a str,
        lock: StoreLock,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.step("unlock").await?;
            self.inner.unlock(client_key, lock).await
        })
    }
}

fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<&'static str>) -> Vec<&'static str> {
    let mut steps = Vec::new();
    while let Ok(s) = rx.try_recv() {
        steps.push(s);
    }
    steps
}

async fn token_and_orders(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer(token, 7200))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .respond_with(common::orders_ok(4))
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_store_step_falls_back_to_a_local_fetch() {
    let logs = common::capture_logs(tracing_subscriber::fmt::format::FmtSpan::NONE);
    for step in ["load", "lock", "save", "unlock"] {
        let server = MockServer::start().await;
        token_and_orders(&server, "clt.local").await;
        let (store, mut entered) = FaultyStore::new();
        store.set(step, StoreFault::Fail);
        let client = builder(&server).token_store(store.clone()).build().unwrap();
        let q = common::order_query();
        let calls = (0..20).map(|_| client.query_reservation_orders(&q));
        for result in futures::future::join_all(calls).await {
            let page = result.unwrap_or_else(|e| panic!("{step} failing: {e:?}"));
            assert_eq!(page.total, Some(4));
        }
        let steps = drain(&mut entered);
        assert!(steps.contains(&step), "{step} was tried: {steps:?}");
        assert_eq!(
            common::requests_to(&server, TOKEN_PATH).await.len(),
            1,
            "{step} failing: one fetch for 20 callers"
        );
        let calls = common::requests_to(&server, ORDERS_PATH).await;
        assert!(calls.iter().all(|r| token_header(r) == Some("clt.local")));
        // What reached the memory store behind the faults.
        let stored = store.inner.load(KEY).await.unwrap();
        match step {
            // Degraded before the fetch: the token is still offered to the store.
            "load" | "lock" | "unlock" => {
                assert_eq!(stored.unwrap().expose_secret(), "clt.local", "{step}")
            }
            _ => assert!(stored.is_none(), "{step}: the save failed"),
        }
    }
    // Each degradation was logged as a warning, without a secret.
    let text = logs.text();
    for line in [
        "step=\"load\"",
        "step=\"lock\"",
        "cannot save the token to the store",
        "cannot release the token lock",
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(" WARN ") && l.contains(line)),
            "no warning with {line}"
        );
    }
    assert!(!text.contains(SECRET) && !text.contains("clt.local"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_store_is_given_up_after_the_store_timeout() {
    for step in ["load", "lock", "save"] {
        let server = MockServer::start().await;
        token_and_orders(&server, "clt.local").await;
        let (store, mut entered) = FaultyStore::new();
        store.set(step, StoreFault::Hang);
        let client = builder(&server)
            .token_store(store.clone())
            .refresh_policy(RefreshPolicy::default().store_timeout(Duration::from_millis(100)))
            .deadline(Duration::from_secs(10))
            .build()
            .unwrap();
        let q = common::order_query();
        let calls = (0..10).map(|_| client.query_reservation_orders(&q));
        for result in futures::future::join_all(calls).await {
            result.unwrap_or_else(|e| panic!("{step} hanging: {e:?}"));
        }
        assert!(drain(&mut entered).contains(&step), "{step} was entered");
        assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 1);
        // The next call uses the cached token: the store is not asked again.
        client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap();
        assert!(drain(&mut entered).is_empty());
        store.release_all();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_stall_shorter_than_the_timeout_is_waited_for() {
    let server = MockServer::start().await;
    token_and_orders(&server, "clt.fetched").await;
    let (store, mut entered) = FaultyStore::new();
    let now = SystemTime::now();
    store
        .inner
        .save(
            KEY,
            &AccessToken::new("clt.stored", now, Some(now + Duration::from_secs(7200))),
        )
        .await
        .unwrap();
    store.set("load", StoreFault::Hang);
    let client = builder(&server).token_store(store.clone()).build().unwrap();
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.query_reservation_orders(&common::order_query()).await })
        })
        .collect();
    // The flight is stuck in the store's load: release it.
    assert_eq!(entered.recv().await, Some("load"));
    store.release_all();
    for call in calls {
        call.await.unwrap().expect("served with the stored token");
    }
    assert_eq!(
        common::requests_to(&server, TOKEN_PATH).await.len(),
        0,
        "the stored token was used"
    );
    let calls = common::requests_to(&server, ORDERS_PATH).await;
    assert_eq!(calls.len(), 10);
    assert!(calls.iter().all(|r| token_header(r) == Some("clt.stored")));
}

#[tokio::test]
async fn a_failing_invalidate_still_refreshes_and_replays() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.first", 7200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer("clt.second", 7200))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .and(header("access-token", "clt.first"))
        .respond_with(common::orders_error(2190008))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .and(header("access-token", "clt.second"))
        .respond_with(common::orders_ok(2))
        .mount(&server)
        .await;
    let (store, mut entered) = FaultyStore::new();
    let client = builder(&server).token_store(store.clone()).build().unwrap();
    client.access_token().await.unwrap();
    store.set("invalidate", StoreFault::Fail);
    let page = client
        .query_reservation_orders(&common::order_query())
        .await
        .expect("replayed with a new token despite the store");
    assert_eq!(page.total, Some(2));
    let steps = drain(&mut entered);
    assert!(steps.contains(&"invalidate"), "{steps:?}");
    // The rejected token still in the store was not taken again.
    assert_eq!(common::requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(
        store
            .inner
            .load(KEY)
            .await
            .unwrap()
            .unwrap()
            .expose_secret(),
        "clt.second"
    );
}
