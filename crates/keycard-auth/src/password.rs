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
    self.limiter().check(ip, Some(&user.email), now)?;
    let stored = user.password_hash.clone();
    let new_hash = self
        .inner()
        .hashing
        .run(move |hasher| match hasher.verify(&current_password, &stored) {
            PasswordCheck::Match { .. } => Some(hasher.hash(&new_password)),
            PasswordCheck::Mismatch => None,
        })
        .await?
        .ok_or(AuthError::InvalidCredentials)??;
    self.limiter().record_success(ip, &user.email, now)?;
    match stores
        .users
        .replace_password_hash(&user.id, &user.password_hash, &new_hash)
        .await?
    {
        HashSwap::Replaced => {}
        // Another change won meanwhile: this one verified a password that is no longer
        // the account's.
        HashSwap::Changed => return Err(AuthError::InvalidCredentials),
        HashSwap::NoSuchUser => return Err(AuthError::InvalidToken("unknown_user")),
    }
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
}
