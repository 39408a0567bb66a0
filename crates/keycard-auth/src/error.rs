//! What an auth operation refused, or why it could not run. The service says *what*
//! happened; the HTTP edge (`keycard-server`'s `WebError`) alone decides the status and the
//! body. Causes are kept as sources for the logs and are never shown to clients.

use keycard_core::KeyError;
use keycard_core::store::StoreError;
use keycard_store::key_vault::VaultError;

use crate::limiter::RetryAfter;

/// What an auth operation refused, or why it could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Unknown email, wrong password or disabled account: one answer for all three.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The presented credential does not authenticate; the rule names why (for the log).
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// The email is not an address Keycard accepts; the rule names why.
    #[error("invalid email: {0}")]
    InvalidEmail(&'static str),
    /// The password breaks a rule of [`check_password`](keycard_core::user::check_password).
    #[error("password rejected: {0}")]
    WeakPassword(&'static str),
    /// The email already has an account.
    #[error("email taken")]
    EmailTaken,
    /// A CSRF check failed: `origin` or `csrf_token`.
    #[error("csrf: {0}")]
    Csrf(&'static str),
    /// An OAuth client did not authenticate, or is not allowed this operation.
    #[error("invalid client")]
    InvalidClient,
    /// The admin token is missing or wrong.
    #[error("admin access denied")]
    AdminDenied,
    /// No admin token is configured: there are no admin operations.
    #[error("no admin access configured")]
    AdminAbsent,
    /// The user or session named does not exist (or is not the caller's).
    #[error("not found")]
    NotFound,
    /// A limit refused the attempt before any work was done.
    #[error(transparent)]
    Throttled(#[from] RetryAfter),
    /// The password-hashing pool is saturated: the request waited past its deadline, or
    /// the queue was full. Retry after the given seconds.
    #[error("password hashing busy; retry after {retry_after_secs}s")]
    Busy {
        /// Whole seconds to wait.
        retry_after_secs: u64,
    },
    /// A store did not answer (connection refused, timed out, failed over).
    #[error("store unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else: corrupt records, key material, randomness, a failed task.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AuthError {
    /// An internal error from anything that is an error.
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }
}

impl From<StoreError> for AuthError {
    /// A backend that failed is unavailable (retrying may work); a record that does not
    /// make sense, or a uniqueness conflict nobody expected, is internal.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Backend(_) => Self::Unavailable(error),
            other => Self::internal(other),
        }
    }
}

impl From<KeyError> for AuthError {
    fn from(error: KeyError) -> Self {
        Self::internal(error)
    }
}

impl From<VaultError> for AuthError {
    /// The key store failing is a store failing; anything else about keys is internal.
    fn from(error: VaultError) -> Self {
        match error {
            VaultError::Store(error) => error.into(),
            other => Self::internal(other),
        }
    }
}
