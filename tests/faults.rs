//! The fault matrix: one table-driven test of the SDK
//! against every failure the sandbox can produce. Each row runs on a fresh
//! sandbox with a client holding credentials and the same retry policy, and
//! asserts: the requests the server received (never more than the configured
//! attempts, plus one replay after a token refresh), the wall time (within the
//! overall deadline plus a slack), the typed outcome, and for the stream row
//! that the items yielded before the failure are kept.
//!
//! The measured matrix is written to `target/reliability-matrix.md`
//! (`docs/reliability.md` holds a copy).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use douyin_goodlife::mock::{Fault, MockServer, Operation, sample};
use douyin_goodlife::{Client, Error, ErrorCode, OrderQuery, RetryConfig};
use futures::StreamExt;

/// Attempts per call.
const ATTEMPTS: u32 = 3;
/// Per-attempt timeout of the matrix's client.
const TIMEOUT: Duration = Duration::from_millis(300);
/// Overall deadline of one call.
const DEADLINE: Duration = Duration::from_millis(1500);
/// Allowed beyond the deadline: scheduling on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(500);
/// Backoff of the matrix's client (full jitter, seeded).
const MIN_DELAY: Duration = Duration::from_millis(10);
const MAX_DELAY: Duration = Duration::from_millis(40);
const TOO_FREQUENT_DELAY: Duration = Duration::from_millis(50);

const ORDERS: Operation = Operation::QueryReservationOrders;

/// What the call is expected to end with.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Ok,
    Http(u16),
    /// `phase`: see [`phase`].
    Transport {
        timeout: bool,
        phase: &'static str,
    },
    Deadline,
    Api(ErrorCode),
    Decode,
}

impl Expect {
    fn describe(self) -> String {
        match self {
            Expect::Ok => "success".into(),
            Expect::Http(s) => format!("`Http` {s}"),
            Expect::Transport {
                timeout: true,
                phase,
            } => format!("`Transport` (timeout, {phase})"),
            Expect::Transport {
                timeout: false,
                phase,
            } => format!("`Transport` ({phase})"),
            Expect::Deadline => "`Deadline`".into(),
            Expect::Api(code) => format!("`Api` {}", code.code()),
            Expect::Decode => "`Decode`".into(),
        }
    }

    fn matches(self, outcome: &Result<(), Error>) -> bool {
        match (self, outcome) {
            (Expect::Ok, Ok(())) => true,
            (Expect::Http(want), Err(Error::Http { status, .. })) => *status == want,
            (
                Expect::Transport {
                    timeout: want,
                    phase: want_phase,
                },
                Err(Error::Transport {
                    timeout, source, ..
                }),
            ) => *timeout == want && phase(source) == want_phase,
            (Expect::Deadline, Err(Error::Deadline { .. })) => true,
            (Expect::Api(want), Err(e @ Error::Api { .. })) => e.code() == Some(want),
            (Expect::Decode, Err(Error::Decode { .. })) => true,
            _ => false,
        }
    }
}

/// How a row calls.
#[derive(Clone, Copy, Debug)]
enum Call {
    /// One `query_reservation_orders` of the sample day.
    Orders,
    /// `orders_stream` of the sample day; the fault is injected once the first
    /// page's items are all yielded, so it hits page 2.
    StreamFailingAtPage2,
}

struct Row {
    name: &'static str,
    fault: Fault,
    on: Operation,
    /// `None`: every matching request.
    times: Option<u32>,
    call: Call,
    /// Per-attempt timeout of this row's client.
    timeout: Duration,
    expect: Expect,
    /// Requests the server must receive for the operation (all pages together
    /// for the stream).
    requests: usize,
    /// `Error::attempts()` of the failed call (0 on success).
    attempts: u32,
    /// Token fetches the server must receive.
    token_fetches: usize,
}

fn row(
    name: &'static str,
    fault: Fault,
    times: Option<u32>,
    expect: Expect,
    requests: usize,
) -> Row {
    let attempts = if expect == Expect::Ok {
        0
    } else {
        requests as u32
    };
    Row {
        name,
        fault,
        on: ORDERS,
        times,
        call: Call::Orders,
        timeout: TIMEOUT,
        expect,
        requests,
        attempts,
        token_fetches: 1,
    }
}

fn rows() -> Vec<Row> {
    let n = ATTEMPTS as usize;
    let reset = |phase| Expect::Transport {
        timeout: false,
        phase,
    };
    let timed_out = |phase| Expect::Transport {
        timeout: true,
        phase,
    };
    let mut rows = vec![
        row("HTTP 500", Fault::Status(500), None, Expect::Http(500), n),
        row("HTTP 502", Fault::Status(502), None, Expect::Http(502), n),
        row("HTTP 503", Fault::Status(503), None, Expect::Http(503), n),
        row("HTTP 504", Fault::Status(504), None, Expect::Http(504), n),
        row("HTTP 429", Fault::Status(429), None, Expect::Http(429), n),
        row("HTTP 501 (not retried)", Fault::Status(501), None, Expect::Http(501), 1),
        row("HTTP 505 (not retried)", Fault::Status(505), None, Expect::Http(505), 1),
        row(
            "numbers as strings (HTTP 200)",
            Fault::Body(
                r#"{"data":{"error_code":"0","description":"success","order_list":[],"total":"0"},"extra":{"error_code":"0","logid":"L","now":"1732947576"}}"#.into(),
            ),
            Some(1),
            Expect::Ok,
            1,
        ),
        row(
            "null order_list and extra (HTTP 200)",
            Fault::Body(r#"{"data":{"error_code":0,"order_list":null,"total":0},"extra":null}"#.into()),
            Some(1),
            Expect::Ok,
            1,
        ),
        row(
            "HTTP 503 once, then 200",
            Fault::Status(503),
            Some(1),
            Expect::Ok,
            2,
        ),
        row(
            "reset before headers",
            Fault::ConnectionReset,
            None,
            reset("request"),
            n,
        ),
        row(
            "reset after headers",
            Fault::ResetAfterHeaders,
            None,
            reset("body"),
            n,
        ),
        row(
            "reset after headers once, then 200",
            Fault::ResetAfterHeaders,
            Some(1),
            Expect::Ok,
            2,
        ),
        row(
            "truncated body",
            Fault::TruncatedBody,
            None,
            reset("body"),
            n,
        ),
        row(
            "slow body past the per-attempt timeout",
            Fault::SlowBody(Duration::from_secs(5)),
            None,
            timed_out("body"),
            n,
        ),
        row(
            "never answers (per-attempt timeout 300 ms)",
            Fault::NoAnswer,
            None,
            timed_out("request"),
            n,
        ),
        Row {
            timeout: Duration::from_secs(30),
            attempts: 1,
            ..row(
                "never answers (per-attempt timeout 30 s)",
                Fault::NoAnswer,
                None,
                Expect::Deadline,
                1,
            )
        },
        row(
            "malformed JSON (HTTP 200)",
            Fault::MalformedJson,
            None,
            Expect::Decode,
            1,
        ),
        row(
            "2119003 storm",
            Fault::Code(2119003),
            None,
            Expect::Api(ErrorCode::TooFrequent),
            n,
        ),
        row(
            "13000 once, then success",
            Fault::Code(13000),
            Some(1),
            Expect::Ok,
            2,
        ),
        row(
            "2119005 (not retryable)",
            Fault::Code(2119005),
            None,
            Expect::Api(ErrorCode::MerchantNotAuthorized),
            1,
        ),
        Row {
            token_fetches: 2,
            ..row("2190008 once", Fault::Code(2190008), Some(1), Expect::Ok, 2)
        },
        Row {
            token_fetches: 2,
            ..row(
                "2190008 forever",
                Fault::Code(2190008),
                None,
                Expect::Api(ErrorCode::AccessTokenExpired),
                2,
            )
        },
        Row {
            on: Operation::GetClientToken,
            ..row(
                "10020 on the token fetch",
                Fault::Code(10020),
                None,
                Expect::Api(ErrorCode::TokenRateLimited),
                1,
            )
        },
    ];
    rows.push(Row {
        call: Call::StreamFailingAtPage2,
        attempts: ATTEMPTS,
        ..row(
            "HTTP 503 from page 2 of a stream",
            Fault::Status(503),
            None,
            Expect::Http(503),
            1 + n,
        )
    });
    rows
}

fn day_query() -> OrderQuery {
    OrderQuery::new(
        sample::ACCOUNT_ID,
        sample::POI_ID,
        sample::DAY_START,
        sample::DAY_END,
    )
}

fn client(server: &MockServer, timeout: Duration) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .credentials(sample::CLIENT_KEY, sample::CLIENT_SECRET)
        .timeout(timeout)
        .connect_timeout(TIMEOUT)
        .deadline(DEADLINE)
        .retry(
            RetryConfig::default()
                .max_attempts(ATTEMPTS)
                .min_delay(MIN_DELAY)
                .max_delay(MAX_DELAY)
                .too_frequent_delay(TOO_FREQUENT_DELAY)
                .jitter_seed(9),
        )
        .build()
        .expect("client")
}

fn inject(server: &MockServer, row: &Row) {
    let rule = server.inject(row.fault.clone()).on(row.on);
    if let Some(n) = row.times {
        rule.times(n);
    }
}

/// What one row measured.
struct Measured {
    outcome: Result<(), Error>,
    requests: usize,
    token_fetches: usize,
    /// Business requests (orders).
    orders: usize,
    elapsed: Duration,
    /// Stream rows: items yielded before the error, and whether they are the
    /// dataset's first page in order.
    kept: Option<(usize, bool)>,
}

/// The sample day's orders, in the order the sandbox pages them.
fn day_order_ids(server: &MockServer) -> Vec<String> {
    // The dataset keeps a POI's orders sorted by booking time, as it pages them.
    server.dataset().merchants[0].pois[0]
        .orders
        .iter()
        .filter(|o| (sample::DAY_START..sample::DAY_END).contains(&o.book_time.unwrap()))
        .map(|o| o.book_id.clone().unwrap())
        .collect()
}

async fn run_row(row: &Row) -> Measured {
    let server = MockServer::start().await;
    let client = client(&server, row.timeout);
    // The token is fetched first (outside the measured call) unless the row is
    // about the token fetch itself.
    if row.on != Operation::GetClientToken {
        client
            .access_token()
            .await
            .expect("a token before the fault");
    }
    let started = Instant::now();
    let mut kept = None;
    let outcome = match row.call {
        Call::Orders => {
            inject(&server, row);
            client
                .query_reservation_orders(&day_query())
                .await
                .map(drop)
        }
        Call::StreamFailingAtPage2 => {
            let mut stream = client.orders_stream(day_query());
            let mut ids = Vec::new();
            let mut end = Ok(());
            // Bounded: the sample day has at most 160 orders.
            for _ in 0..1000 {
                if ids.len() == 50 && server.received_count(ORDERS) == 1 {
                    // The first page is used up; nothing for page 2 is sent yet.
                    inject(&server, row);
                }
                match stream.next().await {
                    Some(Ok(order)) => ids.push(order.book_id.clone().unwrap_or_default()),
                    Some(Err(e)) => {
                        end = Err(e);
                        break;
                    }
                    None => break,
                }
            }
            assert!(
                stream.next().await.is_none(),
                "{}: the stream ends after its error",
                row.name
            );
            let expected = day_order_ids(&server);
            kept = Some((
                ids.len(),
                ids[..] == expected[..ids.len().min(expected.len())],
            ));
            end
        }
    };
    let elapsed = started.elapsed();
    // Give a late request (there must be none) the chance to be counted.
    tokio::time::sleep(Duration::from_millis(20)).await;
    Measured {
        outcome,
        requests: server.received_count(row.on),
        token_fetches: server.received_count(Operation::GetClientToken),
        orders: server.received_count(ORDERS),
        elapsed,
        kept,
    }
}

fn outcome_text(m: &Measured) -> String {
    match &m.outcome {
        Ok(()) => "success".into(),
        Err(e) => {
            let what = match e {
                Error::Http { status, .. } => format!("`Http` {status}"),
                Error::Transport {
                    timeout: true,
                    source,
                    ..
                } => format!("`Transport` (timeout, {})", phase(source)),
                Error::Transport { source, .. } => format!("`Transport` ({})", phase(source)),
                Error::Deadline { .. } => "`Deadline`".into(),
                Error::Api { code, .. } => format!("`Api` {}", code.code()),
                Error::Decode { .. } => "`Decode`".into(),
                other => format!("{other:?}"),
            };
            match m.kept {
                Some((n, _)) => format!("{what}, {n} items kept"),
                None => what,
            }
        }
    }
}

/// Where in the exchange a transport error happened: before the answer's
/// head arrived (`request`), or while its body was read (`body`).
fn phase(e: &reqwest::Error) -> &'static str {
    if e.is_body() || e.is_decode() {
        "body"
    } else if e.is_connect() {
        "connect"
    } else if e.is_request() {
        "request"
    } else {
        "other"
    }
}

fn matrix_path() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("reliability-matrix.md")
}

#[tokio::test]
async fn fault_matrix() {
    let rows = rows();
    let mut table = String::from(
        "| row | expected | outcome | requests (max) | error attempts | token fetches | elapsed ms |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let mut failures = Vec::new();
    for row in &rows {
        let measured = tokio::time::timeout(DEADLINE * 2 + Duration::from_secs(5), run_row(row))
            .await
            .unwrap_or_else(|_| panic!("{}: the row hung", row.name));
        let m = &measured;
        let attempts = m.outcome.as_ref().err().map_or(0, Error::attempts);
        // The stream row makes two calls (page 1, then page 2): two deadlines.
        let calls = if matches!(row.call, Call::StreamFailingAtPage2) {
            2
        } else {
            1
        };
        let bound = DEADLINE * calls + SLACK;
        let max_requests = match row.call {
            Call::Orders => ATTEMPTS as usize + 1,
            Call::StreamFailingAtPage2 => 1 + ATTEMPTS as usize,
        };
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} ({}) | {} | {} | {} |",
            row.name,
            row.expect.describe(),
            outcome_text(m),
            m.requests,
            max_requests,
            attempts,
            m.token_fetches,
            m.elapsed.as_millis()
        );
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{}: {what}", row.name));
            }
        };
        check(
            row.expect.matches(&m.outcome),
            format!("expected {}, got {:?}", row.expect.describe(), m.outcome),
        );
        check(
            m.requests == row.requests && m.requests <= max_requests,
            format!(
                "{} requests, expected {} (at most {max_requests})",
                m.requests, row.requests
            ),
        );
        check(
            attempts == row.attempts && attempts <= ATTEMPTS,
            format!("error says {attempts} attempts, expected {}", row.attempts),
        );
        check(
            m.token_fetches == row.token_fetches,
            format!(
                "{} token fetches, expected {}",
                m.token_fetches, row.token_fetches
            ),
        );
        check(
            m.elapsed <= bound,
            format!("took {:?}, more than {bound:?}", m.elapsed),
        );
        if row.on == Operation::GetClientToken {
            check(
                m.orders == 0,
                format!("{} business requests without a token", m.orders),
            );
        }
        if let Some((n, in_order)) = m.kept {
            check(
                n == 50 && in_order,
                format!("kept {n} items (in order: {in_order}), expected page 1's 50"),
            );
        }
        // Deadline rows really waited for the deadline; timeouts took their time.
        match row.expect {
            Expect::Deadline => check(
                m.elapsed >= DEADLINE,
                format!("ended early: {:?}", m.elapsed),
            ),
            Expect::Transport { timeout: true, .. } => check(
                m.elapsed >= TIMEOUT * ATTEMPTS,
                format!("{} timeouts in {:?}", ATTEMPTS, m.elapsed),
            ),
            Expect::Api(ErrorCode::TooFrequent) => check(
                m.elapsed >= TOO_FREQUENT_DELAY * (ATTEMPTS - 1),
                format!("no 2119003 backoff in {:?}", m.elapsed),
            ),
            _ => {}
        }
    }
    let header = format!(
        "Fault matrix: {ATTEMPTS} attempts, per-attempt timeout {} ms, deadline {} ms \
         (+{} ms slack), backoff {}–{} ms full jitter (+{} ms after 2119003).\n\n",
        TIMEOUT.as_millis(),
        DEADLINE.as_millis(),
        SLACK.as_millis(),
        MIN_DELAY.as_millis(),
        MAX_DELAY.as_millis(),
        TOO_FREQUENT_DELAY.as_millis(),
    );
    let path = matrix_path();
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    std::fs::write(&path, format!("{header}{table}")).expect("write the matrix");
    println!("{header}{table}");
    assert!(failures.is_empty(), "{}\n\n{table}", failures.join("\n"));
}

/// `Injection::every(n)` (the load test's 5 %) fails exactly every n-th
/// matching request, and combines with `times`.
#[tokio::test]
async fn every_nth_request_fails_and_times_ends_the_rule() {
    tokio::time::timeout(Duration::from_secs(30), async {
        let server = MockServer::start().await;
        let client = Client::builder()
            .base_url(server.base_url())
            .access_token(server.issue_token())
            .retry(RetryConfig::disabled())
            .build()
            .unwrap();
        let rule = server
            .inject(Fault::Status(503))
            .on(ORDERS)
            .every(4)
            .times(2);
        let mut failed = Vec::new();
        for i in 1..=16 {
            if client.query_reservation_orders(&day_query()).await.is_err() {
                failed.push(i);
            }
        }
        assert_eq!(failed, [4, 8], "every 4th, twice");
        assert_eq!(rule.hits(), 2);
        assert_eq!(server.received_count(ORDERS), 16);
    })
    .await
    .expect("within 30 s");
}
