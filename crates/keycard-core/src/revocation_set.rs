//! The in-memory revocation set every verifier holds: the live revocations, applied as they
//! arrive from the feed, consulted on every request with two hash lookups and no I/O.
//!
//! It only remembers a revocation until `forget_after` (the longest an access token it
//! kills could live), so it stays small; [`RevocationSet::prune`] drops the rest.

use std::collections::HashMap;

use crate::revocation::{Revocation, Revoked};
use crate::{SessionId, TokenError, UnixTime, UserId};

/// The live revocations, by session and by user.
#[derive(Debug, Default)]
pub struct RevocationSet {
    /// Revoked sessions and when each may be forgotten.
    sessions: HashMap<SessionId, UnixTime>,
    /// Per user: tokens issued before `not_before` are dead; and when that may be forgotten.
    users: HashMap<UserId, (UnixTime, UnixTime)>,
}

impl RevocationSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set holding a snapshot (for a verifier joining, or resyncing after losing the feed).
    pub fn from_snapshot<'a>(revocations: impl IntoIterator<Item = &'a Revocation>) -> Self {
        let mut set = Self::new();
        for revocation in revocations {
            set.apply(revocation);
        }
        set
    }

    /// Applies one revocation; returns whether it changed what is refused (a session not
    /// yet revoked, or a user's `not_before` moved forward). Applying the same revocation
    /// again changes nothing, which is what lets a snapshot and a feed overlap. A user's
    /// `not_before` only moves forward.
    pub fn apply(&mut self, revocation: &Revocation) -> bool {
        match &revocation.what {
            Revoked::Session(id) => match self.sessions.get_mut(id) {
                Some(forget) => {
                    *forget = (*forget).max(revocation.forget_after);
                    false
                }
                None => {
                    self.sessions.insert(id.clone(), revocation.forget_after);
                    true
                }
            },
            Revoked::UserBefore { user, not_before } => match self.users.get_mut(user) {
                Some(entry) => {
                    let moved = *not_before > entry.0;
                    entry.0 = entry.0.max(*not_before);
                    entry.1 = entry.1.max(revocation.forget_after);
                    moved
                }
                None => {
                    self.users
                        .insert(user.clone(), (*not_before, revocation.forget_after));
                    true
                }
            },
        }
    }

    /// Whether a token of session `sid`, for user `sub`, issued at `iat`, is revoked. A token
    /// without `iat` cannot prove it is newer than its user's `not_before`, so it is revoked
    /// whenever the user has one.
    pub fn check(
        &self,
        sid: Option<&str>,
        sub: Option<&str>,
        iat: Option<UnixTime>,
    ) -> Result<(), TokenError> {
        if sid.is_some_and(|sid| self.sessions.contains_key(sid)) {
            return Err(TokenError::Revoked);
        }
        if let Some((not_before, _)) = sub.and_then(|sub| self.users.get(sub))
            && iat.is_none_or(|iat| iat < *not_before)
        {
            return Err(TokenError::Revoked);
        }
        Ok(())
    }

    /// Forgets what no longer needs remembering at `now`.
    pub fn prune(&mut self, now: UnixTime) {
        self.sessions.retain(|_, forget_after| now < *forget_after);
        self.users
            .retain(|_, (_, forget_after)| now < *forget_after);
    }

    /// How many revocations are held.
    pub fn len(&self) -> usize {
        self.sessions.len() + self.users.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs)
    }

    fn session(id: &str, forget_after: i64) -> Revocation {
        Revocation {
            what: Revoked::Session(SessionId::new(id)),
            at: t(0),
            forget_after: t(forget_after),
        }
    }

    fn user(id: &str, not_before: i64, forget_after: i64) -> Revocation {
        Revocation {
            what: Revoked::UserBefore {
                user: UserId::new(id),
                not_before: t(not_before),
            },
            at: t(not_before),
            forget_after: t(forget_after),
        }
    }

    #[test]
    fn a_revoked_session_kills_its_tokens() {
        let set = RevocationSet::from_snapshot(&[session("s1", 100)]);
        assert_eq!(
            set.check(Some("s1"), Some("u"), Some(t(5))),
            Err(TokenError::Revoked)
        );
        assert_eq!(set.check(Some("s2"), Some("u"), Some(t(5))), Ok(()));
        assert_eq!(set.check(None, Some("u"), Some(t(5))), Ok(()));
    }

    #[test]
    fn not_before_kills_older_tokens_only() {
        let mut set = RevocationSet::new();
        set.apply(&user("u", 50, 1000));
        assert_eq!(
            set.check(Some("s"), Some("u"), Some(t(49))),
            Err(TokenError::Revoked)
        );
        assert_eq!(set.check(Some("s"), Some("u"), Some(t(50))), Ok(()));
        assert_eq!(
            set.check(Some("s"), Some("u"), None),
            Err(TokenError::Revoked),
            "no iat, no proof"
        );
        assert_eq!(set.check(Some("s"), Some("other"), Some(t(1))), Ok(()));
        // An older not_before arriving late does not move it back.
        set.apply(&user("u", 10, 500));
        assert_eq!(
            set.check(Some("s"), Some("u"), Some(t(49))),
            Err(TokenError::Revoked)
        );
    }

    #[test]
    fn prune_forgets_after_the_longest_token_could_live() {
        let mut set = RevocationSet::from_snapshot(&[session("s1", 100), user("u", 50, 200)]);
        assert_eq!(set.len(), 2);
        set.prune(t(99));
        assert_eq!(set.len(), 2);
        set.prune(t(100));
        assert_eq!(set.len(), 1);
        set.prune(t(200));
        assert!(set.is_empty());
    }
}
