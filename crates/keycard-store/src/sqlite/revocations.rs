//! SQLite revocations, for the feed's snapshot: one row per revocation key, replaced by a
//! later revocation with the same key, and forgotten once its `forget_after` has passed.
//!
//! Each recording takes the next number of the revocation sequence (migration 0003), which
//! is what the SQLite feed polls for; counter and row change in one transaction, so numbers
//! are handed out in the order the rows become visible.

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::revocation::Revocation;
use keycard_core::store::{RevocationStore, StoreResult};

use super::{SqliteStore, store_error};
use crate::sql::rows::RevocationRow;

#[async_trait]
impl RevocationStore for SqliteStore {
    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()> {
        let row = RevocationRow::from_revocation(revocation);
        let mut tx = self.begin_immediate().await?;
        let seq: i64 =
            sqlx::query_scalar("UPDATE revocation_sequence SET last = last + 1 RETURNING last")
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
        sqlx::query(
            "INSERT INTO revocations (key, kind, session_id, user_id, not_before, at, \
             forget_after, seq, recorded_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, \
             CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) \
             ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, \
             session_id = excluded.session_id, user_id = excluded.user_id, \
             not_before = excluded.not_before, at = excluded.at, \
             forget_after = excluded.forget_after, seq = excluded.seq, \
             recorded_at_ms = excluded.recorded_at_ms",
        )
        .bind(&row.key)
        .bind(&row.kind)
        .bind(&row.session_id)
        .bind(&row.user_id)
        .bind(row.not_before)
        .bind(row.at)
        .bind(row.forget_after)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn live_revocations(&self, now: UnixTime) -> StoreResult<Vec<Revocation>> {
        // Forget what no longer needs remembering, as the memory backend does, so the
        // table stays as small as the live set.
        sqlx::query("DELETE FROM revocations WHERE forget_after <= ?")
            .bind(now.as_secs())
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        sqlx::query_as::<_, RevocationRow>("SELECT * FROM revocations WHERE forget_after > ?")
            .bind(now.as_secs())
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(RevocationRow::into_revocation)
            .collect()
    }
}
