//! The session and refresh-family contracts.

use std::sync::Arc;

use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{RevokeReason, SessionKind, open_successor, seal_successor};
use keycard_core::store::{Rotation, SessionStore, StoreError};

use super::fixtures::{at, cookie, family, token, user_id};

const GRACE: i64 = 30;
/// The replay bound of the tests not about it: more than any of them replays.
const REPLAYS: u32 = 5;

fn generation(rotation: &Rotation) -> u64 {
    let session = match rotation {
        Rotation::Rotated(s) | Rotation::ReuseDetected(s) | Rotation::Dead(s) => s,
        Rotation::Replayed { session, .. } => session,
        Rotation::Unknown => panic!("no session in {rotation:?}"),
    };
    match &session.kind {
        SessionKind::Refresh(state) => state.generation,
        SessionKind::Cookie => panic!("a cookie session rotated"),
    }
}

/// Rotates `previous` into a fresh successor at `now`; returns the successor.
async fn rotate<S: SessionStore + ?Sized>(
    store: &S,
    previous: &OpaqueToken,
    now: i64,
) -> (Rotation, OpaqueToken) {
    rotate_bounded(store, previous, now, REPLAYS).await
}

/// [`rotate`] with the previous token replayed at most `max_replays` times per rotation.
async fn rotate_bounded<S: SessionStore + ?Sized>(
    store: &S,
    previous: &OpaqueToken,
    now: i64,
    max_replays: u32,
) -> (Rotation, OpaqueToken) {
    let (next, digest) = token(OpaqueKind::Refresh);
    let sealed = seal_successor(previous, &next).unwrap();
    let rotation = store
        .rotate_refresh(
            &previous.digest(),
            &digest,
            &sealed,
            at(now),
            GRACE,
            max_replays,
        )
        .await
        .unwrap();
    (rotation, next)
}

/// The family's replay count as the rotation answered it.
fn replays(rotation: &Rotation) -> u32 {
    let session = match rotation {
        Rotation::Rotated(s) | Rotation::ReuseDetected(s) | Rotation::Dead(s) => s,
        Rotation::Replayed { session, .. } => session,
        Rotation::Unknown => panic!("no session in {rotation:?}"),
    };
    match &session.kind {
        SessionKind::Refresh(state) => state.replays,
        SessionKind::Cookie => panic!("a cookie session rotated"),
    }
}

/// Asserts that `rotation` is a replay of `successor`, sealed under `previous`.
fn assert_replays(rotation: &Rotation, previous: &OpaqueToken, successor: &OpaqueToken) {
    let Rotation::Replayed {
        sealed_successor, ..
    } = rotation
    else {
        panic!("expected a replay, got {rotation:?}");
    };
    let opened = open_successor(previous, sealed_successor).expect("opens with the presented");
    assert_eq!(opened.expose_secret(), successor.expose_secret());
}

/// Asserts that the family of `current` is revoked as `reuse_detected` and opens nothing.
async fn assert_revoked_for_reuse<S: SessionStore + ?Sized>(
    store: &S,
    current: &OpaqueToken,
    id: &keycard_core::SessionId,
    now: i64,
) {
    let (rotation, _) = rotate(store, current, now).await;
    let Rotation::Dead(session) = rotation else {
        panic!("expected a dead family, got {rotation:?}");
    };
    let SessionKind::Refresh(state) = session.kind else {
        panic!("not a family")
    };
    assert_eq!(state.revoked, Some(RevokeReason::ReuseDetected));
    assert!(
        store
            .load_session_by_token(&current.digest(), at(now))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.load_session(id, at(now)).await.unwrap().is_none());
}

pub async fn create_then_load_by_token_and_by_id<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (session, _, digest) = cookie(&user);
    store.create_session(&session, &digest).await.unwrap();
    assert_eq!(
        store.load_session_by_token(&digest, at(1)).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store.load_session(&session.id, at(1)).await.unwrap(),
        Some(session.clone())
    );
    let (_, other) = token(OpaqueKind::Session);
    assert_eq!(
        store.load_session_by_token(&other, at(1)).await.unwrap(),
        None
    );

    let (family, _, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    assert_eq!(
        store.load_session_by_token(&digest, at(1)).await.unwrap(),
        Some(family)
    );
}

pub async fn duplicate_session_or_token_conflicts<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (session, _, digest) = cookie(&user);
    store.create_session(&session, &digest).await.unwrap();
    let (_, _, other_digest) = cookie(&user);
    let same_id = store.create_session(&session, &other_digest).await;
    assert!(
        matches!(same_id, Err(StoreError::Conflict(_))),
        "{same_id:?}"
    );
    let (other, _, _) = cookie(&user);
    let same_token = store.create_session(&other, &digest).await;
    assert!(
        matches!(same_token, Err(StoreError::Conflict(_))),
        "{same_token:?}"
    );
}

pub async fn idle_and_absolute_expiry_hide_records<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    // Idle: 1 h after the last use.
    let (idle, _, idle_digest) = cookie(&user);
    store.create_session(&idle, &idle_digest).await.unwrap();
    assert!(
        store
            .load_session(&idle.id, at(3599))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .load_session(&idle.id, at(3600))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .load_session_by_token(&idle_digest, at(3600))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .list_user_sessions(&user, at(3600))
            .await
            .unwrap()
            .is_empty()
    );

    // Absolute: a session used every half hour still dies at its absolute expiry.
    let (mut busy, _, busy_digest) = cookie(&user);
    busy.absolute_expiry = at(7200);
    store.create_session(&busy, &busy_digest).await.unwrap();
    for minute in [30, 60, 90] {
        assert!(
            store
                .touch_session(&busy.id, at(minute * 60))
                .await
                .unwrap()
        );
    }
    assert!(
        store
            .load_session(&busy.id, at(7199))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .load_session(&busy.id, at(7200))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store.touch_session(&busy.id, at(7300)).await.unwrap(),
        "an expired session is not revived"
    );
    assert!(
        store
            .load_session(&busy.id, at(7301))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn sweep_removes_only_expired_sessions<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (old, _, old_digest) = cookie(&user);
    store.create_session(&old, &old_digest).await.unwrap();
    let (mut young, _, young_digest) = cookie(&user);
    young.created_at = at(3000);
    young.last_seen_at = at(3000);
    store.create_session(&young, &young_digest).await.unwrap();
    store.sweep_expired_sessions(at(4000)).await.unwrap();
    assert!(
        store.load_session(&old.id, at(0)).await.unwrap().is_none(),
        "swept, even when asked about an earlier time"
    );
    assert!(
        store
            .load_session(&young.id, at(4000))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn touch_writes_at_most_once_a_minute<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (session, _, digest) = cookie(&user);
    store.create_session(&session, &digest).await.unwrap();
    assert!(!store.touch_session(&session.id, at(59)).await.unwrap());
    assert_eq!(
        store
            .load_session(&session.id, at(59))
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        at(0)
    );
    assert!(store.touch_session(&session.id, at(60)).await.unwrap());
    assert!(!store.touch_session(&session.id, at(100)).await.unwrap());
    let loaded = store
        .load_session(&session.id, at(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.last_seen_at, at(60));
    // The idle deadline moved: alive past the first hour.
    assert!(
        store
            .load_session(&session.id, at(3650))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        !store
            .touch_session(&keycard_core::SessionId::new("nope"), at(100))
            .await
            .unwrap()
    );
}

pub async fn delete_removes_session_and_its_tokens<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (session, _, digest) = cookie(&user);
    store.create_session(&session, &digest).await.unwrap();
    assert!(store.delete_session(&session.id).await.unwrap());
    assert!(!store.delete_session(&session.id).await.unwrap());
    assert!(
        store
            .load_session(&session.id, at(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .load_session_by_token(&digest, at(1))
            .await
            .unwrap()
            .is_none()
    );

    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    assert!(store.delete_session(&family.id).await.unwrap());
    let (rotation, _) = rotate(&*store, &first, 1).await;
    assert_eq!(rotation, Rotation::Unknown);
}

pub async fn per_user_listing_and_revocation<S: SessionStore + ?Sized>(store: Arc<S>) {
    let (alice, bob) = (user_id(), user_id());
    let mut alice_ids = Vec::new();
    for i in 0..3 {
        let (mut session, _, digest) = cookie(&alice);
        session.created_at = at(i);
        store.create_session(&session, &digest).await.unwrap();
        alice_ids.push(session.id);
    }
    let (family, _, digest) = family(&alice);
    store.create_session(&family, &digest).await.unwrap();
    alice_ids.push(family.id);
    let (bobs, _, bob_digest) = cookie(&bob);
    store.create_session(&bobs, &bob_digest).await.unwrap();

    let listed: Vec<_> = store
        .list_user_sessions(&alice, at(10))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed.len(), 4);
    for id in &alice_ids {
        assert!(listed.contains(id));
    }
    let mut deleted = store.delete_user_sessions(&alice).await.unwrap();
    deleted.sort();
    alice_ids.sort();
    assert_eq!(deleted, alice_ids);
    assert!(
        store
            .list_user_sessions(&alice, at(10))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.list_user_sessions(&bob, at(10)).await.unwrap().len(),
        1,
        "others untouched"
    );
    assert!(
        store
            .load_session_by_token(&bob_digest, at(10))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn rotation_moves_the_current_token<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (rotation, second) = rotate(&*store, &first, 100).await;
    assert!(matches!(rotation, Rotation::Rotated(_)), "{rotation:?}");
    assert_eq!(generation(&rotation), 1);
    assert!(
        store
            .load_session_by_token(&second.digest(), at(101))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .load_session_by_token(&first.digest(), at(101))
            .await
            .unwrap()
            .is_none(),
        "the old token no longer opens it"
    );
    let loaded = store
        .load_session(&family.id, at(101))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.last_seen_at, at(100), "a refresh is a use");

    let (rotation, third) = rotate(&*store, &second, 200).await;
    assert_eq!(generation(&rotation), 2);
    let (rotation, _) = rotate(&*store, &third, 300).await;
    assert!(matches!(rotation, Rotation::Rotated(_)));
    assert_eq!(generation(&rotation), 3);
}

pub async fn rotation_race_mints_exactly_one_successor<S: SessionStore + ?Sized + 'static>(
    store: Arc<S>,
) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let first = Arc::new(first);
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (store, first, barrier) = (store.clone(), first.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let (next, next_digest) = token(OpaqueKind::Refresh);
            let sealed = seal_successor(&first, &next).unwrap();
            barrier.wait().await;
            // Enough replays for every loser: this race is about the one winner.
            let rotation = store
                .rotate_refresh(&first.digest(), &next_digest, &sealed, at(10), GRACE, 63)
                .await
                .unwrap();
            (rotation, next)
        }));
    }
    let mut winners = Vec::new();
    let mut replayed = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (Rotation::Rotated(_), next) => winners.push(next),
            (
                Rotation::Replayed {
                    sealed_successor, ..
                },
                _,
            ) => replayed.push(sealed_successor),
            (other, _) => panic!("unexpected outcome in the race: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one successor is minted");
    assert_eq!(replayed.len(), 63);
    let winner = winners.pop().unwrap();
    for sealed in replayed {
        let opened =
            open_successor(&first, &sealed).expect("the replay opens with the presented token");
        assert_eq!(
            opened.expose_secret(),
            winner.expose_secret(),
            "every loser gets the winner's token"
        );
    }
    let loaded = store
        .load_session_by_token(&winner.digest(), at(11))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.id, family.id);
}

pub async fn previous_token_within_grace_replays_the_same_successor<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (_, second) = rotate(&*store, &first, 100).await;
    for now in [100, 110, 130] {
        let (rotation, _) = rotate(&*store, &first, now).await;
        let Rotation::Replayed {
            sealed_successor, ..
        } = rotation
        else {
            panic!("expected a replay at +{now}, got {rotation:?}");
        };
        assert_eq!(
            open_successor(&first, &sealed_successor)
                .unwrap()
                .expose_secret(),
            second.expose_secret()
        );
    }
    // The successor is still current and still rotates.
    let (rotation, _) = rotate(&*store, &second, 140).await;
    assert!(matches!(rotation, Rotation::Rotated(_)), "{rotation:?}");
}

pub async fn previous_token_after_grace_is_reuse<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (_, second) = rotate(&*store, &first, 100).await;
    let (rotation, _) = rotate(&*store, &first, 100 + GRACE + 1).await;
    assert!(
        matches!(rotation, Rotation::ReuseDetected(_)),
        "{rotation:?}"
    );
    // The whole family is dead, its current token included.
    let (rotation, _) = rotate(&*store, &second, 140).await;
    let Rotation::Dead(session) = rotation else {
        panic!("expected a dead family, got {rotation:?}");
    };
    let SessionKind::Refresh(state) = session.kind else {
        panic!("not a family")
    };
    assert_eq!(state.revoked, Some(RevokeReason::ReuseDetected));
    assert!(
        store
            .load_session_by_token(&second.digest(), at(141))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .load_session(&family.id, at(141))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn older_token_is_reuse_and_kills_the_family<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (_, second) = rotate(&*store, &first, 100).await;
    let (_, third) = rotate(&*store, &second, 101).await;
    // `first` is two generations old: theft, even inside the grace window.
    let (rotation, _) = rotate(&*store, &first, 102).await;
    assert!(
        matches!(rotation, Rotation::ReuseDetected(_)),
        "{rotation:?}"
    );
    let (rotation, _) = rotate(&*store, &third, 103).await;
    assert!(matches!(rotation, Rotation::Dead(_)), "{rotation:?}");
    assert!(
        store
            .list_user_sessions(&user, at(104))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn unknown_and_cookie_tokens_do_not_rotate<S: SessionStore + ?Sized>(store: Arc<S>) {
    let (stranger, _) = token(OpaqueKind::Refresh);
    let (rotation, _) = rotate(&*store, &stranger, 1).await;
    assert_eq!(rotation, Rotation::Unknown);
    let user = user_id();
    let (session, cookie_token, digest) = cookie(&user);
    store.create_session(&session, &digest).await.unwrap();
    let (rotation, _) = rotate(&*store, &cookie_token, 1).await;
    assert_eq!(
        rotation,
        Rotation::Unknown,
        "a cookie session id is not a refresh token"
    );
    assert!(
        store
            .load_session_by_token(&digest, at(2))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn expired_family_does_not_rotate<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (rotation, next) = rotate(&*store, &first, 3600).await;
    assert!(
        matches!(rotation, Rotation::Dead(_) | Rotation::Unknown),
        "{rotation:?}"
    );
    assert!(
        store
            .load_session_by_token(&next.digest(), at(3600))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn previous_token_replays_at_most_max_replays_times<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (_, second) = rotate_bounded(&*store, &first, 100, 3).await;
    for (n, now) in [(1, 101), (2, 102), (3, 103)] {
        let (rotation, _) = rotate_bounded(&*store, &first, now, 3).await;
        assert_replays(&rotation, &first, &second);
        assert_eq!(replays(&rotation), n, "each replay is counted");
    }
    // One more, still inside the grace window: reuse, exactly as an older token.
    let (rotation, _) = rotate_bounded(&*store, &first, 104, 3).await;
    assert!(
        matches!(rotation, Rotation::ReuseDetected(_)),
        "{rotation:?}"
    );
    assert_revoked_for_reuse(&*store, &second, &family.id, 105).await;
}

pub async fn a_rotation_resets_the_replay_count<S: SessionStore + ?Sized>(store: Arc<S>) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (_, second) = rotate_bounded(&*store, &first, 100, 2).await;
    for now in [101, 102] {
        let (rotation, _) = rotate_bounded(&*store, &first, now, 2).await;
        assert_replays(&rotation, &first, &second);
    }
    let (rotation, third) = rotate_bounded(&*store, &second, 110, 2).await;
    assert!(matches!(rotation, Rotation::Rotated(_)), "{rotation:?}");
    assert_eq!(replays(&rotation), 0, "the rotation reset the count");
    // `second` is now the previous token, with a fresh allowance of two.
    for now in [111, 112] {
        let (rotation, _) = rotate_bounded(&*store, &second, now, 2).await;
        assert_replays(&rotation, &second, &third);
    }
    let (rotation, _) = rotate_bounded(&*store, &second, 113, 2).await;
    assert!(
        matches!(rotation, Rotation::ReuseDetected(_)),
        "{rotation:?}"
    );
    assert_revoked_for_reuse(&*store, &third, &family.id, 114).await;
}

pub async fn zero_replays_never_replays_the_previous_token<S: SessionStore + ?Sized>(
    store: Arc<S>,
) {
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (rotation, second) = rotate_bounded(&*store, &first, 100, 0).await;
    assert!(matches!(rotation, Rotation::Rotated(_)), "{rotation:?}");
    // The same instant as the rotation, well inside the grace window.
    let (rotation, _) = rotate_bounded(&*store, &first, 100, 0).await;
    assert!(
        matches!(rotation, Rotation::ReuseDetected(_)),
        "{rotation:?}"
    );
    assert_revoked_for_reuse(&*store, &second, &family.id, 101).await;
}

pub async fn replay_race_is_bounded<S: SessionStore + ?Sized + 'static>(store: Arc<S>) {
    const TASKS: usize = 32;
    const MAX_REPLAYS: u32 = 3;
    let user = user_id();
    let (family, first, digest) = family(&user);
    store.create_session(&family, &digest).await.unwrap();
    let (rotation, second) = rotate_bounded(&*store, &first, 100, MAX_REPLAYS).await;
    assert!(matches!(rotation, Rotation::Rotated(_)), "{rotation:?}");
    let first = Arc::new(first);
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (store, first, barrier) = (store.clone(), first.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let (next, next_digest) = token(OpaqueKind::Refresh);
            let sealed = seal_successor(&first, &next).unwrap();
            barrier.wait().await;
            store
                .rotate_refresh(
                    &first.digest(),
                    &next_digest,
                    &sealed,
                    at(110),
                    GRACE,
                    MAX_REPLAYS,
                )
                .await
                .unwrap()
        }));
    }
    let (mut replayed, mut reused, mut dead) = (0, 0, 0);
    for task in tasks {
        let rotation = task.await.unwrap();
        match &rotation {
            Rotation::Replayed { .. } => {
                assert_replays(&rotation, &first, &second);
                replayed += 1;
            }
            Rotation::ReuseDetected(_) => reused += 1,
            Rotation::Dead(_) => dead += 1,
            other => panic!("unexpected outcome in the race: {other:?}"),
        }
    }
    assert_eq!(replayed, MAX_REPLAYS, "exactly max_replays replays");
    assert_eq!(reused, 1, "the first one past the bound revokes the family");
    assert_eq!(
        dead,
        TASKS - 1 - MAX_REPLAYS as usize,
        "the rest find it dead"
    );
    assert_revoked_for_reuse(&*store, &second, &family.id, 111).await;
}
