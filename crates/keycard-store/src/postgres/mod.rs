//! The PostgreSQL backend: every store in one database (or one schema of it), shared by
//! several Keycard instances.
//!
//! - this file: connecting (optionally inside a schema), migrations, the timeouts that make
//!   a database that is down fail fast (`StoreError::Backend`, never a hang), and mapping
//!   `sqlx` errors into [`StoreError`];
//! - `sessions.rs`: sessions and refresh families;
//! - `rotation.rs`: the statements of the shared refresh-rotation loop
//!   (`sql::rotation`);
//! - `users.rs`: accounts;
//! - `revocations.rs`, `keys.rs`, `audit.rs`: revocations, signing keys and the audit log,
//!   one statement per operation;
//! - `feed.rs`: the revocation feed, `NOTIFY` and a `LISTEN` connection per subscription;
//! - `limits.rs`: the login and registration limits every instance shares.
//!
//! Uniqueness constraints carry names (`users_email_key`, `sessions_pkey`, ...) that the
//! error mapping reads back as the conflict's rule.

mod audit;
mod feed;
mod keys;
mod limits;
mod revocations;
mod rotation;
mod sessions;
mod users;

use std::sync::Arc;
use std::time::Duration;

use keycard_core::store::{StoreError, StoreResult};
use sqlx::error::ErrorKind;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection as _, Executor as _, PgConnection};

pub use self::feed::PostgresFeed;
use crate::sql::conflict_name;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per instance: rotation holds one for the length of a short transaction.
const MAX_CONNECTIONS: u32 = 16;

/// How long a caller waits for a pooled connection (opening a new one included) before the
/// store reports `StoreError::Backend`, which the server answers with 503: a database that
/// is down fails requests fast instead of hanging them.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long the first connection, made when the store is opened, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Every store in PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
    /// For the feed's own connections.
    options: PgConnectOptions,
    /// The feed's channel, named for the schema the store lives in.
    channel: String,
}

impl std::fmt::Debug for PostgresStore {
    // The connect options hold the password: the channel says which store this is.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`) and brings the schema in
    /// the connection's default `search_path` up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::open(url, None).await
    }

    /// Connects to `url` with every pooled connection inside `schema` (created if
    /// missing), and brings that schema up to date: one database can hold several
    /// independent Keycard stores, one per test for instance. A schema name is lowercase
    /// ASCII letters, digits and `_`, starting with a letter or `_`, at most 63 bytes.
    pub async fn connect_in_schema(url: &str, schema: &str) -> StoreResult<Self> {
        if !is_plain_identifier(schema) {
            return Err(StoreError::Backend(format!(
                "PostgreSQL: {schema:?} is not a plain schema name ([a-z_][a-z0-9_]*, <= 63 bytes)"
            )));
        }
        Self::open(url, Some(schema)).await
    }

    async fn open(url: &str, schema: Option<&str>) -> StoreResult<Self> {
        let options: PgConnectOptions = url.parse().map_err(store_error)?;
        // One plain connection first: an unreachable server fails here at once, where the
        // pool would retry a refused connection until its timeout.
        let mut first = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| StoreError::Backend("PostgreSQL: connecting timed out".into()))?
            .map_err(store_error)?;
        let mut pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT);
        if let Some(schema) = schema {
            first
                .execute(format!(r#"CREATE SCHEMA IF NOT EXISTS "{schema}""#).as_str())
                .await
                .map_err(store_error)?;
            let set_path: Arc<str> = format!(r#"SET search_path TO "{schema}""#).into();
            pool = pool.after_connect(move |conn, _meta| {
                let set_path = set_path.clone();
                Box::pin(async move { conn.execute(&*set_path).await.map(drop) })
            });
        }
        first.close().await.map_err(store_error)?;
        let pool = pool
            .connect_with(options.clone())
            .await
            .map_err(store_error)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("PostgreSQL migrations: {e}")))?;
        let schema: String = sqlx::query_scalar("SELECT COALESCE(current_schema()::text, '')")
            .fetch_one(&pool)
            .await
            .map_err(store_error)?;
        Ok(Self {
            pool,
            options,
            channel: feed::channel_for(&schema),
        })
    }
}

/// Whether `name` can be spliced into SQL as a quoted identifier without escaping.
fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Maps a `sqlx` error: a uniqueness violation becomes the `Conflict` its constraint
/// stands for, anything else `Backend` (its text is for logs only).
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.kind() == ErrorKind::UniqueViolation
    {
        let table = db.table().unwrap_or_default();
        let constraint = db.constraint().unwrap_or_default();
        return StoreError::Conflict(conflict_name(table, constraint));
    }
    StoreError::Backend(format!("PostgreSQL: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_schema_names_are_spliced() {
        for good in ["keycard", "_t", "kc_test_1800000000_42_7", &"a".repeat(63)] {
            assert!(is_plain_identifier(good), "{good}");
        }
        for bad in [
            "",
            "Keycard",
            "1abc",
            "a-b",
            "a\"b",
            "a b",
            "a;drop",
            "é",
            &"a".repeat(64),
        ] {
            assert!(!is_plain_identifier(bad), "{bad}");
        }
    }
}
