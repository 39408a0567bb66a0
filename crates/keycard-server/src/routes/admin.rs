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

use keycard_auth::admin::AdminGrant;

use super::client::Client;
use super::extract::bearer;
use crate::error::WebError;
use crate::state::AppState;

/// A request that presented the admin token. Put it first among a handler's extractors, so
/// that without an admin token configured every admin path is 404 whatever else is wrong.
#[derive(Debug)]
pub struct Admin(AdminGrant);

impl FromRequestParts<AppState> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(state.auth().admin(bearer(&parts.headers).as_deref())?))
    }
}

/// `POST /v1/admin/users/{id}/disable`.
pub async fn disable(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let user_id = UserId::new(id);
    let auth = state.auth();
    let ended = auth
        .disable_user(&grant, &user_id, &client, auth.now())
        .await?;
    Ok(Json(
        json!({ "id": user_id, "disabled": true, "sessions_revoked": ended }),
    ))
}

/// `POST /v1/admin/users/{id}/enable`.
pub async fn enable(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let user_id = UserId::new(id);
    let auth = state.auth();
    auth.enable_user(&grant, &user_id, &client, auth.now())
        .await?;
    Ok(Json(json!({ "id": user_id, "disabled": false })))
}

/// `GET /v1/admin/users/{id}/sessions`: `{sessions: [...]}`, oldest first.
pub async fn sessions(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let auth = state.auth();
    let sessions = auth
        .user_sessions(&grant, &UserId::new(id), auth.now())
        .await?;
    let sessions: Vec<Value> = sessions.iter().map(session_json).collect();
    Ok(Json(json!({ "sessions": sessions })))
}

/// `DELETE /v1/admin/users/{id}/sessions`: `{sessions_revoked}`.
pub async fn revoke_sessions(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let auth = state.auth();
    let ended = auth
        .revoke_user_sessions(&grant, &UserId::new(id), &client, auth.now())
        .await?;
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
    Admin(grant): Admin,
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
    let events = state.auth().audit_events(&grant, &query).await?;
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
