//! The verified-token cache: an access token whose signature and claims passed is
//! remembered by the SHA-256 of its exact bytes, so presenting it again costs a hash and a
//! lookup instead of a signature check.
//!
//! What it never does is accept a token that a full verification would refuse:
//! - a different byte gives a different digest: a tampered token is never found here;
//! - an entry is gone once `exp` plus the leeway has passed (checked against `now` on every
//!   lookup), after which the full verification refuses the token as expired;
//! - each entry carries the generation of the key set it was verified under, and any change
//!   to the key set starts a new generation: a token whose key was retired or withdrawn is
//!   verified again, and fails;
//! - the revocation set is consulted on every request, hit or miss, by the caller
//!   (`keycard-auth`'s `Auth::verify_bearer`, `keycard-verify`'s `Verifier::verify`).
//!
//! What is remembered is the caller's own value `T` (the claims it needs), cloned out on
//! each hit: make it cheap to clone (an `Arc`, or a few ids).

use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::digest;

use super::{Bounded, Expiring};
use crate::UnixTime;

/// The SHA-256 of a token's exact bytes.
pub type TokenHash = [u8; 32];

/// The hash a token is cached under.
pub fn token_hash(token: &str) -> TokenHash {
    let digest = digest::digest(&digest::SHA256, token.as_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(digest.as_ref());
    bytes
}

#[derive(Debug)]
struct Verified<T> {
    value: T,
    /// `exp` plus the leeway: from this instant a full verification refuses it.
    gone_at: UnixTime,
    generation: u64,
}

impl<T> Expiring for Verified<T> {
    fn expired(&self, now: UnixTime) -> bool {
        now >= self.gone_at
    }
}

/// Verified access tokens, bounded in number, each with what the caller keeps of it (`T`).
#[derive(Debug)]
pub struct TokenCache<T> {
    map: Bounded<TokenHash, Verified<T>>,
    generation: AtomicU64,
}

impl<T: Clone> TokenCache<T> {
    /// An empty cache of at most `max` tokens (0: off).
    pub fn new(max: usize) -> Self {
        Self {
            map: Bounded::new(max),
            generation: AtomicU64::new(0),
        }
    }

    /// The key set's generation. Read it while holding the key set's read guard, so that
    /// it names the keys the verification used.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The key set changed: every entry verified under the old one is forgotten. Call it
    /// while holding the key set's write guard.
    pub fn keys_changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.map.clear();
    }

    /// What was kept of the token hashed to `hash`, if it was verified under the current
    /// key set and has not expired at `now` (leeway included).
    pub fn get(&self, hash: &TokenHash, now: UnixTime) -> Option<T> {
        let generation = self.generation();
        self.map
            .get(hash, now, |entry| {
                (entry.generation == generation).then(|| entry.value.clone())
            })
            .flatten()
    }

    /// Remembers `value` for a token verified at `now` under key set `generation`, until
    /// its `expires_at` (`exp`) plus `leeway_secs`.
    pub fn insert(
        &self,
        hash: TokenHash,
        value: T,
        expires_at: UnixTime,
        leeway_secs: i64,
        generation: u64,
        now: UnixTime,
    ) {
        let gone_at = expires_at.plus_secs(leeway_secs);
        let entry = Verified {
            value,
            gone_at,
            generation,
        };
        self.map.insert_since(self.map.epoch(), hash, entry, now);
    }

    /// How many tokens are held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lasts_until_exp_plus_leeway_and_only_under_its_key_set() {
        let cache = TokenCache::new(10);
        let hash = token_hash("a.b.c");
        assert_ne!(hash, token_hash("a.b.d"));
        let exp = UnixTime::from_secs(100);
        cache.insert(
            hash,
            "u",
            exp,
            30,
            cache.generation(),
            UnixTime::from_secs(0),
        );
        assert_eq!(cache.get(&hash, UnixTime::from_secs(129)), Some("u"));
        assert!(cache.get(&hash, UnixTime::from_secs(130)).is_none());
        let before = cache.generation();
        cache.keys_changed();
        cache.insert(hash, "u", exp, 30, before, UnixTime::from_secs(0));
        assert!(
            cache.get(&hash, UnixTime::from_secs(1)).is_none(),
            "verified under the old keys"
        );
    }
}
