//! Brute-force and flood limits: login attempts per account (the normalised email) and
//! failed logins, successful logins and registrations per client address.
//!
//! Each limit is a token bucket in its GCRA form ([`keycard_core::gcra`]): `limit` attempts
//! per `window` is a bucket of `limit` attempts that refills one every `window / limit`.
//!
//! An attempt is charged when it is *checked*, before the password is verified, not when
//! it fails: otherwise a burst of parallel requests would all pass the check while their
//! hashes wait for a worker. [`Limiter::record_success`] then forgives the account
//! (its bucket is emptied of charges) and refunds the attempt to the address.
//!
//! Where the buckets live:
//!
//! - **In this process** ([`LocalLimiter`], `local.rs`), when the session store is SQLite
//!   or `memory:`: one instance, one count.
//! - **In the session store** (`shared.rs`), when it is Redis, Redis Cluster or PostgreSQL:
//!   every instance sharing it counts in the same buckets, one atomic call per check
//!   ([`SharedLimiter`]), so N instances allow what one would. Buckets are named by a keyed
//!   digest (`names.rs`); the buckets this instance saw refused in the last second are
//!   refused from memory (`refusals.rs`), so a flood does not cost a round trip per
//!   attempt. A store that does not answer refuses the attempt (503, never uncounted).
//!
//! Time is passed in as [`UnixTime`], from the service's clock, like every other rule;
//! nothing here sleeps or reads a clock.

use std::net::IpAddr;
use std::sync::Arc;

use keycard_core::UnixTime;
use keycard_core::key_record::MasterKey;
use keycard_core::store::SharedLimiter;
use keycard_core::user::Email;

use crate::error::AuthError;
use crate::settings::LimitSettings;

mod local;
mod names;
mod refusals;
mod shared;
mod table;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_shared;

pub use local::LocalLimiter;
use shared::SharedLimits;
pub use table::ip_key;

/// Which limit refused an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Too many login attempts on this account, from anywhere.
    Account,
    /// Too many failed logins from this address, on any accounts.
    Ip,
    /// Too many successful logins from this address.
    IpSuccesses,
    /// Too many registrations from this address.
    IpRegistrations,
}

/// An attempt refused: how long to wait before the next one can pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts ({limit:?} limit); retry after {secs}s")]
pub struct RetryAfter {
    /// Whole seconds to wait, at least 1.
    pub secs: u64,
    /// The limit that refused (the longer wait if several did). For logs, not for the
    /// client: naming it would tell an attacker which of the two to rotate.
    pub limit: Limit,
}

/// The limiter. One per service, shared by every request.
#[derive(Debug)]
pub struct Limiter(Counts);

// One per service, built once and never moved on a request's path: the size of the keyed
// hash's state in the shared variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Counts {
    Local(LocalLimiter),
    Shared(SharedLimits),
}

impl Limiter {
    /// Limits counted in this process only.
    pub fn new(settings: LimitSettings) -> Self {
        Self(Counts::Local(LocalLimiter::new(settings)))
    }

    /// Limits counted in `store`, shared with every instance that uses it. Buckets are
    /// named under a secret derived from `master` (every instance of a deployment holds the
    /// same); without one, under a fixed key (see `names.rs`).
    pub fn shared(
        settings: LimitSettings,
        store: Arc<dyn SharedLimiter>,
        master: Option<&MasterKey>,
    ) -> Self {
        Self(Counts::Shared(SharedLimits::new(settings, store, master)))
    }

    /// Whether the limits are shared with the other instances of the session store.
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Counts::Shared(_))
    }

    /// Whether shared buckets are named under a secret (always, for limits in-process).
    pub fn names_are_keyed(&self) -> bool {
        match &self.0 {
            Counts::Local(_) => true,
            Counts::Shared(shared) => shared.names_are_keyed(),
        }
    }

    /// The in-process limiter, when the limits are counted in-process (for tests and
    /// diagnostics).
    pub fn local(&self) -> Option<&LocalLimiter> {
        match &self.0 {
            Counts::Local(local) => Some(local),
            Counts::Shared(_) => None,
        }
    }

    /// Call before verifying a password. If both the account and the address have an
    /// attempt left, charges one to each and returns `Ok`; otherwise charges nothing and
    /// answers `Throttled` with how long to wait. `Unavailable` if the shared store does
    /// not answer.
    ///
    /// `ip` is the client's address; `None` (no address known, as when a router is driven
    /// without a socket) skips the address limit. `account` is the email as
    /// [`Email::parse`] normalised it; `None` (the email did not parse, so no account can
    /// match) skips the account limit, and the attempt still counts against the address.
    pub async fn check(
        &self,
        ip: Option<IpAddr>,
        account: Option<&Email>,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        match &self.0 {
            Counts::Local(local) => Ok(local.check(ip, account, now)?),
            Counts::Shared(shared) => shared.check(ip, account, now).await,
        }
    }

    /// Call after a correct password: the account's past failures are forgiven, and the
    /// attempt charged to the address by [`check`](Self::check) is refunded (that limit
    /// counts failures, so an office behind one NAT is not throttled by its own successful
    /// logins). A successful login is then charged to the address's own, larger limit, so
    /// a client holding a password cannot open sessions without bound; past it,
    /// `Throttled`.
    pub async fn record_success(
        &self,
        ip: Option<IpAddr>,
        account: &Email,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        match &self.0 {
            Counts::Local(local) => Ok(local.record_success(ip, account, now)?),
            Counts::Shared(shared) => shared.record_success(ip, account, now).await,
        }
    }

    /// Call before a registration does any work: charges one to the address, or answers
    /// `Throttled` with how long to wait.
    pub async fn check_registration(
        &self,
        ip: Option<IpAddr>,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        match &self.0 {
            Counts::Local(local) => Ok(local.check_registration(ip, now)?),
            Counts::Shared(shared) => shared.check_registration(ip, now).await,
        }
    }
}

fn retry(wait_ms: i64, limit: Limit) -> RetryAfter {
    RetryAfter {
        secs: u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1),
        limit,
    }
}
