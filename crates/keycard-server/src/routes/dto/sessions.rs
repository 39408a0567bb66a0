//! Sessions as their user sees them (`GET /v1/sessions`).

use keycard_core::SessionId;
use keycard_core::session::Session;
use serde::Serialize;
use utoipa::ToSchema;

/// A session as its user sees it; times are Unix seconds, absent client details `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// When it started.
    pub created_at: i64,
    /// Whether the request's own credential belongs to it.
    pub current: bool,
    /// When it ends unless used again.
    pub expires_at: i64,
    /// The session's public id.
    #[schema(value_type = String)]
    pub id: SessionId,
    /// The address it was started from.
    #[schema(required = true)]
    pub ip: Option<String>,
    /// A label derived from the user agent.
    #[schema(required = true)]
    pub label: Option<String>,
    /// When it was last used.
    pub last_seen_at: i64,
    /// The `User-Agent` it was started with.
    #[schema(required = true)]
    pub user_agent: Option<String>,
}

impl SessionInfo {
    /// The session, marked `current` if the request's credential belongs to it.
    pub fn new(session: &Session, current: bool) -> Self {
        Self {
            created_at: session.created_at.as_secs(),
            current,
            expires_at: session.expires_at().as_secs(),
            id: session.id.clone(),
            ip: session.client.ip.clone(),
            label: session.client.label.clone(),
            last_seen_at: session.last_seen_at.as_secs(),
            user_agent: session.client.user_agent.clone(),
        }
    }
}

/// The answer of `GET /v1/sessions`: the caller's live sessions, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// The sessions.
    pub sessions: Vec<SessionInfo>,
}
