//! Login: check the credentials, then start a fresh session for the server's mode.
//!
//! - **Cost**: argon2id runs on tokio's blocking pool, at most one computation per core
//!   ([`AppState::hash_permits`]), so a login storm waits its turn and never occupies the
//!   async workers that serve `GET /v1/me`. An unknown email runs the same verification
//!   against a dummy hash, so it costs what a wrong password costs, and answers the same.
//! - **Brute force**: the per-account and per-IP limits
//!   ([`LoginLimiter`](crate::security::LoginLimiter)) are charged before any work, and a
//!   correct password forgives the account's failures.
//! - **Upgrade**: a hash with weaker parameters than the server's is replaced at login.
//! - **Sessions**: every login draws a new session id and a new token; nothing a client
//!   sends is ever adopted as either. What the session is held by depends on the mode:
//!   - `session`: a cookie session (`kc_s_` in `__Host-keycard_session`), with the idle and
//!     absolute timeouts of the settings;
//!   - `hybrid`: a refresh family (`kc_r_`) living `refresh_token_lifetime`;
//!   - `jwt`: there is no refresh token, yet an access token needs a `sid` to be revocable
//!     and the user needs a row in their session list. So the session is a cookie-kind
//!     record whose token is drawn and discarded: it is never handed out, so nothing can
//!     present it, and it lives as long as the access token it backs can (lifetime plus
//!     leeway).

use keycard_core::audit::AuditKind;
use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, RefreshState, Session, SessionKind};
use keycard_core::user::{Email, PasswordCheck, PasswordHasher, User};
use keycard_core::{SessionId, UnixTime};
use zeroize::Zeroizing;

use super::tokens::{self, AccessToken};
use super::{AuthError, audit, csrf};
use crate::config::Mode;
use crate::state::AppState;

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

/// A successful login.
#[derive(Debug)]
pub struct LoggedIn {
    /// Who logged in.
    pub user: User,
    /// The new session.
    pub session: Session,
    /// What to hand the client.
    pub credential: Credential,
}

/// Runs `work` with the shared hasher on the blocking pool, holding one hashing permit.
pub(crate) async fn with_hasher<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
) -> Result<T, AuthError> {
    let permit = state
        .hash_permits()
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| AuthError::Internal("hashing permits closed".into()))?;
    let hasher = state.hasher().clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(&hasher)
    })
    .await
    .map_err(|error| AuthError::Internal(format!("hashing task: {error}")))
}

/// Checks `email` and `password` and starts a session.
pub async fn login(
    state: &AppState,
    email: &str,
    password: Zeroizing<String>,
    client: ClientMeta,
    now: UnixTime,
) -> Result<LoggedIn, AuthError> {
    let email = Email::parse(email).ok();
    let ip = client.ip.as_deref().and_then(|ip| ip.parse().ok());
    let limiter = state.login_limiter();
    if let Err(retry) = limiter.check(ip, email.as_ref(), now) {
        state.metrics().login_throttled();
        return Err(retry.into());
    }
    let user = match &email {
        Some(email) => state.stores().users.load_user_by_email(email).await?,
        None => None,
    };
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    // Verify, and when the stored hash is weaker than the server's setting, hash again in
    // the same blocking task (the password is at hand only here).
    let (check, upgraded) = with_hasher(state, move |hasher| {
        let check = match &stored {
            Some(hash) => hasher.verify(&password, hash),
            None => hasher.verify_unknown_user(&password),
        };
        let upgraded = match check {
            PasswordCheck::Match { needs_rehash: true } => hasher.hash(&password).ok(),
            _ => None,
        };
        (check, upgraded)
    })
    .await?;
    let user = match (user, check) {
        (Some(user), PasswordCheck::Match { .. }) if !user.disabled => user,
        (user, _) => {
            state.metrics().login_failed();
            let user_id = user.map(|user| user.id);
            audit(
                state,
                AuditKind::LoginFailed,
                user_id.as_ref(),
                None,
                &client,
                now,
            )
            .await;
            return Err(AuthError::InvalidCredentials);
        }
    };
    limiter.record_success(ip, &user.email, now);
    state.metrics().login_ok();
    if let Some(hash) = upgraded {
        match state
            .stores()
            .users
            .set_password_hash(&user.id, &hash)
            .await
        {
            Ok(_) => {
                tracing::info!(user = %user.id, "password hash upgraded to the current parameters")
            }
            // The login stands; the upgrade is tried again at the next one.
            Err(error) => tracing::warn!(user = %user.id, %error, "password hash upgrade failed"),
        }
    }
    let (session, credential) = start_session(state, &user, client, now).await?;
    audit(
        state,
        AuditKind::LoginOk,
        Some(&user.id),
        Some(&session.id),
        &session.client,
        now,
    )
    .await;
    Ok(LoggedIn {
        user,
        session,
        credential,
    })
}

/// Creates the session for the server's mode, with fresh random id and token.
async fn start_session(
    state: &AppState,
    user: &User,
    client: ClientMeta,
    now: UnixTime,
) -> Result<(Session, Credential), AuthError> {
    let settings = state.settings();
    let (kind, token_kind, idle, absolute) = match settings.mode {
        Mode::Session => (
            SessionKind::Cookie,
            OpaqueKind::Session,
            settings.session_idle_timeout.as_i64(),
            settings.session_absolute_timeout.as_i64(),
        ),
        Mode::Hybrid => {
            let lifetime = settings.refresh_token_lifetime.as_i64();
            (
                SessionKind::Refresh(RefreshState::new()),
                OpaqueKind::Refresh,
                lifetime,
                lifetime,
            )
        }
        Mode::Jwt => {
            let lifetime = settings.access_token_lifetime.as_i64() + settings.leeway.as_i64();
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
    state
        .stores()
        .sessions
        .create_session(&session, &token.digest())
        .await?;
    let credential = match settings.mode {
        Mode::Session => Credential::Cookie {
            csrf_token: csrf::csrf_token(&token),
            token,
        },
        Mode::Hybrid => Credential::Access {
            access: tokens::mint(state, &user.id, &session.id, now)?,
            refresh: Some(token),
        },
        Mode::Jwt => Credential::Access {
            access: tokens::mint(state, &user.id, &session.id, now)?,
            refresh: None,
        },
    };
    Ok((session, credential))
}
