//! The whole-process figures, as one bench binary with modes; `cargo
//! xtask bench` starts it (several times, as servers and as measured
//! processes) and reads the JSON line each measuring mode prints.
//!
//! ```text
//! whole serve-mock                      the sandbox (MockServer) on 127.0.0.1; prints `listening URL`
//! whole serve-fixed                     the sandbox's token, voucher and prepare answers, as fixed bytes
//! whole serve-orders [--total N]        pages of N synthetic orders (default 100000), 50 a page
//! whole calls --url URL [--op vouchers|prepare] [--code CODE] [--concurrency C] [--seconds S]
//!                                       (c) voucher queries, or `certificate_prepare` of the sandbox's
//!                                       first scannable code (or CODE), from C tasks for S seconds;
//!                                       prints calls/s and CPU
//! whole prepare-code                    (c) that code, for the Node SDK peer (bench/node) to send
//! whole token [--runs R] [--calls N]    (d) N concurrent calls on a cold client, R times; token requests
//! whole serve-records [--total N]       (e) N synthetic verification records (default 100000),
//!                                       paged by the last record's cursor
//! whole stream --url URL [--orders N]   (e) `orders_stream` over N orders; RSS before and peak after
//! whole records --url URL [--records N] (e) the verification history's cursor stream over N records
//! whole hot --side sdk|baseline [--calls N]
//!                                       (a) N order queries at concurrency 1 against a fixed-page
//!                                       server thread, for a profiler (callgrind counts both sides)
//! whole decode --parser typed|value [--n N]
//!                                       (b) the 50-order page decoded N times, for a profiler
//! ```
//!
//! Servers exit when their standard input closes, and after 30 minutes at most.
//! Every loop is bounded in count or time. Run with no mode (as `cargo bench`
//! does) it only says how to use it.

mod common;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use douyin_goodlife::mock::{MockServer, Operation, sample};
use douyin_goodlife::requests::CertificatePrepareRequest;
use douyin_goodlife::{CertificateQuery, Client, SpuQuery};
use futures::TryStreamExt;
use serde_json::{Value, json};

/// Longest a server mode stays up.
const SERVER_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Longest a measuring loop runs.
const MAX_SECONDS: f64 = 120.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("");
    let opt = |name: &str| -> Option<String> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let num = |name: &str, default: u64| -> u64 {
        opt(name)
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name} takes a number"))
            })
            .unwrap_or(default)
    };
    match mode {
        "serve-mock" => serve(ServerKind::Mock),
        "serve-fixed" => serve(ServerKind::Fixed),
        "serve-orders" => serve(ServerKind::Orders {
            total: num("--total", 100_000),
        }),
        "serve-records" => serve(ServerKind::Records {
            total: num("--total", 100_000),
        }),
        "calls" => {
            let op = match opt("--op").as_deref().unwrap_or("vouchers") {
                "vouchers" => {
                    CallOp::Vouchers(CertificateQuery::new(sample::ACCOUNT_ID, sample::OPEN_ID))
                }
                "prepare" => CallOp::Prepare(opt("--code").unwrap_or_else(prepare_code)),
                other => panic!("--op takes vouchers or prepare, not {other:?}"),
            };
            calls(
                &opt("--url").expect("calls needs --url"),
                op,
                num("--concurrency", 16) as usize,
                (num("--seconds", 5) as f64).min(MAX_SECONDS),
            )
        }
        "prepare-code" => println!(
            "{}",
            json!({"mode": "prepare-code", "code": prepare_code()})
        ),
        "token" => token(num("--runs", 10), num("--calls", 1000) as usize),
        "hot" => hot(
            opt("--side").as_deref().unwrap_or("sdk"),
            num("--calls", 2000),
        ),
        "decode" => decode(
            opt("--parser").as_deref().unwrap_or("typed"),
            num("--n", 1000),
        ),
        "stream" => stream(
            &opt("--url").expect("stream needs --url"),
            num("--orders", 100_000),
        ),
        "records" => records(
            &opt("--url").expect("records needs --url"),
            num("--records", 100_000),
        ),
        _ => {
            println!(
                "whole: the whole-process benches; run them with `cargo xtask bench` \
                 (modes: serve-mock, serve-fixed, serve-orders, serve-records, calls, prepare-code, \
                 token, stream, hot, decode)"
            );
        }
    }
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

enum ServerKind {
    Mock,
    Fixed,
    Orders { total: u64 },
    Records { total: u64 },
}

/// Serves until standard input closes (or [`SERVER_LIFETIME`]).
fn serve(kind: ServerKind) {
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    match kind {
        ServerKind::Mock => {
            let rt = multi_thread();
            rt.block_on(async {
                let server = MockServer::start().await;
                println!("listening {}", server.base_url());
                tokio::time::sleep(SERVER_LIFETIME).await;
            });
        }
        ServerKind::Fixed => {
            let answers = sandbox_answers();
            let server = common::serve_on_thread(move |path, _body| {
                if path.starts_with(Operation::GetClientToken.path()) {
                    answers.token.clone()
                } else if path.starts_with(Operation::CertificatePrepare.path()) {
                    answers.prepare.clone()
                } else {
                    answers.vouchers.clone()
                }
            });
            println!("listening {}", server.base_url());
            std::thread::sleep(SERVER_LIFETIME);
        }
        ServerKind::Orders { total } => {
            let pages = OrderPages::new(total);
            let server = common::serve_on_thread(move |_path, body| pages.answer(body));
            println!("listening {}", server.base_url());
            std::thread::sleep(SERVER_LIFETIME);
        }
        ServerKind::Records { total } => {
            let pages = RecordPages::new(total);
            let server = common::serve_on_thread(move |path, _body| pages.answer(path));
            println!("listening {}", server.base_url());
            std::thread::sleep(SERVER_LIFETIME);
        }
    }
}

/// The sandbox's answers that `serve-fixed` sends, as bytes.
struct Answers {
    /// To a token request with the sample credentials.
    token: Bytes,
    /// To the voucher query of [`calls`] (the sample user, server's default page).
    vouchers: Bytes,
    /// To `certificate_prepare?code=` [`prepare_code`].
    prepare: Bytes,
}

/// The plaintext code of the sandbox's first scannable order (default seed):
/// what [`calls`] and the Node peer prepare.
fn prepare_code() -> String {
    multi_thread().block_on(async { first_code(&MockServer::start().await) })
}

/// The plaintext code of `server`'s first scannable order.
fn first_code(server: &MockServer) -> String {
    server
        .scannable_codes()
        .into_iter()
        .next()
        .expect("the sandbox lists scannable codes")
        .code
}

/// Captures [`Answers`] from a fresh sandbox, checking that each decodes.
fn sandbox_answers() -> Answers {
    let rt = multi_thread();
    rt.block_on(async {
        let server = MockServer::start().await;
        let code = first_code(&server);
        let http = common::reqwest_like_sdk();
        let token = http
            .post(format!(
                "{}{}",
                server.base_url(),
                Operation::GetClientToken.path()
            ))
            .json(&json!({
                "client_key": sample::CLIENT_KEY,
                "client_secret": sample::CLIENT_SECRET,
                "grant_type": "client_credential",
            }))
            .send()
            .await
            .expect("token answer")
            .bytes()
            .await
            .expect("token body");
        douyin_goodlife::decode::client_token(&token).expect("a valid token answer");
        let vouchers = http
            .post(format!(
                "{}{}",
                server.base_url(),
                Operation::QueryUserCertificates.path()
            ))
            .header("access-token", server.issue_token())
            .json(&json!({"account_id": sample::ACCOUNT_ID, "open_id": sample::OPEN_ID}))
            .send()
            .await
            .expect("voucher answer")
            .bytes()
            .await
            .expect("voucher body");
        let page = douyin_goodlife::decode::user_certificates(&vouchers).expect("a valid page");
        assert!(!page.orders.is_empty(), "the sample user has vouchers");
        let prepare = http
            .get(format!(
                "{}{}",
                server.base_url(),
                Operation::CertificatePrepare.path()
            ))
            .query(&[("code", &code)])
            .header("access-token", server.issue_token())
            .send()
            .await
            .expect("prepare answer")
            .bytes()
            .await
            .expect("prepare body");
        let prepared = douyin_goodlife::decode::answer(Operation::CertificatePrepare, &prepare)
            .expect("a valid prepare answer");
        assert!(
            prepared.data()["certificates"]
                .as_array()
                .is_some_and(|c| !c.is_empty()),
            "the first scannable order has unused vouchers"
        );
        Answers {
            token,
            vouchers,
            prepare,
        }
    })
}

/// Pages of `total` orders: the sandbox's 50-order page with `total` set and
/// each `book_id` made unique per page (`P-I`), so the stream's guards see
/// distinct pages.
struct OrderPages {
    total: u64,
    /// The page's JSON cut at the 50 `book_id` values.
    segments: Vec<Vec<u8>>,
    /// A page with an empty `order_list`, for pages past the end.
    empty: Bytes,
}

impl OrderPages {
    fn new(total: u64) -> Self {
        let page: Value = serde_json::from_slice(&common::sandbox_order_page()).expect("JSON");
        let mut template = page.clone();
        template["data"]["total"] = json!(total);
        let orders = template["data"]["order_list"]
            .as_array_mut()
            .expect("order_list");
        for (i, order) in orders.iter_mut().enumerate() {
            order["book_id"] = json!(format!("@@BOOK{i}@@"));
        }
        let text = template.to_string();
        let mut segments = Vec::new();
        let mut rest = text.as_str();
        for i in 0..orders_len(&template) {
            let marker = format!("@@BOOK{i}@@");
            let at = rest.find(&marker).expect("marker");
            segments.push(rest.as_bytes()[..at].to_vec());
            rest = &rest[at + marker.len()..];
        }
        segments.push(rest.as_bytes().to_vec());
        let mut empty = page;
        empty["data"]["total"] = json!(total);
        empty["data"]["order_list"] = json!([]);
        Self {
            total,
            segments,
            empty: Bytes::from(empty.to_string()),
        }
    }

    fn answer(&self, request: &[u8]) -> Bytes {
        let page_num = serde_json::from_slice::<Value>(request)
            .ok()
            .and_then(|v| v["page_num"].as_u64())
            .unwrap_or(1);
        let per_page = (self.segments.len() - 1) as u64;
        if page_num == 0 || (page_num - 1) * per_page >= self.total {
            return self.empty.clone();
        }
        let size: usize =
            self.segments.iter().map(Vec::len).sum::<usize>() + per_page as usize * 16;
        let mut out = Vec::with_capacity(size);
        for (i, segment) in self.segments.iter().enumerate() {
            out.extend_from_slice(segment);
            if i + 1 < self.segments.len() {
                out.extend_from_slice(format!("{page_num}-{i}").as_bytes());
            }
        }
        Bytes::from(out)
    }
}

/// `total` verification records, newest first, paged as the verification
/// history pages: record `i` (from 0) has cursor `total - i` (20 digits), and
/// a request's page starts after its `cursor` ("0": at the newest).
struct RecordPages {
    total: u64,
    /// The spec's example record cut at its `cursor` and `verify_id` values.
    parts: [String; 3],
}

impl RecordPages {
    fn new(total: u64) -> Self {
        let example: Value = serde_json::from_str(
            douyin_goodlife::Operation::CertificateVerifyRecordQuery
                .spec()
                .response_example,
        )
        .expect("the example answer is JSON");
        let mut record = example["data"]["records"][0].clone();
        assert!(record.is_object(), "the spec has an example record");
        record["verify_id"] = json!("@@ID@@");
        record["cursor"] = json!("@@CURSOR@@");
        // Keys are sorted: `cursor` comes before `verify_id`.
        let text = record.to_string();
        let (head, rest) = text.split_once("@@CURSOR@@").expect("cursor marker");
        let (middle, tail) = rest.split_once("@@ID@@").expect("id marker");
        Self {
            total,
            parts: [head.to_string(), middle.to_string(), tail.to_string()],
        }
    }

    fn answer(&self, path_and_query: &str) -> Bytes {
        let query = path_and_query.split_once('?').map_or("", |(_, q)| q);
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .unwrap_or("")
        };
        let size: u64 = param("size").parse().unwrap_or(20).clamp(1, 1000);
        let first = match param("cursor").parse::<u64>().unwrap_or(0) {
            0 => 0,
            c => self.total.saturating_sub(c).saturating_add(1),
        };
        let mut out = String::with_capacity(64 + size as usize * 600);
        out.push_str(r#"{"data":{"error_code":0,"description":"","total":"#);
        out.push_str(&self.total.to_string());
        out.push_str(r#","records":["#);
        for i in first..self.total.min(first.saturating_add(size)) {
            if i > first {
                out.push(',');
            }
            let [head, middle, tail] = &self.parts;
            out.push_str(head);
            out.push_str(&format!("{:020}", self.total - i));
            out.push_str(middle);
            out.push_str(&format!("7302190{i:012}"));
            out.push_str(tail);
        }
        out.push_str(
            r#"]},"extra":{"error_code":0,"description":"","logid":"bench","now":1733019540}}"#,
        );
        Bytes::from(out)
    }
}

fn orders_len(page: &Value) -> usize {
    page["data"]["order_list"].as_array().map_or(0, Vec::len)
}

/// What [`calls`] sends.
#[derive(Clone)]
enum CallOp {
    /// `query_user_certificates` (the sample user at the first merchant,
    /// server's default page): a POST.
    Vouchers(CertificateQuery),
    /// `certificate_prepare?code=CODE`: a GET.
    Prepare(String),
}

impl CallOp {
    fn name(&self) -> &'static str {
        match self {
            CallOp::Vouchers(_) => "vouchers",
            CallOp::Prepare(_) => "prepare",
        }
    }

    /// One call; `Err` for a failed call or an answer without vouchers.
    async fn call(&self, client: &Client) -> Result<(), String> {
        match self {
            CallOp::Vouchers(query) => {
                let page = client
                    .query_user_certificates(query)
                    .await
                    .map_err(|e| e.to_string())?;
                std::hint::black_box(page);
            }
            CallOp::Prepare(code) => {
                let prepared = client
                    .certificate_prepare(CertificatePrepareRequest::new().with_code(code))
                    .await
                    .map_err(|e| e.to_string())?;
                if prepared.certificates.as_ref().is_none_or(Vec::is_empty) {
                    return Err("a prepare answer without vouchers".into());
                }
                std::hint::black_box(prepared);
            }
        }
        Ok(())
    }
}

/// (c): `op` from `concurrency` tasks for `seconds`, on a client with
/// credentials (one token fetch, cached in memory), after a warm-up round.
fn calls(url: &str, op: CallOp, concurrency: usize, seconds: f64) {
    let rt = multi_thread();
    let client = Client::builder()
        .base_url(url)
        .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
        .build()
        .expect("client");
    let result = rt.block_on(async {
        // Warm-up: the token and `concurrency` keep-alive connections.
        let warm = (0..concurrency).map(|_| op.call(&client));
        for r in futures::future::join_all(warm).await {
            r.expect("warm-up call");
        }
        let done = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let cpu_started = common::cpu_seconds("self");
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, op) = (client.clone(), op.clone());
                let (done, count, errors) = (done.clone(), count.clone(), errors.clone());
                tokio::spawn(async move {
                    while !done.load(Ordering::Relaxed) {
                        match op.call(&client).await {
                            Ok(()) => count.fetch_add(1, Ordering::Relaxed),
                            Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        done.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let calls = count.load(Ordering::Relaxed);
        json!({
            "mode": "calls",
            "op": op.name(),
            "concurrency": concurrency,
            "calls": calls,
            "errors": errors.load(Ordering::Relaxed),
            "seconds": elapsed,
            "calls_per_second": calls as f64 / elapsed,
            "cpu_seconds": common::cpu_seconds("self") - cpu_started,
        })
    });
    println!("{result}");
}

/// (d): `calls` concurrent calls (SPU detail) on a cold client with
/// credentials against a fresh sandbox, `runs` times; the sandbox counts the
/// token requests.
fn token(runs: u64, calls: usize) {
    let rt = multi_thread();
    for run in 0..runs {
        let result = rt.block_on(async {
            let server = MockServer::start().await;
            let client = Client::builder()
                .base_url(server.base_url())
                .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
                .build()
                .expect("client");
            let query = SpuQuery::by_spu_id(sample::ROOT_ACCOUNT_ID, sample::SPU_ID);
            let started = Instant::now();
            let tasks: Vec<_> = (0..calls)
                .map(|_| {
                    let (client, query) = (client.clone(), query.clone());
                    tokio::spawn(async move { client.get_food_order_spu(&query).await })
                })
                .collect();
            let mut ok = 0usize;
            for t in tasks {
                if matches!(t.await, Ok(Ok(_))) {
                    ok += 1;
                }
            }
            json!({
                "mode": "token",
                "run": run,
                "calls": calls,
                "calls_ok": ok,
                "token_requests": server.received_count(Operation::GetClientToken),
                "business_requests": server.received_count(Operation::GetFoodOrderSpuDetail),
                "seconds": started.elapsed().as_secs_f64(),
            })
        });
        println!("{result}");
    }
}

/// (e): every order of the window through `orders_stream` (50 a page), in
/// this process alone; RSS before streaming and the peak (`VmHWM`) after.
fn stream(url: &str, orders: u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::builder()
        .base_url(url)
        .access_token(common::BENCH_TOKEN)
        .build()
        .expect("client");
    let (rss_before, hwm_before) = common::rss_kib();
    let result = rt.block_on(async {
        let started = Instant::now();
        let mut stream = client.orders_stream(common::sdk_query());
        let mut seen = 0u64;
        let deadline = Duration::from_secs_f64(MAX_SECONDS);
        while let Some(order) = stream.try_next().await.expect("stream item") {
            std::hint::black_box(&order);
            seen += 1;
            assert!(
                started.elapsed() < deadline,
                "stream took over {MAX_SECONDS} s"
            );
        }
        (seen, started.elapsed().as_secs_f64())
    });
    let (rss_after, hwm_after) = common::rss_kib();
    let (seen, seconds) = result;
    assert_eq!(seen, orders, "the stream yields every order");
    println!(
        "{}",
        json!({
            "mode": "stream",
            "orders": seen,
            "seconds": seconds,
            "rss_before_kib": rss_before,
            "hwm_before_kib": hwm_before,
            "rss_after_kib": rss_after,
            "hwm_after_kib": hwm_after,
        })
    );
}

/// (a) under a profiler: `calls` order queries one after another through the
/// SDK or the hand-written baseline, against the fixed 50-order page served
/// from a thread of this process (the same work on both sides). Prints the
/// number of calls made.
fn hot(side: &str, calls: u64) {
    let server = common::FixedServer::start(common::sandbox_order_page());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sdk = Client::builder()
        .base_url(server.base_url())
        .access_token(common::BENCH_TOKEN)
        .build()
        .expect("client");
    let http = common::reqwest_like_sdk();
    let url = format!("{}{}", server.base_url(), common::ORDER_PATH);
    let query = common::sdk_query();
    let body = common::OrderQueryBody::sample(1);
    let made = rt.block_on(async {
        let mut made = 0u64;
        for _ in 0..calls {
            let orders = match side {
                "baseline" => common::baseline_order_query(&http, &url, common::BENCH_TOKEN, &body)
                    .await
                    .expect("baseline call")
                    .order_list
                    .len(),
                _ => sdk
                    .query_reservation_orders(&query)
                    .await
                    .expect("sdk call")
                    .order_list
                    .len(),
            };
            assert_eq!(orders, 50);
            made += 1;
        }
        made
    });
    println!("{}", json!({"mode": "hot", "side": side, "calls": made}));
}

/// (b) under a profiler: the 50-order page decoded `n` times.
fn decode(parser: &str, n: u64) {
    let page = common::sandbox_order_page();
    for _ in 0..n {
        match parser {
            "value" => {
                std::hint::black_box(serde_json::from_slice::<Value>(&page).expect("JSON"));
            }
            _ => {
                std::hint::black_box(
                    douyin_goodlife::decode::reservation_orders(&page).expect("page"),
                );
            }
        }
    }
}

/// (e): every record of the verification history through its generated
/// cursor stream (`certificate_verify_record_query_stream`, 50 a page, one
/// page in flight), in this process alone; RSS before and the peak after.
fn records(url: &str, total: u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::builder()
        .base_url(url)
        .access_token(common::BENCH_TOKEN)
        .build()
        .expect("client");
    let (rss_before, hwm_before) = common::rss_kib();
    let (seen, seconds) = rt.block_on(async {
        let started = Instant::now();
        let request = douyin_goodlife::requests::CertificateVerifyRecordQueryRequest::new(
            sample::ACCOUNT_ID,
            "0",
            50,
        );
        let mut stream = client.certificate_verify_record_query_stream(request);
        let mut seen = 0u64;
        let deadline = Duration::from_secs_f64(MAX_SECONDS);
        while let Some(record) = stream.try_next().await.expect("stream item") {
            std::hint::black_box(&record);
            seen += 1;
            assert!(
                started.elapsed() < deadline,
                "stream took over {MAX_SECONDS} s"
            );
        }
        (seen, started.elapsed().as_secs_f64())
    });
    let (rss_after, hwm_after) = common::rss_kib();
    assert_eq!(seen, total, "the stream yields every record");
    println!(
        "{}",
        json!({
            "mode": "records",
            "records": seen,
            "seconds": seconds,
            "rss_before_kib": rss_before,
            "hwm_before_kib": hwm_before,
            "rss_after_kib": rss_after,
            "hwm_after_kib": hwm_after,
        })
    );
}
