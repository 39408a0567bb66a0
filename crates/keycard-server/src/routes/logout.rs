//! `POST /v1/logout` (this session) and `POST /v1/logout/all` (every session of the user):
//! instant in every mode. 204 with `Clear-Site-Data: "cookies"` and the mode's cookie
//! expired. Cookie-authenticated calls pass the CSRF check first.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client::Client;
use super::extract::{Authenticated, expired_cookie, require_csrf};
use crate::error::WebError;
use crate::state::AppState;

/// `POST /v1/logout`.
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
