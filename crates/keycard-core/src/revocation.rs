//! Revocations: what every verifier must stop accepting, and until when it must remember.
//!
//! A revocation only needs remembering while a token it kills could still be presented:
//! until the longest-lived access token issued before it has expired. So the live set stays
//! small, and a verifier that joins late loads it whole from a snapshot.

use crate::UnixTime;
use crate::ids::{SessionId, UserId};

/// What is revoked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Revoked {
    /// One session, with its cookie, its refresh family and every access token from it.
    Session(SessionId),
    /// Everything the user was issued before `not_before` ("log out everywhere", password
    /// change, account disabled).
    UserBefore {
        /// The user.
        user: UserId,
        /// Sessions created and tokens issued before this are dead.
        not_before: UnixTime,
    },
}

/// A revocation with its lifetime.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Revocation {
    /// What is revoked.
    pub what: Revoked,
    /// When it was revoked.
    pub at: UnixTime,
    /// After this, no token it kills can still be valid, and it may be forgotten.
    pub forget_after: UnixTime,
}

impl Revocation {
    /// Whether it must still be remembered at `now`.
    pub fn is_live(&self, now: UnixTime) -> bool {
        now < self.forget_after
    }

    /// The key a store files it under: one record per session, one per user.
    pub fn key(&self) -> String {
        match &self.what {
            Revoked::Session(id) => format!("s:{id}"),
            Revoked::UserBefore { user, .. } => format!("u:{user}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lives_until_forget_after() {
        let r = Revocation {
            what: Revoked::Session(SessionId::new("a")),
            at: UnixTime::from_secs(10),
            forget_after: UnixTime::from_secs(20),
        };
        assert!(r.is_live(UnixTime::from_secs(19)));
        assert!(!r.is_live(UnixTime::from_secs(20)));
        assert_eq!(r.key(), "s:a");
    }
}
