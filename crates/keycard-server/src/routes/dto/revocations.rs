//! The events of `GET /v1/revocations` (Server-Sent Events), as JSON in each event's
//! `data:` line.

use keycard_core::revocation::{Revocation, Revoked};
use serde::Serialize;
use utoipa::ToSchema;

/// One revocation: a session, or everything a user was issued before `not_before`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RevocationEvent {
    /// One session: every token carrying this `sid` is dead.
    Session {
        /// The session id (`sid`).
        sid: String,
        /// When it was revoked, Unix seconds.
        at: i64,
        /// After this no token it kills can still be valid: forget it then.
        forget_after: i64,
    },
    /// A user: every token with this `sub` and an `iat` before `not_before` is dead.
    User {
        /// The user id (`sub`).
        sub: String,
        /// Tokens issued before this (Unix seconds) are dead.
        not_before: i64,
        /// When it was revoked, Unix seconds.
        at: i64,
        /// After this no token it kills can still be valid: forget it then.
        forget_after: i64,
    },
}

impl From<&Revocation> for RevocationEvent {
    fn from(revocation: &Revocation) -> Self {
        let at = revocation.at.as_secs();
        let forget_after = revocation.forget_after.as_secs();
        match &revocation.what {
            Revoked::Session(sid) => Self::Session {
                sid: sid.as_str().to_owned(),
                at,
                forget_after,
            },
            Revoked::UserBefore { user, not_before } => Self::User {
                sub: user.as_str().to_owned(),
                not_before: not_before.as_secs(),
                at,
                forget_after,
            },
        }
    }
}

/// The first event of a stream (and of a resume from an id too old to replay): every
/// revocation live now. A verifier replaces what it holds with this.
#[derive(Debug, Serialize, ToSchema)]
pub struct Snapshot {
    /// The live revocations.
    pub revocations: Vec<RevocationEvent>,
}

/// Sent at least every second while this instance's own feed is fresh; a verifier that
/// hears none for longer than its staleness bound must stop trusting what it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Heartbeat {
    /// This instance's time, Unix seconds.
    pub now: i64,
}
