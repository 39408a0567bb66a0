//! What Keycard asks of a store, as traits; the backends (memory, SQLite, PostgreSQL,
//! Redis) live in `keycard-store`, and one conformance suite holds them to these contracts.
//!
//! Loads return `Ok(None)` for a missing or expired record: absence is an answer, not an
//! error. Time is always passed in (`now`), so expiry is tested with a controlled clock.
//! No store ever sees a raw token, only [`TokenDigest`](crate::opaque::TokenDigest)s.

mod error;
mod feed;
mod limits;
mod traits;

pub use error::{StoreError, StoreResult};
pub use feed::{FeedEvent, FeedSubscription, RevocationFeed};
pub use limits::{Action, BucketId, BucketKind, SharedLimiter, Step};
pub use traits::{
    AuditStore, HashSwap, KeyStore, RevocationStore, Rotation, SessionStore, UserStore,
};
