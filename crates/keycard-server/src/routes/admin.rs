//! The admin routes, for whoever holds the configured `admin_token`
//! (`Authorization: Bearer`). Without an admin token they do not exist (404); with a wrong
//! or missing one they answer 401.
//!
//! - `POST /v1/admin/users/{id}/disable`: disables the account and ends everything it
//!   holds, at once; `.../enable` lets it log in again. 200 `{id, disabled, sessions_revoked}`.
//! - `GET /v1/admin/users/{id}/sessions`: the user's live sessions; `DELETE` ends them all.
//! - `GET /v1/admin/audit?user=&session=&since=&until=&limit=`: audit events, newest first.
//!
//! An unknown user is 404.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use keycard_core::audit::{AuditEvent, AuditQuery};
use keycard_core::session::Session;
use keycard_core::{SessionId, UnixTime, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Client, bearer};
use crate::auth::admin::{self, AdminAccess};
use crate::error::WebError;
use crate::state::AppState;

/// A request that presented the admin token. Put it first among a handler's extractors, so
/// that without an admin token configured every admin path is 404 whatever else is wrong.
#[derive(Debug)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match admin::admin_access(state.settings(), bearer(&parts.headers)) {
            AdminAccess::Granted => Ok(Self),
            AdminAccess::Denied => Err(WebError::InvalidToken {
                rule: "admin_token",
            }),
            AdminAccess::Absent => Err(WebError::NotFound),
        }
    }
}

/// `POST /v1/admin/users/{id}/disable`.
pub async fn disable(
    _: Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let user_id = UserId::new(id);
    let ended = admin::disable_user(&state, &user_id, &client, state.now())
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Json(
        json!({ "id": user_id, "disabled": true, "sessions_revoked": ended }),
    ))
}

/// `POST /v1/admin/users/{id}/enable`.
pub async fn enable(
    _: Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let user_id = UserId::new(id);
    if !admin::enable_user(&state, &user_id, &client, state.now()).await? {
        return Err(WebError::NotFound);
    }
    Ok(Json(json!({ "id": user_id, "disabled": false })))
}

/// `GET /v1/admin/users/{id}/sessions`: `{sessions: [...]}`, oldest first.
pub async fn sessions(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let now = state.now();
    let sessions = admin::user_sessions(&state, &UserId::new(id), now)
        .await?
        .ok_or(WebError::NotFound)?;
    let sessions: Vec<Value> = sessions.iter().map(session_json).collect();
    Ok(Json(json!({ "sessions": sessions })))
}

/// `DELETE /v1/admin/users/{id}/sessions`: `{sessions_revoked}`.
pub async fn revoke_sessions(
    _: Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let ended = admin::revoke_user_sessions(&state, &UserId::new(id), &client, state.now())
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Json(json!({ "sessions_revoked": ended })))
}

/// The query of `GET /v1/admin/audit`; times are Unix seconds, `until` exclusive.
#[derive(Debug, Deserialize)]
pub struct AuditParams {
    user: Option<String>,
    session: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<u32>,
}

/// `GET /v1/admin/audit`: `{events: [...]}`, newest first; `limit` defaults to 100 and is
/// capped at 1000.
pub async fn audit(
    _: Admin,
    State(state): State<AppState>,
    Query(params): Query<AuditParams>,
) -> Result<Json<Value>, WebError> {
    let query = AuditQuery {
        user_id: params.user.map(UserId::new),
        session_id: params.session.map(SessionId::new),
        since: params.since.map(UnixTime::from_secs),
        until: params.until.map(UnixTime::from_secs),
        limit: params.limit,
    };
    let events = admin::audit_events(&state, &query).await?;
    let events: Vec<Value> = events.iter().map(event_json).collect();
    Ok(Json(json!({ "events": events })))
}

fn session_json(session: &Session) -> Value {
    json!({
        "id": session.id,
        "kind": session.kind.name(),
        "created_at": session.created_at.as_secs(),
        "last_seen_at": session.last_seen_at.as_secs(),
        "expires_at": session.expires_at().as_secs(),
        "label": session.client.label,
        "ip": session.client.ip,
        "user_agent": session.client.user_agent,
    })
}

fn event_json(event: &AuditEvent) -> Value {
    json!({
        "at": event.at.as_secs(),
        "kind": event.kind.as_str(),
        "user_id": event.user_id,
        "session_id": event.session_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
    })
}
