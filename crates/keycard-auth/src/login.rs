//! Login: check the credentials, then start a fresh session for the service's mode.
//!
//! - **Cost**: argon2id runs in the [`HashPool`](crate::hashing::HashPool), bounded in
//!   concurrency and in waiting. An unknown email runs the same verification against a
//!   dummy hash, so it costs what a wrong password costs, and answers the same.
//! - **Brute force and floods**: the per-account and per-address limits
//!   ([`Limiter`](crate::limiter::Limiter)) are charged before any work; a correct password
//!   forgives the account's failures and is charged to the address's limit on successful
//!   logins. With a shared store the counts are the fleet's, and a store that does not
//!   answer refuses the login (`Unavailable`). A user's live sessions are capped (`max_per_user`): past it, the oldest end.
//! - **Upgrade**: a hash with weaker parameters than the service's is replaced at login,
//!   by a compare-and-swap on the hash that was verified, so it can never overwrite a
//!   password change made meanwhile.
//! - **Races with a disable, a logout everywhere or a password change**: the password
//!   check takes tens of milliseconds, and the account may be disabled, logged out
//!   everywhere or given a new password during it. Those operations end the sessions that
//!   exist when they run, so a session created after them would survive. Every login
//!   therefore reads the user again *after* creating its session: if it is disabled, its
//!   `not_before` moved, or its password hash is not the one verified (or the upgrade
//!   this login wrote), the new session is ended and the login refused. Either that read
//!   sees the change, or the change's deletion of the user's sessions runs after the
//!   session was created and ends it: no ordering leaves a survivor.
//! - **Sessions**: every login draws a new session id and a new token; nothing a client
//!   sends is ever adopted as either ([`crate::session`]).

use keycard_core::UnixTime;
use keycard_core::audit::AuditKind;
use keycard_core::session::{ClientMeta, Session};
use keycard_core::user::{Email, PasswordCheck, PasswordHash, User};
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::service::Auth;
use crate::session::Credential;

/// A successful login.
#[derive(Debug)]
pub struct LoggedIn {
    /// Who logged in.
    pub user: User,
    /// The new session.
    pub session: Session,
    /// What to hand the client.
    pub credential: Credential,
}

impl Auth {
    /// Checks `email` and `password` and starts a session.
    pub async fn login(
        &self,
        email: &str,
        password: Zeroizing<String>,
        client: ClientMeta,
        now: UnixTime,
    ) -> Result<LoggedIn, AuthError> {
        let email = Email::parse(email).ok();
        let ip = client.ip_addr();
        let limiter = self.limiter();
        if let Err(refused) = limiter.check(ip, email.as_ref(), now).await {
            if matches!(refused, AuthError::Throttled(_)) {
                self.events().login("throttled");
            }
            return Err(refused);
        }
        let user = match &email {
            Some(email) => self.stores().users.load_user_by_email(email).await?,
            None => None,
        };
        let stored = user.as_ref().map(|user| user.password_hash.clone());
        // Verify, and when the stored hash is weaker than the service's setting, hash
        // again in the same blocking task (the password is at hand only here).
        let (check, upgraded) = self
            .inner()
            .hashing
            .run(move |hasher| {
                let check = match &stored {
                    Some(hash) => hasher.verify(&password, hash),
                    None => hasher.verify_unknown_user(&password),
                };
                let upgraded = match check {
                    PasswordCheck::Match { needs_rehash: true } => hasher.hash(&password).ok(),
                    _ => None,
                };
                (check, upgraded)
            })
            .await?;
        let user = match (user, check) {
            (Some(user), PasswordCheck::Match { .. }) if !user.disabled => user,
            (user, _) => {
                self.events().login("failed");
                let user_id = user.map(|user| user.id);
                self.audit(AuditKind::LoginFailed, user_id.as_ref(), None, &client, now)
                    .await;
                return Err(AuthError::InvalidCredentials);
            }
        };
        if let Err(refused) = limiter.record_success(ip, &user.email, now).await {
            if matches!(refused, AuthError::Throttled(_)) {
                self.events().login("throttled");
            }
            return Err(refused);
        }
        let current_hash = match upgraded {
            Some(upgraded) => self.upgrade_hash(&user, upgraded).await,
            None => user.password_hash.clone(),
        };
        let (session, credential) = self.start_session(&user, client, now).await?;
        self.end_if_raced(&user, &current_hash, &session, now)
            .await?;
        self.events().login("ok");
        self.audit(
            AuditKind::LoginOk,
            Some(&user.id),
            Some(&session.id),
            &session.client,
            now,
        )
        .await;
        self.cap_sessions(&user, &session, now).await?;
        Ok(LoggedIn {
            user,
            session,
            credential,
        })
    }

    /// Writes a stronger hash of the password just verified, only if the stored hash is
    /// still the one verified. Returns the hash now expected in the store: the upgrade, or
    /// the verified one when the swap did not happen (a failed write is retried at the
    /// next login; a changed hash means the password changed meanwhile, and the re-check
    /// that follows ends this login).
    async fn upgrade_hash(&self, user: &User, upgraded: PasswordHash) -> PasswordHash {
        use keycard_core::store::HashSwap;
        match self
            .stores()
            .users
            .replace_password_hash(&user.id, &user.password_hash, &upgraded)
            .await
        {
            Ok(HashSwap::Replaced) => {
                tracing::info!(user = %user.id, "password hash upgraded to the current parameters");
                upgraded
            }
            Ok(HashSwap::Changed | HashSwap::NoSuchUser) => {
                tracing::info!(user = %user.id, "password hash changed during login; upgrade skipped");
                user.password_hash.clone()
            }
            Err(error) => {
                tracing::warn!(user = %user.id, %error, "password hash upgrade failed");
                user.password_hash.clone()
            }
        }
    }

    /// The re-check of the module docs: ends `session` and refuses the login if the user
    /// changed under it.
    async fn end_if_raced(
        &self,
        verified: &User,
        expected_hash: &PasswordHash,
        session: &Session,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        let now_user = self.stores().users.load_user(&verified.id).await?;
        let raced = match &now_user {
            None => true,
            Some(user) => {
                user.disabled
                    || user.not_before != verified.not_before
                    || user.password_hash != *expected_hash
            }
        };
        if !raced {
            return Ok(());
        }
        self.end_session(&session.id, now).await?;
        tracing::info!(user = %verified.id, session = %session.id, "login raced a disable, logout everywhere or password change: its session ended");
        self.audit(
            AuditKind::LoginRaced,
            Some(&verified.id),
            Some(&session.id),
            &session.client,
            now,
        )
        .await;
        Err(AuthError::InvalidCredentials)
    }

    /// Ends the user's oldest sessions while they hold more than `max_per_user`; the new
    /// session is never one of them.
    async fn cap_sessions(
        &self,
        user: &User,
        new: &Session,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        let cap = self.settings().sessions.max_per_user;
        if cap == 0 {
            return Ok(());
        }
        let live = self
            .stores()
            .sessions
            .list_user_sessions(&user.id, now)
            .await?;
        let excess = live
            .len()
            .saturating_sub(usize::try_from(cap).unwrap_or(usize::MAX));
        let oldest = live.iter().filter(|s| s.id != new.id).take(excess);
        for session in oldest {
            self.end_session(&session.id, now).await?;
            self.events().capped();
            self.audit(
                AuditKind::SessionCapped,
                Some(&user.id),
                Some(&session.id),
                &new.client,
                now,
            )
            .await;
        }
        Ok(())
    }
}
