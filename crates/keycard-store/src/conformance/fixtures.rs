//! Records for the suite to store.

use keycard_core::opaque::{OpaqueKind, OpaqueToken, TokenDigest};
use keycard_core::session::{ClientMeta, RefreshState, Session, SessionKind};
use keycard_core::{SessionId, UnixTime, UserId};

/// The instant the suite's clock starts at.
pub const T0: i64 = 1_800_000_000;

/// `T0 + secs`.
pub fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(T0 + secs)
}

/// A fresh opaque token of `kind` and its digest.
pub fn token(kind: OpaqueKind) -> (OpaqueToken, TokenDigest) {
    let token = OpaqueToken::generate(kind).expect("random source");
    let digest = token.digest();
    (token, digest)
}

/// A session for `user` created at T0: idle timeout 1 h, absolute expiry 1 day.
pub fn session(user: &UserId, kind: SessionKind) -> Session {
    Session {
        id: SessionId::generate().expect("random source"),
        user_id: user.clone(),
        kind,
        created_at: at(0),
        last_seen_at: at(0),
        idle_timeout_secs: 3600,
        absolute_expiry: at(86_400),
        client: ClientMeta {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
            ip: Some("192.0.2.7".into()),
            label: Some("Firefox on Linux".into()),
        },
    }
}

/// A new refresh family for `user` with its generation-0 token.
pub fn family(user: &UserId) -> (Session, OpaqueToken, TokenDigest) {
    let (token, digest) = token(OpaqueKind::Refresh);
    (
        session(user, SessionKind::Refresh(RefreshState::new())),
        token,
        digest,
    )
}

/// A new cookie session for `user` with its token.
pub fn cookie(user: &UserId) -> (Session, OpaqueToken, TokenDigest) {
    let (token, digest) = token(OpaqueKind::Session);
    (session(user, SessionKind::Cookie), token, digest)
}

/// A fresh user id.
pub fn user_id() -> UserId {
    UserId::generate().expect("random source")
}
