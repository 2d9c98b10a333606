//! Criterion benches, figures (a) and (b); `cargo xtask bench` runs
//! them and reads the results into `BENCHMARKS.md`.
//!
//! - `a_order_query_c1` / `a_order_query_c64`: one reservation order query
//!   returning a 50-order page (the sandbox's own answer, with industry info and
//!   `attr_value`), from a minimal keep-alive hyper server on 127.0.0.1 that
//!   answers those fixed bytes. `sdk` is `Client::query_reservation_orders`;
//!   `baseline` the same request hand-written with reqwest + serde_json into the
//!   same generated structs, through a reqwest client built with the SDK's
//!   settings. At concurrency 64 one iteration is 64 concurrent calls.
//!   Client side: a single-threaded tokio runtime; server side: its own thread.
//!   `a_order_query_c1/http_only` (the exchange without decoding) is there
//!   for the breakdown of where the time goes.
//! - `b_decode`: the same page's bytes through `decode::reservation_orders`
//!   (what the client does after an HTTP 200: typed decode plus the envelope
//!   check) against `serde_json::from_slice::<serde_json::Value>`.
//!
//! Run alone with `cargo bench --features mock --bench client`.

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{
    BENCH_TOKEN, FixedServer, ORDER_PATH, OrderQueryBody, baseline_order_query, reqwest_like_sdk,
    sandbox_order_page, sdk_query,
};
use criterion::{Criterion, criterion_group, criterion_main};
use douyin_goodlife::Client;
use futures::future::join_all;

/// `BENCH_QUICK=1` (set by `cargo xtask bench --quick`) shortens every
/// measurement, for trying things out.
fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some()
}

/// Sample count and measurement time, shortened in quick mode.
fn budget(samples: usize, seconds: u64) -> (usize, Duration) {
    if quick() {
        (10, Duration::from_secs(1))
    } else {
        (samples, Duration::from_secs(seconds))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn order_query(c: &mut Criterion) {
    let page = sandbox_order_page();
    // The page, for the report (its size).
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        let _ = std::fs::create_dir_all(&home);
        let _ = std::fs::write(std::path::Path::new(&home).join("page.json"), &page);
    }
    let server = FixedServer::start(page);
    let rt = runtime();
    let sdk = Client::builder()
        .base_url(server.base_url())
        .access_token(BENCH_TOKEN)
        .build()
        .expect("client");
    let http = reqwest_like_sdk();
    let url = format!("{}{}", server.base_url(), ORDER_PATH);
    let query = sdk_query();
    let body = OrderQueryBody::sample(1);

    // Both sides answer the same, before anything is timed.
    rt.block_on(async {
        let a = sdk
            .query_reservation_orders(&query)
            .await
            .expect("sdk call");
        let b = baseline_order_query(&http, &url, BENCH_TOKEN, &body)
            .await
            .expect("baseline call");
        assert_eq!(a.order_list.len(), 50);
        assert_eq!(a.order_list, b.order_list);
    });

    for concurrency in [1usize, 64] {
        let mut group = c.benchmark_group(format!("a_order_query_c{concurrency}"));
        let (samples, time) = if concurrency > 1 {
            budget(30, 10)
        } else {
            budget(60, 8)
        };
        group.sample_size(samples).measurement_time(time);
        group.warm_up_time(Duration::from_secs(if quick() { 1 } else { 2 }));
        group.bench_function("baseline", |b| {
            b.to_async(&rt).iter(|| async {
                let calls =
                    (0..concurrency).map(|_| baseline_order_query(&http, &url, BENCH_TOKEN, &body));
                for r in join_all(calls).await {
                    black_box(r.expect("baseline call"));
                }
            })
        });
        group.bench_function("sdk", |b| {
            b.to_async(&rt).iter(|| async {
                let calls = (0..concurrency).map(|_| sdk.query_reservation_orders(&query));
                for r in join_all(calls).await {
                    black_box(r.expect("sdk call"));
                }
            })
        });
        if concurrency == 1 {
            // For the breakdown: the same exchange, bytes only (no decode).
            group.bench_function("http_only", |b| {
                b.to_async(&rt).iter(|| async {
                    let response = http
                        .post(&url)
                        .header("access-token", BENCH_TOKEN)
                        .json(&body)
                        .send()
                        .await
                        .expect("send");
                    black_box(response.bytes().await.expect("body"))
                })
            });
        }
        group.finish();
    }
}

fn decode(c: &mut Criterion) {
    let page = sandbox_order_page();
    let mut group = c.benchmark_group("b_decode");
    let (samples, time) = budget(60, 6);
    group.sample_size(samples).measurement_time(time);
    group.warm_up_time(Duration::from_secs(if quick() { 1 } else { 2 }));
    group.bench_function("value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&page)).unwrap()))
    });
    group.bench_function("typed", |b| {
        b.iter(|| black_box(douyin_goodlife::decode::reservation_orders(black_box(&page)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, order_query, decode);
criterion_main!(benches);
