//! The periodic sweeps that delete expired sessions, and the shared limit buckets that are
//! full again, from SQL stores (Redis expires its own by TTL). Reads are already
//! expiry-checked, so a sweep only reclaims space: missing a run never returns an expired
//! session or a stale count.

use std::sync::Arc;
use std::time::Duration;

use keycard_core::Clock;
use keycard_core::store::{SessionStore, SharedLimiter, StoreError};

/// Sweeps `store` every `every`, taking the time from `clock`, until the task is aborted.
/// A failed sweep is retried at the next tick; the count of sessions removed and the last
/// error are reported through `on_sweep`.
pub fn spawn_sweeper(
    store: Arc<dyn SessionStore>,
    clock: Arc<dyn Clock>,
    every: Duration,
    on_sweep: impl Fn(Result<u64, StoreError>) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    every_tick(
        every,
        move || {
            let (store, clock) = (store.clone(), clock.clone());
            async move { store.sweep_expired_sessions(clock.now()).await }
        },
        on_sweep,
    )
}

/// Sweeps the shared limit buckets that are full again from `limits` every `every`, as
/// [`spawn_sweeper`] sweeps sessions.
pub fn spawn_bucket_sweeper(
    limits: Arc<dyn SharedLimiter>,
    clock: Arc<dyn Clock>,
    every: Duration,
    on_sweep: impl Fn(Result<u64, StoreError>) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    every_tick(
        every,
        move || {
            let (limits, clock) = (limits.clone(), clock.clone());
            async move { limits.sweep_full_buckets(clock.now()).await }
        },
        on_sweep,
    )
}

/// Runs `sweep` at once and then every `every` (a late tick is delayed, not doubled), until
/// the task is aborted, reporting each outcome.
fn every_tick<F: Future<Output = Result<u64, StoreError>> + Send>(
    every: Duration,
    sweep: impl Fn() -> F + Send + 'static,
    on_sweep: impl Fn(Result<u64, StoreError>) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            on_sweep(sweep().await);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use keycard_core::opaque::{OpaqueKind, OpaqueToken};
    use keycard_core::session::{ClientMeta, Session, SessionKind};
    use keycard_core::{ManualClock, SessionId, UnixTime, UserId};

    #[tokio::test(start_paused = true)]
    async fn sweeps_on_schedule_with_the_clock_it_is_given() {
        let store = Arc::new(MemoryStore::new());
        let session = Session {
            id: SessionId::new("s"),
            user_id: UserId::new("u"),
            kind: SessionKind::Cookie,
            created_at: UnixTime::from_secs(0),
            last_seen_at: UnixTime::from_secs(0),
            idle_timeout_secs: 100,
            absolute_expiry: UnixTime::from_secs(1000),
            client: ClientMeta::default(),
        };
        let token = OpaqueToken::generate(OpaqueKind::Session).unwrap();
        store
            .create_session(&session, &token.digest())
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(UnixTime::from_secs(50)));
        let (sender, mut swept) = tokio::sync::mpsc::unbounded_channel();
        let task = spawn_sweeper(
            store.clone(),
            clock.clone(),
            Duration::from_secs(60),
            move |r| {
                let _ = sender.send(r.unwrap());
            },
        );
        assert_eq!(
            swept.recv().await,
            Some(0),
            "first tick: nothing expired at t=50"
        );
        clock.set(UnixTime::from_secs(500));
        assert_eq!(
            swept.recv().await,
            Some(1),
            "next tick: the idle session is gone"
        );
        task.abort();
        assert!(
            store
                .load_session(&session.id, UnixTime::from_secs(0))
                .await
                .unwrap()
                .is_none()
        );
    }
}
