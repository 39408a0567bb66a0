//! The in-memory backend: every store trait behind one mutex. For tests and for trying
//! Keycard out; it keeps nothing across restarts.
//!
//! It is also the reference the other backends are held to: each operation is the plain
//! reading of its trait's contract, applied under the lock.

mod sessions;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use keycard_core::audit::{AuditEvent, AuditQuery};
use keycard_core::jose::KeyRole;
use keycard_core::key_record::KeyRecord;
use keycard_core::revocation::Revocation;
use keycard_core::session::Session;
use keycard_core::store::{
    AuditStore, HashSwap, KeyStore, RevocationStore, StoreError, StoreResult, UserStore,
};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{SessionId, UnixTime, UserId};

/// Every store in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    users: HashMap<UserId, User>,
    sessions: HashMap<SessionId, Session>,
    /// Token digest → (session, generation of that token).
    tokens: HashMap<[u8; 32], (SessionId, u64)>,
    revocations: HashMap<String, Revocation>,
    keys: Vec<KeyRecord>,
    audit: Vec<AuditEvent>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> StoreResult<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut state = self.state()?;
        if state.users.values().any(|u| u.email == user.email) {
            return Err(StoreError::Conflict("email"));
        }
        if state.users.contains_key(&user.id) {
            return Err(StoreError::Conflict("user"));
        }
        state.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn load_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        Ok(self.state()?.users.get(id).cloned())
    }

    async fn load_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        Ok(self
            .state()?
            .users
            .values()
            .find(|u| &u.email == email)
            .cloned())
    }

    async fn replace_password_hash(
        &self,
        id: &UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<HashSwap> {
        let mut state = self.state()?;
        let Some(user) = state.users.get_mut(id) else {
            return Ok(HashSwap::NoSuchUser);
        };
        if user.password_hash != *expected {
            return Ok(HashSwap::Changed);
        }
        user.password_hash = new.clone();
        Ok(HashSwap::Replaced)
    }

    async fn set_disabled(&self, id: &UserId, disabled: bool) -> StoreResult<bool> {
        Ok(self
            .state()?
            .users
            .get_mut(id)
            .map(|u| u.disabled = disabled)
            .is_some())
    }

    async fn bump_not_before(&self, id: &UserId, at: UnixTime) -> StoreResult<Option<UnixTime>> {
        Ok(self.state()?.users.get_mut(id).map(|u| {
            u.not_before = u.not_before.max(at);
            u.not_before
        }))
    }
}

#[async_trait]
impl RevocationStore for MemoryStore {
    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()> {
        self.state()?
            .revocations
            .insert(revocation.key(), revocation.clone());
        Ok(())
    }

    async fn live_revocations(&self, now: UnixTime) -> StoreResult<Vec<Revocation>> {
        let mut state = self.state()?;
        state.revocations.retain(|_, r| r.is_live(now));
        Ok(state.revocations.values().cloned().collect())
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn save_key(&self, record: &KeyRecord) -> StoreResult<()> {
        let mut state = self.state()?;
        if state.keys.iter().any(|k| k.kid == record.kid) {
            return Err(StoreError::Conflict("kid"));
        }
        state.keys.push(record.clone());
        Ok(())
    }

    async fn load_keys(&self) -> StoreResult<Vec<KeyRecord>> {
        Ok(self.state()?.keys.clone())
    }

    async fn set_key_role(
        &self,
        kid: &str,
        role: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> StoreResult<bool> {
        let mut state = self.state()?;
        let Some(record) = state.keys.iter_mut().find(|k| k.kid == kid) else {
            return Ok(false);
        };
        record.role = role;
        record.retire_after = retire_after;
        Ok(true)
    }

    async fn swap_key_role(
        &self,
        kid: &str,
        from: KeyRole,
        to: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> StoreResult<bool> {
        let mut state = self.state()?;
        let Some(record) = state
            .keys
            .iter_mut()
            .find(|k| k.kid == kid && k.role == from)
        else {
            return Ok(false);
        };
        record.role = to;
        record.retire_after = retire_after;
        Ok(true)
    }

    async fn delete_key(&self, kid: &str) -> StoreResult<bool> {
        let mut state = self.state()?;
        let before = state.keys.len();
        state.keys.retain(|k| k.kid != kid);
        Ok(state.keys.len() < before)
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        self.state()?.audit.push(event.clone());
        Ok(())
    }

    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let state = self.state()?;
        let mut events: Vec<AuditEvent> = state
            .audit
            .iter()
            .filter(|e| query.matches(e))
            .cloned()
            .collect();
        // Newest first; among equal times, the later append first.
        events.reverse();
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        events.truncate(query.effective_limit() as usize);
        Ok(events)
    }
}
