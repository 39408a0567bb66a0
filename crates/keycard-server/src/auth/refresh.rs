//! Refresh (hybrid mode): every use of a refresh token returns a new one.
//!
//! The store decides atomically ([`Rotation`]):
//! - the current token rotates: a new access token and a new refresh token;
//! - the previous token within the grace window (a lost response, a racing tab) gets the
//!   same successor again, opened from the sealed copy with the presented token, and a new
//!   access token;
//! - anything older is reuse, presumed theft: the store has revoked the family; here its
//!   session id also goes into the revocation set, so the access tokens minted from it stop
//!   at once, and the answer is 401;
//! - a dead family or an unknown token is 401.

use keycard_core::UnixTime;
use keycard_core::audit::AuditKind;
use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::revocation::Revoked;
use keycard_core::session::{ClientMeta, Session, open_successor, seal_successor};
use keycard_core::store::Rotation;

use super::logout::revoke;
use super::tokens::{self, AccessToken};
use super::{AuthError, audit};
use crate::state::AppState;

/// A successful refresh.
#[derive(Debug)]
pub struct Refreshed {
    /// The family.
    pub session: Session,
    /// A new access token.
    pub access: AccessToken,
    /// The refresh token to use next time.
    pub refresh: OpaqueToken,
}

/// Presents a refresh token.
pub async fn refresh(
    state: &AppState,
    presented: &str,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<Refreshed, AuthError> {
    let presented = OpaqueToken::parse(OpaqueKind::Refresh, presented)
        .map_err(|_| AuthError::InvalidToken("malformed"))?;
    let successor = OpaqueToken::generate(OpaqueKind::Refresh)?;
    let sealed = seal_successor(&presented, &successor)?;
    let rotation = state
        .stores()
        .sessions
        .rotate_refresh(
            &presented.digest(),
            &successor.digest(),
            &sealed,
            now,
            state.settings().refresh_grace.as_i64(),
        )
        .await?;
    let (session, refresh) = match rotation {
        Rotation::Rotated(session) => (session, successor),
        Rotation::Replayed {
            session,
            sealed_successor,
        } => {
            let again = open_successor(&presented, &sealed_successor)
                .ok_or(AuthError::InvalidToken("unsealable_successor"))?;
            (session, again)
        }
        Rotation::ReuseDetected(session) => {
            revoke(state, Revoked::Session(session.id.clone()), now).await?;
            state.metrics().reuse_detected();
            state.metrics().revoked(1);
            tracing::warn!(session = %session.id, user = %session.user_id, "refresh token reuse: family revoked");
            audit(
                state,
                AuditKind::ReuseDetected,
                Some(&session.user_id),
                Some(&session.id),
                client,
                now,
            )
            .await;
            return Err(AuthError::InvalidToken("reuse_detected"));
        }
        Rotation::Dead(_) => return Err(AuthError::InvalidToken("revoked")),
        Rotation::Unknown => return Err(AuthError::InvalidToken("unknown_refresh_token")),
    };
    let access = tokens::mint(state, &session.user_id, &session.id, now)?;
    state.metrics().refresh();
    audit(
        state,
        AuditKind::Refresh,
        Some(&session.user_id),
        Some(&session.id),
        client,
        now,
    )
    .await;
    Ok(Refreshed {
        session,
        access,
        refresh,
    })
}
