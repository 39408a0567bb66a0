//! Ending sessions, instantly in every mode.
//!
//! Deleting the session kills its cookie and its refresh family at once (the store no
//! longer knows them). Access tokens need no store, so the session's id also goes into the
//! revocation set (this instance's at once, and the store's record for servers that load
//! it), kept until every access token minted from it has expired: access lifetime plus
//! leeway. "Everywhere" also bumps the user's `not_before`, which kills any token issued
//! before it, from sessions this server never saw included.

use keycard_core::audit::AuditKind;
use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::session::ClientMeta;
use keycard_core::{SessionId, UnixTime, UserId};

use crate::error::AuthError;
use crate::service::Auth;

impl Auth {
    /// Records a revocation in the store and applies it to this instance's set. It is kept
    /// until the last access token it kills has expired, leeway included.
    pub(crate) async fn revoke(&self, what: Revoked, now: UnixTime) -> Result<(), AuthError> {
        let revocation = Revocation {
            what,
            at: now,
            forget_after: now.plus_secs(self.settings().revocation_lifetime_secs()),
        };
        // Applied first: the store failing must not leave a token working here. Then
        // recorded, so a snapshot finds it; then published, so the other instances apply
        // it now. A failed publication fails the operation (the caller retries): the
        // others would otherwise not learn it before their next resync.
        self.apply_revocations([&revocation]);
        let stores = self.stores();
        stores.revocations.record_revocation(&revocation).await?;
        stores
            .feed
            .publish(&revocation, self.clock().now_millis())
            .await?;
        Ok(())
    }

    /// Ends one session, unaudited (the caller records why): revokes its id, which kills every
    /// access token from it, then deletes it, which kills its cookie or refresh family. Shared
    /// by logout, the session list's delete and the password change. Returns whether the
    /// store still held the session.
    pub(crate) async fn end_session(
        &self,
        session_id: &SessionId,
        now: UnixTime,
    ) -> Result<bool, AuthError> {
        self.revoke(Revoked::Session(session_id.clone()), now)
            .await?;
        let existed = self.stores().sessions.delete_session(session_id).await?;
        self.events().revoked(1);
        Ok(existed)
    }

    /// Ends one session: its cookie or refresh family, and every access token from it.
    pub async fn logout(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        self.end_session(session_id, now).await?;
        self.audit(
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
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<usize, AuthError> {
        let ended = self.end_all_sessions(user_id, now).await?;
        self.audit(
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
        &self,
        user_id: &UserId,
        now: UnixTime,
    ) -> Result<Vec<SessionId>, AuthError> {
        let stores = self.stores();
        let not_before = stores
            .users
            .bump_not_before(user_id, now)
            .await?
            .unwrap_or(now);
        self.revoke(
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
            self.revoke(Revoked::Session(id.clone()), now).await?;
        }
        self.events().revoked(ended.len());
        Ok(ended)
    }
}
