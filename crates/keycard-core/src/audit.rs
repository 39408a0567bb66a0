//! Audit events: who did what to which session, when and from where.

use crate::UnixTime;
use crate::ids::{SessionId, UserId};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditKind {
    /// A user was created.
    UserCreated,
    /// A login succeeded.
    LoginOk,
    /// A login failed (unknown email or wrong password; the event does not say which).
    LoginFailed,
    /// A session ended at the user's request.
    Logout,
    /// A refresh token was rotated.
    Refresh,
    /// An old refresh token was presented; its family was revoked.
    ReuseDetected,
    /// A session was revoked (by its user from the session list, or by an admin).
    SessionRevoked,
    /// A password was changed.
    PasswordChanged,
    /// An account was disabled.
    UserDisabled,
    /// An account was enabled again.
    UserEnabled,
    /// The previous refresh token was presented within the grace window and got the same
    /// successor again.
    RefreshReplayed,
    /// A session was ended because its user reached the live-session cap.
    SessionCapped,
    /// A login's new session was ended at once: the account was disabled, logged out
    /// everywhere or had its password changed while the login was in flight.
    LoginRaced,
    /// A signing key was promoted to active.
    KeyRotated,
    /// A signing key was retired before its schedule (an operator's emergency retire).
    KeyRetired,
}

impl AuditKind {
    /// Every kind.
    pub const ALL: [Self; 15] = [
        Self::UserCreated,
        Self::LoginOk,
        Self::LoginFailed,
        Self::Logout,
        Self::Refresh,
        Self::ReuseDetected,
        Self::SessionRevoked,
        Self::PasswordChanged,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::RefreshReplayed,
        Self::SessionCapped,
        Self::LoginRaced,
        Self::KeyRotated,
        Self::KeyRetired,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserCreated => "user_created",
            Self::LoginOk => "login_ok",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::Refresh => "refresh",
            Self::ReuseDetected => "reuse_detected",
            Self::SessionRevoked => "session_revoked",
            Self::PasswordChanged => "password_changed",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
            Self::RefreshReplayed => "refresh_replayed",
            Self::SessionCapped => "session_capped",
            Self::LoginRaced => "login_raced",
            Self::KeyRotated => "key_rotated",
            Self::KeyRetired => "key_retired",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// When.
    pub at: UnixTime,
    /// What.
    pub kind: AuditKind,
    /// Whose account, when known.
    pub user_id: Option<UserId>,
    /// Which session, when one is involved.
    pub session_id: Option<SessionId>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// Which events to read back: every given condition must hold; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this user's events.
    pub user_id: Option<UserId>,
    /// Only this session's events.
    pub session_id: Option<SessionId>,
    /// At or after this instant.
    pub since: Option<UnixTime>,
    /// Before this instant.
    pub until: Option<UnixTime>,
    /// At most this many (the store caps it at [`AuditQuery::MAX_LIMIT`]).
    pub limit: Option<u32>,
}

impl AuditQuery {
    /// The most events one query returns.
    pub const MAX_LIMIT: u32 = 1000;

    /// The effective limit.
    pub fn effective_limit(&self) -> u32 {
        self.limit.unwrap_or(100).min(Self::MAX_LIMIT)
    }

    /// Whether `event` satisfies the conditions (for stores that filter in memory).
    pub fn matches(&self, event: &AuditEvent) -> bool {
        self.user_id
            .as_ref()
            .is_none_or(|u| event.user_id.as_ref() == Some(u))
            && self
                .session_id
                .as_ref()
                .is_none_or(|s| event.session_id.as_ref() == Some(s))
            && self.since.is_none_or(|t| event.at >= t)
            && self.until.is_none_or(|t| event.at < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
    }
}
