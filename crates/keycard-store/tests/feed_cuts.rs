//! A revocation feed subscription ends, promptly, when its connection is cut or stops
//! answering, so its follower resubscribes and reloads the snapshot instead of trusting a
//! subscription that hears nothing. (The conformance suites hold the other cuts: a
//! terminated PostgreSQL listener in `postgres.rs`, a failing SQLite poll in `sqlite.rs`.)
//!
//! The shared servers are never stopped, and no other client of theirs is killed: `CLIENT
//! KILL TYPE pubsub` runs against a throwaway `redis-server`, and the other cuts go through
//! a TCP proxy (`tcp_proxy`) of the test's own. `KEYCARD_SKIP_REDIS=1`,
//! `KEYCARD_SKIP_REDIS_CLUSTER=1` and `KEYCARD_SKIP_POSTGRES=1` skip, loudly.
#![cfg(all(feature = "redis", feature = "postgres"))]
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod redis_throwaway;
mod tcp_proxy;

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::time::Duration;

use keycard_core::store::{FeedEvent, FeedSubscription, RevocationFeed};
use keycard_core::{Clock as _, SessionId, SystemClock};
use keycard_store::conformance::report_skipped;
use keycard_store::postgres::PostgresStore;
use keycard_store::redis::RedisStore;
use redis_throwaway::{Throwaway, free_port};
use sqlx::postgres::PgConnectOptions;
use tcp_proxy::Proxy;

/// "Promptly": a dead connection is noticed within a ping period and its timeout, and
/// a closed one at once.
const BOUND: Duration = Duration::from_secs(5);

fn skip(variable: &str, test: &str) -> bool {
    let asked = std::env::var(variable).is_ok_and(|v| v == "1");
    if asked {
        report_skipped(test, &format!("{variable}=1"));
    }
    asked
}

fn prefix() -> String {
    format!("keycard-test:{}", SessionId::generate().unwrap())
}

fn address(authority: &str) -> SocketAddr {
    authority.to_socket_addrs().unwrap().next().unwrap()
}

/// A live subscription: it hears a heartbeat sent through `feed`.
async fn live(feed: &dyn RevocationFeed) -> Box<dyn FeedSubscription> {
    let mut subscription = feed.subscribe().await.unwrap();
    feed.heartbeat().await.unwrap();
    let heard = tokio::time::timeout(BOUND, subscription.next()).await;
    assert_eq!(heard.unwrap(), Some(FeedEvent::Heartbeat), "the instrument");
    subscription
}

/// Asserts `subscription` ends (`next()` gives `None`) within [`BOUND`].
async fn ends(what: &str, mut subscription: Box<dyn FeedSubscription>) {
    let ended = tokio::time::timeout(BOUND, async {
        while subscription.next().await.is_some() {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "{what}: the subscription outlived its connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_client_kill_ends_the_subscription() {
    if skip(
        "KEYCARD_SKIP_REDIS",
        "redis_client_kill_ends_the_subscription",
    ) {
        return;
    }
    let server = Throwaway::start(free_port());
    let store = RedisStore::connect(&server.url(), "kc-feed").await.unwrap();
    let feed = store.feed();
    let subscription = live(&feed).await;
    let mut admin = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(
        killed, 1,
        "the instrument: exactly the subscription's connection"
    );
    ends("CLIENT KILL TYPE pubsub", subscription).await;
    // The store's own connection is untouched: the next subscription works.
    drop(live(&feed).await);
}

fn shared_redis() -> SocketAddr {
    let url =
        std::env::var("KEYCARD_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = redis::Client::open(url.as_str()).unwrap();
    address(&client.get_connection_info().addr().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_that_stops_answering_ends_the_subscription() {
    if skip(
        "KEYCARD_SKIP_REDIS",
        "redis_that_stops_answering_ends_the_subscription",
    ) {
        return;
    }
    let proxy = Proxy::start(shared_redis());
    let url = format!("redis://127.0.0.1:{}", proxy.port());
    let store = RedisStore::connect(&url, &prefix()).await.unwrap();
    let subscription = live(&store.feed()).await;
    // Open but silent, as a half-open connection or a frozen server would be.
    proxy.freeze(true);
    ends("a frozen Redis", subscription).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_subscription_ends_when_its_node_goes_away() {
    if skip(
        "KEYCARD_SKIP_REDIS_CLUSTER",
        "a_cluster_subscription_ends_when_its_node_goes_away",
    ) {
        return;
    }
    // The only seed node is a proxy to 7001: the subscription connects through it, the
    // cluster connection to the nodes the cluster names.
    let mut proxy = Proxy::start(address("127.0.0.1:7001"));
    let seed = format!("redis://127.0.0.1:{}", proxy.port());
    let store = RedisStore::connect_cluster(&[&seed], &prefix())
        .await
        .unwrap();
    let subscription = live(&store.feed()).await;
    proxy.stop();
    ends("its cluster node gone", subscription).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_postgres_listener_ends_the_subscription() {
    if skip(
        "KEYCARD_SKIP_POSTGRES",
        "a_silent_postgres_listener_ends_the_subscription",
    ) {
        return;
    }
    let url = std::env::var("KEYCARD_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let options: PgConnectOptions = url.parse().unwrap();
    let authority = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = Proxy::start(address(&authority));
    let proxied = url.replacen(&authority, &format!("127.0.0.1:{}", proxy.port()), 1);
    assert_ne!(
        proxied, url,
        "KEYCARD_POSTGRES_URL spells its host:port as {authority}"
    );
    // The prefix postgres.rs drops stale schemas by.
    let schema = format!(
        "kc_test_{}_{}_feed",
        SystemClock.now().as_secs(),
        std::process::id()
    );
    let store = PostgresStore::connect_in_schema(&proxied, &schema)
        .await
        .unwrap();
    let subscription = live(&store.feed()).await;
    proxy.freeze(true);
    ends("a frozen PostgreSQL", subscription).await;
}
