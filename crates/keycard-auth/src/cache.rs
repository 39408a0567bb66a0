//! The hot path's memory: what an instance remembers so that a warm authenticated request
//! costs a hash lookup or two and no I/O.
//!
//! - [`tokens`]: access tokens whose signature and claims were verified, by the SHA-256 of
//!   their exact bytes, until their `exp`; tagged with the key set they were verified
//!   under, so a key change empties them in effect.
//! - [`sessions`]: live sessions, by the digest of their cookie and by id.
//! - [`users`]: enabled users, for a short time to live.
//!
//! Every entry is only a shortcut past a check that still runs on each request: expiry
//! (with the leeway) and the revocation set for tokens, liveness for sessions. The session
//! and user caches are kept true by the revocation feed (`Auth::apply_revocations` drops
//! what a revocation touches) and are not consulted while the feed is stale. A store load
//! that raced with an invalidation is not remembered (see [`Bounded::epoch`]).
//!
//! The verified-token cache and [`Bounded`] live in `keycard-core` (`keycard_core::cache`),
//! shared with the resource servers' verifier; they are re-exported here.
//!
//! Each cache is a [`Bounded`] map: at most its configured number of entries; when full,
//! expired entries go first, then arbitrary ones, a sixteenth of the capacity at a time so
//! the cost of a full cache is spread over many inserts.

pub mod sessions;
pub mod users;

pub use keycard_core::cache::tokens;
pub use keycard_core::cache::{Bounded, Expiring};
