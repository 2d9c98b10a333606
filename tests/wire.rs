//! What goes on the wire: method, path, query string, headers and JSON body of
//! each operation, asserted on the bytes the server received.

mod common;

use common::{TOKEN, client, spec_example};
use douyin_goodlife::{CertificateQuery, OrderQuery, SpuQuery};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn server_answering(http_method: &str, p: &str, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(http_method))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer) -> Request {
    let mut received = server.received_requests().await.expect("recording on");
    assert_eq!(received.len(), 1, "exactly one request");
    received.remove(0)
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Headers every call sends: the token, the documented content type, and
/// nothing undocumented from the generator.
fn assert_common_headers(req: &Request) {
    assert_eq!(header(req, "access-token"), Some(TOKEN));
    assert_eq!(header(req, "content-type"), Some("application/json"));
    assert_eq!(header(req, "accept"), Some("application/json"));
    assert_eq!(
        header(req, "api-version"),
        None,
        "progenitor's api-version header is removed"
    );
}

#[tokio::test]
async fn reservation_order_query_wire() {
    let p = "/goodlife/v1/comprehensive/trade/query/order/";
    let server = server_answering("POST", p, spec_example("query_reservation_orders")).await;
    let q = OrderQuery::new("acc-1", "poi-9", 1732896000, 1732982400)
        .with_page_num(2)
        .with_page_size(20)
        .with_book_id("book-7");
    let page = client(&server.uri())
        .query_reservation_orders(&q)
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));

    let req = only_request(&server).await;
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url.path(), p);
    assert_eq!(req.url.query(), None);
    assert_common_headers(&req);
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({
            "account_id": "acc-1", "poi_id": "poi-9",
            "start_time": 1732896000, "end_time": 1732982400,
            "page_num": 2, "page_size": 20, "book_id": "book-7"
        })
    );
}

#[tokio::test]
async fn optional_fields_are_not_sent_when_absent() {
    let p = "/goodlife/v1/comprehensive/trade/query/order/";
    let server = server_answering("POST", p, spec_example("query_reservation_orders")).await;
    let q = OrderQuery::new("acc-1", "poi-9", 10, 20);
    client(&server.uri())
        .query_reservation_orders(&q)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&only_request(&server).await.body).unwrap();
    assert!(
        body.get("book_id").is_none(),
        "absent book_id is omitted: {body}"
    );
    assert_eq!(body["page_num"], 1);
    assert_eq!(body["page_size"], 50);
}

#[tokio::test]
async fn spu_detail_wire() {
    let p = "/goodlife/v1/goods/foodorder/spu/detail/";
    let server = server_answering("GET", p, spec_example("get_food_order_spu_detail")).await;
    let q = SpuQuery {
        account_id: 6996321318808570902,
        spu_id: Some(2802896672038864081),
        out_spu_id: Some("QgD50HNf0w".into()),
    };
    let spu = client(&server.uri()).get_food_order_spu(&q).await.unwrap();
    assert_eq!(
        spu.spu_online
            .as_ref()
            .unwrap()
            .spu
            .as_ref()
            .unwrap()
            .spu_name
            .as_deref(),
        Some("芝芝葡萄")
    );

    let req = only_request(&server).await;
    assert_eq!(req.method.as_str(), "GET");
    assert_eq!(req.url.path(), p);
    assert_eq!(
        req.url.query(),
        Some("account_id=6996321318808570902&out_spu_id=QgD50HNf0w&spu_id=2802896672038864081")
    );
    // The page requires content-type: application/json even on this GET.
    assert_common_headers(&req);
    assert!(req.body.is_empty(), "a GET has no body");
}

#[tokio::test]
async fn spu_query_parameters_are_percent_encoded() {
    let p = "/goodlife/v1/goods/foodorder/spu/detail/";
    let server = server_answering("GET", p, spec_example("get_food_order_spu_detail")).await;
    let q = SpuQuery::by_out_spu_id(42, "a&b=c #芝芝");
    client(&server.uri()).get_food_order_spu(&q).await.unwrap();
    let req = only_request(&server).await;
    let query = req.url.query().unwrap();
    assert!(
        !query.contains(' ') && !query.contains('#'),
        "raw query {query}"
    );
    let pairs: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![
            ("account_id".to_string(), "42".to_string()),
            ("out_spu_id".to_string(), "a&b=c #芝芝".to_string())
        ]
    );
}

#[tokio::test]
async fn user_certificates_wire() {
    let p = "/api/trade/v2/fulfillment/query_user_certificates/";
    let server = server_answering("POST", p, spec_example("query_user_certificates")).await;
    let q = CertificateQuery::new("acc-1", "ba253642-0590-40bc-9bdf-9a1334b94059")
        .with_biz_type(2)
        .with_page(3)
        .with_page_dimension(2)
        .with_page_size(50)
        .with_poi_id("poi-9")
        .with_time_range(1745251200, 1745337600)
        .with_life_account("7136075595087087628");
    let data = client(&server.uri())
        .query_user_certificates(&q)
        .await
        .unwrap();
    assert_eq!(data.total, Some(1));

    let req = only_request(&server).await;
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url.path(), p);
    assert_eq!(req.url.query(), None);
    assert_common_headers(&req);
    assert_eq!(
        header(&req, "rpc-transit-life-account"),
        Some("7136075595087087628")
    );
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({
            "account_id": "acc-1", "open_id": "ba253642-0590-40bc-9bdf-9a1334b94059",
            "biz_type": 2, "page": 3, "page_dimension": 2, "page_size": 50,
            "poi_id": "poi-9",
            "time_range": {"start_time": 1745251200, "end_time": 1745337600}
        })
    );
}

#[tokio::test]
async fn user_certificates_minimal_body_and_no_header() {
    let p = "/api/trade/v2/fulfillment/query_user_certificates/";
    let server = server_answering("POST", p, spec_example("query_user_certificates")).await;
    let q = CertificateQuery::new("acc-1", "open-1");
    client(&server.uri())
        .query_user_certificates(&q)
        .await
        .unwrap();
    let req = only_request(&server).await;
    assert_eq!(header(&req, "rpc-transit-life-account"), None);
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    // `page` has the spec's default 1; every other optional field is omitted.
    assert_eq!(
        body,
        json!({"account_id": "acc-1", "open_id": "open-1", "page": 1})
    );
}

#[tokio::test]
async fn request_strings_are_json_escaped() {
    let p = "/goodlife/v1/comprehensive/trade/query/order/";
    let server = server_answering("POST", p, spec_example("query_reservation_orders")).await;
    let tricky = "a\"b\\c\nd😀店";
    let q = OrderQuery::new(tricky, "poi", 1, 2);
    client(&server.uri())
        .query_reservation_orders(&q)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&only_request(&server).await.body).unwrap();
    assert_eq!(body["account_id"], tricky);
}

#[tokio::test]
async fn base_url_with_prefix_and_trailing_slash() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/proxy/goodlife/v1/comprehensive/trade/query/order/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(spec_example("query_reservation_orders")),
        )
        .mount(&server)
        .await;
    let c = client(&format!("  {}/proxy/  ", server.uri()));
    assert_eq!(c.base_url(), format!("{}/proxy", server.uri()));
    c.query_reservation_orders(&OrderQuery::new("a", "p", 1, 2))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).await.url.path(),
        "/proxy/goodlife/v1/comprehensive/trade/query/order/"
    );
}

#[test]
fn malformed_base_urls_fail_clearly() {
    for bad in [
        "open.douyin.com",
        "http://exa mple.com",
        "ftp://x",
        "http://h/?q=1",
        "",
    ] {
        let err = douyin_goodlife::Client::builder()
            .base_url(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, douyin_goodlife::Error::Config(_)),
            "{bad:?}: {err}"
        );
        assert!(err.to_string().contains("base URL"), "{bad:?}: {err}");
    }
}

#[test]
fn base_urls_with_user_info_are_refused_without_echoing_them() {
    for bad in [
        "https://user:hunter2@open.douyin.com",
        "https://user@open.douyin.com",
        "https://user:hunter2@exa mple.com",
    ] {
        let err = douyin_goodlife::Client::builder()
            .base_url(bad)
            .build()
            .unwrap_err();
        assert!(matches!(err, douyin_goodlife::Error::Config(_)), "{err}");
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("user@"),
            "{shown}"
        );
    }
}
