//! Client-side rate limits: spend an application's per-operation budget
//! before Douyin refuses the excess.
//!
//! Douyin limits calls per application and per operation; the spec gives the
//! documented limit of each operation as `x-douyin-qps`
//! ([`OperationSpec::qps`](crate::spec::OperationSpec::qps), e.g. 200 for
//! `certificate_prepare`). With [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)
//! every attempt first books a slot of its operation:
//!
//! - limits come from the spec, or [`RateLimit::limit`] per operation
//!   (operations without `x-douyin-qps` and without an override are not
//!   limited);
//! - a call waits for its slot within its deadline ([`OnFull::Wait`], the
//!   default), or fails at once with [`Error::RateLimited`] ([`OnFull::Fail`]);
//!   a call whose slot lies past its deadline fails with `RateLimited` without
//!   waiting;
//! - the budget is kept in this process ([`MemoryRateLimiter`], the default)
//!   or shared by every process of the application through Redis
//!   ([`RedisRateLimiter`], feature `redis`).
//!
//! The algorithm is GCRA (the generic cell rate algorithm) with bookings: each
//! key holds a "theoretical arrival time"; a call books the next slot (one
//! emission interval, `1 s / qps`, after the previous one) if it comes within
//! the caller's wait, and sleeps until it. One step per call, no polling: many
//! waiting callers are served in order, spaced by the interval. The Redis
//! limiter runs the same step as one Lua script on Redis's own clock.
//!
//! **Off by default.** Douyin's quota is the application's, across all of its
//! processes: an in-process limiter at the spec's numbers would still let N
//! processes send N times the quota, and would make calls wait where none of
//! them comes near the limit. Only the caller knows its fleet, so it turns the
//! limiter on (with a shared [`RedisRateLimiter`] for a fleet, or a share of
//! the quota per process via [`RateLimit::limit`]).
//!
//! ```
//! use douyin_goodlife::{Client, OnFull, Operation, Quota, RateLimit};
//!
//! let client = Client::builder()
//!     .access_token("clt.xxx")
//!     // The spec's limits, but certificate_prepare at 50 QPS; fail instead of waiting.
//!     .rate_limit(
//!         RateLimit::spec()
//!             .limit(Operation::CertificatePrepare, Quota::per_second(50).unwrap())
//!             .on_full(OnFull::Fail),
//!     )
//!     .build()?;
//! # Ok::<(), douyin_goodlife::Error>(())
//! ```

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use futures::future::BoxFuture;

use crate::Operation;
use crate::clock::Clock;
use crate::error::Error;
use crate::retry::{Sleeper, TokioSleeper};
use crate::spec::OperationSpec;

/// A rate: `per_second` calls per second, in bursts of at most `burst`
/// (default 1: calls evenly spaced by `1 s / per_second`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    per_second: NonZeroU32,
    burst: NonZeroU32,
}

impl Quota {
    /// `per_second` calls per second, bursts of 1; `None` for 0.
    pub fn per_second(per_second: u32) -> Option<Self> {
        Some(Self {
            per_second: NonZeroU32::new(per_second)?,
            burst: NonZeroU32::MIN,
        })
    }

    /// Allows bursts of up to `burst` calls at once (0 counts as 1); the rate
    /// over time stays `per_second`.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// Calls per second.
    pub fn rate(&self) -> u32 {
        self.per_second.get()
    }

    /// The largest burst.
    pub fn max_burst(&self) -> u32 {
        self.burst.get()
    }

    /// The spacing of calls, `1 s / per_second` (at least 1 ns).
    pub fn interval(&self) -> Duration {
        let nanos = 1_000_000_000u64.div_ceil(u64::from(self.per_second.get()));
        Duration::from_nanos(nanos.max(1))
    }

    /// How far ahead of its slot a call may go: `interval × (burst − 1)`.
    pub fn tolerance(&self) -> Duration {
        self.interval()
            .checked_mul(self.burst.get() - 1)
            .unwrap_or(Duration::MAX)
    }
}

/// What a [`RateLimiter`] answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A slot is booked: the call may go after this wait (zero: now).
    After(Duration),
    /// The next slot is further away than the caller would wait; nothing was
    /// booked.
    Full {
        /// How long until the next slot.
        retry_after: Duration,
    },
}

/// Where rate budgets are kept: per key (`{app}:{operation}`), one GCRA step
/// per call.
pub trait RateLimiter: Send + Sync + std::fmt::Debug + 'static {
    /// Books the next slot of `key` under `quota` if it comes within
    /// `max_wait`; otherwise books nothing and says when the next slot is.
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        quota: Quota,
        max_wait: Duration,
    ) -> BoxFuture<'a, Result<Admission, Error>>;
}

/// The GCRA step on a time line in durations since an origin: `tat` is the
/// key's theoretical arrival time, `None` when unknown. Answers the admission
/// and the new `tat` when a slot was booked.
fn gcra(
    tat: Option<Duration>,
    now: Duration,
    quota: Quota,
    max_wait: Duration,
) -> (Admission, Option<Duration>) {
    let tat = tat.map_or(now, |t| t.max(now));
    let allowed_at = tat.saturating_sub(quota.tolerance());
    let wait = allowed_at.saturating_sub(now);
    if wait > max_wait {
        return (Admission::Full { retry_after: wait }, None);
    }
    let next = tat.checked_add(quota.interval()).unwrap_or(Duration::MAX);
    (Admission::After(wait), Some(next))
}

/// Where a [`MemoryRateLimiter`] reads the time.
enum TimeSource {
    Monotonic(std::time::Instant),
    Clock(Arc<dyn Clock>),
}

impl TimeSource {
    fn now(&self) -> Duration {
        match self {
            TimeSource::Monotonic(origin) => origin.elapsed(),
            TimeSource::Clock(clock) => clock.now().duration_since(UNIX_EPOCH).unwrap_or_default(),
        }
    }
}

/// Rate budgets in this process's memory (the default limiter). Share one
/// `Arc` of it between clients of one application to share their budget.
pub struct MemoryRateLimiter {
    time: TimeSource,
    tats: Mutex<HashMap<String, Duration>>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryRateLimiter {
    /// An empty limiter on the monotonic clock.
    pub fn new() -> Self {
        Self {
            time: TimeSource::Monotonic(std::time::Instant::now()),
            tats: Mutex::new(HashMap::new()),
        }
    }

    /// An empty limiter reading `clock` (e.g. a `ManualClock` in tests).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            time: TimeSource::Clock(clock),
            tats: Mutex::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for MemoryRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self.tats.lock().map(|t| t.len()).unwrap_or(0);
        f.debug_struct("MemoryRateLimiter")
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

impl RateLimiter for MemoryRateLimiter {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        quota: Quota,
        max_wait: Duration,
    ) -> BoxFuture<'a, Result<Admission, Error>> {
        let now = self.time.now();
        let mut tats = self.tats.lock().unwrap_or_else(|e| e.into_inner());
        let (admission, next) = gcra(tats.get(key).copied(), now, quota, max_wait);
        if let Some(next) = next {
            tats.insert(key.to_string(), next);
        }
        drop(tats);
        Box::pin(async move { Ok(admission) })
    }
}

/// What a call does when its operation's budget is spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnFull {
    /// Waits for its slot, if the slot comes before the call's deadline
    /// (otherwise [`Error::RateLimited`] at once). The default.
    #[default]
    Wait,
    /// Fails at once with [`Error::RateLimited`].
    Fail,
}

/// The client-side rate limit of a client (see the [module](self) docs):
/// [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit).
#[derive(Clone, Debug)]
pub struct RateLimit {
    use_spec: bool,
    overrides: Vec<(Operation, Option<Quota>)>,
    on_full: OnFull,
    limiter: Arc<dyn RateLimiter>,
    fallback: Arc<MemoryRateLimiter>,
    sleeper: Arc<dyn Sleeper>,
    app: Option<String>,
}

impl RateLimit {
    /// The spec's limits (`x-douyin-qps`), waiting for a slot, kept in memory.
    pub fn spec() -> Self {
        Self {
            use_spec: true,
            ..Self::none()
        }
    }

    /// No operation limited until [`limit`](Self::limit) names one.
    pub fn none() -> Self {
        Self {
            use_spec: false,
            overrides: Vec::new(),
            on_full: OnFull::Wait,
            limiter: Arc::new(MemoryRateLimiter::new()),
            fallback: Arc::new(MemoryRateLimiter::new()),
            sleeper: Arc::new(TokioSleeper),
            app: None,
        }
    }

    /// Limits `operation` to `quota`, instead of the spec's limit.
    pub fn limit(mut self, operation: Operation, quota: Quota) -> Self {
        self.overrides.retain(|(op, _)| *op != operation);
        self.overrides.push((operation, Some(quota)));
        self
    }

    /// Does not limit `operation` (whatever the spec says).
    pub fn unlimited(mut self, operation: Operation) -> Self {
        self.overrides.retain(|(op, _)| *op != operation);
        self.overrides.push((operation, None));
        self
    }

    /// What a call does when the budget is spent (default [`OnFull::Wait`]).
    pub fn on_full(mut self, on_full: OnFull) -> Self {
        self.on_full = on_full;
        self
    }

    /// Where the budget is kept (default: a [`MemoryRateLimiter`] of this
    /// client alone). When it fails (e.g. Redis is down) the call is limited
    /// by an in-memory limiter instead, with a `warn` log line.
    pub fn limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// How waits are slept (default tokio's timer; tests inject one).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The application the budget belongs to, the first part of every key
    /// (default: the `client_key`, or `default` for a client with a fixed
    /// token).
    pub fn app(mut self, app: impl Into<String>) -> Self {
        self.app = Some(app.into());
        self
    }

    /// The quota `operation` is held to, if any.
    pub fn quota(&self, spec: &OperationSpec) -> Option<Quota> {
        match self.overrides.iter().find(|(op, _)| *op == spec.operation) {
            Some((_, quota)) => *quota,
            None if self.use_spec => spec.qps.and_then(Quota::per_second),
            None => None,
        }
    }

    /// Fills in the application when none was given.
    pub(crate) fn with_default_app(mut self, app: &str) -> Self {
        if self.app.is_none() {
            self.app = Some(app.to_string());
        }
        self
    }

    /// The key of `operation`'s budget.
    fn key(&self, spec: &OperationSpec) -> String {
        format!("{}:{}", self.app.as_deref().unwrap_or("default"), spec.id)
    }

    /// Books a slot for one attempt of `spec` and waits for it, or fails with
    /// [`Error::RateLimited`]; `deadline` is the end of the call.
    pub(crate) async fn admit(
        &self,
        spec: &'static OperationSpec,
        deadline: tokio::time::Instant,
    ) -> Result<(), Error> {
        let Some(quota) = self.quota(spec) else {
            return Ok(());
        };
        let key = self.key(spec);
        loop {
            let max_wait = match self.on_full {
                OnFull::Fail => Duration::ZERO,
                OnFull::Wait => deadline.saturating_duration_since(tokio::time::Instant::now()),
            };
            let admission = match self.limiter.acquire(&key, quota, max_wait).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(
                        target: "douyin_goodlife::rate_limit",
                        operation = spec.id,
                        error = %e,
                        "rate limiter failed; limiting in this process instead"
                    );
                    self.fallback.acquire(&key, quota, max_wait).await?
                }
            };
            let wait = match admission {
                Admission::After(wait) => wait,
                Admission::Full { retry_after } => {
                    return Err(Error::RateLimited {
                        operation: spec.id,
                        retry_after,
                    });
                }
            };
            if wait.is_zero() {
                return Ok(());
            }
            let slot = tokio::time::Instant::now().checked_add(wait);
            tracing::debug!(
                target: "douyin_goodlife::rate_limit",
                operation = spec.id,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "waiting for a rate-limit slot"
            );
            self.sleeper.sleep(wait).await;
            // Woken more than one interval after the slot (a busy machine):
            // going now would arrive together with the calls of the next
            // slots, so book another instead.
            let late = slot.map_or(Duration::ZERO, |s| {
                tokio::time::Instant::now().saturating_duration_since(s)
            });
            if late <= quota.interval() {
                return Ok(());
            }
            tracing::debug!(
                target: "douyin_goodlife::rate_limit",
                operation = spec.id,
                late_ms = u64::try_from(late.as_millis()).unwrap_or(u64::MAX),
                "woke past the slot; booking another"
            );
        }
    }
}

/// Runs [`RateLimit::admit`] when there is a limit (the hook of
/// `Client::execute`).
pub(crate) async fn admit(
    limit: Option<&RateLimit>,
    spec: &'static OperationSpec,
    deadline: tokio::time::Instant,
) -> Result<(), Error> {
    match limit {
        Some(limit) => limit.admit(spec, deadline).await,
        None => Ok(()),
    }
}

#[cfg(feature = "redis")]
pub use self::redis_limiter::{DEFAULT_REDIS_RATE_PREFIX, RedisRateLimiter};

#[cfg(feature = "redis")]
mod redis_limiter {
    use super::*;
    use crate::error::TokenStoreError;
    use redis::aio::ConnectionManager;

    /// One GCRA step, atomically, on Redis's clock (microseconds).
    /// KEYS[1]: the budget; ARGV: interval, tolerance, max wait (µs).
    /// Answers {1, wait} when a slot was booked, {0, retry_after} when full.
    const GCRA_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then
  tat = math.max(tonumber(stored), now)
end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > max_wait then
  return {0, wait}
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return {1, wait}
";

    /// The default key prefix of [`RedisRateLimiter`].
    pub const DEFAULT_REDIS_RATE_PREFIX: &str = "douyin-goodlife";

    /// Rate budgets in Redis (feature `redis`), shared by every process of an
    /// application: one atomic Lua script (GCRA on Redis's clock) per call.
    /// Keys: `{prefix}:rate:{app}:{operation}`, expiring when idle.
    #[derive(Clone)]
    pub struct RedisRateLimiter {
        conn: ConnectionManager,
        prefix: String,
        script: redis::Script,
    }

    impl std::fmt::Debug for RedisRateLimiter {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            // The connection (and its URL, which may hold a password) is not shown.
            f.debug_struct("RedisRateLimiter")
                .field("prefix", &self.prefix)
                .finish_non_exhaustive()
        }
    }

    fn micros(d: Duration) -> u64 {
        u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
    }

    impl RedisRateLimiter {
        /// Connects to `url` with the token store's default timeouts
        /// ([`DEFAULT_REDIS_RESPONSE_TIMEOUT`](crate::DEFAULT_REDIS_RESPONSE_TIMEOUT),
        /// [`DEFAULT_REDIS_CONNECTION_TIMEOUT`](crate::DEFAULT_REDIS_CONNECTION_TIMEOUT)).
        pub async fn connect(url: &str) -> Result<Self, Error> {
            let client = redis::Client::open(url)
                .map_err(|e| Error::Config(format!("Redis URL: {:?}", e.kind())))?;
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(crate::DEFAULT_REDIS_CONNECTION_TIMEOUT))
                .set_response_timeout(Some(crate::DEFAULT_REDIS_RESPONSE_TIMEOUT));
            let conn = ConnectionManager::new_with_config(client, config)
                .await
                .map_err(limiter_error)?;
            Ok(Self::from_connection_manager(conn))
        }

        /// Uses an existing connection manager (its timeouts apply).
        pub fn from_connection_manager(conn: ConnectionManager) -> Self {
            Self {
                conn,
                prefix: DEFAULT_REDIS_RATE_PREFIX.to_string(),
                script: redis::Script::new(GCRA_LUA),
            }
        }

        /// The key prefix (default [`DEFAULT_REDIS_RATE_PREFIX`]).
        pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
            self.prefix = prefix.into();
            self
        }

        /// The Redis key of a budget key (`{app}:{operation}`).
        pub fn redis_key(&self, key: &str) -> String {
            format!("{}:rate:{key}", self.prefix)
        }
    }

    fn limiter_error(e: redis::RedisError) -> Error {
        Error::TokenStore(TokenStoreError::with_source(
            format!("redis rate limiter: {e}"),
            e,
        ))
    }

    impl RateLimiter for RedisRateLimiter {
        fn acquire<'a>(
            &'a self,
            key: &'a str,
            quota: Quota,
            max_wait: Duration,
        ) -> BoxFuture<'a, Result<Admission, Error>> {
            Box::pin(async move {
                let mut conn = self.conn.clone();
                let interval = micros(quota.interval()).max(1);
                let (booked, wait): (i64, i64) = self
                    .script
                    .key(self.redis_key(key))
                    .arg(interval)
                    .arg(micros(quota.tolerance()))
                    .arg(micros(max_wait))
                    .invoke_async(&mut conn)
                    .await
                    .map_err(limiter_error)?;
                let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0));
                Ok(if booked == 1 {
                    Admission::After(wait)
                } else {
                    Admission::Full { retry_after: wait }
                })
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::time::SystemTime;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn quota_numbers() {
        let q = Quota::per_second(200).unwrap();
        assert_eq!(q.interval(), ms(5));
        assert_eq!(q.tolerance(), Duration::ZERO);
        assert_eq!(q.burst(4).tolerance(), ms(15));
        assert!(Quota::per_second(0).is_none());
        assert_eq!(
            Quota::per_second(3).unwrap().interval().as_nanos(),
            333_333_334
        );
        assert_eq!(
            Quota::per_second(u32::MAX).unwrap().interval(),
            Duration::from_nanos(1)
        );
        assert_eq!(
            Quota::per_second(1).unwrap().burst(u32::MAX).tolerance(),
            Duration::from_secs(u64::from(u32::MAX) - 1)
        );
    }

    #[tokio::test]
    async fn memory_limiter_books_slots_in_order_and_refuses_past_the_wait() {
        let clock = Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1000),
        ));
        let limiter = MemoryRateLimiter::with_clock(clock.clone());
        let q = Quota::per_second(10).unwrap();
        let go = |w| Admission::After(ms(w));
        assert_eq!(limiter.acquire("a", q, ms(250)).await.unwrap(), go(0));
        assert_eq!(limiter.acquire("a", q, ms(250)).await.unwrap(), go(100));
        assert_eq!(limiter.acquire("a", q, ms(250)).await.unwrap(), go(200));
        // The fourth slot is 300 ms away: refused, nothing booked.
        assert_eq!(
            limiter.acquire("a", q, ms(250)).await.unwrap(),
            Admission::Full {
                retry_after: ms(300)
            }
        );
        assert_eq!(
            limiter.acquire("a", q, Duration::ZERO).await.unwrap(),
            Admission::Full {
                retry_after: ms(300)
            }
        );
        // Another key has its own budget.
        assert_eq!(
            limiter.acquire("b", q, Duration::ZERO).await.unwrap(),
            go(0)
        );
        clock.advance(ms(300));
        assert_eq!(
            limiter.acquire("a", q, Duration::ZERO).await.unwrap(),
            go(0)
        );
        // Idle for long: no credit beyond the burst.
        clock.advance(Duration::from_secs(60));
        assert_eq!(
            limiter.acquire("a", q, Duration::ZERO).await.unwrap(),
            go(0)
        );
        assert!(matches!(
            limiter.acquire("a", q, Duration::ZERO).await.unwrap(),
            Admission::Full { .. }
        ));
    }

    #[tokio::test]
    async fn bursts_then_the_rate() {
        let clock = Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1000),
        ));
        let limiter = MemoryRateLimiter::with_clock(clock.clone());
        let q = Quota::per_second(10).unwrap().burst(3);
        for _ in 0..3 {
            assert_eq!(
                limiter.acquire("k", q, Duration::ZERO).await.unwrap(),
                Admission::After(Duration::ZERO)
            );
        }
        assert_eq!(
            limiter.acquire("k", q, Duration::ZERO).await.unwrap(),
            Admission::Full {
                retry_after: ms(100)
            }
        );
    }

    #[test]
    fn spec_limits_and_overrides() {
        let prepare = Operation::CertificatePrepare.spec();
        assert_eq!(prepare.qps, Some(200));
        let spec = RateLimit::spec();
        assert_eq!(spec.quota(prepare), Quota::per_second(200));
        let some =
            RateLimit::spec().limit(Operation::CertificatePrepare, Quota::per_second(5).unwrap());
        assert_eq!(some.quota(prepare), Quota::per_second(5));
        assert_eq!(
            RateLimit::spec()
                .unlimited(Operation::CertificatePrepare)
                .quota(prepare),
            None
        );
        assert_eq!(RateLimit::none().quota(prepare), None);
        let unlimited = crate::spec::operations()
            .iter()
            .find(|o| o.qps.is_none())
            .unwrap();
        assert_eq!(RateLimit::spec().quota(unlimited), None);
        assert_eq!(
            RateLimit::spec().with_default_app("awkey").key(prepare),
            "awkey:certificate_prepare"
        );
    }
}
