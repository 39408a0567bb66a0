//! Time as a value. The domain never reads the system clock itself (clippy's
//! `disallowed-methods` enforces it): callers pass `now`, taken from a [`Clock`], so tests
//! control time exactly and every rule is checked against one instant.

use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds since the Unix epoch, the unit of JWT dates (RFC 7519 NumericDate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// This instant plus `secs` seconds, saturating.
    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> UnixTime;

    /// The current time in milliseconds since the epoch, for measurements that need more
    /// than whole seconds (the revocation feed's lag). By default the seconds, scaled.
    fn now_millis(&self) -> i64 {
        self.now().as_secs().saturating_mul(1000)
    }
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one place the system clock is read.
    fn now(&self) -> UnixTime {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        UnixTime(since_epoch)
    }

    #[allow(clippy::disallowed_methods)] // The one place the system clock is read.
    fn now_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that stands still until told to move: for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: UnixTime) -> Self {
        Self(AtomicI64::new(start.0))
    }

    /// Moves the clock to `now`.
    pub fn set(&self, now: UnixTime) {
        self.0.store(now.0, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(UnixTime::from_secs(10));
        assert_eq!(clock.now().as_secs(), 10);
        clock.advance(5);
        assert_eq!(clock.now().as_secs(), 15);
        clock.set(UnixTime::from_secs(3));
        assert_eq!(clock.now(), UnixTime::from_secs(3));
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().as_secs() > 1_577_836_800);
    }
}
