//! `POST /v1/logout` (this session) and `POST /v1/logout/all` (every session of the user):
//! instant in every mode. 204 with `Clear-Site-Data: "cookies"` and the mode's cookie
//! expired. Cookie-authenticated calls pass the CSRF check first.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client::Client;
use super::dto::problems;
use super::extract::{Authenticated, expired_cookie, require_csrf};
use crate::error::WebError;
use crate::state::AppState;

/// `POST /v1/logout`.
#[utoipa::path(
    post,
    path = "/v1/logout",
    operation_id = "logout",
    tag = "auth",
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    params(("X-CSRF-Token" = Option<String>, Header, description = "Session mode: the `csrf_token` of the login answer.")),
    responses(
        (
            status = 204,
            description = "This session has ended, in every mode at once.",
            headers(
                ("Clear-Site-Data" = String, description = "`\"cookies\"`."),
                ("Set-Cookie" = String, description = "Session and hybrid modes: the mode's cookie, expired.")
            )
        ),
        (status = 401, response = problems::Unauthorized),
        (status = 403, response = problems::Forbidden),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Authenticated(who): Authenticated,
) -> Result<Response, WebError> {
    require_csrf(&state, &headers, &who)?;
    let auth = state.auth();
    auth.logout(who.user_id(), who.session_id(), &client, auth.now())
        .await?;
    Ok(logged_out(&state))
}

/// `POST /v1/logout/all`.
#[utoipa::path(
    post,
    path = "/v1/logout/all",
    operation_id = "logoutAll",
    tag = "auth",
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    params(("X-CSRF-Token" = Option<String>, Header, description = "Session mode: the `csrf_token` of the login answer.")),
    responses(
        (
            status = 204,
            description = "Every session of the user has ended.",
            headers(
                ("Clear-Site-Data" = String, description = "`\"cookies\"`."),
                ("Set-Cookie" = String, description = "Session and hybrid modes: the mode's cookie, expired.")
            )
        ),
        (status = 401, response = problems::Unauthorized),
        (status = 403, response = problems::Forbidden),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn logout_all(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Authenticated(who): Authenticated,
) -> Result<Response, WebError> {
    require_csrf(&state, &headers, &who)?;
    let auth = state.auth();
    auth.logout_all(who.user_id(), who.session_id(), &client, auth.now())
        .await?;
    Ok(logged_out(&state))
}

/// 204 with `Clear-Site-Data: "cookies"` and the mode's cookie expired: the answer to
/// any request that ended its own session.
pub(crate) fn logged_out(state: &AppState) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("clear-site-data", HeaderValue::from_static("\"cookies\""));
    if let Some(expired) = expired_cookie(state.auth().settings().mode) {
        headers.insert(header::SET_COOKIE, expired);
    }
    response
}
