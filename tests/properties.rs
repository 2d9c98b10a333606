//! Property tests (proptest) over every number that comes from the network or
//! from configuration: whatever the value, nothing panics and the result is
//! exact or capped, or a typed error naming the field.
//!
//! - `Retry-After` (delay-seconds of any size, signed, fractional, garbage,
//!   HTTP-dates far in the past and future) through a whole call;
//! - the token answer's `expires_in` through `decode::client_token` and
//!   through a token fetch into the cache (lifetime and expiry);
//! - `extra.now` in seconds or milliseconds;
//! - every integer leaf of every operation's documented answer, as a JSON
//!   number or a numeric string, through the lenient repair;
//! - retry, timeout, deadline, refresh and rate-limit configuration of any
//!   size at build and at the first call.
//!
//! 256 cases each (64 for the ones that make a call per case). The private
//! parsers have properties of their own next to them (`src/retry.rs`).

mod common;
mod raw_http;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use douyin_goodlife::rate_limit::{OnFull, Quota, RateLimit};
use douyin_goodlife::{
    AccessToken, Client, Clock, Error, ManualClock, Operation, OrderQuery, RefreshPolicy,
    RetryConfig, Sleeper, decode,
};
use futures::future::BoxFuture;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use raw_http::{Behaviour, RawServer};
use serde_json::{Value, json};

/// The longest `Retry-After` the client honours (an hour).
const MAX_RETRY_AFTER: u64 = 3600;
/// The longest token lifetime the client believes (30 days).
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn query() -> OrderQuery {
    OrderQuery::new("acc", "poi", 1_732_896_000, 1_732_982_400)
}

/// A successful order page.
const ORDERS_OK: &str = r#"{"data":{"error_code":0,"description":"","order_list":[],"total":0},"extra":{"error_code":0,"description":"","logid":"L","now":1}}"#;

/// Records every delay asked for and does not wait.
#[derive(Debug, Default)]
struct Recording(Mutex<Vec<Duration>>);

impl Recording {
    fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Sleeper for Recording {
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(delay);
        Box::pin(async {})
    }
}

// ---------------------------------------------------------------- Retry-After

/// A `Retry-After` value and the seconds the client must take from it.
#[derive(Clone, Debug)]
enum RetryAfter {
    /// Exactly these seconds (capped).
    Exact(String, Option<u64>),
    /// Whatever it parses to is capped.
    Any(String),
}

fn retry_after() -> impl Strategy<Value = RetryAfter> {
    let capped = |s: u64| Some(s.min(MAX_RETRY_AFTER));
    prop_oneof![
        any::<u64>().prop_map(move |s| RetryAfter::Exact(s.to_string(), capped(s))),
        (0u64..10_000).prop_map(move |s| RetryAfter::Exact(s.to_string(), capped(s))),
        Just(RetryAfter::Exact(u64::MAX.to_string(), capped(u64::MAX))),
        // Beyond u64: still "a very long time".
        "[1-9][0-9]{20,60}".prop_map(|d| RetryAfter::Exact(d, Some(MAX_RETRY_AFTER))),
        // Signed, fractional, exponents: no delay-seconds.
        any::<i64>().prop_map(|n| RetryAfter::Exact(format!("{n:+}"), None)),
        (any::<u32>(), 1u32..100).prop_map(|(s, f)| RetryAfter::Exact(format!("{s}.{f}"), None)),
        any::<u32>().prop_map(|s| RetryAfter::Exact(format!("{s}e3"), None)),
        // HTTP-dates long past (0) and far ahead (capped).
        (0u64..946_684_800).prop_map(|s| {
            RetryAfter::Exact(
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(s)),
                Some(0),
            )
        }),
        (4_102_444_800u64..253_402_300_799).prop_map(|s| {
            RetryAfter::Exact(
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(s)),
                Some(MAX_RETRY_AFTER),
            )
        }),
        // Garbage, and text that is not ASCII (not a header string).
        "[ -~]{0,40}".prop_map(RetryAfter::Any),
        "[a-z0-9 é日]{1,20}".prop_map(RetryAfter::Any),
    ]
}

#[test]
fn retry_after_of_any_kind_through_a_call() {
    let rt = runtime();
    let header = Arc::new(Mutex::new(String::new()));
    let shown = header.clone();
    let server = rt.block_on(RawServer::start(Behaviour::Answer(Arc::new(move |_| {
        let value = shown.lock().unwrap().clone();
        raw_http::answer(503, &[("retry-after", value.as_str())], "{}")
    }))));
    let sleeper = Arc::new(Recording::default());
    let client = Client::builder()
        .base_url(server.http_url())
        .access_token("clt.properties")
        .retry(
            RetryConfig::default()
                .max_attempts(2)
                .fixed_delays([Duration::ZERO])
                .sleeper(sleeper.clone()),
        )
        // Longer than the longest Retry-After honoured: the retry is made.
        .deadline(Duration::from_secs(2 * MAX_RETRY_AFTER))
        .build()
        .unwrap();
    let mut runner = TestRunner::new(config(256));
    runner
        .run(&retry_after(), |case| {
            let (text, want) = match &case {
                RetryAfter::Exact(t, w) => (t.clone(), Some(*w)),
                RetryAfter::Any(t) => (t.clone(), None),
            };
            *header.lock().unwrap() = text;
            let e = rt
                .block_on(client.query_reservation_orders(&query()))
                .unwrap_err();
            let Error::Http {
                status: 503,
                retry_after,
                ..
            } = e
            else {
                panic!("{e:?}");
            };
            if let Some(want) = want {
                prop_assert_eq!(retry_after, want);
            }
            prop_assert!(retry_after.is_none_or(|s| s <= MAX_RETRY_AFTER));
            prop_assert_eq!(e.attempts(), 2);
            // The one wait before the retry is what the header asked, capped.
            prop_assert_eq!(
                sleeper.take(),
                vec![Duration::from_secs(retry_after.unwrap_or(0))]
            );
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------- expires_in

/// `expires_in` as it may come: a number or a numeric string, of any size.
#[derive(Clone, Debug)]
enum Wire {
    /// An i64, as a number or (when `text`) as a string, padded or signed.
    Int { n: i64, text: Option<u8> },
    /// Beyond i64 (a number or a string).
    Big { n: u64, text: bool },
    /// A fraction or an exponent, or no number at all.
    Junk(String),
}

impl Wire {
    fn json(&self) -> Value {
        match self {
            Wire::Int { n, text: None } => json!(n),
            Wire::Int { n, text: Some(0) } => json!(n.to_string()),
            Wire::Int { n, text: Some(1) } => json!(format!(" {n} ")),
            Wire::Int { n, text: Some(_) } => json!(format!("{n:+}")),
            Wire::Big { n, text: false } => json!(n),
            Wire::Big { n, text: true } => json!(n.to_string()),
            Wire::Junk(s) => match s.parse::<f64>() {
                Ok(f) if s.contains('.') && f.is_finite() => json!(f),
                _ => json!(s),
            },
        }
    }

    /// The exact integer it stands for, when it fits an i64.
    fn exact(&self) -> Option<i64> {
        match self {
            Wire::Int { n, .. } => Some(*n),
            _ => None,
        }
    }
}

fn wire_int() -> impl Strategy<Value = Wire> {
    let int = prop_oneof![
        any::<i64>(),
        Just(i64::MAX),
        Just(i64::MIN),
        Just(0i64),
        -10i64..10_000,
        (i64::MAX - 1000)..=i64::MAX,
    ];
    prop_oneof![
        4 => (int, proptest::option::of(0u8..3)).prop_map(|(n, text)| Wire::Int { n, text }),
        1 => ((i64::MAX as u64 + 1)..=u64::MAX, any::<bool>())
            .prop_map(|(n, text)| Wire::Big { n, text }),
        1 => prop_oneof![
            (any::<i32>(), 1u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
            any::<u32>().prop_map(|a| format!("{a}e2")),
            "[a-z ]{0,8}",
            Just("NaN".to_string()),
            Just("-".to_string()),
        ]
        .prop_map(Wire::Junk),
    ]
}

fn token_body(expires_in: &Value) -> String {
    json!({
        "data": {"access_token": "clt.properties", "expires_in": expires_in, "error_code": 0, "description": ""},
        "message": "success"
    })
    .to_string()
}

proptest! {
    #![proptest_config(config(256))]

    /// `decode::client_token`: the exact value, or a `Decode` error at
    /// `data.expires_in`.
    #[test]
    fn expires_in_decodes_exactly_or_names_its_path(wire in wire_int()) {
        let body = token_body(&wire.json());
        match (decode::client_token(body.as_bytes()), wire.exact()) {
            (Ok(answer), Some(n)) => prop_assert_eq!(answer.data().expires_in, Some(n)),
            (Err(Error::Decode { path, .. }), None) => prop_assert_eq!(path, "data.expires_in"),
            (other, want) => prop_assert!(false, "{wire:?} (want {want:?}): {other:?}"),
        }
    }

    /// `extra.now` in seconds is kept, 13 digits are milliseconds; beyond i64
    /// it is a `Decode` error at `extra.now`.
    #[test]
    fn extra_now_in_seconds_or_milliseconds(wire in wire_int(), secs in 1_000_000_000i64..10_000_000_000, ms in 0i64..1000) {
        let body = |now: &Value| {
            json!({
                "data": {"error_code": 0, "description": "", "order_list": [], "total": 0},
                "extra": {"error_code": 0, "description": "", "logid": "L", "now": now}
            })
            .to_string()
        };
        match (decode::reservation_orders(body(&wire.json()).as_bytes()), wire.exact()) {
            (Ok(page), Some(n)) => {
                let want = if (100_000_000_000..100_000_000_000_000).contains(&n) { n / 1000 } else { n };
                prop_assert_eq!(page.server_time(), Some(want));
            }
            (Err(Error::Decode { path, .. }), None) => prop_assert_eq!(path, "extra.now"),
            (other, want) => prop_assert!(false, "{wire:?} (want {want:?}): {other:?}"),
        }
        // A real clock's value either way reads as the same second.
        let in_ms = decode::reservation_orders(body(&json!(secs * 1000 + ms)).as_bytes()).unwrap();
        let in_s = decode::reservation_orders(body(&json!(secs)).as_bytes()).unwrap();
        prop_assert_eq!(in_ms.server_time(), Some(secs));
        prop_assert_eq!(in_s.server_time(), Some(secs));
    }

    /// The refresh policy with any margin, share and lifetime, at any time:
    /// no panic, the margin within the lifetime.
    #[test]
    fn refresh_margins_of_any_size(
        max_margin in any_duration(),
        fraction in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), 0.0f64..=1.0],
        lifetime in any_duration(),
        issued in any_time(),
        now in any_time(),
    ) {
        let policy = RefreshPolicy::default().max_margin(max_margin).fraction(fraction);
        let margin = policy.margin(lifetime);
        prop_assert!(margin <= lifetime && margin <= max_margin);
        let token = AccessToken::new("clt.properties", issued, issued.checked_add(lifetime));
        let _ = policy.is_fresh(&token, now);
        let _ = token.remaining(now);
        let _ = token.is_valid_at(now);
        prop_assert_eq!(token.lifetime(), issued.checked_add(lifetime).map(|_| lifetime));
    }
}

fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        Just(Duration::from_nanos(1)),
        (0u64..100_000).prop_map(Duration::from_millis),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

/// A wall-clock time from the epoch to near the end of what `SystemTime`
/// holds here.
fn any_time() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        Just(UNIX_EPOCH),
        (1_600_000_000u64..2_000_000_000).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        (0u64..(i64::MAX as u64)).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        ((i64::MAX as u64 - 100_000)..(i64::MAX as u64))
            .prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
    ]
}

/// A token fetch with any `expires_in`, on a clock at any time: the cached
/// token's lifetime is the answer's, capped at 30 days, and its expiry is
/// `issued + lifetime` when a `SystemTime` holds it (else unknown); zero,
/// negative and out-of-range answers are `Decode` errors at `data.expires_in`.
#[test]
fn expires_in_through_the_token_cache() {
    let rt = runtime();
    let expires_in = Arc::new(Mutex::new(json!(7200)));
    let answered = expires_in.clone();
    let server = rt.block_on(RawServer::start(Behaviour::Answer(Arc::new(move |_| {
        let body = token_body(&answered.lock().unwrap());
        raw_http::answer(200, &[], &body)
    }))));
    // One HTTP client for all cases (building one per case is most of the
    // time); each case's `Client` has a token cache of its own.
    #[cfg(feature = "rustls-ring")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut runner = TestRunner::new(config(64));
    runner
        .run(&(wire_int(), any_time()), |(wire, at)| {
            *expires_in.lock().unwrap() = wire.json();
            let clock = Arc::new(ManualClock::new(at));
            let client = Client::builder()
                .base_url(server.http_url())
                .credentials("awkey", "properties-secret")
                .http_client(http.clone())
                .clock(clock.clone())
                .retry(RetryConfig::disabled())
                .build()
                .unwrap();
            let got = rt.block_on(client.access_token());
            match (got, wire.exact()) {
                (Ok(token), Some(n)) if n > 0 => {
                    let lifetime = Duration::from_secs(n as u64).min(MAX_LIFETIME);
                    prop_assert_eq!(token.issued_at(), at);
                    prop_assert_eq!(token.expires_at(), at.checked_add(lifetime));
                    if token.expires_at().is_some() {
                        prop_assert_eq!(token.lifetime(), Some(lifetime));
                    }
                    // Fresh at once: the next call takes it from the cache.
                    prop_assert!(RefreshPolicy::default().is_fresh(&token, clock.now()));
                    let again = rt.block_on(client.access_token()).unwrap();
                    prop_assert_eq!(again.issued_at(), at);
                }
                (Err(Error::Decode { path, .. }), _) => {
                    prop_assert!(wire.exact().is_none_or(|n| n <= 0), "{wire:?}");
                    prop_assert_eq!(path, "data.expires_in");
                }
                (other, _) => prop_assert!(false, "{wire:?}: {other:?}"),
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------- lenient repair

/// Every integer leaf under `data` of `value`: its JSON pointer and its
/// dotted path (`data.order_list[0].book_time`).
fn int_leaves(value: &Value, pointer: &str, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => out.push((pointer.into(), path.into())),
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                int_leaves(v, &format!("{pointer}/{k}"), &p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                int_leaves(v, &format!("{pointer}/{i}"), &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// An operation, its documented answer, and that answer's integer leaves
/// (JSON pointer, dotted path).
type Documented = (Operation, Value, Vec<(String, String)>);

/// [`Documented`] for every operation with integer leaves under `data`.
fn documented() -> &'static [Documented] {
    static ALL: std::sync::OnceLock<Vec<Documented>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        Operation::ALL
            .iter()
            .map(|op| {
                let example = common::spec_example(op.spec().id);
                let mut leaves = Vec::new();
                int_leaves(&example["data"], "/data", "data", &mut leaves);
                // A non-zero code is an API error, not a number to keep.
                leaves.retain(|(_, p)| !p.ends_with("error_code"));
                (*op, example, leaves)
            })
            .filter(|(_, _, leaves)| !leaves.is_empty())
            .collect()
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Any integer field of any operation's answer, given as a JSON number or
    /// a numeric string of any size: decoded to exactly that value, or a
    /// `Decode` error naming exactly that field. Never a panic.
    #[test]
    fn any_integer_field_keeps_its_value_or_names_its_path(
        which in any::<prop::sample::Index>(),
        leaf in any::<prop::sample::Index>(),
        wire in wire_int(),
    ) {
        let all = documented();
        let (op, example, leaves) = &all[which.index(all.len())];
        let (pointer, path) = &leaves[leaf.index(leaves.len())];
        let mut body = example.clone();
        *body.pointer_mut(pointer).unwrap() = wire.json();
        let bytes = serde_json::to_vec(&body).unwrap();
        match decode::answer(*op, &bytes) {
            Ok(answer) => {
                let inside = pointer.strip_prefix("/data").unwrap();
                let got = answer.data().pointer(inside).cloned();
                let want = wire.exact();
                prop_assert!(want.is_some(), "{op:?} {path}: {wire:?} decoded as {got:?}");
                prop_assert_eq!(got, want.map(Value::from), "{:?} {}", op, path);
            }
            Err(Error::Decode { path: at, .. }) => {
                prop_assert_eq!(&at, path, "{:?}: {:?}", op, wire);
                // In range, a number or numeric string is always repaired,
                // unless the field is narrower than i64.
                if let Some(n) = wire.exact() {
                    prop_assert!(i32::try_from(n).is_err(), "{op:?} {path}: {wire:?} refused");
                }
            }
            Err(other) => prop_assert!(false, "{op:?} {path}: {wire:?}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- configuration

/// Retry, timeout, deadline, refresh and rate-limit settings of any size.
#[derive(Clone, Debug)]
struct Settings {
    attempts: u32,
    delays: (Duration, Duration, Duration),
    fixed: Option<Vec<Duration>>,
    timeout: Duration,
    connect_timeout: Duration,
    deadline: Duration,
    refresh: (
        Duration,
        f64,
        Duration,
        Duration,
        Duration,
        Duration,
        Duration,
    ),
    rate: Option<(u32, u32, bool)>,
}

fn settings() -> impl Strategy<Value = Settings> {
    let d = any_duration;
    (
        prop_oneof![Just(0u32), Just(1), Just(u32::MAX), any::<u32>()],
        (d(), d(), d()),
        proptest::option::of(proptest::collection::vec(d(), 0..4)),
        (d(), d(), d()),
        (d(), any::<f64>(), d(), d(), d(), d(), d()),
        proptest::option::of((any::<u32>(), any::<u32>(), any::<bool>())),
    )
        .prop_map(
            |(attempts, delays, fixed, (timeout, connect_timeout, deadline), refresh, rate)| {
                Settings {
                    attempts,
                    delays,
                    fixed,
                    timeout,
                    connect_timeout,
                    deadline,
                    refresh,
                    rate,
                }
            },
        )
}

impl Settings {
    fn client(&self, base_url: &str, sleeper: Arc<Recording>) -> Result<Client, Error> {
        let (min, max, extra) = self.delays;
        let mut retry = RetryConfig::default()
            .max_attempts(self.attempts)
            .min_delay(min)
            .max_delay(max)
            .too_frequent_delay(extra)
            .sleeper(sleeper);
        if let Some(fixed) = &self.fixed {
            retry = retry.fixed_delays(fixed.iter().copied());
        }
        let (max_margin, fraction, after_failure, ttl, wait, poll, store) = self.refresh;
        let policy = RefreshPolicy::default()
            .max_margin(max_margin)
            .fraction(fraction)
            .retry_after_failure(after_failure)
            .lock_ttl(ttl)
            .lock_wait(wait, poll)
            .store_timeout(store);
        let mut builder = Client::builder()
            .base_url(base_url)
            .credentials("awkey", "properties-secret")
            .retry(retry)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .deadline(self.deadline)
            .refresh_policy(policy);
        if let Some((per_second, burst, wait)) = self.rate {
            let limit = match Quota::per_second(per_second) {
                Some(q) => {
                    RateLimit::spec().limit(Operation::QueryReservationOrders, q.burst(burst))
                }
                None => RateLimit::spec(),
            };
            let limit = limit.on_full(if wait { OnFull::Wait } else { OnFull::Fail });
            builder = builder.rate_limit(limit);
        }
        builder.build()
    }
}

/// Any settings build without a panic, and the first call ends (within a
/// bound of its own, as a deadline of `Duration::MAX` allows a very long
/// one) in success or a typed error, never a panic.
#[test]
fn configuration_of_any_size_builds_and_calls() {
    let rt = runtime();
    let server = rt.block_on(RawServer::start(Behaviour::Answer(Arc::new(|request| {
        let head = String::from_utf8_lossy(request);
        if head.starts_with("POST /oauth/client_token/") {
            raw_http::answer(200, &[], &token_body(&json!(7200)))
        } else {
            raw_http::answer(200, &[], ORDERS_OK)
        }
    }))));
    let mut runner = TestRunner::new(config(64));
    runner
        .run(&settings(), |settings| {
            let sleeper = Arc::new(Recording::default());
            let client = settings
                .client(&server.http_url(), sleeper.clone())
                .expect("any settings build");
            let q = query();
            let call = client.query_reservation_orders(&q);
            match rt
                .block_on(async { tokio::time::timeout(Duration::from_millis(200), call).await })
            {
                Err(_) => {} // still retrying: a config that asks for it
                Ok(Ok(_)) => {}
                // Not `TokenStore`: the memory store cannot fail (a panic in
                // the token flight's task would show as one).
                Ok(Err(
                    Error::Transport { .. } | Error::Deadline { .. } | Error::RateLimited { .. },
                )) => {}
                Ok(Err(other)) => prop_assert!(false, "{settings:?}: {other:?}"),
            }
            Ok(())
        })
        .unwrap();
}
