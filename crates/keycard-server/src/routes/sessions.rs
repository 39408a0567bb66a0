//! `GET /v1/sessions` (the caller's live sessions) and `DELETE /v1/sessions/{id}` (end one
//! of them, instantly, as logout does). Another user's session id is 404, as an unknown one
//! is. Cookie-authenticated deletes pass the CSRF check first.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keycard_core::SessionId;

use super::client::Client;
use super::dto::problems;
use super::dto::sessions::{SessionInfo, SessionList};
use super::extract::{Authenticated, require_csrf};
use super::logout::logged_out;
use crate::error::WebError;
use crate::state::AppState;

/// `GET /v1/sessions`: `{sessions: [...]}`, oldest first (the shape of the admin list).
#[utoipa::path(
    get,
    path = "/v1/sessions",
    operation_id = "listSessions",
    tag = "sessions",
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller's live sessions, oldest first.", body = SessionList),
        (status = 401, response = problems::Unauthorized),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<SessionList>, WebError> {
    let auth = state.auth();
    let listed = auth.list_sessions(&who, auth.now()).await?;
    let sessions = listed
        .iter()
        .map(|row| SessionInfo::new(&row.session, row.current))
        .collect();
    Ok(Json(SessionList { sessions }))
}

/// `DELETE /v1/sessions/{id}`: 204, or 404 if the caller has no live session `id`. Ending
/// the request's own session is a logout, and answers as one (cookie expired,
/// `Clear-Site-Data`).
#[utoipa::path(
    delete,
    path = "/v1/sessions/{id}",
    operation_id = "revokeSession",
    tag = "sessions",
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    params(
        ("id" = String, Path, description = "The session's public id, from `GET /v1/sessions`."),
        ("X-CSRF-Token" = Option<String>, Header, description = "Session mode: the `csrf_token` of the login answer."),
    ),
    responses(
        (
            status = 204,
            description = "The session has ended. If it was the caller's own, the answer is a \
                logout's.",
            headers(
                ("Clear-Site-Data" = String, description = "Own session only: `\"cookies\"`."),
                ("Set-Cookie" = String, description = "Own session only: the mode's cookie, expired.")
            )
        ),
        (status = 401, response = problems::Unauthorized),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Authenticated(who): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    require_csrf(&state, &headers, &who)?;
    let id = SessionId::new(id);
    let auth = state.auth();
    auth.end_own_session(&who, &id, &client, auth.now()).await?;
    Ok(if id == *who.session_id() {
        logged_out(&state)
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}
