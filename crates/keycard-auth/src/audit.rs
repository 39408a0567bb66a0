//! Appending audit events. A failed append is logged and does not fail the request: the
//! user's action has already taken effect, and refusing to report it would mislead.

use keycard_core::audit::{AuditEvent, AuditKind};
use keycard_core::session::ClientMeta;
use keycard_core::{SessionId, UnixTime, UserId};

use crate::service::Auth;

impl Auth {
    /// Appends an audit event of `kind`, with the client's address and agent.
    pub(crate) async fn audit(
        &self,
        kind: AuditKind,
        user_id: Option<&UserId>,
        session_id: Option<&SessionId>,
        client: &ClientMeta,
        now: UnixTime,
    ) {
        let event = AuditEvent {
            at: now,
            kind,
            user_id: user_id.cloned(),
            session_id: session_id.cloned(),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
        };
        if let Err(error) = self.stores().audit.append_audit(&event).await {
            tracing::warn!(%error, kind = kind.as_str(), "audit append failed");
        }
    }
}
