//! The user contracts.

use std::sync::Arc;

use keycard_core::store::{StoreError, UserStore};
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
    assert!(store.set_password_hash(&alice.id, &new_hash).await.unwrap());
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
    assert!(!store.set_password_hash(&nobody, &new_hash).await.unwrap());
    assert!(!store.set_disabled(&nobody, true).await.unwrap());
    assert_eq!(store.bump_not_before(&nobody, at(1)).await.unwrap(), None);
}
