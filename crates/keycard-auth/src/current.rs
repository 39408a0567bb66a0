//! Who a request is: the session cookie in session mode, the bearer access token in jwt
//! and hybrid modes. The route picks the credential by mode; these functions check it.

use keycard_core::freshness::Freshness;
use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{Session, SessionKind};
use keycard_core::user::User;
use keycard_core::{SessionId, UnixTime, UserId};

use crate::error::AuthError;
use crate::events::CacheName;
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
    /// A session cookie's value: the live cookie session it belongs to, from the session
    /// cache while the feed is fresh, else from the store. Its use is recorded at most once
    /// a minute, which moves the idle deadline; the write goes to the store behind the
    /// request (a spawned task). A value the server never issued finds nothing: a
    /// client-chosen id is never adopted.
    pub async fn authenticate_cookie(
        &self,
        value: Option<&str>,
        now: UnixTime,
    ) -> Result<Current, AuthError> {
        let value = value.ok_or(AuthError::InvalidToken("missing"))?;
        let token = OpaqueToken::parse(OpaqueKind::Session, value)
            .map_err(|_| AuthError::InvalidToken("malformed"))?;
        let digest = token.digest();
        let cache = &self.caches().sessions;
        let trusted = self.caches_trusted();
        let cached = trusted.then(|| cache.get_by_token(&digest, now)).flatten();
        self.events()
            .cache_lookup(CacheName::Sessions, cached.is_some());
        let session = match cached {
            Some(session) => session,
            None => {
                let epoch = cache.epoch();
                let session = self
                    .stores()
                    .sessions
                    .load_session_by_token(&digest, now)
                    .await?
                    .filter(|session| session.kind == SessionKind::Cookie)
                    .ok_or(AuthError::InvalidToken("unknown_session"))?;
                cache.insert(epoch, session.clone(), Some(digest), now);
                session
            }
        };
        // The id cache is shared with refresh families (`me` in bearer modes).
        if session.kind != SessionKind::Cookie {
            return Err(AuthError::InvalidToken("unknown_session"));
        }
        // The cached copy decides whether a use is due (once per interval, however many
        // requests race); a session that is not cached (cache off) decides by itself.
        let due = cache
            .touch(&session.id, now)
            .unwrap_or_else(|| session.needs_touch(now));
        if due {
            self.touch_behind(session.id.clone(), now);
        }
        Ok(Current::Cookie { token, session })
    }

    /// Writes a session's use to the store off the request's path: spawned on the runtime
    /// and never awaited (awaited here only when there is no runtime to spawn on). A session
    /// the store no longer holds is dropped from the cache.
    fn touch_behind(&self, id: SessionId, now: UnixTime) {
        let auth = self.clone();
        let write = async move {
            match auth.stores().sessions.touch_session(&id, now).await {
                Ok(true) => {}
                Ok(false) => auth.caches().sessions.revoked(&id),
                Err(error) => tracing::warn!(%error, "recording a session's use failed"),
            }
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn(write));
        } else {
            tracing::warn!("no runtime to record a session's use on");
        }
    }

    /// An `Authorization: Bearer` token: verified without any store (see
    /// [`crate::tokens`]) while the revocation feed is fresh; past the staleness bound,
    /// also checked against the store, and refused with `Unavailable` (503) when the store
    /// does not answer either: stale memory never accepts a token on its own.
    pub async fn authenticate_bearer(
        &self,
        token: Option<&str>,
        now: UnixTime,
    ) -> Result<Current, AuthError> {
        let token = token.ok_or(AuthError::InvalidToken("missing"))?;
        let bearer = self.verify_bearer(token, now)?;
        if self.feed_freshness() == Freshness::Stale {
            self.check_bearer_in_store(&bearer, now).await?;
        }
        Ok(Current::Bearer(bearer))
    }

    /// What memory would have said, asked of the store: the token's session still exists,
    /// and its user is neither gone, disabled nor logged out everywhere since it was issued.
    async fn check_bearer_in_store(&self, bearer: &Bearer, now: UnixTime) -> Result<(), AuthError> {
        let stores = self.stores();
        let (session, user) = tokio::join!(
            stores.sessions.load_session(&bearer.session_id, now),
            stores.users.load_user(&bearer.user_id),
        );
        if session?.is_none() {
            return Err(AuthError::InvalidToken("revoked"));
        }
        match user? {
            None => Err(AuthError::InvalidToken("unknown_user")),
            Some(user) if user.disabled || bearer.issued_at < user.not_before => {
                Err(AuthError::InvalidToken("revoked"))
            }
            Some(_) => Ok(()),
        }
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
    /// The user and session of an authenticated request, from the caches while the feed is
    /// fresh, else from the stores. A disabled user, or a session that has ended, does not
    /// authenticate.
    pub async fn me(&self, current: Current, now: UnixTime) -> Result<Me, AuthError> {
        let trusted = self.caches_trusted();
        let user = self
            .user(current.user_id(), trusted, now)
            .await?
            .filter(|user| !user.disabled)
            .ok_or(AuthError::InvalidToken("unknown_user"))?;
        let session = match current {
            Current::Cookie { session, .. } => session,
            Current::Bearer(bearer) => self
                .session(&bearer.session_id, trusted, now)
                .await?
                .ok_or(AuthError::InvalidToken("session_ended"))?,
        };
        Ok(Me { user, session })
    }

    /// The user `id`, from the cache when `trusted` and held, else from the store.
    async fn user(
        &self,
        id: &UserId,
        trusted: bool,
        now: UnixTime,
    ) -> Result<Option<User>, AuthError> {
        let cache = &self.caches().users;
        let cached = trusted.then(|| cache.get(id, now)).flatten();
        self.events()
            .cache_lookup(CacheName::Users, cached.is_some());
        if cached.is_some() {
            return Ok(cached);
        }
        let epoch = cache.epoch();
        let user = self.stores().users.load_user(id).await?;
        if let Some(user) = &user {
            cache.insert(epoch, user.clone(), now);
        }
        Ok(user)
    }

    /// The live session `id`, from the cache when `trusted` and held, else from the store.
    async fn session(
        &self,
        id: &SessionId,
        trusted: bool,
        now: UnixTime,
    ) -> Result<Option<Session>, AuthError> {
        let cache = &self.caches().sessions;
        let cached = trusted.then(|| cache.get(id, now)).flatten();
        self.events()
            .cache_lookup(CacheName::Sessions, cached.is_some());
        if cached.is_some() {
            return Ok(cached);
        }
        let epoch = cache.epoch();
        let session = self.stores().sessions.load_session(id, now).await?;
        if let Some(session) = &session {
            cache.insert(epoch, session.clone(), None, now);
        }
        Ok(session)
    }
}
