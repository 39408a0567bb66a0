//! The SQLite revocation feed: a subscription is a task that polls the database file on a
//! connection of its own, so every process sharing the file (and every subscriber within
//! one) sees every revocation recorded after it subscribed.
//!
//! Recording a revocation is its publication: each recording takes the next number of the
//! revocation sequence (migration 0003), and a poll reads the rows numbered past the last
//! one it saw, in order. [`publish`](RevocationFeed::publish) and
//! [`heartbeat`](RevocationFeed::heartbeat) have nothing left to do; a successful poll is
//! the heartbeat. A revocation's `published_at_ms` is when it was recorded, by SQLite's
//! clock (the host's: every process sharing the file runs on it). A revocation recorded
//! twice between two polls is delivered once, as its later record, which supersedes the
//! first (`not_before` only moves forward).
//!
//! Each poll first asks `PRAGMA data_version`, which changes only when another connection
//! has committed, and reads the table only then; every [`POLL_EVERY`] costs one cheap
//! statement while nothing happens. A poll that fails (the database gone or broken) ends
//! the subscription, and the follower resubscribes and reloads the snapshot. One process on
//! its own loses nothing to the poll interval: the auth service applies its own revocations
//! before publishing them.

use std::time::Duration;

use async_trait::async_trait;
use keycard_core::revocation::Revocation;
use keycard_core::store::{FeedEvent, FeedSubscription, RevocationFeed, StoreResult};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, SqliteConnection};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::{SqliteStore, store_error};
use crate::sql::rows::RevocationRow;

/// How often a subscription polls the database.
pub const POLL_EVERY: Duration = Duration::from_millis(75);

/// Events a subscription holds for a slow reader before its poller waits.
const BUFFER: usize = 256;

/// The revocation feed of a [`SqliteStore`]'s file.
#[derive(Clone, Debug)]
pub struct SqliteFeed {
    options: SqliteConnectOptions,
}

impl SqliteStore {
    /// The revocation feed of the processes that share this store's file.
    pub fn feed(&self) -> SqliteFeed {
        SqliteFeed {
            // The file must be there: a subscription never creates an empty database.
            options: self.options.clone().create_if_missing(false),
        }
    }
}

#[async_trait]
impl RevocationFeed for SqliteFeed {
    async fn publish(&self, _revocation: &Revocation, _published_at_ms: i64) -> StoreResult<()> {
        // Recording it was publishing it: the pollers read it from the table.
        Ok(())
    }

    async fn heartbeat(&self) -> StoreResult<()> {
        // Each subscription's successful poll is its heartbeat.
        Ok(())
    }

    async fn subscribe(&self) -> StoreResult<Box<dyn FeedSubscription>> {
        let mut conn = self.options.connect().await.map_err(store_error)?;
        let version = data_version(&mut conn).await?;
        // Every number up to this one is in rows the snapshot (read after this) can see.
        let last: i64 = sqlx::query_scalar("SELECT last FROM revocation_sequence")
            .fetch_one(&mut conn)
            .await
            .map_err(store_error)?;
        let (events, received) = mpsc::channel(BUFFER);
        let poller = Poller {
            conn,
            last,
            version,
        };
        tokio::spawn(poller.run(events));
        Ok(Box::new(SqliteSubscription(received)))
    }
}

/// A subscription's polling task: ends when a poll fails or the subscription is dropped,
/// and its end (the sender dropped) ends the subscription.
struct Poller {
    conn: SqliteConnection,
    /// The sequence number of the last revocation delivered.
    last: i64,
    /// `PRAGMA data_version` at the last read of the table.
    version: i64,
}

/// A row of `revocations` with its place in the sequence.
#[derive(sqlx::FromRow)]
struct SequencedRow {
    #[sqlx(flatten)]
    row: RevocationRow,
    seq: i64,
    recorded_at_ms: i64,
}

impl Poller {
    async fn run(mut self, events: mpsc::Sender<FeedEvent>) {
        let mut ticks = tokio::time::interval(POLL_EVERY);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = events.closed() => return,
            }
            let Ok(new) = self.poll().await else {
                return;
            };
            for event in new.into_iter().chain([FeedEvent::Heartbeat]) {
                if events.send(event).await.is_err() {
                    return;
                }
            }
        }
    }

    /// The revocations recorded since the last poll, in order.
    async fn poll(&mut self) -> StoreResult<Vec<FeedEvent>> {
        let version = data_version(&mut self.conn).await?;
        if version == self.version {
            return Ok(Vec::new());
        }
        let rows: Vec<SequencedRow> =
            sqlx::query_as("SELECT * FROM revocations WHERE seq > ? ORDER BY seq")
                .bind(self.last)
                .fetch_all(&mut self.conn)
                .await
                .map_err(store_error)?;
        self.version = version;
        let mut new = Vec::with_capacity(rows.len());
        for SequencedRow {
            row,
            seq,
            recorded_at_ms,
        } in rows
        {
            self.last = self.last.max(seq);
            new.push(FeedEvent::Revoked {
                revocation: row.into_revocation()?,
                published_at_ms: recorded_at_ms,
            });
        }
        Ok(new)
    }
}

async fn data_version(conn: &mut SqliteConnection) -> StoreResult<i64> {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(conn)
        .await
        .map_err(store_error)
}

struct SqliteSubscription(mpsc::Receiver<FeedEvent>);

#[async_trait]
impl FeedSubscription for SqliteSubscription {
    async fn next(&mut self) -> Option<FeedEvent> {
        self.0.recv().await
    }
}
