//! # keycard-store
//!
//! Where Keycard's state lives. Each backend implements the store traits of
//! [`keycard_core::store`] and owns its schema; the shared conformance suite holds every
//! backend to the same contracts (`conformance`, behind the feature of that name).
//!
//! | backend | feature | holds |
//! |---|---|---|
//! | [`memory::MemoryStore`] | `memory` | everything (tests, trying Keycard out) |
//! | [`sqlite::SqliteStore`] | `sqlite` (default) | everything, in one file (one instance; WAL, durable at every acknowledged write) |
//! | `postgres::PostgresStore` | `postgres` | everything, shared by several instances (one schema, or one per test) |
//! | `redis::RedisStore` | `redis` | sessions, refresh families and revocations only (standalone Redis or Redis Cluster; users, keys and audit stay in SQL) |
//!
//! ```
//! use keycard_core::store::UserStore;
//! use keycard_core::user::{Email, PasswordHash, User};
//! use keycard_core::UnixTime;
//! use keycard_store::memory::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
//! let alice = User::new(Email::parse("Alice@Example.com")?, hash, UnixTime::from_secs(0))?;
//! store.create_user(&alice).await?;
//! let found = store.load_user_by_email(&Email::parse("alice@example.com")?).await?;
//! assert_eq!(found.map(|u| u.id), Some(alice.id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod feed;
pub mod key_vault;
#[cfg(feature = "memory")]
pub mod memory;
pub mod open;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "memory", feature = "sqlite", feature = "postgres"))]
mod rotation;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod sweeper;
