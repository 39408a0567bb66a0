//! The feed follower: the task that keeps this instance's revocation set in step with
//! every other instance's, and the heartbeat sender. Both run until their task is dropped
//! (`keycard-server`'s bootstrap spawns them).

use std::time::Duration;

use keycard_core::store::{FeedEvent, FeedSubscription};

use super::HEARTBEAT_EVERY;
use crate::error::AuthError;
use crate::service::Auth;

/// The first wait before subscribing again after a failure; it doubles up to
/// [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between two attempts to subscribe.
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);

impl Auth {
    /// Follows the revocation feed, forever: subscribe, load the snapshot, apply each
    /// event; when the subscription ends or cannot be made, wait a little and start over.
    pub async fn follow_revocations(&self) {
        let mut backoff = MIN_BACKOFF;
        loop {
            match self.resync().await {
                Ok(mut subscription) => {
                    backoff = MIN_BACKOFF;
                    // Silence past the staleness bound ends the subscription too: a
                    // connection that answers but no longer delivers (a node cut off from
                    // its cluster) is replaced rather than trusted.
                    let bound = self.inner().feed_health.bound();
                    while let Ok(Some(event)) =
                        tokio::time::timeout(bound, subscription.next()).await
                    {
                        self.on_feed_event(event);
                    }
                    self.inner().feed_health.lost();
                    tracing::warn!("revocation feed lost or silent; resyncing");
                }
                Err(error) => {
                    self.inner().feed_health.lost();
                    tracing::warn!(%error, "revocation feed unavailable; retrying");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Sends a heartbeat through the feed every [`HEARTBEAT_EVERY`], forever.
    pub async fn send_heartbeats(&self) {
        let mut ticks = tokio::time::interval(HEARTBEAT_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = self.stores().feed.heartbeat().await {
                tracing::debug!(%error, "revocation feed heartbeat failed");
            }
        }
    }

    /// Subscribes first, then loads the snapshot: a revocation is either in the snapshot
    /// or published after the subscription began. The session and user caches are emptied:
    /// what the feed said while it was not followed is unknown.
    async fn resync(&self) -> Result<Box<dyn FeedSubscription>, AuthError> {
        let subscription = self.stores().feed.subscribe().await?;
        self.caches().sessions.clear();
        self.caches().users.clear();
        let live = self
            .stores()
            .revocations
            .live_revocations(self.now())
            .await?;
        self.apply_revocations(&live);
        self.inner().feed_health.heard();
        self.events().resynced();
        tracing::info!(
            live = live.len(),
            "revocation feed followed from a snapshot"
        );
        Ok(subscription)
    }

    fn on_feed_event(&self, event: FeedEvent) {
        match event {
            FeedEvent::Revoked {
                revocation,
                published_at_ms,
            } => {
                self.apply_revocations([&revocation]);
                let lag_ms = self.clock().now_millis().saturating_sub(published_at_ms);
                #[allow(clippy::cast_precision_loss)] // milliseconds of lag fit an f64
                self.events().feed_lag(lag_ms.max(0) as f64 / 1000.0);
            }
            FeedEvent::Heartbeat => {}
        }
        self.inner().feed_health.heard();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use keycard_core::freshness::Freshness;
    use keycard_core::revocation::{Revocation, Revoked};
    use keycard_core::{Algorithm, Key, KeySet, SessionId, SystemClock};

    use crate::{Auth, AuthSettings};

    async fn service() -> Auth {
        let stores = keycard_store::open::open(&"memory:".parse().unwrap(), None, "t")
            .await
            .unwrap();
        let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA).unwrap()).unwrap();
        Auth::new(
            AuthSettings::new("https://a.example"),
            stores,
            keys,
            Arc::new(SystemClock),
        )
        .unwrap()
    }

    fn revoked(id: &str, auth: &Auth) -> Revocation {
        let now = auth.now();
        Revocation {
            what: Revoked::Session(SessionId::new(id)),
            at: now,
            forget_after: now.plus_secs(600),
        }
    }

    fn is_revoked(auth: &Auth, id: &str) -> bool {
        auth.revocations().check(Some(id), None, None).is_err()
    }

    #[tokio::test]
    async fn a_snapshot_then_every_published_revocation_is_applied() {
        let auth = service().await;
        // Recorded before the follower starts: it must come from the snapshot.
        let early = revoked("early", &auth);
        auth.stores()
            .revocations
            .record_revocation(&early)
            .await
            .unwrap();
        assert_eq!(auth.feed_freshness(), Freshness::Stale, "not followed yet");
        let follower = tokio::spawn({
            let auth = auth.clone();
            async move { auth.follow_revocations().await }
        });
        while auth.feed_freshness() == Freshness::Stale {
            tokio::task::yield_now().await;
        }
        assert!(is_revoked(&auth, "early"));
        // Published by another instance: delivered by the subscription.
        let late = revoked("late", &auth);
        auth.stores().feed.publish(&late, 0).await.unwrap();
        while !is_revoked(&auth, "late") {
            tokio::task::yield_now().await;
        }
        follower.abort();
    }

    /// A feed whose subscriptions answer but never deliver anything.
    struct Silent(std::sync::atomic::AtomicUsize);

    struct Never;

    #[async_trait::async_trait]
    impl keycard_core::store::FeedSubscription for Never {
        async fn next(&mut self) -> Option<keycard_core::store::FeedEvent> {
            std::future::pending().await
        }
    }

    #[async_trait::async_trait]
    impl keycard_core::store::RevocationFeed for Silent {
        async fn publish(&self, _: &Revocation, _: i64) -> keycard_core::store::StoreResult<()> {
            Ok(())
        }
        async fn heartbeat(&self) -> keycard_core::store::StoreResult<()> {
            Ok(())
        }
        async fn subscribe(
            &self,
        ) -> keycard_core::store::StoreResult<Box<dyn keycard_core::store::FeedSubscription>>
        {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Box::new(Never))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscription_silent_past_the_bound_is_replaced() {
        let silent = Arc::new(Silent(std::sync::atomic::AtomicUsize::new(0)));
        let mut stores = keycard_store::open::open(&"memory:".parse().unwrap(), None, "t")
            .await
            .unwrap();
        stores.feed = silent.clone();
        let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA).unwrap()).unwrap();
        let auth = Auth::new(
            AuthSettings::new("https://a.example"),
            stores,
            keys,
            Arc::new(SystemClock),
        )
        .unwrap();
        let follower = tokio::spawn({
            let auth = auth.clone();
            async move { auth.follow_revocations().await }
        });
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        // Each resubscription reloads the snapshot from the store, so memory is never
        // older than the bound even on a connection that answers but delivers nothing.
        let subscriptions = silent.0.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            subscriptions >= 2,
            "resubscribed after silence: {subscriptions}"
        );
        follower.abort();
    }
}
