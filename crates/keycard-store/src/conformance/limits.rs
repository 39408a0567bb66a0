//! The shared limiter's contracts: every backend applies the rule of
//! [`keycard_core::gcra`] exactly (checked step by step against a model built on it),
//! charges all of a call's buckets or none, gives attempts back, forgets, lets full buckets
//! go, and counts concurrent attempts exactly (a 64-task barrier race allows exactly the
//! limit).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use keycard_core::UnixTime;
use keycard_core::gcra::{Rate, millis};
use keycard_core::store::{Action, BucketId, BucketKind, SharedLimiter, Step};
use tokio::sync::Barrier;

use super::fixtures::at;

/// A bucket no other test uses (the store is fresh, but names should not matter).
fn bucket(kind: BucketKind) -> BucketId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let mut digest = [0u8; 16];
    digest[..8].copy_from_slice(&NEXT.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    BucketId::new(kind, digest)
}

fn step(bucket: BucketId, rate: Rate, action: Action) -> Step {
    Step {
        bucket,
        rate,
        action,
    }
}

fn charge(bucket: BucketId, rate: Rate) -> Step {
    step(bucket, rate, Action::Charge)
}

/// The rule, applied by the in-process code: what every backend must answer.
#[derive(Default)]
struct Model(HashMap<BucketId, i64>);

impl Model {
    fn apply(&mut self, steps: &[Step], now: UnixTime) -> Vec<i64> {
        let now = millis(now);
        let mut waits = vec![0; steps.len()];
        for step in steps {
            let state = self.0.get(&step.bucket).copied();
            match step.action {
                Action::Forget => {
                    self.0.remove(&step.bucket);
                }
                Action::Refund => match step.rate.refunded(state, now) {
                    Some(full_at) => {
                        self.0.insert(step.bucket, full_at);
                    }
                    None => {
                        self.0.remove(&step.bucket);
                    }
                },
                Action::Charge => {}
            }
        }
        for (wait, step) in waits.iter_mut().zip(steps) {
            if step.action == Action::Charge {
                *wait = step.rate.wait(self.0.get(&step.bucket).copied(), now);
            }
        }
        if waits.iter().all(|&wait| wait == 0) {
            for step in steps.iter().filter(|step| step.action == Action::Charge) {
                let full_at = step.rate.charged(self.0.get(&step.bucket).copied(), now);
                self.0.insert(step.bucket, full_at);
            }
        }
        waits
    }
}

/// A fixed, varied script of calls over three buckets with different rates, at instants
/// that move forward unevenly: every answer must equal the model's.
pub async fn limits_follow_the_gcra_rule(store: Arc<impl SharedLimiter>) {
    let account = (
        bucket(BucketKind::Account),
        Rate::per_window(5, 900).unwrap(),
    );
    let failures = (
        bucket(BucketKind::IpFailures),
        Rate::per_window(7, 60).unwrap(),
    );
    let successes = (
        bucket(BucketKind::IpSuccesses),
        Rate::per_window(2, 10).unwrap(),
    );
    let mut model = Model::default();
    let mut secs = 0;
    // A small linear congruential sequence: the same script on every run.
    let mut seed: u32 = 12_345;
    for n in 0..400 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let roll = (seed >> 16) % 100;
        secs += i64::from((seed >> 8) % 7) * i64::from(roll.is_multiple_of(3));
        let steps = match roll {
            0..60 => vec![charge(account.0, account.1), charge(failures.0, failures.1)],
            60..75 => vec![charge(failures.0, failures.1)],
            75..90 => vec![
                step(account.0, account.1, Action::Forget),
                step(failures.0, failures.1, Action::Refund),
                charge(successes.0, successes.1),
            ],
            _ => vec![step(failures.0, failures.1, Action::Refund)],
        };
        let expected = model.apply(&steps, at(secs));
        let got = store.apply(&steps, at(secs)).await.unwrap();
        assert_eq!(got, expected, "call {n} at +{secs}s: {steps:?}");
    }
}

/// A call whose charges do not all have room charges none of them, and says how long each
/// must wait.
pub async fn limits_charge_all_or_nothing(store: Arc<impl SharedLimiter>) {
    let account = bucket(BucketKind::Account);
    let address = bucket(BucketKind::IpFailures);
    let (per_account, per_address) = (
        Rate::per_window(5, 900).unwrap(),
        Rate::per_window(1, 60).unwrap(),
    );
    let login = [charge(account, per_account), charge(address, per_address)];
    assert_eq!(store.apply(&login, at(0)).await.unwrap(), [0, 0]);
    // The address is spent: refused, and the account is not charged.
    for _ in 0..10 {
        assert_eq!(store.apply(&login, at(1)).await.unwrap(), [0, 59_000]);
    }
    // The account still has four attempts of its five.
    for n in 0..4 {
        assert_eq!(
            store
                .apply(&[charge(account, per_account)], at(1))
                .await
                .unwrap(),
            [0],
            "attempt {n}"
        );
    }
    assert_eq!(
        store
            .apply(&[charge(account, per_account)], at(1))
            .await
            .unwrap(),
        [179_000]
    );
    assert_eq!(store.apply(&[], at(1)).await.unwrap(), Vec::<i64>::new());
}

/// A refund gives back exactly one attempt, a forget all of them; both are applied even
/// when the call's charge is refused.
pub async fn limits_refund_and_forget(store: Arc<impl SharedLimiter>) {
    let account = bucket(BucketKind::Account);
    let address = bucket(BucketKind::IpFailures);
    let successes = bucket(BucketKind::IpSuccesses);
    let rate = Rate::per_window(3, 30).unwrap();
    let one = Rate::per_window(1, 30).unwrap();
    for _ in 0..3 {
        let login = [charge(account, rate), charge(address, rate)];
        assert_eq!(store.apply(&login, at(0)).await.unwrap(), [0, 0]);
    }
    assert_eq!(
        store.apply(&[charge(successes, one)], at(0)).await.unwrap(),
        [0]
    );
    // The success is refused, but the forget and the refund still apply.
    let success = [
        step(account, rate, Action::Forget),
        step(address, rate, Action::Refund),
        charge(successes, one),
    ];
    assert_eq!(store.apply(&success, at(0)).await.unwrap(), [0, 0, 30_000]);
    for n in 0..3 {
        assert_eq!(
            store.apply(&[charge(account, rate)], at(0)).await.unwrap(),
            [0],
            "the account was forgiven: attempt {n}"
        );
    }
    assert_eq!(
        store.apply(&[charge(address, rate)], at(0)).await.unwrap(),
        [0]
    );
    assert_eq!(
        store.apply(&[charge(address, rate)], at(0)).await.unwrap(),
        [10_000],
        "one attempt was given back, not more"
    );
    // Refunding or forgetting a full bucket changes nothing.
    let fresh = bucket(BucketKind::IpRegistrations);
    let nothing = [
        step(fresh, rate, Action::Refund),
        step(bucket(BucketKind::Account), rate, Action::Forget),
    ];
    assert_eq!(store.apply(&nothing, at(0)).await.unwrap(), [0, 0]);
    for _ in 0..3 {
        assert_eq!(
            store.apply(&[charge(fresh, rate)], at(0)).await.unwrap(),
            [0]
        );
    }
    assert_eq!(
        store.apply(&[charge(fresh, rate)], at(0)).await.unwrap(),
        [10_000]
    );
}

/// A bucket refills over its window, and one left alone for a window is full again:
/// its whole limit is back, and a sweep then (where the backend needs one) keeps nothing
/// that matters.
pub async fn limits_refill_and_expire(store: Arc<impl SharedLimiter>) {
    let address = bucket(BucketKind::IpRegistrations);
    let rate = Rate::per_window(4, 60).unwrap();
    for _ in 0..4 {
        assert_eq!(
            store.apply(&[charge(address, rate)], at(0)).await.unwrap(),
            [0]
        );
    }
    assert_eq!(
        store.apply(&[charge(address, rate)], at(5)).await.unwrap(),
        [10_000]
    );
    assert_eq!(
        store.apply(&[charge(address, rate)], at(15)).await.unwrap(),
        [0]
    );
    assert_eq!(
        store.apply(&[charge(address, rate)], at(15)).await.unwrap(),
        [15_000]
    );
    // Full at +75 s: the sweep may drop it, and all four attempts are back.
    store.sweep_full_buckets(at(75)).await.unwrap();
    for n in 0..4 {
        assert_eq!(
            store.apply(&[charge(address, rate)], at(75)).await.unwrap(),
            [0],
            "{n}"
        );
    }
    assert_eq!(
        store.apply(&[charge(address, rate)], at(75)).await.unwrap(),
        [15_000]
    );
    // A sweep before a bucket is full keeps it.
    store.sweep_full_buckets(at(76)).await.unwrap();
    assert_eq!(
        store.apply(&[charge(address, rate)], at(76)).await.unwrap(),
        [14_000]
    );
}

/// 64 attempts at once, each on the same account and its own address: exactly the
/// account's limit pass, whichever instance or connection they come through.
pub async fn limits_race_allows_exactly_the_limit(store: Arc<impl SharedLimiter + 'static>) {
    const TASKS: usize = 64;
    const LIMIT: u32 = 10;
    let account = bucket(BucketKind::Account);
    let per_account = Rate::per_window(LIMIT, 900).unwrap();
    let per_address = Rate::per_window(50, 900).unwrap();
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (store, barrier) = (store.clone(), barrier.clone());
        let login = [
            charge(account, per_account),
            charge(bucket(BucketKind::IpFailures), per_address),
        ];
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.apply(&login, at(0)).await.unwrap()
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        let waits = task.await.unwrap();
        if waits == [0, 0] {
            allowed += 1;
        } else {
            assert_eq!(waits, [90_000, 0], "refused by the account only");
        }
    }
    assert_eq!(allowed, LIMIT, "exactly the limit passed");
}
