//! The real API's loose answers keep working; hostile servers never make the
//! SDK panic, follow a credential to another host, or retry what will not
//! change.

mod common;

use std::time::Duration;

use common::{TOKEN, client, order_query, orders_ok, requests_to};
use douyin_goodlife::{Client, Error, RetryConfig};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORDERS: &str = "/goodlife/v1/comprehensive/trade/query/order/";
const TOKEN_PATH: &str = "/oauth/client_token/";

async fn answer(server: &MockServer, p: &str, template: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(template)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_token_answer_with_expires_in_as_a_string_works() {
    let server = MockServer::start().await;
    answer(
        &server,
        TOKEN_PATH,
        ResponseTemplate::new(200).set_body_json(json!({
            "data": {"access_token": "clt.fetched", "expires_in": "7200", "error_code": "0", "description": ""},
            "message": "success"
        })),
    )
    .await;
    answer(&server, ORDERS, orders_ok(0)).await;
    let client = Client::builder()
        .base_url(server.uri())
        .credentials("awkey", "the-secret")
        .build()
        .unwrap();
    let token = client.access_token().await.unwrap();
    assert_eq!(token.lifetime(), Some(Duration::from_secs(7200)));
    client
        .query_reservation_orders(&order_query())
        .await
        .unwrap();
    let sent = requests_to(&server, ORDERS).await;
    assert_eq!(sent[0].headers.get("access-token").unwrap(), "clt.fetched");
}

#[tokio::test]
async fn nulls_strings_for_numbers_and_a_null_extra_decode() {
    let server = MockServer::start().await;
    answer(
        &server,
        ORDERS,
        ResponseTemplate::new(200).set_body_json(json!({
            "data": {"error_code": "0", "description": "success", "order_list": null, "total": "0"},
            "extra": null
        })),
    )
    .await;
    let page = client(&server.uri())
        .query_reservation_orders(&order_query())
        .await
        .unwrap();
    assert!(page.order_list.is_empty());
    assert_eq!(page.total, Some(0));
}

#[tokio::test]
async fn a_non_numeric_string_stays_a_decode_error_naming_the_path() {
    let server = MockServer::start().await;
    answer(
        &server,
        ORDERS,
        ResponseTemplate::new(200)
            .insert_header("x-tt-logid", "L-bad")
            .set_body_json(json!({
                "data": {"error_code": 0, "order_list": [], "total": "many"},
                "extra": {"error_code": 0, "logid": "L-bad"}
            })),
    )
    .await;
    let err = client(&server.uri())
        .query_reservation_orders(&order_query())
        .await
        .unwrap_err();
    match err {
        Error::Decode {
            path, logid, body, ..
        } => {
            assert_eq!(path, "data.total");
            assert_eq!(logid.as_deref(), Some("L-bad"));
            assert!(body.contains("many"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn extra_now_in_milliseconds_reads_as_seconds() {
    let server = MockServer::start().await;
    answer(
        &server,
        ORDERS,
        ResponseTemplate::new(200).set_body_json(json!({
            "data": {"error_code": 0, "order_list": [], "total": 0},
            "extra": {"error_code": 0, "logid": "L", "now": 1_732_947_576_123i64}
        })),
    )
    .await;
    let page = client(&server.uri())
        .query_reservation_orders(&order_query())
        .await
        .unwrap();
    assert_eq!(page.server_time(), Some(1_732_947_576));
}

#[tokio::test]
async fn a_token_lifetime_near_i64_max_does_not_panic() {
    let server = MockServer::start().await;
    answer(
        &server,
        TOKEN_PATH,
        common::token_answer("clt.long", i64::MAX),
    )
    .await;
    answer(&server, ORDERS, orders_ok(0)).await;
    let client = Client::builder()
        .base_url(server.uri())
        .credentials("awkey", "the-secret")
        .build()
        .unwrap();
    let token = client.access_token().await.unwrap();
    assert!(token.lifetime().unwrap() <= Duration::from_secs(30 * 86_400));
    client
        .query_reservation_orders(&order_query())
        .await
        .unwrap();
}

fn sleeper() -> (std::sync::Arc<Recording>, RetryConfig) {
    let s = std::sync::Arc::new(Recording::default());
    (s.clone(), RetryConfig::default().sleeper(s))
}

#[derive(Debug, Default)]
struct Recording(std::sync::Mutex<Vec<Duration>>);

impl douyin_goodlife::Sleeper for Recording {
    fn sleep(&self, delay: Duration) -> futures::future::BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(delay);
        Box::pin(async {})
    }
}

#[tokio::test]
async fn retry_after_in_both_forms_is_honoured_and_capped() {
    for (header, at_least, at_most) in [
        ("7".to_string(), 7, 7),
        ("18446744073709551616".to_string(), 3600, 3600),
        (
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120)),
            110,
            120,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(path(ORDERS))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", header.as_str()))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        answer(&server, ORDERS, orders_ok(0)).await;
        let (slept, retry) = sleeper();
        let client = Client::builder()
            .base_url(server.uri())
            .access_token(TOKEN)
            .retry(retry)
            .deadline(Duration::from_secs(7200))
            .build()
            .unwrap();
        client
            .query_reservation_orders(&order_query())
            .await
            .unwrap();
        let delays = slept.0.lock().unwrap().clone();
        assert_eq!(delays.len(), 1, "{header}");
        let secs = delays[0].as_secs();
        assert!((at_least..=at_most).contains(&secs), "{header}: {secs}");
    }
}

#[tokio::test]
async fn only_500_502_503_504_and_429_are_retried() {
    for (status, attempts) in [
        (500, 3),
        (502, 3),
        (503, 3),
        (504, 3),
        (429, 3),
        (501, 1),
        (505, 1),
        (418, 1),
    ] {
        let server = MockServer::start().await;
        Mock::given(path(ORDERS))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let (_, retry) = sleeper();
        let client = Client::builder()
            .base_url(server.uri())
            .access_token(TOKEN)
            .retry(retry)
            .build()
            .unwrap();
        let err = client
            .query_reservation_orders(&order_query())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Http { status: s, .. } if s == status),
            "{err:?}"
        );
        assert_eq!(
            requests_to(&server, ORDERS).await.len(),
            attempts,
            "HTTP {status}"
        );
    }
}

#[tokio::test]
async fn no_redirect_is_followed_with_the_token_or_the_secret() {
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(common::token_answer("clt.stolen", 7200))
        .mount(&elsewhere)
        .await;
    for status in [301u16, 302, 307, 308] {
        let server = MockServer::start().await;
        for p in [ORDERS, TOKEN_PATH] {
            Mock::given(path(p))
                .respond_with(
                    ResponseTemplate::new(status)
                        .insert_header("location", format!("{}{p}", elsewhere.uri()).as_str()),
                )
                .mount(&server)
                .await;
        }
        // The business call with a fixed token.
        let err = client(&server.uri())
            .query_reservation_orders(&order_query())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Http { status: s, .. } if s == status),
            "{err:?}"
        );
        // The token fetch with the secret.
        let creds = Client::builder()
            .base_url(server.uri())
            .credentials("awkey", "the-secret-canary")
            .retry(RetryConfig::disabled())
            .build()
            .unwrap();
        let err = creds.access_token().await.unwrap_err();
        assert!(
            matches!(err, Error::Http { status: s, .. } if s == status),
            "{err:?}"
        );
    }
    let leaked = elsewhere.received_requests().await.unwrap_or_default();
    assert!(
        leaked.is_empty(),
        "{} requests reached the other host",
        leaked.len()
    );
}

#[tokio::test]
async fn the_token_fetch_is_retried_on_a_transient_failure_but_not_on_10020() {
    let server = MockServer::start().await;
    Mock::given(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    answer(
        &server,
        TOKEN_PATH,
        common::token_answer("clt.second", 7200),
    )
    .await;
    answer(&server, ORDERS, orders_ok(0)).await;
    let (slept, retry) = sleeper();
    let client = Client::builder()
        .base_url(server.uri())
        .credentials("awkey", "the-secret")
        .retry(retry)
        .build()
        .unwrap();
    client
        .query_reservation_orders(&order_query())
        .await
        .unwrap();
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(
        slept.0.lock().unwrap().len(),
        1,
        "one backoff before the second fetch"
    );

    let banned = MockServer::start().await;
    answer(
        &banned,
        TOKEN_PATH,
        ResponseTemplate::new(200).set_body_json(json!({
            "data": {"error_code": 10020, "description": "请求太过频繁"}, "message": "error"
        })),
    )
    .await;
    let (_, retry) = sleeper();
    let client = Client::builder()
        .base_url(banned.uri())
        .credentials("awkey", "the-secret")
        .retry(retry)
        .build()
        .unwrap();
    let err = client.access_token().await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(douyin_goodlife::ErrorCode::TokenRateLimited)
    );
    assert_eq!(
        requests_to(&banned, TOKEN_PATH).await.len(),
        1,
        "10020 is not retried"
    );
}
