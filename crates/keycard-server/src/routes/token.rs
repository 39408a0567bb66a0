//! `POST /v1/token/refresh` (hybrid mode): a refresh token in, a new access token and the
//! next refresh token out. The token comes from the body `{refresh_token}` (native
//! clients, answered in the body) or from the refresh cookie (browsers, answered with a new
//! cookie, after the same-origin check).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use zeroize::Zeroizing;

use keycard_auth::AuthError;

use super::client::Client;
use super::dto::problems;
use super::dto::revealed;
use super::dto::tokens::{RefreshRequest, TokenResponse, Transport};
use super::extract::{REFRESH_COOKIE, cookie, require_same_origin};
use super::login::{access_answer, with_cookie};
use crate::error::WebError;
use crate::state::AppState;

/// The path.
pub const REFRESH: &str = "/v1/token/refresh";

/// `POST /v1/token/refresh`.
#[utoipa::path(
    post,
    path = "/v1/token/refresh",
    operation_id = "refreshToken",
    tag = "auth",
    description = "Hybrid mode only: in session and jwt modes the route does not exist \
        (404). Rotates the refresh token: each is single use, and presenting a used one \
        ends its whole family. Send the token in the body (native clients, answered in the \
        body) or let the browser send the refresh cookie (same-origin requests only, \
        answered with a new cookie).",
    extensions(("x-keycard-modes" = json!(["hybrid"]))),
    request_body(content = Option<RefreshRequest>, description = "Native clients: the refresh token."),
    security(("refreshCookie" = []), ()),
    responses(
        (
            status = 200,
            description = "A new access token, and the next refresh token (in the body if it \
                came in the body, else as the refresh cookie).",
            body = TokenResponse,
            headers(("Set-Cookie" = String, description = "Cookie transport: the next refresh cookie."))
        ),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthorized),
        (status = 403, response = problems::Forbidden),
        (status = 408, response = problems::RequestTimeout),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    body: Option<Json<RefreshRequest>>,
) -> Result<Response, WebError> {
    let from_body = body.and_then(|Json(body)| body.refresh_token);
    let (presented, transport) = match from_body {
        Some(token) => (revealed(&token), Transport::Body),
        None => {
            require_same_origin(&state, &headers)?;
            let token =
                cookie(&headers, REFRESH_COOKIE).ok_or(AuthError::InvalidToken("missing"))?;
            (Zeroizing::new(token), Transport::Cookie)
        }
    };
    let auth = state.auth();
    let refreshed = auth.refresh(&presented, &client, auth.now()).await?;
    let (cookie, body) = access_answer(&refreshed.access, Some(&refreshed.refresh), transport);
    Ok(with_cookie(cookie, Json(body)))
}
