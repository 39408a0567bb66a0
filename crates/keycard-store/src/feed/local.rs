//! An in-process revocation feed: a broadcast channel. Every subscriber of this process
//! receives every event published in it; nothing crosses a process boundary, so it is the
//! feed of the memory store and of one instance on its own.

use async_trait::async_trait;
use keycard_core::revocation::Revocation;
use keycard_core::store::{FeedEvent, FeedSubscription, RevocationFeed, StoreResult};
use tokio::sync::broadcast;

/// Events a slow subscriber may fall behind by before its subscription ends (and its
/// owner resyncs from a snapshot).
pub const CAPACITY: usize = 4096;

/// A feed within one process.
#[derive(Debug)]
pub struct LocalFeed {
    sender: broadcast::Sender<FeedEvent>,
}

impl Default for LocalFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalFeed {
    /// A feed with no subscriber yet.
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

#[async_trait]
impl RevocationFeed for LocalFeed {
    async fn publish(&self, revocation: &Revocation, published_at_ms: i64) -> StoreResult<()> {
        // No subscriber is not an error: nobody is listening yet.
        let _ = self.sender.send(FeedEvent::Revoked {
            revocation: revocation.clone(),
            published_at_ms,
        });
        Ok(())
    }

    async fn heartbeat(&self) -> StoreResult<()> {
        let _ = self.sender.send(FeedEvent::Heartbeat);
        Ok(())
    }

    async fn subscribe(&self) -> StoreResult<Box<dyn FeedSubscription>> {
        Ok(Box::new(LocalSubscription(self.sender.subscribe())))
    }
}

struct LocalSubscription(broadcast::Receiver<FeedEvent>);

#[async_trait]
impl FeedSubscription for LocalSubscription {
    async fn next(&mut self) -> Option<FeedEvent> {
        // Lagging behind ends the subscription: the owner resyncs from a snapshot rather
        // than continue with a gap.
        self.0.recv().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use keycard_core::revocation::Revoked;
    use keycard_core::{SessionId, UnixTime};

    use super::*;

    fn revocation(n: usize) -> Revocation {
        Revocation {
            what: Revoked::Session(SessionId::new(format!("s{n}"))),
            at: UnixTime::from_secs(1),
            forget_after: UnixTime::from_secs(2),
        }
    }

    #[tokio::test]
    async fn every_subscriber_gets_every_event_in_order() {
        let feed = LocalFeed::new();
        let mut one = feed.subscribe().await.unwrap();
        let mut two = feed.subscribe().await.unwrap();
        feed.publish(&revocation(1), 5).await.unwrap();
        feed.heartbeat().await.unwrap();
        for subscription in [&mut one, &mut two] {
            assert_eq!(
                subscription.next().await,
                Some(FeedEvent::Revoked {
                    revocation: revocation(1),
                    published_at_ms: 5
                })
            );
            assert_eq!(subscription.next().await, Some(FeedEvent::Heartbeat));
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_ended_not_skipped() {
        let feed = LocalFeed::new();
        let mut slow = feed.subscribe().await.unwrap();
        for n in 0..=CAPACITY {
            feed.publish(&revocation(n), 0).await.unwrap();
        }
        assert_eq!(slow.next().await, None, "a gap ends the subscription");
    }
}
