//! Revocation lag across three instances: from the moment a logout at instance A has been
//! answered to the first 401 for the same access token at instances B and C, measured over
//! many trials per backend, as p50/p99/max in a Markdown table.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin revocation-lag -- --trials 500
//! ```
//! The instances run in this process on ephemeral loopback ports, each with its own store
//! connections and feed subscription, as separate processes would; the load generator
//! (this process's HTTP client) shares the machine. PostgreSQL and Redis are expected on
//! 127.0.0.1 (database `test`), the Redis Cluster on 127.0.0.1:7001-7003. Each run uses a
//! fresh PostgreSQL schema, Redis prefix and SQLite directory.

// A benchmark measures wall time and may stop at the first failed operation.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::unwrap_used
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use keycard_bench::percentile;
use keycard_core::SystemClock;
use keycard_server::config::{Mode, ServeArgs, Settings};
use keycard_server::{app, bootstrap};
use serde_json::{Value, json};

/// Measure how fast a logout at one instance is refused at two others.
#[derive(Debug, Parser)]
struct Args {
    /// Backends: redis (PostgreSQL + Redis), postgres, cluster (PostgreSQL + Redis
    /// Cluster), sqlite (one file shared on this host).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "redis,postgres,cluster,sqlite"
    )]
    backends: Vec<String>,
    /// Logouts measured per backend.
    #[arg(long, default_value_t = 500)]
    trials: usize,
    /// PostgreSQL URL.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Redis URL.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Redis Cluster nodes.
    #[arg(long, default_value = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003")]
    cluster: String,
}

const PASSWORD: &str = "correct horse battery staple";
const MASTER_KEY: &str = "ZmxlZXQtbWFzdGVyLWtleS0wMTIzNDU2Nzg5YWJjZGU";

struct Instance {
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _background: bootstrap::Background,
}

async fn start(args: ServeArgs) -> Instance {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let settings = Settings::resolve(args)
        .expect("settings")
        .bound_to(listener.local_addr().unwrap());
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (state, background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
        .await
        .expect("bootstrap");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app::run(listener, state, async {
        let _ = stopped.await;
    }));
    Instance {
        base,
        _stop: stop,
        _background: background,
    }
}

async fn fleet(backend: &str, args: &Args, dir: &std::path::Path) -> Vec<Instance> {
    let tag = format!("kc_bench_lag_{}_{}", std::process::id(), backend);
    let with_schema = |url: &str| format!("{url}?options=-c%20search_path%3D{tag}");
    if backend != "sqlite" {
        keycard_store::postgres::PostgresStore::connect_in_schema(&args.postgres_url, &tag)
            .await
            .expect("PostgreSQL");
    }
    let (user_store, session_store) = match backend {
        "redis" => (
            Some(with_schema(&args.postgres_url)),
            Some(args.redis_url.clone()),
        ),
        "postgres" => (Some(with_schema(&args.postgres_url)), None),
        "cluster" => (
            Some(with_schema(&args.postgres_url)),
            Some(format!("redis+cluster://{}", args.cluster)),
        ),
        "sqlite" => (None, None),
        other => panic!("unknown backend {other}"),
    };
    let mut instances = Vec::new();
    for _ in 0..3 {
        let settings = ServeArgs {
            mode: Some(Mode::Hybrid),
            data_dir: Some(dir.to_owned()),
            issuer: Some("https://bench.keycard.test".into()),
            master_key: Some(MASTER_KEY.parse().unwrap()),
            user_store: user_store.as_ref().map(|url| url.parse().unwrap()),
            session_store: session_store.as_ref().map(|url| url.parse().unwrap()),
            redis_prefix: Some(tag.clone()),
            login_limit_per_account: Some(0),
            login_limit_per_ip: Some(0),
            login_success_limit_per_ip: Some(0),
            max_sessions_per_user: Some(0),
            ..ServeArgs::default()
        };
        instances.push(start(settings).await);
    }
    instances
}

/// Polls `base` until `access` is refused; returns when.
async fn first_refusal(http: &reqwest::Client, base: &str, access: &str) -> Instant {
    loop {
        let status = http
            .get(format!("{base}/v1/auth/check"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Instant::now();
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let http = reqwest::Client::new();
    println!("| backend | trials | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    for backend in &args.backends {
        let dir = std::env::temp_dir().join(format!(
            "keycard-bench-lag-{}-{backend}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let instances = fleet(backend, &args, &dir).await;
        let (a, b, c) = (&instances[0].base, &instances[1].base, &instances[2].base);
        let created = http
            .post(format!("{a}/v1/users"))
            .json(&json!({ "email": "lag@example.com", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "{}", created.status());
        let mut lags = Vec::with_capacity(args.trials * 2);
        for _ in 0..args.trials {
            let login: Value = http
                .post(format!("{a}/v1/login"))
                .json(&json!({ "email": "lag@example.com", "password": PASSWORD, "refresh_token_transport": "body" }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let access = login["access_token"].as_str().expect("a token").to_owned();
            for base in [b, c] {
                let status = http
                    .get(format!("{base}/v1/auth/check"))
                    .bearer_auth(&access)
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(
                    status,
                    reqwest::StatusCode::NO_CONTENT,
                    "accepted before logout"
                );
            }
            let logout = http
                .post(format!("{a}/v1/logout"))
                .bearer_auth(&access)
                .send()
                .await
                .unwrap();
            let logged_out = Instant::now();
            assert_eq!(logout.status(), reqwest::StatusCode::NO_CONTENT);
            let (at_b, at_c) = tokio::join!(
                first_refusal(&http, b, &access),
                first_refusal(&http, c, &access)
            );
            lags.push(at_b.saturating_duration_since(logged_out));
            lags.push(at_c.saturating_duration_since(logged_out));
        }
        lags.sort_unstable();
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        println!(
            "| {backend} | {} | {} | {} | {} |",
            args.trials,
            ms(percentile(&lags, 0.5)),
            ms(percentile(&lags, 0.99)),
            ms(*lags.last().unwrap())
        );
        drop(instances);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
