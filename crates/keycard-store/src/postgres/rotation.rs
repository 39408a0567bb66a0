//! PostgreSQL's statements for the shared refresh-rotation loop ([`crate::sql::rotation`]).
//!
//! Each attempt runs in a READ COMMITTED transaction and loads the family with
//! `SELECT ... FOR UPDATE`: concurrent presentations of one token queue on that row lock,
//! and each then reads the row as the previous one committed it (so the losers of a race
//! see a replay). Several instances sharing the database are serialised the same way.

use async_trait::async_trait;
use keycard_core::opaque::TokenDigest;
use keycard_core::session::RevokeReason;
use keycard_core::store::StoreResult;
use sqlx::{Postgres, Transaction};

use super::{PostgresStore, store_error};
use crate::sql::rotation::RotationSql;
use crate::sql::rows::SessionRow;

#[async_trait]
impl RotationSql for PostgresStore {
    type Tx = Transaction<'static, Postgres>;

    const NAME: &'static str = "PostgreSQL";

    async fn begin(&self) -> StoreResult<Self::Tx> {
        self.pool.begin().await.map_err(store_error)
    }

    async fn find_token(
        &self,
        tx: &mut Self::Tx,
        digest: &TokenDigest,
    ) -> StoreResult<Option<(String, i64)>> {
        sqlx::query_as("SELECT session_id, generation FROM session_tokens WHERE digest = $1")
            .bind(&digest.as_bytes()[..])
            .fetch_optional(&mut **tx)
            .await
            .map_err(store_error)
    }

    async fn token_exists(&self, tx: &mut Self::Tx, digest: &TokenDigest) -> StoreResult<bool> {
        let found: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM session_tokens WHERE digest = $1")
                .bind(&digest.as_bytes()[..])
                .fetch_optional(&mut **tx)
                .await
                .map_err(store_error)?;
        Ok(found.is_some())
    }

    async fn lock_family(&self, tx: &mut Self::Tx, id: &str) -> StoreResult<Option<SessionRow>> {
        sqlx::query_as("SELECT * FROM sessions WHERE id = $1 FOR UPDATE")
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
            "UPDATE sessions SET generation = $1, rotated_at = $2, sealed_successor = $3, \
             replays = $4, last_seen_at = $5, expires_at = $6 \
             WHERE id = $7 AND generation = $8 AND revoked_reason IS NULL",
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
        sqlx::query(
            "INSERT INTO session_tokens (digest, session_id, generation) VALUES ($1, $2, $3)",
        )
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
             WHERE id = $1 AND generation = $2 AND replays = $3 AND revoked_reason IS NULL",
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
            "UPDATE sessions SET revoked_reason = $1 \
             WHERE id = $2 AND generation = $3 AND revoked_reason IS NULL",
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
