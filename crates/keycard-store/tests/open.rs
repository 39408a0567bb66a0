//! Opening split stores from URLs: users, keys and audit in SQLite, sessions and
//! revocations in Redis, as a configuration with two URLs asks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, Session, SessionKind};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{SessionId, UnixTime};
use keycard_store::open::{StoreUrl, open};
use keycard_store::sqlite::SqliteStore;

#[tokio::test]
async fn sqlite_for_accounts_and_redis_for_sessions() {
    let redis_url =
        std::env::var("KEYCARD_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let dir = std::env::temp_dir().join(format!("keycard-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let main = StoreUrl::Sqlite(dir.join("keycard.sqlite3"));
    let sessions: StoreUrl = redis_url.parse().unwrap();
    let prefix = format!("keycard-test-open:{}", SessionId::generate().unwrap());
    let stores = match open(&main, Some(&sessions), &prefix).await {
        Ok(stores) => stores,
        Err(err) if std::env::var("KEYCARD_SKIP_REDIS").is_ok_and(|v| v == "1") => {
            eprintln!(
                "*** SKIPPED sqlite_for_accounts_and_redis_for_sessions: Redis unreachable ({err}); NOT tested ***"
            );
            return;
        }
        Err(err) => panic!(
            "Redis at {redis_url} is unreachable ({err}); start it or set KEYCARD_SKIP_REDIS=1"
        ),
    };
    let now = UnixTime::from_secs(1_800_000_000);
    let user = User::new(
        Email::parse("split@example.com").unwrap(),
        PasswordHash::new("$argon2id$x"),
        now,
    )
    .unwrap();
    stores.users.create_user(&user).await.unwrap();
    let session = Session {
        id: SessionId::generate().unwrap(),
        user_id: user.id.clone(),
        kind: SessionKind::Cookie,
        created_at: now,
        last_seen_at: now,
        idle_timeout_secs: 600,
        absolute_expiry: now.plus_secs(3600),
        client: ClientMeta::default(),
    };
    let token = OpaqueToken::generate(OpaqueKind::Session).unwrap();
    stores
        .sessions
        .create_session(&session, &token.digest())
        .await
        .unwrap();
    assert_eq!(
        stores
            .sessions
            .load_session_by_token(&token.digest(), now)
            .await
            .unwrap(),
        Some(session.clone())
    );

    // The session went to Redis, not to the SQLite file; the user went to the file.
    let sqlite = SqliteStore::open(&dir.join("keycard.sqlite3"))
        .await
        .unwrap();
    use keycard_core::store::{SessionStore as _, UserStore as _};
    assert!(
        sqlite
            .load_session(&session.id, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(sqlite.load_user(&user.id).await.unwrap().is_some());
    stores.sessions.delete_session(&session.id).await.unwrap();

    // The feed follows the session store: an instance on the same Redis prefix hears this
    // one's heartbeat.
    use keycard_core::store::{FeedEvent, RevocationFeed as _};
    let other = keycard_store::redis::RedisStore::connect(&redis_url, &prefix)
        .await
        .unwrap();
    let mut subscription = other.feed().subscribe().await.unwrap();
    stores.feed.heartbeat().await.unwrap();
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), subscription.next());
    assert_eq!(heard.await.unwrap(), Some(FeedEvent::Heartbeat));

    // So do the shared login limits: a bucket charged through these stores is full for
    // another instance on the same prefix.
    use keycard_core::gcra::Rate;
    use keycard_core::store::{Action, BucketId, BucketKind, SharedLimiter as _, Step};
    let step = Step {
        bucket: BucketId::new(BucketKind::Account, [7; 16]),
        rate: Rate::per_window(1, 60).unwrap(),
        action: Action::Charge,
    };
    let limits = stores
        .limits
        .as_ref()
        .expect("Redis sessions share the limits");
    assert_eq!(limits.apply(&[step], now).await.unwrap(), [0]);
    assert_eq!(other.apply(&[step], now).await.unwrap(), [60_000]);
    let _ = std::fs::remove_dir_all(&dir);
}
