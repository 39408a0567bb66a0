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
use keycard_core::audit::AuditQuery;
use keycard_core::{SessionId, UnixTime, UserId};

use keycard_auth::admin::AdminGrant;

use super::client::Client;
use super::dto::admin::{
    AdminSessionInfo, AdminSessionList, AuditEventInfo, AuditPage, AuditParams, SessionsRevoked,
    UserStatus,
};
use super::dto::problems;
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
#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/disable",
    operation_id = "adminDisableUser",
    tag = "admin",
    security(("adminToken" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "Disabled; every session and token of the user has ended.", body = UserStatus),
        (status = 401, response = problems::Unauthorized),
        (status = 404, response = problems::NotFound),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn disable(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<UserStatus>, WebError> {
    let user_id = UserId::new(id);
    let auth = state.auth();
    let ended = auth
        .disable_user(&grant, &user_id, &client, auth.now())
        .await?;
    Ok(Json(UserStatus {
        disabled: true,
        id: user_id,
        sessions_revoked: Some(ended),
    }))
}

/// `POST /v1/admin/users/{id}/enable`.
#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/enable",
    operation_id = "adminEnableUser",
    tag = "admin",
    security(("adminToken" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "Enabled: the user can log in again.", body = UserStatus),
        (status = 401, response = problems::Unauthorized),
        (status = 404, response = problems::NotFound),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn enable(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<UserStatus>, WebError> {
    let user_id = UserId::new(id);
    let auth = state.auth();
    auth.enable_user(&grant, &user_id, &client, auth.now())
        .await?;
    Ok(Json(UserStatus {
        disabled: false,
        id: user_id,
        sessions_revoked: None,
    }))
}

/// `GET /v1/admin/users/{id}/sessions`: `{sessions: [...]}`, oldest first.
#[utoipa::path(
    get,
    path = "/v1/admin/users/{id}/sessions",
    operation_id = "adminListSessions",
    tag = "admin",
    security(("adminToken" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user's live sessions, oldest first.", body = AdminSessionList),
        (status = 401, response = problems::Unauthorized),
        (status = 404, response = problems::NotFound),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn sessions(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AdminSessionList>, WebError> {
    let auth = state.auth();
    let sessions = auth
        .user_sessions(&grant, &UserId::new(id), auth.now())
        .await?;
    let sessions = sessions.iter().map(AdminSessionInfo::from).collect();
    Ok(Json(AdminSessionList { sessions }))
}

/// `DELETE /v1/admin/users/{id}/sessions`: `{sessions_revoked}`.
#[utoipa::path(
    delete,
    path = "/v1/admin/users/{id}/sessions",
    operation_id = "adminRevokeSessions",
    tag = "admin",
    security(("adminToken" = [])),
    params(("id" = String, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "Every live session of the user has ended.", body = SessionsRevoked),
        (status = 401, response = problems::Unauthorized),
        (status = 404, response = problems::NotFound),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn revoke_sessions(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Json<SessionsRevoked>, WebError> {
    let auth = state.auth();
    let ended = auth
        .revoke_user_sessions(&grant, &UserId::new(id), &client, auth.now())
        .await?;
    Ok(Json(SessionsRevoked {
        sessions_revoked: ended,
    }))
}

/// `GET /v1/admin/audit`: `{events: [...]}`, newest first; `limit` defaults to 100 and is
/// capped at 1000.
#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    operation_id = "adminAudit",
    tag = "admin",
    security(("adminToken" = [])),
    params(AuditParams),
    responses(
        (status = 200, description = "The matching events, newest first.", body = AuditPage),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthorized),
        (status = 404, response = problems::NotFound),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn audit(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditPage>, WebError> {
    let query = AuditQuery {
        user_id: params.user.map(UserId::new),
        session_id: params.session.map(SessionId::new),
        since: params.since.map(UnixTime::from_secs),
        until: params.until.map(UnixTime::from_secs),
        limit: params.limit,
    };
    let events = state.auth().audit_events(&grant, &query).await?;
    let events = events.iter().map(AuditEventInfo::from).collect();
    Ok(Json(AuditPage { events }))
}
