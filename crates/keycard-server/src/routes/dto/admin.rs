//! The admin API's bodies: an account's state, its sessions, and the audit log.

use keycard_core::audit::AuditEvent;
use keycard_core::session::{Session, SessionKind};
use keycard_core::{SessionId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The answer of `POST /v1/admin/users/{id}/disable` and `.../enable`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserStatus {
    /// Whether the account is now disabled.
    pub disabled: bool,
    /// The user's id.
    #[schema(value_type = String)]
    pub id: UserId,
    /// Disable only: how many live sessions were ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub sessions_revoked: Option<usize>,
}

/// The answer of `DELETE /v1/admin/users/{id}/sessions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsRevoked {
    /// How many live sessions were ended.
    pub sessions_revoked: usize,
}

/// How a session is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = SessionKind)]
pub enum SessionKindName {
    /// An opaque session id in an HttpOnly cookie (session mode).
    Cookie,
    /// A refresh token family (hybrid mode).
    Refresh,
}

impl From<&SessionKind> for SessionKindName {
    fn from(kind: &SessionKind) -> Self {
        match kind {
            SessionKind::Cookie => Self::Cookie,
            SessionKind::Refresh(_) => Self::Refresh,
        }
    }
}

/// A session as an admin sees it; times are Unix seconds, absent client details `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminSessionInfo {
    /// When it started.
    pub created_at: i64,
    /// When it ends unless used again.
    pub expires_at: i64,
    /// The session's public id.
    #[schema(value_type = String)]
    pub id: SessionId,
    /// The address it was started from.
    #[schema(required = true)]
    pub ip: Option<String>,
    /// How it is held.
    pub kind: SessionKindName,
    /// A label derived from the user agent.
    #[schema(required = true)]
    pub label: Option<String>,
    /// When it was last used.
    pub last_seen_at: i64,
    /// The `User-Agent` it was started with.
    #[schema(required = true)]
    pub user_agent: Option<String>,
}

impl From<&Session> for AdminSessionInfo {
    fn from(session: &Session) -> Self {
        Self {
            created_at: session.created_at.as_secs(),
            expires_at: session.expires_at().as_secs(),
            id: session.id.clone(),
            ip: session.client.ip.clone(),
            kind: SessionKindName::from(&session.kind),
            label: session.client.label.clone(),
            last_seen_at: session.last_seen_at.as_secs(),
            user_agent: session.client.user_agent.clone(),
        }
    }
}

/// The answer of `GET /v1/admin/users/{id}/sessions`: the user's live sessions, oldest
/// first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminSessionList {
    /// The sessions.
    pub sessions: Vec<AdminSessionInfo>,
}

/// The query of `GET /v1/admin/audit`; times are Unix seconds, `until` exclusive.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this user's events.
    pub user: Option<String>,
    /// Only this session's events.
    pub session: Option<String>,
    /// Only events at or after this time.
    pub since: Option<i64>,
    /// Only events before this time.
    pub until: Option<i64>,
    /// At most this many events: 100 by default, at most 1000.
    pub limit: Option<u32>,
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEvent)]
pub struct AuditEventInfo {
    /// When, in Unix seconds.
    pub at: i64,
    /// The client's IP address.
    #[schema(required = true)]
    pub ip: Option<String>,
    /// What happened: `login_ok`, `login_failed`, `logout`, `refresh`, ...
    #[schema(example = "login_ok")]
    pub kind: &'static str,
    /// Which session, when one is involved.
    #[schema(value_type = Option<String>, required = true)]
    pub session_id: Option<SessionId>,
    /// The client's `User-Agent`.
    #[schema(required = true)]
    pub user_agent: Option<String>,
    /// Whose account, when known.
    #[schema(value_type = Option<String>, required = true)]
    pub user_id: Option<UserId>,
}

impl From<&AuditEvent> for AuditEventInfo {
    fn from(event: &AuditEvent) -> Self {
        Self {
            at: event.at.as_secs(),
            ip: event.ip.clone(),
            kind: event.kind.as_str(),
            session_id: event.session_id.clone(),
            user_agent: event.user_agent.clone(),
            user_id: event.user_id.clone(),
        }
    }
}

/// The answer of `GET /v1/admin/audit`: events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditEventInfo>,
}
