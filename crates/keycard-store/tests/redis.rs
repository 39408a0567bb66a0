//! The conformance suite, and this backend's own promises, against standalone Redis.
//!
//! Needs a server: `KEYCARD_REDIS_URL`, default `redis://127.0.0.1:6379`. Start one with
//! `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`.
//! An unreachable server fails every test, unless `KEYCARD_SKIP_REDIS=1`: then each test says
//! loudly that it was skipped. Each test works under its own random key prefix, so tests run
//! in parallel and leave other users of the server alone (their keys expire by TTL).
#![cfg(feature = "redis")]
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod redis_common;

use std::sync::Arc;

use keycard_core::store::StoreError;
use keycard_store::conformance::feed::{FeedPair, Instance, PublishTime};
use keycard_store::conformance::report_skipped;
use keycard_store::redis::RedisStore;

const SKIP: &str = "KEYCARD_SKIP_REDIS";
const START: &str =
    r#"redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no"#;

fn url() -> String {
    std::env::var("KEYCARD_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn connect(prefix: &str) -> Result<RedisStore, StoreError> {
    RedisStore::connect(&url(), prefix).await
}

async fn store_under(prefix: &str) -> Arc<RedisStore> {
    redis_common::connected(
        connect(prefix).await,
        &format!("Redis at {}", url()),
        START,
        SKIP,
    )
}

async fn store() -> Arc<RedisStore> {
    store_under(&redis_common::unique_prefix()).await
}

/// Skip only when asked to and the server is indeed not there.
async fn redis_unreachable_and_skip_allowed() -> bool {
    redis_common::skip_allowed(SKIP) && connect("keycard-probe").await.is_err()
}

async fn raw() -> redis::aio::MultiplexedConnection {
    redis::Client::open(url())
        .expect("a valid KEYCARD_REDIS_URL")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers")
}

/// One fresh prefix, connected twice as two instances would connect.
async fn pair() -> FeedPair {
    let prefix = redis_common::unique_prefix();
    let one = store_under(&prefix).await;
    let two = Arc::new(connect(&prefix).await.unwrap());
    let (feed_one, feed_two) = (one.feed(), two.feed());
    FeedPair {
        one: Instance::new(one, feed_one),
        two: Instance::new(two, feed_two),
        publish_time: PublishTime::AsPublished,
    }
}

keycard_store::feed_conformance!(skip_if = redis_unreachable_and_skip_allowed().await, pair());

keycard_store::limits_conformance!(
    skip_if = redis_unreachable_and_skip_allowed().await,
    store()
);

keycard_store::session_store_conformance!(
    skip_if = redis_unreachable_and_skip_allowed().await,
    store()
);

macro_rules! redis_tests {
    ($($test:ident($($raw:ident)?)),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $test() {
            if redis_unreachable_and_skip_allowed().await {
                report_skipped(stringify!($test), "KEYCARD_SKIP_REDIS=1 and Redis unreachable");
                return;
            }
            let prefix = redis_common::unique_prefix();
            redis_common::$test(store_under(&prefix).await $(, &prefix, $raw().await)?).await;
        }
    )*};
}

redis_tests!(
    odd_ids_stay_apart(),
    a_leftover_successor_route_is_unknown(raw),
    ttls_count_from_the_given_now(raw),
    limit_buckets_expire_when_full(raw),
);
