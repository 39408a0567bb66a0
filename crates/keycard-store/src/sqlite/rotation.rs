//! SQLite's statements for the shared refresh-rotation loop ([`crate::sql::rotation`]).
//!
//! Each attempt runs in a `BEGIN IMMEDIATE` transaction on the one writer connection: it
//! holds the database's write lock from its first read, so concurrent presentations of one
//! token are decided one after another, each seeing the last one's write. That lock is why
//! [`lock_family`](RotationSql::lock_family) needs nothing more than a plain `SELECT`.

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::RevokeReason;
use keycard_core::store::StoreResult;
use sqlx::{Sqlite, Transaction};

use super::{SqliteStore, store_error};
use crate::sql::rotation::RotationSql;
use crate::sql::rows::SessionRow;

#[async_trait]
impl RotationSql for SqliteStore {
    type Tx = Transaction<'static, Sqlite>;

    const NAME: &'static str = "SQLite";

    async fn begin(&self) -> StoreResult<Self::Tx> {
        self.begin_immediate().await
    }

    async fn find_token(
        &self,
        tx: &mut Self::Tx,
        digest: &TokenDigest,
    ) -> StoreResult<Option<(String, i64)>> {
        sqlx::query_as("SELECT session_id, generation FROM session_tokens WHERE digest = ?")
            .bind(&digest.as_bytes()[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(store_error)
    }

    async fn token_exists(&self, tx: &mut Self::Tx, digest: &TokenDigest) -> StoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM session_tokens WHERE digest = ?")
                .bind(&digest.as_bytes()[..])
                .fetch_optional(&mut **tx)
                .await
                .map_err(store_error)?;
        Ok(found.is_some())
    }

    async fn lock_family(&self, tx: &mut Self::Tx, id: &str) -> StoreResult<Option<SessionRow>> {
        // Already locked: the transaction holds the write lock.
        sqlx::query_as("SELECT * FROM sessions WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(store_error)
    }

    async fn swap_rotated(
        &self,
        tx: &mut Self::Tx,
        row: &SessionRow,
        from: i64,
    ) -> StoreResult<bool> {
        let swapped = sqlx::query(
            "UPDATE sessions SET generation = ?, rotated_at = ?, sealed_successor = ?, \
             replays = ?, last_seen_at = ?, expires_at = ? \
             WHERE id = ? AND generation = ? AND revoked_reason IS NULL",
        )
        .bind(row.generation)
        .bind(row.rotated_at)
        .bind(&row.sealed_successor)
        .bind(row.replays)
        .bind(row.last_seen_at)
        .bind(row.expires_at)
        .bind(&row.id)
        .bind(from)
        .execute(&mut **tx)
        .await
        .map_err(store_error)?;
        Ok(swapped.rows_affected() > 0)
    }

    async fn file_token(
        &self,
        tx: &mut Self::Tx,
        digest: &TokenDigest,
        id: &str,
        generation: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO session_tokens (digest, session_id, generation) VALUES (?, ?, ?)")
            .bind(&digest.as_bytes()[..])
            .bind(id)
            .bind(generation)
            .execute(&mut **tx)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn count_replay(
        &self,
        tx: &mut Self::Tx,
        id: &str,
        at: i64,
        replays: i64,
    ) -> StoreResult<bool> {
        let counted = sqlx::query(
            "UPDATE sessions SET replays = replays + 1 \
             WHERE id = ? AND generation = ? AND replays = ? AND revoked_reason IS NULL",
        )
        .bind(id)
        .bind(at)
        .bind(replays)
        .execute(&mut **tx)
        .await
        .map_err(store_error)?;
        Ok(counted.rows_affected() > 0)
    }

    async fn revoke_reused(&self, tx: &mut Self::Tx, id: &str, at: i64) -> StoreResult<bool> {
        let revoked = sqlx::query(
            "UPDATE sessions SET revoked_reason = ? \
             WHERE id = ? AND generation = ? AND revoked_reason IS NULL",
        )
        .bind(RevokeReason::ReuseDetected.as_str())
        .bind(id)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map_err(store_error)?;
        Ok(revoked.rows_affected() > 0)
    }

    async fn commit(&self, tx: Self::Tx) -> StoreResult<()> {
        tx.commit().await.map_err(store_error)
    }
}
