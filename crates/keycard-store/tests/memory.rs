//! The conformance suite against the in-memory backend.

use std::sync::Arc;

use keycard_store::conformance::feed::{FeedPair, Instance, PublishTime};
use keycard_store::memory::MemoryStore;

keycard_store::session_store_conformance!(async { Arc::new(MemoryStore::new()) });
keycard_store::sql_store_conformance!(async { Arc::new(MemoryStore::new()) });

// One process: both instances share the store and its in-process feed.
keycard_store::feed_conformance!(async {
    let store = Arc::new(MemoryStore::new());
    let feed: Arc<dyn keycard_core::store::RevocationFeed> =
        Arc::new(keycard_store::feed::local::LocalFeed::new());
    let instance = || Instance {
        revocations: store.clone(),
        feed: feed.clone(),
    };
    FeedPair {
        one: instance(),
        two: instance(),
        publish_time: PublishTime::AsPublished,
    }
});
