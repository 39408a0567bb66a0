//! The auth flows, free of HTTP: each operation takes the [`AppState`],
//! what the request carried, and `now`, and says what failed as an [`AuthError`]. The
//! routes turn requests into calls here and [`AuthError`] into a status
//! ([`WebError`]).
//!
//! - [`register`]: new accounts (password rules, argon2id).
//! - [`login`]: credentials checked off the async runtime; a fresh session per login.
//! - [`tokens`]: access JWTs minted and verified (signature, claims, revocation set).
//! - [`current`]: who a request is, from its cookie or its bearer token.
//! - [`refresh`]: refresh rotation, grace replays and reuse detection (hybrid mode).
//! - [`logout`]: ending one session or all of a user's, instantly.
//! - [`sessions`]: the user's own session list, and ending one from it.
//! - [`password`]: changing the password, which ends the user's other sessions.
//! - [`admin`]: the admin token; disabling and enabling users, their sessions, the audit log.
//! - [`oauth`]: token introspection (RFC 7662) and revocation (RFC 7009) for configured clients.
//! - [`csrf`]: the session-bound CSRF token and the same-origin check.
//! - [`client`]: user agent, IP and a readable label, for session lists and the audit log.

pub mod admin;
pub mod client;
pub mod csrf;
pub mod current;
pub mod login;
pub mod logout;
pub mod oauth;
pub mod password;
pub mod refresh;
pub mod register;
pub mod sessions;
pub mod tokens;

use keycard_core::audit::{AuditEvent, AuditKind};
use keycard_core::session::ClientMeta;
use keycard_core::store::StoreError;
use keycard_core::{KeyError, SessionId, UnixTime, UserId};

use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::security::{RetryAfter, TooManyRequests};
use crate::state::AppState;

/// What an auth operation refused, or why it could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Unknown email, wrong password or disabled account: one answer for all three.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The presented credential does not authenticate; `rule` names why (for the log).
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// The email is not an address Keycard accepts; `rule` names why.
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
    /// The login limits refused the attempt before any password was checked.
    #[error(transparent)]
    Throttled(#[from] RetryAfter),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Key material, randomness or a blocking task failed.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<KeyError> for AuthError {
    fn from(error: KeyError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<AuthError> for WebError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => Self::InvalidCredentials,
            AuthError::InvalidToken(rule) => Self::InvalidToken { rule },
            AuthError::InvalidEmail(rule) => Self::Invalid {
                field: "email",
                rule,
            },
            AuthError::WeakPassword(rule) => Self::Invalid {
                field: "password",
                rule,
            },
            AuthError::EmailTaken => Self::EmailTaken,
            AuthError::Csrf(rule) => Self::Csrf { rule },
            AuthError::Store(error) => Self::internal(error),
            // Only login and password change are throttled, and their handlers answer
            // through `IntoResponse for AuthError` (429 with `Retry-After`); reaching this
            // is a wiring mistake.
            AuthError::Throttled(retry) => Self::internal(retry),
            AuthError::Internal(message) => Self::internal(message),
        }
    }
}

/// The answer to a failed auth operation: 429 with `Retry-After` when throttled, else as
/// [`WebError`] decides.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        match self {
            Self::Throttled(retry) => TooManyRequests(retry).into_response(),
            other => WebError::from(other).into_response(),
        }
    }
}

/// Appends an audit event. A failed append is logged and does not fail the request: the
/// user's action has already taken effect, and refusing to report it would mislead.
pub(crate) async fn audit(
    state: &AppState,
    kind: AuditKind,
    user_id: Option<&UserId>,
    session_id: Option<&SessionId>,
    client: &ClientMeta,
    now: UnixTime,
) {
    let event = AuditEvent {
        at: now,
        kind,
        user_id: user_id.cloned(),
        session_id: session_id.cloned(),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    };
    if let Err(error) = state.stores().audit.append_audit(&event).await {
        tracing::warn!(%error, kind = kind.as_str(), "audit append failed");
    }
}
