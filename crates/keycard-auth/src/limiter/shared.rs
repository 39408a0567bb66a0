//! The limits of a fleet: the same four limits as [`LocalLimiter`](super::LocalLimiter),
//! counted in the store every instance shares ([`SharedLimiter`]), one atomic call per
//! check, with the [`Refusals`] of this process in front.
//!
//! The calls mirror the in-process limiter step for step, so a fleet and a single instance
//! apply one rule: a login charges its account and its address together or not at all
//! (before the password is checked); a correct password forgives the account, refunds the
//! address and charges the address's successful logins in one call; a registration charges
//! its address. A store that does not answer refuses the attempt (`Unavailable`, the
//! server's 503 with `Retry-After`): an attempt is never let through uncounted.

use std::net::IpAddr;
use std::sync::Arc;

use keycard_core::UnixTime;
use keycard_core::gcra::{Rate, millis};
use keycard_core::key_record::MasterKey;
use keycard_core::store::{Action, BucketId, BucketKind, SharedLimiter, Step};
use keycard_core::user::Email;

use super::names::BucketNames;
use super::refusals::Refusals;
use super::{Limit, retry};
use crate::error::AuthError;
use crate::settings::LimitSettings;

/// The shared limits, as one instance uses them.
pub(crate) struct SharedLimits {
    settings: LimitSettings,
    store: Arc<dyn SharedLimiter>,
    names: BucketNames,
    refusals: Refusals,
}

impl std::fmt::Debug for SharedLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLimits")
            .field("settings", &self.settings)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl SharedLimits {
    pub(crate) fn new(
        settings: LimitSettings,
        store: Arc<dyn SharedLimiter>,
        master: Option<&MasterKey>,
    ) -> Self {
        Self {
            settings,
            store,
            names: BucketNames::new(master),
            refusals: Refusals::default(),
        }
    }

    pub(crate) fn names_are_keyed(&self) -> bool {
        self.names.is_keyed()
    }

    /// As [`LocalLimiter::check`](super::LocalLimiter::check).
    pub(crate) async fn check(
        &self,
        ip: Option<IpAddr>,
        account: Option<&Email>,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        let mut steps = Vec::with_capacity(2);
        if let Some((account, rate)) = account.zip(self.rate(self.settings.login_per_account)) {
            steps.push(step(self.names.account(account), rate, Action::Charge));
        }
        if let Some((ip, rate)) = ip.zip(self.rate(self.settings.login_failures_per_ip)) {
            let bucket = self.names.address(BucketKind::IpFailures, ip);
            steps.push(step(bucket, rate, Action::Charge));
        }
        self.charge(&steps, now).await
    }

    /// As [`LocalLimiter::record_success`](super::LocalLimiter::record_success), in one
    /// call. The refusals this instance remembers for the account and the address are
    /// dropped: it has just given them room.
    pub(crate) async fn record_success(
        &self,
        ip: Option<IpAddr>,
        account: &Email,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        let mut steps = Vec::with_capacity(3);
        if let Some(rate) = self.rate(self.settings.login_per_account) {
            steps.push(step(self.names.account(account), rate, Action::Forget));
        }
        if let Some((ip, rate)) = ip.zip(self.rate(self.settings.login_failures_per_ip)) {
            let bucket = self.names.address(BucketKind::IpFailures, ip);
            steps.push(step(bucket, rate, Action::Refund));
        }
        if let Some((ip, rate)) = ip.zip(self.rate(self.settings.login_successes_per_ip)) {
            let bucket = self.names.address(BucketKind::IpSuccesses, ip);
            steps.push(step(bucket, rate, Action::Charge));
        }
        if steps.is_empty() {
            return Ok(());
        }
        // Not answered from the refusals: the forget and the refund must reach the store
        // even when the success itself is over its limit.
        let epoch = self.refusals.epoch();
        let waits = self.store.apply(&steps, now).await?;
        // Only now that the store has given them room: a check refused meanwhile by the
        // store is then not remembered past this (see `refusals.rs`).
        for given_room in steps.iter().filter(|s| s.action != Action::Charge) {
            self.refusals.forget(given_room.bucket);
        }
        self.answer(&steps, &waits, millis(now), epoch)
    }

    /// As [`LocalLimiter::check_registration`](super::LocalLimiter::check_registration).
    pub(crate) async fn check_registration(
        &self,
        ip: Option<IpAddr>,
        now: UnixTime,
    ) -> Result<(), AuthError> {
        let Some((ip, rate)) = ip.zip(self.rate(self.settings.registrations_per_ip)) else {
            return Ok(());
        };
        let bucket = self.names.address(BucketKind::IpRegistrations, ip);
        self.charge(&[step(bucket, rate, Action::Charge)], now)
            .await
    }

    /// Charges `steps` (all charges) at the store, unless a bucket was refused moments ago.
    async fn charge(&self, steps: &[Step], now: UnixTime) -> Result<(), AuthError> {
        if steps.is_empty() {
            return Ok(());
        }
        let now_ms = millis(now);
        if let Some((bucket, wait)) = self
            .refusals
            .refused(steps.iter().map(|s| s.bucket), now_ms)
        {
            return Err(retry(wait, limit_of(bucket)).into());
        }
        let epoch = self.refusals.epoch();
        let waits = self.store.apply(steps, now).await?;
        self.answer(steps, &waits, now_ms, epoch)
    }

    /// The store's answer as the service's: the longest wait refuses, and every refused
    /// bucket is remembered.
    fn answer(
        &self,
        steps: &[Step],
        waits: &[i64],
        now_ms: i64,
        epoch: u64,
    ) -> Result<(), AuthError> {
        if waits.len() != steps.len() {
            return Err(AuthError::internal(format!(
                "the shared limiter answered {} waits for {} buckets",
                waits.len(),
                steps.len()
            )));
        }
        let mut longest: Option<(BucketId, i64)> = None;
        for (step, &wait) in steps.iter().zip(waits).filter(|(_, wait)| **wait > 0) {
            self.refusals.remember(step.bucket, wait, now_ms, epoch);
            if longest.is_none_or(|(_, longest)| wait > longest) {
                longest = Some((step.bucket, wait));
            }
        }
        match longest {
            None => Ok(()),
            Some((bucket, wait)) => Err(retry(wait, limit_of(bucket)).into()),
        }
    }

    fn rate(&self, limit: u32) -> Option<Rate> {
        Rate::per_window(limit, self.settings.window.get())
    }
}

fn step(bucket: BucketId, rate: Rate, action: Action) -> Step {
    Step {
        bucket,
        rate,
        action,
    }
}

fn limit_of(bucket: BucketId) -> Limit {
    match bucket.kind() {
        BucketKind::Account => Limit::Account,
        BucketKind::IpFailures => Limit::Ip,
        BucketKind::IpSuccesses => Limit::IpSuccesses,
        BucketKind::IpRegistrations => Limit::IpRegistrations,
    }
}
