//! Changing a password, from a signed-in session.
//!
//! - The new password meets the same rules as at registration
//!   ([`check_password`]); it is checked first, since that costs nothing.
//! - The current password is verified as login verifies it: argon2id on the blocking pool
//!   under a hashing permit (`login::with_hasher`), and the same task hashes the new one. A
//!   stolen session could otherwise guess the password at will, so the attempt is charged
//!   to the login limits of the account and the address, and a right password forgives it.
//! - The new hash is stored, then every other session of the user ends as a logout ends
//!   one ([`end_session`]): whoever held the old password, or a stolen session, is out at
//!   once in every mode. The session that made the change stays.

use keycard_core::UnixTime;
use keycard_core::audit::AuditKind;
use keycard_core::session::ClientMeta;
use keycard_core::user::{PasswordCheck, check_password};
use zeroize::Zeroizing;

use super::current::Current;
use super::login::with_hasher;
use super::logout::end_session;
use super::{AuthError, audit};
use crate::state::AppState;

/// Replaces the caller's password and ends their other sessions; returns how many ended.
/// `InvalidCredentials` if `current_password` is wrong, `WeakPassword` if `new_password`
/// breaks a rule, `Throttled` past the login limits.
pub async fn change(
    state: &AppState,
    caller: &Current,
    current_password: Zeroizing<String>,
    new_password: Zeroizing<String>,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<usize, AuthError> {
    let stores = state.stores();
    let user = stores
        .users
        .load_user(caller.user_id())
        .await?
        .filter(|user| !user.disabled)
        .ok_or(AuthError::InvalidToken("unknown_user"))?;
    check_password(&new_password, &user.email)
        .map_err(|rejected| AuthError::WeakPassword(rejected.rule()))?;
    let ip = client.ip.as_deref().and_then(|ip| ip.parse().ok());
    state.login_limiter().check(ip, Some(&user.email), now)?;
    let stored = user.password_hash.clone();
    let new_hash = with_hasher(state, move |hasher| {
        match hasher.verify(&current_password, &stored) {
            PasswordCheck::Match { .. } => Some(hasher.hash(&new_password)),
            PasswordCheck::Mismatch => None,
        }
    })
    .await?
    .ok_or(AuthError::InvalidCredentials)??;
    state.login_limiter().record_success(ip, &user.email, now);
    if !stores.users.set_password_hash(&user.id, &new_hash).await? {
        return Err(AuthError::InvalidToken("unknown_user"));
    }
    let others = stores.sessions.list_user_sessions(&user.id, now).await?;
    let mut ended = 0;
    for session in others.iter().filter(|s| s.id != *caller.session_id()) {
        end_session(state, &session.id, now).await?;
        ended += 1;
    }
    audit(
        state,
        AuditKind::PasswordChanged,
        Some(&user.id),
        Some(caller.session_id()),
        client,
        now,
    )
    .await;
    Ok(ended)
}
