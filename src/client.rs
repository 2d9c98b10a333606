//! The client: configuration, and one async method per endpoint.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{Error as GenError, ResponseValue};
use secrecy::SecretString;

use crate::envelope::{self, Envelope};
use crate::error::{Error, capped_body};
use crate::generated;
use crate::hooks::{CallContext, LOGID};
use crate::request::{CertificateQuery, OrderQuery, SpuQuery};
use crate::response::Response;
use crate::token::Tokens;
use crate::types;

/// Production host.
pub const PRODUCTION_BASE_URL: &str = "https://open.douyin.com";
/// Douyin's sandbox host (same paths).
pub const SANDBOX_BASE_URL: &str = "https://open-sandbox.douyin.com";

/// Default overall timeout of one HTTP attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A Douyin goodlife API client. Cheap to clone (an `Arc` inside); share one
/// per application.
///
/// ```no_run
/// # async fn run() -> Result<(), douyin_goodlife::Error> {
/// use douyin_goodlife::{Client, OrderQuery};
///
/// let client = Client::builder().access_token("clt.xxx").build()?;
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
    http: reqwest::Client,
    tokens: Tokens,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

/// Builder of a [`Client`]. Defaults: production host, 10 s per attempt, 3 s to
/// connect, rustls with certificate verification.
pub struct ClientBuilder {
    base_url: String,
    access_token: Option<SecretString>,
    timeout: Duration,
    connect_timeout: Duration,
    http: Option<reqwest::Client>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("access_token", &self.access_token.as_ref().map(|_| "[REDACTED]"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: PRODUCTION_BASE_URL.to_string(),
            access_token: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            http: None,
        }
    }
}

impl ClientBuilder {
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

    /// A fixed client token sent in the `access-token` header of every call.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(SecretString::from(token.into()));
        self
    }

    /// Timeout of one HTTP attempt, from sending to the last body byte.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Uses a preconfigured `reqwest::Client` (its own timeouts then apply).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client; fails on a malformed base URL.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = normalize_base_url(&self.base_url)?;
        let http = match self.http {
            Some(h) => h,
            None => default_http(self.timeout, self.connect_timeout)?,
        };
        let tokens = match self.access_token {
            Some(t) => Tokens::Fixed(t),
            None => Tokens::None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                base_url,
                http,
                tokens,
            }),
        })
    }
}

fn normalize_base_url(raw: &str) -> Result<String, Error> {
    let trimmed = raw.trim();
    if trimmed.chars().any(char::is_whitespace) {
        return Err(Error::Config(format!("base URL {raw:?} contains white space")));
    }
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| Error::Config(format!("base URL {raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Config(format!("base URL {raw:?} must be http(s)://host[/prefix]")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!("base URL {raw:?} must not have a query or fragment")));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn default_http(timeout: Duration, connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    #[cfg(feature = "rustls-ring")]
    {
        // Our default provider, unless the application installed its own.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .user_agent(concat!("douyin-goodlife-rust/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

type GenResult<T> = Result<ResponseValue<T>, GenError<()>>;

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// 综合预约品订单查询: one page of a POI's reservation orders.
    ///
    /// Validated before sending (see [`OrderQuery::validate`]).
    pub async fn query_reservation_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Response<types::QueryOrderData>, Error> {
        let body = query.to_wire()?;
        self.execute("query_reservation_orders", |g| {
            let body = &body;
            async move { g.query_reservation_orders(body).await }
        })
        .await
    }

    /// 点单标品查询: one food-ordering SPU, by `spu_id` or `out_spu_id`.
    pub async fn get_food_order_spu(
        &self,
        query: &SpuQuery,
    ) -> Result<Response<types::SpuDetailData>, Error> {
        let (account_id, out_spu_id, spu_id) = query.to_wire()?;
        self.execute("get_food_order_spu_detail", |g| {
            let out = out_spu_id.as_ref();
            async move { g.get_food_order_spu_detail(account_id, out, spu_id).await }
        })
        .await
    }

    /// 查询用户券列表: one page of a user's vouchers at a merchant.
    pub async fn query_user_certificates(
        &self,
        query: &CertificateQuery,
    ) -> Result<Response<types::UserCertificatesData>, Error> {
        let (header, body) = query.to_wire()?;
        self.execute("query_user_certificates", |g| {
            let (header, body) = (header.as_ref(), &body);
            async move { g.query_user_certificates(header, body).await }
        })
        .await
    }

    /// Runs one operation with the current access token.
    async fn execute<T, F, Fut>(&self, operation: &'static str, send: F) -> Result<Response<T::Data>, Error>
    where
        T: Envelope,
        F: Fn(generated::Client) -> Fut,
        Fut: Future<Output = GenResult<T>>,
    {
        let token = self.inner.tokens.current().await?;
        self.attempt(operation, Some(token), &send).await
    }

    /// One HTTP attempt: send through the generated client, then the envelope
    /// check.
    pub(crate) async fn attempt<T, F, Fut>(
        &self,
        operation: &'static str,
        token: Option<SecretString>,
        send: &F,
    ) -> Result<Response<T::Data>, Error>
    where
        T: Envelope,
        F: Fn(generated::Client) -> Fut,
        Fut: Future<Output = GenResult<T>>,
    {
        let ctx = CallContext::new(token);
        let slot = ctx.logid_slot();
        let gen_client =
            generated::Client::new_with_client(&self.inner.base_url, self.inner.http.clone(), ctx);
        let result = send(gen_client).await;
        let header_logid = slot.lock().ok().and_then(|s| s.clone());
        into_result(operation, result, header_logid).await
    }
}

/// Maps what the generated client returned into the SDK's result.
async fn into_result<T: Envelope>(
    operation: &'static str,
    result: GenResult<T>,
    header_logid: Option<String>,
) -> Result<Response<T::Data>, Error> {
    let header_logid = header_logid.as_deref();
    match result {
        Ok(value) => envelope::check(operation, value.into_inner(), header_logid),
        Err(GenError::InvalidResponsePayload(bytes, _)) => {
            Err(envelope::undecodable::<T>(operation, &bytes, header_logid))
        }
        Err(GenError::UnexpectedResponse(response)) => Err(http_error(operation, response).await),
        Err(GenError::CommunicationError(e) | GenError::ResponseBodyError(e) | GenError::InvalidUpgrade(e)) => {
            Err(Error::Transport {
                operation,
                timeout: e.is_timeout(),
                attempts: 1,
                source: e.without_url(),
            })
        }
        Err(GenError::ErrorResponse(rv)) => Err(Error::Http {
            operation,
            status: rv.status().as_u16(),
            body: String::new(),
            logid: header_logid.map(str::to_string),
            retry_after: None,
            attempts: 1,
        }),
        Err(GenError::InvalidRequest(reason) | GenError::Custom(reason)) => {
            Err(Error::InvalidRequest { field: "request", reason })
        }
    }
}

async fn http_error(operation: &'static str, response: reqwest::Response) -> Error {
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
        .and_then(|v| v.trim().parse().ok());
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
