//! A user's own sessions: the list they see (which devices are signed in), and ending one
//! of them from it.
//!
//! Ending a session is logout's code path (`end_session`): instant in every mode, for its
//! cookie or refresh family and for every access token carrying its id. Only the caller's
//! own sessions can be ended; any other id, whether it names another user's session or
//! nothing, is the same "not found", so the answer never says whether a session exists.

use keycard_core::audit::AuditKind;
use keycard_core::session::{ClientMeta, Session};
use keycard_core::{SessionId, UnixTime};

use crate::current::Current;
use crate::error::AuthError;
use crate::service::Auth;

/// One row of the caller's session list.
#[derive(Debug)]
pub struct Listed {
    /// The session.
    pub session: Session,
    /// Whether the request's own credential belongs to it.
    pub current: bool,
}

impl Auth {
/// The caller's live sessions, oldest first, the one of the request marked `current`.
pub async fn list_sessions(
    &self,
    caller: &Current,
    now: UnixTime,
) -> Result<Vec<Listed>, AuthError> {
    let sessions = self
        .stores()
        .sessions
        .list_user_sessions(caller.user_id(), now)
        .await?;
    Ok(sessions
        .into_iter()
        .map(|session| Listed {
            current: session.id == *caller.session_id(),
            session,
        })
        .collect())
}

/// Ends the caller's session `id` and audits `session_revoked`. `NotFound` when no live
/// session of the caller has that id (another user's included): nothing is done.
pub async fn end_own_session(
    &self,
    caller: &Current,
    id: &SessionId,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<(), AuthError> {
    let owned = self
        .stores()
        .sessions
        .load_session(id, now)
        .await?
        .is_some_and(|session| session.user_id == *caller.user_id());
    if !owned {
        return Err(AuthError::NotFound);
    }
    self.end_session(id, now).await?;
    self.audit(
        AuditKind::SessionRevoked,
        Some(caller.user_id()),
        Some(id),
        client,
        now,
    )
    .await;
    Ok(())
}
}
