//! The Redis backend: sessions, refresh families and revocations in standalone Redis or in
//! Redis Cluster. (Users, keys and the audit log always live in SQL.)
//!
//! ```text
//! mod.rs          RedisStore, the connection (standalone or cluster), deadlines, error mapping
//! key_names.rs    every key name, and the layout table: one user's records share a slot
//! codec.rs        how a session, an index entry and a revocation are spelled in Redis
//! scripts.rs      the Lua scripts, each one atomic step (the rotation rule is one of them)
//! index.rs        the routes to a user's slot, and why they are written in the order they are
//! sessions.rs     SessionStore: a script per change, the index entries around it, the sweep
//! rotation.rs     SessionStore::rotate_refresh
//! revocations.rs  RevocationStore
//! feed.rs         RevocationFeed: PUBLISH, and a pub/sub connection per subscription
//! limits.rs       SharedLimiter: the login and registration limits of every instance
//! ```
//!
//! Every operation that changes a session is one Lua script over its user's slot, so it is
//! atomic in a cluster too. A token or a bare session id does not name its user, so small
//! index entries in other slots say where to look; they are written before and removed after
//! the script, and are only ever routing hints (see `index.rs` for what a crash between the
//! two steps can and cannot do).
//!
//! A server that is down or does not answer fails each operation within a few seconds
//! (`StoreError::Backend`, never a hang), and a standalone store reconnects by itself once
//! the server is back.
//!
//! Needs Redis 7.0 or later (`EXPIRE ... NX | GT`, `ZADD ... GT`), standalone or cluster.
//!
//! Time is never Redis's: every deadline is checked against the `now` the caller passes, and
//! key TTLs are counted from that `now` (`EXPIRE deadline - now`), so a TTL only ever
//! reclaims memory and never decides an answer.
//!
//! ```no_run
//! # async fn demo() -> Result<(), keycard_core::store::StoreError> {
//! use keycard_store::redis::RedisStore;
//! let standalone = RedisStore::connect("redis://127.0.0.1:6379", "keycard").await?;
//! let cluster = RedisStore::connect_cluster(
//!     &["redis://127.0.0.1:7001", "redis://127.0.0.1:7002", "redis://127.0.0.1:7003"],
//!     "keycard",
//! )
//! .await?;
//! # Ok(()) }
//! ```

mod codec;
mod feed;
mod index;
mod key_names;
mod limits;
mod revocations;
mod rotation;
mod scripts;
mod sessions;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use keycard_core::UnixTime;
use keycard_core::store::{StoreError, StoreResult};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

pub use self::feed::RedisFeed;
use self::key_names::KeyNames;

/// How long one attempt to connect to a server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long to wait for any one reply.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest a connection, or any one command (reconnecting included), may take before the
/// store gives up with `StoreError::Backend` (the server's 503) instead of hanging.
const DEADLINE: Duration = Duration::from_secs(4);

/// Sessions, refresh families and revocations in Redis, every key under one prefix.
///
/// Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct RedisStore {
    conn: Connection,
    keys: KeyNames,
    /// The server, or the cluster's seed nodes: where a feed subscription connects.
    nodes: Arc<[redis::Client]>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.conn {
            Connection::Standalone(_) => "standalone",
            Connection::Cluster(_) => "cluster",
        };
        f.debug_struct("RedisStore")
            .field("kind", &kind)
            .field("keys", &self.keys)
            .finish()
    }
}

impl RedisStore {
    /// Connects to a standalone server (`redis://host:port/db`, `rediss://` for TLS if the
    /// `redis` crate was built with it) and keeps the connection, reconnecting as needed.
    /// `prefix` starts every key, so several stores can share one server; it must not
    /// contain a brace.
    ///
    /// An unreachable server fails the call within a few seconds. Once connected, a server
    /// that goes away fails each operation within a few seconds, and the first failure
    /// starts a reconnection in the background: when the server is back, the same store
    /// works again.
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<Self> {
        let keys = keys_for(prefix)?;
        let client = redis::Client::open(url).map_err(backend)?;
        let nodes = Arc::from([client.clone()]);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let manager = within_deadline(ConnectionManager::new_with_config(client, config))
            .await
            .map_err(backend)?;
        Ok(Self {
            conn: Connection::Standalone(manager),
            keys,
            nodes,
        })
    }

    /// Connects to a Redis Cluster through any of its `nodes` (`redis://host:port`); the
    /// rest of the cluster is discovered. `prefix` as for [`connect`](Self::connect); the
    /// same deadlines apply, and the cluster connection reconnects to nodes by itself.
    pub async fn connect_cluster(nodes: &[&str], prefix: &str) -> StoreResult<Self> {
        let keys = keys_for(prefix)?;
        let seeds = nodes
            .iter()
            .map(|node| redis::Client::open(*node))
            .collect::<Result<Arc<[_]>, _>>()
            .map_err(backend)?;
        let client = ClusterClient::builder(nodes.iter().copied())
            .connection_timeout(CONNECT_TIMEOUT)
            // Also the bound on a whole request, its retries and redirections included.
            .response_timeout(RESPONSE_TIMEOUT)
            .build()
            .map_err(backend)?;
        let cluster = within_deadline(client.get_async_connection())
            .await
            .map_err(backend)?;
        Ok(Self {
            conn: Connection::Cluster(cluster),
            keys,
            nodes: seeds,
        })
    }

    /// A handle on the shared connection, for one operation.
    fn conn(&self) -> Connection {
        self.conn.clone()
    }
}

fn keys_for(prefix: &str) -> StoreResult<KeyNames> {
    KeyNames::new(prefix)
        .ok_or_else(|| StoreError::Backend("a Redis key prefix must not contain '{' or '}'".into()))
}

/// A Redis failure, for logs only (the store error's `Backend` text never reaches a client).
///
/// This is the `From<RedisError> for StoreError` of the other backends' style, as a
/// function: both types are foreign to this crate, so the orphan rule forbids the impl here,
/// and `keycard-core` must not depend on `redis`.
fn backend(err: RedisError) -> StoreError {
    StoreError::Backend(format!("redis: {err}"))
}

/// Seconds from `now` until `until`, as a key TTL: at least 1 (a TTL of 0 or less would
/// delete the key at once) and at most 100 years (a TTL only reclaims memory; reads check
/// deadlines against their own `now`).
fn ttl_secs(until: UnixTime, now: UnixTime) -> i64 {
    until
        .as_secs()
        .saturating_sub(now.as_secs())
        .clamp(1, 100 * 365 * 24 * 3600)
}

/// `request`, or a timeout error once [`DEADLINE`] has passed. The client's own timeouts
/// should answer first; this is the bound whatever happens inside it (a reconnection's
/// retries, a cluster's redirections).
async fn within_deadline<T>(
    request: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, RedisError> {
    tokio::time::timeout(DEADLINE, request)
        .await
        .unwrap_or_else(|_| {
            Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no answer within the store's deadline",
            )))
        })
}

/// The two kinds of connection, behind the one trait commands, pipelines and scripts use;
/// every request is bounded by [`DEADLINE`].
#[derive(Clone)]
enum Connection {
    /// One server, reconnecting on failure.
    Standalone(ConnectionManager),
    /// A cluster: each command goes to the node serving its keys' slot.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let request = match self {
            Self::Standalone(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        };
        Box::pin(within_deadline(request))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let request = match self {
            Self::Standalone(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        };
        Box::pin(within_deadline(request))
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Standalone(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}
