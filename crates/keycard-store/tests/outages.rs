//! A store whose server is down, goes away or stops answering fails within a few seconds
//! with `StoreError::Backend` (which the server answers with 503) instead of hanging, and
//! works again by itself, without being reopened, once the server is back.
//!
//! The shared servers are never stopped: a test either starts its own throwaway
//! `redis-server` on a free port, or reaches the shared server through a TCP proxy
//! (`tcp_proxy`) that it stops, restarts or freezes. `KEYCARD_SKIP_REDIS=1` and
//! `KEYCARD_SKIP_POSTGRES=1` skip the tests that need those servers, loudly.
#![cfg(all(feature = "redis", feature = "postgres"))]
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod redis_throwaway;
mod tcp_proxy;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use keycard_core::opaque::OpaqueKind;
use keycard_core::store::{SessionStore, StoreError, UserStore};
use keycard_core::user::{Email, PasswordHash, User};
use keycard_core::{Clock as _, SystemClock, UnixTime, UserId};
use keycard_store::conformance::fixtures::{at, cookie, token, user_id};
use keycard_store::conformance::report_skipped;
use keycard_store::postgres::PostgresStore;
use keycard_store::redis::RedisStore;
use redis_throwaway::{Throwaway, free_port};
use sqlx::postgres::PgConnectOptions;
use tcp_proxy::Proxy;

/// "Within a few seconds": the bound every failure and every recovery must meet.
const BOUND: Duration = Duration::from_secs(5);

fn skip(variable: &str, test: &str) -> bool {
    let asked = std::env::var(variable).is_ok_and(|v| v == "1");
    if asked {
        report_skipped(test, &format!("{variable}=1"));
    }
    asked
}

/// Starts a wall-clock measurement: how long a failure takes is what these tests check.
#[allow(clippy::disallowed_methods)]
fn stopwatch() -> Instant {
    Instant::now()
}

/// Runs `step`, asserting it finished within [`BOUND`].
async fn quickly<T>(what: &str, step: impl Future<Output = T>) -> T {
    let started = stopwatch();
    let out = tokio::time::timeout(BOUND * 3, step)
        .await
        .unwrap_or_else(|_| panic!("{what}: still hanging after {:?}", BOUND * 3));
    let took = started.elapsed();
    assert!(took <= BOUND, "{what} took {took:?}, more than {BOUND:?}");
    out
}

/// Retries `step` until it succeeds, asserting that happens within [`BOUND`].
async fn recovers<T, E: std::fmt::Debug, F: Future<Output = Result<T, E>>>(
    what: &str,
    mut step: impl FnMut() -> F,
) -> T {
    let started = stopwatch();
    loop {
        match step().await {
            Ok(out) => return out,
            Err(e) if started.elapsed() > BOUND => {
                panic!("{what}: not back after {:?}: {e:?}", started.elapsed())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn assert_backend<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Backend(_))),
        "{what}: expected a backend error, got {result:?}"
    );
}

// ---- Nothing listening -----------------------------------------------------------------

#[tokio::test]
async fn redis_at_a_closed_port_fails_fast() {
    // Port 1 on loopback: nothing listens, every connection is refused.
    let result = quickly("connect", RedisStore::connect("redis://127.0.0.1:1", "kc")).await;
    assert_backend("connect", result);
}

#[tokio::test]
async fn redis_cluster_at_a_closed_port_fails_fast() {
    let result = quickly(
        "connect_cluster",
        RedisStore::connect_cluster(&["redis://127.0.0.1:1"], "kc"),
    )
    .await;
    assert_backend("connect_cluster", result);
}

#[tokio::test]
async fn postgres_at_a_closed_port_fails_fast() {
    let result = quickly(
        "connect",
        PostgresStore::connect("postgres://postgres@127.0.0.1:1/test"),
    )
    .await;
    assert_backend("connect", result);
}

// ---- Redis: a throwaway server, killed and started again ----------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_that_goes_away_fails_fast_and_reconnects_by_itself() {
    if skip(
        "KEYCARD_SKIP_REDIS",
        "redis_that_goes_away_fails_fast_and_reconnects_by_itself",
    ) {
        return;
    }
    let mut server = Throwaway::start(free_port());
    let store = RedisStore::connect(&server.url(), "kc-outage")
        .await
        .unwrap();
    let user = user_id();
    let (session, _, digest) = cookie(&user);
    store.create_session(&session, &digest).await.unwrap();

    server.kill();
    for attempt in ["first", "second"] {
        let result = quickly(attempt, store.load_session(&session.id, at(1))).await;
        assert_backend(attempt, result);
    }

    // Back on the same port, empty (no persistence): the same store works again.
    let port = server.port;
    let _server = Throwaway::start(port);
    recovers("the same store", || store.create_session(&session, &digest)).await;
    assert_eq!(
        store.load_session(&session.id, at(1)).await.unwrap(),
        Some(session)
    );
}

// ---- Redis: the shared server behind a proxy that stops answering -------------------------

fn shared_redis() -> SocketAddr {
    let url =
        std::env::var("KEYCARD_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let info = redis::Client::open(url.as_str())
        .expect("a valid KEYCARD_REDIS_URL")
        .get_connection_info()
        .addr()
        .to_string();
    // `host:port`, as the client prints it.
    std::net::ToSocketAddrs::to_socket_addrs(&info)
        .expect("KEYCARD_REDIS_URL names a TCP address")
        .next()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_that_stops_answering_fails_fast_and_recovers() {
    if skip(
        "KEYCARD_SKIP_REDIS",
        "redis_that_stops_answering_fails_fast_and_recovers",
    ) {
        return;
    }
    let proxy = Proxy::start(shared_redis());
    let url = format!("redis://127.0.0.1:{}", proxy.port());
    let prefix = format!(
        "keycard-test:{}",
        keycard_core::SessionId::generate().unwrap()
    );
    let store = RedisStore::connect(&url, &prefix).await.unwrap();
    let (session, _, digest) = cookie(&user_id());
    store.create_session(&session, &digest).await.unwrap();

    proxy.freeze(true);
    let result = quickly("a frozen server", store.load_session(&session.id, at(1))).await;
    assert_backend("a frozen server", result);

    proxy.freeze(false);
    let loaded = recovers("after the freeze", || {
        store.load_session(&session.id, at(1))
    })
    .await;
    assert_eq!(
        loaded,
        Some(session.clone()),
        "the answer to this request, not a stale one"
    );
    let (_, other) = token(OpaqueKind::Session);
    assert_eq!(
        store.load_session_by_token(&other, at(1)).await.unwrap(),
        None
    );
    store.delete_session(&session.id).await.unwrap();
}

// ---- PostgreSQL: the shared server behind a proxy that goes away --------------------------

fn postgres_url() -> String {
    std::env::var("KEYCARD_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_that_goes_away_fails_fast_and_recovers() {
    if skip(
        "KEYCARD_SKIP_POSTGRES",
        "postgres_that_goes_away_fails_fast_and_recovers",
    ) {
        return;
    }
    let url = postgres_url();
    let options: PgConnectOptions = url.parse().expect("a valid KEYCARD_POSTGRES_URL");
    let authority = format!("{}:{}", options.get_host(), options.get_port());
    let target = std::net::ToSocketAddrs::to_socket_addrs(&authority)
        .expect("KEYCARD_POSTGRES_URL names a TCP address")
        .next()
        .unwrap();
    let mut proxy = Proxy::start(target);
    let proxied = url.replacen(&authority, &format!("127.0.0.1:{}", proxy.port()), 1);
    assert_ne!(
        proxied, url,
        "KEYCARD_POSTGRES_URL spells its host:port as {authority}"
    );
    // The prefix postgres.rs drops stale schemas by.
    let schema = format!(
        "kc_test_{}_{}_outage",
        SystemClock.now().as_secs(),
        std::process::id()
    );
    let store = PostgresStore::connect_in_schema(&proxied, &schema)
        .await
        .unwrap();
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    let alice = User::new(
        Email::parse("outage@example.com").unwrap(),
        hash,
        UnixTime::from_secs(1),
    )
    .unwrap();
    store.create_user(&alice).await.unwrap();

    proxy.stop();
    for attempt in ["first", "second"] {
        let result = quickly(attempt, store.load_user(&alice.id)).await;
        assert_backend(attempt, result);
    }

    proxy.restart();
    let loaded = recovers("the same store", || store.load_user(&alice.id)).await;
    assert_eq!(loaded.map(|u| u.id), Some(alice.id));
    assert_eq!(store.load_user(&UserId::new("nobody")).await.unwrap(), None);
}
