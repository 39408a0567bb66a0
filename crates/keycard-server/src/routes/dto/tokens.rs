//! The credentials a login or a refresh hands out, and the bodies that ask for them.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::account::User;

/// Where a hybrid-mode client wants its refresh token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// An HttpOnly cookie scoped to the refresh path (browsers).
    #[default]
    Cookie,
    /// The response body (native clients).
    Body,
}

/// The body of `POST /v1/login`. `Debug` leaves the password out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The account's email address.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The account's password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// Hybrid mode: where the refresh token goes; the cookie unless `body`.
    #[serde(default)]
    pub refresh_token_transport: Transport,
}

/// The answer of `POST /v1/login`, by the server's mode.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    /// Session mode: the session is in the cookie set beside this body.
    Session(SessionLogin),
    /// Jwt and hybrid modes.
    Token(TokenResponse),
}

/// Session mode's login answer. `Debug` leaves the CSRF token out.
#[derive(Serialize, ToSchema)]
pub struct SessionLogin {
    /// What the client sends back as `X-CSRF-Token` on unsafe requests.
    pub csrf_token: String,
    /// Who logged in.
    pub user: User,
}

impl std::fmt::Debug for SessionLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionLogin")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The kind of access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub enum TokenType {
    /// Sent as `Authorization: Bearer` (RFC 6750).
    Bearer,
}

/// An access token, and in hybrid mode the next refresh token when the client asked for it
/// in the body. `Debug` leaves both tokens out.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token: a JWT (`typ: at+jwt`, RFC 9068).
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Hybrid mode, body transport: the refresh token, single use.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refresh_token: Option<String>,
    /// Always `Bearer`.
    pub token_type: TokenType,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

/// The optional body of `POST /v1/token/refresh`: native clients send their refresh token
/// here, browsers send the cookie instead. `Debug` leaves the token out.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token.
    #[schema(value_type = Option<String>)]
    pub refresh_token: Option<SecretString>,
}

/// The body of `POST /v1/token/status`. `Debug` leaves the token out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenStatusRequest {
    /// The access token asked about.
    #[schema(value_type = String)]
    pub token: SecretString,
}

/// The answer of `POST /v1/token/status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenStatus {
    /// Whether the token is a live access token of this server.
    pub active: bool,
}
