//! `POST /v1/token/status` `{token}`: whether an access token this server issued is still
//! live. The answer is `{"active": true}` or `{"active": false}` and nothing else: not
//! who it belongs to, not why it is dead. The token inspector's "Check revocation" asks it.
//!
//! Why it needs no client credentials, unlike `/v1/introspect`: the question is asked with
//! the token itself, and anyone holding a live access token can already learn more with it
//! (`GET /v1/me` with it as a bearer token); a dead or forged token learns only "not live".
//! Only access JWTs are answered for: an opaque refresh or session token is always
//! `false`, so a stolen refresh token cannot be tested without being used (and rotated,
//! where reuse detection sees it). The check is the bearer check of every authenticated
//! request (signature, claims, revocation set: memory only, no store I/O), so the route
//! costs what `GET /v1/me` costs and needs no limiter of its own; the body limit and the
//! token size cap bound the work.

use axum::Json;
use axum::extract::State;
use keycard_auth::AuthError;

use super::dto::problems;
use super::dto::revealed;
use super::dto::tokens::{TokenStatus, TokenStatusRequest};
use crate::error::WebError;
use crate::state::AppState;

/// The path.
pub const STATUS_PATH: &str = "/v1/token/status";

/// `POST /v1/token/status`.
#[utoipa::path(
    post,
    path = "/v1/token/status",
    operation_id = "tokenStatus",
    tag = "auth",
    description = "Whether an access token this server issued is live (signature, expiry, \
        not revoked). Answers only `active`; an opaque token, or any token not valid here, \
        is `false`. Needs no credentials: the caller proves it holds the token by sending it.",
    request_body = TokenStatusRequest,
    responses(
        (status = 200, description = "Whether the token is live.", body = TokenStatus),
        (status = 400, response = problems::BadRequest),
        (status = 408, response = problems::RequestTimeout),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn status(
    State(state): State<AppState>,
    Json(body): Json<TokenStatusRequest>,
) -> Result<Json<TokenStatus>, WebError> {
    let auth = state.auth();
    let token = revealed(&body.token);
    let active = match auth
        .authenticate_bearer(Some(token.as_str()), auth.now())
        .await
    {
        Ok(_) => true,
        Err(AuthError::InvalidToken(_)) => false,
        Err(error) => return Err(error.into()),
    };
    Ok(Json(TokenStatus { active }))
}
