//! Bounded, jittered retries (with [`backon`]) and the overall deadline; the
//! rules are documented on [`RetryConfig`].

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use futures::future::BoxFuture;

use crate::code::ErrorCode;
use crate::error::Error;

/// Waits between attempts. The default is tokio's timer; tests inject one that
/// records the delays and returns at once.
pub trait Sleeper: Send + Sync + std::fmt::Debug + 'static {
    /// A future that completes after `delay`.
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()>;
}

/// [`Sleeper`] on `tokio::time::sleep`; the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// How failed calls are retried.
///
/// A call is retried when its error
/// [`is_retryable`](crate::Error::is_retryable): the busy/system codes, HTTP 429
/// and 5xx, and transport failures by their [`TransportKind`](crate::TransportKind):
/// a connection never made is retried always; a reset or per-attempt timeout
/// after the request went out only when the operation is safe to repeat (a
/// query, or a write sent with its idempotency key); TLS, builder and redirect
/// failures never. A write sent without its key is retried only after
/// failures that prove it was not carried out
/// ([`not_carried_out`](crate::Error::not_carried_out)). Parameter,
/// permission, authorization, quota and credential errors are never retried,
/// and neither is a failed token fetch (it is shared by every caller waiting
/// for it).
///
/// The delay before retry *n* (from 1) is drawn uniformly from
/// `[0, min(max_delay, min_delay × 2^(n-1))]` ("full jitter"). After
/// 2119003 (请求太过频繁) [`too_frequent_delay`](RetryConfig::too_frequent_delay) is
/// added, and after a `Retry-After` header the delay is at least what it asks.
/// A retry whose delay would end past the call's overall deadline is not made:
/// the last error is returned at once. The error returned carries the number of
/// attempts made ([`Error::attempts`]).
///
/// ```
/// use std::time::Duration;
/// use douyin_goodlife::RetryConfig;
///
/// let retry = RetryConfig::default()
///     .max_attempts(5)
///     .min_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(2));
/// assert_eq!(retry.attempts(), 5);
/// assert_eq!(RetryConfig::disabled().attempts(), 1);
/// ```
///
/// Defaults: 3 attempts, delays from 200 ms doubling up to 5 s with full
/// jitter, 2 s more after 2119003, random jitter seed, tokio's timer. The
/// overall deadline of a call is set on the builder
/// ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline)).
#[derive(Clone)]
pub struct RetryConfig {
    max_attempts: u32,
    min_delay: Duration,
    max_delay: Duration,
    too_frequent_delay: Duration,
    jitter_seed: Option<u64>,
    sleeper: Arc<dyn Sleeper>,
    /// Fixed delays before each retry (the last repeats), instead of the
    /// jittered exponential ones.
    schedule: Option<Arc<[Duration]>>,
}

impl std::fmt::Debug for RetryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryConfig")
            .field("max_attempts", &self.max_attempts)
            .field("min_delay", &self.min_delay)
            .field("max_delay", &self.max_delay)
            .field("too_frequent_delay", &self.too_frequent_delay)
            .field("jitter_seed", &self.jitter_seed)
            .field("sleeper", &self.sleeper)
            .field("schedule", &self.schedule)
            .finish()
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            too_frequent_delay: Duration::from_secs(2),
            jitter_seed: None,
            sleeper: Arc::new(TokioSleeper),
            schedule: None,
        }
    }
}

impl RetryConfig {
    /// One attempt per call: nothing is retried. (A call rejected for its token
    /// is still replayed once after a refresh.)
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts per call, the first included (at least 1; default 3).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The base of the first delay (default 200 ms).
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The cap of the exponential base (default 5 s).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Added to the delay after 2119003, "too frequent" (default 2 s).
    pub fn too_frequent_delay(mut self, delay: Duration) -> Self {
        self.too_frequent_delay = delay;
        self
    }

    /// Seeds the jitter, for reproducible delays (default: random).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Waits with `sleeper` instead of tokio's timer.
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Fixed delays before the retries, in order (the last one repeats),
    /// instead of jittered exponential ones. The call's deadline still bounds
    /// the whole.
    pub fn fixed_delays(mut self, delays: impl IntoIterator<Item = Duration>) -> Self {
        let delays: Vec<Duration> = delays.into_iter().collect();
        self.schedule = (!delays.is_empty()).then(|| delays.into());
        self
    }

    /// The retry plan a page documents for `operation` (`x-douyin-retry` in
    /// the spec), e.g. the verify page's "5 retries 5 s apart, then 40 s
    /// apart, at most 14"; `None` when its page gives none.
    ///
    /// ```
    /// use std::time::Duration;
    /// use douyin_goodlife::{Operation, RetryConfig};
    ///
    /// for op in Operation::ALL {
    ///     if let (Some(plan), Some(documented)) = (op.spec().retry_plan, RetryConfig::documented(op)) {
    ///         assert_eq!(documented.attempts(), plan.max_attempts);
    ///         let first = Duration::from_millis(plan.schedule[0].interval_ms);
    ///         assert_eq!(documented.delay_before_retry(1), Some(first));
    ///     }
    /// }
    /// ```
    pub fn documented(operation: crate::Operation) -> Option<Self> {
        let plan = operation.spec().retry_plan?;
        let mut delays = Vec::new();
        let retries = plan.max_attempts.saturating_sub(1) as usize;
        for step in plan.schedule {
            let d = Duration::from_millis(step.interval_ms);
            let n = step.times.map_or(retries, |t| t as usize);
            delays.extend(std::iter::repeat_n(
                d,
                n.min(retries.saturating_sub(delays.len())),
            ));
        }
        Some(
            Self::default()
                .max_attempts(plan.max_attempts)
                .fixed_delays(delays),
        )
    }

    /// The fixed delay before retry `n` (from 1), when a schedule is set.
    pub fn delay_before_retry(&self, n: usize) -> Option<Duration> {
        let schedule = self.schedule.as_ref()?;
        let i = n.checked_sub(1)?;
        schedule.get(i).or(schedule.last()).copied()
    }

    /// Attempts per call.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Waits before retry `n` (from 1) after `error`: the fixed schedule, or
    /// full jitter over `min_delay × 2^(n-1)` capped at `max_delay`.
    pub(crate) async fn wait_before_retry(&self, n: u32, error: &Error) {
        self.sleeper.sleep(self.delay_after(n, error)).await;
    }

    /// The delay [`wait_before_retry`](Self::wait_before_retry) waits.
    fn delay_after(&self, n: u32, error: &Error) -> Duration {
        match self.delay_before_retry(n as usize) {
            Some(fixed) => at_least_retry_after(error, fixed),
            None => {
                let exp = 2f64.powi(
                    i32::try_from(n.saturating_sub(1))
                        .unwrap_or(i32::MAX)
                        .min(30),
                );
                let base = saturating_mul(self.min_delay, exp).min(self.max_delay);
                let mut rng = match self.jitter_seed {
                    Some(seed) => fastrand::Rng::with_seed(seed.wrapping_add(u64::from(n))),
                    None => fastrand::Rng::new(),
                };
                self.delay(error, base, &mut rng)
            }
        }
    }

    fn delay(&self, error: &Error, base: Duration, rng: &mut fastrand::Rng) -> Duration {
        let mut delay = saturating_mul(base, rng.f64());
        if error.code() == Some(ErrorCode::TooFrequent) {
            delay = delay.saturating_add(self.too_frequent_delay);
        }
        at_least_retry_after(error, delay)
    }
}

/// `d × factor`, `Duration::MAX` when that does not fit (`Duration::mul_f64`
/// panics there: a configured delay of `Duration::MAX` is a valid input).
fn saturating_mul(d: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// `delay`, or longer when the error carries a `Retry-After`.
fn at_least_retry_after(error: &Error, delay: Duration) -> Duration {
    match error {
        Error::Http {
            retry_after: Some(secs),
            ..
        } => delay.max(Duration::from_secs(*secs)),
        _ => delay,
    }
}

/// The failure of one attempt, and whether another may be made.
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) retryable: bool,
}

impl Failure {
    /// Classified by [`Error::is_retryable`] (for transport failures, by
    /// their [`TransportKind`](crate::TransportKind)); when the operation is
    /// not `safe` to repeat, only failures that prove the request was not
    /// carried out (a rejection code, a connection never made, 429) are
    /// retried.
    pub(crate) fn classify(error: Error, safe: bool) -> Self {
        let retryable = if safe {
            error.is_retryable()
        } else {
            error.is_retryable() && error.not_carried_out()
        };
        Self { error, retryable }
    }

    /// Never retried.
    pub(crate) fn fatal(error: Error) -> Self {
        Self {
            error,
            retryable: false,
        }
    }
}

/// Adapts a [`Sleeper`] to backon's.
struct BackonSleeper(Arc<dyn Sleeper>);

impl backon::Sleeper for BackonSleeper {
    type Sleep = BoxFuture<'static, ()>;
    fn sleep(&self, dur: Duration) -> Self::Sleep {
        self.0.sleep(dur)
    }
}

/// Runs `attempt` until it succeeds, fails for good, runs out of attempts, or
/// the next delay would pass `deadline` (measured from `started`).
pub(crate) async fn run<T, F, Fut>(
    config: &RetryConfig,
    started: tokio::time::Instant,
    deadline: Duration,
    attempt: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let retries = (config.max_attempts - 1) as usize;
    let backoff: Box<dyn Iterator<Item = Duration> + Send + Sync + Unpin> = match &config.schedule {
        Some(schedule) => {
            let schedule = schedule.clone();
            Box::new((1..=retries).map(move |n| {
                schedule
                    .get(n - 1)
                    .or(schedule.last())
                    .copied()
                    .unwrap_or_default()
            }))
        }
        None => Box::new(
            ExponentialBuilder::new()
                .with_min_delay(config.min_delay)
                .with_max_delay(config.max_delay)
                .with_factor(2.0)
                .with_max_times(retries)
                .build(),
        ),
    };
    let fixed = config.schedule.is_some();
    let rng = Mutex::new(match config.jitter_seed {
        Some(seed) => fastrand::Rng::with_seed(seed),
        None => fastrand::Rng::new(),
    });
    attempt
        .retry(backoff)
        .sleep(BackonSleeper(config.sleeper.clone()))
        .when(|f: &Failure| f.retryable)
        .adjust(|f: &Failure, base: Option<Duration>| {
            let base = base?;
            let delay = {
                if fixed {
                    at_least_retry_after(&f.error, base)
                } else {
                    let mut rng = rng.lock().unwrap_or_else(|e| e.into_inner());
                    config.delay(&f.error, base, &mut rng)
                }
            };
            if started.elapsed().saturating_add(delay) >= deadline {
                tracing::debug!(
                    delay_ms = delay.as_millis() as u64,
                    "not retrying: the delay would pass the deadline"
                );
                return None;
            }
            Some(delay)
        })
        .notify(|f: &Failure, delay: Duration| {
            tracing::debug!(
                error = %f.error,
                delay_ms = delay.as_millis() as u64,
                "retrying after a transient failure"
            );
        })
        .await
        .map_err(|f| f.error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{MAX_RETRY_AFTER_SECS, parse_retry_after};
    use proptest::prelude::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn http(retry_after: Option<u64>) -> Error {
        Error::Http {
            operation: "query_reservation_orders",
            status: 503,
            body: String::new(),
            logid: None,
            retry_after,
            attempts: 1,
        }
    }

    fn too_frequent() -> Error {
        Error::Api {
            operation: "query_reservation_orders",
            code: ErrorCode::TooFrequent,
            sub_code: None,
            description: String::new(),
            sub_description: None,
            logid: None,
            source_field: crate::error::CodeSource::Extra,
            attempts: 1,
        }
    }

    /// Any duration, the extremes weighted in.
    fn duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::MAX),
            Just(Duration::from_secs(u64::MAX)),
            (0u64..10_000).prop_map(Duration::from_millis),
            (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        ]
    }

    /// A `now` from the epoch to year 9999 (what an HTTP-date can say).
    fn now() -> impl Strategy<Value = SystemTime> {
        (0u64..253_402_300_799).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s))
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// delay-seconds of any size: the value, capped at an hour.
        #[test]
        fn retry_after_seconds_of_any_size_are_capped(secs in any::<u64>(), pad in 0usize..3, now in now()) {
            let text = format!("{}{secs}{}", " ".repeat(pad), " ".repeat(pad));
            prop_assert_eq!(parse_retry_after(&text, now), Some(secs.min(MAX_RETRY_AFTER_SECS)));
        }

        /// Digits beyond u64 are "a very long time"; a sign, a fraction or an
        /// exponent is no delay-seconds at all.
        #[test]
        fn retry_after_beyond_u64_signed_or_fractional(digits in "[1-9][0-9]{20,40}", n in any::<i64>(), now in now()) {
            prop_assert_eq!(parse_retry_after(&digits, now), Some(MAX_RETRY_AFTER_SECS));
            let signed = format!("{n:+}");
            prop_assert_eq!(parse_retry_after(&signed, now), None);
            prop_assert_eq!(parse_retry_after(&format!("{}.5", n.unsigned_abs()), now), None);
            prop_assert_eq!(parse_retry_after(&format!("{}e3", n.unsigned_abs()), now), None);
        }

        /// HTTP-dates far in the past are 0, in the future the seconds until
        /// them, capped; whatever the distance.
        #[test]
        fn retry_after_dates_past_and_future(at in now(), now in now()) {
            let text = httpdate::fmt_http_date(at);
            let expect = at.duration_since(now).map_or(0, |d| d.as_secs()).min(MAX_RETRY_AFTER_SECS);
            prop_assert_eq!(parse_retry_after(&text, now), Some(expect));
        }

        /// Garbage never panics, and whatever parses is capped.
        #[test]
        fn retry_after_garbage(text in any::<String>(), now in now()) {
            if let Some(secs) = parse_retry_after(&text, now) {
                prop_assert!(secs <= MAX_RETRY_AFTER_SECS);
            }
        }

        /// Any configured delays and any retry number: no panic; the wait is
        /// within `max(base cap, Retry-After)` (+ the 2119003 extra).
        #[test]
        fn delays_of_any_configuration(
            min in duration(),
            max in duration(),
            extra in duration(),
            n in any::<u32>(),
            seed in any::<u64>(),
            retry_after in proptest::option::of(0u64..=MAX_RETRY_AFTER_SECS),
        ) {
            let config = RetryConfig::default()
                .max_attempts(u32::MAX)
                .min_delay(min)
                .max_delay(max)
                .too_frequent_delay(extra)
                .jitter_seed(seed);
            let after = Duration::from_secs(retry_after.unwrap_or(0));
            let d = config.delay_after(n, &http(retry_after));
            prop_assert!(d <= max.max(after), "{d:?} > {max:?} / {after:?}");
            prop_assert!(d >= after);
            let d = config.delay_after(n, &too_frequent());
            prop_assert!(d <= max.saturating_add(extra));
            let fixed = config.fixed_delays([min, max]);
            let d = fixed.delay_after(n, &http(retry_after));
            prop_assert!(d == min.max(after) || d == max.max(after) || n == 0);
        }
    }

    /// backon's iterator with the extremes: the run ends, nothing panics.
    #[tokio::test]
    async fn extreme_backoff_configurations_run() {
        #[derive(Debug)]
        struct Instant0;
        impl Sleeper for Instant0 {
            fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
                Box::pin(async {})
            }
        }
        for (min, max) in [
            (Duration::MAX, Duration::MAX),
            (Duration::ZERO, Duration::MAX),
            (Duration::MAX, Duration::ZERO),
            (Duration::ZERO, Duration::ZERO),
        ] {
            let config = RetryConfig::default()
                .max_attempts(5)
                .min_delay(min)
                .max_delay(max)
                .too_frequent_delay(Duration::MAX)
                .sleeper(Arc::new(Instant0));
            let mut tries = 0;
            let result: Result<(), Error> =
                run(&config, tokio::time::Instant::now(), Duration::MAX, || {
                    tries += 1;
                    async { Err(Failure::classify(too_frequent(), true)) }
                })
                .await;
            assert!(result.is_err());
            assert!((1..=5).contains(&tries), "{min:?} {max:?}: {tries}");
        }
    }
}
