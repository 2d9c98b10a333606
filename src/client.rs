//! The client: configuration, and one async method per endpoint.
//!
//! Every call goes [`Client::execute`] (deadline, retries, token refresh and
//! replay, one tracing span) → [`Client::attempt`] (one HTTP exchange through
//! the generated client, then the envelope check).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::Operation;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, capped_body};
use crate::operation::LOGID;
use crate::operation::RawRequest;
use crate::rate_limit::RateLimit;
use crate::request::SpuQuery;
use crate::response::Response;
use crate::retry::{self, Failure, RetryConfig};
use crate::spec::OperationSpec;
use crate::token::{
    AccessToken, Credentials, FetchFuture, Fetched, RefreshPolicy, TokenProvider, Tokens,
};
use crate::token_store::{MemoryTokenStore, TokenStore};
use crate::types;

/// Production host.
pub const PRODUCTION_BASE_URL: &str = "https://open.douyin.com";
/// Douyin's sandbox host (same paths).
pub const SANDBOX_BASE_URL: &str = "https://open-sandbox.douyin.com";

/// Default timeout of one HTTP attempt (sending to the last body byte).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default overall deadline of one call: every attempt, token fetch and
/// backoff included.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// The token lifetime assumed when the token answer omits `expires_in`
/// (Douyin documents 7200 s).
const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(7200);

/// The longest token lifetime believed (30 days); Douyin documents 7200 s.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

/// Environment variable: the application's `client_key`.
pub const ENV_CLIENT_KEY: &str = "DOUYIN_CLIENT_KEY";
/// Environment variable: the application's `client_secret`.
pub const ENV_CLIENT_SECRET: &str = "DOUYIN_CLIENT_SECRET";
/// Environment variable: a fixed client token.
pub const ENV_ACCESS_TOKEN: &str = "DOUYIN_ACCESS_TOKEN";
/// Environment variable: the API host.
pub const ENV_BASE_URL: &str = "DOUYIN_BASE_URL";

/// A Douyin goodlife API client. Cheap to clone (an `Arc` inside); share one
/// per application.
///
/// ```no_run
/// # async fn run() -> Result<(), douyin_goodlife::Error> {
/// use douyin_goodlife::{Client, OrderQuery};
///
/// // Tokens are fetched, cached, refreshed and shared automatically.
/// let client = Client::builder().credentials("awxxxxxxxx", "the-client-secret").build()?;
/// let page = client
///     .query_reservation_orders(&OrderQuery::new("acc", "poi", 1732896000, 1732982400))
///     .await?;
/// println!("{} orders, logid {:?}", page.total.unwrap_or(0), page.logid());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    /// `base_url` parsed once: every request's URL starts from it.
    base: reqwest::Url,
    http: reqwest::Client,
    tokens: Tokens,
    retry: RetryConfig,
    retry_overrides: Vec<(Operation, RetryConfig)>,
    deadline: Duration,
    rate_limit: Option<RateLimit>,
}

impl Inner {
    /// The retry configuration of `operation`: its override, else the client's.
    fn retry_for(&self, operation: Operation) -> &RetryConfig {
        self.retry_overrides
            .iter()
            .find(|(op, _)| *op == operation)
            .map_or(&self.retry, |(_, c)| c)
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("tokens", &self.inner.tokens)
            .field("retry", &self.inner.retry)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

/// Where the builder's tokens come from.
#[derive(Clone, Default)]
enum Auth {
    #[default]
    None,
    Fixed(SecretString),
    Credentials(Credentials),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Fixed(_) => f.write_str("AccessToken([REDACTED])"),
            Auth::Credentials(c) => c.fmt(f),
        }
    }
}

/// Builder of a [`Client`].
///
/// Defaults: production host; [`DEFAULT_TIMEOUT`] (10 s) per attempt,
/// [`DEFAULT_CONNECT_TIMEOUT`] (3 s) to connect, [`DEFAULT_DEADLINE`] (30 s)
/// for a whole call; [`RetryConfig::default`] (3 attempts, jittered
/// exponential backoff); tokens cached in memory ([`MemoryTokenStore`]) and
/// refreshed per [`RefreshPolicy::default`]; the system clock; rustls with
/// certificate verification.
///
/// Authentication is either [`credentials`](Self::credentials) (tokens fetched
/// and refreshed automatically) or a fixed [`access_token`](Self::access_token);
/// the later of the two calls wins.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    auth: Auth,
    timeout: Duration,
    connect_timeout: Duration,
    deadline: Duration,
    http: Option<reqwest::Client>,
    retry: RetryConfig,
    retry_overrides: Vec<(Operation, RetryConfig)>,
    store: Option<Arc<dyn TokenStore>>,
    clock: Arc<dyn Clock>,
    refresh: RefreshPolicy,
    rate_limit: Option<RateLimit>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("store", &self.store)
            .field("clock", &self.clock)
            .field("refresh", &self.refresh)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: PRODUCTION_BASE_URL.to_string(),
            auth: Auth::None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            http: None,
            retry: RetryConfig::default(),
            retry_overrides: Vec::new(),
            store: None,
            clock: Arc::new(SystemClock),
            refresh: RefreshPolicy::default(),
            rate_limit: None,
        }
    }
}

impl ClientBuilder {
    /// A builder configured from the environment:
    ///
    /// - `DOUYIN_BASE_URL`: the host (default: production);
    /// - `DOUYIN_CLIENT_KEY` + `DOUYIN_CLIENT_SECRET`: credentials, tokens
    ///   fetched and refreshed automatically;
    /// - `DOUYIN_ACCESS_TOKEN`: a fixed token, used only when the credentials
    ///   are not set (credentials take precedence: they never expire).
    ///
    /// Empty variables count as unset. Fails when only one of the key and the
    /// secret is set, or a variable is not UTF-8. Methods called afterwards
    /// override what the environment said.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), douyin_goodlife::Error> {
    /// let client = douyin_goodlife::ClientBuilder::from_env()?.build()?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| match std::env::var(name) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(Error::Config(format!("{name} is not valid UTF-8")))
            }
        })
    }

    /// [`from_env`](Self::from_env) over any source of variables.
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Result<Option<String>, Error>,
    ) -> Result<Self, Error> {
        let get = |name: &str| -> Result<Option<String>, Error> {
            Ok(lookup(name)?.filter(|v| !v.trim().is_empty()))
        };
        let mut builder = Self::default();
        if let Some(url) = get(ENV_BASE_URL)? {
            builder = builder.base_url(url);
        }
        match (get(ENV_CLIENT_KEY)?, get(ENV_CLIENT_SECRET)?) {
            (Some(key), Some(secret)) => builder = builder.credentials(key, secret),
            (Some(_), None) => {
                return Err(Error::Config(format!(
                    "{ENV_CLIENT_KEY} is set but {ENV_CLIENT_SECRET} is not"
                )));
            }
            (None, Some(_)) => {
                return Err(Error::Config(format!(
                    "{ENV_CLIENT_SECRET} is set but {ENV_CLIENT_KEY} is not"
                )));
            }
            (None, None) => {
                if let Some(token) = get(ENV_ACCESS_TOKEN)? {
                    builder = builder.access_token(token);
                }
            }
        }
        Ok(builder)
    }

    /// The API host, e.g. [`PRODUCTION_BASE_URL`] (default), [`SANDBOX_BASE_URL`]
    /// or a local server. A path prefix is kept; a trailing `/` is ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Uses Douyin's sandbox host.
    pub fn sandbox(self) -> Self {
        self.base_url(SANDBOX_BASE_URL)
    }

    /// The application's `client_key` and `client_secret`: client tokens are
    /// then fetched when needed, cached, refreshed before they expire, and
    /// replaced (with the call replayed once) when the server rejects them.
    /// The secret is wrapped in a [`SecretString`] at once.
    pub fn credentials(
        mut self,
        client_key: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.auth = Auth::Credentials(Credentials::new(client_key, client_secret));
        self
    }

    /// A fixed client token sent in the `access-token` header of every call
    /// (never refreshed: a call it no longer opens fails with its error code).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Fixed(SecretString::from(token.into()));
        self
    }

    /// Timeout of one HTTP attempt, from sending to the last body byte
    /// (default [`DEFAULT_TIMEOUT`]). A timed-out attempt is retried.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Overall deadline of one call, every attempt, backoff and token fetch
    /// included (default [`DEFAULT_DEADLINE`]). Past it the call fails with
    /// [`Error::Deadline`]; a retry that would end past it is not made.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How failed calls are retried (default [`RetryConfig::default`]; see
    /// [`RetryConfig::disabled`]).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// How calls of one operation are retried, instead of
    /// [`retry`](Self::retry): for example the verify page's own plan,
    /// [`RetryConfig::documented`].
    ///
    /// ```
    /// use douyin_goodlife::{Client, Operation, RetryConfig};
    ///
    /// let client = Client::builder()
    ///     .access_token("clt.xxx")
    ///     .retry_for(Operation::QueryReservationOrders, RetryConfig::default().max_attempts(5))
    ///     .build()?;
    /// # Ok::<(), douyin_goodlife::Error>(())
    /// ```
    pub fn retry_for(mut self, operation: Operation, retry: RetryConfig) -> Self {
        self.retry_overrides.retain(|(op, _)| *op != operation);
        self.retry_overrides.push((operation, retry));
        self
    }

    /// Where tokens are shared (default: a [`MemoryTokenStore`] of this client
    /// alone). Give several clients, or processes with
    /// [`RedisTokenStore`](crate::RedisTokenStore), one store so that they use
    /// one token.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// When tokens are refreshed (default [`RefreshPolicy::default`]).
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.refresh = policy;
        self
    }

    /// The clock token expiry is read from (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A client-side rate limit per operation (default: none; see
    /// [`RateLimit`]): before each attempt the call books a slot of its
    /// operation's budget, waiting for it within the deadline or failing with
    /// [`Error::RateLimited`].
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Uses a preconfigured `reqwest::Client` (its own timeouts then apply
    /// instead of [`timeout`](Self::timeout) and
    /// [`connect_timeout`](Self::connect_timeout)).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client; fails on a malformed base URL or empty credentials.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = normalize_base_url(&self.base_url)?;
        let base = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("base URL is not a URL: {e}")))?;
        let http = match self.http {
            Some(h) => h,
            None => default_http(self.timeout, self.connect_timeout)?,
        };
        let rate_limit = self.rate_limit.map(|l| match &self.auth {
            Auth::Credentials(c) => l.with_default_app(c.client_key()),
            _ => l.with_default_app("default"),
        });
        let tokens = match self.auth {
            Auth::None => Tokens::None,
            Auth::Fixed(t) => {
                if t.expose_secret().trim().is_empty() {
                    return Err(Error::Config("the access token is empty".into()));
                }
                Tokens::Fixed(AccessToken::new(t.expose_secret(), self.clock.now(), None))
            }
            Auth::Credentials(c) => {
                if c.client_key().trim().is_empty() {
                    return Err(Error::Config("the client_key is empty".into()));
                }
                if c.secret().expose_secret().trim().is_empty() {
                    return Err(Error::Config("the client_secret is empty".into()));
                }
                let store = self
                    .store
                    .unwrap_or_else(|| Arc::new(MemoryTokenStore::new()));
                Tokens::Provider(TokenProvider::new(c, store, self.clock, self.refresh))
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                base_url,
                base,
                http,
                tokens,
                retry: self.retry,
                retry_overrides: self.retry_overrides,
                deadline: self.deadline,
                rate_limit,
            }),
        })
    }
}

fn normalize_base_url(raw: &str) -> Result<String, Error> {
    // A URL with user info holds a credential: never echo it.
    let shown = if raw.contains('@') { "(redacted)" } else { raw };
    let trimmed = raw.trim();
    if trimmed.chars().any(char::is_whitespace) {
        return Err(Error::Config(format!(
            "base URL {shown:?} contains white space"
        )));
    }
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| Error::Config(format!("base URL {shown:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Config(format!(
            "base URL {shown:?} must be http(s)://host[/prefix]"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the URL here: it holds a credential.
        return Err(Error::Config(
            "base URL must not contain user info (user:password@); authentication is the access token"
                .into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {shown:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn default_http(timeout: Duration, connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    crate::tls::http_builder()?
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .user_agent(concat!("douyin-goodlife-rust/", env!("CARGO_PKG_VERSION")))
        // A redirect would carry the access token or the client secret to
        // another host: none is followed (a 3xx is `Error::Http`).
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The base URL, parsed.
    pub(crate) fn base(&self) -> &reqwest::Url {
        &self.inner.base
    }

    /// The token the next call would send: the fixed one, or the cached one
    /// (fetched first if there is none or it is due for refresh).
    ///
    /// Fails with [`Error::Config`] when the client has neither credentials nor
    /// a fixed token, and with the token endpoint's error (e.g.
    /// [`ErrorCode::TokenWrongCredentials`](crate::ErrorCode::TokenWrongCredentials))
    /// when a fetch fails.
    pub async fn access_token(&self) -> Result<AccessToken, Error> {
        match self.current_token().await? {
            Some(token) => Ok(token),
            None => Err(no_token()),
        }
    }

    /// 点单标品查询: one food-ordering SPU, by `spu_id` or `out_spu_id`
    /// (sugar over [`get_food_order_spu_detail`](Self::get_food_order_spu_detail)).
    pub async fn get_food_order_spu(
        &self,
        query: &SpuQuery,
    ) -> Result<Response<types::SpuDetailData>, Error> {
        self.get_food_order_spu_detail(query).await
    }

    /// Runs one operation: within the overall deadline, retried per the
    /// [`RetryConfig`] (a transport failure or 5xx after sending only when the
    /// operation is safe to repeat), replayed once with a new token when the
    /// server rejects the one used; all in one `douyin_goodlife.call` span.
    /// Each attempt sends `encoded` and reads the answer with `decode`: this
    /// loop is not generic, so it is compiled once for every operation.
    pub(crate) async fn execute(
        &self,
        spec: &'static OperationSpec,
        encoded: &crate::operation::Encoded,
        decode: crate::operation::DecodeFn,
    ) -> Result<Response<crate::operation::Decoded>, Error> {
        let has_key = encoded.has_key;
        let operation = spec.id;
        let span = tracing::info_span!(
            "douyin_goodlife.call",
            operation,
            attempt = tracing::field::Empty,
            logid = tracing::field::Empty,
            code = tracing::field::Empty,
            http_status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let inner = &self.inner;
        let safe = spec.safe_to_repeat(has_key);
        let retry = inner.retry_for(spec.operation);
        let call = async {
            let started = tokio::time::Instant::now();
            let attempts = AtomicU32::new(0);
            let replayed = AtomicBool::new(false);
            // Each attempt first books a slot of the operation's rate budget.
            let ends = started
                .checked_add(inner.deadline)
                .or_else(|| started.checked_add(Duration::from_secs(u64::from(u32::MAX))))
                .unwrap_or(started);
            let (limit, http) = (inner.rate_limit.as_ref(), &inner.http);
            let send = move |token: Option<SecretString>, retry: bool| async move {
                crate::rate_limit::admit(limit, spec, ends).await?;
                crate::operation::send(http, spec, encoded, token.as_ref(), retry, decode).await
            };
            let retried = retry::run(retry, started, inner.deadline, || {
                self.try_once(safe, &send, &attempts, &replayed)
            });
            let made = || attempts.load(Ordering::SeqCst);
            let result = match tokio::time::timeout(inner.deadline, retried).await {
                Ok(result) => result.map_err(|e| e.with_attempts(made().max(1))),
                Err(_) => Err(Error::Deadline {
                    operation,
                    deadline: inner.deadline,
                    attempts: made(),
                }),
            };
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let span = tracing::Span::current();
            span.record("attempt", made());
            span.record("elapsed_ms", elapsed_ms);
            record_outcome(&span, &result);
            match &result {
                Ok(_) => tracing::debug!(attempts = made(), elapsed_ms, "call succeeded"),
                Err(e) => tracing::debug!(attempts = made(), elapsed_ms, error = %e, "call failed"),
            }
            result
        };
        call.instrument(span).await
    }

    /// One try of the retry loop: a token, an attempt, and, when the server
    /// rejects the token, one refresh and replay per call.
    async fn try_once<D, F, Fut>(
        &self,
        safe: bool,
        send: &F,
        attempts: &AtomicU32,
        replayed: &AtomicBool,
    ) -> Result<Response<D>, Failure>
    where
        F: Fn(Option<SecretString>, bool) -> Fut,
        Fut: Future<Output = Result<Response<D>, Error>>,
    {
        // A failed token fetch is never retried here: every caller waiting
        // for it got the same error.
        let token = self.current_token().await.map_err(Failure::fatal)?;
        let Some(token) = token else {
            return Err(Failure::fatal(no_token()));
        };
        let retry = attempts.fetch_add(1, Ordering::SeqCst) > 0;
        let result = send(Some(token.secret().clone()), retry).await;
        let error = match result {
            Ok(response) => return Ok(response),
            Err(e) => e,
        };
        let Tokens::Provider(provider) = &self.inner.tokens else {
            return Err(Failure::classify(error, safe));
        };
        if !error.needs_new_token() || replayed.swap(true, Ordering::SeqCst) {
            return Err(Failure::classify(error, safe));
        }
        tracing::debug!(
            target: "douyin_goodlife::token",
            code = error.code().map(|c| c.code()),
            "token rejected; refreshing and replaying the call once"
        );
        provider.invalidate(&token).await.map_err(Failure::fatal)?;
        let token = provider
            .get(self.fetcher(provider))
            .await
            .map_err(Failure::fatal)?;
        attempts.fetch_add(1, Ordering::SeqCst);
        send(Some(token.secret().clone()), true)
            .await
            .map_err(|e| Failure::classify(e, safe))
    }

    /// The token for the next attempt; `None` when none is configured.
    async fn current_token(&self) -> Result<Option<AccessToken>, Error> {
        match &self.inner.tokens {
            Tokens::Fixed(t) => Ok(Some(t.clone())),
            Tokens::Provider(p) => p.get(self.fetcher(p)).await.map(Some),
            Tokens::None => Ok(None),
        }
    }

    /// What the provider runs to fetch a token: `get_client_token` through
    /// [`attempt_with`], in its own span. It owns clones of what it needs (not
    /// the client, which owns the provider).
    fn fetcher(&self, provider: &TokenProvider) -> impl FnOnce() -> FetchFuture + use<> {
        let base = self.inner.base.clone();
        let http = self.inner.http.clone();
        let credentials = provider.credentials().clone();
        let retry = self.inner.retry_for(Operation::GetClientToken).clone();
        let deadline = self.inner.deadline;
        move || {
            let span = tracing::debug_span!(
                "douyin_goodlife.token_fetch",
                client_key = %credentials.client_key(),
                logid = tracing::field::Empty,
                code = tracing::field::Empty,
                http_status = tracing::field::Empty,
            );
            // Transient failures (5xx, transport, busy codes) are retried with
            // the client's backoff; 10020 (too many fetches) and credential
            // errors are not.
            // Transient failures (5xx, transport, busy codes) are retried with
            // the client's backoff, within the call deadline; 10020 (too many
            // fetches) and credential errors are not.
            let fetch = async move {
                let started = tokio::time::Instant::now();
                let mut attempt = 1;
                loop {
                    let result = fetch_token(base.clone(), http.clone(), credentials.clone()).await;
                    match result {
                        Err(e)
                            if e.is_retryable()
                                && attempt < retry.attempts()
                                && started.elapsed() < deadline =>
                        {
                            retry.wait_before_retry(attempt, &e).await;
                            attempt += 1;
                        }
                        other => return other,
                    }
                }
            };
            Box::pin(fetch.instrument(span))
        }
    }
}

fn no_token() -> Error {
    Error::Config(
        "no access token: set ClientBuilder::credentials (or DOUYIN_CLIENT_KEY and DOUYIN_CLIENT_SECRET) \
         or ClientBuilder::access_token (or DOUYIN_ACCESS_TOKEN)"
            .into(),
    )
}

/// Records the outcome of a call (or of a token fetch) on `span`: the result
/// code (0 on success), the HTTP status of a non-2xx answer, the logid.
fn record_outcome<T>(span: &tracing::Span, result: &Result<Response<T>, Error>) {
    match result {
        Ok(response) => {
            span.record("code", 0);
            if let Some(logid) = response.logid() {
                span.record("logid", logid);
            }
        }
        Err(e) => {
            if let Some(code) = e.code() {
                span.record("code", code.code());
            }
            if let Error::Http { status, .. } = e {
                span.record("http_status", status);
            }
            if let Some(logid) = e.logid() {
                span.record("logid", logid);
            }
        }
    }
}

/// `POST /oauth/client_token/` with the credentials; errors never hold the
/// secret or a token.
async fn fetch_token(
    base: reqwest::Url,
    http: reqwest::Client,
    credentials: Credentials,
) -> Result<Fetched, Error> {
    const OPERATION: &str = "get_client_token";
    let secret = credentials.secret().expose_secret();
    // Built through serde so that it holds whatever type the generator gives
    // `format: password` fields.
    let body: types::ClientTokenRequest = serde_json::from_value(serde_json::json!({
        "client_key": credentials.client_key(),
        "client_secret": secret,
        "grant_type": "client_credential",
    }))
    .map_err(|_| {
        Error::invalid(
            "client_key",
            "client_key and client_secret must not be empty",
        )
    })?;
    let spec = Operation::GetClientToken.spec();
    let raw = RawRequest::new(Vec::new(), Some(crate::operation::body_value(&body)?));
    let result = match crate::operation::encode(&base, spec, &raw) {
        Ok(encoded) => {
            use crate::operation::{decode_erased, downcast, send};
            send(
                &http,
                spec,
                &encoded,
                None,
                false,
                decode_erased::<types::ClientTokenResponse>,
            )
            .await
            .and_then(|r| downcast::<types::ClientTokenData>(spec, r))
        }
        Err(e) => Err(e),
    };
    let result = result.map_err(|e| scrub(e, secret, true));
    record_outcome(&tracing::Span::current(), &result);
    let response = result?;
    let logid = response.logid().map(str::to_string);
    let data = response.into_data();
    let token = data
        .access_token
        .as_ref()
        .and_then(|t| match serde_json::to_value(t) {
            Ok(serde_json::Value::String(t)) if !t.trim().is_empty() => Some(t),
            _ => None,
        })
        .ok_or_else(|| Error::Decode {
            operation: OPERATION,
            path: "data.access_token".into(),
            message: "missing or empty in a successful answer".into(),
            body: String::new(),
            logid: logid.clone(),
        })?;
    let expires_in = match data.expires_in {
        None => DEFAULT_EXPIRES_IN,
        // A lifetime beyond a month is a server error, not a reason to keep a
        // token forever (or to overflow a clock).
        Some(s) if s > 0 => Duration::from_secs(s.unsigned_abs()).min(MAX_TOKEN_LIFETIME),
        Some(s) => {
            return Err(Error::Decode {
                operation: OPERATION,
                path: "data.expires_in".into(),
                message: format!("must be positive, got {s}"),
                body: String::new(),
                logid,
            });
        }
    };
    Ok(Fetched {
        secret: SecretString::from(token),
        expires_in,
    })
}

/// Removes a secret (the client secret, or the access token a call sent) from
/// an error, wherever the server echoed it. For the token request
/// (`token_answer`), the body of an undecodable answer is dropped too, and
/// quoted values in the decoder's message: they may hold the new token.
pub(crate) fn scrub(error: Error, secret: &str, token_answer: bool) -> Error {
    let clean = |s: String| {
        if !secret.is_empty() && s.contains(secret) {
            s.replace(secret, "[REDACTED]")
        } else {
            s
        }
    };
    match error {
        Error::Api {
            operation,
            code,
            sub_code,
            description,
            sub_description,
            logid,
            source_field,
            attempts,
        } => Error::Api {
            operation,
            code,
            sub_code,
            description: clean(description),
            sub_description: sub_description.map(clean),
            logid,
            source_field,
            attempts,
        },
        Error::Http {
            operation,
            status,
            body,
            logid,
            retry_after,
            attempts,
        } => Error::Http {
            operation,
            status,
            body: clean(body),
            logid,
            retry_after,
            attempts,
        },
        Error::Decode {
            operation,
            path,
            message,
            body,
            logid,
        } if token_answer => {
            drop(body);
            Error::Decode {
                operation,
                path,
                message: redact_quoted(&clean(message)),
                body: "[not kept: the token answer may hold a token]".into(),
                logid,
            }
        }
        Error::Decode {
            operation,
            path,
            message,
            body,
            logid,
        } => Error::Decode {
            operation,
            path,
            message: clean(message),
            body: clean(body),
            logid,
        },
        other => other,
    }
}

/// `message` with every `"…"` and `` `…` `` quoted value replaced (serde's
/// messages quote the offending value).
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' {
                    quote = Some(c);
                }
            }
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    out
}

pub(crate) async fn http_error(operation: &'static str, response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let logid = response
        .headers()
        .get(LOGID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
    let body = read_capped(response).await;
    Error::Http {
        operation,
        status,
        body,
        logid,
        retry_after,
        attempts: 1,
    }
}

/// The longest `Retry-After` honoured (1 hour); a server asking more is
/// capped, never trusted to overflow a timer.
pub(crate) const MAX_RETRY_AFTER_SECS: u64 = 3600;

/// `Retry-After` in either of its forms: delay-seconds or an HTTP-date
/// (seconds from `now`, 0 for a date in the past), capped at
/// [`MAX_RETRY_AFTER_SECS`]. `None` for anything else.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    let secs = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits beyond u64 are still "a very long time".
        value.parse::<u64>().unwrap_or(u64::MAX)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).map_or(0, |d| d.as_secs())
    };
    Some(secs.min(MAX_RETRY_AFTER_SECS))
}

/// Reads at most `BODY_CAP` bytes of a body, never the whole of a huge one.
async fn read_capped(mut response: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < crate::error::BODY_CAP {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            _ => break,
        }
    }
    capped_body(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ClientBuilder::from_lookup(|name| Ok(map.get(name).cloned()))
    }

    #[test]
    fn env_credentials_take_precedence_over_a_fixed_token() {
        let b = from(&[
            (ENV_CLIENT_KEY, "awkey"),
            (ENV_CLIENT_SECRET, "canary-secret"),
            (ENV_ACCESS_TOKEN, "clt.canary"),
            (ENV_BASE_URL, "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert!(matches!(&b.auth, Auth::Credentials(c) if c.client_key() == "awkey"));
        assert_eq!(b.base_url, "http://127.0.0.1:9/");
        let client = b.build().unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        assert!(matches!(client.inner.tokens, Tokens::Provider(_)));
    }

    #[test]
    fn env_fixed_token_alone() {
        let b = from(&[(ENV_ACCESS_TOKEN, "clt.canary")]).unwrap();
        assert!(matches!(&b.auth, Auth::Fixed(t) if t.expose_secret() == "clt.canary"));
        assert_eq!(b.base_url, PRODUCTION_BASE_URL);
    }

    #[test]
    fn env_half_credentials_fail_and_empty_counts_as_unset() {
        let e = from(&[(ENV_CLIENT_KEY, "awkey")]).unwrap_err();
        assert!(e.to_string().contains(ENV_CLIENT_SECRET), "{e}");
        let e = from(&[(ENV_CLIENT_SECRET, "canary-secret"), (ENV_CLIENT_KEY, " ")]).unwrap_err();
        assert!(e.to_string().contains(ENV_CLIENT_KEY), "{e}");
        assert!(!e.to_string().contains("canary"));
        let b = from(&[(ENV_ACCESS_TOKEN, "")]).unwrap();
        assert!(matches!(b.auth, Auth::None));
    }

    #[test]
    fn empty_credentials_do_not_build() {
        let e = Client::builder().credentials("", "s").build().unwrap_err();
        assert!(
            matches!(e, Error::Config(ref m) if m.contains("client_key")),
            "{e}"
        );
        let e = Client::builder().credentials("k", " ").build().unwrap_err();
        assert!(
            matches!(e, Error::Config(ref m) if m.contains("client_secret")),
            "{e}"
        );
    }

    #[test]
    fn scrub_removes_the_secret_and_token_bodies() {
        let e = Error::Http {
            operation: "get_client_token",
            status: 500,
            body: "bad secret canary-secret".into(),
            logid: None,
            retry_after: None,
            attempts: 1,
        };
        let e = scrub(e, "canary-secret", true);
        assert!(!format!("{e} {e:?}").contains("canary-secret"));
        let e = Error::Decode {
            operation: "get_client_token",
            path: "data.expires_in".into(),
            message: "invalid type: string \"clt.canary\", expected i64".into(),
            body: r#"{"data":{"access_token":"clt.canary"}}"#.into(),
            logid: None,
        };
        let e = scrub(e, "canary-secret", true);
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("clt.canary"), "{shown}");
        assert!(shown.contains("data.expires_in"), "{shown}");
    }
}
