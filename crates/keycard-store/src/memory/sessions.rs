//! The memory backend's sessions and refresh families.

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::{Session, SessionKind};
use keycard_core::store::{Rotation, SessionStore, StoreError, StoreResult};
use keycard_core::{SessionId, UnixTime, UserId};

use super::{MemoryStore, State};
use crate::rotation::{Step, plan};

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
        max_replays: u32,
    ) -> StoreResult<Rotation> {
        let mut state = self.state()?;
        let Some((id, generation)) = state.tokens.get(presented.as_bytes()).cloned() else {
            return Ok(Rotation::Unknown);
        };
        if state.tokens.contains_key(successor.as_bytes()) {
            return Err(StoreError::Conflict("session"));
        }
        let Some(session) = state.sessions.get(&id).cloned() else {
            return Ok(Rotation::Unknown);
        };
        // Under the one lock, the compare-and-swap of the SQL backends cannot fail.
        let step = plan(
            session,
            generation,
            sealed_successor,
            now,
            grace_secs,
            max_replays,
        );
        match step {
            Step::Answer(answer) => Ok(answer),
            Step::Rotate { from, session } => {
                state
                    .tokens
                    .insert(*successor.as_bytes(), (id.clone(), from + 1));
                state.sessions.insert(id, session.clone());
                Ok(Rotation::Rotated(session))
            }
            Step::Replay {
                session,
                sealed_successor,
                ..
            } => {
                state.sessions.insert(id, session.clone());
                Ok(Rotation::Replayed {
                    session,
                    sealed_successor,
                })
            }
            Step::Revoke { session, .. } => {
                state.sessions.insert(id, session.clone());
                Ok(Rotation::ReuseDetected(session))
            }
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
