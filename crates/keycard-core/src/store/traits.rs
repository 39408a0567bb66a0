//! The store contracts. Every method is one atomic step on the backend.

use async_trait::async_trait;

use super::StoreResult;
use crate::UnixTime;
use crate::audit::{AuditEvent, AuditQuery};
use crate::ids::{SessionId, UserId};
use crate::jose::KeyRole;
use crate::key_record::KeyRecord;
use crate::opaque::TokenDigest;
use crate::revocation::Revocation;
use crate::session::Session;
use crate::user::{Email, PasswordHash, User};

/// Accounts. Always SQL-backed.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; `Conflict("email")` if the normalised email is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// Loads a user by id.
    async fn load_user(&self, id: &UserId) -> StoreResult<Option<User>>;
    /// Loads a user by normalised email.
    async fn load_user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    /// Replaces the password hash only if the stored one is still `expected` (compare-and-swap):
    /// a rehash of an old password can never overwrite a password change made meanwhile.
    /// Returns `Replaced`, `Changed` (the user exists but its hash is no longer `expected`), or `NoSuchUser`.
    async fn replace_password_hash(
        &self,
        id: &UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<HashSwap>;
    /// Disables or enables; `false` if there is no such user.
    async fn set_disabled(&self, id: &UserId, disabled: bool) -> StoreResult<bool>;
    /// Moves `not_before` forward to `at` (never back); returns the value now in force, or
    /// `None` if there is no such user.
    async fn bump_not_before(&self, id: &UserId, at: UnixTime) -> StoreResult<Option<UnixTime>>;
}

/// The outcome of [`UserStore::replace_password_hash`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum HashSwap {
    /// The stored hash was the expected one and is now the new one.
    Replaced,
    /// The user exists, but its stored hash is no longer the expected one (the password was
    /// changed meanwhile): nothing was written.
    Changed,
    /// There is no such user.
    NoSuchUser,
}

/// The outcome of presenting a refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was the current token: the successor is now current. The session as updated.
    Rotated(Session),
    /// It was the previous token, within the grace window: here is the successor again,
    /// sealed under the presented token.
    Replayed {
        /// The session.
        session: Session,
        /// The successor, sealed under the presented token.
        sealed_successor: Vec<u8>,
    },
    /// It was an older token, or the previous one too late: the family is now revoked as
    /// `reuse_detected`.
    ReuseDetected(Session),
    /// The family was already revoked, or has expired.
    Dead(Session),
    /// No family ever issued this token (or it has been forgotten).
    Unknown,
}

/// Sessions and refresh families, indexed by token digest, by id and by user.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Creates a session whose credential has digest `token` (generation 0 for a family);
    /// `Conflict("session")` if the id or the digest exists.
    async fn create_session(&self, session: &Session, token: &TokenDigest) -> StoreResult<()>;
    /// The live session a cookie token (or a family's current refresh token) belongs to.
    async fn load_session_by_token(
        &self,
        token: &TokenDigest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>>;
    /// A live session by id.
    async fn load_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<Option<Session>>;
    /// Records a use at `now`, moving the idle deadline, if the last recorded use is at
    /// least a minute old; returns whether it wrote.
    async fn touch_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<bool>;
    /// Deletes a session and its tokens; returns whether it existed.
    async fn delete_session(&self, id: &SessionId) -> StoreResult<bool>;
    /// The user's live sessions, oldest first.
    async fn list_user_sessions(&self, user: &UserId, now: UnixTime) -> StoreResult<Vec<Session>>;
    /// Deletes every session of the user; returns their ids.
    async fn delete_user_sessions(&self, user: &UserId) -> StoreResult<Vec<SessionId>>;
    /// Presents a refresh token: applies [`RefreshState::decide`](crate::session::RefreshState::decide)
    /// atomically. On `Rotate`, `successor` becomes current, `sealed_successor` is kept
    /// for replays and the replay count is reset to 0; exactly one of N concurrent callers
    /// presenting the same token rotates. On `Replay` the family's replay count goes up by
    /// one in the same atomic step, so of N concurrent presentations of the previous token
    /// at most `max_replays` (per rotation) are `Replayed`; the next is `ReuseDetected`.
    async fn rotate_refresh(
        &self,
        presented: &TokenDigest,
        successor: &TokenDigest,
        sealed_successor: &[u8],
        now: UnixTime,
        grace_secs: i64,
        max_replays: u32,
    ) -> StoreResult<Rotation>;
    /// Deletes expired sessions and their tokens; returns how many sessions went. Backends
    /// with native expiry may return 0.
    async fn sweep_expired_sessions(&self, now: UnixTime) -> StoreResult<u64>;
}

/// Revocations, for the feed's snapshot.
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Records a revocation (replacing an earlier one with the same key).
    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()>;
    /// Every revocation still live at `now`.
    async fn live_revocations(&self, now: UnixTime) -> StoreResult<Vec<Revocation>>;
}

/// Signing keys. Always SQL-backed.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Saves a new key record; `Conflict("kid")` if the kid exists.
    async fn save_key(&self, record: &KeyRecord) -> StoreResult<()>;
    /// Every key record, oldest first.
    async fn load_keys(&self) -> StoreResult<Vec<KeyRecord>>;
    /// Changes a key's role and retirement time; `false` if there is no such kid.
    async fn set_key_role(
        &self,
        kid: &str,
        role: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> StoreResult<bool>;
    /// Changes a key's role and retirement time only if its role is still `from`: the
    /// compare-and-swap that lets several instances race to rotate with exactly one
    /// winner. `false` if there is no such kid or its role is no longer `from`.
    async fn swap_key_role(
        &self,
        kid: &str,
        from: KeyRole,
        to: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> StoreResult<bool>;
    /// Deletes a key record; `false` if there is no such kid.
    async fn delete_key(&self, kid: &str) -> StoreResult<bool>;
}

/// The audit log: append-only. Always SQL-backed.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an event.
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Events matching the query, newest first.
    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;
}
