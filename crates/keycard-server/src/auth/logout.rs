//! Ending sessions, instantly in every mode.
//!
//! Deleting the session kills its cookie and its refresh family at once (the store no
//! longer knows them). Access tokens need no store, so the session's id also goes into the
//! revocation set (this server's at once, and the store's record for servers that load
//! it), kept until every access token minted from it has expired: access lifetime plus
//! leeway. "Everywhere" also bumps the user's `not_before`, which kills any token issued
//! before it, from sessions this server never saw included.

use keycard_core::audit::AuditKind;
use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::session::ClientMeta;
use keycard_core::{SessionId, UnixTime, UserId};

use super::{AuthError, audit};
use crate::state::AppState;

/// When a revocation at `now` may be forgotten: once the last access token it kills has
/// expired, leeway included.
fn forget_after(state: &AppState, now: UnixTime) -> UnixTime {
    let settings = state.settings();
    now.plus_secs(settings.access_token_lifetime.as_i64() + settings.leeway.as_i64())
}

/// Records a revocation in the store and applies it to this server's set.
pub(crate) async fn revoke(
    state: &AppState,
    what: Revoked,
    now: UnixTime,
) -> Result<(), AuthError> {
    let revocation = Revocation {
        what,
        at: now,
        forget_after: forget_after(state, now),
    };
    // Applied first: the store failing must not leave a token working here.
    {
        let mut set = state.revocations_mut();
        set.prune(now);
        set.apply(&revocation);
    }
    state
        .stores()
        .revocations
        .record_revocation(&revocation)
        .await?;
    Ok(())
}

/// Ends one session, unaudited (the caller records why): revokes its id, which kills every
/// access token from it, then deletes it, which kills its cookie or refresh family. Shared
/// by logout, the session list's delete and the password change. Returns whether the
/// store still held the session.
pub async fn end_session(
    state: &AppState,
    session_id: &SessionId,
    now: UnixTime,
) -> Result<bool, AuthError> {
    revoke(state, Revoked::Session(session_id.clone()), now).await?;
    let existed = state.stores().sessions.delete_session(session_id).await?;
    state.metrics().revoked(1);
    Ok(existed)
}

/// Ends one session: its cookie or refresh family, and every access token from it.
pub async fn logout(
    state: &AppState,
    user_id: &UserId,
    session_id: &SessionId,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<(), AuthError> {
    end_session(state, session_id, now).await?;
    audit(
        state,
        AuditKind::Logout,
        Some(user_id),
        Some(session_id),
        client,
        now,
    )
    .await;
    Ok(())
}

/// Ends every session of the user, and every token issued to them until now. Returns how
/// many sessions ended.
pub async fn logout_all(
    state: &AppState,
    user_id: &UserId,
    session_id: &SessionId,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<usize, AuthError> {
    let ended = end_all_sessions(state, user_id, now).await?;
    audit(
        state,
        AuditKind::Logout,
        Some(user_id),
        Some(session_id),
        client,
        now,
    )
    .await;
    Ok(ended.len())
}

/// Ends every session of the user and every token issued to them until now, unaudited (the
/// caller records why): bumps `not_before`, deletes the sessions and revokes each one's id.
/// Shared by logout everywhere and the admin routes. Returns the ids of the sessions ended.
pub(crate) async fn end_all_sessions(
    state: &AppState,
    user_id: &UserId,
    now: UnixTime,
) -> Result<Vec<SessionId>, AuthError> {
    let stores = state.stores();
    let not_before = stores
        .users
        .bump_not_before(user_id, now)
        .await?
        .unwrap_or(now);
    revoke(
        state,
        Revoked::UserBefore {
            user: user_id.clone(),
            not_before,
        },
        now,
    )
    .await?;
    // `not_before` has one-second resolution: a token issued in this very second is not
    // before it. Revoking each session by id closes that gap.
    let ended = stores.sessions.delete_user_sessions(user_id).await?;
    for id in &ended {
        revoke(state, Revoked::Session(id.clone()), now).await?;
    }
    state
        .metrics()
        .revoked(u64::try_from(ended.len()).unwrap_or(u64::MAX));
    Ok(ended)
}
