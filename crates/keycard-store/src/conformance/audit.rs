//! The audit-log contracts: every field round-trips, queries filter by user, session and
//! time window, newest first, within a limit.

use std::sync::Arc;

use keycard_core::SessionId;
use keycard_core::audit::{AuditEvent, AuditKind, AuditQuery};
use keycard_core::store::AuditStore;

use super::fixtures::{at, user_id};

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
