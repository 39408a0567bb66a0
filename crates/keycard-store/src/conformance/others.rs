//! The revocation, key and audit contracts.

use std::sync::Arc;

use keycard_core::SessionId;
use keycard_core::audit::{AuditEvent, AuditKind, AuditQuery};
use keycard_core::jose::{Algorithm, KeyRole};
use keycard_core::key_record::KeyRecord;
use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::store::{AuditStore, KeyStore, RevocationStore, StoreError};

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

    assert!(store.delete_key("a").await.unwrap());
    assert!(!store.delete_key("a").await.unwrap());
    assert_eq!(store.load_keys().await.unwrap().len(), 1);
}

pub async fn audit_append_and_query<S: AuditStore + ?Sized>(store: Arc<S>) {
    let (alice, bob) = (user_id(), user_id());
    let session = SessionId::generate().unwrap();
    let event = |secs, kind, user: &keycard_core::UserId, session: Option<&SessionId>| AuditEvent {
        at: at(secs),
        kind,
        user_id: Some(user.clone()),
        session_id: session.cloned(),
        ip: Some("198.51.100.4".into()),
        user_agent: Some("curl/8".into()),
    };
    let events = [
        event(1, AuditKind::LoginFailed, &alice, None),
        event(2, AuditKind::LoginOk, &alice, Some(&session)),
        event(3, AuditKind::Refresh, &alice, Some(&session)),
        event(4, AuditKind::LoginOk, &bob, None),
        event(5, AuditKind::Logout, &alice, Some(&session)),
    ];
    for e in &events {
        store.append_audit(e).await.unwrap();
    }
    let all_alice = store
        .query_audit(&AuditQuery {
            user_id: Some(alice.clone()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let kinds: Vec<_> = all_alice.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditKind::Logout,
            AuditKind::Refresh,
            AuditKind::LoginOk,
            AuditKind::LoginFailed
        ],
        "newest first"
    );
    assert_eq!(all_alice[0], events[4], "every field round-trips");

    let by_session = store
        .query_audit(&AuditQuery {
            session_id: Some(session.clone()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_session.len(), 3);
    let window = AuditQuery {
        since: Some(at(2)),
        until: Some(at(4)),
        ..AuditQuery::default()
    };
    let in_window: Vec<_> = store
        .query_audit(&window)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(in_window, [AuditKind::Refresh, AuditKind::LoginOk]);
    let limited = store
        .query_audit(&AuditQuery {
            limit: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].at, at(5));
}
