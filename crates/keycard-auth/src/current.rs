//! Who a request is: the session cookie in session mode, the bearer access token in jwt
//! and hybrid modes. The route picks the credential by mode; these functions check it.

use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{Session, SessionKind};
use keycard_core::user::User;
use keycard_core::{SessionId, UnixTime, UserId};

use crate::error::AuthError;
use crate::service::Auth;
use crate::tokens::Bearer;

/// An authenticated request.
#[derive(Debug)]
pub enum Current {
    /// By session cookie: the token (for the CSRF check) and the live session.
    Cookie {
        /// The presented session token.
        token: OpaqueToken,
        /// Its session.
        session: Session,
    },
    /// By bearer access token.
    Bearer(Bearer),
}

impl Current {
    /// The user.
    pub fn user_id(&self) -> &UserId {
        match self {
            Self::Cookie { session, .. } => &session.user_id,
            Self::Bearer(bearer) => &bearer.user_id,
        }
    }

    /// The session.
    pub fn session_id(&self) -> &SessionId {
        match self {
            Self::Cookie { session, .. } => &session.id,
            Self::Bearer(bearer) => &bearer.session_id,
        }
    }
}

impl Auth {
/// A session cookie's value: the live cookie session it belongs to. Its use is recorded
/// (at most once a minute), which moves the idle deadline. A value the server never issued
/// finds nothing: a client-chosen id is never adopted.
pub async fn authenticate_cookie(
    &self,
    value: Option<&str>,
    now: UnixTime,
) -> Result<Current, AuthError> {
    let value = value.ok_or(AuthError::InvalidToken("missing"))?;
    let token = OpaqueToken::parse(OpaqueKind::Session, value)
        .map_err(|_| AuthError::InvalidToken("malformed"))?;
    let sessions = &self.stores().sessions;
    let session = sessions
        .load_session_by_token(&token.digest(), now)
        .await?
        .filter(|session| session.kind == SessionKind::Cookie)
        .ok_or(AuthError::InvalidToken("unknown_session"))?;
    if session.needs_touch(now)
        && let Err(error) = sessions.touch_session(&session.id, now).await
    {
        tracing::warn!(%error, "recording a session's use failed");
    }
    Ok(Current::Cookie { token, session })
}

/// An `Authorization: Bearer` token: verified without any store (see [`tokens`](crate::tokens)).
pub fn authenticate_bearer(
    &self,
    token: Option<&str>,
    now: UnixTime,
) -> Result<Current, AuthError> {
    let token = token.ok_or(AuthError::InvalidToken("missing"))?;
    self.verify_bearer(token, now).map(Current::Bearer)
}
}

/// What `GET /v1/me` shows: the user and their session.
#[derive(Debug)]
pub struct Me {
    /// The user.
    pub user: User,
    /// The session the request belongs to.
    pub session: Session,
}

impl Auth {
/// The user and session of an authenticated request, from the stores. A disabled user, or
/// a session that has ended, does not authenticate.
pub async fn me(&self, current: Current, now: UnixTime) -> Result<Me, AuthError> {
    let stores = self.stores();
    let user = stores
        .users
        .load_user(current.user_id())
        .await?
        .filter(|user| !user.disabled)
        .ok_or(AuthError::InvalidToken("unknown_user"))?;
    let session = match current {
        Current::Cookie { session, .. } => session,
        Current::Bearer(bearer) => stores
            .sessions
            .load_session(&bearer.session_id, now)
            .await?
            .ok_or(AuthError::InvalidToken("session_ended"))?,
    };
    Ok(Me { user, session })
}
}
