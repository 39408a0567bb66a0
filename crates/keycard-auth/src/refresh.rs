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
//! - a dead family or an unknown token is 401;
//! - a family whose user is gone or disabled, or that was created before the user's
//!   `not_before` (a logout everywhere or a disable that raced its login), is ended and
//!   refused: a refresh token never outlives its account. When the user store cannot
//!   answer, the fresh revocation memory decides instead (see `refuse_if_account_ended`),
//!   so a user-store outage does not burn the rotation it follows.

use keycard_core::UnixTime;
use keycard_core::audit::AuditKind;
use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::revocation::Revoked;
use keycard_core::session::{ClientMeta, Session, open_successor, seal_successor};
use keycard_core::store::Rotation;

use crate::error::AuthError;
use crate::service::Auth;
use crate::tokens::AccessToken;

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

/// How a refresh's account check was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AccountCheck {
    /// By the user store.
    Answered,
    /// By the fresh revocation memory, the user store being unavailable.
    StoreUnavailable,
}

impl Auth {
    /// Presents a refresh token.
    pub async fn refresh(
        &self,
        presented: &str,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<Refreshed, AuthError> {
        let presented = OpaqueToken::parse(OpaqueKind::Refresh, presented)
            .map_err(|_| AuthError::InvalidToken("malformed"))?;
        let successor = OpaqueToken::generate(OpaqueKind::Refresh)?;
        let sealed = seal_successor(&presented, &successor)?;
        let rotation = self
            .stores()
            .sessions
            .rotate_refresh(
                &presented.digest(),
                &successor.digest(),
                &sealed,
                now,
                self.settings().sessions.refresh_grace.as_i64(),
                self.settings().sessions.refresh_replays,
            )
            .await?;
        let (session, refresh, kind) = match rotation {
            Rotation::Rotated(session) => (session, successor, AuditKind::Refresh),
            Rotation::Replayed {
                session,
                sealed_successor,
            } => {
                let again = open_successor(&presented, &sealed_successor)
                    .ok_or(AuthError::InvalidToken("unsealable_successor"))?;
                self.events().replayed();
                (session, again, AuditKind::RefreshReplayed)
            }
            Rotation::ReuseDetected(session) => {
                self.revoke(Revoked::Session(session.id.clone()), now)
                    .await?;
                self.events().reuse_detected();
                self.events().revoked(1);
                tracing::warn!(session = %session.id, user = %session.user_id, "refresh token reuse: family revoked");
                self.audit(
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
        let account = self.refuse_if_account_ended(&session, now).await?;
        let access = self.mint(&session.user_id, &session.id, now)?;
        if kind == AuditKind::Refresh {
            self.events().refreshed();
        }
        match account {
            AccountCheck::Answered => {
                self.audit(kind, Some(&session.user_id), Some(&session.id), client, now)
                    .await;
            }
            // The audit log lives in the user store, which just failed: writing to it
            // would hold the answer for the pool's acquire timeout again, then fail.
            AccountCheck::StoreUnavailable => tracing::warn!(
                kind = kind.as_str(),
                session = %session.id,
                user = %session.user_id,
                "audit event not stored: the user and audit store is unavailable"
            ),
        }
        Ok(Refreshed {
            session,
            access,
            refresh,
        })
    }

    /// Ends the family and refuses if its account is gone or disabled, or the family was
    /// created before the account's `not_before`; says whether the user store answered.
    ///
    /// The rotation is already in the session store when this runs. If the user store
    /// cannot answer, refusing would leave the client holding the predecessor, and its
    /// retries past the grace window (or its replays) would read as reuse and end the
    /// family: an outage of the user store alone would sign hybrid clients out. So while
    /// the revocation feed is fresh, memory answers instead: every disable, logout
    /// everywhere and password change revokes its user's earlier sessions and every ended
    /// session is revoked, and a fresh feed has delivered them all. A stale feed refuses
    /// (503), as everywhere else.
    async fn refuse_if_account_ended(
        &self,
        session: &Session,
        now: UnixTime,
    ) -> Result<AccountCheck, AuthError> {
        let user = match self.stores().users.load_user(&session.user_id).await {
            Ok(user) => user,
            Err(error) => {
                let error = AuthError::from(error);
                let vouched = matches!(error, AuthError::Unavailable(_))
                    && self.caches_trusted()
                    && self
                        .revocations()
                        .check(
                            Some(session.id.as_str()),
                            Some(session.user_id.as_str()),
                            Some(session.created_at),
                        )
                        .is_ok();
                if !vouched {
                    return Err(error);
                }
                tracing::warn!(session = %session.id, user = %session.user_id, %error, "user store unavailable: refresh allowed on the fresh revocation memory");
                return Ok(AccountCheck::StoreUnavailable);
            }
        };
        let rule = match user {
            None => "unknown_user",
            Some(user) if user.disabled => "user_disabled",
            Some(user) if session.created_at < user.not_before => "revoked",
            Some(_) => return Ok(AccountCheck::Answered),
        };
        self.end_session(&session.id, now).await?;
        tracing::info!(session = %session.id, user = %session.user_id, rule, "refresh refused: the account's sessions had ended; family ended");
        Err(AuthError::InvalidToken(rule))
    }
}
