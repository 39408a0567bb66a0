//! Presenting a refresh token: the route to the family, the successor's route written
//! first, then the ROTATE script (the rotation rule itself, in Lua), then clean-up.

use keycard_core::UnixTime;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::{Session, SessionKind};
use keycard_core::store::{Rotation, StoreError, StoreResult};

use super::codec::{pairs, session_from_fields, token_entry};
use super::index::{del, set_new};
use super::key_names::digest_hex;
use super::scripts::ROTATE;
use super::{RedisStore, backend, ttl_secs};

impl RedisStore {
    /// [`SessionStore::rotate_refresh`](keycard_core::store::SessionStore::rotate_refresh).
    pub(super) async fn rotate(
        &self,
        presented: &TokenDigest,
        successor: &TokenDigest,
        sealed_successor: &[u8],
        now: UnixTime,
        grace_secs: i64,
        max_replays: u32,
    ) -> StoreResult<Rotation> {
        let mut conn = self.conn();
        let hex = digest_hex(presented);
        let Some((user, sid, absolute_expiry)) = self.route(&mut conn, &hex).await? else {
            return Ok(Rotation::Unknown);
        };
        // The successor's route goes in first: see index.rs for why that order.
        let next_hex = digest_hex(successor);
        let next_key = self.keys.token(&next_hex);
        let entry = token_entry(&user, &sid, absolute_expiry);
        if !set_new(&mut conn, &next_key, &entry, ttl_secs(absolute_expiry, now)).await? {
            return Err(StoreError::Conflict("session"));
        }
        let keys = self.keys.session(&user, &sid);
        let reply: Vec<Vec<u8>> = ROTATE
            .key(&keys.hash)
            .key(&keys.tokens)
            .key(&keys.user_sessions)
            .arg(&keys.member)
            .arg(&hex)
            .arg(&next_hex)
            .arg(sealed_successor)
            .arg(now.as_secs())
            .arg(grace_secs)
            .arg(max_replays)
            .invoke_async(&mut conn)
            .await
            .map_err(backend)?;
        let mut reply = reply.into_iter();
        let outcome = reply.next().unwrap_or_default();
        if outcome == b"conflict" {
            return Err(StoreError::Conflict("session"));
        }
        if outcome != b"rotated" {
            // Not issued: its route names nothing. Best effort; a leftover answers Unknown
            // and expires with the family, and the outcome stands either way.
            let _ = del(&mut conn, &[next_key]).await;
        }
        let session = || -> StoreResult<Session> {
            session_from_fields(&pairs(reply.collect())?)?
                .ok_or_else(|| StoreError::Corrupt("rotation answered without a session".into()))
        };
        Ok(match outcome.as_slice() {
            b"unknown" => Rotation::Unknown,
            b"rotated" => Rotation::Rotated(session()?),
            b"replayed" => {
                let session = session()?;
                let sealed_successor = match &session.kind {
                    SessionKind::Refresh(state) => state.sealed_successor.clone(),
                    SessionKind::Cookie => None,
                };
                Rotation::Replayed {
                    session,
                    sealed_successor: sealed_successor.unwrap_or_default(),
                }
            }
            b"reuse" => Rotation::ReuseDetected(session()?),
            b"dead" => Rotation::Dead(session()?),
            _ => return Err(StoreError::Corrupt("unexpected rotation outcome".into())),
        })
    }
}
