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
//! - the revocation set is consulted on every request, hit or miss (`Auth::verify_bearer`).

use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::digest;
use keycard_core::UnixTime;

use super::{Bounded, Expiring};
use crate::tokens::Bearer;

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
struct Verified {
    bearer: Bearer,
    /// `exp` plus the leeway: from this instant a full verification refuses it.
    gone_at: UnixTime,
    generation: u64,
}

impl Expiring for Verified {
    fn expired(&self, now: UnixTime) -> bool {
        now >= self.gone_at
    }
}

/// Verified access tokens, bounded in number.
#[derive(Debug)]
pub struct TokenCache {
    map: Bounded<TokenHash, Verified>,
    generation: AtomicU64,
}

impl TokenCache {
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

    /// The claims of the token hashed to `hash`, if it was verified under the current key
    /// set and has not expired at `now` (leeway included).
    pub fn get(&self, hash: &TokenHash, now: UnixTime) -> Option<Bearer> {
        let generation = self.generation();
        self.map
            .get(hash, now, |entry| {
                (entry.generation == generation).then(|| entry.bearer.clone())
            })
            .flatten()
    }

    /// Remembers a token verified at `now` under key set `generation`, until its `exp`
    /// plus `leeway_secs`.
    pub fn insert(
        &self,
        hash: TokenHash,
        bearer: Bearer,
        leeway_secs: i64,
        generation: u64,
        now: UnixTime,
    ) {
        let gone_at = bearer.expires_at.plus_secs(leeway_secs);
        let entry = Verified {
            bearer,
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
    use keycard_core::{SessionId, UserId};

    use super::*;

    fn bearer(exp: i64) -> Bearer {
        Bearer {
            user_id: UserId::new("u"),
            session_id: SessionId::new("s"),
            issued_at: UnixTime::from_secs(0),
            expires_at: UnixTime::from_secs(exp),
        }
    }

    #[test]
    fn an_entry_lasts_until_exp_plus_leeway_and_only_under_its_key_set() {
        let cache = TokenCache::new(10);
        let hash = token_hash("a.b.c");
        assert_ne!(hash, token_hash("a.b.d"));
        cache.insert(
            hash,
            bearer(100),
            30,
            cache.generation(),
            UnixTime::from_secs(0),
        );
        assert!(cache.get(&hash, UnixTime::from_secs(129)).is_some());
        assert!(cache.get(&hash, UnixTime::from_secs(130)).is_none());
        let before = cache.generation();
        cache.keys_changed();
        cache.insert(hash, bearer(100), 30, before, UnixTime::from_secs(0));
        assert!(
            cache.get(&hash, UnixTime::from_secs(1)).is_none(),
            "verified under the old keys"
        );
    }
}
