//! Sessions: the unit of login and of revocation, in every mode.
//!
//! A cookie session and a refresh family are both sessions; every access token carries its
//! session's id as `sid`. A session dies at the earlier of its idle deadline (last seen plus
//! the idle timeout) and its absolute expiry, or when it is revoked.

mod refresh;

pub use refresh::{RefreshState, RevokeReason, RotationDecision, open_successor, seal_successor};

use crate::UnixTime;
use crate::ids::{SessionId, UserId};

/// Idle extensions are written at most this often, in seconds, so a busy session does not
/// turn every request into a store write.
pub const TOUCH_INTERVAL_SECS: i64 = 60;

/// What kind of credential the session is held by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// An opaque session id in an HttpOnly cookie (`kc_s_`).
    Cookie,
    /// A refresh token family (`kc_r_`), rotated on every use.
    Refresh(RefreshState),
}

impl SessionKind {
    /// `cookie` or `refresh`, as stored.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Cookie => "cookie",
            Self::Refresh(_) => "refresh",
        }
    }
}

/// Where the session was started from, for the user's list of their sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientMeta {
    /// The `User-Agent` at login.
    pub user_agent: Option<String>,
    /// The client's IP address at login.
    pub ip: Option<String>,
    /// A readable label ("Firefox on Linux").
    pub label: Option<String>,
}

impl ClientMeta {
    /// The client's address, if known and well-formed.
    pub fn ip_addr(&self) -> Option<std::net::IpAddr> {
        self.ip.as_deref()?.parse().ok()
    }
}

/// A session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The public id (`sid`).
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// Cookie session or refresh family, with the family's rotation state.
    pub kind: SessionKind,
    /// When it was created.
    pub created_at: UnixTime,
    /// When it was last used (written at most once a minute).
    pub last_seen_at: UnixTime,
    /// Seconds of inactivity after which it dies.
    pub idle_timeout_secs: i64,
    /// When it dies whatever its use.
    pub absolute_expiry: UnixTime,
    /// Where it was started from.
    pub client: ClientMeta,
}

impl Session {
    /// The instant it dies unless used again: the earlier of the idle deadline and the
    /// absolute expiry.
    pub fn expires_at(&self) -> UnixTime {
        self.last_seen_at
            .plus_secs(self.idle_timeout_secs)
            .min(self.absolute_expiry)
    }

    /// Whether it is alive at `now`: not expired, and (for a family) not revoked.
    pub fn is_live(&self, now: UnixTime) -> bool {
        let revoked = matches!(&self.kind, SessionKind::Refresh(state) if state.revoked.is_some());
        now < self.expires_at() && !revoked
    }

    /// Whether a use at `now` should be written back (the idle deadline moves at most once
    /// per [`TOUCH_INTERVAL_SECS`]).
    pub fn needs_touch(&self, now: UnixTime) -> bool {
        now >= self.last_seen_at.plus_secs(TOUCH_INTERVAL_SECS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(last_seen: i64, idle: i64, absolute: i64) -> Session {
        Session {
            id: SessionId::new("s"),
            user_id: UserId::new("u"),
            kind: SessionKind::Cookie,
            created_at: UnixTime::from_secs(0),
            last_seen_at: UnixTime::from_secs(last_seen),
            idle_timeout_secs: idle,
            absolute_expiry: UnixTime::from_secs(absolute),
            client: ClientMeta::default(),
        }
    }

    #[test]
    fn dies_at_the_earlier_deadline() {
        let s = session(100, 50, 1000);
        assert_eq!(s.expires_at(), UnixTime::from_secs(150));
        assert!(s.is_live(UnixTime::from_secs(149)));
        assert!(!s.is_live(UnixTime::from_secs(150)));
        let s = session(990, 50, 1000);
        assert_eq!(s.expires_at(), UnixTime::from_secs(1000));
    }

    #[test]
    fn touches_at_most_once_a_minute() {
        let s = session(100, 3600, 10_000);
        assert!(!s.needs_touch(UnixTime::from_secs(159)));
        assert!(s.needs_touch(UnixTime::from_secs(160)));
    }

    #[test]
    fn a_revoked_family_is_dead() {
        let mut s = session(100, 3600, 10_000);
        let mut state = RefreshState::new();
        state.revoked = Some(RevokeReason::ReuseDetected);
        s.kind = SessionKind::Refresh(state);
        assert!(!s.is_live(UnixTime::from_secs(101)));
    }
}
