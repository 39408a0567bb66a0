//! Following the revocation feed, so this instance's in-memory revocations are true:
//!
//! - [`follower`]: subscribe, load the store's live revocations, apply every event; on a
//!   lost subscription, the same again (why nothing is missed: [`keycard_core::store`]'s
//!   feed docs, and docs/ARCHITECTURE.md);
//! - heartbeats sent through the feed at a fixed interval ([`HEARTBEAT_EVERY`]), so every
//!   instance hears from the path even when nobody revokes anything;
//! - when the feed was last heard from, and whether memory may be trusted: the staleness
//!   rule of [`keycard_core::freshness`], kept in the service;
//! - [`log`]: the revocations applied here, numbered, for verifiers that follow this
//!   instance over `GET /v1/revocations`.
//!
//! Past the staleness bound without news, the service stops trusting memory: a bearer
//! token is checked against the store (its session must exist, its user must not be
//! disabled or logged out everywhere since it was issued), and when the store does not
//! answer either, the request is refused with 503.

pub mod follower;
pub mod log;

use std::time::Duration;

/// How often this instance sends a heartbeat through the feed.
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(250);
