//! [`Clock`]: where a policy reads the time.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A source of the current time, so that tests and hosts can control it.
///
/// A [`Policy`](crate::Policy) reads its clock when an edit depends on the
/// time, such as refusing an expiry that has already passed. Requests carry
/// their own time ([`Request::at`](crate::Request::at)).
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use api_roles::{Clock, ManualClock};
///
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(60));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// Returns the current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock; the default.
///
/// # Example
///
/// ```
/// use api_roles::{Clock, SystemClock};
///
/// assert!(SystemClock.now() > std::time::SystemTime::UNIX_EPOCH);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to, for tests.
///
/// # Example
///
/// ```
/// use std::time::SystemTime;
/// use api_roles::{Clock, ManualClock};
///
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// Creates a clock that reads `now`.
    ///
    /// # Example
    ///
    /// See [`ManualClock`].
    pub fn new(now: SystemTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Sets the time.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use api_roles::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new(SystemTime::now());
    /// clock.set(SystemTime::UNIX_EPOCH);
    /// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH);
    /// ```
    pub fn set(&self, now: SystemTime) {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
    }

    /// Moves the time forward by `by`.
    ///
    /// # Example
    ///
    /// See [`Clock`].
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
