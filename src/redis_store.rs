//! A [`TokenStore`] in Redis (feature `redis`), shared by every process of a
//! merchant.
//!
//! Layout, per `client_key` (with the default prefix `douyin-goodlife`):
//!
//! - `douyin-goodlife:client_token:{client_key}` — a hash with `access_token`,
//!   `issued_at_ms` and `expires_at_ms`, expiring with the token (`PEXPIREAT`);
//! - `douyin-goodlife:client_token_lock:{client_key}` — the fetch lock,
//!   `SET … NX PX ttl` holding a random id; released by a Lua script that deletes
//!   it only if it still holds that id.
//!
//! Invalidation is a Lua compare-and-delete on the token field, so a process
//! that saw an old token rejected never deletes a newer one.
//!
//! **Timeouts.** Every command waits at most the response timeout (default
//! [`DEFAULT_REDIS_RESPONSE_TIMEOUT`], 2 s) and every connection attempt the
//! connection timeout (default [`DEFAULT_REDIS_CONNECTION_TIMEOUT`], 1 s); set
//! them with [`RedisTokenStore::builder`]. A command that times out is an
//! [`Error::TokenStore`] whose `source()` is the Redis error; the client then
//! fetches the token on its own (with a `warn` log line) rather than failing
//! the call, so a Redis stall costs at most one extra token fetch per process.
//!
//! ```no_run
//! # async fn run() -> Result<(), douyin_goodlife::Error> {
//! use std::sync::Arc;
//! use douyin_goodlife::{Client, RedisTokenStore};
//!
//! let store = RedisTokenStore::connect("redis://127.0.0.1:6379/").await?;
//! let client = Client::builder()
//!     .credentials("awkey", "secret")
//!     .token_store(Arc::new(store))
//!     .build()?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::ConnectionManager;

use crate::error::{Error, TokenStoreError};
use crate::token::{AccessToken, from_unix_ms};
use crate::token_store::{StoreLock, TokenStore};

/// Deletes KEYS[1] if its `access_token` field is ARGV[1].
const INVALIDATE_LUA: &str = r"
if redis.call('HGET', KEYS[1], 'access_token') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Deletes KEYS[1] if it holds ARGV[1].
const UNLOCK_LUA: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// The default key prefix.
pub const DEFAULT_REDIS_PREFIX: &str = "douyin-goodlife";

/// Default response timeout of one Redis command (redis-rs's own default,
/// 500 ms, made a short stall fail every caller waiting for a token).
pub const DEFAULT_REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Default timeout of one connection attempt to Redis.
pub const DEFAULT_REDIS_CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

/// Client tokens in Redis, shared between processes. Cheap to clone.
#[derive(Clone)]
pub struct RedisTokenStore {
    conn: ConnectionManager,
    prefix: String,
    invalidate: redis::Script,
    unlock: redis::Script,
}

impl std::fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection (and its URL, which may hold a password) is not shown.
        f.debug_struct("RedisTokenStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn store_error(e: redis::RedisError) -> Error {
    Error::TokenStore(TokenStoreError::with_source(format!("redis: {e}"), e))
}

/// Builder of a [`RedisTokenStore`]: timeouts and key prefix, then
/// [`connect`](Self::connect).
///
/// ```no_run
/// # async fn run() -> Result<(), douyin_goodlife::Error> {
/// use std::time::Duration;
/// use douyin_goodlife::RedisTokenStore;
///
/// let store = RedisTokenStore::builder("redis://127.0.0.1:6379/")
///     .response_timeout(Duration::from_secs(1))
///     .connection_timeout(Duration::from_millis(500))
///     .prefix("shop-42")
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisTokenStoreBuilder {
    client: Result<redis::Client, Error>,
    connection_timeout: Duration,
    response_timeout: Duration,
    prefix: String,
}

impl std::fmt::Debug for RedisTokenStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: not shown.
        f.debug_struct("RedisTokenStoreBuilder")
            .field("connection_timeout", &self.connection_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStoreBuilder {
    fn new(client: Result<redis::Client, Error>) -> Self {
        Self {
            client,
            connection_timeout: DEFAULT_REDIS_CONNECTION_TIMEOUT,
            response_timeout: DEFAULT_REDIS_RESPONSE_TIMEOUT,
            prefix: DEFAULT_REDIS_PREFIX.to_string(),
        }
    }

    /// How long one connection attempt may take (default
    /// [`DEFAULT_REDIS_CONNECTION_TIMEOUT`], 1 s). Must not be zero.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How long one command may wait for its answer (default
    /// [`DEFAULT_REDIS_RESPONSE_TIMEOUT`], 2 s). Must not be zero.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The key prefix (default [`DEFAULT_REDIS_PREFIX`]).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Connects (with automatic reconnection). Fails with [`Error::Config`] on
    /// a malformed URL or a zero timeout, and with [`Error::TokenStore`] when
    /// Redis cannot be reached.
    pub async fn connect(self) -> Result<RedisTokenStore, Error> {
        let client = self.client?;
        if self.connection_timeout.is_zero() || self.response_timeout.is_zero() {
            return Err(Error::Config(
                "Redis connection and response timeouts must not be zero".into(),
            ));
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connection_timeout))
            .set_response_timeout(Some(self.response_timeout));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(store_error)?;
        Ok(RedisTokenStore::from_connection_manager(conn).prefix(self.prefix))
    }
}

impl RedisTokenStore {
    /// Connects to `url` (`redis://[:password@]host:port/db`, or
    /// `redis+unix:///path/to/socket`), with automatic reconnection and the
    /// default timeouts ([`DEFAULT_REDIS_RESPONSE_TIMEOUT`],
    /// [`DEFAULT_REDIS_CONNECTION_TIMEOUT`]).
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::builder(url).connect().await
    }

    /// A builder for `url`, to set timeouts and the prefix before connecting.
    pub fn builder(url: &str) -> RedisTokenStoreBuilder {
        RedisTokenStoreBuilder::new(
            redis::Client::open(url)
                .map_err(|e| Error::Config(format!("Redis URL: {}", e.kind_description()))),
        )
    }

    /// A builder over a configured `redis::Client`.
    pub fn builder_from_client(client: redis::Client) -> RedisTokenStoreBuilder {
        RedisTokenStoreBuilder::new(Ok(client))
    }

    /// Uses a configured `redis::Client`, with the default timeouts.
    pub async fn from_client(client: redis::Client) -> Result<Self, Error> {
        Self::builder_from_client(client).connect().await
    }

    /// Uses an existing connection manager (its own timeouts apply).
    pub fn from_connection_manager(conn: ConnectionManager) -> Self {
        Self {
            conn,
            prefix: DEFAULT_REDIS_PREFIX.to_string(),
            invalidate: redis::Script::new(INVALIDATE_LUA),
            unlock: redis::Script::new(UNLOCK_LUA),
        }
    }

    /// The key prefix (default [`DEFAULT_REDIS_PREFIX`]).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The key of the token hash of `client_key`.
    pub fn token_key(&self, client_key: &str) -> String {
        format!("{}:client_token:{client_key}", self.prefix)
    }

    /// The key of the fetch lock of `client_key`.
    pub fn lock_key(&self, client_key: &str) -> String {
        format!("{}:client_token_lock:{client_key}", self.prefix)
    }
}

trait RedisErrorExt {
    fn kind_description(&self) -> String;
}

impl RedisErrorExt for redis::RedisError {
    /// The error without its detail (which may quote the URL).
    fn kind_description(&self) -> String {
        format!("{:?}", self.kind())
    }
}

fn parse_token(fields: &HashMap<String, String>) -> Option<AccessToken> {
    let token = fields.get("access_token").filter(|t| !t.is_empty())?;
    let issued = fields.get("issued_at_ms")?.parse().ok()?;
    let expires = match fields.get("expires_at_ms").map(String::as_str) {
        None | Some("") => None,
        Some(ms) => Some(from_unix_ms(ms.parse().ok()?)),
    };
    Some(AccessToken::new(
        token.as_str(),
        from_unix_ms(issued),
        expires,
    ))
}

impl TokenStore for RedisTokenStore {
    fn load<'a>(
        &'a self,
        client_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let fields: HashMap<String, String> = redis::cmd("HGETALL")
                .arg(self.token_key(client_key))
                .query_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(parse_token(&fields))
        })
    }

    fn save<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let key = self.token_key(client_key);
            let expires = token.expires_at_ms();
            let mut pipe = redis::pipe();
            pipe.atomic()
                .cmd("DEL")
                .arg(&key)
                .ignore()
                .cmd("HSET")
                .arg(&key)
                .arg("access_token")
                .arg(token.expose_secret())
                .arg("issued_at_ms")
                .arg(token.issued_at_ms())
                .arg("expires_at_ms")
                .arg(expires.map(|e| e.to_string()).unwrap_or_default())
                .ignore();
            if let Some(ms) = expires {
                pipe.cmd("PEXPIREAT").arg(&key).arg(ms).ignore();
            }
            pipe.query_async::<()>(&mut conn).await.map_err(store_error)
        })
    }

    fn invalidate<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let removed: i64 = self
                .invalidate
                .key(self.token_key(client_key))
                .arg(token.expose_secret())
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(removed > 0)
        })
    }

    fn try_lock<'a>(
        &'a self,
        client_key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<StoreLock>, Error>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let lock = StoreLock::random();
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let set: Option<String> = redis::cmd("SET")
                .arg(self.lock_key(client_key))
                .arg(lock.id())
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(set.map(|_| lock))
        })
    }

    fn unlock<'a>(
        &'a self,
        client_key: &'a str,
        lock: StoreLock,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let _: i64 = self
                .unlock
                .key(self.lock_key(client_key))
                .arg(lock.id())
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }
}
