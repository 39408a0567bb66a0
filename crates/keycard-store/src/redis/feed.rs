//! The Redis revocation feed: `PUBLISH` on one channel per key prefix
//! (`<prefix>:revocations`), and a dedicated pub/sub connection per subscription.
//!
//! A subscription ends (`next()` gives `None`) as soon as its connection does: the server
//! closed it (`CLIENT KILL`, a restart), the network dropped it, or it stopped answering.
//! The last is caught by a `PING` on the subscribed connection every [`PING_EVERY`]: no
//! answer within [`PING_TIMEOUT`] ends the subscription, so a connection that is open but
//! dead (a frozen server, a half-open TCP connection) is never mistaken for a quiet one.
//! Nothing reconnects by itself: the follower resubscribes and reloads the snapshot.
//!
//! In a Redis Cluster the feed uses classic pub/sub: a `PUBLISH` on any node reaches the
//! subscribers of every node over the cluster bus, so a subscription is one plain
//! connection to one node (the seed nodes are tried in turn, one per `subscribe`). Sharded
//! pub/sub (`SPUBLISH`/`SSUBSCRIBE`) would spare the bus but, in the `redis` crate, needs
//! RESP3 on the cluster connection, which resubscribes by itself after a reconnection or a
//! slot move: exactly the silent gap this feed must not have. Revocations are few, so the
//! bus traffic of classic pub/sub costs nothing that matters.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt as _;
use keycard_core::revocation::Revocation;
use keycard_core::store::{FeedEvent, FeedSubscription, RevocationFeed, StoreError, StoreResult};
use redis::aio::{PubSubSink, PubSubStream};
use tokio::time::{Interval, MissedTickBehavior};

use super::{Connection, RedisStore, backend, within_deadline};
use crate::feed::codec::{HEARTBEAT, decode_message, encode_revoked};

/// How often a subscription checks that its connection still answers.
pub const PING_EVERY: Duration = Duration::from_secs(1);

/// How long a subscription waits for the answer to its `PING` before it ends.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The revocation feed of a [`RedisStore`]: publishes through the store's connection and
/// subscribes on a connection of its own per subscription.
#[derive(Clone)]
pub struct RedisFeed {
    conn: Connection,
    channel: String,
    /// The servers a subscription may connect to: the one server, or the cluster's seed
    /// nodes.
    nodes: Arc<[redis::Client]>,
    /// The node the next subscription tries first.
    next_node: Arc<AtomicUsize>,
}

impl std::fmt::Debug for RedisFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFeed")
            .field("channel", &self.channel)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl RedisStore {
    /// The revocation feed of the instances that share this store (the same server or
    /// cluster, the same key prefix).
    pub fn feed(&self) -> RedisFeed {
        RedisFeed {
            conn: self.conn(),
            channel: self.keys.feed_channel(),
            nodes: self.nodes.clone(),
            next_node: Arc::new(AtomicUsize::new(0)),
        }
    }
}

impl RedisFeed {
    async fn publish_text(&self, message: String) -> StoreResult<()> {
        redis::cmd("PUBLISH")
            .arg(&self.channel)
            .arg(message)
            .query_async::<i64>(&mut self.conn.clone())
            .await
            .map(drop)
            .map_err(backend)
    }
}

#[async_trait]
impl RevocationFeed for RedisFeed {
    async fn publish(&self, revocation: &Revocation, published_at_ms: i64) -> StoreResult<()> {
        self.publish_text(encode_revoked(revocation, published_at_ms))
            .await
    }

    async fn heartbeat(&self) -> StoreResult<()> {
        self.publish_text(HEARTBEAT.to_owned()).await
    }

    async fn subscribe(&self) -> StoreResult<Box<dyn FeedSubscription>> {
        let turn = self.next_node.fetch_add(1, Ordering::Relaxed);
        let node = turn
            .checked_rem(self.nodes.len())
            .and_then(|i| self.nodes.get(i))
            .ok_or_else(|| StoreError::Backend("redis: no node to subscribe on".into()))?;
        let mut pubsub = within_deadline(node.get_async_pubsub())
            .await
            .map_err(backend)?;
        // Confirmed by the server before this returns: every later publish is delivered.
        within_deadline(pubsub.subscribe(&self.channel))
            .await
            .map_err(backend)?;
        let (sink, messages) = pubsub.split();
        let start = tokio::time::Instant::now() + PING_EVERY;
        let mut pings = tokio::time::interval_at(start, PING_EVERY);
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ok(Box::new(RedisSubscription {
            sink,
            messages,
            pings,
        }))
    }
}

struct RedisSubscription {
    sink: PubSubSink,
    messages: PubSubStream,
    pings: Interval,
}

#[async_trait]
impl FeedSubscription for RedisSubscription {
    async fn next(&mut self) -> Option<FeedEvent> {
        loop {
            tokio::select! {
                // The stream ends when the connection does.
                message = self.messages.next() => {
                    let payload: String = message?.get_payload().ok()?;
                    // An unreadable message ends the subscription (see `feed::codec`).
                    return decode_message(&payload).ok();
                }
                _ = self.pings.tick() => {
                    let pong = tokio::time::timeout(PING_TIMEOUT, self.sink.ping::<redis::Value>());
                    if !matches!(pong.await, Ok(Ok(_))) {
                        return None;
                    }
                }
            }
        }
    }
}
