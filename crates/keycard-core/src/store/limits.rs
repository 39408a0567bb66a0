//! Login and registration limits shared by every instance of a deployment: the buckets of
//! [`gcra`](crate::gcra) kept in the session store's backend (Redis, Redis Cluster or
//! PostgreSQL), so N instances behind a load balancer allow what one instance would, not
//! N times as much.
//!
//! One call is one atomic step on the backend (a Lua script, one SQL statement), so
//! concurrent attempts on one bucket, from any instances, are counted exactly. A call is a
//! list of [`Step`]s: the refunds and forgets are applied, then the charges, all or none.
//! That is what the in-process limiter does under its lock: a login is charged to its
//! account and to its address together, or to neither; a correct password forgives the
//! account, refunds the address and charges the address's successful logins in one step.
//!
//! Buckets are named by a [`BucketId`]: the limit and a keyed digest of what it counts,
//! never an email or an address in clear. Records expire by themselves once their bucket
//! is full again (a Redis TTL; PostgreSQL rows are swept by
//! [`sweep_full_buckets`](SharedLimiter::sweep_full_buckets)). Time is the caller's `now`,
//! as everywhere in the stores: the rule is the same one the in-process limiter applies.

use std::fmt;
use std::fmt::Write as _;

use async_trait::async_trait;

use super::StoreResult;
use crate::UnixTime;
use crate::gcra::Rate;

/// Which limit a bucket belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BucketKind {
    /// Login attempts on one account.
    Account,
    /// Failed logins from one address.
    IpFailures,
    /// Successful logins from one address.
    IpSuccesses,
    /// Registrations from one address.
    IpRegistrations,
}

impl BucketKind {
    /// The one-letter tag that starts a bucket's name.
    pub fn tag(self) -> char {
        match self {
            Self::Account => 'a',
            Self::IpFailures => 'f',
            Self::IpSuccesses => 's',
            Self::IpRegistrations => 'r',
        }
    }
}

/// A bucket in a shared store: its limit, and a keyed digest of what it counts (the
/// normalised email, the client address). The digest's key is shared by every instance, so
/// they all name one account's bucket alike; a reader of the store learns nothing from it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketId {
    kind: BucketKind,
    digest: [u8; 16],
}

impl BucketId {
    /// The bucket of `kind` for the counted thing whose keyed digest is `digest`.
    pub fn new(kind: BucketKind, digest: [u8; 16]) -> Self {
        Self { kind, digest }
    }

    /// Its limit.
    pub fn kind(&self) -> BucketKind {
        self.kind
    }

    /// Its name in a store: the kind's tag, a colon and the digest in lowercase hex
    /// (`a:0f3c…`): only `[a-z0-9:]`, so it fits in any key or column unescaped.
    pub fn name(&self) -> String {
        let mut name = String::with_capacity(2 + 32);
        name.push(self.kind.tag());
        name.push(':');
        for byte in self.digest {
            let _ = write!(name, "{byte:02x}");
        }
        name
    }
}

impl fmt::Debug for BucketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// What a step does to its bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Charge one attempt, if every charge of the call has room.
    Charge,
    /// Give one attempt back.
    Refund,
    /// Drop the bucket's state: it is full.
    Forget,
}

/// One bucket's part of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The bucket.
    pub bucket: BucketId,
    /// Its limit.
    pub rate: Rate,
    /// What to do.
    pub action: Action,
}

/// A backend that keeps limit buckets for every instance sharing it.
#[async_trait]
pub trait SharedLimiter: Send + Sync {
    /// One atomic step at `now`: every [`Refund`](Action::Refund) and
    /// [`Forget`](Action::Forget) is applied; then, if every [`Charge`](Action::Charge)'s
    /// bucket has room, each is charged, else none is. Returns each step's wait in
    /// milliseconds, in order: 0 for a refund, a forget, or a charge whose bucket had room
    /// (the call was allowed when every wait is 0). The buckets of one call are distinct.
    async fn apply(&self, steps: &[Step], now: UnixTime) -> StoreResult<Vec<i64>>;

    /// Deletes the records of buckets that are full at `now`, returning how many; a
    /// backend whose records expire by themselves returns 0.
    async fn sweep_full_buckets(&self, now: UnixTime) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_tag_and_the_digest_in_hex() {
        let id = BucketId::new(BucketKind::IpFailures, [0xab; 16]);
        assert_eq!(id.name(), format!("f:{}", "ab".repeat(16)));
        assert_eq!(format!("{id:?}"), id.name());
        let tags: Vec<char> = [
            BucketKind::Account,
            BucketKind::IpFailures,
            BucketKind::IpSuccesses,
            BucketKind::IpRegistrations,
        ]
        .map(BucketKind::tag)
        .to_vec();
        assert_eq!(tags, ['a', 'f', 's', 'r']);
    }
}
