//! Scenario tests of the SDK against the sandbox (`douyin_goodlife::mock`):
//! the dataset, what the sandbox enforces, tokens on its clock, and every
//! fault with the outcome a client sees.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use douyin_goodlife::mock::{Fault, MockClock, MockServer, Operation, sample};
use douyin_goodlife::types::{self, ReservationOrder};
use douyin_goodlife::{
    CertificateQuery, Client, Error, ErrorCode, OrderQuery, RetryConfig, Sleeper, SpuQuery,
};
use serde_json::{Value, json};

/// A client with a fixed token issued by the server, without retries.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .access_token(server.issue_token())
        .retry(RetryConfig::disabled())
        .build()
        .expect("client")
}

/// Records the retry delays and returns at once: no test sleeps for real.
#[derive(Debug, Default)]
struct NoSleep(Mutex<Vec<Duration>>);

impl Sleeper for NoSleep {
    fn sleep(&self, delay: Duration) -> futures::future::BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(delay);
        Box::pin(async {})
    }
}

/// A client that fetches its own tokens with the sandbox's credentials and
/// retries with the default policy (instant sleeps).
fn credentials_client(server: &MockServer, sleeper: Arc<NoSleep>) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
        .retry(RetryConfig::default().sleeper(sleeper))
        .build()
        .expect("client")
}

fn day_query() -> OrderQuery {
    OrderQuery::new(
        sample::ACCOUNT_ID,
        sample::POI_ID,
        sample::DAY_START,
        sample::DAY_END,
    )
}

/// A plain HTTP client for requests the SDK would never send. With the
/// default features reqwest has no TLS crypto provider of its own; building an
/// SDK client first installs the crate's (ring), as any application would.
/// Building one loads the root certificates, so each test thread keeps one.
fn http() -> reqwest::Client {
    thread_local! {
        static HTTP: reqwest::Client = {
            let _ = Client::builder().build();
            reqwest::Client::new()
        };
    }
    HTTP.with(Clone::clone)
}

/// A raw POST, bypassing the SDK's validation, returning the JSON answer and
/// the `x-tt-logid` header.
async fn raw_post(
    server: &MockServer,
    op: Operation,
    token: Option<&str>,
    body: Value,
) -> (Value, String) {
    let mut req = http()
        .post(format!("{}{}", server.base_url(), op.path()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.header("access-token", t);
    }
    let resp = req.send().await.expect("send");
    assert_eq!(resp.status(), 200, "errors travel in HTTP 200");
    let logid = resp
        .headers()
        .get("x-tt-logid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (resp.json().await.expect("json"), logid)
}

fn code_of(v: &Value) -> (i64, i64) {
    (
        v["extra"]["error_code"].as_i64().unwrap_or(-1),
        v["data"]["error_code"].as_i64().unwrap_or(-1),
    )
}

fn api_code(err: &Error) -> ErrorCode {
    match err {
        Error::Api { code, .. } => *code,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

// ---- the dataset ----------------------------------------------------------

#[tokio::test]
async fn a_day_of_orders_pages_through_to_the_dataset_count_in_order() {
    let server = MockServer::start().await;
    let c = client(&server);
    let expected: Vec<&ReservationOrder> = server.dataset().merchants[0].pois[0]
        .orders
        .iter()
        .filter(|o| (sample::DAY_START..sample::DAY_END).contains(&o.book_time.unwrap()))
        .collect();
    assert!(
        expected.len() > 100,
        "the sample day spans several pages: {}",
        expected.len()
    );

    let mut seen = Vec::new();
    for page_num in 1..=10 {
        let page = c
            .query_reservation_orders(&day_query().with_page_num(page_num))
            .await
            .expect("page");
        assert_eq!(page.total, Some(expected.len() as i64));
        assert!(page.order_list.len() <= 50);
        assert!(
            page.logid().is_some_and(|l| l.len() == 34),
            "{:?}",
            page.logid()
        );
        if page.order_list.is_empty() {
            break;
        }
        seen.extend(page.into_data().order_list);
    }
    assert_eq!(seen.len(), expected.len());
    assert_eq!(seen.iter().collect::<Vec<_>>(), expected);
    let times: Vec<i64> = seen.iter().map(|o| o.book_time.unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "sorted by book_time"
    );
    let ids: BTreeSet<_> = seen.iter().map(|o| o.book_id.clone()).collect();
    assert_eq!(ids.len(), seen.len(), "book ids are unique");
    assert_eq!(
        server.received_count(Operation::QueryReservationOrders),
        expected.len().div_ceil(50) + 1
    );
}

#[tokio::test]
async fn the_dataset_is_thousands_of_orders_and_deterministic_per_seed() {
    let a = MockServer::start().await;
    let b = MockServer::start().await;
    let other = MockServer::builder().seed(7).start().await.expect("start");
    assert!(
        a.dataset().order_count() > 5_000,
        "{}",
        a.dataset().order_count()
    );
    assert!(
        a.dataset().certificate_count() > 100,
        "{}",
        a.dataset().certificate_count()
    );

    let page = |s: &MockServer| {
        let c = client(s);
        async move {
            c.query_reservation_orders(&day_query())
                .await
                .expect("page")
                .into_data()
        }
    };
    let (pa, pb, po) = (page(&a).await, page(&b).await, page(&other).await);
    assert_eq!(pa, pb, "same seed, same answer");
    assert_ne!(pa, po, "another seed, other data");
}

/// Every property of every schema reachable from `root` appears somewhere in
/// `items` (the sandbox fills every documented field).
fn assert_all_fields_filled<T: schemars::JsonSchema + serde::Serialize>(items: &[T]) {
    use schemars::schema::{Schema, SchemaObject};
    let root = schemars::schema_for!(T);
    fn walk(
        s: &SchemaObject,
        defs: &schemars::Map<String, Schema>,
        path: String,
        out: &mut BTreeSet<String>,
        depth: usize,
    ) {
        assert!(depth < 64, "schema too deep at {path}");
        if let Some(r) = &s.reference {
            let name = r.trim_start_matches("#/definitions/");
            if let Some(Schema::Object(o)) = defs.get(name) {
                walk(o, defs, path, out, depth + 1);
            }
            return;
        }
        if let Some(sub) = &s.subschemas {
            for schema in sub.all_of.iter().chain(sub.any_of.iter()).flatten() {
                if let Schema::Object(o) = schema {
                    walk(o, defs, path.clone(), out, depth + 1);
                }
            }
        }
        if let Some(obj) = &s.object {
            for (name, prop) in &obj.properties {
                let p = format!("{path}.{name}");
                out.insert(p.clone());
                if let Schema::Object(o) = prop {
                    walk(o, defs, p, out, depth + 1);
                }
            }
        }
        if let Some(arr) = &s.array
            && let Some(schemars::schema::SingleOrVec::Single(item)) = &arr.items
            && let Schema::Object(o) = item.as_ref()
        {
            walk(o, defs, format!("{path}[]"), out, depth + 1);
        }
    }
    fn present(v: &Value, path: String, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if !x.is_null() {
                        let p = format!("{path}.{k}");
                        out.insert(p.clone());
                        present(x, p, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| present(x, format!("{path}[]"), out)),
            _ => {}
        }
    }
    let mut documented = BTreeSet::new();
    walk(
        &root.schema,
        &root.definitions,
        String::new(),
        &mut documented,
        0,
    );
    let mut seen = BTreeSet::new();
    for item in items {
        present(
            &serde_json::to_value(item).unwrap(),
            String::new(),
            &mut seen,
        );
    }
    let missing: Vec<_> = documented.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "documented fields never filled: {missing:?}"
    );
}

#[tokio::test]
async fn every_documented_field_is_filled_and_attr_value_holds_json() {
    let server = MockServer::start().await;
    let c = client(&server);
    let orders = c
        .query_reservation_orders(&day_query())
        .await
        .expect("orders")
        .into_data();
    assert_all_fields_filled::<types::QueryOrderData>(std::slice::from_ref(&orders));
    for order in &orders.order_list {
        assert_all_fields_filled(std::slice::from_ref(order));
        for info in &order.industry_info_list {
            let v = info.attr_value_json().expect("attr_value is JSON");
            assert!(v.is_object(), "{v}");
        }
        let arrival = order.industry_info("arrival_info").expect("arrival_info");
        let v = arrival.attr_value_json().unwrap();
        assert_eq!(
            v["people"],
            json!(order.booking_info.as_ref().unwrap().count.unwrap())
        );
    }

    let vouchers = c
        .query_user_certificates(
            &CertificateQuery::new(sample::ACCOUNT_ID, sample::OPEN_ID).with_page_size(50),
        )
        .await
        .expect("vouchers")
        .into_data();
    let certs: Vec<types::Certificate> = vouchers
        .orders
        .iter()
        .flat_map(|o| o.certificates.clone())
        .collect();
    assert_all_fields_filled(&vouchers.orders);
    assert_all_fields_filled(&certs);
    let kinds: BTreeSet<i64> = certs
        .iter()
        .filter_map(|c| c.sku_info.as_ref()?.groupon_type)
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([1, 2, 3]),
        "set meals, cash vouchers and times cards"
    );
    assert!(certs.iter().any(|c| {
        c.times_card_info
            .as_ref()
            .unwrap()
            .ladder_times_card_info
            .len()
            == 5
    }));

    let spu = c
        .get_food_order_spu(&SpuQuery::by_out_spu_id(
            sample::ROOT_ACCOUNT_ID,
            sample::OUT_SPU_ID,
        ))
        .await
        .expect("spu")
        .into_data();
    let item = spu
        .spu_online
        .as_ref()
        .and_then(|o| o.spu.clone())
        .expect("spu");
    assert_all_fields_filled(std::slice::from_ref(&spu));
    assert_eq!(item.spu_id, Some(sample::SPU_ID));
    assert!(item.sale_attr_groups.len() >= 2);
    let by_id = c
        .get_food_order_spu(&SpuQuery::by_spu_id(
            sample::ROOT_ACCOUNT_ID,
            sample::SPU_ID,
        ))
        .await
        .expect("spu by id")
        .into_data();
    assert_eq!(by_id, spu);
}

#[tokio::test]
async fn vouchers_page_by_voucher_or_by_order_and_filter() {
    let server = MockServer::start().await;
    let c = client(&server);
    let user = &server.dataset().merchants[0].users[0];
    let cert_total: usize = user.orders.iter().map(|o| o.order.certificates.len()).sum();
    assert!(
        cert_total > 50,
        "the sample user needs two pages of 50: {cert_total}"
    );
    let q = || CertificateQuery::new(sample::ACCOUNT_ID, sample::OPEN_ID);

    // By voucher (default): a page holds page_size vouchers.
    let p1 = c
        .query_user_certificates(&q().with_page_size(50))
        .await
        .unwrap();
    let p2 = c
        .query_user_certificates(&q().with_page_size(50).with_page(2))
        .await
        .unwrap();
    let count = |d: &types::UserCertificatesData| {
        d.orders.iter().map(|o| o.certificates.len()).sum::<usize>()
    };
    assert_eq!(p1.total, Some(cert_total as i64));
    assert_eq!(count(&p1), 50);
    assert_eq!(count(&p1) + count(&p2), cert_total);

    // By order: a page holds page_size orders.
    let by_order = c
        .query_user_certificates(&q().with_page_dimension(2).with_page_size(10))
        .await
        .unwrap();
    assert_eq!(by_order.total, Some(user.orders.len() as i64));
    assert_eq!(by_order.orders.len(), 10);

    // POI and time filters.
    let poi = &user.orders[0].poi_id;
    let at_poi = c
        .query_user_certificates(
            &q().with_poi_id(poi.as_str())
                .with_page_dimension(2)
                .with_page_size(50),
        )
        .await
        .unwrap();
    let expected = user.orders.iter().filter(|o| &o.poi_id == poi).count();
    assert_eq!(at_poi.orders.len(), expected);
    let start = sample::MONTH_START;
    let ranged = c
        .query_user_certificates(
            &q().with_time_range(start, start + 3 * 86_400)
                .with_page_size(50),
        )
        .await
        .unwrap();
    assert!(ranged.total.unwrap() > 0 && (ranged.total.unwrap() as usize) < cert_total);
    for cert in ranged.orders.iter().flat_map(|o| &o.certificates) {
        assert!((start..start + 3 * 86_400).contains(&cert.start_time.unwrap()));
    }

    // The service provider header must name the merchant's root account.
    let ok = c
        .query_user_certificates(&q().with_life_account(sample::ACCOUNT_ID))
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    let err = c
        .query_user_certificates(&q().with_life_account("123"))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::MerchantNotAuthorized);

    // Unknown user: nothing, not an error.
    let nobody = c
        .query_user_certificates(&CertificateQuery::new(sample::ACCOUNT_ID, "nobody"))
        .await
        .unwrap();
    assert_eq!((nobody.total, nobody.orders.len()), (Some(0), 0));
}

// ---- what the sandbox enforces ------------------------------------------

#[tokio::test]
async fn errors_come_in_the_http_200_envelope_with_a_fresh_logid() {
    let server = MockServer::start().await;
    let token = server.issue_token();
    let body = json!({"account_id": "42", "poi_id": "p", "start_time": 1, "end_time": 2, "page_num": 1, "page_size": 10});
    let (a, header_a) = raw_post(
        &server,
        Operation::QueryReservationOrders,
        Some(&token),
        body.clone(),
    )
    .await;
    let (b, _) = raw_post(
        &server,
        Operation::QueryReservationOrders,
        Some(&token),
        body,
    )
    .await;
    assert_eq!(
        code_of(&a),
        (2119005, 2119005),
        "unknown account: authorization code, {a}"
    );
    assert_eq!(a["extra"]["description"], a["data"]["description"]);
    assert!(
        a["extra"]["description"]
            .as_str()
            .unwrap()
            .starts_with("应用未获商家授权")
    );
    let logid = a["extra"]["logid"].as_str().unwrap();
    assert_eq!(logid, header_a, "x-tt-logid echoes extra.logid");
    assert_ne!(
        logid,
        b["extra"]["logid"].as_str().unwrap(),
        "a fresh logid per answer"
    );
    assert!(a["extra"]["now"].is_i64());

    // Through the SDK: the typed error carries code, description and logid.
    let err = client(&server)
        .query_reservation_orders(&OrderQuery::new("42", "p", 1, 2))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::MerchantNotAuthorized);
    assert!(err.logid().is_some_and(|l| l != logid));
    assert_eq!(err.advice(), ErrorCode::MerchantNotAuthorized.advice());

    // The SPU endpoint's unknown account answers its own permission code.
    let err = client(&server)
        .get_food_order_spu(&SpuQuery::by_spu_id(42, sample::SPU_ID))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::CapabilityNotGranted);
    let err = client(&server)
        .get_food_order_spu(&SpuQuery::by_out_spu_id(
            sample::ROOT_ACCOUNT_ID,
            "no-such-spu",
        ))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::InvalidParameter);
}

#[tokio::test]
async fn the_sandbox_enforces_headers_and_parameters_the_sdk_would_never_send() {
    let server = MockServer::start().await;
    let token = server.issue_token();
    let ok = json!({"account_id": sample::ACCOUNT_ID, "poi_id": sample::POI_ID,
        "start_time": sample::DAY_START, "end_time": sample::DAY_END, "page_num": 1, "page_size": 50});
    let orders = Operation::QueryReservationOrders;
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = ok.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let cases: Vec<(&str, Option<&str>, Value, i64)> = vec![
        ("valid", Some(&token), ok.clone(), 0),
        ("no access-token", None, ok.clone(), 28001003),
        (
            "unknown access-token",
            Some("clt.forged"),
            ok.clone(),
            2190002,
        ),
        (
            "page_size 51",
            Some(&token),
            with("page_size", json!(51)),
            2100005,
        ),
        (
            "page_size 0",
            Some(&token),
            with("page_size", json!(0)),
            2100005,
        ),
        (
            "page_num 0",
            Some(&token),
            with("page_num", json!(0)),
            2100005,
        ),
        (
            "page_num missing",
            Some(&token),
            without("page_num"),
            4000001,
        ),
        ("poi_id missing", Some(&token), without("poi_id"), 4000001),
        (
            "page_size a string",
            Some(&token),
            with("page_size", json!("50")),
            2100005,
        ),
        (
            "end before start",
            Some(&token),
            with("end_time", json!(sample::DAY_START - 1)),
            2100005,
        ),
        (
            "negative start",
            Some(&token),
            with("start_time", json!(-1)),
            2100005,
        ),
    ];
    for (name, tok, body, code) in cases {
        let (answer, _) = raw_post(&server, orders, tok, body).await;
        assert_eq!(code_of(&answer), (code, code), "{name}: {answer}");
    }

    // content-type is required (even on the SPU GET).
    let url = format!("{}{}", server.base_url(), orders.path());
    let resp: Value = http()
        .post(&url)
        .header("access-token", &token)
        .body(ok.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code_of(&resp), (28001007, 28001007), "{resp}");
    let spu_url = format!(
        "{}{}?account_id={}&spu_id={}",
        server.base_url(),
        Operation::GetFoodOrderSpuDetail.path(),
        sample::ROOT_ACCOUNT_ID,
        sample::SPU_ID
    );
    let get = |ct: bool, tok: bool| {
        let mut r = http().get(&spu_url);
        if ct {
            r = r.header("content-type", "application/json");
        }
        if tok {
            r = r.header("access-token", &token);
        }
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(code_of(&get(true, true).await), (0, 0));
    // A bodyless GET without content-type is answered (generated clients
    // send none on a GET); a content-type that is not JSON is refused.
    assert_eq!(code_of(&get(false, true).await), (0, 0));
    assert_eq!(code_of(&get(true, false).await), (2190002, 2190002));
    let text_plain: Value = http()
        .get(&spu_url)
        .header("access-token", &token)
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code_of(&text_plain), (2100005, 2100005));
    assert_eq!(text_plain["BaseResp"]["StatusCode"], json!(2100005));

    // Vouchers: page_size and enums.
    let certs = Operation::QueryUserCertificates;
    let base = json!({"account_id": sample::ACCOUNT_ID, "open_id": sample::OPEN_ID});
    for (field, value, code) in [
        ("page_size", json!(51), 2100005),
        ("biz_type", json!(3), 2100005),
        ("page_dimension", json!(0), 2100005),
        (
            "time_range",
            json!({"start_time": 5, "end_time": 5}),
            2100005,
        ),
        ("time_range", json!({"start_time": 5}), 4000001),
        ("page_size", json!(50), 0),
    ] {
        let mut b = base.clone();
        b[field] = value.clone();
        let (answer, _) = raw_post(&server, certs, Some(&token), b).await;
        assert_eq!(code_of(&answer), (code, code), "{field}={value}: {answer}");
    }
    let (answer, _) = raw_post(
        &server,
        certs,
        Some(&token),
        json!({"account_id": sample::ACCOUNT_ID}),
    )
    .await;
    assert_eq!(
        code_of(&answer),
        (4000001, 4000001),
        "open_id missing: {answer}"
    );

    // Unknown paths and wrong methods are HTTP errors, and are recorded.
    let r = http()
        .get(format!("{}/nope/", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http()
        .get(format!("{}{}", server.base_url(), orders.path()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(
        server
            .received()
            .iter()
            .any(|r| r.path == "/nope/" && r.operation.is_none())
    );
}

// ---- tokens on the sandbox's clock ----------------------------------------

async fn fetch_token(server: &MockServer, body: Value) -> Value {
    http()
        .post(format!(
            "{}{}",
            server.base_url(),
            Operation::GetClientToken.path()
        ))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn creds(key: &str, secret: &str) -> Value {
    json!({"client_key": key, "client_secret": secret, "grant_type": "client_credential"})
}

#[tokio::test]
async fn the_token_endpoint_checks_credentials_and_rate() {
    let clock = MockClock::frozen_at(sample::DAY_START as u64);
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let ok = fetch_token(&server, creds(sample::CLIENT_KEY, sample::CLIENT_SECRET)).await;
    assert_eq!(ok["message"], "success");
    assert_eq!(ok["data"]["expires_in"], 7200);
    let token = ok["data"]["access_token"].as_str().unwrap();
    assert!(token.starts_with("clt."), "{token}");
    assert!(
        ok["extra"]["logid"]
            .as_str()
            .is_some_and(|l| l.starts_with("20241130"))
    );

    for (body, code) in [
        (creds("aw-unknown", sample::CLIENT_SECRET), 10003),
        (creds(sample::CLIENT_KEY, "wrong"), 10013),
        (
            json!({"client_key": sample::CLIENT_KEY, "client_secret": sample::CLIENT_SECRET}),
            10002,
        ),
        (
            json!({"client_key": sample::CLIENT_KEY, "client_secret": sample::CLIENT_SECRET, "grant_type": "password"}),
            10002,
        ),
    ] {
        let answer = fetch_token(&server, body).await;
        assert_eq!(answer["data"]["error_code"], code, "{answer}");
        assert_eq!(answer["message"], "error");
        assert!(answer["data"].get("access_token").is_none());
    }

    // 500 fetches in 5 minutes are allowed (one was made above), the 501st is refused.
    for batch in [50; 10]
        .iter()
        .enumerate()
        .map(|(i, n)| if i == 9 { n - 1 } else { *n })
    {
        let answers = futures::future::join_all(
            (0..batch)
                .map(|_| fetch_token(&server, creds(sample::CLIENT_KEY, sample::CLIENT_SECRET))),
        )
        .await;
        assert!(
            answers.iter().all(|a| a["data"]["error_code"] == 0),
            "all 499 allowed"
        );
    }
    let refused = fetch_token(&server, creds(sample::CLIENT_KEY, sample::CLIENT_SECRET)).await;
    assert_eq!(refused["data"]["error_code"], 10020, "{refused}");
    clock.advance(Duration::from_secs(301));
    let again = fetch_token(&server, creds(sample::CLIENT_KEY, sample::CLIENT_SECRET)).await;
    assert_eq!(again["data"]["error_code"], 0, "{again}");
}

#[tokio::test]
async fn tokens_expire_after_two_hours_of_sandbox_time() {
    let clock = MockClock::frozen_at(sample::DAY_START as u64);
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let c = client(&server);
    c.query_reservation_orders(&day_query())
        .await
        .expect("fresh token");
    clock.advance(Duration::from_secs(7199));
    c.query_reservation_orders(&day_query())
        .await
        .expect("still valid");
    clock.advance(Duration::from_secs(1));
    let err = c.query_reservation_orders(&day_query()).await.unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::AccessTokenExpired);
    assert!(err.needs_new_token());
}

#[tokio::test]
async fn a_new_token_leaves_the_previous_one_five_minutes_and_only_two_stay_valid() {
    let clock = MockClock::frozen_at(sample::DAY_START as u64);
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let with = |t: String| {
        Client::builder()
            .base_url(server.base_url())
            .access_token(t)
            .retry(RetryConfig::disabled())
            .build()
            .unwrap()
    };
    let (first, second) = (with(server.issue_token()), with(server.issue_token()));
    first
        .query_reservation_orders(&day_query())
        .await
        .expect("grace period");
    clock.advance(Duration::from_secs(300));
    let err = first
        .query_reservation_orders(&day_query())
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::AccessTokenInvalid);
    second
        .query_reservation_orders(&day_query())
        .await
        .expect("newest");

    let third = with(server.issue_token());
    let _fourth = server.issue_token();
    third
        .query_reservation_orders(&day_query())
        .await
        .expect("second newest, in grace");
    let err = second
        .query_reservation_orders(&day_query())
        .await
        .unwrap_err();
    assert_eq!(
        api_code(&err),
        ErrorCode::AccessTokenInvalid,
        "only the two newest are valid"
    );
}

// ---- faults ---------------------------------------------------------------

#[tokio::test]
async fn an_injected_code_answers_as_the_api_does_for_the_given_number_of_calls() {
    let server = MockServer::start().await;
    let c = client(&server);
    let rule = server
        .inject(Fault::Code(2119003))
        .on(Operation::QueryReservationOrders)
        .times(2);
    let mut logids = BTreeSet::new();
    for _ in 0..2 {
        let err = c.query_reservation_orders(&day_query()).await.unwrap_err();
        assert_eq!(api_code(&err), ErrorCode::TooFrequent);
        assert!(err.is_retryable());
        logids.insert(err.logid().expect("logid").to_string());
        match &err {
            Error::Api { description, .. } => assert_eq!(description, "请求太过频繁,请稍后再试"),
            _ => unreachable!(),
        }
    }
    assert_eq!(logids.len(), 2, "fresh logids");
    // Other operations are not affected; the third call succeeds.
    c.get_food_order_spu(&SpuQuery::by_spu_id(
        sample::ROOT_ACCOUNT_ID,
        sample::SPU_ID,
    ))
    .await
    .expect("other operation");
    c.query_reservation_orders(&day_query())
        .await
        .expect("rule used up");
    assert_eq!(rule.hits(), 2);
    assert_eq!(server.received_count(Operation::QueryReservationOrders), 3);
}

#[tokio::test]
async fn each_fault_yields_its_documented_error() {
    let server = MockServer::start().await;
    let c = Client::builder()
        .base_url(server.base_url())
        .access_token(server.issue_token())
        .timeout(Duration::from_millis(300))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let vouchers = CertificateQuery::new(sample::ACCOUNT_ID, sample::OPEN_ID);
    let call = || c.query_user_certificates(&vouchers);

    server.inject(Fault::Status(503)).times(1);
    match call().await.unwrap_err() {
        Error::Http { status, logid, .. } => {
            assert_eq!(status, 503);
            assert!(logid.is_some(), "x-tt-logid on HTTP errors too");
        }
        other => panic!("503: {other:?}"),
    }

    server
        .inject(Fault::Delay(Duration::from_secs(30)))
        .times(1);
    let started = std::time::Instant::now();
    match call().await.unwrap_err() {
        Error::Transport { timeout, .. } => assert!(timeout, "a timeout"),
        other => panic!("delay: {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));

    server
        .inject(Fault::Delay(Duration::from_millis(20)))
        .times(1);
    call().await.expect("a short delay still answers");

    server.inject(Fault::TruncatedBody).times(1);
    match call().await.unwrap_err() {
        Error::Transport { timeout, .. } => assert!(!timeout),
        other => panic!("truncated: {other:?}"),
    }

    server.inject(Fault::ConnectionReset).times(1);
    match call().await.unwrap_err() {
        Error::Transport { timeout, .. } => assert!(!timeout),
        other => panic!("reset: {other:?}"),
    }

    server.inject(Fault::MalformedJson).times(1);
    match call().await.unwrap_err() {
        Error::Decode { body, logid, .. } => {
            assert!(body.starts_with('{'), "{body}");
            assert!(logid.is_some(), "the header's logid");
        }
        other => panic!("malformed: {other:?}"),
    }

    let bad = json!({"extra": {"error_code": 0, "logid": "L1"},
        "data": {"error_code": 0, "orders": [{"order_id": "1", "certificates": [{"start_time": "soon"}]}]}});
    server.inject(Fault::Body(bad.to_string())).times(1);
    match call().await.unwrap_err() {
        Error::Decode { path, logid, .. } => {
            assert_eq!(path, "data.orders[0].certificates[0].start_time");
            assert_eq!(logid.as_deref(), Some("L1"));
        }
        other => panic!("wrong type: {other:?}"),
    }

    // Every fault used up: the server answers normally again.
    call().await.expect("healthy again");
    assert_eq!(server.received_count(Operation::QueryUserCertificates), 8);
}

#[tokio::test]
async fn received_requests_are_recorded_with_secrets_redacted_in_debug() {
    let server = MockServer::start().await;
    let token = server.issue_token();
    let c = Client::builder()
        .base_url(server.base_url())
        .access_token(&token)
        .build()
        .unwrap();
    c.get_food_order_spu(&SpuQuery::by_out_spu_id(
        sample::ROOT_ACCOUNT_ID,
        sample::OUT_SPU_ID,
    ))
    .await
    .unwrap();
    fetch_token(&server, creds(sample::CLIENT_KEY, sample::CLIENT_SECRET)).await;
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].operation, Some(Operation::GetFoodOrderSpuDetail));
    assert_eq!(got[0].method, "GET");
    assert_eq!(got[0].header("access-token"), Some(token.as_str()));
    assert_eq!(got[0].header("Content-Type"), Some("application/json"));
    assert!(
        got[0]
            .query_pairs()
            .contains(&("out_spu_id".into(), sample::OUT_SPU_ID.into()))
    );
    let debug = format!("{got:?}");
    assert!(!debug.contains(&token), "{debug}");
    assert!(!debug.contains(sample::CLIENT_SECRET), "{debug}");
    assert!(debug.contains("[REDACTED]"));
    server.reset_received();
    assert!(server.received().is_empty());
    assert_eq!(server.received_count(Operation::GetFoodOrderSpuDetail), 0);
}

// ---- the SDK's retries and token refresh against the sandbox ---------------

#[tokio::test]
async fn retryable_faults_are_retried_and_the_others_are_not() {
    let server = MockServer::start().await;
    let sleeper = Arc::new(NoSleep::default());
    let c = credentials_client(&server, sleeper.clone());
    let orders = Operation::QueryReservationOrders;

    server.inject(Fault::Code(2119003)).on(orders).times(2);
    c.query_reservation_orders(&day_query())
        .await
        .expect("third attempt succeeds");
    assert_eq!(server.received_count(orders), 3);
    assert_eq!(
        server.received_count(Operation::GetClientToken),
        1,
        "one token for all"
    );
    {
        let delays = sleeper.0.lock().unwrap();
        assert_eq!(delays.len(), 2);
        assert!(
            delays.iter().all(|d| *d >= Duration::from_secs(2)),
            "2119003 backs off longer: {delays:?}"
        );
    }

    for fault in [
        Fault::Status(503),
        Fault::ConnectionReset,
        Fault::TruncatedBody,
        Fault::Code(2100004),
    ] {
        server.reset_received();
        server.inject(fault.clone()).on(orders).times(1);
        c.query_reservation_orders(&day_query())
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(
            server.received_count(orders),
            2,
            "{fault:?} is retried once"
        );
    }

    server.reset_received();
    server.inject(Fault::Code(2119005)).on(orders).times(1);
    let err = c.query_reservation_orders(&day_query()).await.unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::MerchantNotAuthorized);
    assert_eq!(
        (err.attempts(), server.received_count(orders)),
        (1, 1),
        "not retried"
    );

    server.reset_received();
    let storm = server.inject(Fault::Code(2119003)).on(orders);
    let err = c.query_reservation_orders(&day_query()).await.unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::TooFrequent);
    assert_eq!(
        (err.attempts(), server.received_count(orders)),
        (3, 3),
        "bounded by max_attempts"
    );
    storm.remove();
    c.query_reservation_orders(&day_query())
        .await
        .expect("storm over");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_call_replayed() {
    let clock = MockClock::frozen_at(sample::DAY_START as u64);
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    // The client keeps its own (system) clock: it learns of the expiry from 2190008.
    let c = credentials_client(&server, Arc::default());
    c.query_reservation_orders(&day_query())
        .await
        .expect("first");
    c.get_food_order_spu(&SpuQuery::by_spu_id(
        sample::ROOT_ACCOUNT_ID,
        sample::SPU_ID,
    ))
    .await
    .expect("same token");
    assert_eq!(server.received_count(Operation::GetClientToken), 1);

    clock.advance(Duration::from_secs(7200));
    c.query_reservation_orders(&day_query())
        .await
        .expect("refreshed and replayed");
    assert_eq!(server.received_count(Operation::GetClientToken), 2);
    let got = server.received();
    let tokens: Vec<&str> = got
        .iter()
        .filter(|r| r.operation == Some(Operation::QueryReservationOrders))
        .filter_map(|r| r.header("access-token"))
        .collect();
    assert_eq!(tokens.len(), 3, "first call, rejected call, replay");
    assert_eq!(tokens[0], tokens[1]);
    assert_ne!(tokens[1], tokens[2], "the replay carries the new token");
}

#[tokio::test]
async fn with_a_shared_clock_the_client_refreshes_before_the_token_expires() {
    let clock = MockClock::frozen_at(sample::DAY_START as u64);
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let c = Client::builder()
        .base_url(server.base_url())
        .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
        .clock(Arc::new(clock.clone()))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    c.query_reservation_orders(&day_query())
        .await
        .expect("first");
    clock.advance(Duration::from_secs(7200 - 60));
    c.query_reservation_orders(&day_query())
        .await
        .expect("refreshed early");
    assert_eq!(server.received_count(Operation::GetClientToken), 2);
    assert_eq!(
        server.received_count(Operation::QueryReservationOrders),
        2,
        "no call was rejected"
    );
}

#[tokio::test]
async fn token_endpoint_faults_reach_the_caller_typed() {
    let server = MockServer::start().await;
    let c = credentials_client(&server, Arc::default());
    server
        .inject(Fault::Code(10013))
        .on(Operation::GetClientToken)
        .times(1);
    let err = c.query_reservation_orders(&day_query()).await.unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::TokenWrongCredentials);
    assert_eq!(
        server.received_count(Operation::GetClientToken),
        1,
        "wrong credentials are not retried"
    );
    assert_eq!(server.received_count(Operation::QueryReservationOrders), 0);

    let wrong = Client::builder()
        .base_url(server.base_url())
        .credentials(sample::CLIENT_KEY, "not-the-secret")
        .build()
        .unwrap();
    let err = wrong.access_token().await.unwrap_err();
    assert_eq!(api_code(&err), ErrorCode::TokenWrongCredentials);
    assert!(!format!("{err:?} {err}").contains("not-the-secret"));

    let token = c.access_token().await.expect("token");
    assert!(token.expose_secret().starts_with("clt."));
}
