//! The account: a new user, the user as the API shows it, a password change and
//! `GET /v1/me`.

use keycard_core::{SessionId, UserId};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of `POST /v1/users`. `Debug` leaves the password out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    /// The account's email address; normalised before it is stored.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The password; the password rules apply (422 `invalid-password` names the one broken).
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// A user: the answer of `POST /v1/users`, and part of the login and `/v1/me` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    /// The normalised email address.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The user's id: the `sub` of their tokens.
    #[schema(value_type = String)]
    pub id: UserId,
}

impl From<&keycard_core::user::User> for User {
    fn from(user: &keycard_core::user::User) -> Self {
        Self {
            email: user.email.as_str().to_owned(),
            id: user.id.clone(),
        }
    }
}

/// The body of `POST /v1/password`. `Debug` shows neither password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// The password the account has now.
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    /// The password it is to have; the password rules apply.
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretString,
}

/// The server's mode: which credential a login hands out and requests present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Mode)]
pub enum ModeName {
    /// An opaque session id in an HttpOnly cookie.
    Session,
    /// Short-lived access tokens (JWT) only.
    Jwt,
    /// Access tokens and rotating refresh tokens.
    Hybrid,
}

impl From<keycard_auth::Mode> for ModeName {
    fn from(mode: keycard_auth::Mode) -> Self {
        match mode {
            keycard_auth::Mode::Session => Self::Session,
            keycard_auth::Mode::Jwt => Self::Jwt,
            keycard_auth::Mode::Hybrid => Self::Hybrid,
        }
    }
}

/// The answer of `GET /v1/me`: who the credential belongs to, and its session. `Debug`
/// leaves the CSRF token out.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Session mode: the session's CSRF token, to send as `X-CSRF-Token` on unsafe requests
    /// (a page reloaded after login has it from here; a cross-site page cannot read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub csrf_token: Option<String>,
    /// The server's mode.
    pub mode: ModeName,
    /// The session the credential belongs to.
    pub session: MeSession,
    /// The user.
    pub user: User,
}

impl std::fmt::Debug for Me {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Me")
            .field("mode", &self.mode)
            .field("session", &self.session)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The session of `GET /v1/me`; times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeSession {
    /// When it started.
    pub created_at: i64,
    /// When it ends unless used again (the idle timeout, capped by the absolute lifetime).
    pub expires_at: i64,
    /// The session's public id: the `sid` of its access tokens.
    #[schema(value_type = String)]
    pub id: SessionId,
}

impl From<&keycard_core::session::Session> for MeSession {
    fn from(session: &keycard_core::session::Session) -> Self {
        Self {
            created_at: session.created_at.as_secs(),
            expires_at: session.expires_at().as_secs(),
            id: session.id.clone(),
        }
    }
}
