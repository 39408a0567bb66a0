//! Changing a password, from a signed-in session.
//!
//! - The new password meets the same rules as at registration
//!   ([`check_password`]); it is checked first, since that costs nothing.
//! - The current password is verified as login verifies it, in the hashing pool, and the
//!   same task hashes the new one. A
//!   stolen session could otherwise guess the password at will, so the attempt is charged
//!   to the login limits of the account and the address, and a right password forgives it.
//! - The new hash is stored by a compare-and-swap on the hash that was verified, so two
//!   changes (or a login's rehash) cannot overwrite one another unseen; then every other
//!   session of the user ends as a logout ends one: whoever held the old password, or a
//!   stolen session, is out at once in every mode. The session that made the change
//!   stays. A login with the old password that was in flight meanwhile sees the new hash
//!   when it re-reads the user after creating its session, and ends it (`login.rs`).

use keycard_core::UnixTime;
use keycard_core::audit::AuditKind;
use keycard_core::session::ClientMeta;
use keycard_core::store::HashSwap;
use keycard_core::user::{PasswordCheck, check_password};
use zeroize::Zeroizing;

use crate::current::Current;
use crate::error::AuthError;
use crate::service::Auth;

/// How many times a change verifies again after the stored hash moved under it.
const MAX_SWAP_ATTEMPTS: u32 = 3;

impl Auth {
    /// Replaces the caller's password and ends their other sessions; returns how many ended.
    /// `InvalidCredentials` if `current_password` is wrong, `WeakPassword` if `new_password`
    /// breaks a rule, `Throttled` past the login limits.
    pub async fn change_password(
        &self,
        caller: &Current,
        current_password: Zeroizing<String>,
        new_password: Zeroizing<String>,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<usize, AuthError> {
        let stores = self.stores();
        let user = stores
            .users
            .load_user(caller.user_id())
            .await?
            .filter(|user| !user.disabled)
            .ok_or(AuthError::InvalidToken("unknown_user"))?;
        check_password(&new_password, &user.email)
            .map_err(|rejected| AuthError::WeakPassword(rejected.rule()))?;
        let ip = client.ip_addr();
        self.limiter().check(ip, Some(&user.email), now).await?;
        let mut user = user;
        let mut attempts = 0;
        loop {
            let new_hash = self
                .verify_and_hash(&user, current_password.clone(), new_password.clone())
                .await?;
            match stores
                .users
                .replace_password_hash(&user.id, &user.password_hash, &new_hash)
                .await?
            {
                HashSwap::Replaced => break,
                // The hash changed since it was read: a login's rehash of the same password,
                // or another change. Verify again against what is stored now; a password that
                // is no longer the account's fails there.
                HashSwap::Changed if attempts < MAX_SWAP_ATTEMPTS => {
                    attempts += 1;
                    user = stores
                        .users
                        .load_user(&user.id)
                        .await?
                        .ok_or(AuthError::InvalidToken("unknown_user"))?;
                }
                HashSwap::Changed => return Err(AuthError::InvalidCredentials),
                HashSwap::NoSuchUser => return Err(AuthError::InvalidToken("unknown_user")),
            }
        }
        // No feed event carries a password change: the user cache is read for who the user
        // is, not for the hash, and holds a copy only for its short time to live.
        self.caches().users.revoked(&user.id);
        self.limiter().record_success(ip, &user.email, now).await?;
        let others = stores.sessions.list_user_sessions(&user.id, now).await?;
        let mut ended = 0;
        for session in others.iter().filter(|s| s.id != *caller.session_id()) {
            self.end_session(&session.id, now).await?;
            ended += 1;
        }
        self.audit(
            AuditKind::PasswordChanged,
            Some(&user.id),
            Some(caller.session_id()),
            client,
            now,
        )
        .await;
        Ok(ended)
    }

    /// Verifies `current` against the user's stored hash and hashes `new`, in one task of the
    /// hashing pool. `InvalidCredentials` if `current` is wrong.
    async fn verify_and_hash(
        &self,
        user: &keycard_core::user::User,
        current: Zeroizing<String>,
        new: Zeroizing<String>,
    ) -> Result<keycard_core::user::PasswordHash, AuthError> {
        let stored = user.password_hash.clone();
        self.inner()
            .hashing
            .run(move |hasher| match hasher.verify(&current, &stored) {
                PasswordCheck::Match { .. } => Some(hasher.hash(&new)),
                PasswordCheck::Mismatch => None,
            })
            .await?
            .ok_or(AuthError::InvalidCredentials)?
            .map_err(AuthError::from)
    }
}
