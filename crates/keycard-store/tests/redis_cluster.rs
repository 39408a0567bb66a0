//! The conformance suite, and this backend's own promises, against a Redis Cluster.
//!
//! Needs three masters on loopback: `scripts/redis-cluster.sh` starts them (ports
//! 7001-7003). `KEYCARD_REDIS_CLUSTER_NODES` (comma-separated) overrides the default
//! `redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003`. An unreachable
//! cluster fails every test, unless `KEYCARD_SKIP_REDIS_CLUSTER=1`: then each test says loudly
//! that it was skipped. Random key prefixes keep parallel tests apart; each user's keys share
//! a hash tag, so one test's users land in different slots on different nodes.
#![cfg(feature = "redis")]
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod redis_common;

use std::sync::Arc;

use keycard_core::store::StoreError;
use keycard_store::conformance::feed::{FeedPair, Instance, PublishTime};
use keycard_store::conformance::report_skipped;
use keycard_store::redis::RedisStore;

const SKIP: &str = "KEYCARD_SKIP_REDIS_CLUSTER";

fn nodes() -> Vec<String> {
    std::env::var("KEYCARD_REDIS_CLUSTER_NODES")
        .unwrap_or_else(|_| {
            "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003".into()
        })
        .split(',')
        .map(|node| node.trim().to_owned())
        .filter(|node| !node.is_empty())
        .collect()
}

async fn connect(prefix: &str) -> Result<RedisStore, StoreError> {
    let nodes = nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    RedisStore::connect_cluster(&nodes, prefix).await
}

async fn store_under(prefix: &str) -> Arc<RedisStore> {
    let what = format!("The Redis Cluster at {}", nodes().join(","));
    redis_common::connected(
        connect(prefix).await,
        &what,
        "scripts/redis-cluster.sh",
        SKIP,
    )
}

async fn store() -> Arc<RedisStore> {
    store_under(&redis_common::unique_prefix()).await
}

/// Skip only when asked to and the cluster is indeed not there.
async fn cluster_unreachable_and_skip_allowed() -> bool {
    redis_common::skip_allowed(SKIP) && connect("keycard-probe").await.is_err()
}

async fn raw() -> redis::cluster_async::ClusterConnection {
    redis::cluster::ClusterClient::new(nodes())
        .expect("valid KEYCARD_REDIS_CLUSTER_NODES")
        .get_async_connection()
        .await
        .expect("the cluster answers")
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

keycard_store::feed_conformance!(
    skip_if = cluster_unreachable_and_skip_allowed().await,
    pair()
);

keycard_store::limits_conformance!(
    skip_if = cluster_unreachable_and_skip_allowed().await,
    store()
);

keycard_store::session_store_conformance!(
    skip_if = cluster_unreachable_and_skip_allowed().await,
    store()
);

macro_rules! cluster_tests {
    ($($test:ident($($raw:ident)?)),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $test() {
            if cluster_unreachable_and_skip_allowed().await {
                report_skipped(
                    stringify!($test),
                    "KEYCARD_SKIP_REDIS_CLUSTER=1 and the cluster unreachable",
                );
                return;
            }
            let prefix = redis_common::unique_prefix();
            redis_common::$test(store_under(&prefix).await $(, &prefix, $raw().await)?).await;
        }
    )*};
}

cluster_tests!(
    odd_ids_stay_apart(),
    a_leftover_successor_route_is_unknown(raw),
    ttls_count_from_the_given_now(raw),
    limit_buckets_expire_when_full(raw),
);
