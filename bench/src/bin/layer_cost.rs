//! The cost of Keycard's layer stack per request, in process and without a socket:
//! `GET /healthz` through the server's whole router (every route, every layer, the same
//! `info` log filter as `keycard serve`) against the same handler on a bare axum router.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin layer-cost -- --requests 500000
//! ```
//! Between the two, the bare route with each of the server's layers alone, and Keycard's
//! routes without layers, so the table says where the difference goes. Each router is
//! called through `tower::ServiceExt::oneshot` on one thread, in alternating rounds so that
//! all see the same machine; the report is the median nanoseconds per request of each and
//! what it adds to the bare route, before the network and hyper's own work (which the HTTP
//! benchmark, `bench/http/layers.sh`, includes).

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
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::routing::get;
use clap::Parser;
use keycard_core::SystemClock;
use keycard_server::body_deadline::BodyDeadlineLayer;
use keycard_server::config::{ServeArgs, Settings};
use keycard_server::error::problem_for_bare_errors;
use keycard_server::metrics::CountRequestsLayer;
use keycard_server::routes::health;
use keycard_server::{app, bootstrap};
use tower::ServiceExt as _;
use tower::util::MapResponseLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

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
            data_dir: Some(dir.path().join("data")),
            ..ServeArgs::default()
        })
        .expect("settings")
        .bound_to("127.0.0.1:8080".parse().unwrap());
        let (state, _background) = bootstrap::bootstrap(settings, Arc::new(SystemClock))
            .await
            .expect("bootstrap");
        let mode = state.auth().settings().mode;
        let limit = state.settings().body_limit;
        let body_read_timeout = state.settings().body_read_timeout;
        let metrics = state.metrics().clone();
        let bare = || Router::new().route("/healthz", get(health::healthz));
        let mut routers: Vec<(&str, Router)> = vec![
            ("bare axum, same handler", bare()),
            (
                "bare + TraceLayer",
                bare().layer(TraceLayer::new_for_http()),
            ),
            (
                "bare + request counter",
                bare().layer(CountRequestsLayer::new(metrics.clone())),
            ),
            (
                "bare + problem+json for bare errors",
                bare().layer(MapResponseLayer::new(problem_for_bare_errors)),
            ),
            (
                "bare + Cache-Control default",
                bare().layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                )),
            ),
            (
                "bare + body limits",
                bare()
                    .layer(DefaultBodyLimit::max(limit))
                    .layer(RequestBodyLimitLayer::new(limit)),
            ),
            (
                "bare + body deadline",
                bare().layer(BodyDeadlineLayer::new(body_read_timeout)),
            ),
            (
                "Keycard's routes, no layers",
                app::routes(mode).with_state(state.clone()),
            ),
            ("Keycard (every route and layer)", app::router(state)),
        ];

        // Warm each (allocator, route tables, metrics' first-request entries).
        for (_, router) in &routers {
            round(router, args.requests / 10 + 1).await;
        }
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); routers.len()];
        for _ in 0..args.rounds {
            for ((_, router), samples) in routers.iter_mut().zip(&mut samples) {
                samples.push(round(router, args.requests).await);
            }
        }
        let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
        let bare_ns = medians[0];
        println!(
            "| router | ns per GET /healthz (median of {} rounds) | added to the bare route |",
            args.rounds
        );
        println!("|---|---:|---:|");
        for ((name, _), ns) in routers.iter().zip(&medians) {
            println!("| {name} | {ns:.0} | {:+.0} |", ns - bare_ns);
        }
    });
}
