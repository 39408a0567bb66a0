//! The user contracts, among them the password-hash compare-and-swap.

use std::sync::Arc;

use tokio::sync::Barrier;

use keycard_core::store::{HashSwap, StoreError, UserStore};
use keycard_core::user::{Email, PasswordHash, User};

use super::fixtures::{at, user_id};

fn user(email: &str) -> User {
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    User::new(Email::parse(email).unwrap(), hash, at(0)).unwrap()
}

pub async fn create_and_load_by_id_and_email<S: UserStore + ?Sized>(store: Arc<S>) {
    let alice = user("alice@example.com");
    store.create_user(&alice).await.unwrap();
    assert_eq!(
        store.load_user(&alice.id).await.unwrap(),
        Some(alice.clone())
    );
    let by_email = store
        .load_user_by_email(&Email::parse(" ALICE@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(by_email, Some(alice));
    assert_eq!(store.load_user(&user_id()).await.unwrap(), None);
    assert_eq!(
        store
            .load_user_by_email(&Email::parse("bob@example.com").unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn email_is_unique_across_case_and_unicode_forms<S: UserStore + ?Sized>(store: Arc<S>) {
    store
        .create_user(&user("strasse@example.com"))
        .await
        .unwrap();
    for same in [
        "STRASSE@example.com",
        "stra\u{df}e@example.com",
        "ＳＴＲＡＳＳＥ@EXAMPLE.COM",
        " strasse@example.com ",
    ] {
        let result = store.create_user(&user(same)).await;
        assert!(
            matches!(result, Err(StoreError::Conflict("email"))),
            "{same}: {result:?}"
        );
    }
    store
        .create_user(&user("strasse2@example.com"))
        .await
        .unwrap();
}

pub async fn password_disable_and_not_before<S: UserStore + ?Sized>(store: Arc<S>) {
    let alice = user("alice@example.org");
    store.create_user(&alice).await.unwrap();
    let new_hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA");
    assert_eq!(
        store
            .replace_password_hash(&alice.id, &alice.password_hash, &new_hash)
            .await
            .unwrap(),
        HashSwap::Replaced
    );
    assert!(store.set_disabled(&alice.id, true).await.unwrap());
    let loaded = store.load_user(&alice.id).await.unwrap().unwrap();
    assert_eq!(loaded.password_hash, new_hash);
    assert!(loaded.disabled);
    assert!(store.set_disabled(&alice.id, false).await.unwrap());
    assert!(!store.load_user(&alice.id).await.unwrap().unwrap().disabled);

    assert_eq!(
        store.bump_not_before(&alice.id, at(100)).await.unwrap(),
        Some(at(100))
    );
    assert_eq!(
        store.bump_not_before(&alice.id, at(50)).await.unwrap(),
        Some(at(100)),
        "never moves back"
    );
    assert_eq!(
        store
            .load_user(&alice.id)
            .await
            .unwrap()
            .unwrap()
            .not_before,
        at(100)
    );

    let nobody = user_id();
    assert_eq!(
        store
            .replace_password_hash(&nobody, &new_hash, &alice.password_hash)
            .await
            .unwrap(),
        HashSwap::NoSuchUser
    );
    assert!(!store.set_disabled(&nobody, true).await.unwrap());
    assert_eq!(store.bump_not_before(&nobody, at(1)).await.unwrap(), None);
}

/// A distinct, well-formed hash for the tests to swap in.
fn hash(n: usize) -> PasswordHash {
    PasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n:08}"))
}

pub async fn password_hash_swaps_only_from_the_expected_hash<S: UserStore + ?Sized>(store: Arc<S>) {
    let alice = user("alice@example.net");
    store.create_user(&alice).await.unwrap();
    let (old, changed, rehashed) = (alice.password_hash.clone(), hash(1), hash(2));
    // A password change moves the hash on...
    assert_eq!(
        store
            .replace_password_hash(&alice.id, &old, &changed)
            .await
            .unwrap(),
        HashSwap::Replaced
    );
    // ...so a rehash computed from the old hash (a login that verified the old password)
    // is refused, and the change stands.
    assert_eq!(
        store
            .replace_password_hash(&alice.id, &old, &rehashed)
            .await
            .unwrap(),
        HashSwap::Changed
    );
    let loaded = store.load_user(&alice.id).await.unwrap().unwrap();
    assert_eq!(loaded.password_hash, changed, "the change was not reverted");
    // Swapping a hash for itself is a swap like any other.
    assert_eq!(
        store
            .replace_password_hash(&alice.id, &changed, &changed)
            .await
            .unwrap(),
        HashSwap::Replaced
    );
    assert_eq!(
        store
            .replace_password_hash(&user_id(), &changed, &rehashed)
            .await
            .unwrap(),
        HashSwap::NoSuchUser
    );
    // Another user's hash is not touched by a swap that names the same expected hash.
    let bob = user("bob@example.net");
    store.create_user(&bob).await.unwrap();
    assert_eq!(
        store
            .replace_password_hash(&alice.id, &changed, &rehashed)
            .await
            .unwrap(),
        HashSwap::Replaced
    );
    let bob_now = store.load_user(&bob.id).await.unwrap().unwrap();
    assert_eq!(bob_now.password_hash, bob.password_hash);
}

/// Tasks racing to replace one hash, each with its own new hash.
const RACERS: usize = 32;

pub async fn password_hash_race_has_exactly_one_winner<S: UserStore + ?Sized + 'static>(
    store: Arc<S>,
) {
    let alice = user("racer@example.net");
    store.create_user(&alice).await.unwrap();
    let expected = Arc::new(alice.password_hash.clone());
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for n in 0..RACERS {
        let (store, expected, barrier) = (store.clone(), expected.clone(), barrier.clone());
        let id = alice.id.clone();
        tasks.push(tokio::spawn(async move {
            let new = hash(n);
            barrier.wait().await;
            let outcome = store
                .replace_password_hash(&id, &expected, &new)
                .await
                .unwrap();
            (outcome, new)
        }));
    }
    let mut winners = Vec::new();
    let mut changed = 0;
    for task in tasks {
        match task.await.unwrap() {
            (HashSwap::Replaced, new) => winners.push(new),
            (HashSwap::Changed, _) => changed += 1,
            (HashSwap::NoSuchUser, _) => panic!("the user exists"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one swap wins");
    assert_eq!(changed, RACERS - 1, "every other swap sees the change");
    let stored = store.load_user(&alice.id).await.unwrap().unwrap();
    assert_eq!(
        stored.password_hash, winners[0],
        "the winner's hash is stored"
    );
}
