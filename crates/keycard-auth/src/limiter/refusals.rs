//! The shared limiter's first filter, in this process: the buckets the store has just
//! refused, each remembered for at most [`RECHECK_MS`] (and never past the wait the store
//! gave). An attempt on a remembered bucket is refused from memory, so a flood from one
//! address, or on one account, costs this instance one store round trip per bucket per
//! second once it is over the limit, instead of one per attempt.
//!
//! Why only refusals, and only briefly: the store is the only count that sees every
//! instance. A count kept here would see only this instance's attempts, and could not see a
//! correct password at another instance forgive the account; it would refuse what the
//! fleet allows. A remembered refusal is wrong only if the bucket gained room since, which
//! takes a refund or a forget by another instance's success, and is then wrong for at most
//! a second. Nothing is charged here, so nothing is charged twice or refunded twice.
//!
//! A success at this instance forgets what is remembered of the buckets it gave room to,
//! once the store has applied it. A refusal the store answered to a call that began before
//! such a forget may be older than the room just given, so it is not remembered: every
//! forget moves an epoch, and a refusal is remembered only under the epoch its call began
//! in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use keycard_core::store::BucketId;

/// The longest a refusal is answered from memory before the store is asked again.
pub(crate) const RECHECK_MS: i64 = 1000;

/// Refusals at most this many are remembered; when full, the expired ones are dropped, and
/// if none has expired a new one is not remembered (it costs a round trip, nothing else).
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Refusal {
    /// When to ask the store again.
    recheck_at: i64,
    /// When the bucket, as the store saw it, has room again (for `Retry-After`).
    room_at: i64,
}

/// Recently refused buckets.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    entries: Mutex<HashMap<BucketId, Refusal>>,
    /// Moved by every [`forget`](Self::forget).
    epoch: AtomicU64,
}

impl Refusals {
    /// The longest wait among `buckets` that are remembered as refused at `now` (ms),
    /// with the bucket; `None` if the store must be asked.
    pub(crate) fn refused(
        &self,
        buckets: impl IntoIterator<Item = BucketId>,
        now: i64,
    ) -> Option<(BucketId, i64)> {
        let entries = self.lock();
        buckets
            .into_iter()
            .filter_map(|bucket| {
                let refusal = entries.get(&bucket)?;
                (now < refusal.recheck_at).then_some((bucket, refusal.room_at - now))
            })
            .max_by_key(|&(_, wait)| wait)
    }

    /// The epoch to pass to [`remember`](Self::remember) for a store call beginning now.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Remembers that the store refused `bucket` at `now` for `wait` ms, in a call that
    /// began in `epoch`; not if a forget came since.
    pub(crate) fn remember(&self, bucket: BucketId, wait: i64, now: i64, epoch: u64) {
        let mut entries = self.lock();
        if self.epoch() != epoch {
            return;
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&bucket) {
            entries.retain(|_, refusal| refusal.recheck_at > now);
            if entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(
            bucket,
            Refusal {
                recheck_at: now + wait.min(RECHECK_MS),
                room_at: now + wait,
            },
        );
    }

    /// Forgets what was remembered of `bucket`: this instance just gave it room.
    pub(crate) fn forget(&self, bucket: BucketId) {
        let mut entries = self.lock();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.remove(&bucket);
    }

    /// A panic under the lock cannot leave the map half-changed (each change is one insert,
    /// remove or retain), so a poisoned lock is still used.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BucketId, Refusal>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use keycard_core::store::BucketKind;

    use super::*;

    fn bucket(n: u8) -> BucketId {
        BucketId::new(BucketKind::Account, [n; 16])
    }

    #[test]
    fn a_refusal_is_answered_from_memory_for_at_most_a_second() {
        let refusals = Refusals::default();
        refusals.remember(bucket(1), 180_000, 10_000, refusals.epoch());
        assert_eq!(
            refusals.refused([bucket(1)], 10_000),
            Some((bucket(1), 180_000))
        );
        assert_eq!(
            refusals.refused([bucket(1)], 10_999),
            Some((bucket(1), 179_001))
        );
        assert_eq!(
            refusals.refused([bucket(1)], 11_000),
            None,
            "ask the store again"
        );
        assert_eq!(refusals.refused([bucket(2)], 10_000), None);
        // Never past the store's own wait.
        refusals.remember(bucket(3), 200, 10_000, refusals.epoch());
        assert_eq!(refusals.refused([bucket(3)], 10_200), None);
    }

    #[test]
    fn the_longest_wait_answers_and_a_local_success_forgets() {
        let refusals = Refusals::default();
        refusals.remember(bucket(1), 5_000, 0, refusals.epoch());
        refusals.remember(bucket(2), 9_000, 0, refusals.epoch());
        assert_eq!(
            refusals.refused([bucket(1), bucket(2)], 0),
            Some((bucket(2), 9_000))
        );
        refusals.forget(bucket(2));
        assert_eq!(
            refusals.refused([bucket(1), bucket(2)], 0),
            Some((bucket(1), 5_000))
        );
    }

    #[test]
    fn a_refusal_from_before_a_local_forget_is_not_remembered() {
        let refusals = Refusals::default();
        // A check's call begins; meanwhile a success here gives the account room.
        let began = refusals.epoch();
        refusals.forget(bucket(1));
        // The check's refusal was decided before that room was given: not kept.
        refusals.remember(bucket(1), 180_000, 0, began);
        assert_eq!(refusals.refused([bucket(1)], 0), None);
        refusals.remember(bucket(1), 180_000, 0, refusals.epoch());
        assert!(refusals.refused([bucket(1)], 0).is_some());
    }
}
