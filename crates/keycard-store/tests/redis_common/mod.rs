//! What the standalone and the cluster Redis tests share: unique prefixes, the skip rule,
//! and the tests of this backend's own promises (beyond the shared suite): odd ids stay
//! apart, and a token route left behind by a crash is harmless.

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;

use keycard_core::SessionId;
use keycard_core::opaque::OpaqueKind;
use keycard_core::session::{SessionKind, seal_successor};
use keycard_core::store::{Rotation, SessionStore};
use keycard_store::conformance::fixtures::{at, cookie, family, token};
use keycard_store::redis::RedisStore;
use redis::aio::ConnectionLike;

/// A prefix no other test, run or user of the server shares.
pub fn unique_prefix() -> String {
    let random = SessionId::generate().expect("random source");
    format!("keycard-test:{random}")
}

/// Whether the opt-out `var=1` is set: only then may an unreachable server skip the tests.
pub fn skip_allowed(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// The store, or a failed test that says how to start the server or skip.
pub fn connected(
    store: Result<RedisStore, impl std::fmt::Display>,
    what: &str,
    start: &str,
    var: &str,
) -> Arc<RedisStore> {
    match store {
        Ok(store) => Arc::new(store),
        Err(err) => {
            panic!("{what} is unreachable ({err}). Start it with `{start}`, or set {var}=1 to skip")
        }
    }
}

fn digest_hex(digest: &keycard_core::opaque::TokenDigest) -> String {
    digest
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Ids outside base64url (braces, spaces, colons, `%`) are escaped in key names, so two
/// users whose ids differ only there never share records, and a brace never breaks the
/// hash tag (in a cluster, a broken tag would split a user across slots).
pub async fn odd_ids_stay_apart(store: Arc<RedisStore>) {
    let mut sessions = Vec::new();
    for (user, sid) in [
        ("a}b", "s{1} x"),
        ("a%7Db", "s%7B1%7D%20x"),
        ("a b:c", "s:1"),
    ] {
        let user = keycard_core::UserId::new(user);
        let (mut session, _, digest) = cookie(&user);
        session.id = SessionId::new(sid);
        store.create_session(&session, &digest).await.unwrap();
        sessions.push((session, digest));
    }
    for (session, digest) in &sessions {
        assert_eq!(
            store
                .load_session_by_token(digest, at(1))
                .await
                .unwrap()
                .as_ref(),
            Some(session)
        );
        assert_eq!(
            store
                .list_user_sessions(&session.user_id, at(1))
                .await
                .unwrap(),
            vec![session.clone()]
        );
    }
    let (first, _) = &sessions[0];
    assert_eq!(
        store.delete_user_sessions(&first.user_id).await.unwrap(),
        vec![first.id.clone()]
    );
    assert!(
        store
            .load_session(&first.id, at(1))
            .await
            .unwrap()
            .is_none()
    );
    for (session, _) in &sessions[1..] {
        assert!(
            store
                .load_session(&session.id, at(1))
                .await
                .unwrap()
                .is_some()
        );
    }
}

/// A rotation writes the successor's token route before its script runs. If the process
/// dies in between (or the script decides anything but a rotation and the clean-up fails),
/// the route stays behind naming a token the family never recorded: presenting it must be
/// `Unknown`, and the family must rotate on as before. `raw` talks to the same server.
pub async fn a_leftover_successor_route_is_unknown(
    store: Arc<RedisStore>,
    prefix: &str,
    mut raw: impl ConnectionLike + Send,
) {
    let user = keycard_core::UserId::new("u1");
    let (session, first, digest) = family(&user);
    store.create_session(&session, &digest).await.unwrap();

    // What the crashed rotation left: `<prefix>:t:<hex>` → `<user> <sid> <absolute expiry>`.
    let (stray, stray_digest) = token(OpaqueKind::Refresh);
    let entry = format!("u1 {} {}", session.id, session.absolute_expiry.as_secs());
    redis::cmd("SET")
        .arg(format!("{prefix}:t:{}", digest_hex(&stray_digest)))
        .arg(entry)
        .query_async::<()>(&mut raw)
        .await
        .unwrap();

    assert!(
        store
            .load_session_by_token(&stray_digest, at(1))
            .await
            .unwrap()
            .is_none()
    );
    let (next, next_digest) = token(OpaqueKind::Refresh);
    let sealed = seal_successor(&stray, &next).unwrap();
    let rotation = store
        .rotate_refresh(&stray_digest, &next_digest, &sealed, at(1), 30, 3)
        .await
        .unwrap();
    assert_eq!(rotation, Rotation::Unknown, "a route is not evidence");

    let (next, next_digest) = token(OpaqueKind::Refresh);
    let sealed = seal_successor(&first, &next).unwrap();
    let rotation = store
        .rotate_refresh(&digest, &next_digest, &sealed, at(2), 30, 3)
        .await
        .unwrap();
    let Rotation::Rotated(rotated) = rotation else {
        panic!("the family no longer rotates: {rotation:?}");
    };
    assert!(matches!(rotated.kind, SessionKind::Refresh(ref s) if s.generation == 1));

    // A rotation that does not rotate removes the route it wrote first.
    let (late, late_digest) = token(OpaqueKind::Refresh);
    let sealed = seal_successor(&first, &late).unwrap();
    let rotation = store
        .rotate_refresh(&digest, &late_digest, &sealed, at(3), 30, 3)
        .await
        .unwrap();
    assert!(
        matches!(rotation, Rotation::Replayed { .. }),
        "{rotation:?}"
    );
    let route: Option<String> = redis::cmd("GET")
        .arg(format!("{prefix}:t:{}", digest_hex(&late_digest)))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(route, None);
}

/// Key TTLs count from the `now` the store is given (the suite's clock is years away from
/// the server's), so a session's keys live as long as the session and no longer.
pub async fn ttls_count_from_the_given_now(
    store: Arc<RedisStore>,
    prefix: &str,
    mut raw: impl ConnectionLike + Send,
) {
    let user = keycard_core::UserId::new("u1");
    let (session, _, digest) = cookie(&user);
    store.create_session(&session, &digest).await.unwrap();
    let ttl = |key: String| redis::cmd("TTL").arg(key).clone();
    let hash: i64 = ttl(format!("{{{prefix}:u:u1}}:s:{}", session.id))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        (3590..=3600).contains(&hash),
        "idle timeout from last_seen_at: {hash}"
    );
    let route: i64 = ttl(format!("{prefix}:t:{}", digest_hex(&digest)))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        (86_390..=86_400).contains(&route),
        "absolute expiry: {route}"
    );
    assert!(store.touch_session(&session.id, at(1800)).await.unwrap());
    let touched: i64 = ttl(format!("{{{prefix}:u:u1}}:s:{}", session.id))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        (3590..=3600).contains(&touched),
        "renewed from the touch's now: {touched}"
    );
}

/// A limit bucket is one key under the `{P:lim}` tag, named by its keyed digest (no email,
/// no address), whose TTL ends when the bucket is full again, counted from the given `now`.
pub async fn limit_buckets_expire_when_full(
    store: Arc<RedisStore>,
    prefix: &str,
    mut raw: impl ConnectionLike + Send,
) {
    use keycard_core::gcra::Rate;
    use keycard_core::store::{Action, BucketId, BucketKind, SharedLimiter as _, Step};
    let bucket = BucketId::new(BucketKind::Account, [0x5a; 16]);
    let rate = Rate::per_window(5, 900).unwrap();
    let charge = Step {
        bucket,
        rate,
        action: Action::Charge,
    };
    for _ in 0..2 {
        assert_eq!(store.apply(&[charge], at(0)).await.unwrap(), [0]);
    }
    let key = format!("{{{prefix}:lim}}:a:{}", "5a".repeat(16));
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        (350_000..=360_000).contains(&pttl),
        "two intervals of 180 s from the given now: {pttl}"
    );
    let full_at: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        full_at,
        (keycard_core::gcra::millis(at(0)) + 360_000).to_string()
    );
    // A forget deletes the key: nothing is kept for a full bucket.
    let forget = Step {
        action: Action::Forget,
        ..charge
    };
    store.apply(&[forget], at(1)).await.unwrap();
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(exists, 0);
}
