//! The memory backend's sessions and refresh families.

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::{RevokeReason, RotationDecision, Session, SessionKind};
use keycard_core::store::{Rotation, SessionStore, StoreError, StoreResult};
use keycard_core::{SessionId, UnixTime, UserId};

use super::{MemoryStore, State};

impl State {
    /// The session a token belongs to and the token's generation, if the session exists.
    fn by_token(&self, token: &TokenDigest) -> Option<(&Session, u64)> {
        let (id, generation) = self.tokens.get(token.as_bytes())?;
        Some((self.sessions.get(id)?, *generation))
    }

    fn remove_session(&mut self, id: &SessionId) -> bool {
        self.tokens.retain(|_, (sid, _)| sid != id);
        self.sessions.remove(id).is_some()
    }
}

/// Whether `generation` is the token that currently opens `session`.
fn is_current(session: &Session, generation: u64) -> bool {
    match &session.kind {
        SessionKind::Cookie => generation == 0,
        SessionKind::Refresh(state) => generation == state.generation,
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &Session, token: &TokenDigest) -> StoreResult<()> {
        let mut state = self.state()?;
        if state.sessions.contains_key(&session.id) || state.tokens.contains_key(token.as_bytes()) {
            return Err(StoreError::Conflict("session"));
        }
        let generation = match &session.kind {
            SessionKind::Cookie => 0,
            SessionKind::Refresh(refresh) => refresh.generation,
        };
        state
            .tokens
            .insert(*token.as_bytes(), (session.id.clone(), generation));
        state.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn load_session_by_token(
        &self,
        token: &TokenDigest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        let state = self.state()?;
        Ok(state
            .by_token(token)
            .filter(|(session, generation)| {
                session.is_live(now) && is_current(session, *generation)
            })
            .map(|(session, _)| session.clone()))
    }

    async fn load_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<Option<Session>> {
        Ok(self
            .state()?
            .sessions
            .get(id)
            .filter(|s| s.is_live(now))
            .cloned())
    }

    async fn touch_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<bool> {
        let mut state = self.state()?;
        match state.sessions.get_mut(id) {
            Some(session) if session.is_live(now) && session.needs_touch(now) => {
                session.last_seen_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete_session(&self, id: &SessionId) -> StoreResult<bool> {
        Ok(self.state()?.remove_session(id))
    }

    async fn list_user_sessions(&self, user: &UserId, now: UnixTime) -> StoreResult<Vec<Session>> {
        let state = self.state()?;
        let mut sessions: Vec<Session> = state
            .sessions
            .values()
            .filter(|s| &s.user_id == user && s.is_live(now))
            .cloned()
            .collect();
        sessions.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(sessions)
    }

    async fn delete_user_sessions(&self, user: &UserId) -> StoreResult<Vec<SessionId>> {
        let mut state = self.state()?;
        let ids: Vec<SessionId> = state
            .sessions
            .values()
            .filter(|s| &s.user_id == user)
            .map(|s| s.id.clone())
            .collect();
        for id in &ids {
            state.remove_session(id);
        }
        Ok(ids)
    }

    async fn rotate_refresh(
        &self,
        presented: &TokenDigest,
        successor: &TokenDigest,
        sealed_successor: &[u8],
        now: UnixTime,
        grace_secs: i64,
    ) -> StoreResult<Rotation> {
        let mut state = self.state()?;
        let Some((id, generation)) = state.tokens.get(presented.as_bytes()).cloned() else {
            return Ok(Rotation::Unknown);
        };
        if state.tokens.contains_key(successor.as_bytes()) {
            return Err(StoreError::Conflict("session"));
        }
        let Some(session) = state.sessions.get_mut(&id) else {
            return Ok(Rotation::Unknown);
        };
        if !matches!(session.kind, SessionKind::Refresh(_)) {
            return Ok(Rotation::Unknown);
        }
        if now >= session.expires_at() {
            return Ok(Rotation::Dead(session.clone()));
        }
        let SessionKind::Refresh(refresh) = &mut session.kind else {
            return Ok(Rotation::Unknown);
        };
        match refresh.decide(generation, now, grace_secs) {
            RotationDecision::Rotate => {
                refresh.generation += 1;
                refresh.rotated_at = Some(now);
                refresh.sealed_successor = Some(sealed_successor.to_vec());
                let next = refresh.generation;
                session.last_seen_at = now;
                let rotated = session.clone();
                state.tokens.insert(*successor.as_bytes(), (id, next));
                Ok(Rotation::Rotated(rotated))
            }
            RotationDecision::Replay => {
                let sealed_successor = refresh.sealed_successor.clone().unwrap_or_default();
                Ok(Rotation::Replayed {
                    session: session.clone(),
                    sealed_successor,
                })
            }
            RotationDecision::Reuse => {
                refresh.revoked = Some(RevokeReason::ReuseDetected);
                Ok(Rotation::ReuseDetected(session.clone()))
            }
            RotationDecision::Revoked(_) => Ok(Rotation::Dead(session.clone())),
        }
    }

    async fn sweep_expired_sessions(&self, now: UnixTime) -> StoreResult<u64> {
        let mut state = self.state()?;
        let expired: Vec<SessionId> = state
            .sessions
            .values()
            .filter(|s| now >= s.expires_at())
            .map(|s| s.id.clone())
            .collect();
        for id in &expired {
            state.remove_session(id);
        }
        Ok(expired.len() as u64)
    }
}
