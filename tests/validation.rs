//! Validation before send: a malformed request is an
//! `Error::InvalidRequest` naming the field by its wire name, and the test
//! server receives **zero** requests.

use std::time::Duration;

use douyin_goodlife::Operation;
use douyin_goodlife::{
    BizType, CertificateQuery, Client, Error, OrderQuery, PageDimension, SpuQuery, UnixSeconds,
};
use futures::StreamExt;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A server that would accept anything: a refusal can only come from the
/// client.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    let ok = json!({
        "data": {"error_code": 0, "description": "", "total": 0, "order_list": [], "orders": []},
        "extra": {"error_code": 0, "description": "", "logid": "log-ok"},
        "BaseResp": {"StatusCode": 0, "StatusMessage": ""}
    });
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(ok))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .access_token("clt.validation-test")
        .build()
        .expect("client builds")
}

fn orders() -> OrderQuery {
    OrderQuery::new("acc-1", "poi-1", 1_732_896_000, 1_732_982_400)
}

fn vouchers() -> CertificateQuery {
    CertificateQuery::new("acc-1", "open-1")
}

/// The field of an `InvalidRequest`, or a panic naming what came instead.
fn field_of<T: std::fmt::Debug>(what: &str, r: Result<T, Error>) -> (&'static str, String) {
    match r {
        Err(Error::InvalidRequest { field, reason, .. }) => (field, reason),
        other => panic!("{what}: expected InvalidRequest, got {other:?}"),
    }
}

async fn assert_nothing_sent(server: &MockServer, what: &str) {
    let n = server
        .received_requests()
        .await
        .expect("recording on")
        .len();
    assert_eq!(n, 0, "{what}: the server received {n} request(s)");
}

async fn check_order(
    server: &MockServer,
    what: &str,
    q: OrderQuery,
    field: &str,
    reason_has: &str,
) {
    let c = client(server);
    let (f, reason) = field_of(what, c.query_reservation_orders(&q).await);
    assert_eq!(f, field, "{what}");
    assert!(
        reason.contains(reason_has),
        "{what}: reason {reason:?} lacks {reason_has:?}"
    );
    assert_eq!(
        field_of(what, q.validate()).0,
        field,
        "{what}: validate() agrees"
    );
    // The stream refuses it too, as its first item, before any request.
    let mut s = c.orders_stream(q);
    let first = tokio::time::timeout(Duration::from_secs(30), s.next())
        .await
        .expect("stream answers");
    assert_eq!(
        field_of(what, first.expect("one item")).0,
        field,
        "{what}: stream"
    );
    assert!(
        s.next().await.is_none(),
        "{what}: the stream ends after the error"
    );
    assert_nothing_sent(server, what).await;
}

async fn check_voucher(
    server: &MockServer,
    what: &str,
    q: CertificateQuery,
    field: &str,
    reason_has: &str,
) {
    let c = client(server);
    let (f, reason) = field_of(what, c.query_user_certificates(&q).await);
    assert_eq!(f, field, "{what}");
    assert!(
        reason.contains(reason_has),
        "{what}: reason {reason:?} lacks {reason_has:?}"
    );
    assert_eq!(
        field_of(what, q.validate()).0,
        field,
        "{what}: validate() agrees"
    );
    let mut s = c.certificates_stream(q);
    let first = tokio::time::timeout(Duration::from_secs(30), s.next())
        .await
        .expect("stream answers");
    assert_eq!(
        field_of(what, first.expect("one item")).0,
        field,
        "{what}: stream"
    );
    assert_nothing_sent(server, what).await;
}

async fn check_spu(server: &MockServer, what: &str, q: SpuQuery, field: &str, reason_has: &str) {
    let (f, reason) = field_of(what, client(server).get_food_order_spu(&q).await);
    assert_eq!(f, field, "{what}");
    assert!(
        reason.contains(reason_has),
        "{what}: reason {reason:?} lacks {reason_has:?}"
    );
    assert_eq!(
        field_of(what, q.validate()).0,
        field,
        "{what}: validate() agrees"
    );
    assert_nothing_sent(server, what).await;
}

#[tokio::test]
async fn page_size_0_51_and_minus_1_are_refused_unsent() {
    let s = server().await;
    check_order(
        &s,
        "orders page_size 0",
        orders().with_page_size(0),
        "page_size",
        "at least 1",
    )
    .await;
    check_order(
        &s,
        "orders page_size 51",
        orders().with_page_size(51),
        "page_size",
        "at most 50",
    )
    .await;
    check_order(
        &s,
        "orders page_size -1",
        orders().with_page_size(-1),
        "page_size",
        "at least 1",
    )
    .await;
    check_voucher(
        &s,
        "vouchers page_size 0",
        vouchers().with_page_size(0),
        "page_size",
        "at least 1",
    )
    .await;
    check_voucher(
        &s,
        "vouchers page_size 51",
        vouchers().with_page_size(51),
        "page_size",
        "at most 50",
    )
    .await;
    check_voucher(
        &s,
        "vouchers page_size -1",
        vouchers().with_page_size(-1),
        "page_size",
        "at least 1",
    )
    .await;
}

#[tokio::test]
async fn page_0_is_refused_unsent() {
    let s = server().await;
    check_order(
        &s,
        "orders page_num 0",
        orders().with_page_num(0),
        "page_num",
        "at least 1",
    )
    .await;
    check_order(
        &s,
        "orders page_num -3",
        orders().with_page_num(-3),
        "page_num",
        "at least 1",
    )
    .await;
    check_voucher(
        &s,
        "vouchers page 0",
        vouchers().with_page(0),
        "page",
        "at least 1",
    )
    .await;
}

#[tokio::test]
async fn start_at_or_after_end_is_refused_unsent() {
    let s = server().await;
    let t = 1_732_896_000;
    let q = OrderQuery::new("acc-1", "poi-1", t, t);
    check_order(&s, "orders start == end", q, "end_time", "after start_time").await;
    let q = OrderQuery::new("acc-1", "poi-1", t + 1, t);
    check_order(&s, "orders start > end", q, "end_time", "after start_time").await;
    let q = vouchers().with_time_range(t, t);
    check_voucher(
        &s,
        "vouchers start == end",
        q,
        "time_range.end_time",
        "after",
    )
    .await;
    let q = vouchers().with_time_range(t + 60, t);
    check_voucher(
        &s,
        "vouchers start > end",
        q,
        "time_range.end_time",
        "after",
    )
    .await;
}

#[tokio::test]
async fn malformed_times_are_refused_unsent() {
    let s = server().await;
    let q = OrderQuery::new("acc-1", "poi-1", -1, 10);
    check_order(&s, "negative start", q, "start_time", "at least 0").await;
    // Milliseconds by mistake: the wire takes seconds.
    let q = OrderQuery::new("acc-1", "poi-1", 1_732_896_000_000, 1_732_982_400_000);
    check_order(&s, "millisecond times", q, "start_time", "milliseconds").await;
    let q = vouchers().with_time_range(-5, 10);
    check_voucher(
        &s,
        "negative range start",
        q,
        "time_range.start_time",
        "at least 0",
    )
    .await;
    let q = vouchers().with_time_range(1, UnixSeconds::new(1_745_331_631_000));
    check_voucher(
        &s,
        "millisecond range end",
        q,
        "time_range.end_time",
        "milliseconds",
    )
    .await;
}

#[tokio::test]
async fn empty_required_ids_are_refused_unsent() {
    let s = server().await;
    let q = OrderQuery::new("", "poi-1", 1, 2);
    check_order(&s, "orders empty account_id", q, "account_id", "empty").await;
    let q = OrderQuery::new("  ", "poi-1", 1, 2);
    check_order(
        &s,
        "orders blank account_id",
        q,
        "account_id",
        "white space",
    )
    .await;
    let q = OrderQuery::new("acc-1", "", 1, 2);
    check_order(&s, "orders empty poi_id", q, "poi_id", "empty").await;
    check_order(
        &s,
        "orders empty book_id",
        orders().with_book_id(""),
        "book_id",
        "empty",
    )
    .await;
    let q = CertificateQuery::new("", "open-1");
    check_voucher(&s, "vouchers empty account_id", q, "account_id", "empty").await;
    let q = CertificateQuery::new("acc-1", "");
    check_voucher(&s, "vouchers empty open_id", q, "open_id", "empty").await;
    check_voucher(
        &s,
        "vouchers empty poi_id",
        vouchers().with_poi_id(""),
        "poi_id",
        "empty",
    )
    .await;
    let q = vouchers().with_life_account("");
    check_voucher(&s, "empty header", q, "Rpc-Transit-Life-Account", "empty").await;
    let q = vouchers().with_life_account("a\nb");
    check_voucher(
        &s,
        "header with a newline",
        q,
        "Rpc-Transit-Life-Account",
        "HTTP header",
    )
    .await;
}

#[tokio::test]
async fn spu_without_ids_is_refused_unsent() {
    let s = server().await;
    check_spu(&s, "no ids", SpuQuery::new(7), "spu_id", "out_spu_id").await;
    check_spu(
        &s,
        "spu_id 0",
        SpuQuery::by_spu_id(7, 0),
        "spu_id",
        "at least 1",
    )
    .await;
    check_spu(
        &s,
        "empty out_spu_id",
        SpuQuery::by_out_spu_id(7, ""),
        "out_spu_id",
        "empty",
    )
    .await;
    check_spu(
        &s,
        "account_id 0",
        SpuQuery::by_spu_id(0, 1),
        "account_id",
        "at least 1",
    )
    .await;
}

#[tokio::test]
async fn biz_type_and_page_dimension_outside_documented_values_are_refused_unsent() {
    let s = server().await;
    for v in [0, 3, -1] {
        let what = format!("biz_type {v}");
        check_voucher(&s, &what, vouchers().with_biz_type(v), "biz_type", "").await;
        let what = format!("page_dimension {v}");
        check_voucher(
            &s,
            &what,
            vouchers().with_page_dimension(v),
            "page_dimension",
            "",
        )
        .await;
    }
    let q = vouchers().with_biz_type(BizType::Unknown(1 << 40));
    check_voucher(&s, "biz_type beyond int32", q, "biz_type", "at most 2").await;
}

/// The limits are the spec's, and values at the limits do go out: the checks
/// above refuse because of the values, not because nothing can be sent.
#[tokio::test]
async fn limits_come_from_the_spec_and_boundary_values_are_sent() {
    // Read from the spec as the SDK holds it (`douyin_goodlife::spec`).
    let body_rule = |op: Operation, field: &str| {
        op.spec()
            .body
            .and_then(|b| b.fields.iter().find(|f| f.path == field))
            .map(|f| f.rule)
            .unwrap()
    };
    let page_size = body_rule(Operation::QueryReservationOrders, "page_size");
    assert_eq!((page_size.minimum, page_size.maximum), (Some(1), Some(50)));
    assert_eq!(
        body_rule(Operation::QueryUserCertificates, "page_size").maximum,
        Some(50)
    );
    assert_eq!(
        body_rule(Operation::QueryUserCertificates, "biz_type").maximum,
        Some(2)
    );
    assert_eq!(
        body_rule(Operation::QueryUserCertificates, "page_dimension").maximum,
        Some(2)
    );
    assert_eq!(
        body_rule(Operation::QueryReservationOrders, "page_num").minimum,
        Some(1)
    );

    let s = server().await;
    let c = client(&s);
    c.query_reservation_orders(&orders().with_page_size(1))
        .await
        .unwrap();
    c.query_reservation_orders(&orders().with_page_size(50))
        .await
        .unwrap();
    let q = vouchers()
        .with_page(1)
        .with_page_size(50)
        .with_biz_type(BizType::MixedDualOpen)
        .with_page_dimension(PageDimension::Order)
        .with_time_range(0, 1);
    c.query_user_certificates(&q).await.unwrap();
    c.get_food_order_spu(&SpuQuery::new(7).with_out_spu_id("x"))
        .await
        .unwrap();
    let received = s.received_requests().await.unwrap();
    assert_eq!(received.len(), 4);
    let body: serde_json::Value = serde_json::from_slice(&received[2].body).unwrap();
    assert_eq!(
        (body["biz_type"].as_i64(), body["page_dimension"].as_i64()),
        (Some(2), Some(2))
    );
}
