//! The Redis backend's revocations: one hash of revocations by key and one sorted set of
//! the same keys by `forget_after`, both in one slot (`{P:rev}`) so one script changes both.
//!
//! Both keys expire at the latest `forget_after` recorded (counted from the revocation's own
//! `at`), so an idle deployment's set empties itself. Reads forget what is past, and filter
//! against the caller's `now` besides, so the answer never depends on Redis's clock.

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::revocation::Revocation;
use keycard_core::store::{RevocationStore, StoreResult};

use super::codec::{decode_revocation, encode_revocation};
use super::scripts::{FORGET_AND_LIST_REVOCATIONS, RECORD_REVOCATION};
use super::{RedisStore, backend, ttl_secs};

/// Revocations are dropped from Redis this long after they stop being live, so an instance
/// whose clock runs ahead cannot make them vanish early for the others that share the store.
const FORGET_MARGIN_SECS: i64 = 60;

#[async_trait]
impl RevocationStore for RedisStore {
    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()> {
        let (all, forget) = self.keys.revocations();
        let ttl = ttl_secs(
            revocation.forget_after.plus_secs(FORGET_MARGIN_SECS),
            revocation.at,
        );
        RECORD_REVOCATION
            .key(all)
            .key(forget)
            .arg(revocation.key())
            .arg(encode_revocation(revocation))
            .arg(revocation.forget_after.as_secs())
            .arg(ttl)
            .invoke_async::<()>(&mut self.conn())
            .await
            .map_err(backend)
    }

    async fn live_revocations(&self, now: UnixTime) -> StoreResult<Vec<Revocation>> {
        let (all, forget) = self.keys.revocations();
        let held: Vec<String> = FORGET_AND_LIST_REVOCATIONS
            .key(all)
            .key(forget)
            .arg(now.plus_secs(-FORGET_MARGIN_SECS).as_secs())
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        let mut live = Vec::with_capacity(held.len());
        for encoded in &held {
            let revocation = decode_revocation(encoded)?;
            if revocation.is_live(now) {
                live.push(revocation);
            }
        }
        Ok(live)
    }
}
