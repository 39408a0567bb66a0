//! Revocation feeds ([`keycard_core::store::RevocationFeed`]): how a revocation recorded by
//! one instance reaches the others.
//!
//! - [`local::LocalFeed`]: an in-process channel, for the memory store and for one process
//!   on its own.

pub mod local;
