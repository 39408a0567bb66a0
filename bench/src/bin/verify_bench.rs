//! keycard-verify by hand: how fast a logout at Keycard reaches a resource server, and
//! what the layer costs on a trivial route.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin verify-bench -- --trials 500 --seconds 5
//! ```
//! 1. **Revocation lag.** One `keycard serve` (jwt mode, SQLite in a scratch directory) and
//!    one resource server protected by `keycard-verify`, following Keycard's revocation
//!    stream, both in this process on loopback. Per trial: log in, call the resource server
//!    (200; the token is now in its verified-token cache), log out at Keycard, and poll the
//!    resource server until it answers 401. The lag is from Keycard's logout response to
//!    that first 401.
//! 2. **Layer overhead.** The same trivial route (`GET` answering `ok`), unprotected and
//!    behind the layer (stateless and following revocations: the warm path is a hash
//!    lookup, the freshness check and the revocation check either way), driven over HTTP by
//!    32 keep-alive connections from this process for `--seconds` per round, rounds
//!    interleaved; and the same requests sent in-process to the router (`oneshot`, no
//!    network), which isolates the layer's own time.

// A benchmark measures wall time and may stop at the first failed operation.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::cast_precision_loss
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use clap::Parser;
use keycard_bench::percentile;
use keycard_core::SystemClock;
use keycard_server::config::{Mode, ServeArgs, Settings};
use keycard_server::{app, bootstrap};
use keycard_verify::{ClientCredentials, Verifier, VerifierConfig, VerifyLayer};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// Measure keycard-verify's revocation lag and layer overhead.
#[derive(Debug, Parser)]
struct Args {
    /// Logouts measured.
    #[arg(long, default_value_t = 500)]
    trials: usize,
    /// Seconds per HTTP throughput round.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Rounds per route.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
}

const PASSWORD: &str = "correct horse battery staple";
const CLIENT_SECRET: &str = "bench-verifier-secret-0123456789-abcdef";

async fn keycard(
    dir: &std::path::Path,
) -> (
    String,
    bootstrap::Background,
    tokio::sync::oneshot::Sender<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let args = ServeArgs {
        mode: Some(Mode::Jwt),
        data_dir: Some(dir.to_owned()),
        clients: Some(
            format!("bench[revocations]:{CLIENT_SECRET}")
                .parse()
                .unwrap(),
        ),
        login_limit_per_account: Some(0),
        login_limit_per_ip: Some(0),
        login_success_limit_per_ip: Some(0),
        max_sessions_per_user: Some(0),
        ..ServeArgs::default()
    };
    let settings = Settings::resolve(args)
        .unwrap()
        .bound_to(listener.local_addr().unwrap());
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (state, background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app::run(listener, state, async {
        let _ = stopped.await;
    }));
    (base, background, stop)
}

fn routes(verifier: Option<Verifier>) -> Router {
    let route = Router::new().route("/r", get(|| async { "ok" }));
    match verifier {
        Some(verifier) => route.layer(VerifyLayer::new(verifier)),
        None => route,
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    let body: Value = http
        .post(format!("{base}/v1/login"))
        .json(&json!({ "email": "bench@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().expect("a token").to_owned()
}

async fn lag(http: &reqwest::Client, keycard: &str, resource: &str, trials: usize) {
    let mut lags = Vec::with_capacity(trials);
    for _ in 0..trials {
        let access = login(http, keycard).await;
        let url = format!("{resource}/r");
        let ok = http.get(&url).bearer_auth(&access).send().await.unwrap();
        assert_eq!(
            ok.status(),
            reqwest::StatusCode::OK,
            "accepted before logout"
        );
        let logout = http
            .post(format!("{keycard}/v1/logout"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        let logged_out = Instant::now();
        assert_eq!(logout.status(), reqwest::StatusCode::NO_CONTENT);
        loop {
            let status = http
                .get(&url)
                .bearer_auth(&access)
                .send()
                .await
                .unwrap()
                .status();
            if status == reqwest::StatusCode::UNAUTHORIZED {
                lags.push(logged_out.elapsed());
                break;
            }
            assert_eq!(status, reqwest::StatusCode::OK, "only 200 until the 401");
        }
    }
    lags.sort_unstable();
    println!("| trials | p50 | p99 | max |\n|---|---|---|---|");
    println!(
        "| {trials} | {} | {} | {} |\n",
        ms(percentile(&lags, 0.5)),
        ms(percentile(&lags, 0.99)),
        ms(*lags.last().unwrap())
    );
}

/// Requests per second over HTTP for `seconds`, from `connections` keep-alive clients.
async fn throughput(url: &str, token: Option<&str>, seconds: u64, connections: usize) -> f64 {
    let running = Arc::new(AtomicBool::new(true));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (running, count) = (running.clone(), count.clone());
        let (url, token) = (url.to_owned(), token.map(str::to_owned));
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while running.load(Ordering::Relaxed) {
                let mut request = http.get(&url);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), reqwest::StatusCode::OK);
                let _ = response.bytes().await.unwrap();
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    running.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    for task in tasks {
        task.await.unwrap();
    }
    count.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}

/// Nanoseconds per request sent to the router in-process.
async fn in_process(router: &Router, token: Option<&str>, n: u32) -> f64 {
    let request = || {
        let mut builder = axum::http::Request::get("/r");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder.body(axum::body::Body::empty()).unwrap()
    };
    let started = Instant::now();
    for _ in 0..n {
        let response = router.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::OK);
    }
    started.elapsed().as_nanos() as f64 / f64::from(n)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("keycard-bench-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let (keycard, _background, _stop) = keycard(&dir).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{keycard}/v1/users"))
        .json(&json!({ "email": "bench@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());
    let following = Verifier::start(
        VerifierConfig::new(&keycard)
            .with_client_credentials(ClientCredentials::new("bench", CLIENT_SECRET)),
    )
    .await
    .unwrap();
    let stateless = Verifier::start(VerifierConfig::new(&keycard))
        .await
        .unwrap();

    println!("## Revocation lag: Keycard's logout response to the resource server's first 401\n");
    let resource = serve(routes(Some(following.clone()))).await;
    lag(&http, &keycard, &resource, args.trials).await;

    println!("## Layer overhead on a trivial route\n");
    let token = login(&http, &keycard).await;
    let contenders: [(&str, Router, Option<&str>); 3] = [
        ("unprotected", routes(None), None),
        ("layer, stateless", routes(Some(stateless)), Some(&token)),
        (
            "layer, following revocations",
            routes(Some(following)),
            Some(&token),
        ),
    ];
    let mut bases = Vec::new();
    for (_, router, _) in &contenders {
        bases.push(serve(router.clone()).await);
    }
    let mut rates = vec![Vec::new(); contenders.len()];
    let mut nanos = vec![Vec::new(); contenders.len()];
    for _ in 0..args.rounds {
        for (i, (_, router, token)) in contenders.iter().enumerate() {
            let url = format!("{}/r", bases[i]);
            rates[i].push(throughput(&url, *token, args.seconds, args.connections).await);
            nanos[i].push(in_process(router, *token, 200_000).await);
        }
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let base_rate = median(&mut rates[0].clone());
    let base_nanos = median(&mut nanos[0].clone());
    println!(
        "| route | HTTP req/s (median of {}) | × unprotected | in-process ns/request | layer's own ns |",
        args.rounds
    );
    println!("|---|---|---|---|---|");
    for (i, (name, _, _)) in contenders.iter().enumerate() {
        let rate = median(&mut rates[i]);
        let ns = median(&mut nanos[i]);
        println!(
            "| {name} | {rate:.0} | {:.3} | {ns:.0} | {:.0} |",
            rate / base_rate,
            ns - base_nanos
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
