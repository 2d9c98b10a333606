//! Load: 10,000 calls at concurrency 256 against the sandbox
//! with 5 % of the requests failing transiently. Every call ends, successful or
//! as a typed error after at most the configured attempts; no task is left
//! running; the process's file descriptors return to their starting count once
//! the client (and its keep-alive pool) and the sandbox are dropped.
//!
//! The only test of this binary, so that nothing else opens descriptors or
//! spawns tasks while it counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use douyin_goodlife::mock::{Fault, MockServer, Operation, sample};
use douyin_goodlife::{Client, Error, ErrorCode, RetryConfig, SpuQuery};
use tokio::task::JoinSet;

const CALLS: usize = 10_000;
const CONCURRENCY: usize = 256;
const ATTEMPTS: u32 = 3;
/// Each rule fails every 100th request it sees: five rules, about 5 %.
const EVERY: u32 = 100;
/// Per-attempt timeout and overall deadline of one call.
const TIMEOUT: Duration = Duration::from_secs(5);
const DEADLINE: Duration = Duration::from_secs(20);

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The soft limit on open files (`/proc/self/limits`).
fn fd_soft_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The run holds about 1,000 descriptors at its peak (the client's keep-alive
/// pool and the sandbox's side of each connection, in this one process): under
/// a soft limit of 1024 it would run out. Raise the soft limit (up to the hard
/// one, which any process may do) with util-linux's `prlimit` when it is low.
fn ensure_fd_room() -> Option<u64> {
    if fd_soft_limit().is_some_and(|soft| soft < 4096) {
        let _ = std::process::Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg("--nofile=4096:")
            .status();
    }
    fd_soft_limit()
}

/// Counts live call tasks: +1 when a task starts, −1 when it is dropped,
/// whether it finished or was cancelled.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn enter(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Live(count.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    /// Typed errors by kind.
    http: usize,
    transport: usize,
    too_frequent: usize,
    other: Vec<String>,
    max_attempts: u32,
}

/// Waits (bounded) until `f` holds.
async fn settle(what: &str, limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("{what} did not settle within {limit:?}");
    f()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_at_256_with_5_percent_faults() {
    let fd_limit = ensure_fd_room();
    let fds_before = open_fds();
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();
    let live = Arc::new(AtomicUsize::new(0));

    let started = Instant::now();
    let (tally, requests, token_fetches, fds_peak) = {
        let server = MockServer::start().await;
        for fault in [
            Fault::Status(503),
            Fault::Status(500),
            Fault::Status(429),
            Fault::ConnectionReset,
            Fault::Code(2119003),
        ] {
            server
                .inject(fault)
                .on(Operation::GetFoodOrderSpuDetail)
                .every(EVERY);
        }
        let client = Client::builder()
            .base_url(server.base_url())
            .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
            .timeout(TIMEOUT)
            .deadline(DEADLINE)
            .retry(
                RetryConfig::default()
                    .max_attempts(ATTEMPTS)
                    .min_delay(Duration::from_millis(5))
                    .max_delay(Duration::from_millis(50))
                    .too_frequent_delay(Duration::from_millis(20)),
            )
            .build()
            .unwrap();
        let query = SpuQuery::by_spu_id(sample::ROOT_ACCOUNT_ID, sample::SPU_ID);

        // The most descriptors open at once (sampled), for the report.
        let peak = Arc::new(AtomicUsize::new(0));
        let sampler = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(open_fds(), Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };

        // 256 workers take call numbers from a shared counter.
        let next = Arc::new(AtomicUsize::new(0));
        let mut workers = JoinSet::new();
        for _ in 0..CONCURRENCY {
            let (client, query, next, live) =
                (client.clone(), query.clone(), next.clone(), live.clone());
            workers.spawn(async move {
                let _live = Live::enter(&live);
                let mut results = Vec::new();
                while next.fetch_add(1, Ordering::SeqCst) < CALLS {
                    results.push(client.get_food_order_spu(&query).await.map(drop));
                }
                results
            });
        }
        let mut tally = Tally::default();
        let mut ended = 0;
        let all = async {
            while let Some(joined) = workers.join_next().await {
                for result in joined.expect("a worker panicked") {
                    ended += 1;
                    match result {
                        Ok(()) => tally.ok += 1,
                        Err(e) => {
                            tally.max_attempts = tally.max_attempts.max(e.attempts());
                            match &e {
                                Error::Http { status, .. } if [500, 503, 429].contains(status) => {
                                    tally.http += 1
                                }
                                Error::Transport { .. } => tally.transport += 1,
                                Error::Api {
                                    code: ErrorCode::TooFrequent,
                                    ..
                                } => tally.too_frequent += 1,
                                other => tally.other.push(format!("{other:?}")),
                            }
                        }
                    }
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(120), all)
            .await
            .expect("10,000 calls within 120 s");
        assert_eq!(ended, CALLS, "every call ended");
        assert!(workers.is_empty());
        let requests = server.received_count(Operation::GetFoodOrderSpuDetail);
        let token_fetches = server.received_count(Operation::GetClientToken);
        sampler.abort();
        let _ = sampler.await;
        drop(client);
        drop(server);
        (tally, requests, token_fetches, peak.load(Ordering::SeqCst))
    };
    let elapsed = started.elapsed();

    let tasks_back = settle("tasks", Duration::from_secs(10), || {
        live.load(Ordering::SeqCst) == 0 && metrics.num_alive_tasks() <= tasks_before
    })
    .await;
    let fds_back = settle("file descriptors", Duration::from_secs(10), || {
        open_fds() <= fds_before
    })
    .await;
    let fds_after = open_fds();
    println!(
        "load: {CALLS} calls at {CONCURRENCY} in {} ms: {} ok, {} HTTP, {} transport, {} 2119003 \
         after {ATTEMPTS} attempts; {requests} requests ({:.1} % extra), {token_fetches} token \
         fetch(es); fds {fds_before} -> peak {fds_peak} -> {fds_after} (soft limit {fd_limit:?}); tasks {tasks_before} -> {}",
        elapsed.as_millis(),
        tally.ok,
        tally.http,
        tally.transport,
        tally.too_frequent,
        (requests as f64 / CALLS as f64 - 1.0) * 100.0,
        metrics.num_alive_tasks(),
    );

    assert!(
        tally.other.is_empty(),
        "untyped or unexpected: {:?}",
        tally.other
    );
    assert_eq!(
        tally.ok + tally.http + tally.transport + tally.too_frequent,
        CALLS
    );
    assert!(tally.max_attempts <= ATTEMPTS, "{tally:?}");
    // About 5 % of the requests failed, so some calls needed retries, and
    // (5 %)³ of them could fail for good: the great majority succeeded.
    assert!(
        requests > CALLS,
        "faults caused retries: {requests} requests"
    );
    assert!(
        requests <= CALLS * ATTEMPTS as usize,
        "bounded attempts: {requests} requests"
    );
    assert!(tally.ok >= CALLS * 99 / 100, "{tally:?}");
    assert_eq!(token_fetches, 1, "one token for 10,000 calls");
    assert!(
        tasks_back,
        "tasks leaked: {} live call tasks, {} runtime tasks (started with {tasks_before})",
        live.load(Ordering::SeqCst),
        metrics.num_alive_tasks()
    );
    assert!(
        fds_back,
        "file descriptors leaked: {fds_before} before, {fds_after} after"
    );
}
