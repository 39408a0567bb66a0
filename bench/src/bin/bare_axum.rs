//! The baseline of the HTTP benchmark: Keycard's `/healthz` handler on a bare axum router,
//! served by `axum::serve` with no layer, no state and no log subscriber. What Keycard's
//! own `/healthz` loses against it is what the server's stack costs per request.
//! `--serve keycard` serves the same bare router with Keycard's own connection loop
//! (`keycard_server::connections`, its default limits) instead, which separates what the
//! loop costs from what the router's layers cost.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin bare-axum -- --addr 127.0.0.1:18479 [--serve keycard]
//! ```
//! Used by `bench/http/run.sh`, which drives both with the same load generator settings.

// A benchmark may stop at the first failed operation.
#![allow(clippy::expect_used)]

use axum::Router;
use axum::routing::get;
use clap::Parser;
use keycard_server::config::{ServeArgs, Settings};
use keycard_server::connections;
use keycard_server::routes::health;
use prometheus_client::metrics::counter::Counter;

/// Serve Keycard's `/healthz` handler with nothing around it.
#[derive(Debug, Parser)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:18479")]
    addr: std::net::SocketAddr,
    /// The connection loop: axum's, or Keycard's.
    #[arg(long, value_enum, default_value = "axum")]
    serve: Loop,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Loop {
    Axum,
    Keycard,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let router = Router::new().route("/healthz", get(health::healthz));
    match args.serve {
        Loop::Axum => axum::serve(listener, router).await,
        Loop::Keycard => {
            let defaults = Settings::resolve(ServeArgs::default())
                .map_err(std::io::Error::other)?
                .connections;
            let refused = Counter::default();
            connections::serve(listener, router, defaults, refused, std::future::pending()).await
        }
    }
}
