//! Administration, free of HTTP: who may administer, and what an administrator can do to an
//! account (disable, enable, end its sessions) or read (its sessions, the audit log).
//!
//! An administrator is whoever presents the configured `admin_token`; users have no roles
//! yet. Without an admin token there is no admin access at all ([`AuthError::AdminAbsent`]).
//! Every admin operation takes an [`AdminGrant`], which only [`Auth::admin`] makes: an
//! operation cannot be reached without the check.
//!
//! Disabling is instant in every mode: the account is marked disabled first (so no new
//! login starts), then every session ends and every token issued until now is revoked, by
//! the same path as logout everywhere (`logout::end_all_sessions`). A disabled account's
//! login fails exactly as a wrong password does (login.rs).

use aws_lc_rs::{constant_time, digest};
use keycard_core::audit::{AuditEvent, AuditKind, AuditQuery};
use keycard_core::session::{ClientMeta, Session};
use keycard_core::{UnixTime, UserId};

use crate::error::AuthError;
use crate::service::Auth;

/// Proof that the request presented the admin token; made only by [`Auth::admin`].
#[derive(Debug)]
pub struct AdminGrant(());

/// Compares two secrets in constant time, length included: both sides are hashed first, so
/// the comparison always runs over 32 bytes and its timing says nothing about either.
pub(crate) fn secrets_equal(expected: &str, presented: &str) -> bool {
    let expected = digest::digest(&digest::SHA256, expected.as_bytes());
    let presented = digest::digest(&digest::SHA256, presented.as_bytes());
    constant_time::verify_slices_are_equal(expected.as_ref(), presented.as_ref()).is_ok()
}

impl Auth {
    /// Checks the bearer token a request presented against the configured admin token:
    /// `AdminAbsent` if none is configured, `AdminDenied` if it is not this one.
    pub fn admin(&self, presented: Option<&str>) -> Result<AdminGrant, AuthError> {
        let Some(expected) = &self.settings().admin_token else {
            return Err(AuthError::AdminAbsent);
        };
        match presented {
            Some(presented) if secrets_equal(expected.expose(), presented) => Ok(AdminGrant(())),
            _ => Err(AuthError::AdminDenied),
        }
    }

    /// Disables the account and ends everything it holds; returns how many sessions ended.
    /// `NotFound` if there is no such user.
    pub async fn disable_user(
        &self,
        _grant: &AdminGrant,
        user_id: &UserId,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<usize, AuthError> {
        if !self.stores().users.set_disabled(user_id, true).await? {
            return Err(AuthError::NotFound);
        }
        // Here at once; on every other instance when the `not_before` bump below arrives
        // through the feed.
        self.caches().users.revoked(user_id);
        let ended = self.end_all_sessions(user_id, now).await?;
        self.audit(AuditKind::UserDisabled, Some(user_id), None, client, now)
            .await;
        Ok(ended.len())
    }

    /// Enables the account again; its old sessions stay ended. `NotFound` if there is no
    /// such user.
    pub async fn enable_user(
        &self,
        _grant: &AdminGrant,
        user_id: &UserId,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        if !self.stores().users.set_disabled(user_id, false).await? {
            return Err(AuthError::NotFound);
        }
        // No feed event: none is needed, as a disabled user is never cached anywhere.
        self.caches().users.revoked(user_id);
        self.audit(AuditKind::UserEnabled, Some(user_id), None, client, now)
            .await;
        Ok(())
    }

    /// The user's live sessions, oldest first. `NotFound` if there is no such user.
    pub async fn user_sessions(
        &self,
        _grant: &AdminGrant,
        user_id: &UserId,
        now: UnixTime,
    ) -> Result<Vec<Session>, AuthError> {
        let stores = self.stores();
        if stores.users.load_user(user_id).await?.is_none() {
            return Err(AuthError::NotFound);
        }
        Ok(stores.sessions.list_user_sessions(user_id, now).await?)
    }

    /// Ends every session of the user and every token issued to them until now, as logout
    /// everywhere does, recording `session_revoked` for each; returns how many ended.
    /// `NotFound` if there is no such user.
    pub async fn revoke_user_sessions(
        &self,
        _grant: &AdminGrant,
        user_id: &UserId,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<usize, AuthError> {
        if self.stores().users.load_user(user_id).await?.is_none() {
            return Err(AuthError::NotFound);
        }
        let ended = self.end_all_sessions(user_id, now).await?;
        for session_id in &ended {
            self.audit(
                AuditKind::SessionRevoked,
                Some(user_id),
                Some(session_id),
                client,
                now,
            )
            .await;
        }
        Ok(ended.len())
    }

    /// The audit events matching `query`, newest first (at most
    /// [`AuditQuery::MAX_LIMIT`]).
    pub async fn audit_events(
        &self,
        _grant: &AdminGrant,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, AuthError> {
        Ok(self.stores().audit.query_audit(query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        let token = "a".repeat(40);
        assert!(secrets_equal(&token, &token));
        assert!(!secrets_equal(&token, "a"));
        assert!(!secrets_equal(&token, &format!("{token}a")));
        assert!(!secrets_equal(&token, ""));
    }
}
