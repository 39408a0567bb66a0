//! Starting a session, and what the client receives for it, by mode:
//!
//! - `session`: a cookie session (`kc_s_`, for the `__Host-` cookie) with the idle and
//!   absolute timeouts of the settings, and its CSRF token;
//! - `hybrid`: a refresh family (`kc_r_`) living `refresh_token_lifetime`, and an access
//!   token;
//! - `jwt`: there is no refresh token, yet an access token needs a `sid` to be revocable
//!   and the user needs a row in their session list. So the session is a cookie-kind record
//!   whose token is drawn and discarded: it is never handed out, so nothing can present
//!   it, and it lives as long as the access token it backs can (lifetime plus leeway).
//!
//! Every session gets a new random id and token; nothing a client sends is adopted.

use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, RefreshState, Session, SessionKind};
use keycard_core::user::User;
use keycard_core::{SessionId, UnixTime};

use crate::csrf;
use crate::error::AuthError;
use crate::service::Auth;
use crate::settings::Mode;
use crate::tokens::AccessToken;

/// What the client receives, by mode.
#[derive(Debug)]
pub enum Credential {
    /// Session mode: the cookie's token and the session's CSRF token.
    Cookie {
        /// The session token (`kc_s_`), for the cookie.
        token: OpaqueToken,
        /// The CSRF token bound to the session.
        csrf_token: String,
    },
    /// Jwt and hybrid modes: an access token, and in hybrid mode a refresh token.
    Access {
        /// The access JWT.
        access: AccessToken,
        /// The refresh token (`kc_r_`), hybrid mode only.
        refresh: Option<OpaqueToken>,
    },
}

impl Auth {
    /// Creates the session for the service's mode, with fresh random id and token.
    pub(crate) async fn start_session(
        &self,
        user: &User,
        client: ClientMeta,
        now: UnixTime,
    ) -> Result<(Session, Credential), AuthError> {
        let settings = self.settings();
        let sessions = &settings.sessions;
        let (kind, token_kind, idle, absolute) = match settings.mode {
            Mode::Session => (
                SessionKind::Cookie,
                OpaqueKind::Session,
                sessions.idle_timeout.as_i64(),
                sessions.absolute_timeout.as_i64(),
            ),
            Mode::Hybrid => {
                let lifetime = sessions.refresh_token_lifetime.as_i64();
                (
                    SessionKind::Refresh(RefreshState::new()),
                    OpaqueKind::Refresh,
                    lifetime,
                    lifetime,
                )
            }
            Mode::Jwt => {
                let lifetime = settings.revocation_lifetime_secs();
                (SessionKind::Cookie, OpaqueKind::Session, lifetime, lifetime)
            }
        };
        let session = Session {
            id: SessionId::generate()?,
            user_id: user.id.clone(),
            kind,
            created_at: now,
            last_seen_at: now,
            idle_timeout_secs: idle,
            absolute_expiry: now.plus_secs(absolute),
            client,
        };
        let token = OpaqueToken::generate(token_kind)?;
        self.stores()
            .sessions
            .create_session(&session, &token.digest())
            .await?;
        let credential = match settings.mode {
            Mode::Session => Credential::Cookie {
                csrf_token: csrf::csrf_token(&token),
                token,
            },
            Mode::Hybrid => Credential::Access {
                access: self.mint(&user.id, &session.id, now)?,
                refresh: Some(token),
            },
            Mode::Jwt => Credential::Access {
                access: self.mint(&user.id, &session.id, now)?,
                refresh: None,
            },
        };
        Ok((session, credential))
    }
}
