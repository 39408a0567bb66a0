//! The signing-key contracts: save (a kid only once), load, change a role (also only if it
//! is still what the caller saw), delete.

use std::sync::Arc;

use keycard_core::jose::{Algorithm, KeyRole};
use keycard_core::key_record::KeyRecord;
use keycard_core::store::{KeyStore, StoreError};

use super::fixtures::at;

fn key(kid: &str, role: KeyRole, sealed: Option<Vec<u8>>) -> KeyRecord {
    KeyRecord {
        kid: kid.into(),
        alg: Algorithm::EdDSA,
        role,
        created_at: at(0),
        retire_after: None,
        public_jwk: format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"AAAA","kid":"{kid}"}}"#),
        sealed_private: sealed,
    }
}

pub async fn keys_save_load_role_delete<S: KeyStore + ?Sized>(store: Arc<S>) {
    let active = key("a", KeyRole::Active, Some(vec![1, 2, 3, 0, 255]));
    let next = key("b", KeyRole::Next, None);
    store.save_key(&active).await.unwrap();
    store.save_key(&next).await.unwrap();
    assert!(matches!(
        store.save_key(&active).await,
        Err(StoreError::Conflict("kid"))
    ));
    let mut loaded = store.load_keys().await.unwrap();
    loaded.sort_by(|a, b| a.kid.cmp(&b.kid));
    assert_eq!(loaded, vec![active.clone(), next.clone()]);

    assert!(
        store
            .set_key_role("a", KeyRole::Retired, Some(at(900)))
            .await
            .unwrap()
    );
    assert!(
        store
            .set_key_role("b", KeyRole::Active, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_key_role("zz", KeyRole::Active, None)
            .await
            .unwrap()
    );
    let loaded = store.load_keys().await.unwrap();
    let a = loaded.iter().find(|k| k.kid == "a").unwrap();
    assert_eq!((a.role, a.retire_after), (KeyRole::Retired, Some(at(900))));
    assert_eq!(
        loaded.iter().find(|k| k.kid == "b").unwrap().role,
        KeyRole::Active
    );

    // The compare-and-swap: only the first of two racing promotions of "c" wins.
    store
        .save_key(&key("c", KeyRole::Next, None))
        .await
        .unwrap();
    assert!(
        store
            .swap_key_role("c", KeyRole::Next, KeyRole::Active, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_key_role("c", KeyRole::Next, KeyRole::Active, None)
            .await
            .unwrap(),
        "a key no longer next is not promoted again"
    );
    assert!(
        !store
            .swap_key_role("zz", KeyRole::Next, KeyRole::Active, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .swap_key_role("c", KeyRole::Active, KeyRole::Retired, Some(at(60)))
            .await
            .unwrap()
    );
    let c = store.load_keys().await.unwrap();
    let c = c.iter().find(|k| k.kid == "c").unwrap();
    assert_eq!((c.role, c.retire_after), (KeyRole::Retired, Some(at(60))));
    assert!(store.delete_key("c").await.unwrap());

    assert!(store.delete_key("a").await.unwrap());
    assert!(!store.delete_key("a").await.unwrap());
    assert_eq!(store.load_keys().await.unwrap().len(), 1);
}
