//! The stores a test server runs on: SQLite in every run; PostgreSQL (users, keys, audit)
//! with Redis (sessions, revocations) where those answer, as in CI.
//!
//! PostgreSQL is at `KEYCARD_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), each server in a fresh schema named like the
//! store tests' (`kc_test_<secs>_<pid>_<n>`, so their clean-up drops it later); Redis is at
//! `KEYCARD_REDIS_URL` (default `redis://127.0.0.1:6379`), each server under its own key
//! prefix. An unreachable server fails the test; `KEYCARD_SKIP_POSTGRES=1` or
//! `KEYCARD_SKIP_REDIS=1` skips it instead, saying so on stderr.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use keycard_auth::Auth;
use keycard_core::{Algorithm, Clock, Key, KeySet, SystemClock};
use keycard_server::AppState;
use keycard_server::config::{ServeArgs, Settings};
use keycard_store::open::Stores;
use keycard_store::postgres::PostgresStore;
use keycard_store::redis::RedisStore;

use super::TestServer;

/// Where a test server keeps its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Everything in one SQLite file in the scratch dir (the default `keycard serve`).
    Sqlite,
    /// Users, keys and audit in PostgreSQL; sessions and revocations in Redis.
    PostgresRedis,
}

fn skip_requested() -> bool {
    ["KEYCARD_SKIP_POSTGRES", "KEYCARD_SKIP_REDIS"]
        .iter()
        .any(|variable| std::env::var(variable).is_ok_and(|v| v == "1"))
}

impl Backend {
    /// Whether the test should run on this backend; says SKIPPED when not.
    pub fn available(self, test: &str) -> bool {
        if self == Self::PostgresRedis && skip_requested() {
            eprintln!("SKIPPED {test} on PostgreSQL + Redis (KEYCARD_SKIP_* is set)");
            return false;
        }
        true
    }

    /// Starts the server with `args` on this backend and `clock`.
    pub async fn start(self, args: ServeArgs, clock: Arc<dyn Clock>) -> TestServer {
        match self {
            Self::Sqlite => TestServer::start_with_clock(args, |routes| routes, clock).await,
            Self::PostgresRedis => start_postgres_redis(args, clock).await,
        }
    }
}

/// The server over fresh PostgreSQL and Redis namespaces, with an in-memory EdDSA key
/// (key storage is tested elsewhere; here only the flows matter).
async fn start_postgres_redis(args: ServeArgs, clock: Arc<dyn Clock>) -> TestServer {
    start_on(&postgres_url(), &redis_url(), args, clock).await
}

/// The PostgreSQL the tests use.
pub fn postgres_url() -> String {
    std::env::var("KEYCARD_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The Redis the tests use.
pub fn redis_url() -> String {
    std::env::var("KEYCARD_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The server over a fresh schema of the PostgreSQL at `pg_url` and a fresh prefix of the
/// Redis at `redis_url`.
pub async fn start_on(
    pg_url: &str,
    redis_url: &str,
    args: ServeArgs,
    clock: Arc<dyn Clock>,
) -> TestServer {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tag = format!("{}_{}_{n}", SystemClock.now().as_secs(), std::process::id());
    let sql = PostgresStore::connect_in_schema(pg_url, &format!("kc_test_{tag}"))
        .await
        .unwrap_or_else(|error| {
            panic!("no PostgreSQL at {pg_url} (or set KEYCARD_SKIP_POSTGRES=1): {error}")
        });
    let redis = RedisStore::connect(redis_url, &format!("kc_test_flows_{tag}"))
        .await
        .unwrap_or_else(|error| {
            panic!("no Redis at {redis_url} (or set KEYCARD_SKIP_REDIS=1): {error}")
        });
    let feed = Arc::new(redis.feed());
    let (sql, redis) = (Arc::new(sql), Arc::new(redis));
    let stores = Stores {
        users: sql.clone(),
        keys: sql.clone(),
        audit: sql,
        sessions: redis.clone(),
        revocations: redis.clone(),
        feed,
        limits: Some(redis),
    };
    let settings = Settings::resolve(args).expect("settings resolve");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let settings = settings.bound_to(listener.local_addr().unwrap());
    let keys = KeySet::with_active(Key::generate(Algorithm::EdDSA).unwrap()).unwrap();
    let auth = Auth::new(settings.auth.clone(), stores, keys, clock).unwrap();
    let tasks = keycard_server::bootstrap::spawn_feed_tasks(&auth);
    let state = AppState::new(settings, auth);
    let background = keycard_server::bootstrap::background(tasks);
    TestServer::serve(listener, state, |routes| routes, Some(background))
}
