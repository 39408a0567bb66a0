//! The session near-cache: live sessions by id, and cookie digests to the session they
//! open, so a cookie request or `GET /v1/me` finds its session without the store.
//!
//! Kept true by the revocation feed: every way a session ends before its time (logout,
//! logout everywhere, password change, admin, refresh reuse, the per-user cap) revokes its
//! id, and [`SessionCache::revoked`] drops it; a user's `not_before` moving drops all of
//! theirs. A cached session is served only while it is live at `now` by its own deadlines;
//! a copy that looks expired (another instance may have recorded a later use) is dropped
//! and the store asked. The digest index points at ids only, so dropping an id is one
//! removal, and a digest whose id is gone simply misses.

use keycard_core::opaque::TokenDigest;
use keycard_core::session::Session;
use keycard_core::{SessionId, UnixTime, UserId};

use super::{Bounded, Expiring};

#[derive(Debug)]
struct Live(Session);

impl Expiring for Live {
    fn expired(&self, now: UnixTime) -> bool {
        !self.0.is_live(now)
    }
}

#[derive(Debug)]
struct Pointer {
    id: SessionId,
    absolute_expiry: UnixTime,
}

impl Expiring for Pointer {
    fn expired(&self, now: UnixTime) -> bool {
        now >= self.absolute_expiry
    }
}

/// Live sessions, bounded in number.
#[derive(Debug)]
pub struct SessionCache {
    by_id: Bounded<SessionId, Live>,
    by_token: Bounded<TokenDigest, Pointer>,
}

impl SessionCache {
    /// An empty cache of at most `max` sessions (0: off).
    pub fn new(max: usize) -> Self {
        Self {
            by_id: Bounded::new(max),
            by_token: Bounded::new(max),
        }
    }

    /// The invalidation count, read before a store load (see [`Bounded::epoch`]).
    pub fn epoch(&self) -> u64 {
        self.by_id.epoch()
    }

    /// The session `id`, if cached and live at `now`.
    pub fn get(&self, id: &SessionId, now: UnixTime) -> Option<Session> {
        self.by_id.get(id, now, |live| live.0.clone())
    }

    /// The session the cookie hashed to `token` opens, if cached and live at `now`.
    pub fn get_by_token(&self, token: &TokenDigest, now: UnixTime) -> Option<Session> {
        let id = self
            .by_token
            .get(token, now, |pointer| pointer.id.clone())?;
        self.get(&id, now)
    }

    /// Remembers a session loaded from the store when the cache's epoch was `epoch`, and
    /// the cookie digest that found it, if any.
    pub fn insert(&self, epoch: u64, session: Session, token: Option<TokenDigest>, now: UnixTime) {
        if let Some(token) = token {
            let pointer = Pointer {
                id: session.id.clone(),
                absolute_expiry: session.absolute_expiry,
            };
            self.by_token
                .insert_since(self.by_token.epoch(), token, pointer, now);
        }
        self.by_id
            .insert_since(epoch, session.id.clone(), Live(session), now);
    }

    /// Records a use at `now` in the cached copy, if one is due (at most once per touch
    /// interval): returns whether it was, so the caller writes it to the store; `None` when
    /// the session is not cached. Checked and set under one lock, so concurrent requests
    /// write one touch between them.
    pub fn touch(&self, id: &SessionId, now: UnixTime) -> Option<bool> {
        self.by_id.update(id, |live| {
            let due = live.0.needs_touch(now);
            if due {
                live.0.last_seen_at = now;
            }
            due
        })
    }

    /// Forgets everything (the feed was lost and resynced: what it missed is unknown).
    pub fn clear(&self) {
        self.by_id.clear();
        self.by_token.clear();
    }

    /// The session `id` was revoked (or is gone).
    pub fn revoked(&self, id: &SessionId) {
        self.by_id.remove(id);
    }

    /// Every session of `user` is dead.
    pub fn user_revoked(&self, user: &UserId) {
        self.by_id.remove_where(|_, live| live.0.user_id == *user);
    }

    /// How many sessions are held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use keycard_core::session::{ClientMeta, SessionKind};

    use super::*;

    fn session(id: &str, user: &str) -> Session {
        Session {
            id: SessionId::new(id),
            user_id: UserId::new(user),
            kind: SessionKind::Cookie,
            created_at: UnixTime::from_secs(0),
            last_seen_at: UnixTime::from_secs(0),
            idle_timeout_secs: 1800,
            absolute_expiry: UnixTime::from_secs(10_000),
            client: ClientMeta::default(),
        }
    }

    #[test]
    fn revoked_sessions_and_users_are_dropped_and_idle_ones_not_served() {
        let cache = SessionCache::new(10);
        let t = UnixTime::from_secs;
        let token = TokenDigest::from_bytes([1; 32]);
        cache.insert(cache.epoch(), session("s1", "u1"), Some(token), t(0));
        cache.insert(cache.epoch(), session("s2", "u2"), None, t(0));
        assert_eq!(cache.get_by_token(&token, t(10)).unwrap().id.as_str(), "s1");
        assert!(cache.get_by_token(&token, t(1800)).is_none(), "idle");
        assert_eq!(
            cache.touch(&SessionId::new("s1"), t(100)),
            Some(true),
            "due"
        );
        assert_eq!(
            cache.touch(&SessionId::new("s1"), t(101)),
            Some(false),
            "written once"
        );
        assert_eq!(cache.touch(&SessionId::new("s9"), t(101)), None);
        assert!(cache.get_by_token(&token, t(1800)).is_some(), "used at 100");
        cache.revoked(&SessionId::new("s1"));
        assert!(cache.get_by_token(&token, t(10)).is_none());
        cache.user_revoked(&UserId::new("u2"));
        assert!(cache.get(&SessionId::new("s2"), t(10)).is_none());
    }
}
