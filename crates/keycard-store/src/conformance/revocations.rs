//! The revocation contracts: a revocation is live until its `forget_after`, and a later
//! one with the same key replaces it.

use std::sync::Arc;

use keycard_core::SessionId;
use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::store::RevocationStore;

use super::fixtures::{at, user_id};

pub async fn revocations_live_until_forgotten<S: RevocationStore + ?Sized>(store: Arc<S>) {
    let session = Revocation {
        what: Revoked::Session(SessionId::generate().unwrap()),
        at: at(0),
        forget_after: at(900),
    };
    let user = Revocation {
        what: Revoked::UserBefore {
            user: user_id(),
            not_before: at(10),
        },
        at: at(10),
        forget_after: at(1800),
    };
    store.record_revocation(&session).await.unwrap();
    store.record_revocation(&user).await.unwrap();
    let mut live = store.live_revocations(at(899)).await.unwrap();
    live.sort_by_key(Revocation::key);
    let mut expected = vec![session.clone(), user.clone()];
    expected.sort_by_key(Revocation::key);
    assert_eq!(live, expected);
    assert_eq!(store.live_revocations(at(900)).await.unwrap(), vec![user]);
    assert!(store.live_revocations(at(1800)).await.unwrap().is_empty());
}

pub async fn revocation_with_same_key_replaces<S: RevocationStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let first = Revocation {
        what: Revoked::UserBefore {
            user: user.clone(),
            not_before: at(10),
        },
        at: at(10),
        forget_after: at(100),
    };
    let later = Revocation {
        what: Revoked::UserBefore {
            user,
            not_before: at(50),
        },
        at: at(50),
        forget_after: at(150),
    };
    store.record_revocation(&first).await.unwrap();
    store.record_revocation(&later).await.unwrap();
    assert_eq!(
        store.live_revocations(at(60)).await.unwrap(),
        vec![later.clone()]
    );
    assert_eq!(store.live_revocations(at(120)).await.unwrap(), vec![later]);
}
