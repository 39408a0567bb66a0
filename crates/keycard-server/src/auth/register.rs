//! New accounts: the email normalised, the password checked against the rules, hashed
//! with argon2id off the async runtime, the user stored.

use keycard_core::UnixTime;
use keycard_core::audit::AuditKind;
use keycard_core::session::ClientMeta;
use keycard_core::store::StoreError;
use keycard_core::user::{Email, User, check_password};
use zeroize::Zeroizing;

use super::login::with_hasher;
use super::{AuthError, audit};
use crate::state::AppState;

/// Creates an account. `EmailTaken` if the normalised email has one.
pub async fn register(
    state: &AppState,
    email: &str,
    password: Zeroizing<String>,
    client: &ClientMeta,
    now: UnixTime,
) -> Result<User, AuthError> {
    let email = Email::parse(email).map_err(|invalid| AuthError::InvalidEmail(invalid.0))?;
    check_password(&password, &email)
        .map_err(|rejected| AuthError::WeakPassword(rejected.rule()))?;
    let hash = with_hasher(state, move |hasher| hasher.hash(&password)).await??;
    let user = User::new(email, hash, now)?;
    match state.stores().users.create_user(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(AuthError::EmailTaken),
        Err(error) => return Err(error.into()),
    }
    audit(
        state,
        AuditKind::UserCreated,
        Some(&user.id),
        None,
        client,
        now,
    )
    .await;
    Ok(user)
}
