//! The conformance suite against SQLite, each test in a fresh database file that is
//! removed with its store; then what only a file can show: data outlives the process's
//! handle on it, a file that is not a database is refused cleanly, and the files are the
//! owner's alone.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use keycard_core::UnixTime;
use keycard_core::store::{StoreError, UserStore};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_store::conformance::feed::{FeedPair, Instance, PublishTime};
use keycard_store::sqlite::SqliteStore;

async fn fresh() -> Arc<SqliteStore> {
    Arc::new(
        SqliteStore::temporary()
            .await
            .expect("a temporary SQLite database"),
    )
}

keycard_store::session_store_conformance!(async { fresh().await });
keycard_store::sql_store_conformance!(async { fresh().await });

/// A fresh database and a second store on the same file, as a second process would open it.
async fn pair() -> FeedPair {
    let one = fresh().await;
    let two = Arc::new(SqliteStore::open(one.path()).await.unwrap());
    let (feed_one, feed_two) = (one.feed(), two.feed());
    FeedPair {
        one: Instance::new(one, feed_one),
        two: Instance::new(two, feed_two),
        publish_time: PublishTime::AsRecorded,
    }
}

keycard_store::feed_conformance!(async { pair().await });

/// A poll that fails ends the subscription: here the table it reads is dropped behind the
/// store's back, on a connection of the test's own.
#[tokio::test]
async fn a_failing_poll_ends_the_subscription() {
    use keycard_core::store::{FeedEvent, RevocationFeed as _};
    use sqlx::{ConnectOptions as _, Executor as _};
    let store = fresh().await;
    let mut subscription = store.feed().subscribe().await.unwrap();
    // The instrument first: the subscription is alive and polling.
    let first = tokio::time::timeout(Duration::from_secs(5), subscription.next()).await;
    assert_eq!(first.unwrap(), Some(FeedEvent::Heartbeat));
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(store.path())
        .connect()
        .await
        .unwrap();
    conn.execute("DROP TABLE revocations").await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while subscription.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the subscription outlived a failing poll");
}

#[tokio::test]
async fn data_survives_reopening_and_migrations_run_once() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("nested-name.sqlite3");
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    let alice = User::new(
        Email::parse("alice@example.com").unwrap(),
        hash,
        UnixTime::from_secs(1),
    )
    .unwrap();
    {
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.path(), path);
        store.create_user(&alice).await.unwrap();
    }
    assert!(path.exists(), "created when missing");
    let reopened = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        reopened.load_user(&alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert!(matches!(
        reopened.create_user(&alice).await,
        Err(StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("garbage.sqlite3");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let result = SqliteStore::open(&path).await;
    assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
}

/// The database at `path` and those of its `-wal` and `-shm` companions that exist, each
/// with its permission bits.
#[cfg(unix)]
fn modes(path: &std::path::Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt as _;
    ["", "-wal", "-shm"]
        .into_iter()
        .filter_map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let metadata = std::fs::metadata(&name).ok()?;
            Some((suffix.to_owned(), metadata.permissions().mode() & 0o7777))
        })
        .collect()
}

#[cfg(unix)]
#[tokio::test]
async fn database_files_are_created_owner_only() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("keycard.sqlite3");
    let store = SqliteStore::open(&path).await.unwrap();
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    let alice = User::new(
        Email::parse("alice@example.com").unwrap(),
        hash,
        UnixTime::from_secs(1),
    )
    .unwrap();
    store.create_user(&alice).await.unwrap();
    let found = modes(&path);
    // The instrument first: WAL mode keeps both companions while the store is open.
    let names: Vec<&str> = found.iter().map(|(suffix, _)| suffix.as_str()).collect();
    assert_eq!(names, ["", "-wal", "-shm"], "{found:?}");
    for (suffix, mode) in &found {
        assert_eq!(*mode, 0o600, "keycard.sqlite3{suffix}: {mode:o}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn an_existing_world_readable_database_is_closed_up() {
    use std::os::unix::fs::PermissionsExt as _;
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("keycard.sqlite3");
    drop(SqliteStore::open(&path).await.unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _store = SqliteStore::open(&path).await.unwrap();
    for (suffix, mode) in modes(&path) {
        assert_eq!(mode, 0o600, "keycard.sqlite3{suffix}: {mode:o}");
    }
}

/// A family created before migration 0002 (no replay count) is upgraded with a count of 0:
/// its previous token replays up to the bound, then the family is revoked.
#[tokio::test]
async fn a_family_from_before_the_replay_count_is_bounded_after_upgrade() {
    use keycard_core::opaque::{OpaqueKind, OpaqueToken};
    use keycard_core::session::seal_successor;
    use keycard_core::store::{Rotation, SessionStore as _};
    use sqlx::migrate::Migrator;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions as _, Connection as _};

    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("old.sqlite3");
    // The database as the release with only 0001 left it.
    let only_0001 = scratch.path().join("migrations");
    std::fs::create_dir(&only_0001).unwrap();
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        manifest.join("migrations/sqlite/0001_initial.sql"),
        only_0001.join("0001_initial.sql"),
    )
    .unwrap();
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    Migrator::new(only_0001.as_path())
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .unwrap();
    // Generation 1, rotated at 100 from `first` to `second`, in the 0001 columns.
    let first = OpaqueToken::generate(OpaqueKind::Refresh).unwrap();
    let second = OpaqueToken::generate(OpaqueKind::Refresh).unwrap();
    let sealed = seal_successor(&first, &second).unwrap();
    sqlx::query(
        "INSERT INTO sessions (id, user_id, kind, created_at, last_seen_at, \
         idle_timeout_secs, absolute_expiry, expires_at, generation, rotated_at, \
         sealed_successor) VALUES ('s1', 'u1', 'refresh', 0, 100, 3600, 86400, 3700, 1, 100, ?)",
    )
    .bind(&sealed)
    .execute(&mut conn)
    .await
    .unwrap();
    for (token, generation) in [(&first, 0), (&second, 1)] {
        sqlx::query(
            "INSERT INTO session_tokens (digest, session_id, generation) VALUES (?, 's1', ?)",
        )
        .bind(&token.digest().as_bytes()[..])
        .bind(generation)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();

    let store = SqliteStore::open(&path).await.unwrap();
    let present = |now: i64| {
        let next = OpaqueToken::generate(OpaqueKind::Refresh).unwrap();
        let sealed = seal_successor(&first, &next).unwrap();
        let store = &store;
        let first = &first;
        async move {
            store
                .rotate_refresh(
                    &first.digest(),
                    &next.digest(),
                    &sealed,
                    UnixTime::from_secs(now),
                    30,
                    2,
                )
                .await
                .unwrap()
        }
    };
    for now in [101, 102] {
        let rotation = present(now).await;
        assert!(
            matches!(rotation, Rotation::Replayed { .. }),
            "{rotation:?}"
        );
    }
    let rotation = present(103).await;
    assert!(
        matches!(rotation, Rotation::ReuseDetected(_)),
        "{rotation:?}"
    );
}
