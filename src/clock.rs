//! Time, injected: the token cache reads the wall clock through [`Clock`] so
//! that tests can move time forward without sleeping.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use douyin_goodlife::{Clock, ManualClock};
//!
//! let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
//! let before = clock.now();
//! clock.advance(Duration::from_secs(7200));
//! assert_eq!(clock.now().duration_since(before).unwrap(), Duration::from_secs(7200));
//! ```

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A source of wall-clock time.
///
/// Token expiry is wall-clock time (it is shared between processes through a
/// [`TokenStore`](crate::TokenStore)), so the clock answers [`SystemTime`].
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's clock ([`SystemTime::now`]); the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to; for tests (feature `test-util`).
#[cfg_attr(not(any(test, feature = "test-util")), allow(dead_code))]
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

#[cfg_attr(not(any(test, feature = "test-util")), allow(dead_code))]
impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock to `to` (which may be in its past).
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Default for ManualClock {
    /// A clock standing at the current system time.
    fn default() -> Self {
        Self::new(SystemTime::now())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}
