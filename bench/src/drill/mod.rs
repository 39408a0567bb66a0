//! Fault drills: Keycard under load while what it depends on fails.
//!
//! - [`outage`]: PostgreSQL or Redis stopped and started again under mixed load, in each
//!   mode. During the outage every answer is served or 503 with `Retry-After` (never
//!   another 5xx, never a hang), a logged-out credential is never accepted, and once the
//!   store is back the same server process serves again.
//! - [`crash`]: `keycard serve` killed with SIGKILL under mixed load on SQLite, PostgreSQL
//!   or PostgreSQL + Redis, then started again: every acknowledged user, session, logout
//!   and refresh rotation is found as the client was told.
//! - [`slow`]: clients that send their headers a byte at a time hold every connection the
//!   server allows while other clients are served.
//!
//! `bench/faults/run.sh` runs them at length (release build); `bench/tests/faults.rs`
//! runs each briefly in CI. Everything runs on loopback: the stores are private servers
//! in scratch directories ([`services`]), the server a child process ([`server`]).

// A drill measures wall time.
#![allow(clippy::disallowed_methods)]

pub mod client;
pub mod crash;
pub mod load;
pub mod outage;
pub mod server;
pub mod services;
pub mod slow;
pub mod tally;

use std::fmt;

/// A drill that could not run (a store or the server would not start), as opposed to one
/// that ran and found violations.
#[derive(Debug)]
pub struct DrillError(String);

impl DrillError {
    /// An error saying `what`.
    pub fn new(what: impl Into<String>) -> Self {
        Self(what.into())
    }
}

impl fmt::Display for DrillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DrillError {}

impl From<std::io::Error> for DrillError {
    fn from(error: std::io::Error) -> Self {
        Self(error.to_string())
    }
}

/// Settings every drill gives the server: login and registration limits far above what
/// the load sends (the limits stay on, so their store is exercised too).
pub fn generous_limits() -> Vec<String> {
    [
        "--login-limit-per-account=100000",
        "--login-limit-per-ip=100000",
        "--login-success-limit-per-ip=100000",
        "--registration-limit-per-ip=100000",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A tag for this run's emails, so reruns against kept stores never collide.
pub fn run_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{:x}{nanos:x}", std::process::id())
}
