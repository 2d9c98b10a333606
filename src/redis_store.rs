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

use crate::error::Error;
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
    Error::TokenStore(format!("redis: {e}"))
}

impl RedisTokenStore {
    /// Connects to `url` (`redis://[:password@]host:port/db`), with automatic
    /// reconnection.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::Config(format!("Redis URL: {}", e.kind_description())))?;
        Self::from_client(client).await
    }

    /// Uses a configured `redis::Client`.
    pub async fn from_client(client: redis::Client) -> Result<Self, Error> {
        let conn = ConnectionManager::new(client).await.map_err(store_error)?;
        Ok(Self::from_connection_manager(conn))
    }

    /// Uses an existing connection manager.
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
