//! How the shared limiter names buckets: a keyed digest (HMAC-SHA256, truncated to 128 bits)
//! of the normalised email or of the address (an IPv4 address, an IPv6 /64), under a key
//! every instance of the deployment derives alike from the master key. The store that keeps
//! the buckets never holds an email or an address, and a reader of it cannot test guesses
//! without the master key.
//!
//! Without a master key there is no secret the instances share, and the digest falls back
//! to a key that is written here, so a reader of the store who guesses an email can confirm
//! it. The service says so at start; every deployment of several instances needs the
//! master key anyway, to share its signing keys (docs/CONFIG.md).

use std::fmt;
use std::net::IpAddr;

use aws_lc_rs::hmac;
use keycard_core::key_record::MasterKey;
use keycard_core::store::{BucketId, BucketKind};
use keycard_core::user::Email;

use super::table::ip_key;

/// What the master key's derived secret is for (a new purpose string gives new names).
const PURPOSE: &str = "keycard limiter bucket names v1";

/// Names buckets for one deployment.
pub(crate) struct BucketNames {
    key: hmac::Key,
    keyed: bool,
}

impl fmt::Debug for BucketNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketNames")
            .field("keyed", &self.keyed)
            .finish_non_exhaustive()
    }
}

impl BucketNames {
    /// Names keyed by `master`'s secret for this purpose, or by the public fallback key.
    pub(crate) fn new(master: Option<&MasterKey>) -> Self {
        match master {
            Some(master) => Self {
                key: hmac::Key::new(hmac::HMAC_SHA256, &master.derive(PURPOSE)),
                keyed: true,
            },
            None => Self {
                key: hmac::Key::new(hmac::HMAC_SHA256, PURPOSE.as_bytes()),
                keyed: false,
            },
        }
    }

    /// Whether the names are keyed by a secret.
    pub(crate) fn is_keyed(&self) -> bool {
        self.keyed
    }

    /// The bucket of `account`'s login attempts.
    pub(crate) fn account(&self, account: &Email) -> BucketId {
        self.name(BucketKind::Account, account.as_str().as_bytes())
    }

    /// The bucket of `kind` for the address `ip`.
    pub(crate) fn address(&self, kind: BucketKind, ip: IpAddr) -> BucketId {
        self.name(kind, &ip_key(ip).to_be_bytes())
    }

    fn name(&self, kind: BucketKind, subject: &[u8]) -> BucketId {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(&[u8::try_from(kind.tag()).unwrap_or(b'?')]);
        context.update(subject);
        let tag = context.sign();
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&tag.as_ref()[..16]);
        BucketId::new(kind, digest)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_are_shared_by_the_master_key_and_hide_what_they_count() {
        let master = MasterKey::new(&[3; 32]).unwrap();
        let (one, two) = (
            BucketNames::new(Some(&master)),
            BucketNames::new(Some(&MasterKey::new(&[3; 32]).unwrap())),
        );
        let alice = Email::parse("Alice@Example.com").unwrap();
        assert_eq!(one.account(&alice), two.account(&alice));
        assert!(one.is_keyed());
        let name = one.account(&alice).name();
        assert!(name.starts_with("a:") && !name.contains("alice"), "{name}");
        // Another deployment's master key names the same account otherwise.
        let other = BucketNames::new(Some(&MasterKey::new(&[4; 32]).unwrap()));
        assert_ne!(other.account(&alice), one.account(&alice));
        assert_ne!(BucketNames::new(None).account(&alice), one.account(&alice));
        assert!(!BucketNames::new(None).is_keyed());
    }

    #[test]
    fn an_address_has_one_bucket_per_limit_and_ipv6_counts_by_64() {
        let names = BucketNames::new(None);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let failures = names.address(BucketKind::IpFailures, ip);
        let successes = names.address(BucketKind::IpSuccesses, ip);
        assert_ne!(failures, successes);
        assert_eq!(failures.kind(), BucketKind::IpFailures);
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(names.address(BucketKind::IpFailures, mapped), failures);
        let (a, b): (IpAddr, IpAddr) = (
            "2001:db8:1:2::1".parse().unwrap(),
            "2001:db8:1:2:ffff::9".parse().unwrap(),
        );
        assert_eq!(
            names.address(BucketKind::IpFailures, a),
            names.address(BucketKind::IpFailures, b)
        );
    }
}
