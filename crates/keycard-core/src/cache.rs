//! Bounded in-memory maps for the hot path, and the verified-token cache built on one: what
//! a verifier remembers so that a warm authenticated request costs a hash lookup and no
//! signature check. Pure: no I/O, time comes in as `now`.
//!
//! - [`Bounded`]: a map of at most N entries whose values know when they expire
//!   ([`Expiring`]); when full, expired entries go first, then arbitrary ones, a sixteenth of
//!   the capacity at a time so the cost of a full map is spread over many inserts. Its
//!   epoch counts invalidations, so a value loaded while one happened is not remembered.
//! - [`tokens`]: access tokens whose signature and claims were verified, by the SHA-256 of
//!   their exact bytes, until their `exp`; tagged with the key set they were verified
//!   under, so a key change empties them in effect. Used by the server (`keycard-auth`) and
//!   by resource servers (`keycard-verify`).
//!
//! Every entry is only a shortcut past a check that still runs on each request: expiry
//! (with the leeway) and the revocation set for tokens.

pub mod tokens;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::UnixTime;

/// An entry that knows when it is gone.
pub trait Expiring {
    /// Whether the entry is of no use at `now` any more.
    fn expired(&self, now: UnixTime) -> bool;
}

/// A map of at most `max` entries, safe to share between threads. Its epoch counts the
/// invalidations: a value loaded from the store is inserted only if no invalidation
/// happened since the load began.
#[derive(Debug)]
pub struct Bounded<K, V> {
    max: usize,
    map: RwLock<HashMap<K, V>>,
    epoch: AtomicU64,
}

impl<K: Eq + Hash, V: Expiring> Bounded<K, V> {
    /// An empty map holding at most `max` entries (0: nothing is ever kept).
    pub fn new(max: usize) -> Self {
        Self {
            max,
            map: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }

    /// The invalidation count; read it before a store load, hand it to
    /// [`insert_since`](Self::insert_since) after.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The entry for `key`, if it is there and not expired at `now`, mapped by `read`.
    pub fn get<T>(&self, key: &K, now: UnixTime, read: impl FnOnce(&V) -> T) -> Option<T> {
        self.read()
            .get(key)
            .filter(|value| !value.expired(now))
            .map(read)
    }

    /// Changes the entry for `key` in place, if it is there; returns what `change` did.
    pub fn update<T>(&self, key: &K, change: impl FnOnce(&mut V) -> T) -> Option<T> {
        self.write().get_mut(key).map(change)
    }

    /// Remembers `value`, unless an invalidation happened since `epoch` was read.
    pub fn insert_since(&self, epoch: u64, key: K, value: V, now: UnixTime) {
        if self.max == 0 {
            return;
        }
        let mut map = self.write();
        // Read under the lock invalidations take: none can slip between check and insert.
        if self.epoch() != epoch {
            return;
        }
        if map.len() >= self.max && !map.contains_key(&key) {
            self.make_room(&mut map, now);
        }
        map.insert(key, value);
    }

    /// Drops every entry `doomed` picks, and counts an invalidation.
    pub fn remove_where(&self, mut doomed: impl FnMut(&K, &V) -> bool) {
        let mut map = self.write();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        map.retain(|key, value| !doomed(key, value));
    }

    /// Drops the entry for `key`, and counts an invalidation.
    pub fn remove(&self, key: &K) {
        let mut map = self.write();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        map.remove(key);
    }

    /// Drops everything, and counts an invalidation.
    pub fn clear(&self) {
        self.remove_where(|_, _| true);
    }

    /// How many entries are held (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most entries held.
    pub fn capacity(&self) -> usize {
        self.max
    }

    fn make_room(&self, map: &mut HashMap<K, V>, now: UnixTime) {
        map.retain(|_, value| !value.expired(now));
        let target = self.max - (self.max / 16).max(1);
        if map.len() > target {
            let excess = map.len() - target;
            let mut dropped = 0;
            map.retain(|_, _| {
                dropped += 1;
                dropped > excess
            });
        }
    }

    // A poisoned lock is still used: every change leaves the map whole.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<K, V>> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<K, V>> {
        self.map.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Until(i64);

    impl Expiring for Until {
        fn expired(&self, now: UnixTime) -> bool {
            now.as_secs() >= self.0
        }
    }

    fn t(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs)
    }

    #[test]
    fn full_drops_expired_first_then_arbitrary_and_never_exceeds_the_bound() {
        let map = Bounded::new(32);
        for n in 0..32 {
            map.insert_since(map.epoch(), n, Until(if n < 8 { 10 } else { 100 }), t(0));
        }
        assert_eq!(map.len(), 32);
        map.insert_since(map.epoch(), 99, Until(100), t(20));
        assert_eq!(map.len(), 25, "the eight expired ones went");
        for n in 100..200 {
            map.insert_since(map.epoch(), n, Until(100), t(20));
            assert!(map.len() <= 32);
        }
        assert!(map.get(&199, t(20), |_| ()).is_some(), "the newest is kept");
        assert!(
            map.get(&199, t(100), |_| ()).is_none(),
            "gone at its expiry"
        );
    }

    #[test]
    fn a_load_that_raced_an_invalidation_is_not_remembered() {
        let map = Bounded::new(8);
        let epoch = map.epoch();
        map.remove(&1);
        map.insert_since(epoch, 1, Until(100), t(0));
        assert!(map.is_empty());
        map.insert_since(map.epoch(), 1, Until(100), t(0));
        assert_eq!(map.len(), 1);
        let none = Bounded::new(0);
        none.insert_since(none.epoch(), 1, Until(100), t(0));
        assert!(none.is_empty(), "a capacity of 0 keeps nothing");
    }
}
