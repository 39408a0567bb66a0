//! `GET /v1/sessions` (the caller's live sessions) and `DELETE /v1/sessions/{id}` (end one
//! of them, instantly, as logout does). Another user's session id is 404, as an unknown one
//! is. Cookie-authenticated deletes pass the CSRF check first.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keycard_core::SessionId;
use keycard_core::session::Session;
use serde_json::{Value, json};

use super::client::Client;
use super::extract::{Authenticated, require_csrf};
use super::logout::logged_out;
use crate::error::WebError;
use crate::state::AppState;

/// A session as its user sees it: `{id, label, ip, user_agent, created_at, last_seen_at,
/// expires_at, current}`; times are Unix seconds, absent client details are `null`.
pub fn session_json(session: &Session, current: bool) -> Value {
    json!({
        "id": session.id,
        "label": session.client.label,
        "ip": session.client.ip,
        "user_agent": session.client.user_agent,
        "created_at": session.created_at.as_secs(),
        "last_seen_at": session.last_seen_at.as_secs(),
        "expires_at": session.expires_at().as_secs(),
        "current": current,
    })
}

/// `GET /v1/sessions`: `{sessions: [...]}`, oldest first (the shape of the admin list).
pub async fn list(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<Value>, WebError> {
    let auth = state.auth();
    let listed = auth.list_sessions(&who, auth.now()).await?;
    let rows: Vec<Value> = listed
        .iter()
        .map(|row| session_json(&row.session, row.current))
        .collect();
    Ok(Json(json!({ "sessions": rows })))
}

/// `DELETE /v1/sessions/{id}`: 204, or 404 if the caller has no live session `id`. Ending
/// the request's own session is a logout, and answers as one (cookie expired,
/// `Clear-Site-Data`).
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
