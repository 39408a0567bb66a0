//! The conformance suite against SQLite, each test in a fresh database file that is
//! removed with its store; then what only a file can show: data outlives the process's
//! handle on it, and a file that is not a database is refused cleanly.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use keycard_core::UnixTime;
use keycard_core::store::{StoreError, UserStore};
use keycard_core::user::{Email, PasswordHash, User};
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

