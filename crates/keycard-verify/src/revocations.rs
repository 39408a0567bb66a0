//! Keycard's revocations, as a resource server learns them: the follower reads
//! `GET /v1/revocations` (a snapshot, then each revocation and heartbeats) into a
//! [`RevocationSet`], and every request checks its token against that set, but only while
//! the stream has been heard from within the staleness bound; past it the verifier refuses
//! (503) rather than accept from memory that may be missing a logout.
//!
//! - [`events`]: the JSON of each event, read into the domain's revocations.
//! - the staleness rule is the server's own ([`keycard_core::freshness`]).
//! - [`follower`]: the task that connects, reads, applies, and resumes with
//!   `Last-Event-ID` when the connection is lost.

pub mod events;
pub mod follower;

use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use keycard_core::UnixTime;
use keycard_core::freshness::{FeedHealth, Freshness};
use keycard_core::revocation_set::RevocationSet;
use tokio::sync::watch;

use self::events::StreamEvent;
use crate::error::VerifyError;
use crate::token::VerifiedToken;

/// The revocations the verifier holds, and whether it may trust them.
#[derive(Debug)]
pub struct Revocations {
    set: RwLock<RevocationSet>,
    freshness: FeedHealth,
    /// Becomes `true` at the first snapshot.
    synced: watch::Sender<bool>,
}

impl Revocations {
    /// Nothing held, stale until the stream speaks.
    pub fn new(staleness: Duration) -> Self {
        Self {
            set: RwLock::new(RevocationSet::new()),
            freshness: FeedHealth::new(staleness),
            synced: watch::Sender::new(false),
        }
    }

    /// Refuses a token whose session or user is revoked, and any token while the stream
    /// is stale.
    pub fn check(&self, token: &VerifiedToken) -> Result<(), VerifyError> {
        let freshness = self.freshness.check(|| {
            tracing::warn!(
                bound = ?self.freshness.bound(),
                "revocation stream silent past the staleness bound; refusing tokens (503) until it is back"
            );
        });
        if freshness == Freshness::Stale {
            return Err(VerifyError::Stale);
        }
        let claims = token.claims();
        self.read()
            .check(claims.sid(), claims.sub(), claims.iat())
            .map_err(VerifyError::from)
    }

    /// Whether memory may be trusted now.
    pub fn is_fresh(&self) -> bool {
        self.freshness.is_fresh()
    }

    /// Waits until the first snapshot has been applied, at most `deadline`; returns
    /// whether it was.
    pub async fn wait_synced(&self, deadline: Duration) -> bool {
        let mut synced = self.synced.subscribe();
        tokio::time::timeout(deadline, synced.wait_for(|synced| *synced))
            .await
            .is_ok_and(|result| result.is_ok())
    }

    /// How many revocations are held.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies one event of the stream, heard at `now`.
    pub(crate) fn apply(&self, event: StreamEvent, now: UnixTime) {
        match event {
            StreamEvent::Snapshot(live) => {
                let mut set = RevocationSet::from_snapshot(&live);
                set.prune(now);
                *self.write() = set;
                self.synced.send_replace(true);
            }
            StreamEvent::Revocation(revocation) => {
                self.write().apply(&revocation);
            }
            StreamEvent::Heartbeat => self.write().prune(now),
            StreamEvent::Other => {}
        }
        self.freshness.heard();
    }

    /// The stream ended.
    pub(crate) fn lost(&self) {
        self.freshness.lost();
    }

    pub(crate) fn bound(&self) -> Duration {
        self.freshness.bound()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, RevocationSet> {
        self.set.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, RevocationSet> {
        self.set.write().unwrap_or_else(PoisonError::into_inner)
    }
}
