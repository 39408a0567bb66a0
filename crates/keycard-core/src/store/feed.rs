//! The revocation feed: how a revocation made on one instance reaches every other instance
//! that shares the session store, and how an instance knows the path is still open.
//!
//! A backend offers three things: [`publish`](RevocationFeed::publish) a revocation already
//! recorded in the store, send a [`heartbeat`](RevocationFeed::heartbeat) through the same
//! path, and [`subscribe`](RevocationFeed::subscribe) to both. Every subscriber, the
//! publishing instance's own included, receives every event published after its
//! subscription began, in order; a subscription whose connection is lost ends, and its
//! owner subscribes again and reloads the snapshot (the store's live revocations).
//!
//! Why snapshot-then-deltas misses nothing: the follower subscribes *first*, then loads the
//! snapshot, then applies the events. A revocation recorded before the snapshot is read is
//! in the snapshot; one published after the subscription began is delivered by it; one in
//! both is applied twice, which changes nothing (applying a revocation is idempotent:
//! sessions are a set, `not_before` only moves forward). Since every revocation is recorded
//! before it is published, no revocation can fall between the two.

use async_trait::async_trait;

use super::StoreResult;
use crate::revocation::Revocation;

/// What a feed delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    /// A revocation made on some instance.
    Revoked {
        /// The revocation.
        revocation: Revocation,
        /// When it was published, in milliseconds since the epoch by the publisher's clock
        /// (for the lag metric only; no rule depends on it).
        published_at_ms: i64,
    },
    /// The path from the backend to this subscriber works: a heartbeat (any instance's)
    /// went through it, or a poll of the store succeeded.
    Heartbeat,
}

/// A live subscription.
#[async_trait]
pub trait FeedSubscription: Send {
    /// The next event; `None` once the subscription has ended (its connection was lost):
    /// subscribe again and reload the snapshot.
    async fn next(&mut self) -> Option<FeedEvent>;
}

/// A backend's revocation feed.
#[async_trait]
pub trait RevocationFeed: Send + Sync {
    /// Tells every subscriber about `revocation`, which the caller has already recorded
    /// in the store (so a subscriber that misses the event finds it in the next snapshot).
    async fn publish(&self, revocation: &Revocation, published_at_ms: i64) -> StoreResult<()>;
    /// Sends a heartbeat through the feed's path to every subscriber, this one's included.
    async fn heartbeat(&self) -> StoreResult<()>;
    /// Starts a subscription: every event published after this returns is delivered. An
    /// event published just before may be delivered too (in a Redis Cluster the bus carries
    /// a publish to the other nodes after the publisher has its answer); applying it again
    /// changes nothing. Older events are not replayed: they are the snapshot's.
    async fn subscribe(&self) -> StoreResult<Box<dyn FeedSubscription>>;
}
