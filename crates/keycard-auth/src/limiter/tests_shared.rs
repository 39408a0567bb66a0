//! The shared limits as instances use them, over a store kept in this test (the backends
//! themselves are held to the rule by `keycard-store`'s conformance suite): one count for
//! every instance, a success at one instance seen by all, refusals answered from memory
//! for at most a second, and a store that does not answer refusing every attempt.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use keycard_core::UnixTime;
use keycard_core::gcra::millis;
use keycard_core::key_record::MasterKey;
use keycard_core::store::{Action, BucketId, SharedLimiter, Step, StoreError, StoreResult};
use keycard_core::user::Email;

use super::{Limit, Limiter, RetryAfter};
use crate::error::AuthError;
use crate::settings::{LimitSettings, Seconds};

/// The rule over a map, with a call counter and an off switch.
#[derive(Default)]
struct Store {
    buckets: Mutex<HashMap<BucketId, i64>>,
    calls: AtomicUsize,
    down: AtomicBool,
}

#[async_trait]
impl SharedLimiter for Store {
    async fn apply(&self, steps: &[Step], now: UnixTime) -> StoreResult<Vec<i64>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("connection refused".into()));
        }
        let now = millis(now);
        let mut buckets = self.buckets.lock().unwrap();
        let mut waits = Vec::new();
        for step in steps {
            let state = buckets.get(&step.bucket).copied();
            let refunded = match step.action {
                Action::Forget => None,
                Action::Refund => step.rate.refunded(state, now),
                Action::Charge => state,
            };
            match refunded {
                Some(full_at) => buckets.insert(step.bucket, full_at),
                None => buckets.remove(&step.bucket),
            };
            let charge = step.action == Action::Charge;
            waits.push(if charge {
                step.rate.wait(refunded, now)
            } else {
                0
            });
        }
        if waits.iter().all(|&wait| wait == 0) {
            for step in steps.iter().filter(|s| s.action == Action::Charge) {
                let full_at = step.rate.charged(buckets.get(&step.bucket).copied(), now);
                buckets.insert(step.bucket, full_at);
            }
        }
        Ok(waits)
    }

    async fn sweep_full_buckets(&self, _now: UnixTime) -> StoreResult<u64> {
        Ok(0)
    }
}

fn settings() -> LimitSettings {
    LimitSettings {
        login_per_account: 5,
        login_failures_per_ip: 50,
        login_successes_per_ip: 100,
        registrations_per_ip: 10,
        window: Seconds::new(900),
        max_entries: 100_000,
    }
}

/// `n` instances sharing `store` and one master key.
fn fleet(store: &Arc<Store>, n: usize) -> Vec<Limiter> {
    let master = MasterKey::new(&[7; 32]).unwrap();
    (0..n)
        .map(|_| Limiter::shared(settings(), store.clone(), Some(&master)))
        .collect()
}

const T0: i64 = 1_800_000_000;
const ALICE: &str = "alice@example.com";

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(T0 + secs)
}

fn ip(text: &str) -> Option<IpAddr> {
    Some(text.parse().unwrap())
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

async fn attempt(limiter: &Limiter, from: &str, account: &str, secs: i64) -> Result<(), AuthError> {
    limiter
        .check(ip(from), Some(&email(account)), at(secs))
        .await
}

#[track_caller]
fn throttled(result: Result<(), AuthError>) -> RetryAfter {
    match result {
        Err(AuthError::Throttled(retry)) => retry,
        other => panic!("expected Throttled, got {other:?}"),
    }
}

#[tokio::test]
async fn instances_share_one_count() {
    let store = Arc::new(Store::default());
    let fleet = fleet(&store, 3);
    assert!(fleet.iter().all(|l| l.is_shared() && l.names_are_keyed()));
    for n in 0..5 {
        let instance = &fleet[n % 3];
        attempt(instance, "192.0.2.1", ALICE, 0).await.unwrap();
    }
    for instance in &fleet {
        let retry = throttled(attempt(instance, "198.51.100.9", ALICE, 1).await);
        assert_eq!(
            retry,
            RetryAfter {
                secs: 179,
                limit: Limit::Account
            }
        );
    }
}

#[tokio::test]
async fn a_success_at_one_instance_forgives_the_account_at_every_instance() {
    let store = Arc::new(Store::default());
    let [a, b] = <[Limiter; 2]>::try_from(fleet(&store, 2)).unwrap();
    for _ in 0..4 {
        attempt(&a, "192.0.2.1", ALICE, 0).await.unwrap();
    }
    attempt(&b, "192.0.2.1", ALICE, 0).await.unwrap();
    throttled(attempt(&a, "192.0.2.1", ALICE, 0).await);
    // The fifth attempt, at B, had the right password: the account is forgiven for A too,
    // once A's memory of the refusal (at most a second) has passed.
    b.record_success(ip("192.0.2.1"), &email(ALICE), at(0))
        .await
        .unwrap();
    for n in 0..5 {
        attempt(&a, "192.0.2.1", ALICE, 1)
            .await
            .unwrap_or_else(|e| panic!("{n}: {e}"));
    }
    throttled(attempt(&a, "192.0.2.1", ALICE, 1).await);
    throttled(attempt(&b, "192.0.2.1", ALICE, 1).await);
}

#[tokio::test]
async fn a_refused_flood_costs_one_round_trip_per_second() {
    let store = Arc::new(Store::default());
    let limiter = &fleet(&store, 1)[0];
    for _ in 0..5 {
        attempt(limiter, "192.0.2.1", ALICE, 0).await.unwrap();
    }
    assert_eq!(store.calls.load(Ordering::SeqCst), 5);
    for _ in 0..1000 {
        let retry = throttled(attempt(limiter, "192.0.2.1", ALICE, 0).await);
        assert_eq!(
            retry,
            RetryAfter {
                secs: 180,
                limit: Limit::Account
            }
        );
    }
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        6,
        "one refusal from the store"
    );
    for _ in 0..1000 {
        throttled(attempt(limiter, "192.0.2.1", ALICE, 1).await);
    }
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        7,
        "asked again a second later"
    );
    // Another account from the same address is not held back by that memory.
    attempt(limiter, "192.0.2.1", "bob@example.com", 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn registrations_and_successes_are_counted_for_the_fleet() {
    let store = Arc::new(Store::default());
    let fleet = fleet(&store, 2);
    for n in 0..10 {
        fleet[n % 2]
            .check_registration(ip("192.0.2.1"), at(0))
            .await
            .unwrap();
    }
    let retry = throttled(fleet[1].check_registration(ip("192.0.2.1"), at(0)).await);
    assert_eq!(retry.limit, Limit::IpRegistrations);
    fleet[0].check_registration(None, at(0)).await.unwrap();

    // 100 successful logins from one address across both instances, then no more; its
    // failures were refunded each time, so its failure limit is untouched.
    for n in 0..100 {
        let user = email(&format!("u{n}@example.com"));
        let instance = &fleet[n % 2];
        instance
            .check(ip("192.0.2.7"), Some(&user), at(0))
            .await
            .unwrap();
        instance
            .record_success(ip("192.0.2.7"), &user, at(0))
            .await
            .unwrap();
    }
    let user = email("late@example.com");
    fleet[0]
        .check(ip("192.0.2.7"), Some(&user), at(0))
        .await
        .unwrap();
    let retry = throttled(fleet[0].record_success(ip("192.0.2.7"), &user, at(0)).await);
    assert_eq!(retry.limit, Limit::IpSuccesses);
}

#[tokio::test]
async fn a_store_that_does_not_answer_refuses_every_attempt() {
    let store = Arc::new(Store::default());
    let limiter = &fleet(&store, 1)[0];
    store.down.store(true, Ordering::SeqCst);
    let unavailable = |result: Result<(), AuthError>| {
        assert!(
            matches!(result, Err(AuthError::Unavailable(StoreError::Backend(_)))),
            "{result:?}"
        );
    };
    unavailable(attempt(limiter, "192.0.2.1", ALICE, 0).await);
    unavailable(
        limiter
            .record_success(ip("192.0.2.1"), &email(ALICE), at(0))
            .await,
    );
    unavailable(limiter.check_registration(ip("192.0.2.1"), at(0)).await);
    // Back: nothing was counted meanwhile.
    store.down.store(false, Ordering::SeqCst);
    for _ in 0..5 {
        attempt(limiter, "192.0.2.1", ALICE, 0).await.unwrap();
    }
}

#[tokio::test]
async fn without_a_master_key_names_still_agree_but_are_not_keyed() {
    let store = Arc::new(Store::default());
    let (a, b) = (
        Limiter::shared(settings(), store.clone(), None),
        Limiter::shared(settings(), store.clone(), None),
    );
    assert!(!a.names_are_keyed());
    for _ in 0..5 {
        attempt(&a, "192.0.2.1", ALICE, 0).await.unwrap();
    }
    throttled(attempt(&b, "192.0.2.1", ALICE, 0).await);
}
