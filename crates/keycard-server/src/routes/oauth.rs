//! `POST /v1/introspect` (RFC 7662) and `POST /v1/revoke` (RFC 7009), for the clients of
//! the `clients` setting, authenticated by HTTP Basic. Both read a form body
//! (`token=...&token_type_hint=...`); the hint is accepted and not needed.
//!
//! - introspect: 200 `{"active": false}` for anything invalid, expired or revoked, else
//!   `{"active": true, token_type, sub, sid, exp, iat, iss, aud?, jti?}`;
//! - revoke: 200 with an empty body, also for an unknown or invalid token (RFC 7009
//!   section 2.2);
//! - a missing or wrong client (or none configured): 401 `invalid-client` with
//!   `WWW-Authenticate: Basic`; a body without `token`: 400.

use axum::Json;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::extract::{Client, header_str};
use crate::auth::oauth::{self, Introspection};
use crate::error::WebError;
use crate::state::AppState;

/// The introspection path.
pub const INTROSPECT_PATH: &str = "/v1/introspect";
/// The revocation path.
pub const REVOKE_PATH: &str = "/v1/revoke";

/// A request from an authenticated client: its id. Checked before the body is read.
#[derive(Debug)]
pub struct OAuthClient(pub String);

impl FromRequestParts<AppState> for OAuthClient {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let authorization = header_str(&parts.headers, header::AUTHORIZATION.as_str());
        oauth::authenticate_client(state.settings(), authorization)
            .map(Self)
            .ok_or(WebError::InvalidClient)
    }
}

/// The form of both routes. `Debug` leaves the token out.
#[derive(Deserialize)]
pub struct TokenForm {
    token: Option<Zeroizing<String>>,
    token_type_hint: Option<String>,
}

impl std::fmt::Debug for TokenForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenForm")
            .field("token_type_hint", &self.token_type_hint)
            .finish_non_exhaustive()
    }
}

impl TokenForm {
    fn token(&self) -> Result<&str, WebError> {
        self.token
            .as_deref()
            .map(String::as_str)
            .ok_or_else(|| WebError::BadRequest("The form has no `token`.".into()))
    }
}

/// `POST /v1/introspect`.
pub async fn introspect(
    OAuthClient(client_id): OAuthClient,
    State(state): State<AppState>,
    Form(form): Form<TokenForm>,
) -> Result<Json<Introspection>, WebError> {
    let answer = oauth::introspect(&state, form.token()?, state.now()).await?;
    tracing::debug!(client = %client_id, active = answer.active, "token introspected");
    Ok(Json(answer))
}

/// `POST /v1/revoke`.
pub async fn revoke(
    OAuthClient(client_id): OAuthClient,
    State(state): State<AppState>,
    Client(client): Client,
    Form(form): Form<TokenForm>,
) -> Result<StatusCode, WebError> {
    let revoked = oauth::revoke(&state, form.token()?, &client, state.now()).await?;
    tracing::debug!(client = %client_id, revoked, "token revocation requested");
    Ok(StatusCode::OK)
}
