//! Session store latency and throughput, side by side, on this machine.
//!
//! For each backend it creates a population of sessions, then loads them by token digest
//! (the per-request lookup of session mode) from 1 and from 16 concurrent clients, and
//! prints p50/p99 latency and loads per second as a Markdown table.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin store-bench -- --backends memory,sqlite,postgres,redis
//! ```
//! PostgreSQL and Redis are expected on 127.0.0.1 (database `test`); override with
//! `--postgres-url` and `--redis-url`. Each run uses its own SQLite file, PostgreSQL schema
//! and Redis key prefix, and removes them when done (Redis keys by their TTL).

// A benchmark measures wall time and may stop at the first failed operation.
#![allow(clippy::print_stdout, clippy::disallowed_methods, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use keycard_core::opaque::{OpaqueKind, OpaqueToken, TokenDigest};
use keycard_core::session::{ClientMeta, Session, SessionKind};
use keycard_core::store::SessionStore;
use keycard_core::{Clock as _, SessionId, SystemClock, UnixTime, UserId};

/// Measure session loads per backend at 1 and 16 concurrent clients.
#[derive(Debug, Parser)]
struct Args {
    /// Backends to measure: memory, sqlite, postgres, redis.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "memory,sqlite,postgres,redis"
    )]
    backends: Vec<String>,
    /// Concurrent client counts.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    clients: Vec<usize>,
    /// Sessions created before measuring.
    #[arg(long, default_value_t = 10_000)]
    sessions: usize,
    /// How long each measurement runs, in seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// PostgreSQL URL.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Redis URL.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
}

async fn open(
    backend: &str,
    args: &Args,
    run: &str,
) -> Result<Arc<dyn SessionStore>, Box<dyn std::error::Error>> {
    Ok(match backend {
        "memory" => Arc::new(keycard_store::memory::MemoryStore::new()),
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("keycard-bench-{run}.sqlite3"));
            Arc::new(keycard_store::sqlite::SqliteStore::open(&path).await?)
        }
        "postgres" => Arc::new(
            keycard_store::postgres::PostgresStore::connect_in_schema(
                &args.postgres_url,
                &format!("bench_{run}"),
            )
            .await?,
        ),
        "redis" => Arc::new(
            keycard_store::redis::RedisStore::connect(
                &args.redis_url,
                &format!("keycard-bench-{run}"),
            )
            .await?,
        ),
        other => return Err(format!("unknown backend {other}").into()),
    })
}

fn session(now: UnixTime, user: usize) -> Session {
    Session {
        id: SessionId::generate().expect("random source"),
        user_id: UserId::new(format!("bench-user-{user}")),
        kind: SessionKind::Cookie,
        created_at: now,
        last_seen_at: now,
        idle_timeout_secs: 3600,
        absolute_expiry: now.plus_secs(86_400),
        client: ClientMeta {
            user_agent: Some("store-bench".into()),
            ip: Some("127.0.0.1".into()),
            label: None,
        },
    }
}

struct Measurement {
    loads: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measurement {
    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }
}

async fn measure(
    store: Arc<dyn SessionStore>,
    digests: Arc<Vec<TokenDigest>>,
    clients: usize,
    seconds: u64,
    now: UnixTime,
) -> Measurement {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (store, digests) = (store.clone(), digests.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = client * 7919;
            while Instant::now() < deadline {
                let digest = &digests[i % digests.len()];
                let began = Instant::now();
                let found = store
                    .load_session_by_token(digest, now)
                    .await
                    .expect("load");
                latencies.push(began.elapsed());
                assert!(found.is_some(), "every benchmark session exists");
                i += 1;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Measurement {
        loads: latencies.len(),
        elapsed,
        latencies,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let now = SystemClock.now();
    let run = format!("{}_{}", std::process::id(), now.as_secs());
    println!("| backend | clients | loads/s | p50 µs | p99 µs |");
    println!("|---|---:|---:|---:|---:|");
    for backend in &args.backends {
        let store = open(backend, &args, &run).await?;
        let mut digests = Vec::with_capacity(args.sessions);
        for i in 0..args.sessions {
            let token = OpaqueToken::generate(OpaqueKind::Session)?;
            store
                .create_session(&session(now, i % 1000), &token.digest())
                .await?;
            digests.push(token.digest());
        }
        let digests = Arc::new(digests);
        for &clients in &args.clients {
            let m = measure(store.clone(), digests.clone(), clients, args.seconds, now).await;
            println!(
                "| {backend} | {clients} | {:.0} | {:.1} | {:.1} |",
                m.loads as f64 / m.elapsed.as_secs_f64(),
                m.percentile(0.50).as_secs_f64() * 1e6,
                m.percentile(0.99).as_secs_f64() * 1e6,
            );
        }
        store
            .sweep_expired_sessions(now.plus_secs(1_000_000))
            .await?;
        if backend == "sqlite" {
            let _ = std::fs::remove_file(
                std::env::temp_dir().join(format!("keycard-bench-{run}.sqlite3")),
            );
        }
    }
    Ok(())
}
