//! The client-side rate limit against the sandbox: refusals and waits on an
//! injected clock and sleeper (no real sleeps), the deadline, and a measured
//! run of several clients sharing one budget (`-- --nocapture` prints it).
//! The Redis-shared limiter is tested in `tests/redis.rs`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use douyin_goodlife::mock::{MockServer, Operation as MockOperation, sample};
use douyin_goodlife::requests::TradeOrderQueryRequest;
use douyin_goodlife::{
    Client, ClientBuilder, Error, ManualClock, MemoryRateLimiter, OnFull, Operation, Quota,
    RateLimit, RetryConfig, Sleeper, SpuQuery,
};
use futures::future::BoxFuture;

/// trade_order_query: `x-douyin-qps: 20`, so one slot every 50 ms.
fn query() -> TradeOrderQueryRequest {
    TradeOrderQueryRequest::new(sample::ACCOUNT_ID, 1, 10)
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.base_url())
        .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
        .retry(RetryConfig::disabled())
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_000_000),
    ))
}

/// Records the waits asked for and returns at once; moves `clock` on by them
/// when given one.
#[derive(Debug, Default)]
struct RecordingSleeper {
    waits: Mutex<Vec<Duration>>,
    clock: Option<Arc<ManualClock>>,
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap().push(delay);
        if let Some(clock) = &self.clock {
            clock.advance(delay);
        }
        Box::pin(async {})
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test]
async fn spec_limits_are_on_only_when_asked_for() {
    assert_eq!(Operation::TradeOrderQuery.spec().qps, Some(20));
    assert_eq!(Operation::CertificatePrepare.spec().qps, Some(200));
    let server = MockServer::start().await;
    // Off by default: 30 calls at once all go.
    let client = builder(&server).build().unwrap();
    let calls = (0..30).map(|_| client.trade_order_query(query()));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(server.received_count(MockOperation::TradeOrderQuery), 30);
}

#[tokio::test]
async fn fail_mode_refuses_a_call_once_the_budget_is_spent() {
    let server = MockServer::start().await;
    let clock = clock();
    let client = builder(&server)
        .rate_limit(
            RateLimit::spec()
                .limiter(Arc::new(MemoryRateLimiter::with_clock(clock.clone())))
                .on_full(OnFull::Fail),
        )
        .build()
        .unwrap();
    client.trade_order_query(query()).await.unwrap();
    let e = client.trade_order_query(query()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::RateLimited {
                operation: "trade_order_query",
                retry_after,
                ..
            } if retry_after == ms(50)
        ),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(
        server.received_count(MockOperation::TradeOrderQuery),
        1,
        "the refused call sent nothing"
    );
    clock.advance(ms(30));
    let e = client.trade_order_query(query()).await.unwrap_err();
    assert!(matches!(e, Error::RateLimited { retry_after, .. } if retry_after == ms(20)));
    clock.advance(ms(20));
    client.trade_order_query(query()).await.unwrap();
    assert_eq!(server.received_count(MockOperation::TradeOrderQuery), 2);

    // An operation without x-douyin-qps is not limited; nor is the token fetch.
    let spu = SpuQuery::by_spu_id(sample::ROOT_ACCOUNT_ID, sample::SPU_ID);
    for _ in 0..10 {
        client.get_food_order_spu(&spu).await.unwrap();
    }
    assert_eq!(server.received_count(MockOperation::GetClientToken), 1);
}

#[tokio::test]
async fn overrides_replace_the_spec_limit() {
    let server = MockServer::start().await;
    let clock = clock();
    let limit = RateLimit::spec()
        .limiter(Arc::new(MemoryRateLimiter::with_clock(clock.clone())))
        .on_full(OnFull::Fail)
        .limit(
            Operation::TradeOrderQuery,
            Quota::per_second(2).unwrap().burst(3),
        );
    let client = builder(&server).rate_limit(limit).build().unwrap();
    for _ in 0..3 {
        client.trade_order_query(query()).await.unwrap();
    }
    let e = client.trade_order_query(query()).await.unwrap_err();
    assert!(matches!(e, Error::RateLimited { retry_after, .. } if retry_after == ms(500)));

    let unlimited = builder(&server)
        .rate_limit(
            RateLimit::spec()
                .on_full(OnFull::Fail)
                .unlimited(Operation::TradeOrderQuery),
        )
        .build()
        .unwrap();
    for _ in 0..30 {
        unlimited.trade_order_query(query()).await.unwrap();
    }
}

#[tokio::test]
async fn wait_mode_waits_for_each_slot_in_turn() {
    let server = MockServer::start().await;
    let clock = clock();
    let sleeper = Arc::new(RecordingSleeper {
        clock: Some(clock.clone()),
        ..Default::default()
    });
    let client = builder(&server)
        .rate_limit(
            RateLimit::spec()
                .limiter(Arc::new(MemoryRateLimiter::with_clock(clock.clone())))
                .sleeper(sleeper.clone()),
        )
        .build()
        .unwrap();
    for _ in 0..5 {
        client.trade_order_query(query()).await.unwrap();
    }
    assert_eq!(*sleeper.waits.lock().unwrap(), vec![ms(50); 4]);

    // Concurrent callers book consecutive slots: one step each, no polling.
    let frozen = Arc::new(RecordingSleeper::default());
    let client = builder(&server)
        .rate_limit(
            RateLimit::spec()
                .limiter(Arc::new(MemoryRateLimiter::with_clock(clock.clone())))
                .sleeper(frozen.clone()),
        )
        .build()
        .unwrap();
    let calls = (0..5).map(|_| client.trade_order_query(query()));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    let mut waits = frozen.waits.lock().unwrap().clone();
    waits.sort();
    assert_eq!(waits, vec![ms(50), ms(100), ms(150), ms(200)]);
}

#[tokio::test]
async fn a_slot_past_the_deadline_fails_at_once() {
    let server = MockServer::start().await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = builder(&server)
        .deadline(ms(300))
        .rate_limit(
            RateLimit::spec()
                .limiter(Arc::new(MemoryRateLimiter::with_clock(clock())))
                .limit(Operation::TradeOrderQuery, Quota::per_second(2).unwrap())
                .sleeper(sleeper.clone()),
        )
        .build()
        .unwrap();
    client.trade_order_query(query()).await.unwrap();
    let e = client.trade_order_query(query()).await.unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after, .. } if retry_after == ms(500)),
        "{e:?}"
    );
    assert!(sleeper.waits.lock().unwrap().is_empty(), "no wait begun");
    assert_eq!(server.received_count(MockOperation::TradeOrderQuery), 1);
}

/// The largest number of requests in any window of `window`, from samples of
/// a running count `(elapsed, count)`.
pub fn max_in_window(samples: &[(Duration, usize)], window: Duration) -> usize {
    let mut best = 0;
    for (i, (t, n)) in samples.iter().enumerate() {
        let start = samples[..=i]
            .iter()
            .rev()
            .find(|(s, _)| *t - *s >= window)
            .map_or(0, |(_, c)| *c);
        best = best.max(n - start);
    }
    best
}

/// `CLIENTS` clients (separate tasks, `TASKS` callers each) share one
/// in-process budget of trade_order_query's spec limit (20 QPS) for
/// `SECONDS`: the sandbox never sees more than 20 requests in a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_a_budget_stay_under_the_cap() {
    const CLIENTS: usize = 4;
    const TASKS: usize = 4;
    const SECONDS: u64 = 3;
    let cap = 20;
    let server = Arc::new(MockServer::start().await);
    let limiter = Arc::new(MemoryRateLimiter::new());
    // One token for all (the sandbox, like Douyin, keeps only the two newest).
    let tokens = Arc::new(douyin_goodlife::MemoryTokenStore::new());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            builder(&server)
                .token_store(tokens.clone())
                .rate_limit(RateLimit::spec().limiter(limiter.clone()))
                .build()
                .unwrap()
        })
        .collect();
    for c in &clients {
        c.access_token().await.unwrap();
    }
    let started = tokio::time::Instant::now();
    let stop = started + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for c in &clients {
        for _ in 0..TASKS {
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                let mut ok = 0usize;
                while tokio::time::Instant::now() < stop {
                    if c.trade_order_query(query()).await.is_ok() {
                        ok += 1;
                    }
                }
                ok
            }));
        }
    }
    // The sandbox's count, sampled every millisecond on a thread of its own.
    let sampler = {
        let server = server.clone();
        let until = std::time::Instant::now() + (stop - started) + Duration::from_millis(200);
        std::thread::spawn(move || {
            let origin = std::time::Instant::now();
            let mut samples = Vec::new();
            while std::time::Instant::now() < until {
                samples.push((
                    origin.elapsed(),
                    server.received_count(MockOperation::TradeOrderQuery),
                ));
                std::thread::sleep(Duration::from_millis(1));
            }
            samples
        })
    };
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    let samples = tokio::task::spawn_blocking(move || sampler.join().unwrap())
        .await
        .unwrap();
    let total = server.received_count(MockOperation::TradeOrderQuery);
    let elapsed = started.elapsed().as_secs_f64();
    let worst = max_in_window(&samples, Duration::from_secs(1));
    println!(
        "in-process: {CLIENTS} clients x {TASKS} tasks, cap {cap} QPS: {total} requests ({ok} ok) in {elapsed:.2} s ({:.1}/s between the first and the last); at most {worst} in any 1 s window (sampled every 1 ms)",
        total.saturating_sub(1) as f64 / elapsed
    );
    assert_eq!(ok, total, "every admitted call succeeded");
    assert!(worst <= cap + 1, "{worst} requests in one second");
    assert!(
        total >= (cap * SECONDS as usize) * 8 / 10,
        "the budget was used: {total}"
    );
}
