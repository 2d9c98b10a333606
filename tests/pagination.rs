//! Pagination streams: the pages asked for on the wire, the items
//! yielded, every misbehaving-server guard, prefetch, and memory bounded by
//! the page buffer over 100,000 orders.
//!
//! Every test runs under a timeout, so a stream that does not end fails the
//! test instead of hanging it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use douyin_goodlife::{
    CertificateQuery, Client, Error, ErrorCode, OrderQuery, PageDimension, PaginationStop,
};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// --- a counting allocator: live bytes and their peak, per thread ------------
//
// Per thread, so that the tests running beside the 100k test (and the mock
// server's own thread) do not count: the stream runs on the test's
// current-thread runtime.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(n: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + n as isize;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(n: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get() - n as isize));
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn reset_peak() -> isize {
    let now = live();
    PEAK.with(|p| p.set(now));
    now
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// --- helpers -----------------------------------------------------------------

const ORDERS: &str = "/goodlife/v1/comprehensive/trade/query/order/";
const CERTIFICATES: &str = "/api/trade/v2/fulfillment/query_user_certificates/";

/// Runs a test body under a time limit.
async fn within<F: Future>(secs: u64, body: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), body)
        .await
        .expect("the test did not finish in time: a stream did not end")
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .access_token("clt.pagination-test")
        .build()
        .expect("client builds")
}

fn query() -> OrderQuery {
    OrderQuery::new("acc-1", "poi-1", 1_732_896_000, 1_732_982_400)
}

/// One generated order, `b{i}`, as JSON text.
fn order_json(i: u64) -> String {
    format!(
        concat!(
            r#"{{"book_id":"b{i}","status":1,"book_time":1732932000,"book_taking_time":1732939200,"#,
            r#""products":[{{"sku_id":"sku-{i}","sku_ame":"双人下午茶套餐","original_amount":"29900"}}],"#,
            r#""booking_info":{{"count":2,"user_notes":"靠窗座位 {i}","poi_id":"poi-1","item_ids":["item-{i}"]}},"#,
            r#""user_infos":[{{"name":"张三","phone":"138****0000","age":30,"sex":1,"marital_status":1,"#,
            r#""license_type":1,"license_number":"1101**********1234"}}],"#,
            r#""industry_info_list":[{{"attr_key":"arrival_info","attr_value":"{{\"people\":2}}"}}]}}"#
        ),
        i = i
    )
}

/// An order page answer holding orders `first..first + n`.
fn orders_body(page: u64, first: u64, n: u64, total: Option<i64>) -> String {
    let items: Vec<String> = (first..first + n).map(order_json).collect();
    let total = total
        .map(|t| format!(r#""total":{t},"#))
        .unwrap_or_default();
    format!(
        concat!(
            r#"{{"data":{{"error_code":0,"description":"",{total}"order_list":[{items}]}},"#,
            r#""extra":{{"error_code":0,"description":"","sub_error_code":0,"sub_description":"","#,
            r#""logid":"log-p{page}","now":1732947576}}}}"#
        ),
        total = total,
        items = items.join(","),
        page = page
    )
}

/// The page number and page size of a received request.
fn page_of(req: &Request) -> (u64, u64) {
    let body: Value = serde_json::from_slice(&req.body).expect("JSON body");
    let page = body.get("page_num").or_else(|| body.get("page"));
    (
        page.and_then(Value::as_u64)
            .expect("page number on the wire"),
        body["page_size"].as_u64().expect("page_size on the wire"),
    )
}

/// Answers each request with `f(page, page_size)`, generated on the fly.
struct Pages<F>(F);

impl<F> Respond for Pages<F>
where
    F: Fn(u64, u64) -> String + Send + Sync + 'static,
{
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let (page, size) = page_of(req);
        ResponseTemplate::new(200).set_body_raw((self.0)(page, size), "application/json")
    }
}

async fn serve<F>(route: &str, f: F) -> MockServer
where
    F: Fn(u64, u64) -> String + Send + Sync + 'static,
{
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(Pages(f))
        .mount(&server)
        .await;
    server
}

/// A server paging `total` orders honestly.
async fn honest_orders(total: u64) -> MockServer {
    serve(ORDERS, move |page, size| {
        let first = (page - 1) * size;
        let n = total.saturating_sub(first).min(size);
        orders_body(page, first, n, Some(total as i64))
    })
    .await
}

async fn wire_pages(server: &MockServer) -> Vec<u64> {
    let received = server.received_requests().await.expect("recording on");
    received.iter().map(|r| page_of(r).0).collect()
}

/// Drains a stream: the ids of the items before the first error, the error,
/// and whether the stream then ended.
async fn drain(mut s: douyin_goodlife::OrderStream) -> (Vec<String>, Option<Error>, u32) {
    let mut ids = Vec::new();
    let mut error = None;
    // Bounded: 1,000 polls is far more than any test here needs.
    for _ in 0..1_000 {
        match s.next().await {
            Some(Ok(o)) => ids.push(o.book_id.expect("book_id")),
            Some(Err(e)) => {
                assert!(error.is_none(), "a second error after {error:?}: {e:?}");
                error = Some(e);
            }
            None => return (ids, error, s.resume_page()),
        }
    }
    panic!("the stream did not end");
}

fn ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("b{i}")).collect()
}

fn pagination_stop(e: Option<Error>) -> (u32, PaginationStop, Option<String>) {
    match e {
        Some(Error::Pagination {
            operation,
            page,
            reason,
            logid,
            ..
        }) => {
            assert_eq!(operation, "query_reservation_orders");
            (page, reason, logid)
        }
        other => panic!("expected Error::Pagination, got {other:?}"),
    }
}

// --- the happy path ----------------------------------------------------------

#[tokio::test]
async fn three_pages_yield_120_orders_in_order_with_page_nums_1_2_3_on_the_wire() {
    within(60, async {
        let server = honest_orders(120).await;
        let orders: Vec<_> = client(&server)
            .orders_stream(query())
            .try_collect()
            .await
            .unwrap();
        let got: Vec<String> = orders.iter().map(|o| o.book_id.clone().unwrap()).collect();
        assert_eq!(got, ids(0..120));

        let received = server.received_requests().await.unwrap();
        let wire: Vec<(u64, u64)> = received.iter().map(page_of).collect();
        assert_eq!(wire, vec![(1, 50), (2, 50), (3, 50)]);
        for r in &received {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body["account_id"], "acc-1");
            assert_eq!(body["poi_id"], "poi-1");
            assert_eq!(body["start_time"], 1_732_896_000);
            assert_eq!(body["end_time"], 1_732_982_400);
        }
    })
    .await;
}

#[tokio::test]
async fn pages_yield_page_at_a_time_with_metadata() {
    within(60, async {
        let server = honest_orders(120).await;
        let pages: Vec<_> = client(&server)
            .orders_stream(query())
            .pages()
            .try_collect()
            .await
            .unwrap();
        let summary: Vec<_> = pages
            .iter()
            .map(|p| (p.page, p.items.len(), p.count, p.total, p.logid.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 50, 50, Some(120), Some("log-p1")),
                (2, 50, 50, Some(120), Some("log-p2")),
                (3, 20, 20, Some(120), Some("log-p3")),
            ]
        );
        assert_eq!(pages[0].server_time, Some(1732947576));
    })
    .await;
}

#[tokio::test]
async fn pages_after_partial_items_keep_the_rest_of_the_page() {
    within(60, async {
        let server = honest_orders(70).await;
        let mut s = client(&server).orders_stream(query());
        let first = s.try_next().await.unwrap().unwrap();
        assert_eq!(first.book_id.as_deref(), Some("b0"));
        assert_eq!(s.held_items(), 49);
        let pages: Vec<_> = s.pages().try_collect().await.unwrap();
        let ranges: Vec<_> = pages
            .iter()
            .map(|p| {
                (
                    p.page,
                    p.items.first().unwrap().book_id.clone().unwrap(),
                    p.items.len(),
                )
            })
            .collect();
        assert_eq!(
            ranges,
            vec![(1, "b1".to_string(), 49), (2, "b50".to_string(), 20)]
        );
    })
    .await;
}

#[tokio::test]
async fn start_page_and_page_size_come_from_the_query() {
    within(60, async {
        let server = honest_orders(95).await;
        let s = client(&server).orders_stream(query().with_page_num(3).with_page_size(20));
        let (got, error, _) = drain(s).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(got, ids(40..95));
        assert_eq!(wire_pages(&server).await, vec![3, 4, 5]);
    })
    .await;
}

#[tokio::test]
async fn the_stream_is_lazy_and_sends_one_request_at_a_time() {
    within(60, async {
        let server = honest_orders(120).await;
        let mut s = client(&server).orders_stream(query());
        assert!(
            wire_pages(&server).await.is_empty(),
            "nothing is sent before the first poll"
        );
        for i in 0..50 {
            let o = s.try_next().await.unwrap().unwrap();
            assert_eq!(o.book_id, Some(format!("b{i}")));
            assert_eq!(s.in_flight(), 0);
        }
        assert_eq!(s.held_items(), 0);
        assert_eq!(
            wire_pages(&server).await,
            vec![1],
            "page 2 waits until page 1 is used up"
        );
        assert_eq!(
            s.try_next().await.unwrap().unwrap().book_id.as_deref(),
            Some("b50")
        );
        assert_eq!(wire_pages(&server).await, vec![1, 2]);
        assert_eq!(s.held_items(), 49);
    })
    .await;
}

#[tokio::test]
async fn buffered_prefetches_up_to_n_pages_and_keeps_order() {
    within(60, async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(ORDERS))
            .respond_with(move |req: &Request| {
                let (page, size) = page_of(req);
                let first = (page - 1) * size;
                let n = 500u64.saturating_sub(first).min(size);
                ResponseTemplate::new(200)
                    .set_body_raw(orders_body(page, first, n, Some(500)), "application/json")
                    .set_delay(Duration::from_millis(30))
            })
            .mount(&server)
            .await;
        let mut s = client(&server).orders_stream(query()).buffered(3);
        let mut got = Vec::new();
        let mut max_in_flight = 0;
        while let Some(o) = s.try_next().await.unwrap() {
            got.push(o.book_id.unwrap());
            max_in_flight = max_in_flight.max(s.in_flight());
            // Let the prefetch tasks run while "processing" the item.
            tokio::task::yield_now().await;
        }
        assert_eq!(got, ids(0..500));
        assert!(
            (2..=3).contains(&max_in_flight),
            "buffered(3): up to 2 pages ahead while one is yielded, saw {max_in_flight}"
        );
        let mut wire = wire_pages(&server).await;
        wire.sort_unstable();
        assert_eq!(wire, (1..=10).collect::<Vec<_>>(), "each page exactly once");
    })
    .await;
}

#[tokio::test]
async fn without_total_a_short_page_ends_the_stream() {
    within(60, async {
        let server = serve(ORDERS, |page, size| {
            let n = if page < 3 { size } else { 10 };
            orders_body(page, (page - 1) * size, n, None)
        })
        .await;
        let (got, error, _) = drain(client(&server).orders_stream(query())).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(got, ids(0..110));
        assert_eq!(wire_pages(&server).await, vec![1, 2, 3]);
    })
    .await;
}

#[tokio::test]
async fn total_zero_ends_after_one_empty_page() {
    within(60, async {
        let server = honest_orders(0).await;
        let (got, error, _) = drain(client(&server).orders_stream(query())).await;
        assert!(error.is_none(), "{error:?}");
        assert!(got.is_empty());
        assert_eq!(wire_pages(&server).await, vec![1]);
    })
    .await;
}

// --- a misbehaving server ----------------------------------------------------

#[tokio::test]
async fn a_repeated_page_ends_with_repeated_page() {
    within(60, async {
        // Every page number answers page 1.
        let server = serve(ORDERS, |page, size| orders_body(page, 0, size, Some(120))).await;
        let (got, error, resume) = drain(client(&server).orders_stream(query())).await;
        assert_eq!(got, ids(0..50), "page 1 stays yielded");
        let shown = error.as_ref().map(ToString::to_string);
        assert_eq!(
            shown.as_deref(),
            Some(
                "query_reservation_orders: pagination stopped at page 2: \
                 the page repeats the previous page [logid log-p2]"
            )
        );
        assert_eq!(error.as_ref().and_then(Error::logid), Some("log-p2"));
        let (page, reason, logid) = pagination_stop(error);
        assert_eq!((page, reason), (2, PaginationStop::RepeatedPage));
        assert_eq!(
            logid.as_deref(),
            Some("log-p2"),
            "the offending answer's logid"
        );
        assert_eq!(resume, 2);
        assert_eq!(wire_pages(&server).await, vec![1, 2]);
    })
    .await;
}

#[tokio::test]
async fn an_empty_page_before_total_ends_with_empty_page() {
    within(60, async {
        let server = serve(ORDERS, |page, size| {
            let n = if page == 1 { size } else { 0 };
            orders_body(page, (page - 1) * size, n, Some(120))
        })
        .await;
        let (got, error, _) = drain(client(&server).orders_stream(query())).await;
        assert_eq!(got, ids(0..50));
        let (page, reason, _) = pagination_stop(error);
        assert_eq!(page, 2);
        assert_eq!(
            reason,
            PaginationStop::EmptyPage {
                seen: 50,
                total: 120
            }
        );
        assert_eq!(wire_pages(&server).await, vec![1, 2]);
    })
    .await;
}

#[tokio::test]
async fn a_total_changing_mid_way_ends_with_total_changed() {
    within(60, async {
        let server = serve(ORDERS, |page, size| {
            let total = if page == 1 { 120 } else { 130 };
            orders_body(page, (page - 1) * size, size, Some(total))
        })
        .await;
        let (got, error, _) = drain(client(&server).orders_stream(query())).await;
        assert_eq!(got, ids(0..50));
        let (page, reason, _) = pagination_stop(error);
        assert_eq!(page, 2);
        assert_eq!(
            reason,
            PaginationStop::TotalChanged {
                first: 120,
                now: 130
            }
        );
    })
    .await;
}

#[tokio::test]
async fn more_items_than_total_ends_with_more_items_than_total() {
    within(60, async {
        // Full pages forever, though the total says 120.
        let server = serve(ORDERS, |page, size| {
            orders_body(page, (page - 1) * size, size, Some(120))
        })
        .await;
        let (got, error, _) = drain(client(&server).orders_stream(query())).await;
        assert_eq!(got, ids(0..100), "page 3 would pass the total: not yielded");
        let (page, reason, _) = pagination_stop(error);
        assert_eq!(page, 3);
        assert_eq!(
            reason,
            PaginationStop::MoreItemsThanTotal {
                seen: 150,
                total: 120
            }
        );
        assert_eq!(wire_pages(&server).await, vec![1, 2, 3]);
    })
    .await;
}

#[tokio::test]
async fn more_pages_than_total_implies_stops_without_another_request() {
    within(60, async {
        // 30 per page: the 3 pages that 120/50 implies bring only 90.
        let server = serve(ORDERS, |page, _| {
            orders_body(page, (page - 1) * 30, 30, Some(120))
        })
        .await;
        let (got, error, resume) = drain(client(&server).orders_stream(query())).await;
        assert_eq!(got, ids(0..90));
        let (page, reason, _) = pagination_stop(error);
        assert_eq!(page, 4);
        assert_eq!(
            reason,
            PaginationStop::MorePagesThanTotal {
                pages: 3,
                seen: 90,
                total: 120
            }
        );
        assert_eq!(resume, 4);
        assert_eq!(
            wire_pages(&server).await,
            vec![1, 2, 3],
            "page 4 is never requested"
        );
    })
    .await;
}

#[tokio::test]
async fn a_negative_total_ends_with_invalid_total() {
    within(60, async {
        let server = serve(ORDERS, |page, size| orders_body(page, 0, size, Some(-5))).await;
        let (got, error, _) = drain(client(&server).orders_stream(query())).await;
        assert!(got.is_empty());
        let (page, reason, _) = pagination_stop(error);
        assert_eq!(
            (page, reason),
            (1, PaginationStop::InvalidTotal { total: -5 })
        );
    })
    .await;
}

#[tokio::test]
async fn an_api_error_mid_way_keeps_the_yielded_items_and_ends() {
    within(60, async {
        let server = serve(ORDERS, |page, size| {
            if page == 2 {
                concat!(
                    r#"{"data":{"error_code":2100005,"description":"参数不合法"},"#,
                    r#""extra":{"error_code":2100005,"description":"参数不合法","logid":"log-bad"}}"#
                )
                .to_string()
            } else {
                orders_body(page, (page - 1) * size, size, Some(120))
            }
        })
        .await;
        let (got, error, resume) = drain(client(&server).orders_stream(query())).await;
        assert_eq!(got, ids(0..50));
        match error {
            Some(Error::Api { code, logid, .. }) => {
                assert_eq!(code, ErrorCode::InvalidParameter);
                assert_eq!(logid.as_deref(), Some("log-bad"));
            }
            other => panic!("expected Error::Api, got {other:?}"),
        }
        assert_eq!(resume, 2, "restart from the failed page");
        assert_eq!(wire_pages(&server).await, vec![1, 2]);
    })
    .await;
}

/// Answers at once: retries in tests never wait for real.
#[derive(Debug)]
struct NoSleep;

impl douyin_goodlife::Sleeper for NoSleep {
    fn sleep(&self, _: Duration) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

const BUSY: &str = concat!(
    r#"{"data":{"error_code":2100004,"description":"系统繁忙"},"#,
    r#""extra":{"error_code":2100004,"description":"系统繁忙","logid":"log-busy"}}"#
);

#[tokio::test]
async fn retries_apply_per_page() {
    within(60, async {
        let page2_attempts = Arc::new(AtomicU64::new(0));
        let attempts = page2_attempts.clone();
        let server = serve(ORDERS, move |page, size| {
            if page == 2 && attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                return BUSY.to_string();
            }
            orders_body(
                page,
                (page - 1) * size,
                120u64.saturating_sub((page - 1) * size).min(size),
                Some(120),
            )
        })
        .await;
        let client = Client::builder()
            .base_url(server.uri())
            .access_token("clt.pagination-test")
            .retry(douyin_goodlife::RetryConfig::default().sleeper(Arc::new(NoSleep)))
            .build()
            .unwrap();
        let (got, error, _) = drain(client.orders_stream(query())).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(got, ids(0..120));
        assert_eq!(
            wire_pages(&server).await,
            vec![1, 2, 2, 3],
            "page 2 retried once"
        );
    })
    .await;
}

#[tokio::test]
async fn token_refresh_applies_per_page() {
    within(60, async {
        let server = MockServer::start().await;
        let issued = Arc::new(AtomicU64::new(0));
        let n = issued.clone();
        Mock::given(method("POST"))
            .and(path("/oauth/client_token/"))
            .respond_with(move |_: &Request| {
                let i = n.fetch_add(1, Ordering::SeqCst) + 1;
                ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "data": {"access_token": format!("clt.t{i}"), "expires_in": 7200,
                             "error_code": 0, "description": ""},
                    "message": "success"
                }))
            })
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(ORDERS))
            .respond_with(|req: &Request| {
                let (page, size) = page_of(req);
                let token = req.headers.get("access-token").map(|v| v.to_str().unwrap().to_string());
                // The first token is rejected from page 2 on.
                let body = if page >= 2 && token.as_deref() == Some("clt.t1") {
                    concat!(
                        r#"{"data":{"error_code":0,"description":""},"#,
                        r#""extra":{"error_code":28001008,"description":"access_token过期","logid":"log-exp"}}"#
                    )
                    .to_string()
                } else {
                    orders_body(page, (page - 1) * size, 120u64.saturating_sub((page - 1) * size).min(size), Some(120))
                };
                ResponseTemplate::new(200).set_body_raw(body, "application/json")
            })
            .mount(&server)
            .await;
        let client = Client::builder()
            .base_url(server.uri())
            .credentials("client-key", "client-secret")
            .build()
            .unwrap();
        let (got, error, _) = drain(client.orders_stream(query())).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(got, ids(0..120));
        assert_eq!(issued.load(Ordering::SeqCst), 2, "one refresh, on page 2");
        let received = server.received_requests().await.unwrap();
        let calls: Vec<(u64, String)> = received
            .iter()
            .filter(|r| r.url.path() == ORDERS)
            .map(|r| (page_of(r).0, r.headers.get("access-token").unwrap().to_str().unwrap().to_string()))
            .collect();
        let expected: Vec<(u64, String)> = [(1, "clt.t1"), (2, "clt.t1"), (2, "clt.t2"), (3, "clt.t2")]
            .iter()
            .map(|(p, t)| (*p, t.to_string()))
            .collect();
        assert_eq!(calls, expected);
    })
    .await;
}

#[tokio::test]
async fn an_invalid_query_is_the_first_item_and_nothing_is_sent() {
    within(60, async {
        let server = honest_orders(120).await;
        let (got, error, _) =
            drain(client(&server).orders_stream(query().with_page_size(51))).await;
        assert!(got.is_empty());
        assert!(
            matches!(
                error,
                Some(Error::InvalidRequest {
                    field: "page_size",
                    ..
                })
            ),
            "{error:?}"
        );
        assert!(wire_pages(&server).await.is_empty());
    })
    .await;
}

// --- vouchers ----------------------------------------------------------------

/// A voucher answer: `orders` is `[(order_id, [certificate_id, ...]), ...]`.
fn certificates_body(total: i64, orders: &[(&str, &[&str])]) -> String {
    let orders: Vec<Value> = orders
        .iter()
        .map(|(id, certs)| {
            let certs: Vec<Value> = certs
                .iter()
                .map(|c| serde_json::json!({"certificate_id": c, "code": format!("code-{c}")}))
                .collect();
            serde_json::json!({"order_id": id, "can_use": true, "certificates": certs})
        })
        .collect();
    serde_json::json!({
        "data": {"error_code": 0, "description": "", "total": total, "orders": orders},
        "extra": {"error_code": 0, "description": "", "logid": "log-c", "now": 1745331631}
    })
    .to_string()
}

fn order_ids(orders: &[douyin_goodlife::types::CertificateOrder]) -> Vec<(String, Vec<String>)> {
    orders
        .iter()
        .map(|o| {
            let certs = o
                .certificates
                .iter()
                .map(|c| c.certificate_id.clone().unwrap())
                .collect();
            (o.order_id.clone().unwrap(), certs)
        })
        .collect()
}

fn owned(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    v.iter()
        .map(|(o, cs)| (o.to_string(), cs.iter().map(|c| c.to_string()).collect()))
        .collect()
}

#[tokio::test]
async fn vouchers_by_voucher_count_certificates_and_keep_split_orders_apart() {
    within(60, async {
        // 5 vouchers, 2 per page; order A's vouchers span pages 1 and 2.
        let server = serve(CERTIFICATES, |page, _| match page {
            1 => certificates_body(5, &[("A", &["c1", "c2"])]),
            2 => certificates_body(5, &[("A", &["c3"]), ("B", &["c4"])]),
            3 => certificates_body(5, &[("B", &["c5"])]),
            _ => certificates_body(5, &[]),
        })
        .await;
        let q = CertificateQuery::new("acc-1", "open-1").with_page_size(2);
        assert_eq!(q.effective_page_dimension(), PageDimension::Certificate);
        let orders: Vec<_> = client(&server)
            .certificates_stream(q)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            order_ids(&orders),
            owned(&[
                ("A", &["c1", "c2"]),
                ("A", &["c3"]),
                ("B", &["c4"]),
                ("B", &["c5"])
            ])
        );
        let received = server.received_requests().await.unwrap();
        assert_eq!(
            received.iter().map(page_of).collect::<Vec<_>>(),
            vec![(1, 2), (2, 2), (3, 2)]
        );
    })
    .await;
}

#[tokio::test]
async fn vouchers_by_order_count_orders() {
    within(60, async {
        // 3 orders (6 vouchers), 2 orders per page.
        let server = serve(CERTIFICATES, |page, _| match page {
            1 => certificates_body(3, &[("A", &["c1", "c2"]), ("B", &["c3"])]),
            _ => certificates_body(3, &[("C", &["c4", "c5", "c6"])]),
        })
        .await;
        let q = CertificateQuery::new("acc-1", "open-1")
            .with_page_dimension(PageDimension::Order)
            .with_page_size(2);
        let pages: Vec<_> = client(&server)
            .certificates_stream(q)
            .pages()
            .try_collect()
            .await
            .unwrap();
        let counts: Vec<_> = pages
            .iter()
            .map(|p| (p.page, p.items.len(), p.count))
            .collect();
        assert_eq!(counts, vec![(1, 2, 2), (2, 1, 1)]);
        let received = server.received_requests().await.unwrap();
        assert_eq!(
            received.iter().map(page_of).collect::<Vec<_>>(),
            vec![(1, 2), (2, 2)]
        );
        let body: Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(body["page_dimension"], 2);
    })
    .await;
}

#[tokio::test]
async fn vouchers_default_to_the_spec_s_largest_page_size() {
    within(60, async {
        let server = serve(CERTIFICATES, |_, _| certificates_body(1, &[("A", &["c1"])])).await;
        let q = CertificateQuery::new("acc-1", "open-1");
        assert_eq!(q.page_size, None);
        let orders: Vec<_> = client(&server)
            .certificates_stream(q)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(order_ids(&orders), owned(&[("A", &["c1"])]));
        let received = server.received_requests().await.unwrap();
        assert_eq!(
            received.iter().map(page_of).collect::<Vec<_>>(),
            vec![(1, 50)]
        );
    })
    .await;
}

#[tokio::test]
async fn a_repeated_voucher_page_ends_the_stream() {
    within(60, async {
        let server = serve(CERTIFICATES, |_, _| {
            certificates_body(10, &[("A", &["c1", "c2"])])
        })
        .await;
        let q = CertificateQuery::new("acc-1", "open-1").with_page_size(2);
        let mut s = client(&server).certificates_stream(q);
        let first = s.try_next().await.unwrap().unwrap();
        assert_eq!(first.order_id.as_deref(), Some("A"));
        match s.try_next().await {
            Err(Error::Pagination {
                operation: "query_user_certificates",
                page: 2,
                reason: PaginationStop::RepeatedPage,
                ..
            }) => {}
            other => panic!("expected RepeatedPage, got {other:?}"),
        }
        assert!(s.try_next().await.unwrap().is_none());
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    })
    .await;
}

// --- 100,000 orders, memory bounded by the page buffer ----------------------

#[tokio::test]
async fn a_100k_order_stream_holds_one_page_at_a_time() {
    const TOTAL: u64 = 100_000;
    const PAGE: u64 = 50;
    within(600, async {
        let requests = Arc::new(AtomicU64::new(0));
        let out_of_order = Arc::new(AtomicBool::new(false));
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let (r, o) = (requests.clone(), out_of_order.clone());
        Mock::given(method("POST"))
            .and(path(ORDERS))
            .respond_with(Pages(move |page, size| {
                let seq = r.fetch_add(1, Ordering::SeqCst) + 1;
                if page != seq || size != PAGE {
                    o.store(true, Ordering::SeqCst);
                }
                let first = (page - 1) * size;
                orders_body(
                    page,
                    first,
                    TOTAL.saturating_sub(first).min(size),
                    Some(TOTAL as i64),
                )
            }))
            .mount(&server)
            .await;
        let client = client(&server);

        // What one decoded page of 50 orders costs, to size the bound.
        let body = orders_body(1, 0, PAGE, Some(TOTAL as i64));
        let before = live();
        let one_page: douyin_goodlife::types::QueryOrderResponse =
            serde_json::from_str(&body).unwrap();
        let page_bytes = (live() - before) as u64;
        assert_eq!(one_page.data.unwrap().order_list.len(), PAGE as usize);
        let full_collection = page_bytes * (TOTAL / PAGE);

        let baseline = reset_peak();
        let mut s = client.orders_stream(query());
        let mut count = 0u64;
        let mut max_held = 0;
        let mut last_id = String::new();
        while let Some(order) = s.try_next().await.unwrap() {
            count += 1;
            max_held = max_held.max(s.held_items());
            assert_eq!(
                s.in_flight(),
                0,
                "no request runs between items without buffered(n)"
            );
            if count == TOTAL {
                last_id = order.book_id.unwrap();
            }
        }
        drop(s);
        let peak = (PEAK.with(Cell::get) - baseline) as u64;

        assert_eq!(count, TOTAL);
        assert_eq!(last_id, format!("b{}", TOTAL - 1));
        assert_eq!(requests.load(Ordering::SeqCst), TOTAL / PAGE, "2,000 pages");
        assert!(
            !out_of_order.load(Ordering::SeqCst),
            "pages 1..=2000 in order, 50 each"
        );
        assert!(
            max_held < PAGE as usize,
            "at most one page held, saw {max_held}"
        );
        // A full collection would need `full_collection` bytes; the stream's peak
        // stays within a few pages (the page being yielded, the body being
        // decoded, HTTP buffers).
        let bound = page_bytes * 8;
        assert!(
            bound * 100 < full_collection,
            "the bound ({bound} B) must be far below a full collection ({full_collection} B)"
        );
        assert!(
            peak < bound,
            "peak {peak} B over the stream exceeds {bound} B (one page = {page_bytes} B, \
             all {TOTAL} orders = {full_collection} B)"
        );
        eprintln!(
            "100k orders: one page {page_bytes} B, full collection ~{full_collection} B, \
             stream peak {peak} B"
        );
    })
    .await;
}
