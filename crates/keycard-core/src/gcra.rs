//! The rate-limit rule every limiter applies, in-process or in a shared store: GCRA
//! ("generic cell rate algorithm", as in `governor` or `redis-cell`), a token bucket whose
//! whole state is one number.
//!
//! `limit` attempts per `window` is a bucket of `limit` attempts that refills one every
//! `interval = window / limit`. The state of a bucket is the instant at which it will be
//! full again (`full_at`, milliseconds since the epoch); a bucket with no state, or whose
//! `full_at` is not after `now`, is full, so its record can be dropped (a store lets it
//! expire at `full_at`).
//!
//! - an attempt may be charged when `full_at + interval - window <= now`;
//! - charging moves `full_at` to `max(full_at, now) + interval`;
//! - a refund moves it back by one `interval` (the bucket is full again once that is not
//!   after `now`);
//! - forgiving drops the state: the bucket is full.
//!
//! The Redis script and the PostgreSQL function that apply the same rule in a shared store
//! are line-for-line copies of these functions (`keycard-store`'s `redis/scripts.rs` and
//! the `limit_buckets` migration); the conformance suite holds them to it.
//!
//! ```
//! use keycard_core::gcra::Rate;
//!
//! // 5 per 15 minutes: one attempt back every 3 minutes.
//! let rate = Rate::per_window(5, 900).unwrap();
//! let mut full_at = None;
//! for _ in 0..5 {
//!     assert_eq!(rate.wait(full_at, 0), 0);
//!     full_at = Some(rate.charged(full_at, 0));
//! }
//! assert_eq!(rate.wait(full_at, 0), 180_000);
//! full_at = rate.refunded(full_at, 0);
//! assert_eq!(rate.wait(full_at, 0), 0);
//! ```

use crate::UnixTime;

/// A limit in milliseconds: a bucket of `window / interval` attempts, refilled one every
/// `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// How long a full bucket takes to refill from empty, in milliseconds.
    pub window: i64,
    /// How long one attempt takes to come back, in milliseconds (at least 1).
    pub interval: i64,
}

impl Rate {
    /// `limit` attempts per `window_secs`; `None` when `limit` is 0 (the limit is off).
    pub fn per_window(limit: u32, window_secs: u64) -> Option<Self> {
        (limit > 0).then(|| {
            let window = i64::try_from(window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            Self {
                window,
                interval: (window / i64::from(limit)).max(1),
            }
        })
    }

    /// Milliseconds until a bucket whose state is `full_at` may be charged once more; 0 if
    /// it may at `now`.
    pub fn wait(self, full_at: Option<i64>, now: i64) -> i64 {
        let full_at = full_at.map_or(now, |at| at.max(now));
        full_at
            .saturating_add(self.interval)
            .saturating_sub(self.window)
            .saturating_sub(now)
            .max(0)
    }

    /// The state after charging one attempt (which [`wait`](Self::wait) allowed).
    pub fn charged(self, full_at: Option<i64>, now: i64) -> i64 {
        full_at
            .map_or(now, |at| at.max(now))
            .saturating_add(self.interval)
    }

    /// The state after giving one attempt back: `None` once the bucket is full.
    pub fn refunded(self, full_at: Option<i64>, now: i64) -> Option<i64> {
        full_at
            .map(|at| at.saturating_sub(self.interval))
            .filter(|&at| at > now)
    }
}

/// `now` in milliseconds, the unit of bucket states.
pub fn millis(now: UnixTime) -> i64 {
    now.as_secs().saturating_mul(1000)
}

/// Whether a bucket whose state is `full_at` holds any information at `now`: a bucket that
/// is full again may be forgotten (a store lets its record expire then).
pub fn is_full(full_at: i64, now: i64) -> bool {
    full_at <= now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_off_and_the_interval_is_never_zero() {
        assert_eq!(Rate::per_window(0, 900), None);
        let fast = Rate::per_window(100_000, 1).unwrap();
        assert_eq!(fast.interval, 1);
        assert_eq!(fast.window, 1000);
    }

    #[test]
    fn a_bucket_allows_its_limit_then_one_per_interval() {
        let rate = Rate::per_window(50, 900).unwrap();
        assert_eq!(rate.interval, 18_000);
        let mut full_at = None;
        for n in 0..50 {
            assert_eq!(rate.wait(full_at, 0), 0, "attempt {n}");
            full_at = Some(rate.charged(full_at, 0));
        }
        assert_eq!(rate.wait(full_at, 0), 18_000);
        assert_eq!(rate.wait(full_at, 17_999), 1);
        assert_eq!(rate.wait(full_at, 18_000), 0);
        // A whole window later the bucket is full: its state says nothing.
        assert!(is_full(full_at.unwrap(), 900_000));
    }

    #[test]
    fn a_refund_gives_back_exactly_one_attempt() {
        let rate = Rate::per_window(2, 10).unwrap();
        let one = rate.charged(None, 1_000);
        let two = rate.charged(Some(one), 1_000);
        assert!(rate.wait(Some(two), 1_000) > 0);
        let back = rate.refunded(Some(two), 1_000);
        assert_eq!(back, Some(one));
        assert_eq!(rate.wait(back, 1_000), 0);
        // Refunding the last charge leaves a full bucket: no state.
        assert_eq!(rate.refunded(back, 1_000), None);
        assert_eq!(rate.refunded(None, 1_000), None);
    }

    #[test]
    fn time_before_a_full_state_does_not_add_attempts() {
        let rate = Rate::per_window(1, 60).unwrap();
        // A bucket left full long ago is charged from now, not from its old state.
        let stale = Some(5_000);
        assert_eq!(rate.charged(stale, 100_000), 160_000);
    }
}
