//! The sandbox's clock: token expiry, `extra.now` and the token rate window
//! read it, so tests move time instead of sleeping.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A clock shared by the sandbox and the test driving it. Cheap to clone
/// (clones share the time).
///
/// ```
/// use std::time::Duration;
/// use douyin_goodlife::mock::MockClock;
///
/// let clock = MockClock::frozen_at(1_732_896_000);
/// clock.advance(Duration::from_secs(7201));
/// assert_eq!(clock.unix(), 1_732_903_201);
/// ```
#[derive(Clone, Debug)]
pub struct MockClock {
    state: Arc<Mutex<State>>,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// The system clock plus an offset (which only grows).
    Running { ahead: Duration },
    /// A time that moves only when told to.
    Frozen { at: SystemTime },
}

impl MockClock {
    /// The system clock, movable forward with [`advance`](Self::advance).
    pub fn system() -> Self {
        Self::with(State::Running {
            ahead: Duration::ZERO,
        })
    }

    /// A clock standing still at `at` until moved.
    pub fn frozen(at: SystemTime) -> Self {
        Self::with(State::Frozen { at })
    }

    /// A clock standing still at `unix_seconds` until moved.
    pub fn frozen_at(unix_seconds: u64) -> Self {
        Self::frozen(UNIX_EPOCH + Duration::from_secs(unix_seconds))
    }

    fn with(state: State) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        match *self.lock() {
            State::Running { ahead } => SystemTime::now() + ahead,
            State::Frozen { at } => at,
        }
    }

    /// The current time in unix seconds.
    pub fn unix(&self) -> i64 {
        self.unix_millis().div_euclid(1000)
    }

    /// The current time in unix milliseconds.
    pub fn unix_millis(&self) -> i64 {
        match self.now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        *state = match *state {
            State::Running { ahead } => State::Running {
                ahead: ahead.saturating_add(by),
            },
            State::Frozen { at } => State::Frozen { at: at + by },
        };
    }

    /// Freezes the clock at `at` (which may be in its past).
    pub fn set(&self, at: SystemTime) {
        *self.lock() = State::Frozen { at };
    }
}

/// The same clock can drive a [`Client`](crate::Client)'s token cache
/// ([`ClientBuilder::clock`](crate::ClientBuilder::clock)), so that one
/// `advance` ages tokens on both sides.
impl crate::Clock for MockClock {
    fn now(&self) -> SystemTime {
        MockClock::now(self)
    }
}
