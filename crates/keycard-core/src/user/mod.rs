//! Users: who can log in, and the per-user `not_before` epoch that ends every session and
//! token issued before it ("log out everywhere", password change, account disabled).

mod email;
mod password;

pub use email::{Email, InvalidEmail, MAX_EMAIL_BYTES};
pub use password::{
    MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, OWASP_M_KIB, OWASP_P, OWASP_T, PasswordCheck,
    PasswordHasher, PasswordRejected, check_password,
};

use std::fmt;

use crate::UnixTime;
use crate::ids::UserId;

/// A password hash in PHC string form (`$argon2id$v=19$m=19456,t=2,p=1$...`). Not a
/// secret in itself, but never logged: `Debug` shows only the algorithm and parameters.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string.
    pub fn new(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    /// The PHC string, for storing and verifying.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `$argon2id$v=19$m=..,t=..,p=..$salt$hash`: keep the first three fields.
        let parameters: Vec<&str> = self.0.split('$').take(4).collect();
        write!(f, "PasswordHash({}$…)", parameters.join("$"))
    }
}

/// An account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The user's id (`sub`).
    pub id: UserId,
    /// The normalised email address; unique.
    pub email: Email,
    /// The argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// A disabled user cannot log in, and everything issued to them is revoked.
    pub disabled: bool,
    /// Sessions created and tokens issued before this instant are dead.
    pub not_before: UnixTime,
    /// When the account was made.
    pub created_at: UnixTime,
}

impl User {
    /// A new, enabled user with a fresh id.
    pub fn new(
        email: Email,
        password_hash: PasswordHash,
        now: UnixTime,
    ) -> Result<Self, crate::KeyError> {
        Ok(Self {
            id: UserId::generate()?,
            email,
            password_hash,
            disabled: false,
            not_before: UnixTime::from_secs(0),
            created_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_salt_and_hash() {
        let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo");
        let shown = format!("{hash:?}");
        assert!(shown.contains("m=19456,t=2,p=1"), "{shown}");
        assert!(
            !shown.contains("c2FsdHNhbHQ") && !shown.contains("aGFzaGhh"),
            "{shown}"
        );
    }
}
