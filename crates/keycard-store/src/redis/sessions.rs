//! The Redis backend's sessions and refresh families: the `SessionStore` contract, each
//! change one script on the user's slot, with the index entries around it (see
//! [`super::index`] for their order) and the rotation in [`super::rotation`].

use std::collections::HashMap;

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::{Session, SessionKind, TOUCH_INTERVAL_SECS};
use keycard_core::store::{Rotation, SessionStore, StoreError, StoreResult};
use keycard_core::{SessionId, UnixTime, UserId};
use redis::cmd;

use super::codec::{session_fields, session_from_fields, token_entry};
use super::index::{del, set_new};
use super::key_names::{SessionKeys, digest_hex, escape};
use super::scripts::{CREATE, DELETE, DELETE_USER, TOUCH};
use super::{Connection, RedisStore, backend, ttl_secs};

/// How often `delete_user_sessions` re-reads the user's set when sessions come and go under
/// it before giving up.
const DELETE_USER_ATTEMPTS: usize = 16;
/// How many sweep candidates to read at a time.
const SWEEP_BATCH: usize = 100;

/// Whether `generation` is the token that currently opens `session` (as in the memory store).
fn is_current(session: &Session, generation: u64) -> bool {
    match &session.kind {
        SessionKind::Cookie => generation == 0,
        SessionKind::Refresh(state) => generation == state.generation,
    }
}

impl RedisStore {
    /// A session by its keys, whatever its state.
    async fn read(
        &self,
        conn: &mut Connection,
        keys: &SessionKeys,
    ) -> StoreResult<Option<Session>> {
        let fields: HashMap<String, Vec<u8>> = cmd("HGETALL")
            .arg(&keys.hash)
            .query_async(conn)
            .await
            .map_err(backend)?;
        session_from_fields(&fields)
    }

    /// Runs the DELETE script on one session, `now` set for the sweep (delete only if
    /// expired). Returns the script's reply.
    async fn delete_one(
        &self,
        conn: &mut Connection,
        keys: &SessionKeys,
        now: Option<UnixTime>,
    ) -> StoreResult<Vec<String>> {
        DELETE
            .key(&keys.hash)
            .key(&keys.tokens)
            .key(&keys.user_sessions)
            .arg(&keys.member)
            .arg(now.map(|t| t.as_secs().to_string()).unwrap_or_default())
            .invoke_async(conn)
            .await
            .map_err(backend)
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create_session(&self, session: &Session, token: &TokenDigest) -> StoreResult<()> {
        let mut conn = self.conn();
        let (user, sid) = (
            escape(session.user_id.as_str()),
            escape(session.id.as_str()),
        );
        let keys = self.keys.session(&user, &sid);
        let hex = digest_hex(token);
        // Created "now": the session's own last use is the best `now` there is.
        let now = session.last_seen_at;
        let index_ttl = ttl_secs(session.absolute_expiry, now);
        let owner = self.keys.session_owner_escaped(&sid);
        if !set_new(&mut conn, &owner, &user, index_ttl).await? {
            return Err(StoreError::Conflict("session"));
        }
        let token_key = self.keys.token(&hex);
        let entry = token_entry(&user, &sid, session.absolute_expiry);
        if !set_new(&mut conn, &token_key, &entry, index_ttl).await? {
            del(&mut conn, &[owner]).await?;
            return Err(StoreError::Conflict("session"));
        }
        let generation = match &session.kind {
            SessionKind::Cookie => 0,
            SessionKind::Refresh(state) => state.generation,
        };
        let mut create = CREATE.prepare_invoke();
        create
            .key(&keys.hash)
            .key(&keys.tokens)
            .key(&keys.user_sessions)
            .arg(&keys.member)
            .arg(&hex)
            .arg(generation)
            .arg(now.as_secs());
        for (name, value) in session_fields(session) {
            create.arg(name).arg(value);
        }
        let created: i64 = create.invoke_async(&mut conn).await.map_err(backend)?;
        if created == 0 {
            // A session hash with no id entry (left by a crash); ours were the only entries.
            del(&mut conn, &[owner, token_key]).await?;
            return Err(StoreError::Conflict("session"));
        }
        self.file_expiring(&mut conn, &user, &sid, session.expires_at(), index_ttl)
            .await
    }

    async fn load_session_by_token(
        &self,
        token: &TokenDigest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        let mut conn = self.conn();
        let hex = digest_hex(token);
        let Some((user, sid, _)) = self.route(&mut conn, &hex).await? else {
            return Ok(None);
        };
        let keys = self.keys.session(&user, &sid);
        // Not atomic, and need not be: a token's generation never changes once recorded, and
        // both commands go to one node in order.
        let (fields, generation): (HashMap<String, Vec<u8>>, Option<u64>) = redis::pipe()
            .cmd("HGETALL")
            .arg(&keys.hash)
            .cmd("HGET")
            .arg(&keys.tokens)
            .arg(&hex)
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        let (Some(session), Some(generation)) = (session_from_fields(&fields)?, generation) else {
            return Ok(None);
        };
        Ok((session.is_live(now) && is_current(&session, generation)).then_some(session))
    }

    async fn load_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<Option<Session>> {
        let mut conn = self.conn();
        let Some(keys) = self.keys_of(&mut conn, id).await? else {
            return Ok(None);
        };
        let session = self.read(&mut conn, &keys).await?;
        Ok(session.filter(|s| &s.id == id && s.is_live(now)))
    }

    async fn touch_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<bool> {
        let mut conn = self.conn();
        let Some(keys) = self.keys_of(&mut conn, id).await? else {
            return Ok(false);
        };
        let wrote: i64 = TOUCH
            .key(&keys.hash)
            .key(&keys.tokens)
            .key(&keys.user_sessions)
            .arg(&keys.member)
            .arg(now.as_secs())
            .arg(TOUCH_INTERVAL_SECS)
            .invoke_async(&mut conn)
            .await
            .map_err(backend)?;
        Ok(wrote == 1)
    }

    async fn delete_session(&self, id: &SessionId) -> StoreResult<bool> {
        let mut conn = self.conn();
        let Some(keys) = self.keys_of(&mut conn, id).await? else {
            return Ok(false);
        };
        let reply = self.delete_one(&mut conn, &keys, None).await?;
        match reply.split_first() {
            Some((status, deleted)) if status == "deleted" => {
                let tokens = deleted.get(1..).unwrap_or_default();
                self.forget(&mut conn, &keys.user, &keys.member, tokens)
                    .await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list_user_sessions(&self, user: &UserId, now: UnixTime) -> StoreResult<Vec<Session>> {
        let mut conn = self.conn();
        let escaped = escape(user.as_str());
        // The set is scored by deadline: only those still ahead of `now` can be live.
        let members: Vec<String> = cmd("ZRANGEBYSCORE")
            .arg(self.keys.user_sessions(&escaped))
            .arg(format!("({}", now.as_secs()))
            .arg("+inf")
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for member in &members {
            pipe.cmd("HGETALL")
                .arg(self.keys.session(&escaped, member).hash);
        }
        let hashes: Vec<HashMap<String, Vec<u8>>> =
            pipe.query_async(&mut conn).await.map_err(backend)?;
        let mut sessions = Vec::with_capacity(hashes.len());
        for fields in &hashes {
            if let Some(session) = session_from_fields(fields)?
                && session.is_live(now)
            {
                sessions.push(session);
            }
        }
        sessions.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(sessions)
    }

    async fn delete_user_sessions(&self, user: &UserId) -> StoreResult<Vec<SessionId>> {
        let mut conn = self.conn();
        let escaped = escape(user.as_str());
        let set = self.keys.user_sessions(&escaped);
        for _ in 0..DELETE_USER_ATTEMPTS {
            let members: Vec<String> = cmd("ZRANGE")
                .arg(&set)
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            let mut script = DELETE_USER.prepare_invoke();
            script.key(&set);
            for member in &members {
                let keys = self.keys.session(&escaped, member);
                script.key(keys.hash).key(keys.tokens).arg(member);
            }
            // `None`: the set changed between the read and the script; read it again.
            let deleted: Option<Vec<Vec<String>>> =
                script.invoke_async(&mut conn).await.map_err(backend)?;
            let Some(deleted) = deleted else { continue };
            let mut ids = Vec::with_capacity(deleted.len());
            for entry in &deleted {
                let Some((id, tokens)) = entry.split_first() else {
                    continue;
                };
                self.forget(&mut conn, &escaped, &escape(id), tokens)
                    .await?;
                ids.push(SessionId::new(id.clone()));
            }
            return Ok(ids);
        }
        Err(StoreError::Backend(
            "redis: the user's sessions kept changing during delete_user_sessions".into(),
        ))
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
        self.rotate(
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
        let mut conn = self.conn();
        let expiring = self.keys.expiring();
        let mut swept = 0;
        loop {
            let batch: Vec<String> = cmd("ZRANGEBYSCORE")
                .arg(&expiring)
                .arg("-inf")
                .arg(now.as_secs())
                .arg("LIMIT")
                .arg(0)
                .arg(SWEEP_BATCH)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            if batch.is_empty() {
                return Ok(swept);
            }
            for member in batch {
                let reply = match member.split_once(' ') {
                    Some((user, sid)) => {
                        let keys = self.keys.session(user, sid);
                        self.delete_one(&mut conn, &keys, Some(now)).await?
                    }
                    // Not ours to read, so it names nothing to delete: just drop it.
                    None => Vec::new(),
                };
                match reply.split_first() {
                    Some((status, rest)) if status == "alive" => {
                        // Touched since: file it under its real deadline (which is > now).
                        let deadline: f64 = rest
                            .first()
                            .and_then(|d| d.parse().ok())
                            .ok_or_else(|| StoreError::Corrupt("session deadline".into()))?;
                        cmd("ZADD")
                            .arg(&expiring)
                            .arg("XX")
                            .arg("GT")
                            .arg(deadline)
                            .arg(&member)
                            .query_async::<()>(&mut conn)
                            .await
                            .map_err(backend)?;
                        continue;
                    }
                    Some((status, deleted)) if status == "deleted" => {
                        if let Some((user, sid)) = member.split_once(' ') {
                            let tokens = deleted.get(1..).unwrap_or_default();
                            // Also drops `member` from the sweep's list.
                            self.forget(&mut conn, user, sid, tokens).await?;
                            swept += 1;
                            continue;
                        }
                    }
                    _ => {}
                }
                cmd("ZREM")
                    .arg(&expiring)
                    .arg(&member)
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(backend)?;
            }
        }
    }
}
