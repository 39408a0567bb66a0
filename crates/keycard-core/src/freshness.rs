//! The staleness rule: revocations held in memory may be trusted while their source was
//! heard from within the staleness bound; never heard, or the source lost, they may not.
//! One rule for both holders: a server instance and its revocation feed (`keycard-auth`),
//! and a resource server and Keycard's revocation stream (`keycard-verify`).
//!
//! Elapsed time is measured on tokio's monotonic clock (a measurement, not a reading of the
//! time of day, so not a [`Clock`](crate::clock::Clock)), which tests can pause and advance.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The health of a revocation source (a feed, a stream) as its holder sees it.
#[derive(Debug)]
pub struct FeedHealth {
    bound: Duration,
    last_heard: Mutex<Option<Instant>>,
    stale: AtomicBool,
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Heard from within the bound: memory is true.
    Fresh,
    /// Not heard from within the bound (or never): memory may miss revocations.
    Stale,
}

impl FeedHealth {
    /// Nothing heard yet: stale until the source first speaks.
    pub fn new(bound: Duration) -> Self {
        Self {
            bound,
            last_heard: Mutex::new(None),
            stale: AtomicBool::new(true),
        }
    }

    /// The source spoke now.
    pub fn heard(&self) {
        *self.lock() = Some(Instant::now());
    }

    /// Forgets the last word (the subscription or the stream ended): stale until the next.
    pub fn lost(&self) {
        *self.lock() = None;
    }

    /// How long ago the source last spoke; `None` if never since the last loss.
    pub fn age(&self) -> Option<Duration> {
        self.lock().map(|at| at.elapsed())
    }

    /// Whether the source was heard from within the bound, without counting a transition
    /// (for probes).
    pub fn is_fresh(&self) -> bool {
        self.age().is_some_and(|age| age <= self.bound)
    }

    /// Fresh or stale now; `entered_stale` is called once per transition into staleness.
    pub fn check(&self, entered_stale: impl FnOnce()) -> Freshness {
        let fresh = self.age().is_some_and(|age| age <= self.bound);
        let was_stale = self.stale.swap(!fresh, Ordering::AcqRel);
        if fresh {
            Freshness::Fresh
        } else {
            if !was_stale {
                entered_stale();
            }
            Freshness::Stale
        }
    }

    /// The staleness bound.
    pub fn bound(&self) -> Duration {
        self.bound
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
        let health = FeedHealth::new(Duration::from_secs(2));
        let mut transitions = 0;
        assert_eq!(
            health.check(|| transitions += 1),
            Freshness::Stale,
            "never heard"
        );
        health.heard();
        assert_eq!(health.check(|| transitions += 1), Freshness::Fresh);
        tokio::time::advance(Duration::from_millis(2000)).await;
        assert_eq!(
            health.check(|| transitions += 1),
            Freshness::Fresh,
            "the bound itself is fresh"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(!health.is_fresh(), "a probe sees it stale");
        assert_eq!(transitions, 0, "and counts nothing");
        assert_eq!(health.check(|| transitions += 1), Freshness::Stale);
        assert_eq!(health.check(|| transitions += 1), Freshness::Stale);
        assert_eq!(transitions, 1, "one stale period counted once");
        health.heard();
        assert_eq!(health.check(|| transitions += 1), Freshness::Fresh);
        health.lost();
        assert_eq!(health.check(|| transitions += 1), Freshness::Stale);
        assert_eq!(transitions, 2);
    }
}
