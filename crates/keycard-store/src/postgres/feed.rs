//! The PostgreSQL revocation feed: `NOTIFY` on a channel named for the store's schema, and
//! a `LISTEN` on a connection of its own per subscription.
//!
//! The channel is per schema (`keycard_revocations_<schema>`), so several stores in one
//! database, one per test for instance, never hear each other. Publishing is
//! `SELECT pg_notify(channel, message)` through the store's pool; the message is the
//! feed's one-line text ([`crate::feed::codec`]).
//!
//! A subscription ends (`next()` gives `None`) as soon as its connection does: terminated
//! by the server (`pg_terminate_backend`, a restart), dropped by the network, or silent.
//! `PgListener` would reconnect by itself and drop whatever was notified in between, so it
//! is told not to (`eager_reconnect(false)`) and is never polled again after a loss: the
//! follower resubscribes and reloads the snapshot instead. The silent case is caught by
//! repeating the `LISTEN` (a harmless round trip that also keeps `pg_stat_activity` naming
//! the channel) every [`PING_EVERY`]: no answer within [`PING_TIMEOUT`] ends the
//! subscription.

use std::time::Duration;

use async_trait::async_trait;
use keycard_core::revocation::Revocation;
use keycard_core::store::{FeedEvent, FeedSubscription, RevocationFeed, StoreResult};
use sqlx::Executor as _;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::time::{Interval, MissedTickBehavior};

use super::{ACQUIRE_TIMEOUT, PostgresStore, store_error};
use crate::feed::codec::{HEARTBEAT, decode_message, encode_revoked};

/// How often a subscription checks that its connection still answers.
pub const PING_EVERY: Duration = Duration::from_secs(1);

/// How long a subscription waits for that answer before it ends.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest channel name PostgreSQL keeps whole (`NAMEDATALEN - 1`).
const MAX_CHANNEL: usize = 63;

/// The feed's channel for the stores in `schema`: `keycard_revocations_<schema>`, or, when
/// that is too long, its first bytes and a hash of the whole (FNV-1a, the same in every
/// build), so two schemas never share a channel by truncation.
pub(super) fn channel_for(schema: &str) -> String {
    let full = format!("keycard_revocations_{schema}");
    if full.len() <= MAX_CHANNEL {
        return full;
    }
    let hash = full.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let suffix = format!("_{hash:016x}");
    let mut keep = MAX_CHANNEL - suffix.len();
    while !full.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{suffix}", &full[..keep])
}

/// The revocation feed of a [`PostgresStore`].
#[derive(Clone)]
pub struct PostgresFeed {
    pool: PgPool,
    options: PgConnectOptions,
    channel: String,
}

impl std::fmt::Debug for PostgresFeed {
    // The connect options hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresFeed")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// The revocation feed of the instances that share this store (the same database and
    /// schema).
    pub fn feed(&self) -> PostgresFeed {
        PostgresFeed {
            pool: self.pool.clone(),
            options: self.options.clone(),
            channel: self.channel.clone(),
        }
    }
}

impl PostgresFeed {
    /// The channel its messages go through.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    async fn notify(&self, message: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.channel)
            .bind(message)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(store_error)
    }
}

#[async_trait]
impl RevocationFeed for PostgresFeed {
    async fn publish(&self, revocation: &Revocation, published_at_ms: i64) -> StoreResult<()> {
        self.notify(&encode_revoked(revocation, published_at_ms))
            .await
    }

    async fn heartbeat(&self) -> StoreResult<()> {
        self.notify(HEARTBEAT).await
    }

    async fn subscribe(&self) -> StoreResult<Box<dyn FeedSubscription>> {
        // A pool of its own, of one connection, that the listener never refills.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(self.options.clone());
        let mut listener = PgListener::connect_with(&pool).await.map_err(store_error)?;
        listener.eager_reconnect(false);
        listener.ignore_pool_close_event(true);
        // Acknowledged by the server before this returns: every later notify is delivered.
        listener.listen(&self.channel).await.map_err(store_error)?;
        let start = tokio::time::Instant::now() + PING_EVERY;
        let mut pings = tokio::time::interval_at(start, PING_EVERY);
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ok(Box::new(PostgresSubscription {
            listener: Some(listener),
            listen: format!(r#"LISTEN "{}""#, self.channel.replace('"', "\"\"")),
            pings,
        }))
    }
}

struct PostgresSubscription {
    /// `None` once the subscription has ended: a `PgListener` polled after a loss would
    /// reconnect.
    listener: Option<PgListener>,
    /// The statement that checks the connection.
    listen: String,
    pings: Interval,
}

impl PostgresSubscription {
    async fn next_event(&mut self) -> Option<FeedEvent> {
        let listener = self.listener.as_mut()?;
        loop {
            tokio::select! {
                // `Ok(None)` is a lost connection; an error (the server's "terminating
                // connection" included) ends the subscription too.
                notification = listener.try_recv() => {
                    let notification = notification.ok()??;
                    // An unreadable message ends the subscription (see `feed::codec`).
                    return decode_message(notification.payload()).ok();
                }
                _ = self.pings.tick() => {
                    let answer = listener.execute(self.listen.as_str());
                    if !matches!(tokio::time::timeout(PING_TIMEOUT, answer).await, Ok(Ok(_))) {
                        return None;
                    }
                }
            }
        }
    }
}

#[async_trait]
impl FeedSubscription for PostgresSubscription {
    async fn next(&mut self) -> Option<FeedEvent> {
        let event = self.next_event().await;
        if event.is_none() {
            self.listener = None;
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_fit_and_stay_apart() {
        assert_eq!(channel_for("public"), "keycard_revocations_public");
        let long_a = format!("{}a", "x".repeat(62));
        let long_b = format!("{}b", "x".repeat(62));
        let (a, b) = (channel_for(&long_a), channel_for(&long_b));
        assert_eq!(a.len(), MAX_CHANNEL);
        assert_ne!(a, b, "truncation alone would make them equal");
        assert_eq!(a, channel_for(&long_a), "the same in every call");
    }
}
