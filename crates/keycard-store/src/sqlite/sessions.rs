//! SQLite sessions and refresh families.
//!
//! A session is live while `expires_at > now` and it is not revoked; every read says so
//! in its `WHERE`, so an expired row is never returned even before the sweeper deletes it.
//! A token opens its session only while its generation is the session's current one
//! (always 0 for a cookie session).
//!
//! Rotation runs the steps of [`crate::sql::rotation`] in a `BEGIN IMMEDIATE` transaction:
//! it holds the write lock from the first read, so concurrent presentations of one token
//! are decided one after another, each seeing the last one's write; the generation
//! compare-and-swap guards the write all the same.

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::{RevokeReason, Session, TOUCH_INTERVAL_SECS};
use keycard_core::store::{Rotation, SessionStore, StoreError, StoreResult};
use keycard_core::{SessionId, UnixTime, UserId};

use super::{SqliteStore, store_error};
use crate::rotation::{Step, plan};
use crate::sql::MAX_ATTEMPTS;
use crate::sql::rows::{SessionRow, read_generation, stored_generation};

/// Expired sessions deleted per write transaction, so a large sweep never holds the
/// write lock for long.
const SWEEP_BATCH: i64 = 500;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &Session, token: &TokenDigest) -> StoreResult<()> {
        let row = SessionRow::from_session(session)?;
        let mut tx = self.begin_immediate().await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, kind, created_at, last_seen_at, \
             idle_timeout_secs, absolute_expiry, expires_at, user_agent, ip, label, \
             generation, rotated_at, sealed_successor, revoked_reason) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.id)
        .bind(&row.user_id)
        .bind(&row.kind)
        .bind(row.created_at)
        .bind(row.last_seen_at)
        .bind(row.idle_timeout_secs)
        .bind(row.absolute_expiry)
        .bind(row.expires_at)
        .bind(&row.user_agent)
        .bind(&row.ip)
        .bind(&row.label)
        .bind(row.generation)
        .bind(row.rotated_at)
        .bind(&row.sealed_successor)
        .bind(&row.revoked_reason)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query("INSERT INTO session_tokens (digest, session_id, generation) VALUES (?, ?, ?)")
            .bind(&token.as_bytes()[..])
            .bind(&row.id)
            .bind(row.generation)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn load_session_by_token(
        &self,
        token: &TokenDigest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        sqlx::query_as::<_, SessionRow>(
            "SELECT s.* FROM session_tokens t JOIN sessions s ON s.id = t.session_id \
             WHERE t.digest = ? AND t.generation = s.generation \
             AND s.expires_at > ? AND s.revoked_reason IS NULL",
        )
        .bind(&token.as_bytes()[..])
        .bind(now.as_secs())
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?
        .map(SessionRow::into_session)
        .transpose()
    }

    async fn load_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<Option<Session>> {
        sqlx::query_as::<_, SessionRow>(
            "SELECT * FROM sessions WHERE id = ? AND expires_at > ? AND revoked_reason IS NULL",
        )
        .bind(id.as_str())
        .bind(now.as_secs())
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?
        .map(SessionRow::into_session)
        .transpose()
    }

    async fn touch_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<bool> {
        // The new deadline is now + min(idle, absolute - now), which cannot overflow: the
        // row is live, so absolute_expiry > now.
        let touched = sqlx::query(
            "UPDATE sessions SET last_seen_at = ?1, \
             expires_at = ?1 + MIN(idle_timeout_secs, absolute_expiry - ?1) \
             WHERE id = ?2 AND expires_at > ?1 AND revoked_reason IS NULL \
             AND last_seen_at <= ?3",
        )
        .bind(now.as_secs())
        .bind(id.as_str())
        .bind(now.as_secs().saturating_sub(TOUCH_INTERVAL_SECS))
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
        Ok(touched.rows_affected() > 0)
    }

    async fn delete_session(&self, id: &SessionId) -> StoreResult<bool> {
        // Its tokens go with it (ON DELETE CASCADE).
        let deleted = sqlx::query("DELETE FROM sessions WHERE id = ?")
            .bind(id.as_str())
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn list_user_sessions(&self, user: &UserId, now: UnixTime) -> StoreResult<Vec<Session>> {
        sqlx::query_as::<_, SessionRow>(
            "SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? \
             AND revoked_reason IS NULL ORDER BY created_at, id",
        )
        .bind(user.as_str())
        .bind(now.as_secs())
        .fetch_all(&self.reader)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(SessionRow::into_session)
        .collect()
    }

    async fn delete_user_sessions(&self, user: &UserId) -> StoreResult<Vec<SessionId>> {
        let ids: Vec<String> =
            sqlx::query_scalar("DELETE FROM sessions WHERE user_id = ? RETURNING id")
                .bind(user.as_str())
                .fetch_all(&self.writer)
                .await
                .map_err(store_error)?;
        Ok(ids.into_iter().map(SessionId::new).collect())
    }

    async fn rotate_refresh(
        &self,
        presented: &TokenDigest,
        successor: &TokenDigest,
        sealed_successor: &[u8],
        now: UnixTime,
        grace_secs: i64,
    ) -> StoreResult<Rotation> {
        for _ in 0..MAX_ATTEMPTS {
            let mut tx = self.begin_immediate().await?;
            let Some((id, generation)) = sqlx::query_as::<_, (String, i64)>(
                "SELECT session_id, generation FROM session_tokens WHERE digest = ?",
            )
            .bind(&presented.as_bytes()[..])
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?
            else {
                return Ok(Rotation::Unknown);
            };
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM session_tokens WHERE digest = ?")
                    .bind(&successor.as_bytes()[..])
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(store_error)?;
            if taken.is_some() {
                return Err(StoreError::Conflict("session"));
            }
            let Some(row) = sqlx::query_as::<_, SessionRow>("SELECT * FROM sessions WHERE id = ?")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?
            else {
                return Ok(Rotation::Unknown);
            };
            let step = plan(
                row.into_session()?,
                read_generation(generation)?,
                sealed_successor,
                now,
                grace_secs,
            );
            let answer = match step {
                Step::Answer(answer) => return Ok(answer),
                Step::Rotate { from, session } => {
                    let row = SessionRow::from_session(&session)?;
                    let swapped = sqlx::query(
                        "UPDATE sessions SET generation = ?, rotated_at = ?, \
                         sealed_successor = ?, last_seen_at = ?, expires_at = ? \
                         WHERE id = ? AND generation = ? AND revoked_reason IS NULL",
                    )
                    .bind(row.generation)
                    .bind(row.rotated_at)
                    .bind(&row.sealed_successor)
                    .bind(row.last_seen_at)
                    .bind(row.expires_at)
                    .bind(&row.id)
                    .bind(stored_generation(from)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                    if swapped.rows_affected() == 0 {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO session_tokens (digest, session_id, generation) \
                         VALUES (?, ?, ?)",
                    )
                    .bind(&successor.as_bytes()[..])
                    .bind(&row.id)
                    .bind(row.generation)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                    Rotation::Rotated(session)
                }
                Step::Revoke { at, session } => {
                    let revoked = sqlx::query(
                        "UPDATE sessions SET revoked_reason = ? \
                         WHERE id = ? AND generation = ? AND revoked_reason IS NULL",
                    )
                    .bind(RevokeReason::ReuseDetected.as_str())
                    .bind(session.id.as_str())
                    .bind(stored_generation(at)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                    if revoked.rows_affected() == 0 {
                        continue;
                    }
                    Rotation::ReuseDetected(session)
                }
            };
            tx.commit().await.map_err(store_error)?;
            return Ok(answer);
        }
        Err(StoreError::Backend(format!(
            "SQLite: refresh rotation lost its compare-and-swap {MAX_ATTEMPTS} times"
        )))
    }

    async fn sweep_expired_sessions(&self, now: UnixTime) -> StoreResult<u64> {
        let mut swept = 0;
        loop {
            let batch = sqlx::query(
                "DELETE FROM sessions WHERE id IN \
                 (SELECT id FROM sessions WHERE expires_at <= ? LIMIT ?)",
            )
            .bind(now.as_secs())
            .bind(SWEEP_BATCH)
            .execute(&self.writer)
            .await
            .map_err(store_error)?
            .rows_affected();
            swept += batch;
            if batch < SWEEP_BATCH.unsigned_abs() {
                return Ok(swept);
            }
        }
    }
}
