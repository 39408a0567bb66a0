//! Token introspection (RFC 7662) and revocation (RFC 7009) for configured clients.
//!
//! - **Clients** present an id and a secret (the HTTP edge reads them from HTTP Basic,
//!   RFC 6749 section 2.3.1), checked against the `clients` setting: the secret is compared
//!   in constant time, an unknown id costs the same comparison, and the client must hold
//!   the permission the operation needs (introspect, revoke, revocations). A client that
//!   fails any of these is the same `InvalidClient`.
//! - **Introspection** says whether a token would be accepted now, and for whom. An access
//!   token must pass the bearer checks (signature, claims, revocation set) and, unless
//!   `revocation = "off"`, its session must still be live in the store; a refresh token must
//!   be the current token of a live family (asking never rotates it); a session token must
//!   belong to a live cookie session. Anything else is `{"active": false}`, without saying
//!   why.
//! - **Revocation** ends the session a valid token belongs to, by the path logout takes
//!   (`logout::end_session`). An unknown, invalid or expired token is not an error (RFC 7009
//!   section 2.2): there is nothing to revoke.

use keycard_core::audit::AuditKind;
use keycard_core::jose::base64url;
use keycard_core::jwt::Claims;
use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, Session, SessionKind};
use keycard_core::{SessionId, UnixTime, UserId};
use serde::Serialize;

use crate::admin::secrets_equal;
use crate::error::AuthError;
use crate::service::Auth;
use crate::settings::{Permission, Revocation};

/// Compared against when the client id is unknown, so that answer costs what a wrong
/// secret costs.
const NO_SECRET: &str = "no client has this id; compared only to spend the same time";

/// A client that authenticated and holds the permission asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedClient {
    /// Its configured id.
    pub id: String,
}

impl Auth {
    /// Authenticates client `id` by `secret` for an operation needing `permission`.
    pub fn authenticate_client(
        &self,
        id: &str,
        secret: &str,
        permission: Permission,
    ) -> Result<AuthenticatedClient, AuthError> {
        let client = self.settings().clients.get(id);
        let expected = client.map_or(NO_SECRET, |client| client.secret.expose());
        let matches = secrets_equal(expected, secret);
        match client {
            Some(client) if matches && client.may(permission) => Ok(AuthenticatedClient {
                id: client.id.clone(),
            }),
            Some(client) if matches => {
                tracing::info!(client = %client.id, permission = permission.name(), "client lacks the permission");
                Err(AuthError::InvalidClient)
            }
            _ => Err(AuthError::InvalidClient),
        }
    }
}

/// The answer to an introspection request: `{"active": false}`, or the token's facts.
#[derive(Debug, Serialize)]
pub struct Introspection {
    /// Whether the token would be accepted now.
    pub active: bool,
    /// What an active token says.
    #[serde(flatten)]
    pub token: Option<ActiveToken>,
}

impl Introspection {
    const INACTIVE: Self = Self {
        active: false,
        token: None,
    };

    fn active(token: ActiveToken) -> Self {
        Self {
            active: true,
            token: Some(token),
        }
    }
}

/// The facts of an active token (RFC 7662 section 2.2).
#[derive(Debug, Serialize)]
pub struct ActiveToken {
    /// `access_token`, `refresh_token` or `session_token`.
    pub token_type: &'static str,
    /// The user.
    pub sub: UserId,
    /// The session.
    pub sid: SessionId,
    /// When it expires, Unix seconds.
    pub exp: i64,
    /// When it was issued, Unix seconds.
    pub iat: i64,
    /// This server's issuer.
    pub iss: String,
    /// The audience (access tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The token's id (access tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Auth {
    /// Introspects `token` at `now`. The kind is read from the token itself; a hint is not
    /// needed (RFC 7662 section 2.1 lets the server ignore it).
    pub async fn introspect(
        &self,
        _client: &AuthenticatedClient,
        token: &str,
        now: UnixTime,
    ) -> Result<Introspection, AuthError> {
        if let Some(session) = self.opaque_session(token, now).await? {
            let (token_type, iat) = match &session.kind {
                SessionKind::Refresh(family) => (
                    "refresh_token",
                    family.rotated_at.unwrap_or(session.created_at),
                ),
                SessionKind::Cookie => ("session_token", session.created_at),
            };
            return Ok(Introspection::active(ActiveToken {
                token_type,
                exp: session.expires_at().as_secs(),
                iat: iat.as_secs(),
                iss: self.settings().issuer.clone(),
                sub: session.user_id,
                sid: session.id,
                aud: None,
                jti: None,
            }));
        }
        let Ok(bearer) = self.verify_bearer(token, now) else {
            return Ok(Introspection::INACTIVE);
        };
        if self.settings().tokens.revocation == Revocation::On
            && self
                .stores()
                .sessions
                .load_session(&bearer.session_id, now)
                .await?
                .is_none()
        {
            return Ok(Introspection::INACTIVE);
        }
        let settings = self.settings();
        Ok(Introspection::active(ActiveToken {
            token_type: "access_token",
            exp: bearer.expires_at.as_secs(),
            iat: bearer.issued_at.as_secs(),
            iss: settings.issuer.clone(),
            aud: Some(settings.audience.clone()),
            jti: jti_of(token),
            sub: bearer.user_id,
            sid: bearer.session_id,
        }))
    }

    /// Revokes the session `token` belongs to, if it is a valid token of this server; records
    /// `session_revoked`. Returns whether a session ended.
    pub async fn revoke_token(
        &self,
        _client: &AuthenticatedClient,
        token: &str,
        client: &ClientMeta,
        now: UnixTime,
    ) -> Result<bool, AuthError> {
        let (user_id, session_id) = match self.opaque_session(token, now).await? {
            Some(session) => (session.user_id, session.id),
            None => match self.verify_bearer(token, now) {
                Ok(bearer) => (bearer.user_id, bearer.session_id),
                Err(_) => return Ok(false),
            },
        };
        self.end_session(&session_id, now).await?;
        self.audit(
            AuditKind::SessionRevoked,
            Some(&user_id),
            Some(&session_id),
            client,
            now,
        )
        .await;
        Ok(true)
    }

    /// The live session of an opaque token: a family whose current token it is, or a cookie
    /// session. Looking it up never rotates or touches anything.
    async fn opaque_session(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<Option<Session>, AuthError> {
        let (token, kind) = if let Ok(token) = OpaqueToken::parse(OpaqueKind::Refresh, token) {
            (token, "refresh")
        } else if let Ok(token) = OpaqueToken::parse(OpaqueKind::Session, token) {
            (token, "cookie")
        } else {
            return Ok(None);
        };
        Ok(self
            .stores()
            .sessions
            .load_session_by_token(&token.digest(), now)
            .await?
            .filter(|session| session.kind.name() == kind && session.is_live(now)))
    }
}

/// The `jti` of an access token that has already been verified.
fn jti_of(token: &str) -> Option<String> {
    let payload = base64url::decode(token.split('.').nth(1)?)?;
    Claims::from_payload(payload).ok()?.jti().map(str::to_owned)
}
