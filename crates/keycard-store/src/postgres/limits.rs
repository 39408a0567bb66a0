//! The login and registration limits every instance shares, in PostgreSQL: a row per bucket
//! that is not full (`limit_buckets`), and one statement per call, `SELECT
//! limit_buckets_apply(...)`, a function of the migrations that locks the call's buckets,
//! decides, and writes, in the statement's own transaction (see the migration for why a
//! function and not a bare `INSERT ... ON CONFLICT`). Rows of buckets that are full again are
//! removed by the call that fills them, or else by
//! [`sweep_full_buckets`](SharedLimiter::sweep_full_buckets), which the server runs with the
//! session sweep. Time is the caller's `now`, as for sessions.

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::gcra::millis;
use keycard_core::store::{Action, SharedLimiter, Step, StoreResult};

use super::{PostgresStore, store_error};

#[async_trait]
impl SharedLimiter for PostgresStore {
    async fn apply(&self, steps: &[Step], now: UnixTime) -> StoreResult<Vec<i64>> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = steps.iter().map(|step| step.bucket.name()).collect();
        let actions: Vec<&str> = steps
            .iter()
            .map(|step| match step.action {
                Action::Charge => "charge",
                Action::Refund => "refund",
                Action::Forget => "forget",
            })
            .collect();
        let intervals: Vec<i64> = steps.iter().map(|step| step.rate.interval).collect();
        let windows: Vec<i64> = steps.iter().map(|step| step.rate.window).collect();
        sqlx::query_scalar("SELECT limit_buckets_apply($1, $2, $3, $4, $5)")
            .bind(names)
            .bind(actions)
            .bind(intervals)
            .bind(windows)
            .bind(millis(now))
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)
    }

    async fn sweep_full_buckets(&self, now: UnixTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM limit_buckets WHERE full_at <= $1")
            .bind(millis(now))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected())
    }
}
