//! The bodies of token introspection (RFC 7662) and revocation (RFC 7009).

use keycard_auth::oauth::Introspection;
use keycard_core::{SessionId, UserId};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The form of `POST /v1/introspect` and `POST /v1/revoke`
/// (`application/x-www-form-urlencoded`). `Debug` leaves the token out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// The token: an access token, a refresh token or a session cookie's value. A form
    /// without it is 400.
    #[schema(value_type = String)]
    pub token: Option<SecretString>,
    /// Accepted and not needed: the kind is read from the token.
    pub token_type_hint: Option<String>,
}

/// The answer of `POST /v1/introspect`: `{"active": false}` for anything invalid, expired
/// or revoked; the token's facts besides when it is active.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Introspection)]
pub struct IntrospectionInfo {
    /// Whether the token would be accepted now.
    pub active: bool,
    /// Active only: `access_token`, `refresh_token` or `session_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token_type: Option<&'static str>,
    /// Active only: the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub sub: Option<UserId>,
    /// Active only: the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub sid: Option<SessionId>,
    /// Active only: when it expires, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub exp: Option<i64>,
    /// Active only: when it was issued, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub iat: Option<i64>,
    /// Active only: this server's issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub iss: Option<String>,
    /// Active access tokens only: the audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub aud: Option<String>,
    /// Active access tokens only: the token's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub jti: Option<String>,
}

impl From<Introspection> for IntrospectionInfo {
    fn from(answer: Introspection) -> Self {
        let token = answer.token;
        let token = token.as_ref();
        Self {
            active: answer.active,
            token_type: token.map(|token| token.token_type),
            sub: token.map(|token| token.sub.clone()),
            sid: token.map(|token| token.sid.clone()),
            exp: token.map(|token| token.exp),
            iat: token.map(|token| token.iat),
            iss: token.map(|token| token.iss.clone()),
            aud: token.and_then(|token| token.aud.clone()),
            jti: token.and_then(|token| token.jti.clone()),
        }
    }
}
