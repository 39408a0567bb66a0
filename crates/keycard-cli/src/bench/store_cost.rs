//! The in-process cost of one session lookup by token digest (what session mode pays per
//! request on a near-cache miss), per backend, from one client: the store is opened as the
//! server opens it, 100 sessions are created, then they are loaded in turn for a fixed
//! time. `bench/src/bin/store_bench.rs` measures the same under concurrency.

use std::time::Duration;

use keycard_core::opaque::{OpaqueKind, OpaqueToken};
use keycard_core::session::{ClientMeta, Session, SessionKind};
use keycard_core::{Clock as _, SessionId, SystemClock, UserId};
use keycard_store::open::StoreUrl;

use super::backend::{Backend, Locations};
use super::latency::{Latencies, rate};
use super::report::StoreCost;
use super::stopwatch::{nanos, now, since};
use crate::failure::Failure;

/// Sessions created and then looked up in turn.
const SESSIONS: usize = 100;

/// One lookup per backend, each timed for about `budget`.
pub async fn measure(
    backends: &[Backend],
    locations: &Locations,
    tag: &str,
    budget: Duration,
) -> Result<Vec<StoreCost>, Failure> {
    let mut costs = Vec::with_capacity(backends.len());
    for (index, backend) in backends.iter().enumerate() {
        costs.push(one(backend, locations, &format!("{tag}_lookup{index}"), budget).await?);
    }
    Ok(costs)
}

async fn one(
    backend: &Backend,
    locations: &Locations,
    tag: &str,
    budget: Duration,
) -> Result<StoreCost, Failure> {
    let scratch = tempfile::Builder::new()
        .prefix("keycard-bench-")
        .tempdir()
        .map_err(|e| Failure::Input(format!("cannot make a scratch dir: {e}")))?;
    let prepared = backend.prepare(locations, scratch.path(), tag).await?;
    let session_url = prepared.sessions.as_ref().unwrap_or(&prepared.users);
    let session_store = kind(session_url).to_owned();
    let measured = async {
        let stores = keycard_store::open::open(
            &prepared.users,
            prepared.sessions.as_ref(),
            &prepared.redis_prefix,
        )
        .await
        .map_err(|e| Failure::Input(format!("{}: {e}", backend.name())))?;
        let store = stores.sessions;
        let at = SystemClock.now();
        let mut digests = Vec::with_capacity(SESSIONS);
        for i in 0..SESSIONS {
            let token = OpaqueToken::generate(OpaqueKind::Session)?;
            let session = Session {
                id: SessionId::generate()?,
                user_id: UserId::new(format!("bench-user-{i}")),
                kind: SessionKind::Cookie,
                created_at: at,
                last_seen_at: at,
                idle_timeout_secs: 600,
                absolute_expiry: at.plus_secs(600),
                client: ClientMeta {
                    user_agent: Some("keycard bench".into()),
                    ip: Some("127.0.0.1".into()),
                    label: None,
                },
            };
            store
                .create_session(&session, &token.digest())
                .await
                .map_err(|e| {
                    Failure::Input(format!("{}: creating a session: {e}", backend.name()))
                })?;
            digests.push(token.digest());
        }
        let mut latencies = Latencies::with_capacity(1 << 14);
        let started = now();
        let mut loads: u64 = 0;
        while since(started) < budget || loads == 0 {
            let digest = &digests[latencies.len() % SESSIONS];
            let began = now();
            let found = store.load_session_by_token(digest, at).await.map_err(|e| {
                Failure::Input(format!("{}: loading a session: {e}", backend.name()))
            })?;
            latencies.record(nanos(since(began)));
            if found.is_none() {
                return Err(Failure::Input(format!(
                    "{}: a session just created was not found",
                    backend.name()
                )));
            }
            loads += 1;
        }
        let elapsed = since(started);
        Ok(StoreCost {
            backend: backend.name().to_owned(),
            session_store,
            loads_per_sec: rate(loads, elapsed),
            latency: latencies.summary(),
        })
    }
    .await;
    prepared.clean_up().await;
    measured
}

/// The kind of store a URL names.
fn kind(url: &StoreUrl) -> &'static str {
    match url {
        StoreUrl::Memory => "memory",
        StoreUrl::Sqlite(_) => "sqlite",
        StoreUrl::Postgres(_) => "postgres",
        StoreUrl::Redis(_) => "redis",
        StoreUrl::RedisCluster(_) => "redis-cluster",
    }
}
