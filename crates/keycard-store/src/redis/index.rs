//! The index entries: routes from a token digest or a session id to the user's slot, and
//! the sweep's list of deadlines.
//!
//! Each change to a session is one script on its user's slot ([`super::scripts`]). The index
//! entries that route a token digest or a session id to that slot live in other slots, so
//! they are written in separate steps, ordered so that a crash or a race between two steps
//! is harmless:
//!
//! - **The family decides, the index only routes.** A token counts only if the family's own
//!   token hash (in the user's slot, changed only by the scripts) lists it; the generation
//!   comes from there too. An index entry that points at a family which never recorded its
//!   digest, or at a session that no longer exists, yields `Unknown` / `None`. So a stray
//!   entry can never make a token rotate, let alone rotate twice: only the script changes
//!   the generation, with compare-and-swap, in one atomic step.
//! - **Index entries are written before the script and removed after it.** Create writes the
//!   session id and token entries (`SET NX`: also the conflict checks), then runs the
//!   script. Rotation writes the successor's entry, then runs the script, and deletes the
//!   entry again unless the outcome was `Rotated`. Delete runs the script, then removes the
//!   entries it names. A crash between the steps leaves at worst an entry naming a token
//!   nobody was given (or a session that is gone): it answers `Unknown` and expires at the
//!   session's absolute expiry.
//! - **Why not write the successor's entry after the script?** Then, between the two steps,
//!   the new current token would be unroutable: a racing tab handed the same successor by a
//!   replay could get `Unknown` for it, and a crash there would strand the family for good.
//!   Written first, a crash after the script just means the client retries with the token
//!   it presented, inside the grace window, and gets the same successor back.
//! - If the script's reply is lost (a connection error), whether it rotated is unknown, so
//!   the successor's entry stays.
//!
//! `P:expiring` (a sweep hint, scored by a lower bound of each deadline: deadlines only move
//! later) is written after create; a session missing from it still goes by its key TTL.

use keycard_core::store::StoreResult;
use keycard_core::{SessionId, UnixTime};
use redis::{Value, cmd};

use super::codec::parse_token_entry;
use super::key_names::{SessionKeys, escape};
use super::{Connection, RedisStore, backend};

/// `SET key value NX EX ttl`: whether it was set.
pub(super) async fn set_new(
    conn: &mut Connection,
    key: &str,
    value: &str,
    ttl: i64,
) -> StoreResult<bool> {
    let reply: Value = cmd("SET")
        .arg(key)
        .arg(value)
        .arg("NX")
        .arg("EX")
        .arg(ttl)
        .query_async(conn)
        .await
        .map_err(backend)?;
    Ok(!matches!(reply, Value::Nil))
}

/// `DEL` of any number of keys, in any slots.
pub(super) async fn del(conn: &mut Connection, keys: &[String]) -> StoreResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    // One DEL: the cluster client splits it by slot.
    cmd("DEL")
        .arg(keys)
        .query_async::<()>(conn)
        .await
        .map_err(backend)
}

impl RedisStore {
    /// Where a token's session lives: (escaped user, escaped sid, absolute expiry).
    pub(super) async fn route(
        &self,
        conn: &mut Connection,
        hex: &str,
    ) -> StoreResult<Option<(String, String, UnixTime)>> {
        let entry: Option<String> = cmd("GET")
            .arg(self.keys.token(hex))
            .query_async(conn)
            .await
            .map_err(backend)?;
        entry
            .map(|e| parse_token_entry(&e).map(|(u, s, abs)| (u.to_owned(), s.to_owned(), abs)))
            .transpose()
    }

    /// The keys of session `id`, if its id index entry exists.
    pub(super) async fn keys_of(
        &self,
        conn: &mut Connection,
        id: &SessionId,
    ) -> StoreResult<Option<SessionKeys>> {
        let user: Option<String> = cmd("GET")
            .arg(self.keys.session_owner(id))
            .query_async(conn)
            .await
            .map_err(backend)?;
        Ok(user.map(|user| self.keys.session(&user, &escape(id.as_str()))))
    }

    /// Removes the index entries of a deleted session: its token routes (digests in hex, as
    /// the DELETE scripts name them), its id entry and its sweep hint. `user`, `sid` escaped.
    pub(super) async fn forget(
        &self,
        conn: &mut Connection,
        user: &str,
        sid: &str,
        tokens: &[String],
    ) -> StoreResult<()> {
        let mut doomed: Vec<String> = tokens.iter().map(|hex| self.keys.token(hex)).collect();
        doomed.push(self.keys.session_owner_escaped(sid));
        del(conn, &doomed).await?;
        cmd("ZREM")
            .arg(self.keys.expiring())
            .arg(format!("{user} {sid}"))
            .query_async::<()>(conn)
            .await
            .map_err(backend)
    }

    /// Adds a session to the sweep's list, under its deadline; `ttl` is how long its index
    /// entries live. The list is kept (like everything else) no longer than the sessions it
    /// names: EXPIRE NX sets a first TTL, EXPIRE GT only ever lengthens it.
    pub(super) async fn file_expiring(
        &self,
        conn: &mut Connection,
        user: &str,
        sid: &str,
        deadline: UnixTime,
        ttl: i64,
    ) -> StoreResult<()> {
        let expiring = self.keys.expiring();
        redis::pipe()
            .cmd("ZADD")
            .arg(&expiring)
            .arg(deadline.as_secs())
            .arg(format!("{user} {sid}"))
            .ignore()
            .cmd("EXPIRE")
            .arg(&expiring)
            .arg(ttl)
            .arg("NX")
            .ignore()
            .cmd("EXPIRE")
            .arg(&expiring)
            .arg(ttl)
            .arg("GT")
            .ignore()
            .query_async::<()>(conn)
            .await
            .map_err(backend)
    }
}
