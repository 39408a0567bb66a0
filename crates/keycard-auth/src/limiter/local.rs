//! The in-process limiter: the four limits as bucket tables in this process's memory. It
//! is the whole limiter of a single instance (SQLite, `memory:`), and the rule a shared
//! store applies for a fleet is the same ([`keycard_core::gcra`]).
//!
//! Memory is bounded: each table holds at most [`LimitSettings::max_entries`]. When a table
//! is full, full buckets go first (nothing is lost); if it is still more than three
//! quarters full, the buckets nearest to full go next (the least evidence of an attack),
//! so an attacker spraying random emails or addresses cannot grow memory, and evicts the
//! buckets of the accounts under attack last. Accounts are keyed by a keyed hash of the
//! email (no address is kept in memory); IPv6 clients by their /64, which one host
//! usually owns whole.

use std::hash::{BuildHasher as _, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use keycard_core::UnixTime;
use keycard_core::gcra::{Rate, millis};
use keycard_core::user::Email;

use super::table::{Table, ip_key};
use super::{Limit, RetryAfter, retry};
use crate::settings::LimitSettings;

/// The in-process limiter. Cheap to call: one lock, a few hash lookups.
#[derive(Debug)]
pub struct LocalLimiter {
    settings: LimitSettings,
    hasher: RandomState,
    tables: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    accounts: Table<u64>,
    failures: Table<u128>,
    successes: Table<u128>,
    registrations: Table<u128>,
}

impl LocalLimiter {
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
    /// `ip` is the client's address; `None` (no address known, as when a router is driven
    /// without a socket) skips the address limit. `account` is the email as
    /// [`Email::parse`] normalised it; `None` (the email did not parse, so no account can
    /// match) skips the account limit, and the attempt still counts against the address.
    pub fn check(
        &self,
        ip: Option<IpAddr>,
        account: Option<&Email>,
        now: UnixTime,
    ) -> Result<(), RetryAfter> {
        let account_key = account.map(|account| self.account_key(account));
        let per_account = account_key.zip(self.rate(self.settings.login_per_account));
        let per_ip = ip
            .map(ip_key)
            .zip(self.rate(self.settings.login_failures_per_ip));
        let now = millis(now);
        let mut tables = self.lock();
        let account_wait =
            per_account.map_or(0, |(key, rate)| tables.accounts.wait(key, rate, now));
        let ip_wait = per_ip.map_or(0, |(key, rate)| tables.failures.wait(key, rate, now));
        if account_wait > 0 || ip_wait > 0 {
            return Err(if account_wait >= ip_wait {
                retry(account_wait, Limit::Account)
            } else {
                retry(ip_wait, Limit::Ip)
            });
        }
        let max = self.settings.max_entries;
        if let Some((key, rate)) = per_account {
            tables.accounts.charge(key, rate, now, max);
        }
        if let Some((key, rate)) = per_ip {
            tables.failures.charge(key, rate, now, max);
        }
        Ok(())
    }

    /// Call after a correct password: the account's past failures are forgiven, and the
    /// attempt charged to the address by [`check`](Self::check) is refunded (that limit
    /// counts failures, so an office behind one NAT is not throttled by its own successful
    /// logins). A successful login is then charged to the address's own, larger limit, so
    /// a client holding a password cannot open sessions without bound; past it, `Err`.
    pub fn record_success(
        &self,
        ip: Option<IpAddr>,
        account: &Email,
        now: UnixTime,
    ) -> Result<(), RetryAfter> {
        let account_key = self.account_key(account);
        let now = millis(now);
        let mut tables = self.lock();
        tables.accounts.forget(account_key);
        if let Some((ip, rate)) = ip.zip(self.rate(self.settings.login_failures_per_ip)) {
            tables.failures.refund(ip_key(ip), rate, now);
        }
        let max = self.settings.max_entries;
        if let Some((key, rate)) = ip
            .map(ip_key)
            .zip(self.rate(self.settings.login_successes_per_ip))
        {
            let wait = tables.successes.wait(key, rate, now);
            if wait > 0 {
                return Err(retry(wait, Limit::IpSuccesses));
            }
            tables.successes.charge(key, rate, now, max);
        }
        Ok(())
    }

    /// Call before a registration does any work: charges one to the address, or says how
    /// long to wait.
    pub fn check_registration(&self, ip: Option<IpAddr>, now: UnixTime) -> Result<(), RetryAfter> {
        let Some((key, rate)) = ip
            .map(ip_key)
            .zip(self.rate(self.settings.registrations_per_ip))
        else {
            return Ok(());
        };
        let now = millis(now);
        let mut tables = self.lock();
        let wait = tables.registrations.wait(key, rate, now);
        if wait > 0 {
            return Err(retry(wait, Limit::IpRegistrations));
        }
        tables
            .registrations
            .charge(key, rate, now, self.settings.max_entries);
        Ok(())
    }

    /// The number of entries held (accounts, failing addresses): for tests and
    /// diagnostics.
    pub fn len(&self) -> (usize, usize) {
        let tables = self.lock();
        (tables.accounts.len(), tables.failures.len())
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
        Rate::per_window(limit, self.settings.window.get())
    }
}
