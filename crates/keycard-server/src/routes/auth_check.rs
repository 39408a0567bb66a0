//! `GET /v1/auth/check`: the subrequest of nginx `auth_request` (or any gateway's forward
//! auth). 204 with `X-Keycard-User` and `X-Keycard-Session` when the request's credential
//! authenticates, else 401 (problem+json, with `WWW-Authenticate`); the gateway passes the
//! headers on to the protected application.
//!
//! It runs on every request the gateway protects, so it does as little as it can:
//! - jwt and hybrid modes: the bearer token's signature and claims, then the in-memory
//!   revocation set. No store is asked: that is what makes it cheap, and logout is still
//!   instant because it revokes the session's id here.
//! - session mode: the cookie's session and its user, from the stores, as `GET /v1/me`.
//!
//! Its latency goes to the `keycard_auth_check_duration_seconds` histogram.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keycard_core::{SessionId, UserId};

use keycard_auth::AuthError;
use keycard_auth::current::Current;

use super::dto::problems;
use super::extract::authenticate;
use crate::error::WebError;
use crate::state::AppState;

/// The header naming the authenticated user's id.
pub const USER_HEADER: &str = "x-keycard-user";
/// The header naming the session's id.
pub const SESSION_HEADER: &str = "x-keycard-session";

/// `GET /v1/auth/check`.
#[utoipa::path(
    get,
    path = "/v1/auth/check",
    operation_id = "authCheck",
    tag = "auth",
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    responses(
        (
            status = 204,
            description = "The credential authenticates; pass the headers on.",
            headers(
                ("X-Keycard-User" = String, description = "The user's id."),
                ("X-Keycard-Session" = String, description = "The session's id.")
            )
        ),
        (status = 401, response = problems::Unauthorized),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn auth_check(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let _timer = state.metrics().time_auth_check();
    match check(&state, &headers).await {
        Ok((user, session)) => authenticated(&user, &session),
        Err(error) => error.into_response(),
    }
}

/// Who the credential of the server's mode speaks for.
async fn check(state: &AppState, headers: &HeaderMap) -> Result<(UserId, SessionId), WebError> {
    let who = authenticate(state, headers).await?;
    match who {
        // A cookie session is only as good as its user: a disabled account's cookie
        // stops here (bearer tokens of a disabled user are revoked when it is disabled).
        Current::Cookie { .. } => {
            let auth = state.auth();
            let me = auth.me(who, auth.now()).await?;
            Ok((me.user.id, me.session.id))
        }
        Current::Bearer(_) => Ok((who.user_id().clone(), who.session_id().clone())),
    }
}

fn authenticated(user: &UserId, session: &SessionId) -> Response {
    match (
        HeaderValue::from_str(user.as_str()),
        HeaderValue::from_str(session.as_str()),
    ) {
        (Ok(user), Ok(session)) => (
            StatusCode::NO_CONTENT,
            [(USER_HEADER, user), (SESSION_HEADER, session)],
        )
            .into_response(),
        // Ids are generated base64url text; anything else in a token was never ours.
        _ => WebError::from(AuthError::InvalidToken("unprintable_id")).into_response(),
    }
}
