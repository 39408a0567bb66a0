//! The baseline of the HTTP benchmark: Keycard's `/healthz` handler on a bare axum router,
//! served by `axum::serve` with no layer, no state and no log subscriber. What Keycard's
//! own `/healthz` loses against it is what the server's stack costs per request.
//!
//! ```text
//! cargo run --release -p keycard-bench --bin bare-axum -- --addr 127.0.0.1:18479
//! ```
//! Used by `bench/http/run.sh`, which drives both with the same load generator settings.

// A benchmark may stop at the first failed operation.
#![allow(clippy::expect_used)]

use axum::Router;
use axum::routing::get;
use clap::Parser;
use keycard_server::routes::health;

/// Serve Keycard's `/healthz` handler with nothing around it.
#[derive(Debug, Parser)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:18479")]
    addr: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let router = Router::new().route("/healthz", get(health::healthz));
    axum::serve(listener, router).await
}
