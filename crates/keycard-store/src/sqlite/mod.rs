//! The SQLite backend, Keycard's default: every store in one file, nothing to install.
//!
//! - this file: opening the database (pragmas, the two pools, migrations) and mapping
//!   `sqlx` errors into [`StoreError`];
//! - `sessions.rs`: sessions and refresh families;
//! - `rotation.rs`: the statements of the shared refresh-rotation loop
//!   (`sql::rotation`);
//! - `users.rs`: accounts;
//! - `files.rs`: keeping the database file and its companions owner-only;
//! - `revocations.rs`, `keys.rs`, `audit.rs`: revocations, signing keys and the audit log,
//!   one statement per operation;
//! - `feed.rs`: the revocation feed, polling the revocations' sequence number.
//!
//! The file is in WAL mode with `synchronous = FULL`, so a write is on disk before it is
//! acknowledged and a crash (even SIGKILL mid-write) loses nothing acknowledged. SQLite
//! allows one writer at a time: every write goes through a pool of exactly one connection,
//! so writers queue in-process instead of failing with `SQLITE_BUSY`, and multi-statement
//! writes run in `BEGIN IMMEDIATE` transactions, which take the write lock up front (the
//! busy timeout covers another process holding it). Reads use their own small pool and,
//! thanks to WAL, never wait for the writer.

mod audit;
mod feed;
mod files;
mod keys;
mod revocations;
mod rotation;
mod sessions;
mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use keycard_core::store::{StoreError, StoreResult};
use sqlx::error::ErrorKind;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tempfile::TempDir;

pub use self::feed::SqliteFeed;
use crate::sql::{MAX_ATTEMPTS, conflict_name};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long SQLite waits for another process's write lock before reporting busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections for concurrent reads (WAL lets them run beside the one writer).
const READERS: u32 = 4;

/// Every store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    /// Exactly one connection: SQLite's single writer, queued fairly in-process.
    writer: SqlitePool,
    /// Read-only use by convention; never holds a transaction open.
    reader: SqlitePool,
    /// For the feed's own connections.
    options: SqliteConnectOptions,
    path: PathBuf,
    /// For [`SqliteStore::temporary`]: the directory removed on drop (declared last, so
    /// the pools go first).
    _scratch: Option<TempDir>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `path` and brings its schema up to
    /// date.
    ///
    /// The files are the owner's alone: a new database file is created mode 0600 whatever
    /// the umask, SQLite gives its `-wal` and `-shm` companions the database file's mode,
    /// and every open takes group and other permissions off all three (so a database made
    /// world-readable elsewhere is closed up too).
    pub async fn open(path: &Path) -> StoreResult<Self> {
        files::create_private(path)?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(store_error)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(format!("SQLite migrations: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options.clone())
            .await
            .map_err(store_error)?;
        files::make_private(path)?;
        Ok(Self {
            writer,
            reader,
            options,
            path: path.to_owned(),
            _scratch: None,
        })
    }

    /// A new database in a fresh directory under the system's temporary directory,
    /// removed with everything in it when the store is dropped: for tests. (Unlike
    /// `:memory:`, every pooled connection sees the same database.)
    pub async fn temporary() -> StoreResult<Self> {
        let scratch = tempfile::Builder::new()
            .prefix("keycard-sqlite-")
            .tempdir()
            .map_err(|e| {
                StoreError::Backend(format!("creating a temporary SQLite directory: {e}"))
            })?;
        let mut store = Self::open(&scratch.path().join("keycard.sqlite3")).await?;
        store._scratch = Some(scratch);
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begins a write transaction holding SQLite's write lock from its first statement,
    /// so it never fails half-way on a lock another writer holds.
    async fn begin_immediate(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        let mut attempt = 1;
        loop {
            match self.writer.begin_with("BEGIN IMMEDIATE").await {
                Ok(tx) => return Ok(tx),
                Err(e) if is_busy(&e) && attempt < MAX_ATTEMPTS => attempt += 1,
                Err(e) => return Err(store_error(e)),
            }
        }
    }
}

/// Maps a `sqlx` error: a uniqueness violation becomes the `Conflict` it stands for,
/// anything else `Backend` (its text is for logs only).
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.kind() == ErrorKind::UniqueViolation
    {
        // "UNIQUE constraint failed: users.email"
        let columns = db.message().rsplit(": ").next().unwrap_or_default();
        let table = columns.split('.').next().unwrap_or_default();
        return StoreError::Conflict(conflict_name(table, columns));
    }
    StoreError::Backend(format!("SQLite: {error}"))
}

/// Whether SQLite gave up waiting for a lock (`SQLITE_BUSY` or `SQLITE_LOCKED`, with any
/// extended code).
fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    db.code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_connection_is_durable_and_enforces_foreign_keys() {
        let store = SqliteStore::temporary().await.unwrap();
        for pool in [&store.writer, &store.reader] {
            let mut conn = pool.acquire().await.unwrap();
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            let pragma = |name: &'static str| sqlx::query_scalar::<_, i64>(name);
            // 2 = FULL: the WAL is synced at every commit.
            assert_eq!(
                pragma("PRAGMA synchronous")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap(),
                2
            );
            assert_eq!(
                pragma("PRAGMA foreign_keys")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap(),
                1
            );
            assert_eq!(
                pragma("PRAGMA busy_timeout")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap(),
                5000
            );
        }
    }

    #[tokio::test]
    async fn a_temporary_database_goes_with_its_store() {
        let store = SqliteStore::temporary().await.unwrap();
        let dir = store.path().parent().unwrap().to_owned();
        assert!(store.path().exists());
        drop(store);
        assert!(!dir.exists());
    }
}
