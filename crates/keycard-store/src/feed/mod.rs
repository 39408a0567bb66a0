//! Revocation feeds ([`keycard_core::store::RevocationFeed`]): how a revocation recorded by
//! one instance reaches the others.
//!
//! - [`local::LocalFeed`]: an in-process channel, for the memory store and for one process
//!   on its own.
//! - `codec`: the one-line text of a feed message, shared by the Redis (`PUBLISH`) and
//!   PostgreSQL (`NOTIFY`) feeds.
//! - The shared backends' feeds live with their backends: `redis::RedisFeed` (pub/sub),
//!   `postgres::PostgresFeed` (`LISTEN`/`NOTIFY`), `sqlite::SqliteFeed` (polling a
//!   sequence number).
//!
//! Every feed's subscription *ends* when its connection is lost, never reconnecting
//! silently: a reconnected subscription would have missed whatever was published in the
//! gap, so the follower must resubscribe and reload the snapshot instead.

#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) mod codec;
pub mod local;
