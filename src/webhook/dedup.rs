//! `Msg-Id` de-duplication: Douyin delivers a message at least once and may
//! repeat it (retries after a timeout, several pushes of the same action).
//!
//! [`MsgDedup::first_seen`] records an id and says whether it is new. Record it
//! before handling the message; if handling fails and Douyin should redeliver,
//! [`MsgDedup::forget`] it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), douyin_goodlife::webhook::DedupError> {
//! use douyin_goodlife::webhook::{MemoryDedup, MsgDedup};
//!
//! let seen = MemoryDedup::new();
//! assert!(seen.first_seen("m-1").await?);
//! assert!(!seen.first_seen("m-1").await?); // a redelivery
//! # Ok(()) }
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use crate::clock::{Clock, SystemClock};

/// How long an id is remembered by default: 24 hours (Douyin's retries of
/// one message span minutes).
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(24 * 3600);
/// How many ids [`MemoryDedup`] holds by default before forgetting the oldest.
pub const DEFAULT_DEDUP_CAPACITY: usize = 100_000;

/// A de-duplication store failed (e.g. Redis was unreachable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("msg-id store: {0}")]
pub struct DedupError(pub String);

/// Remembers message ids for a while.
pub trait MsgDedup: Send + Sync {
    /// Records `msg_id`; `true` if it was not seen within the TTL (handle the
    /// message), `false` for a duplicate.
    fn first_seen<'a>(&'a self, msg_id: &'a str) -> BoxFuture<'a, Result<bool, DedupError>>;

    /// Forgets `msg_id`, so that a redelivery is handled again.
    fn forget<'a>(&'a self, msg_id: &'a str) -> BoxFuture<'a, Result<(), DedupError>>;
}

/// Ids in this process's memory: bounded (the oldest are dropped first) and
/// expiring after a TTL read on an injectable [`Clock`]. Cheap to clone (clones
/// share the ids). For a fleet of processes use `RedisDedup` (feature `redis`).
#[derive(Clone, Debug)]
pub struct MemoryDedup {
    inner: Arc<Mutex<Seen>>,
    ttl: Duration,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Default)]
struct Seen {
    expires: HashMap<String, SystemTime>,
    /// Insertion order, oldest first; may hold ids already expired or forgotten.
    order: VecDeque<(String, SystemTime)>,
}

impl Default for MemoryDedup {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryDedup {
    /// [`DEFAULT_DEDUP_TTL`], [`DEFAULT_DEDUP_CAPACITY`], the system clock.
    pub fn new() -> Self {
        MemoryDedup {
            inner: Arc::default(),
            ttl: DEFAULT_DEDUP_TTL,
            capacity: DEFAULT_DEDUP_CAPACITY,
            clock: Arc::new(SystemClock),
        }
    }

    /// Remembers ids for `ttl`.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Holds at most `capacity` ids (at least 1).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Reads time from `clock` (a manual clock in tests, feature `test-util`).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Records `msg_id`; `true` if it is new. The synchronous form of
    /// [`MsgDedup::first_seen`].
    pub fn insert(&self, msg_id: &str) -> bool {
        let now = self.clock.now();
        let mut seen = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Drop expired ids from the front (the order is by insertion, and every
        // id gets the same TTL, so expiry follows it).
        while let Some((id, exp)) = seen.order.front() {
            if *exp > now {
                break;
            }
            let (id, exp) = (id.clone(), *exp);
            seen.order.pop_front();
            if seen.expires.get(&id) == Some(&exp) {
                seen.expires.remove(&id);
            }
        }
        if seen.expires.get(msg_id).is_some_and(|exp| *exp > now) {
            return false;
        }
        while seen.expires.len() >= self.capacity {
            let Some((id, exp)) = seen.order.pop_front() else {
                break;
            };
            if seen.expires.get(&id) == Some(&exp) {
                seen.expires.remove(&id);
            }
        }
        let exp = now + self.ttl;
        seen.expires.insert(msg_id.to_owned(), exp);
        seen.order.push_back((msg_id.to_owned(), exp));
        // Forgotten ids leave stale entries in `order`; keep it bounded too.
        if seen.order.len() > self.capacity.saturating_mul(2) {
            let Seen { expires, order } = &mut *seen;
            order.retain(|(id, exp)| expires.get(id) == Some(exp));
        }
        true
    }

    /// Forgets `msg_id`. The synchronous form of [`MsgDedup::forget`].
    pub fn remove(&self, msg_id: &str) {
        let mut seen = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        seen.expires.remove(msg_id);
    }

    /// How many ids are held (expired ones included until the next insert).
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .expires
            .len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MsgDedup for MemoryDedup {
    fn first_seen<'a>(&'a self, msg_id: &'a str) -> BoxFuture<'a, Result<bool, DedupError>> {
        let new = self.insert(msg_id);
        Box::pin(async move { Ok(new) })
    }

    fn forget<'a>(&'a self, msg_id: &'a str) -> BoxFuture<'a, Result<(), DedupError>> {
        self.remove(msg_id);
        Box::pin(async { Ok(()) })
    }
}

/// Ids in Redis (feature `redis`), shared by every process of a fleet: each is
/// a key `{prefix}:webhook_msg:{msg_id}` set with `SET … NX PX ttl`, so exactly
/// one process sees it first.
///
/// ```no_run
/// # async fn run() -> Result<(), douyin_goodlife::webhook::DedupError> {
/// use douyin_goodlife::webhook::{MsgDedup, RedisDedup};
///
/// let seen = RedisDedup::connect("redis://127.0.0.1:6379/").await?;
/// if seen.first_seen("m-1").await? {
///     // handle the message
/// }
/// # Ok(()) }
/// ```
#[cfg(feature = "redis")]
#[derive(Clone)]
pub struct RedisDedup {
    conn: redis::aio::ConnectionManager,
    prefix: String,
    ttl: Duration,
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for RedisDedup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection (and its URL, which may hold a password) is not shown.
        f.debug_struct("RedisDedup")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "redis")]
fn redis_error(e: redis::RedisError) -> DedupError {
    DedupError(format!("redis: {e}"))
}

#[cfg(feature = "redis")]
impl RedisDedup {
    /// Connects to `url` (`redis://[:password@]host:port/db`), with the key
    /// prefix [`DEFAULT_REDIS_PREFIX`](crate::DEFAULT_REDIS_PREFIX) and
    /// [`DEFAULT_DEDUP_TTL`], and the same explicit timeouts as the token
    /// store ([`DEFAULT_REDIS_RESPONSE_TIMEOUT`](crate::DEFAULT_REDIS_RESPONSE_TIMEOUT),
    /// [`DEFAULT_REDIS_CONNECTION_TIMEOUT`](crate::DEFAULT_REDIS_CONNECTION_TIMEOUT)),
    /// so a Redis stall of a second does not fail a delivery.
    pub async fn connect(url: &str) -> Result<Self, DedupError> {
        let client = redis::Client::open(url).map_err(redis_error)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(crate::DEFAULT_REDIS_CONNECTION_TIMEOUT))
            .set_response_timeout(Some(crate::DEFAULT_REDIS_RESPONSE_TIMEOUT));
        let conn = redis::aio::ConnectionManager::new_with_config(client, config)
            .await
            .map_err(redis_error)?;
        Ok(Self::from_connection(conn))
    }

    /// Uses an existing connection.
    pub fn from_connection(conn: redis::aio::ConnectionManager) -> Self {
        RedisDedup {
            conn,
            prefix: crate::DEFAULT_REDIS_PREFIX.to_owned(),
            ttl: DEFAULT_DEDUP_TTL,
        }
    }

    /// Uses `prefix` for the keys.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Remembers ids for `ttl` (at least 1 ms).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    fn key(&self, msg_id: &str) -> String {
        format!("{}:webhook_msg:{msg_id}", self.prefix)
    }
}

#[cfg(feature = "redis")]
impl MsgDedup for RedisDedup {
    fn first_seen<'a>(&'a self, msg_id: &'a str) -> BoxFuture<'a, Result<bool, DedupError>> {
        Box::pin(async move {
            let ttl_ms = u64::try_from(self.ttl.as_millis())
                .unwrap_or(u64::MAX)
                .max(1);
            let mut conn = self.conn.clone();
            let set: Option<String> = redis::cmd("SET")
                .arg(self.key(msg_id))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut conn)
                .await
                .map_err(redis_error)?;
            Ok(set.is_some())
        })
    }

    fn forget<'a>(&'a self, msg_id: &'a str) -> BoxFuture<'a, Result<(), DedupError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let _: i64 = redis::cmd("DEL")
                .arg(self.key(msg_id))
                .query_async(&mut conn)
                .await
                .map_err(redis_error)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn ttl_and_capacity() {
        let clock = Arc::new(ManualClock::default());
        let seen = MemoryDedup::new()
            .ttl(Duration::from_secs(60))
            .capacity(2)
            .clock(clock.clone());
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        clock.advance(Duration::from_secs(61));
        assert!(seen.insert("a"), "expired ids are new again");
        assert!(seen.insert("b"));
        assert!(seen.insert("c"), "full: the oldest goes");
        assert_eq!(seen.len(), 2);
        assert!(!seen.insert("c"));
        assert!(seen.insert("a"), "a was evicted");
        seen.remove("a");
        assert!(seen.insert("a"));
        for i in 0..100 {
            seen.insert(&i.to_string());
            seen.remove(&i.to_string());
        }
        assert!(seen.inner.lock().unwrap().order.len() <= 5);
    }
}
