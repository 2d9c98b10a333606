//! Where the access token of each call comes from.
//!
//! With [`ClientBuilder::credentials`](crate::ClientBuilder::credentials) the
//! client fetches a client token (`POST /oauth/client_token/`) when it first
//! needs one, caches it, and refreshes it early: when less than
//! `min(10 min, 10 % of expires_in)` of its life remains (see
//! [`RefreshPolicy`]).
//!
//! **Single flight.** Any number of concurrent callers that find no usable token
//! cause exactly one fetch; all of them wait for it and all get its result, the
//! error included (a failed fetch is not retried in a loop: the next call after
//! it starts a new one). With a shared [`TokenStore`] (e.g. Redis) the flight
//! also spans processes: the process that wins the store's lock fetches, the
//! others read what it saved.
//!
//! **Refresh and replay.** When a call is answered with a code whose
//! [`needs_new_token`](crate::ErrorCode::needs_new_token) is true, the client
//! invalidates the token *that call used*, only if it is still the cached one
//! (compare-and-invalidate, so 100 concurrent rejections cause one refresh),
//! then replays the call once with a new token.
//!
//! **A failing store.** When the [`TokenStore`] fails or does not answer within
//! [`RefreshPolicy::store_timeout`] while a token is needed, the client logs a
//! `warn` line (target `douyin_goodlife::token`, the error without any secret)
//! and fetches the token on its own: a store never fails a call. Only a fetch
//! lock held by another process past [`RefreshPolicy::lock_wait`] does
//! ([`Error::TokenStore`]).
//!
//! Tokens and the client secret are [`SecretString`]s; no `Debug`, `Display`,
//! error or log line of this crate contains them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use secrecy::{ExposeSecret, SecretString};

use crate::clock::Clock;
use crate::error::{Error, TokenStoreError};
use crate::token_store::TokenStore;

/// An application's `client_key` and `client_secret`.
///
/// The secret is held as a [`SecretString`] from the moment it is given; `Debug`
/// shows `[REDACTED]` in its place.
///
/// ```
/// use douyin_goodlife::Credentials;
///
/// let creds = Credentials::new("awkey", "canary-secret");
/// assert_eq!(creds.client_key(), "awkey");
/// assert!(!format!("{creds:?}").contains("canary-secret"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    client_key: String,
    client_secret: SecretString,
}

impl Credentials {
    /// Credentials from the application's `client_key` and `client_secret`.
    pub fn new(client_key: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_key: client_key.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }

    /// The `client_key` (not a secret; it names the application).
    pub fn client_key(&self) -> &str {
        &self.client_key
    }

    /// The `client_secret`, for the token request only.
    pub(crate) fn secret(&self) -> &SecretString {
        &self.client_secret
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_key", &self.client_key)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

/// A client token (`clt.…`) and when it expires.
///
/// `Debug` never shows the token; [`expose_secret`](Self::expose_secret) does,
/// for the one place that needs it (a header).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use douyin_goodlife::AccessToken;
///
/// let issued = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let token = AccessToken::new("clt.canary", issued, Some(issued + Duration::from_secs(7200)));
/// assert_eq!(token.expose_secret(), "clt.canary");
/// assert_eq!(token.lifetime(), Some(Duration::from_secs(7200)));
/// assert!(!format!("{token:?}").contains("canary"));
/// ```
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    issued_at: SystemTime,
    expires_at: Option<SystemTime>,
}

impl AccessToken {
    /// A token issued at `issued_at`, valid until `expires_at` (`None`: unknown,
    /// as for a fixed token given by the caller).
    pub fn new(
        secret: impl Into<String>,
        issued_at: SystemTime,
        expires_at: Option<SystemTime>,
    ) -> Self {
        Self {
            secret: SecretString::from(secret.into()),
            issued_at,
            expires_at,
        }
    }

    /// The token itself. Do not log it.
    pub fn expose_secret(&self) -> &str {
        self.secret.expose_secret()
    }

    /// The token as a [`SecretString`].
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// When it was issued (fetched).
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// When it expires, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Its whole lifetime (`expires_in` of the token answer), if known.
    pub fn lifetime(&self) -> Option<Duration> {
        self.expires_at
            .map(|e| e.duration_since(self.issued_at).unwrap_or_default())
    }

    /// How long it remains valid at `now` (zero once expired); `None` when the
    /// expiry is unknown.
    pub fn remaining(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
            .map(|e| e.duration_since(now).unwrap_or_default())
    }

    /// Whether it is still valid at `now` (tokens of unknown expiry always are).
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_none_or(|e| now < e)
    }

    /// Whether `other` holds the same token string.
    pub(crate) fn same_token(&self, other: &AccessToken) -> bool {
        self.expose_secret() == other.expose_secret()
    }

    /// Milliseconds since the Unix epoch of `issued_at` (for stores).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn issued_at_ms(&self) -> u64 {
        unix_ms(self.issued_at)
    }

    /// Milliseconds since the Unix epoch of `expires_at` (for stores).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn expires_at_ms(&self) -> Option<u64> {
        self.expires_at.map(unix_ms)
    }
}

/// Used by the Redis store only.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Used by the Redis store only.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn from_unix_ms(ms: u64) -> SystemTime {
    // A value no clock can hold reads as long expired: the token is refetched.
    UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or(UNIX_EPOCH)
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[REDACTED]")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// When cached tokens are refreshed, and how long to wait for another process's
/// fetch.
///
/// A token is refreshed once less than `min(max_margin, fraction × lifetime)`
/// of its life remains: with the defaults (10 min, 10 %) and Douyin's 7200 s
/// tokens, 10 minutes before expiry. If that early refresh fails while the
/// token is still valid, calls keep using it and the refresh is tried again
/// after `retry_after_failure` (default 30 s).
///
/// ```
/// use std::time::Duration;
/// use douyin_goodlife::RefreshPolicy;
///
/// let policy = RefreshPolicy::default();
/// assert_eq!(policy.margin(Duration::from_secs(7200)), Duration::from_secs(600));
/// assert_eq!(policy.margin(Duration::from_secs(1000)), Duration::from_secs(100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefreshPolicy {
    max_margin: Duration,
    fraction: f64,
    retry_after_failure: Duration,
    lock_ttl: Duration,
    lock_wait: Duration,
    lock_poll: Duration,
    store_timeout: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            max_margin: Duration::from_secs(600),
            fraction: 0.1,
            retry_after_failure: Duration::from_secs(30),
            lock_ttl: Duration::from_secs(15),
            lock_wait: Duration::from_secs(20),
            lock_poll: Duration::from_millis(50),
            store_timeout: Duration::from_secs(5),
        }
    }
}

impl RefreshPolicy {
    /// The upper bound of the refresh margin (default 10 minutes).
    pub fn max_margin(mut self, margin: Duration) -> Self {
        self.max_margin = margin;
        self
    }

    /// The share of a token's lifetime kept as margin (default 0.1; clamped to
    /// `0.0..=1.0`).
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// How long to keep using a still-valid token after a failed early refresh
    /// before trying again (default 30 s).
    pub fn retry_after_failure(mut self, wait: Duration) -> Self {
        self.retry_after_failure = wait;
        self
    }

    /// How long the store's fetch lock is held at most (default 15 s; longer
    /// than one token request).
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl.max(Duration::from_millis(1));
        self
    }

    /// How long a process waits for another one's fetch before giving up with
    /// [`Error::TokenStore`] (default 20 s), and how often it looks (default
    /// 50 ms).
    pub fn lock_wait(mut self, wait: Duration, poll: Duration) -> Self {
        self.lock_wait = wait;
        self.lock_poll = poll.max(Duration::from_millis(1));
        self
    }

    /// How long one [`TokenStore`] operation may take before the client gives
    /// up on the store and fetches on its own (default 5 s; at least 1 ms). A
    /// bound for stores without timeouts of their own;
    /// [`RedisTokenStore`](crate::RedisTokenStore)'s response timeout (2 s)
    /// usually answers first.
    pub fn store_timeout(mut self, timeout: Duration) -> Self {
        self.store_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The refresh margin for a token of the given lifetime.
    pub fn margin(&self, lifetime: Duration) -> Duration {
        // `mul_f64` panics past `Duration::MAX`; a lifetime near it is possible
        // for a token built with `AccessToken::new`.
        let share =
            Duration::try_from_secs_f64(lifetime.as_secs_f64() * self.fraction).unwrap_or(lifetime);
        self.max_margin.min(share).min(lifetime)
    }

    /// Whether `token` can be used at `now` without refreshing it first.
    pub fn is_fresh(&self, token: &AccessToken, now: SystemTime) -> bool {
        match (token.expires_at, token.lifetime()) {
            // Beyond what a `SystemTime` holds is past any expiry.
            (Some(expires_at), Some(lifetime)) => now
                .checked_add(self.margin(lifetime))
                .is_some_and(|due| due < expires_at),
            _ => true,
        }
    }
}

/// What the token endpoint answered.
pub(crate) struct Fetched {
    pub(crate) secret: SecretString,
    pub(crate) expires_in: Duration,
}

/// Fetches one token (the `client_token` request); given to
/// [`TokenProvider::get`] by the client.
pub(crate) type FetchFuture = BoxFuture<'static, Result<Fetched, Error>>;

type Flight = Shared<BoxFuture<'static, Result<AccessToken, Error>>>;

/// The source of access tokens of a [`Client`](crate::Client).
#[derive(Clone)]
pub(crate) enum Tokens {
    /// A token given by the caller (`ClientBuilder::access_token`).
    Fixed(AccessToken),
    /// Fetched from the credentials, cached, refreshed.
    Provider(TokenProvider),
    /// No token configured.
    None,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tokens::Fixed(_) => f.write_str("Fixed([REDACTED])"),
            Tokens::Provider(p) => p.fmt(f),
            Tokens::None => f.write_str("None"),
        }
    }
}

/// The cache, the single flight and the store of one client's tokens.
#[derive(Clone)]
pub(crate) struct TokenProvider {
    shared: Arc<ProviderShared>,
}

struct ProviderShared {
    credentials: Credentials,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    policy: RefreshPolicy,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cached: Option<AccessToken>,
    flight: Option<Flight>,
    /// When the last fetch failed (suspends early refreshes for a while).
    failed_at: Option<SystemTime>,
    /// The last tokens the server rejected: never taken from the store again,
    /// even before the store's own invalidation has landed.
    rejected: VecDeque<AccessToken>,
}

/// How many rejected tokens a provider remembers.
const REJECTED_KEPT: usize = 4;

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenProvider")
            .field("credentials", &self.shared.credentials)
            .field("store", &self.shared.store)
            .field("policy", &self.shared.policy)
            .finish_non_exhaustive()
    }
}

impl TokenProvider {
    pub(crate) fn new(
        credentials: Credentials,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
        policy: RefreshPolicy,
    ) -> Self {
        Self {
            shared: Arc::new(ProviderShared {
                credentials,
                store,
                clock,
                policy,
                state: Mutex::new(State::default()),
            }),
        }
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// A usable token: the cached one if fresh, else the result of the one
    /// fetch in flight (started here, with `fetch`, if there is none).
    pub(crate) async fn get(
        &self,
        fetch: impl FnOnce() -> FetchFuture,
    ) -> Result<AccessToken, Error> {
        let shared = &self.shared;
        let now = shared.clock.now();
        let (flight, fallback) = {
            let mut state = shared.lock_state();
            if let Some(token) = &state.cached {
                if shared.policy.is_fresh(token, now) {
                    return Ok(token.clone());
                }
                // A pause too long for a `SystemTime` lasts for ever.
                let recently_failed = state.failed_at.is_some_and(|at| {
                    at.checked_add(shared.policy.retry_after_failure)
                        .is_none_or(|until| now < until)
                });
                if recently_failed && token.is_valid_at(now) {
                    return Ok(token.clone());
                }
            }
            let fallback = state.cached.clone().filter(|t| t.is_valid_at(now));
            let flight = match &state.flight {
                Some(flight) => flight.clone(),
                None => {
                    let flight = Self::start_flight(self.shared.clone(), fetch());
                    state.flight = Some(flight.clone());
                    flight
                }
            };
            (flight, fallback)
        };
        match flight.await {
            Ok(token) => Ok(token),
            Err(error) => match fallback {
                // An early refresh failed; the current token still works.
                Some(token) if token.is_valid_at(shared.clock.now()) => {
                    tracing::debug!(
                        target: "douyin_goodlife::token",
                        error = %error,
                        "early token refresh failed; using the current token until it expires"
                    );
                    Ok(token)
                }
                _ => Err(error),
            },
        }
    }

    /// Forgets `used` if it is still the cached token (locally and in the
    /// store); a token that was already replaced is left alone.
    pub(crate) async fn invalidate(&self, used: &AccessToken) -> Result<(), Error> {
        let shared = &self.shared;
        let was_cached = {
            let mut state = shared.lock_state();
            let same = state.cached.as_ref().is_some_and(|c| c.same_token(used));
            if same {
                state.cached = None;
                state.failed_at = None;
            }
            if !state.rejected.iter().any(|r| r.same_token(used)) {
                if state.rejected.len() == REJECTED_KEPT {
                    state.rejected.pop_front();
                }
                state.rejected.push_back(used.clone());
            }
            same
        };
        if was_cached {
            tracing::debug!(
                target: "douyin_goodlife::token",
                client_key = %shared.credentials.client_key(),
                "token rejected by the server; invalidated"
            );
            let key = shared.credentials.client_key();
            if let Err(e) = shared.bounded(shared.store.invalidate(key, used)).await {
                // It is remembered as rejected: never taken from the store again.
                tracing::warn!(
                    target: "douyin_goodlife::token",
                    client_key = %key,
                    error = %e,
                    "token store failed to invalidate a rejected token; going on without it"
                );
            }
        }
        Ok(())
    }

    /// Starts the one fetch on its own task, so that it completes (and fills
    /// the cache) even if every caller waiting for it gives up.
    fn start_flight(shared: Arc<ProviderShared>, fetch: FetchFuture) -> Flight {
        let shared_after = shared.clone();
        let task = async move {
            let result = shared.lead(fetch).await;
            let mut state = shared.lock_state();
            state.flight = None;
            match &result {
                Ok(token) => {
                    state.cached = Some(token.clone());
                    state.failed_at = None;
                }
                Err(_) => state.failed_at = Some(shared.clock.now()),
            }
            result
        };
        let handle = tokio::spawn(tracing::Instrument::in_current_span(task));
        async move {
            match handle.await {
                Ok(result) => result,
                Err(e) => {
                    // The task panicked: forget the flight so the next call starts anew.
                    shared_after.lock_state().flight = None;
                    Err(Error::TokenStore(TokenStoreError::with_source(
                        "the token fetch task failed",
                        e,
                    )))
                }
            }
        }
        .boxed()
        .shared()
    }
}

impl ProviderShared {
    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A store operation bounded by [`RefreshPolicy::store_timeout`].
    async fn bounded<T>(
        &self,
        op: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let limit = self.policy.store_timeout;
        match tokio::time::timeout(limit, op).await {
            Ok(result) => result,
            Err(_) => Err(Error::TokenStore(TokenStoreError::new(format!(
                "no answer within {limit:?}"
            )))),
        }
    }

    /// The body of a flight: a fresh token from the store, or the store's lock
    /// and a fetch; a fetch alone when the store fails.
    async fn lead(&self, fetch: FetchFuture) -> Result<AccessToken, Error> {
        let key = self.credentials.client_key();
        let policy = &self.policy;
        // A wait too long for an `Instant` is a wait without end.
        let give_up = tokio::time::Instant::now().checked_add(policy.lock_wait);
        let lock = loop {
            match self.fresh_from_store().await {
                Ok(Some(token)) => return Ok(token),
                Ok(None) => {}
                Err(e) => return self.fetch_without_store(fetch, "load", &e).await,
            }
            match self
                .bounded(self.store.try_lock(key, policy.lock_ttl))
                .await
            {
                Ok(Some(lock)) => break lock,
                Ok(None) => {}
                Err(e) => return self.fetch_without_store(fetch, "lock", &e).await,
            }
            if give_up.is_some_and(|at| tokio::time::Instant::now() >= at) {
                return Err(Error::TokenStore(TokenStoreError::new(format!(
                    "waited {:?} for another process to fetch the client token",
                    policy.lock_wait
                ))));
            }
            tokio::time::sleep(policy.lock_poll).await;
        };
        let result = self.fetch_locked(fetch).await;
        if let Err(e) = self.bounded(self.store.unlock(key, lock)).await {
            tracing::warn!(
                target: "douyin_goodlife::token",
                client_key = %key,
                error = %e,
                "cannot release the token lock (it expires after the lock TTL)"
            );
        }
        result
    }

    /// The store failed at `step`: logged, then a fetch of our own (saved to
    /// the store if it has recovered).
    async fn fetch_without_store(
        &self,
        fetch: FetchFuture,
        step: &'static str,
        error: &Error,
    ) -> Result<AccessToken, Error> {
        tracing::warn!(
            target: "douyin_goodlife::token",
            client_key = %self.credentials.client_key(),
            step,
            error = %error,
            "token store failed; fetching the client token without it"
        );
        self.fetch_and_save(fetch).await
    }

    /// The store's token if it is fresh and was not rejected (a rejected one
    /// still there is removed, compare-and-invalidate).
    async fn fresh_from_store(&self) -> Result<Option<AccessToken>, Error> {
        let key = self.credentials.client_key();
        let Some(token) = self.bounded(self.store.load(key)).await? else {
            return Ok(None);
        };
        let rejected = self
            .lock_state()
            .rejected
            .iter()
            .any(|r| r.same_token(&token));
        if rejected {
            self.bounded(self.store.invalidate(key, &token)).await?;
            return Ok(None);
        }
        Ok(Some(token).filter(|t| self.policy.is_fresh(t, self.clock.now())))
    }

    /// Fetches while holding the store's lock, unless another holder saved a
    /// fresh token just before.
    async fn fetch_locked(&self, fetch: FetchFuture) -> Result<AccessToken, Error> {
        match self.fresh_from_store().await {
            Ok(Some(token)) => return Ok(token),
            Ok(None) => {}
            Err(e) => return self.fetch_without_store(fetch, "load", &e).await,
        }
        self.fetch_and_save(fetch).await
    }

    /// Fetches a token and offers it to the store.
    async fn fetch_and_save(&self, fetch: FetchFuture) -> Result<AccessToken, Error> {
        let key = self.credentials.client_key();
        tracing::debug!(target: "douyin_goodlife::token", client_key = %key, "fetching a client token");
        let issued_at = self.clock.now();
        let fetched = match fetch.await {
            Ok(f) => f,
            Err(error) => {
                tracing::debug!(
                    target: "douyin_goodlife::token",
                    client_key = %key,
                    error = %error,
                    "client token fetch failed"
                );
                return Err(error);
            }
        };
        let token = AccessToken {
            secret: fetched.secret,
            issued_at,
            // A clock so far out that the expiry does not fit: unknown expiry
            // (the server's rejection then refreshes it).
            expires_at: issued_at.checked_add(fetched.expires_in),
        };
        tracing::debug!(
            target: "douyin_goodlife::token",
            client_key = %key,
            expires_in_s = fetched.expires_in.as_secs(),
            "fetched a client token"
        );
        if let Err(e) = self.bounded(self.store.save(key, &token)).await {
            // The token works; only sharing it failed.
            tracing::warn!(
                target: "douyin_goodlife::token",
                client_key = %key,
                error = %e,
                "cannot save the token to the store"
            );
        }
        Ok(token)
    }
}
