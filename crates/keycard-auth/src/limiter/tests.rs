//! The limiter's rules, at fixed instants.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use keycard_core::UnixTime;
use keycard_core::user::Email;

use super::{Limit, LocalLimiter, RetryAfter};
use crate::settings::{AuthSettings, LimitSettings, Seconds};

const T0: i64 = 1_800_000_000;

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(T0 + secs)
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn v4(bits: u32) -> IpAddr {
    IpAddr::V4(bits.into())
}

/// The defaults: 5 per account and 50 per address per 15 minutes.
fn defaults() -> LocalLimiter {
    LocalLimiter::new(LimitSettings {
        login_per_account: 5,
        login_failures_per_ip: 50,
        login_successes_per_ip: 0,
        registrations_per_ip: 10,
        window: Seconds::new(900),
        max_entries: 100_000,
    })
}

/// One login attempt from `from` on `account` at `secs` after T0.
fn attempt(limiter: &LocalLimiter, from: &str, account: &str, secs: i64) -> Result<(), RetryAfter> {
    limiter.check(Some(ip(from)), Some(&email(account)), at(secs))
}

fn refused(limit: Limit, secs: u64) -> Result<(), RetryAfter> {
    Err(RetryAfter { secs, limit })
}

const ALICE: &str = "alice@example.com";
const HOME: &str = "192.0.2.1";

#[test]
fn an_account_is_throttled_after_its_limit_and_told_how_long() {
    let limiter = defaults();
    for n in 0..5 {
        assert_eq!(attempt(&limiter, HOME, ALICE, n), Ok(()), "attempt {n}");
    }
    // The bucket refills one attempt every 900 / 5 = 180 s from the first charge.
    assert_eq!(
        attempt(&limiter, HOME, ALICE, 10),
        refused(Limit::Account, 170)
    );
    // From another address too: the limit is the account's.
    assert_eq!(
        attempt(&limiter, "198.51.100.7", ALICE, 10),
        refused(Limit::Account, 170)
    );
    // A refused attempt is not charged: the wait does not grow.
    assert_eq!(
        attempt(&limiter, HOME, ALICE, 11),
        refused(Limit::Account, 169)
    );
    // Other accounts are unaffected.
    assert_eq!(attempt(&limiter, HOME, "bob@example.com", 10), Ok(()));
    // After the wait, exactly one more attempt.
    assert_eq!(attempt(&limiter, HOME, ALICE, 180), Ok(()));
    assert_eq!(
        attempt(&limiter, HOME, ALICE, 181),
        refused(Limit::Account, 179)
    );
}

#[test]
fn the_account_key_is_the_normalised_email() {
    let limiter = defaults();
    for n in 0..5 {
        attempt(&limiter, HOME, ALICE, n).unwrap();
    }
    assert!(attempt(&limiter, HOME, "  ALICE@Example.COM ", 5).is_err());
}

#[test]
fn an_address_is_throttled_across_many_accounts() {
    let limiter = defaults();
    let sprayer = "203.0.113.9";
    for n in 0..50 {
        let victim = format!("user{n}@example.com");
        assert_eq!(
            attempt(&limiter, sprayer, &victim, 0),
            Ok(()),
            "account {n}"
        );
    }
    // 900 / 50 = 18 s per attempt.
    assert_eq!(
        attempt(&limiter, sprayer, "user50@example.com", 0),
        refused(Limit::Ip, 18)
    );
    // Another address may still try that account.
    assert_eq!(
        attempt(&limiter, "203.0.113.10", "user50@example.com", 0),
        Ok(())
    );
}

#[test]
fn ipv6_clients_are_limited_by_their_64_and_mapped_ipv4_as_ipv4() {
    let limiter = defaults();
    for n in 0..50 {
        attempt(
            &limiter,
            &format!("2001:db8:1:2::{n:x}"),
            &format!("u{n}@example.com"),
            0,
        )
        .unwrap();
    }
    assert_eq!(
        attempt(&limiter, "2001:db8:1:2:ffff::1", "x@example.com", 0),
        refused(Limit::Ip, 18)
    );
    assert_eq!(
        attempt(&limiter, "2001:db8:1:3::1", "x@example.com", 0),
        Ok(())
    );
    assert_eq!(
        super::table::ip_key(ip("::ffff:192.0.2.1")),
        super::table::ip_key(ip("192.0.2.1"))
    );
}

#[test]
fn success_forgives_the_account_and_refunds_the_address() {
    let limiter = defaults();
    for n in 0..5 {
        attempt(&limiter, HOME, ALICE, n).unwrap();
    }
    limiter
        .record_success(Some(ip(HOME)), &email(ALICE), at(4))
        .unwrap();
    for n in 0..5 {
        assert_eq!(
            attempt(&limiter, HOME, ALICE, 5 + n),
            Ok(()),
            "fresh bucket, attempt {n}"
        );
    }
    assert!(attempt(&limiter, HOME, ALICE, 10).is_err());

    // Successful logins behind one NAT, however many, never throttle the address.
    let limiter = defaults();
    let office = "198.51.100.1";
    for n in 0..200 {
        let user = format!("staff{n}@example.com");
        assert_eq!(attempt(&limiter, office, &user, 0), Ok(()), "login {n}");
        limiter
            .record_success(Some(ip(office)), &email(&user), at(0))
            .unwrap();
    }
    assert!(limiter.is_empty(), "{:?}", limiter.len());
}

#[test]
fn buckets_refill_over_the_window() {
    let limiter = defaults();
    for n in 0..5 {
        attempt(&limiter, HOME, ALICE, n).unwrap();
    }
    assert!(attempt(&limiter, HOME, ALICE, 60).is_err());
    // A whole window after the last attempt the bucket is full again: five attempts.
    for n in 0..5 {
        assert_eq!(attempt(&limiter, HOME, ALICE, 904 + n), Ok(()), "{n}");
    }
    assert!(attempt(&limiter, HOME, ALICE, 910).is_err());
}

#[test]
fn an_unknown_address_or_unparsable_email_skips_that_limit_only() {
    let limiter = defaults();
    let alice = email(ALICE);
    for n in 0..5 {
        limiter.check(None, Some(&alice), at(n)).unwrap();
    }
    assert_eq!(
        limiter.check(None, Some(&alice), at(5)),
        refused(Limit::Account, 175)
    );
    for _ in 0..50 {
        limiter.check(Some(ip(HOME)), None, at(0)).unwrap();
    }
    assert_eq!(
        limiter.check(Some(ip(HOME)), None, at(0)),
        refused(Limit::Ip, 18)
    );
    assert_eq!(limiter.len(), (1, 1));
}

#[test]
fn a_limit_of_zero_is_off() {
    let limiter = LocalLimiter::new(LimitSettings {
        login_per_account: 0,
        login_failures_per_ip: 0,
        ..*defaults().settings()
    });
    for n in 0..1000 {
        assert_eq!(attempt(&limiter, HOME, ALICE, n % 3), Ok(()));
    }
    assert!(limiter.is_empty());
}

#[test]
fn the_tables_stay_bounded_and_keep_the_accounts_under_attack() {
    let limiter = LocalLimiter::new(LimitSettings {
        max_entries: 1000,
        ..*defaults().settings()
    });
    let (victim, attacker) = ("victim@example.com", "192.0.2.66");
    for n in 0..4 {
        attempt(&limiter, attacker, victim, n).unwrap();
    }
    // A spray of random accounts from random addresses, one attempt each.
    for n in 0..10_000u32 {
        let random = email(&format!("r{n}@example.net"));
        limiter
            .check(Some(v4(0x0a00_0000 + n)), Some(&random), at(10))
            .unwrap();
        let (accounts, ips) = limiter.len();
        assert!(accounts <= 1000 && ips <= 1000, "{accounts} {ips}");
    }
    // The victim's bucket (4 of 5 used) outlived the spray: one attempt left.
    assert_eq!(attempt(&limiter, attacker, victim, 11), Ok(()));
    assert_eq!(
        attempt(&limiter, attacker, victim, 11),
        refused(Limit::Account, 169)
    );
}

#[test]
fn full_buckets_are_dropped_first() {
    let limiter = LocalLimiter::new(LimitSettings {
        max_entries: 100,
        ..*defaults().settings()
    });
    for n in 0..100u32 {
        let old = email(&format!("old{n}@example.com"));
        limiter
            .check(Some(v4(n)), Some(&old), at(n.into()))
            .unwrap();
    }
    assert_eq!(limiter.len(), (100, 100));
    // An hour later every old bucket is full again: the next insert drops them all.
    attempt(&limiter, HOME, "new@example.com", 3600).unwrap();
    assert_eq!(limiter.len(), (1, 1));
}

#[test]
fn the_default_settings_feed_the_limits() {
    let limits = AuthSettings::new("https://auth.example").limits;
    assert_eq!(
        (
            limits.login_per_account,
            limits.login_failures_per_ip,
            limits.login_successes_per_ip,
            limits.registrations_per_ip,
            limits.window.get()
        ),
        (5, 50, 100, 10, 900)
    );
}

#[test]
fn successful_logins_from_one_address_are_bounded() {
    let limiter = LocalLimiter::new(LimitSettings {
        login_successes_per_ip: 3,
        ..*defaults().settings()
    });
    for n in 0..3 {
        let user = email(&format!("u{n}@example.com"));
        attempt(&limiter, HOME, user.as_str(), 0).unwrap();
        assert_eq!(limiter.record_success(Some(ip(HOME)), &user, at(0)), Ok(()));
    }
    attempt(&limiter, HOME, ALICE, 0).unwrap();
    assert_eq!(
        limiter.record_success(Some(ip(HOME)), &email(ALICE), at(0)),
        refused(Limit::IpSuccesses, 300)
    );
    // Another address is not affected.
    assert_eq!(
        limiter.record_success(Some(ip("192.0.2.2")), &email(ALICE), at(0)),
        Ok(())
    );
}

#[test]
fn registrations_from_one_address_are_bounded() {
    let limiter = defaults();
    for n in 0..10 {
        assert_eq!(
            limiter.check_registration(Some(ip(HOME)), at(n)),
            Ok(()),
            "{n}"
        );
    }
    assert_eq!(
        limiter.check_registration(Some(ip(HOME)), at(10)),
        refused(Limit::IpRegistrations, 80)
    );
    assert_eq!(
        limiter.check_registration(Some(ip("192.0.2.2")), at(10)),
        Ok(())
    );
    assert_eq!(limiter.check_registration(None, at(10)), Ok(()));
}
