//! The user cache: enabled users by id, each for a short time to live, so `GET /v1/me`
//! and a cookie `GET /v1/auth/check` find their user without the store.
//!
//! What can change a user, and how each change reaches every instance's copy:
//! - disabling, logging out everywhere, an admin's session revocation: each moves the
//!   user's `not_before` and publishes it through the revocation feed, and
//!   [`UserCache::revoked`] drops the user on every instance that applies it;
//! - enabling: only disabled users are refused, and a disabled user is never cached, so
//!   there is no stale copy to fix; the instance that enables drops its copy anyway;
//! - a password change: the hash is not what the cache is read for (login reads the
//!   store), and the other sessions it ends are revoked through the feed; the instance
//!   that changes it drops its copy.
//!
//! Anything else that changes a user without a feed event (say, an operator editing the
//! database) is seen within the time to live: that bound is the cache's whole claim to
//! being true without the feed.

use std::time::Duration;

use keycard_core::user::User;
use keycard_core::{UnixTime, UserId};

use super::{Bounded, Expiring};

#[derive(Debug)]
struct Fresh {
    user: User,
    until: UnixTime,
}

impl Expiring for Fresh {
    fn expired(&self, now: UnixTime) -> bool {
        now >= self.until
    }
}

/// Enabled users, bounded in number and in age.
#[derive(Debug)]
pub struct UserCache {
    map: Bounded<UserId, Fresh>,
    ttl_secs: i64,
}

impl UserCache {
    /// An empty cache of at most `max` users (0: off), each kept for `ttl` (0: off).
    pub fn new(max: usize, ttl: Duration) -> Self {
        let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        Self {
            map: Bounded::new(if ttl_secs == 0 { 0 } else { max }),
            ttl_secs,
        }
    }

    /// The invalidation count, read before a store load (see [`Bounded::epoch`]).
    pub fn epoch(&self) -> u64 {
        self.map.epoch()
    }

    /// The user `id`, if cached within its time to live.
    pub fn get(&self, id: &UserId, now: UnixTime) -> Option<User> {
        self.map.get(id, now, |fresh| fresh.user.clone())
    }

    /// Remembers a user loaded from the store when the cache's epoch was `epoch`; a
    /// disabled user is not remembered.
    pub fn insert(&self, epoch: u64, user: User, now: UnixTime) {
        if user.disabled {
            return;
        }
        let until = now.plus_secs(self.ttl_secs);
        self.map
            .insert_since(epoch, user.id.clone(), Fresh { user, until }, now);
    }

    /// The user changed, or everything issued to them before some instant is dead.
    pub fn revoked(&self, id: &UserId) {
        self.map.remove(id);
    }

    /// Forgets everything (the feed was lost and resynced: what it missed is unknown).
    pub fn clear(&self) {
        self.map.clear();
    }

    /// How many users are held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
