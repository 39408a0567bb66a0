//! Administration, free of HTTP: who may administer, and what an administrator can do to an
//! account (disable, enable, end its sessions) or read (its sessions, the audit log).
//!
//! An administrator is whoever presents the configured `admin_token`; users have no roles
//! yet. Without an admin token the admin surface does not exist ([`AdminAccess::Absent`]).
//!
//! Disabling is instant in every mode: the account is marked disabled first (so no new
//! login starts), then every session ends and every token issued until now is revoked, by
//! the same path as logout everywhere (`logout::end_all_sessions`). A disabled account's
//! login fails exactly as a wrong password does (auth/login.rs).

use aws_lc_rs::{constant_time, digest};
use keycard_core::audit::{AuditEvent, AuditKind, AuditQuery};
use keycard_core::session::{ClientMeta, Session};
use keycard_core::{UnixTime, UserId};

use super::logout::end_all_sessions;
use super::{AuthError, audit};
use crate::config::Settings;
use crate::state::AppState;

/// Whether a request may use the admin routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminAccess {
    /// The presented token is the configured admin token.
    Granted,
    /// No token, or not the configured one.
    Denied,
    /// No admin token is configured: the admin routes do not exist.
    Absent,
}

/// Checks the bearer token a request presented against the configured admin token.
pub fn admin_access(settings: &Settings, presented: Option<&str>) -> AdminAccess {
    let Some(expected) = &settings.admin_token else {
        return AdminAccess::Absent;
    };
    match presented {
        Some(presented) if secrets_equal(expected.expose(), presented) => AdminAccess::Granted,
        _ => AdminAccess::Denied,
    }
}

/// Compares two secrets in constant time, length included: both sides are hashed first, so
/// the comparison always runs over 32 bytes and its timing says nothing about either.
pub(crate) fn secrets_equal(expected: &str, presented: &str) -> bool {
    let expected = digest::digest(&digest::SHA256, expected.as_bytes());
    let presented = digest::digest(&digest::SHA256, presented.as_bytes());
    constant_time::verify_slices_are_equal(expected.as_ref(), presented.as_ref()).is_ok()
}

/// Disables the account and ends everything it holds. `None` if there is no such user;
/// else how many sessions ended.
pub async fn disable_user(
    state: &AppState,
    user_id: &UserId,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<Option<usize>, AuthError> {
    if !state.stores().users.set_disabled(user_id, true).await? {
        return Ok(None);
    }
    let ended = end_all_sessions(state, user_id, now).await?;
    audit(
        state,
        AuditKind::UserDisabled,
        Some(user_id),
        None,
        client,
        now,
    )
    .await;
    Ok(Some(ended.len()))
}

/// Enables the account again; its old sessions stay ended. `false` if there is no such user.
pub async fn enable_user(
    state: &AppState,
    user_id: &UserId,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<bool, AuthError> {
    if !state.stores().users.set_disabled(user_id, false).await? {
        return Ok(false);
    }
    audit(
        state,
        AuditKind::UserEnabled,
        Some(user_id),
        None,
        client,
        now,
    )
    .await;
    Ok(true)
}

/// The user's live sessions, oldest first; `None` if there is no such user.
pub async fn user_sessions(
    state: &AppState,
    user_id: &UserId,
    now: UnixTime,
) -> Result<Option<Vec<Session>>, AuthError> {
    let stores = state.stores();
    if stores.users.load_user(user_id).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(
        stores.sessions.list_user_sessions(user_id, now).await?,
    ))
}

/// Ends every session of the user and every token issued to them until now, as logout
/// everywhere does, recording `session_revoked` for each. `None` if there is no such user;
/// else how many sessions ended.
pub async fn revoke_user_sessions(
    state: &AppState,
    user_id: &UserId,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<Option<usize>, AuthError> {
    if state.stores().users.load_user(user_id).await?.is_none() {
        return Ok(None);
    }
    let ended = end_all_sessions(state, user_id, now).await?;
    for session_id in &ended {
        audit(
            state,
            AuditKind::SessionRevoked,
            Some(user_id),
            Some(session_id),
            client,
            now,
        )
        .await;
    }
    Ok(Some(ended.len()))
}

/// The audit events matching `query`, newest first (at most
/// [`AuditQuery::MAX_LIMIT`]).
pub async fn audit_events(
    state: &AppState,
    query: &AuditQuery,
) -> Result<Vec<AuditEvent>, AuthError> {
    Ok(state.stores().audit.query_audit(query).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServeArgs;

    fn with_admin_token(token: Option<&str>) -> Settings {
        Settings::resolve(ServeArgs {
            admin_token: token.map(|token| token.parse().unwrap()),
            ..ServeArgs::default()
        })
        .unwrap()
    }

    #[test]
    fn only_the_configured_token_grants_access() {
        let token = "a".repeat(40);
        let settings = with_admin_token(Some(&token));
        assert_eq!(admin_access(&settings, Some(&token)), AdminAccess::Granted);
        assert_eq!(admin_access(&settings, None), AdminAccess::Denied);
        assert_eq!(admin_access(&settings, Some("a")), AdminAccess::Denied);
        let longer = format!("{token}a");
        assert_eq!(admin_access(&settings, Some(&longer)), AdminAccess::Denied);
        let settings = with_admin_token(None);
        assert_eq!(admin_access(&settings, Some(&token)), AdminAccess::Absent);
    }
}
