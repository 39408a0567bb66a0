//! The benchmark's clock. Keycard takes time from a `Clock` everywhere else (clippy bans
//! `Instant::now`); a benchmark measures wall time, so this file, and only this file,
//! reads the monotonic clock.

use std::time::{Duration, Instant};

/// The monotonic clock, now.
#[allow(
    clippy::disallowed_methods,
    reason = "a benchmark measures elapsed wall time"
)]
#[inline]
pub fn now() -> Instant {
    Instant::now()
}

/// How long since `start`.
#[inline]
pub fn since(start: Instant) -> Duration {
    now().saturating_duration_since(start)
}

/// Nanoseconds as an integer that fits a latency record (saturating at ~584 years).
#[inline]
pub fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
