//! Where fetched tokens are kept, so that several clients (and, with
//! [`RedisTokenStore`](crate::RedisTokenStore), several processes) of one
//! merchant share one token instead of invalidating each other's.
//!
//! Douyin keeps only the two newest client tokens of an application valid, and
//! refuses more than 500 fetches in 5 minutes. A store therefore offers, per
//! `client_key`: the token and its expiry, a compare-and-invalidate, and a
//! lock with a holder-checked release that makes "fetch a new token" happen in
//! one place at a time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::error::Error;
use crate::token::AccessToken;

/// Proof of holding a store's fetch lock: an unguessable id released only by
/// its holder.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreLock {
    id: String,
}

impl StoreLock {
    /// A new random lock id (128 bits).
    pub fn random() -> Self {
        Self {
            id: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
        }
    }

    /// A lock with the given id (for store implementations).
    pub fn from_id(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// The id written to the store.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StoreLock").field(&self.id).finish()
    }
}

/// Storage of client tokens, keyed by `client_key`.
///
/// Implementations namespace the key themselves. Every method is called with
/// the application's `client_key`; none is called while another of the same
/// client is running for the same key in the same process (the client's single
/// flight sees to that), but other processes may run concurrently.
pub trait TokenStore: Send + Sync + std::fmt::Debug + 'static {
    /// The stored token, if any (expired ones may be returned; the caller checks).
    fn load<'a>(&'a self, client_key: &'a str)
    -> BoxFuture<'a, Result<Option<AccessToken>, Error>>;

    /// Stores `token`, replacing any other; it may be dropped at its expiry.
    fn save<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Removes the stored token only if it is `token` (same token string).
    /// Answers whether it removed it.
    fn invalidate<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool, Error>>;

    /// Takes the fetch lock for `ttl` if nobody holds it; `None` when another
    /// holder has it.
    fn try_lock<'a>(
        &'a self,
        client_key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<StoreLock>, Error>>;

    /// Releases the fetch lock if `lock` still holds it (a lock that expired and
    /// was taken by another holder is left alone).
    fn unlock<'a>(
        &'a self,
        client_key: &'a str,
        lock: StoreLock,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// The default store: memory of this process. Share one `Arc` of it between
/// clients to share their tokens.
#[derive(Default)]
pub struct MemoryTokenStore {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Default)]
struct Entry {
    token: Option<AccessToken>,
    lock: Option<(StoreLock, Instant)>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_entry<R>(&self, client_key: &str, f: impl FnOnce(&mut Entry) -> R) -> R {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        f(entries.entry(client_key.to_string()).or_default())
    }
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("MemoryTokenStore")
            .field("keys", &n)
            .finish()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(
        &'a self,
        client_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        let token = self.with_entry(client_key, |e| e.token.clone());
        Box::pin(async move { Ok(token) })
    }

    fn save<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.with_entry(client_key, |e| e.token = Some(token.clone()));
        Box::pin(async { Ok(()) })
    }

    fn invalidate<'a>(
        &'a self,
        client_key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool, Error>> {
        let removed = self.with_entry(client_key, |e| {
            if e.token.as_ref().is_some_and(|t| t.same_token(token)) {
                e.token = None;
                true
            } else {
                false
            }
        });
        Box::pin(async move { Ok(removed) })
    }

    fn try_lock<'a>(
        &'a self,
        client_key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<StoreLock>, Error>> {
        let now = Instant::now();
        let taken = self.with_entry(client_key, |e| match &e.lock {
            Some((_, until)) if *until > now => None,
            _ => {
                let lock = StoreLock::random();
                // A TTL too long for an `Instant`: a century is as good.
                let until = now
                    .checked_add(ttl)
                    .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
                    .unwrap_or(now);
                e.lock = Some((lock.clone(), until));
                Some(lock)
            }
        });
        Box::pin(async move { Ok(taken) })
    }

    fn unlock<'a>(
        &'a self,
        client_key: &'a str,
        lock: StoreLock,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.with_entry(client_key, |e| {
            if e.lock.as_ref().is_some_and(|(held, _)| *held == lock) {
                e.lock = None;
            }
        });
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn token(s: &str) -> AccessToken {
        let now = SystemTime::now();
        AccessToken::new(s, now, Some(now + Duration::from_secs(7200)))
    }

    #[tokio::test]
    async fn memory_store_compare_and_invalidate() {
        let store = MemoryTokenStore::new();
        store.save("k", &token("a")).await.unwrap();
        assert!(!store.invalidate("k", &token("b")).await.unwrap());
        assert_eq!(store.load("k").await.unwrap().unwrap().expose_secret(), "a");
        assert!(store.invalidate("k", &token("a")).await.unwrap());
        assert!(store.load("k").await.unwrap().is_none());
        assert!(store.load("other").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn memory_store_lock_is_exclusive_and_checked_on_release() {
        let store = MemoryTokenStore::new();
        let ttl = Duration::from_secs(60);
        let held = store.try_lock("k", ttl).await.unwrap().expect("free lock");
        assert!(store.try_lock("k", ttl).await.unwrap().is_none());
        // Another key is independent.
        assert!(store.try_lock("k2", ttl).await.unwrap().is_some());
        // A stranger's release does nothing.
        store
            .unlock("k", StoreLock::from_id("stranger"))
            .await
            .unwrap();
        assert!(store.try_lock("k", ttl).await.unwrap().is_none());
        store.unlock("k", held).await.unwrap();
        assert!(store.try_lock("k", ttl).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn memory_store_lock_expires() {
        let store = MemoryTokenStore::new();
        let _held = store
            .try_lock("k", Duration::ZERO)
            .await
            .unwrap()
            .expect("free lock");
        assert!(
            store
                .try_lock("k", Duration::from_secs(60))
                .await
                .unwrap()
                .is_some()
        );
    }
}
