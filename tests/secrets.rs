//! The client secret and access tokens never show: not in `Debug`/`Display` of
//! the client, the builder, credentials, tokens or any error, and not in any
//! log line, even when the server echoes them back.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use douyin_goodlife::{
    AccessToken, Client, ClientBuilder, Credentials, Error, MemoryTokenStore, OrderQuery,
    RefreshPolicy, RetryConfig, StoreLock, TokenStore,
};
use futures::future::BoxFuture;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "CANARY-secret-7f3a9";
const TOKEN: &str = "clt.CANARY-token-51c2";
const TOKEN2: &str = "clt.CANARY-token2-88d0";
const CANARY: &str = "CANARY";
const TOKEN_PATH: &str = "/oauth/client_token/";
const ORDERS_PATH: &str = "/goodlife/v1/comprehensive/trade/query/order/";

fn assert_clean(what: &str, shown: &str) {
    assert!(!shown.contains(CANARY), "{what} shows a secret: {shown}");
}

fn show_error(e: &Error) -> String {
    use std::error::Error as _;
    let mut shown = format!("{e}\n{e:?}\n{e:#?}");
    let mut source = e.source();
    while let Some(s) = source {
        shown.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    shown
}

fn creds(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .credentials("aw-key", SECRET)
        .retry(RetryConfig::disabled())
}

#[tokio::test]
async fn debug_of_clients_builders_credentials_and_tokens_is_redacted() {
    logs();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer(TOKEN, 7200))
        .mount(&server)
        .await;

    let builder = creds(&server);
    assert_clean("credentials builder", &format!("{builder:?} {builder:#?}"));
    let client = builder.build().unwrap();
    assert_clean(
        "credentials client (cold)",
        &format!("{client:?} {client:#?}"),
    );
    let token = client.access_token().await.unwrap();
    assert_eq!(token.expose_secret(), TOKEN);
    assert_clean("access token", &format!("{token:?} {token:#?}"));
    assert_clean("credentials client (warm)", &format!("{client:?}"));

    let fixed = Client::builder().access_token(TOKEN);
    assert_clean("fixed-token builder", &format!("{fixed:?} {fixed:#?}"));
    let fixed = fixed.build().unwrap();
    assert_clean("fixed-token client", &format!("{fixed:?} {fixed:#?}"));
    let fixed_token = fixed.access_token().await.unwrap();
    assert_clean("fixed access token", &format!("{fixed_token:?}"));

    let credentials = Credentials::new("aw-key", SECRET);
    assert_clean("credentials", &format!("{credentials:?} {credentials:#?}"));
    let now = SystemTime::now();
    let made = AccessToken::new(TOKEN, now, Some(now + Duration::from_secs(1)));
    assert_clean("AccessToken::new", &format!("{made:?}"));
    // The redaction is visible, not an empty string.
    assert!(format!("{credentials:?}").contains("REDACTED"));
    assert!(format!("{made:?}").contains("REDACTED"));
}

/// A store whose lock is always held elsewhere.
#[derive(Debug, Default)]
struct LockedStore(MemoryTokenStore);

impl TokenStore for LockedStore {
    fn load<'a>(&'a self, k: &'a str) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        self.0.load(k)
    }
    fn save<'a>(&'a self, k: &'a str, t: &'a AccessToken) -> BoxFuture<'a, Result<(), Error>> {
        self.0.save(k, t)
    }
    fn invalidate<'a>(
        &'a self,
        k: &'a str,
        t: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool, Error>> {
        self.0.invalidate(k, t)
    }
    fn try_lock<'a>(
        &'a self,
        _: &'a str,
        _: Duration,
    ) -> BoxFuture<'a, Result<Option<StoreLock>, Error>> {
        Box::pin(async { Ok(None) })
    }
    fn unlock<'a>(&'a self, k: &'a str, l: StoreLock) -> BoxFuture<'a, Result<(), Error>> {
        self.0.unlock(k, l)
    }
}

fn variant(e: &Error) -> String {
    let debug = format!("{e:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn no_error_shows_the_secret_or_a_token() {
    logs();
    let mut seen = BTreeSet::new();
    let mut check = |what: &str, e: Error| {
        assert_clean(what, &show_error(&e));
        seen.insert(variant(&e));
    };

    // Api: the token endpoint echoes the secret in its description.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"error_code": 10013, "description": format!("bad secret {SECRET}")},
            "extra": {"error_code": 10013, "sub_description": format!("secret={SECRET}")}
        })))
        .mount(&server)
        .await;
    check(
        "10013",
        creds(&server)
            .build()
            .unwrap()
            .access_token()
            .await
            .unwrap_err(),
    );

    // Http: a 500 echoing the request body.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_string(format!(
            r#"{{"client_key":"aw-key","client_secret":"{SECRET}"}}"#
        )))
        .mount(&server)
        .await;
    check(
        "token 500",
        creds(&server)
            .build()
            .unwrap()
            .access_token()
            .await
            .unwrap_err(),
    );

    // Decode: a token answer that does not decode, holding a token.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"access_token": TOKEN, "expires_in": TOKEN2, "error_code": 0}
        })))
        .mount(&server)
        .await;
    let e = creds(&server)
        .build()
        .unwrap()
        .access_token()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    check("token decode", e);

    // Api, Http and Decode of business calls whose server echoes the token.
    for template in [
        ResponseTemplate::new(200).set_body_json(json!({
            "data": {"error_code": 2190008, "description": format!("token {TOKEN} expired")},
            "extra": {"error_code": 2190008, "sub_description": TOKEN}
        })),
        ResponseTemplate::new(502)
            .set_body_string(format!("upstream refused access-token: {TOKEN}")),
        ResponseTemplate::new(200).set_body_json(json!({"data": {"order_list": TOKEN}})),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(ORDERS_PATH))
            .respond_with(template)
            .mount(&server)
            .await;
        let client = Client::builder()
            .base_url(server.uri())
            .access_token(TOKEN)
            .retry(RetryConfig::disabled())
            .build()
            .unwrap();
        check(
            "business",
            client
                .query_reservation_orders(&common::order_query())
                .await
                .unwrap_err(),
        );
    }

    // Transport: nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .credentials("aw-key", SECRET)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    check(
        "transport",
        client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap_err(),
    );

    // Deadline: the token endpoint is too slow.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer(TOKEN, 7200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let client = creds(&server)
        .deadline(Duration::from_millis(100))
        .build()
        .unwrap();
    check(
        "deadline",
        client
            .query_reservation_orders(&common::order_query())
            .await
            .unwrap_err(),
    );

    // InvalidRequest: refused before sending.
    let client = Client::builder().access_token(TOKEN).build().unwrap();
    let bad = OrderQuery::new("", "poi", 1, 2);
    check(
        "invalid",
        client.query_reservation_orders(&bad).await.unwrap_err(),
    );

    // Config: no token, or empty credentials.
    let client = Client::builder().build().unwrap();
    check("config", client.access_token().await.unwrap_err());
    check(
        "config",
        Client::builder()
            .credentials("", SECRET)
            .build()
            .unwrap_err(),
    );

    // TokenStore: another process never finishes its fetch.
    let server = MockServer::start().await;
    let client = creds(&server)
        .token_store(Arc::new(LockedStore::default()))
        .refresh_policy(
            RefreshPolicy::default().lock_wait(Duration::from_millis(50), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let e = client.access_token().await.unwrap_err();
    assert!(matches!(e, Error::TokenStore(_)), "{e:?}");
    check("store", e);

    let expected: BTreeSet<String> = [
        "Api",
        "Http",
        "Decode",
        "Transport",
        "Deadline",
        "InvalidRequest",
        "Config",
        "TokenStore",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(
        seen, expected,
        "every token-related error variant was exercised"
    );
}

/// Every log line of this test binary, at TRACE, from every crate. Installed
/// globally by the first test that runs, so that all tests here (and their
/// failures echoing the canaries) are logged into it.
fn logs() -> &'static common::Capture {
    common::capture_logs(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
}

#[tokio::test]
async fn logs_have_call_spans_and_never_a_secret() {
    let capture = logs();

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer(TOKEN, 7200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(common::token_answer(TOKEN2, 7200))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .and(header("access-token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"error_code": 2190008, "description": format!("{TOKEN} expired")},
            "extra": {"error_code": 2190008, "logid": "L-expired"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORDERS_PATH))
        .and(header("access-token", TOKEN2))
        .respond_with(common::orders_ok(0))
        .mount(&server)
        .await;
    let client = creds(&server).build().unwrap();
    client
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap();

    // A failing token fetch that echoes the secret.
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_string(SECRET))
        .mount(&failing)
        .await;
    creds(&failing)
        .build()
        .unwrap()
        .query_reservation_orders(&common::order_query())
        .await
        .unwrap_err();

    let logs = capture.text();
    assert_clean("logs", &logs);
    // One span per call, with its fields.
    for expected in [
        "douyin_goodlife.call",
        "operation=\"query_reservation_orders\"",
        "http_status=500",
        "fetching a client token",
        "fetched a client token",
        "token rejected",
    ] {
        assert!(logs.contains(expected), "missing {expected:?} in:\n{logs}");
    }
    // The call's span closes once, with its final fields, each once.
    let closes: Vec<&str> = logs
        .lines()
        .filter(|l| {
            l.contains("douyin_goodlife.call{")
                && !l.contains("token_fetch{")
                && l.contains(" close ")
                && l.contains("L-ok")
        })
        .collect();
    assert_eq!(closes.len(), 1, "one span per call:\n{logs}");
    for field in ["attempt=2", "code=0", "logid=\"L-ok\"", "elapsed_ms="] {
        assert_eq!(
            closes[0].matches(field).count(),
            1,
            "{field} in {}",
            closes[0]
        );
    }
}
