//! `POST /v1/password` `{current_password, new_password}`: 204 once the password is changed
//! and every other session of the user has ended; the calling session stays. A wrong
//! current password is 401 `invalid-credentials`, a new one breaking a rule 422
//! `invalid-password` with the `rule`, past the login limits 429 with `Retry-After`.
//! Cookie-authenticated calls pass the CSRF check first.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::client::Client;
use super::dto::account::PasswordChange;
use super::dto::problems;
use super::dto::revealed;
use super::extract::{Authenticated, require_csrf};
use crate::error::WebError;
use crate::state::AppState;

/// `POST /v1/password`.
#[utoipa::path(
    post,
    path = "/v1/password",
    operation_id = "changePassword",
    tag = "account",
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    params(("X-CSRF-Token" = Option<String>, Header, description = "Session mode: the `csrf_token` of the login answer.")),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every other session of the user has ended."),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthorized),
        (status = 403, response = problems::Forbidden),
        (status = 408, response = problems::RequestTimeout),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::UnprocessableEntity),
        (status = 429, response = problems::TooManyRequests),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn change(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Authenticated(who): Authenticated,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, WebError> {
    require_csrf(&state, &headers, &who)?;
    let auth = state.auth();
    auth.change_password(
        &who,
        revealed(&body.current_password),
        revealed(&body.new_password),
        &client,
        auth.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
