//! The cost of Keycard's layer stack per request, in process and without a socket:
//! `GET /healthz` through the server's whole router (every route, every layer, the same
//! `info` log filter as `keycard serve`) against the same handler on a bare axum router.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin layer-cost -- --requests 500000
//! ```
//! Each router is called through `tower::ServiceExt::oneshot` on one thread, alternating
//! rounds so that both see the same machine; the report is the median nanoseconds per
//! request of each and their difference, which is what the stack adds before the network
//! and hyper's own work (the HTTP benchmark, `bench/http/run.sh`, measures those too).

// A benchmark measures wall time and may stop at the first failed operation.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::unwrap_used
)]

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use clap::Parser;
use keycard_core::SystemClock;
use keycard_server::config::{ServeArgs, Settings};
use keycard_server::routes::health;
use keycard_server::{app, bootstrap};
use tower::ServiceExt as _;

/// Measure what Keycard's layers add to a trivial route.
#[derive(Debug, Parser)]
struct Args {
    /// Requests per router per round.
    #[arg(long, default_value_t = 100_000)]
    requests: u32,
    /// Rounds (alternating the two routers).
    #[arg(long, default_value_t = 7)]
    rounds: usize,
}

/// Mean nanoseconds per `GET /healthz` over `requests` calls.
async fn round(router: &Router, requests: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..requests {
        let request = Request::get("/healthz").body(Body::empty()).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], br#"{"status":"ok"}"#);
    }
    started.elapsed().as_secs_f64() * 1e9 / f64::from(requests)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args = Args::parse();
    // The filter `keycard serve` installs by default, writing nowhere: spans and events are
    // built as in production, and the comparison includes what the subscriber costs.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::sink)
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::resolve(ServeArgs {
            data_dir: Some(dir.path().to_owned()),
            ..ServeArgs::default()
        })
        .expect("settings")
        .bound_to("127.0.0.1:8080".parse().unwrap());
        let (state, _background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
            .await
            .expect("bootstrap");
        let keycard = app::router(state);
        let bare = Router::new().route("/healthz", get(health::healthz));

        // Warm both (allocator, route tables, metrics' first-request entries).
        round(&keycard, args.requests / 10 + 1).await;
        round(&bare, args.requests / 10 + 1).await;
        let (mut keycard_ns, mut bare_ns) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            keycard_ns.push(round(&keycard, args.requests).await);
            bare_ns.push(round(&bare, args.requests).await);
        }
        let (keycard_ns, bare_ns) = (median(&mut keycard_ns), median(&mut bare_ns));
        println!(
            "| router | ns per GET /healthz (median of {} rounds) |",
            args.rounds
        );
        println!("|---|---|");
        println!("| bare axum, same handler | {bare_ns:.0} |");
        println!("| Keycard (every route and layer) | {keycard_ns:.0} |");
        println!(
            "| added by Keycard's stack | {:.0} ({:.2}x) |",
            keycard_ns - bare_ns,
            keycard_ns / bare_ns
        );
    });
}
