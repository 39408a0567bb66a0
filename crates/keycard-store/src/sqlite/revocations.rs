//! SQLite revocations, for the feed's snapshot: one row per revocation key, replaced by a
//! later revocation with the same key, and forgotten once its `forget_after` has passed.

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
        sqlx::query(
            "INSERT INTO revocations (key, kind, session_id, user_id, not_before, at, \
             forget_after) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, \
             session_id = excluded.session_id, user_id = excluded.user_id, \
             not_before = excluded.not_before, at = excluded.at, \
             forget_after = excluded.forget_after",
        )
        .bind(&row.key)
        .bind(&row.kind)
        .bind(&row.session_id)
        .bind(&row.user_id)
        .bind(row.not_before)
        .bind(row.at)
        .bind(row.forget_after)
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
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
