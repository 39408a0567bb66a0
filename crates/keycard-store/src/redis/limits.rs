//! The login and registration limits every instance shares, in Redis: one string per bucket
//! that is not full, holding its `full_at` (ms), with a TTL that ends when the bucket is full
//! again; one Lua script per call ([`LIMIT_APPLY`]), so the charges of concurrent attempts
//! from any instance are counted exactly.
//!
//! **One slot for every bucket.** A login charges its account and its address together or
//! not at all, and those two buckets meet in every combination, so no per-account or
//! per-address hash tag can keep one call's keys in one slot: every bucket is under
//! `{P:lim}`. In a cluster that puts the limits on one shard; their load is bounded by what
//! logins cost anyway (each allowed attempt is followed by an argon2id hash of tens of
//! milliseconds), and each instance answers a refused flood from memory, without a round
//! trip, for a second after the store refused it.
//!
//! **Time** is the caller's `now`, as for every other record here: the script applies the
//! same rule as the in-process limiter to the instant it is given, and the TTL is counted
//! from that instant. Redis's own `TIME` would make every instance agree on the clock, but
//! the instances already agree within NTP's few milliseconds, against intervals of seconds
//! to minutes, and the conformance suite can then check the rule at exact instants.

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::gcra::millis;
use keycard_core::store::{Action, SharedLimiter, Step, StoreResult};

use super::scripts::LIMIT_APPLY;
use super::{RedisStore, backend};

#[async_trait]
impl SharedLimiter for RedisStore {
    async fn apply(&self, steps: &[Step], now: UnixTime) -> StoreResult<Vec<i64>> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = LIMIT_APPLY.prepare_invoke();
        invocation.arg(millis(now));
        for step in steps {
            let action = match step.action {
                Action::Charge => "c",
                Action::Refund => "r",
                Action::Forget => "f",
            };
            invocation
                .key(self.keys.limit_bucket(&step.bucket.name()))
                .arg(action)
                .arg(step.rate.interval)
                .arg(step.rate.window);
        }
        invocation
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)
    }

    /// Redis expires every bucket when it is full again: nothing to sweep.
    async fn sweep_full_buckets(&self, _now: UnixTime) -> StoreResult<u64> {
        Ok(0)
    }
}
