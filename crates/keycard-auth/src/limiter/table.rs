//! The bucket tables of the in-process limiter: one number per key, bounded in entries.
//! The rule itself (GCRA) is [`keycard_core::gcra`], shared with the stores that keep
//! buckets for a whole fleet; what is written here is the table around it, and its eviction
//! rule (keep the keys under attack, drop the ones nearest full).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use keycard_core::gcra::Rate;

/// Buckets by key: the time (ms) each is full again. Absent means full.
#[derive(Debug)]
pub(super) struct Table<K> {
    full_at: HashMap<K, i64>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Self {
            full_at: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Copy> Table<K> {
    pub(super) fn len(&self) -> usize {
        self.full_at.len()
    }

    /// Milliseconds until `key` may be charged once more; 0 if it may now.
    pub(super) fn wait(&self, key: K, rate: Rate, now: i64) -> i64 {
        rate.wait(self.full_at.get(&key).copied(), now)
    }

    /// Charges one attempt to `key` (which [`wait`](Self::wait) allowed).
    pub(super) fn charge(&mut self, key: K, rate: Rate, now: i64, max_entries: usize) {
        if !self.full_at.contains_key(&key) && self.full_at.len() >= max_entries {
            self.evict(now, max_entries);
        }
        let full_at = rate.charged(self.full_at.get(&key).copied(), now);
        self.full_at.insert(key, full_at);
    }

    /// Gives back one attempt to `key`.
    pub(super) fn refund(&mut self, key: K, rate: Rate, now: i64) {
        match rate.refunded(self.full_at.get(&key).copied(), now) {
            Some(full_at) => self.full_at.insert(key, full_at),
            None => self.full_at.remove(&key),
        };
    }

    pub(super) fn forget(&mut self, key: K) {
        self.full_at.remove(&key);
    }

    /// Makes room: drops the full buckets, then, while more than three quarters of
    /// `max_entries` remain, the buckets nearest to full. Leaving a quarter free keeps the
    /// cost of this pass amortised over the inserts that refill it.
    fn evict(&mut self, now: i64, max_entries: usize) {
        self.full_at.retain(|_, full_at| *full_at > now);
        let keep = max_entries / 4 * 3;
        if self.full_at.len() <= keep {
            return;
        }
        let mut times: Vec<i64> = self.full_at.values().copied().collect();
        let drop = times.len() - keep;
        let (_, &mut threshold, _) = times.select_nth_unstable(drop - 1);
        self.full_at.retain(|_, full_at| *full_at > threshold);
        tracing::warn!(
            kept = self.full_at.len(),
            max_entries,
            "login limiter table full: forgot the buckets nearest to full (many distinct accounts or addresses are failing logins)"
        );
    }
}

/// An IPv4 address as itself (IPv4-mapped IPv6 included); an IPv6 address by its /64:
/// one host commonly holds a whole /64, so counting its addresses one by one would let it
/// walk past any per-address limit.
pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_bits()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(v4.to_bits()),
            None => v6.to_bits() & !u128::from(u64::MAX),
        },
    }
}
