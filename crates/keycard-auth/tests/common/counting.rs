//! Stores that count every call made to them, wrapped around any backend: what the hot
//! path tests assert is "no store was asked".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::Session;
use keycard_core::store::{HashSwap, Rotation, SessionStore, StoreResult, UserStore};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{SessionId, UnixTime, UserId};
use keycard_store::open::Stores;

/// How many calls the wrapped stores answered.
#[derive(Debug, Default)]
pub struct Calls {
    /// User store calls.
    pub users: AtomicU64,
    /// Session store calls.
    pub sessions: AtomicU64,
    /// Of the session store calls, `touch_session`.
    pub touches: AtomicU64,
}

impl Calls {
    /// User and session store calls so far.
    pub fn total(&self) -> u64 {
        self.users.load(Ordering::SeqCst) + self.sessions.load(Ordering::SeqCst)
    }
}

/// `stores` with the user and session stores wrapped to count into the returned `Calls`.
pub fn counting(stores: Stores) -> (Stores, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let wrapped = Stores {
        users: Arc::new(CountingUsers(stores.users.clone(), calls.clone())),
        sessions: Arc::new(CountingSessions(stores.sessions.clone(), calls.clone())),
        ..stores
    };
    (wrapped, calls)
}

struct CountingUsers(Arc<dyn UserStore>, Arc<Calls>);
struct CountingSessions(Arc<dyn SessionStore>, Arc<Calls>);

impl CountingUsers {
    fn count(&self) -> &dyn UserStore {
        self.1.users.fetch_add(1, Ordering::SeqCst);
        &*self.0
    }
}

impl CountingSessions {
    fn count(&self) -> &dyn SessionStore {
        self.1.sessions.fetch_add(1, Ordering::SeqCst);
        &*self.0
    }
}

#[async_trait]
impl UserStore for CountingUsers {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.count().create_user(user).await
    }
    async fn load_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.count().load_user(id).await
    }
    async fn load_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        self.count().load_user_by_email(email).await
    }
    async fn replace_password_hash(
        &self,
        id: &UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<HashSwap> {
        self.count().replace_password_hash(id, expected, new).await
    }
    async fn set_disabled(&self, id: &UserId, disabled: bool) -> StoreResult<bool> {
        self.count().set_disabled(id, disabled).await
    }
    async fn bump_not_before(&self, id: &UserId, at: UnixTime) -> StoreResult<Option<UnixTime>> {
        self.count().bump_not_before(id, at).await
    }
}

#[async_trait]
impl SessionStore for CountingSessions {
    async fn create_session(&self, session: &Session, token: &TokenDigest) -> StoreResult<()> {
        self.count().create_session(session, token).await
    }
    async fn load_session_by_token(
        &self,
        token: &TokenDigest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        self.count().load_session_by_token(token, now).await
    }
    async fn load_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<Option<Session>> {
        self.count().load_session(id, now).await
    }
    async fn touch_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<bool> {
        self.1.touches.fetch_add(1, Ordering::SeqCst);
        self.count().touch_session(id, now).await
    }
    async fn delete_session(&self, id: &SessionId) -> StoreResult<bool> {
        self.count().delete_session(id).await
    }
    async fn list_user_sessions(&self, user: &UserId, now: UnixTime) -> StoreResult<Vec<Session>> {
        self.count().list_user_sessions(user, now).await
    }
    async fn delete_user_sessions(&self, user: &UserId) -> StoreResult<Vec<SessionId>> {
        self.count().delete_user_sessions(user).await
    }
    async fn rotate_refresh(
        &self,
        presented: &TokenDigest,
        successor: &TokenDigest,
        sealed_successor: &[u8],
        now: UnixTime,
        grace_secs: i64,
        max_replays: u32,
    ) -> StoreResult<Rotation> {
        self.count()
            .rotate_refresh(
                presented,
                successor,
                sealed_successor,
                now,
                grace_secs,
                max_replays,
            )
            .await
    }
    async fn sweep_expired_sessions(&self, now: UnixTime) -> StoreResult<u64> {
        self.count().sweep_expired_sessions(now).await
    }
}
