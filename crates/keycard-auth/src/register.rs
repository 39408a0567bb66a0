//! New accounts: the email normalised, the password checked against the rules, hashed
//! with argon2id in the hashing pool, the user stored. Each address may register a few
//! accounts per window (`registration_limit_per_ip`), charged before any work, so
//! registrations cannot starve the hashing pool that logins share.
//!
//! A taken email answers `EmailTaken` (409): registration reveals whether an email has an
//! account. That stays until email verification exists (a verified flow can answer the
//! same either way and tell the owner by email); the per-address limit is what keeps the
//! answer from being an enumeration oracle (docs/SECURITY.md).

use keycard_core::UnixTime;
use keycard_core::audit::AuditKind;
use keycard_core::session::ClientMeta;
use keycard_core::store::StoreError;
use keycard_core::user::{Email, User, check_password};
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::service::Auth;

impl Auth {
    /// Creates an account. `EmailTaken` if the normalised email has one; `Throttled` past the
    /// per-address limit.
    pub async fn register(
        &self,
        email: &str,
        password: Zeroizing<String>,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<User, AuthError> {
        if let Err(refused) = self
            .limiter()
            .check_registration(client.ip_addr(), now)
            .await
        {
            if matches!(refused, AuthError::Throttled(_)) {
                self.events().registration_throttled();
            }
            return Err(refused);
        }
        let email = Email::parse(email).map_err(|invalid| AuthError::InvalidEmail(invalid.0))?;
        check_password(&password, &email)
            .map_err(|rejected| AuthError::WeakPassword(rejected.rule()))?;
        let hash = self
            .inner()
            .hashing
            .run(move |hasher| hasher.hash(&password))
            .await??;
        let user = User::new(email, hash, now)?;
        match self.stores().users.create_user(&user).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(AuthError::EmailTaken),
            Err(error) => return Err(error.into()),
        }
        self.audit(AuditKind::UserCreated, Some(&user.id), None, client, now)
            .await;
        Ok(user)
    }
}
