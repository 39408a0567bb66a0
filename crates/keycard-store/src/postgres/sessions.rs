//! PostgreSQL sessions and refresh families.
//!
//! A session is live while `expires_at > now` and it is not revoked; every read says so
//! in its `WHERE`, so an expired row is never returned even before the sweeper deletes it.
//! A token opens its session only while its generation is the session's current one
//! (always 0 for a cookie session).
//!
//! Rotation is the shared loop of [`crate::sql::rotation`], over the statements in
//! `rotation.rs`, each attempt locking the family with `SELECT ... FOR UPDATE`.

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::{Session, TOUCH_INTERVAL_SECS};
use keycard_core::store::{Rotation, SessionStore, StoreResult};
use keycard_core::{SessionId, UnixTime, UserId};

use super::{PostgresStore, store_error};
use crate::sql::rotation::{self, RotationSql as _};
use crate::sql::rows::SessionRow;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, session: &Session, token: &TokenDigest) -> StoreResult<()> {
        let row = SessionRow::from_session(session)?;
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, kind, created_at, last_seen_at, \
             idle_timeout_secs, absolute_expiry, expires_at, user_agent, ip, label, \
             generation, rotated_at, sealed_successor, replays, revoked_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
        .bind(row.replays)
        .bind(&row.revoked_reason)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        self.file_token(&mut tx, token, &row.id, row.generation)
            .await?;
        tx.commit().await.map_err(store_error)
    }

    async fn load_session_by_token(
        &self,
        token: &TokenDigest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        sqlx::query_as::<_, SessionRow>(
            "SELECT s.* FROM session_tokens t JOIN sessions s ON s.id = t.session_id \
             WHERE t.digest = $1 AND t.generation = s.generation \
             AND s.expires_at > $2 AND s.revoked_reason IS NULL",
        )
        .bind(&token.as_bytes()[..])
        .bind(now.as_secs())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(SessionRow::into_session)
        .transpose()
    }

    async fn load_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<Option<Session>> {
        sqlx::query_as::<_, SessionRow>(
            "SELECT * FROM sessions WHERE id = $1 AND expires_at > $2 \
             AND revoked_reason IS NULL",
        )
        .bind(id.as_str())
        .bind(now.as_secs())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(SessionRow::into_session)
        .transpose()
    }

    async fn touch_session(&self, id: &SessionId, now: UnixTime) -> StoreResult<bool> {
        // The new deadline is now + least(idle, absolute - now), which cannot overflow:
        // the row is live, so absolute_expiry > now.
        let touched = sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, \
             expires_at = $1 + LEAST(idle_timeout_secs, absolute_expiry - $1) \
             WHERE id = $2 AND expires_at > $1 AND revoked_reason IS NULL \
             AND last_seen_at <= $3",
        )
        .bind(now.as_secs())
        .bind(id.as_str())
        .bind(now.as_secs().saturating_sub(TOUCH_INTERVAL_SECS))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(touched.rows_affected() > 0)
    }

    async fn delete_session(&self, id: &SessionId) -> StoreResult<bool> {
        // Its tokens go with it (ON DELETE CASCADE).
        let deleted = sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn list_user_sessions(&self, user: &UserId, now: UnixTime) -> StoreResult<Vec<Session>> {
        // COLLATE "C": ties on created_at ordered by the id's bytes, as every backend does,
        // whatever the database's locale.
        sqlx::query_as::<_, SessionRow>(
            "SELECT * FROM sessions WHERE user_id = $1 AND expires_at > $2 \
             AND revoked_reason IS NULL ORDER BY created_at, id COLLATE \"C\"",
        )
        .bind(user.as_str())
        .bind(now.as_secs())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(SessionRow::into_session)
        .collect()
    }

    async fn delete_user_sessions(&self, user: &UserId) -> StoreResult<Vec<SessionId>> {
        let ids: Vec<String> =
            sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 RETURNING id")
                .bind(user.as_str())
                .fetch_all(&self.pool)
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
        max_replays: u32,
    ) -> StoreResult<Rotation> {
        rotation::rotate_refresh(
            self,
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
        // One statement: PostgreSQL locks only the rows it deletes, so other writers go on.
        let swept = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.as_secs())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(swept.rows_affected())
    }
}
