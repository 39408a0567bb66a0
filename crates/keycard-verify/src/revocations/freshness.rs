//! Whether the verifier may trust the revocations it holds: the server's rule
//! (`keycard-auth`'s `feed/health.rs`), applied to the stream. Memory is trusted while an
//! event was heard within the staleness bound; never heard, or the stream lost, it is not.
//! Elapsed time is measured on tokio's monotonic clock, which tests can pause.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The stream's health as the verifier sees it.
#[derive(Debug)]
pub struct Freshness {
    bound: Duration,
    last_heard: Mutex<Option<Instant>>,
    stale: AtomicBool,
}

impl Freshness {
    /// Nothing heard yet: stale until the stream first speaks.
    pub fn new(bound: Duration) -> Self {
        Self {
            bound,
            last_heard: Mutex::new(None),
            stale: AtomicBool::new(true),
        }
    }

    /// An event arrived now.
    pub fn heard(&self) {
        *self.lock() = Some(Instant::now());
    }

    /// The stream ended: stale until the next event.
    pub fn lost(&self) {
        *self.lock() = None;
    }

    /// The bound.
    pub fn bound(&self) -> Duration {
        self.bound
    }

    /// Whether memory may be trusted now, without counting a transition (for probes).
    pub fn peek(&self) -> bool {
        self.lock().is_some_and(|at| at.elapsed() <= self.bound)
    }

    /// Whether memory may be trusted now; `entered_stale` runs once per transition into
    /// staleness (to log it once, not per request).
    pub fn is_fresh(&self, entered_stale: impl FnOnce()) -> bool {
        let fresh = self.lock().is_some_and(|at| at.elapsed() <= self.bound);
        let was_stale = self.stale.swap(!fresh, Ordering::AcqRel);
        if !fresh && !was_stale {
            entered_stale();
        }
        fresh
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.last_heard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fresh_within_the_bound_stale_past_it_and_after_a_loss() {
        let freshness = Freshness::new(Duration::from_secs(2));
        let mut entered = 0;
        assert!(!freshness.is_fresh(|| entered += 1), "never heard");
        freshness.heard();
        assert!(freshness.is_fresh(|| entered += 1));
        tokio::time::advance(Duration::from_millis(2000)).await;
        assert!(
            freshness.is_fresh(|| entered += 1),
            "the bound itself is fresh"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(!freshness.is_fresh(|| entered += 1));
        assert!(!freshness.is_fresh(|| entered += 1));
        assert_eq!(entered, 1, "one stale period is reported once");
        freshness.heard();
        assert!(freshness.is_fresh(|| entered += 1));
        freshness.lost();
        assert!(!freshness.is_fresh(|| entered += 1));
        assert_eq!(entered, 2);
    }
}
