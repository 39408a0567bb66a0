//! Several Keycard instances sharing their stores, as a deployment behind a load balancer
//! runs them: each instance opens the stores itself from their URLs (its own connections,
//! its own feed subscription, its own in-memory revocations), all with the same issuer and
//! master key, so each accepts the others' tokens and refreshes the others' families.

use std::sync::atomic::{AtomicU64, Ordering};

use keycard_core::{Clock as _, SystemClock};
use keycard_server::config::{Mode, ServeArgs};
use keycard_store::postgres::PostgresStore;

use super::backend::{postgres_url, redis_url};
use super::{Scratch, TestServer, args, scratch};

/// The issuer every instance of a fleet shares.
pub const ISSUER: &str = "https://fleet.keycard.test";
/// The admin token every instance shares.
pub const ADMIN_TOKEN: &str = "fleet-admin-token-0123456789-abcdefghij";
pub const MASTER_KEY: &str = "ZmxlZXQtbWFzdGVyLWtleS0wMTIzNDU2Nzg5YWJjZGU";

/// Where a fleet keeps its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shared {
    /// Users, keys and audit in PostgreSQL; sessions and revocations in Redis.
    PostgresRedis,
    /// Everything in PostgreSQL.
    Postgres,
    /// Users, keys and audit in PostgreSQL; sessions and revocations in Redis Cluster.
    PostgresRedisCluster,
    /// Everything in one SQLite file, the instances on one host.
    Sqlite,
}

/// The store URLs a fleet shares, as written in settings.
#[derive(Clone, Debug, Default)]
pub struct Urls {
    /// Users, keys and audit; `None`: the SQLite file of the data dir.
    pub user_store: Option<String>,
    /// Sessions and revocations; `None`: the user store.
    pub session_store: Option<String>,
}

/// Running instances and what they share.
pub struct Fleet {
    pub instances: Vec<TestServer>,
    /// What each instance was started with, to start it again.
    args: Vec<ServeArgs>,
    _dirs: Vec<Scratch>,
}

fn unique(kind: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "kc_test_{kind}_{}_{}_{n}",
        SystemClock.now().as_secs(),
        std::process::id()
    )
}

/// A PostgreSQL URL whose connections use `schema`, which is created (and migrated) first.
pub async fn postgres_in_fresh_schema() -> String {
    let schema = unique("fleet");
    PostgresStore::connect_in_schema(&postgres_url(), &schema)
        .await
        .unwrap_or_else(|error| panic!("no PostgreSQL (or set KEYCARD_SKIP_POSTGRES=1): {error}"));
    let separator = if postgres_url().contains('?') {
        '&'
    } else {
        '?'
    };
    format!(
        "{}{separator}options=-c%20search_path%3D{schema}",
        postgres_url()
    )
}

fn cluster_url() -> String {
    let nodes = std::env::var("KEYCARD_REDIS_CLUSTER_NODES").unwrap_or_else(|_| {
        "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003".into()
    });
    let hosts: Vec<&str> = nodes
        .split(',')
        .map(|node| node.trim().trim_start_matches("redis://"))
        .collect();
    format!("redis+cluster://{}", hosts.join(","))
}

impl Fleet {
    /// `n` instances in `mode` over stores of kind `shared`, each given `customise` to
    /// adjust its settings (instance index, the shared URLs, its settings).
    pub async fn start(
        shared: Shared,
        n: usize,
        mode: Mode,
        customise: impl Fn(usize, &Urls, ServeArgs) -> ServeArgs,
    ) -> Self {
        let common = ServeArgs {
            mode: Some(mode),
            issuer: Some(ISSUER.into()),
            master_key: Some(MASTER_KEY.parse().unwrap()),
            admin_token: Some(ADMIN_TOKEN.parse().unwrap()),
            ..ServeArgs::default()
        };
        let (user_store, session_store, prefix) = match shared {
            Shared::PostgresRedis => (
                Some(postgres_in_fresh_schema().await),
                Some(redis_url()),
                Some(unique("fleet")),
            ),
            Shared::Postgres => (Some(postgres_in_fresh_schema().await), None, None),
            Shared::PostgresRedisCluster => (
                Some(postgres_in_fresh_schema().await),
                Some(cluster_url()),
                Some(unique("fleet")),
            ),
            Shared::Sqlite => (None, None, None),
        };
        let urls = Urls {
            user_store: user_store.clone(),
            session_store: session_store.clone(),
        };
        // SQLite instances share one data dir: the database file and the key files.
        let shared_dir = scratch("fleet");
        let mut dirs = Vec::new();
        let mut instances = Vec::new();
        let mut started = Vec::new();
        for index in 0..n {
            let dir = scratch("fleet-instance");
            let data_dir = match shared {
                Shared::Sqlite => shared_dir.path().to_owned(),
                _ => dir.path().to_owned(),
            };
            let settings = ServeArgs {
                user_store: user_store.as_ref().map(|url| url.parse().unwrap()),
                session_store: session_store.as_ref().map(|url| url.parse().unwrap()),
                redis_prefix: prefix.clone(),
                ..common.clone().over(args(&data_dir))
            };
            let settings = customise(index, &urls, settings);
            instances.push(TestServer::start(settings.clone()).await);
            started.push(settings);
            dirs.push(dir);
        }
        dirs.push(shared_dir);
        Self {
            instances,
            args: started,
            _dirs: dirs,
        }
    }

    /// Stops instance `index` and starts it again with the same settings and data dir (on a
    /// new port): it keeps nothing in memory from before.
    pub async fn restart(&mut self, index: usize) {
        self.instances.remove(index).stop().await.unwrap();
        let fresh = TestServer::start(self.args[index].clone()).await;
        self.instances.insert(index, fresh);
    }

    /// Stops every instance.
    pub async fn stop(self) {
        for instance in self.instances {
            instance.stop().await.unwrap();
        }
    }
}
