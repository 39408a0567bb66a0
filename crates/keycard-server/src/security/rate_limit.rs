//! Brute-force limits on login: per account (the normalised email) and per client address.
//!
//! Each limit is a token bucket in its GCRA form ("generic cell rate algorithm", as in
//! `governor` or `redis-cell`): `limit` attempts per `window` means a bucket of `limit`
//! attempts that refills one every `window / limit`. The whole state of a bucket is one
//! number, the time at which it will be full again (`full_at`), so an entry costs 16 bytes
//! and an entry whose `full_at` has passed holds no information at all and can be dropped.
//!
//! An attempt is charged when it is *checked*, before the password is verified, not when
//! it fails: otherwise a burst of parallel requests would all pass the check while their
//! hashes wait for a worker. [`LoginLimiter::record_success`] then forgives the account
//! (its bucket is emptied of charges) and refunds the attempt to the address.
//!
//! Memory is bounded: each table holds at most [`LimitSettings::max_entries`]. When a table
//! is full, full buckets go first (nothing is lost); if it is still more than three
//! quarters full, the buckets nearest to full go next (the least evidence of an attack),
//! so an attacker spraying random emails or addresses cannot grow memory, and evicts the
//! buckets of the accounts under attack last. Accounts are keyed by a keyed hash of the
//! email (no address is kept in memory); IPv6 clients by their /64, which one host
//! usually owns whole.
//!
//! Time is passed in as [`UnixTime`], from the state's clock, like every other rule of the
//! server; nothing here sleeps or reads a clock.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hash, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use keycard_core::UnixTime;
use keycard_core::user::Email;

use crate::config::Settings;

/// The default bound on the entries of each table (accounts, addresses): about 2 MB each.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// The limits, from [`Settings`] (`login_limit_*`). A limit of 0 is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitSettings {
    /// Attempts per account per window.
    pub per_account: u32,
    /// Attempts per client address (IPv4 address, IPv6 /64) per window.
    pub per_ip: u32,
    /// The window, in seconds.
    pub window_secs: u64,
    /// The most entries each table keeps.
    pub max_entries: usize,
}

impl LimitSettings {
    /// The limits configured in `settings`, with [`DEFAULT_MAX_ENTRIES`].
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            per_account: settings.login_limit_per_account,
            per_ip: settings.login_limit_per_ip,
            window_secs: settings.login_limit_window.get(),
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

/// Which limit refused an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Too many attempts on this account, from anywhere.
    Account,
    /// Too many attempts from this address, on any accounts.
    Ip,
}

/// An attempt refused: how long to wait before the next one can pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many login attempts ({limit:?} limit); retry after {secs}s")]
pub struct RetryAfter {
    /// Whole seconds to wait, at least 1.
    pub secs: u64,
    /// The limit that refused (the longer wait if both did). For logs, not for the client.
    pub limit: Limit,
}

/// The login limiter. One per server, shared by every request; cheap to call.
#[derive(Debug)]
pub struct LoginLimiter {
    settings: LimitSettings,
    hasher: RandomState,
    tables: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    accounts: Table<u64>,
    ips: Table<u128>,
}

impl LoginLimiter {
    /// A limiter with empty tables.
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            settings,
            hasher: RandomState::new(),
            tables: Mutex::default(),
        }
    }

    /// The limits in force.
    pub fn settings(&self) -> &LimitSettings {
        &self.settings
    }

    /// Call before verifying a password. If both the account and the address have an
    /// attempt left, charges one to each and returns `Ok`; otherwise charges nothing and
    /// says how long to wait.
    ///
    /// `ip` is the peer address of the connection; `None` (no address known, as when a
    /// router is driven without a socket) skips the address limit. `account` is the email
    /// as [`Email::parse`] normalised it; `None` (the email did not parse, so no account
    /// can match) skips the account limit, and the attempt still counts against the
    /// address.
    pub fn check(
        &self,
        ip: Option<IpAddr>,
        account: Option<&Email>,
        now: UnixTime,
    ) -> Result<(), RetryAfter> {
        let account_key = account.map(|account| self.account_key(account));
        let ip_key = ip.map(ip_key);
        let per_account = account_key.zip(self.rate(self.settings.per_account));
        let per_ip = ip_key.zip(self.rate(self.settings.per_ip));
        let now = millis(now);
        let mut tables = self.lock();
        let account_wait =
            per_account.map_or(0, |(key, rate)| tables.accounts.wait(key, rate, now));
        let ip_wait = per_ip.map_or(0, |(key, rate)| tables.ips.wait(key, rate, now));
        if account_wait > 0 || ip_wait > 0 {
            let (wait, limit) = if account_wait >= ip_wait {
                (account_wait, Limit::Account)
            } else {
                (ip_wait, Limit::Ip)
            };
            return Err(RetryAfter {
                secs: u64::try_from(wait).unwrap_or(0).div_ceil(1000).max(1),
                limit,
            });
        }
        let max = self.settings.max_entries;
        if let Some((key, rate)) = per_account {
            tables.accounts.charge(key, rate, now, max);
        }
        if let Some((key, rate)) = per_ip {
            tables.ips.charge(key, rate, now, max);
        }
        Ok(())
    }

    /// Call after a correct password: the account's past failures are forgiven, and the
    /// attempt charged to the address by [`check`](Self::check) is refunded (the address
    /// limit counts failures, so an office behind one NAT is not throttled by its own
    /// successful logins). A wrong password needs no call: [`check`](Self::check) already
    /// charged it.
    pub fn record_success(&self, ip: Option<IpAddr>, account: &Email, now: UnixTime) {
        let account_key = self.account_key(account);
        let now = millis(now);
        let mut tables = self.lock();
        tables.accounts.forget(account_key);
        if let Some((ip, rate)) = ip.zip(self.rate(self.settings.per_ip)) {
            tables.ips.refund(ip_key(ip), rate, now);
        }
    }

    /// The number of entries held (accounts, addresses): for tests and diagnostics.
    pub fn len(&self) -> (usize, usize) {
        let tables = self.lock();
        (tables.accounts.len(), tables.ips.len())
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    /// A panic while the lock was held cannot leave a table half-changed (each change is
    /// one insert or remove), so a poisoned lock is still used.
    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn account_key(&self, account: &Email) -> u64 {
        self.hasher.hash_one(account.as_str())
    }

    fn rate(&self, limit: u32) -> Option<Rate> {
        (limit > 0).then(|| {
            let window =
                i64::try_from(self.settings.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            Rate {
                window,
                interval: (window / i64::from(limit)).max(1),
            }
        })
    }
}

/// A limit in milliseconds: a bucket of `window / interval` attempts, refilled one every
/// `interval`.
#[derive(Clone, Copy, Debug)]
struct Rate {
    window: i64,
    interval: i64,
}

/// Buckets by key: the time (ms) each is full again. Absent means full.
#[derive(Debug)]
struct Table<K> {
    full_at: HashMap<K, i64>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Self {
            full_at: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Copy> Table<K> {
    fn len(&self) -> usize {
        self.full_at.len()
    }

    /// Milliseconds until `key` may be charged once more; 0 if it may now.
    fn wait(&self, key: K, rate: Rate, now: i64) -> i64 {
        let full_at = self.full_at.get(&key).map_or(now, |&at| at.max(now));
        (full_at + rate.interval - rate.window - now).max(0)
    }

    /// Charges one attempt to `key` (which [`wait`](Self::wait) allowed).
    fn charge(&mut self, key: K, rate: Rate, now: i64, max_entries: usize) {
        if !self.full_at.contains_key(&key) && self.full_at.len() >= max_entries {
            self.evict(now, max_entries);
        }
        let full_at = self.full_at.entry(key).or_insert(now);
        *full_at = (*full_at).max(now) + rate.interval;
    }

    /// Gives back one attempt to `key`.
    fn refund(&mut self, key: K, rate: Rate, now: i64) {
        if let Some(full_at) = self.full_at.get_mut(&key) {
            *full_at -= rate.interval;
            if *full_at <= now {
                self.full_at.remove(&key);
            }
        }
    }

    fn forget(&mut self, key: K) {
        self.full_at.remove(&key);
    }

    /// Makes room: drops the full buckets, then, while more than three quarters of
    /// `max_entries` remain, the buckets nearest to full. Leaving a quarter free keeps the
    /// cost of this pass amortised over the inserts that refill it.
    fn evict(&mut self, now: i64, max_entries: usize) {
        self.full_at.retain(|_, full_at| *full_at > now);
        let keep = max_entries / 4 * 3;
        if self.full_at.len() <= keep {
            return;
        }
        let mut times: Vec<i64> = self.full_at.values().copied().collect();
        let drop = times.len() - keep;
        let (_, &mut threshold, _) = times.select_nth_unstable(drop - 1);
        self.full_at.retain(|_, full_at| *full_at > threshold);
        tracing::warn!(
            kept = self.full_at.len(),
            max_entries,
            "login limiter table full: forgot the buckets nearest to full (many distinct accounts or addresses are failing logins)"
        );
    }
}

fn millis(now: UnixTime) -> i64 {
    now.as_secs().saturating_mul(1000)
}

/// An IPv4 address as itself (IPv4-mapped IPv6 included); an IPv6 address by its /64.
fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_bits()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(v4.to_bits()),
            None => v6.to_bits() & !u128::from(u64::MAX),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn defaults() -> LoginLimiter {
        LoginLimiter::new(LimitSettings {
            per_account: 5,
            per_ip: 50,
            window_secs: 900,
            max_entries: DEFAULT_MAX_ENTRIES,
        })
    }

    /// One login attempt from `from` on `account` at `secs` after T0.
    fn attempt(
        limiter: &LoginLimiter,
        from: &str,
        account: &str,
        secs: i64,
    ) -> Result<(), RetryAfter> {
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
        assert_eq!(ip_key(ip("::ffff:192.0.2.1")), ip_key(ip("192.0.2.1")));
    }

    #[test]
    fn success_forgives_the_account_and_refunds_the_address() {
        let limiter = defaults();
        for n in 0..5 {
            attempt(&limiter, HOME, ALICE, n).unwrap();
        }
        limiter.record_success(Some(ip(HOME)), &email(ALICE), at(4));
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
            limiter.record_success(Some(ip(office)), &email(&user), at(0));
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
        let limiter = LoginLimiter::new(LimitSettings {
            per_account: 0,
            per_ip: 0,
            ..*defaults().settings()
        });
        for n in 0..1000 {
            assert_eq!(attempt(&limiter, HOME, ALICE, n % 3), Ok(()));
        }
        assert!(limiter.is_empty());
    }

    #[test]
    fn the_tables_stay_bounded_and_keep_the_accounts_under_attack() {
        let limiter = LoginLimiter::new(LimitSettings {
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
        let limiter = LoginLimiter::new(LimitSettings {
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
    fn the_settings_feed_the_limits() {
        use crate::config::{ServeArgs, Settings};

        let limits =
            LimitSettings::from_settings(&Settings::resolve(ServeArgs::default()).unwrap());
        assert_eq!(
            (limits.per_account, limits.per_ip, limits.window_secs),
            (5, 50, 900)
        );

        let file = ServeArgs::from_toml(
            "login_limit_per_account = 3\nlogin_limit_per_ip = 0\nlogin_limit_window = \"1h\"",
        )
        .unwrap();
        let limits = LimitSettings::from_settings(&Settings::resolve(file).unwrap());
        assert_eq!(
            (limits.per_account, limits.per_ip, limits.window_secs),
            (3, 0, 3600)
        );

        for bad in [
            "login_limit_window = 0",
            "login_limit_window = \"2d\"",
            "login_limit_per_ip = 100001",
        ] {
            let args = ServeArgs::from_toml(bad).unwrap();
            assert!(Settings::resolve(args).is_err(), "{bad}");
        }
    }
}
