//! The conformance suite against the in-memory backend.

use std::sync::Arc;

use keycard_store::memory::MemoryStore;

keycard_store::session_store_conformance!(async { Arc::new(MemoryStore::new()) });
keycard_store::sql_store_conformance!(async { Arc::new(MemoryStore::new()) });
