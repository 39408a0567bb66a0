//! Rows as plain values, shared by the SQL backends: each reads them with `sqlx::FromRow`
//! (generic over the database) and binds their fields, and the conversions to and from the
//! domain records live here once, with the stored name of every enum.
//!
//! A stored value that does not convert back (an unknown kind, a negative generation) is
//! `StoreError::Corrupt`, never a panic and never a guess.

use keycard_core::audit::{AuditEvent, AuditKind};
use keycard_core::jose::{Algorithm, KeyRole};
use keycard_core::key_record::KeyRecord;
use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::session::{ClientMeta, RefreshState, RevokeReason, Session, SessionKind};
use keycard_core::store::{StoreError, StoreResult};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{SessionId, UnixTime, UserId};

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// A generation as stored (SQL integers are signed).
pub(crate) fn stored_generation(generation: u64) -> StoreResult<i64> {
    i64::try_from(generation).map_err(|_| corrupt(format!("generation {generation} too large")))
}

/// A stored generation, checked.
pub(crate) fn read_generation(stored: i64) -> StoreResult<u64> {
    u64::try_from(stored).map_err(|_| corrupt(format!("negative generation {stored}")))
}

/// A replay count as stored.
pub(crate) fn stored_replays(replays: u32) -> i64 {
    i64::from(replays)
}

/// A stored replay count, checked.
pub(crate) fn read_replays(stored: i64) -> StoreResult<u32> {
    u32::try_from(stored).map_err(|_| corrupt(format!("replay count {stored} out of range")))
}

/// A row of `sessions`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_timeout_secs: i64,
    pub absolute_expiry: i64,
    /// Derived ([`Session::expires_at`]); written, never read back into the record.
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub label: Option<String>,
    pub generation: i64,
    pub rotated_at: Option<i64>,
    pub sealed_successor: Option<Vec<u8>>,
    /// Replays of the previous token since the last rotation (migration 0002).
    pub replays: i64,
    pub revoked_reason: Option<String>,
}

impl SessionRow {
    /// The row for `session`; a cookie session stores generation 0 and no refresh state.
    pub(crate) fn from_session(session: &Session) -> StoreResult<Self> {
        let refresh = match &session.kind {
            SessionKind::Cookie => RefreshState::new(),
            SessionKind::Refresh(state) => state.clone(),
        };
        Ok(Self {
            id: session.id.as_str().to_owned(),
            user_id: session.user_id.as_str().to_owned(),
            kind: session.kind.name().to_owned(),
            created_at: session.created_at.as_secs(),
            last_seen_at: session.last_seen_at.as_secs(),
            idle_timeout_secs: session.idle_timeout_secs,
            absolute_expiry: session.absolute_expiry.as_secs(),
            expires_at: session.expires_at().as_secs(),
            user_agent: session.client.user_agent.clone(),
            ip: session.client.ip.clone(),
            label: session.client.label.clone(),
            generation: stored_generation(refresh.generation)?,
            rotated_at: refresh.rotated_at.map(UnixTime::as_secs),
            sealed_successor: refresh.sealed_successor,
            replays: stored_replays(refresh.replays),
            revoked_reason: refresh.revoked.map(|r| r.as_str().to_owned()),
        })
    }

    /// The session this row holds.
    pub(crate) fn into_session(self) -> StoreResult<Session> {
        let kind = match self.kind.as_str() {
            "cookie" => SessionKind::Cookie,
            "refresh" => SessionKind::Refresh(RefreshState {
                generation: read_generation(self.generation)?,
                rotated_at: self.rotated_at.map(UnixTime::from_secs),
                sealed_successor: self.sealed_successor,
                replays: read_replays(self.replays)?,
                revoked: self
                    .revoked_reason
                    .map(|name| {
                        RevokeReason::parse(&name)
                            .ok_or_else(|| corrupt(format!("revoke reason {name:?}")))
                    })
                    .transpose()?,
            }),
            other => return Err(corrupt(format!("session kind {other:?}"))),
        };
        Ok(Session {
            id: SessionId::new(self.id),
            user_id: UserId::new(self.user_id),
            kind,
            created_at: UnixTime::from_secs(self.created_at),
            last_seen_at: UnixTime::from_secs(self.last_seen_at),
            idle_timeout_secs: self.idle_timeout_secs,
            absolute_expiry: UnixTime::from_secs(self.absolute_expiry),
            client: ClientMeta {
                user_agent: self.user_agent,
                ip: self.ip,
                label: self.label,
            },
        })
    }
}

/// A row of `users`. No `Debug`: it holds the password hash.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub disabled: bool,
    pub not_before: i64,
    pub created_at: i64,
}

impl UserRow {
    /// The user this row holds (the email was normalised before it was stored).
    pub(crate) fn into_user(self) -> User {
        User {
            id: UserId::new(self.id),
            email: Email::from_normalized(self.email),
            password_hash: PasswordHash::new(self.password_hash),
            disabled: self.disabled,
            not_before: UnixTime::from_secs(self.not_before),
            created_at: UnixTime::from_secs(self.created_at),
        }
    }
}

/// A row of `revocations`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RevocationRow {
    pub key: String,
    pub kind: String,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub not_before: Option<i64>,
    pub at: i64,
    pub forget_after: i64,
}

impl RevocationRow {
    /// The row for `revocation`, filed under [`Revocation::key`].
    pub(crate) fn from_revocation(revocation: &Revocation) -> Self {
        let (kind, session_id, user_id, not_before) = match &revocation.what {
            Revoked::Session(id) => ("session", Some(id.as_str().to_owned()), None, None),
            Revoked::UserBefore { user, not_before } => (
                "user",
                None,
                Some(user.as_str().to_owned()),
                Some(not_before.as_secs()),
            ),
        };
        Self {
            key: revocation.key(),
            kind: kind.to_owned(),
            session_id,
            user_id,
            not_before,
            at: revocation.at.as_secs(),
            forget_after: revocation.forget_after.as_secs(),
        }
    }

    /// The revocation this row holds.
    pub(crate) fn into_revocation(self) -> StoreResult<Revocation> {
        let what = match (
            self.kind.as_str(),
            self.session_id,
            self.user_id,
            self.not_before,
        ) {
            ("session", Some(id), _, _) => Revoked::Session(SessionId::new(id)),
            ("user", _, Some(user), Some(not_before)) => Revoked::UserBefore {
                user: UserId::new(user),
                not_before: UnixTime::from_secs(not_before),
            },
            (kind, ..) => {
                return Err(corrupt(format!(
                    "revocation {:?} of kind {kind:?}",
                    self.key
                )));
            }
        };
        Ok(Revocation {
            what,
            at: UnixTime::from_secs(self.at),
            forget_after: UnixTime::from_secs(self.forget_after),
        })
    }
}

/// A key role's stored name.
pub(crate) const fn role_name(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Active => "active",
        KeyRole::Next => "next",
        KeyRole::Retired => "retired",
    }
}

fn parse_role(name: &str) -> StoreResult<KeyRole> {
    [KeyRole::Active, KeyRole::Next, KeyRole::Retired]
        .into_iter()
        .find(|role| role_name(*role) == name)
        .ok_or_else(|| corrupt(format!("key role {name:?}")))
}

/// A row of `signing_keys`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub role: String,
    pub created_at: i64,
    pub retire_after: Option<i64>,
    pub public_jwk: String,
    pub sealed_private: Option<Vec<u8>>,
}

impl KeyRow {
    /// The row for `record`.
    pub(crate) fn from_record(record: &KeyRecord) -> Self {
        Self {
            kid: record.kid.clone(),
            alg: record.alg.name().to_owned(),
            role: role_name(record.role).to_owned(),
            created_at: record.created_at.as_secs(),
            retire_after: record.retire_after.map(UnixTime::as_secs),
            public_jwk: record.public_jwk.clone(),
            sealed_private: record.sealed_private.clone(),
        }
    }

    /// The key record this row holds.
    pub(crate) fn into_record(self) -> StoreResult<KeyRecord> {
        let alg = Algorithm::from_name(&self.alg)
            .ok_or_else(|| corrupt(format!("algorithm {:?} of key {:?}", self.alg, self.kid)))?;
        Ok(KeyRecord {
            role: parse_role(&self.role)?,
            kid: self.kid,
            alg,
            created_at: UnixTime::from_secs(self.created_at),
            retire_after: self.retire_after.map(UnixTime::from_secs),
            public_jwk: self.public_jwk,
            sealed_private: self.sealed_private,
        })
    }
}

/// A row of `audit_events` (without its sequence number).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub at: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl AuditRow {
    /// The row for `event`.
    pub(crate) fn from_event(event: &AuditEvent) -> Self {
        Self {
            at: event.at.as_secs(),
            kind: event.kind.as_str().to_owned(),
            user_id: event.user_id.as_ref().map(|u| u.as_str().to_owned()),
            session_id: event.session_id.as_ref().map(|s| s.as_str().to_owned()),
            ip: event.ip.clone(),
            user_agent: event.user_agent.clone(),
        }
    }

    /// The event this row holds.
    pub(crate) fn into_event(self) -> StoreResult<AuditEvent> {
        let kind = AuditKind::parse(&self.kind)
            .ok_or_else(|| corrupt(format!("audit kind {:?}", self.kind)))?;
        Ok(AuditEvent {
            at: UnixTime::from_secs(self.at),
            kind,
            user_id: self.user_id.map(UserId::new),
            session_id: self.session_id.map(SessionId::new),
            ip: self.ip,
            user_agent: self.user_agent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family() -> Session {
        Session {
            id: SessionId::new("s1"),
            user_id: UserId::new("u1"),
            kind: SessionKind::Refresh(RefreshState {
                generation: 3,
                rotated_at: Some(UnixTime::from_secs(90)),
                sealed_successor: Some(vec![0, 1, 255]),
                replays: 2,
                revoked: Some(RevokeReason::ReuseDetected),
            }),
            created_at: UnixTime::from_secs(10),
            last_seen_at: UnixTime::from_secs(90),
            idle_timeout_secs: 100,
            absolute_expiry: UnixTime::from_secs(150),
            client: ClientMeta {
                user_agent: Some("ua".into()),
                ip: None,
                label: Some("label".into()),
            },
        }
    }

    #[test]
    fn sessions_round_trip_with_their_deadline() {
        let session = family();
        let row = SessionRow::from_session(&session).unwrap();
        assert_eq!(row.expires_at, 150);
        assert_eq!(row.revoked_reason.as_deref(), Some("reuse_detected"));
        assert_eq!(row.into_session().unwrap(), session);

        let mut cookie = family();
        cookie.kind = SessionKind::Cookie;
        let row = SessionRow::from_session(&cookie).unwrap();
        assert_eq!((row.generation, row.sealed_successor.as_ref()), (0, None));
        assert_eq!(row.into_session().unwrap(), cookie);
    }

    #[test]
    fn nonsense_is_corrupt_not_a_panic() {
        let mut row = SessionRow::from_session(&family()).unwrap();
        row.generation = -1;
        assert!(matches!(row.into_session(), Err(StoreError::Corrupt(_))));
        let mut row = SessionRow::from_session(&family()).unwrap();
        row.kind = "badge".into();
        assert!(matches!(row.into_session(), Err(StoreError::Corrupt(_))));
        let mut row = SessionRow::from_session(&family()).unwrap();
        row.revoked_reason = Some("bored".into());
        assert!(matches!(row.into_session(), Err(StoreError::Corrupt(_))));
        let mut row = SessionRow::from_session(&family()).unwrap();
        row.replays = -1;
        assert!(matches!(row.into_session(), Err(StoreError::Corrupt(_))));
        assert!(parse_role("boss").is_err());
    }

    #[test]
    fn revocations_and_roles_round_trip() {
        let revocation = Revocation {
            what: Revoked::UserBefore {
                user: UserId::new("u"),
                not_before: UnixTime::from_secs(5),
            },
            at: UnixTime::from_secs(5),
            forget_after: UnixTime::from_secs(50),
        };
        let row = RevocationRow::from_revocation(&revocation);
        assert_eq!(row.key, "u:u");
        assert_eq!(row.into_revocation().unwrap(), revocation);
        for role in [KeyRole::Active, KeyRole::Next, KeyRole::Retired] {
            assert_eq!(parse_role(role_name(role)).unwrap(), role);
        }
    }
}
