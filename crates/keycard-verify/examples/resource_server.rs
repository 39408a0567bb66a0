//! A resource server protected by Keycard: `GET /whoami` answers 200 with the token's
//! `sub` and `sid` for a valid Keycard access token, 401 for a missing or bad one (and for
//! a token whose session was logged out, when it follows the revocations), and 503 while
//! the revocation stream is stale. `GET /healthz` answers without a token.
//!
//! ```sh
//! cargo run -p keycard-verify --example resource-server -- \
//!     --issuer http://127.0.0.1:8080 [--audience AUD] [--addr 127.0.0.1:3000] \
//!     [--client-id ID --client-secret SECRET]
//! ```
//! The client id and secret can also come from `KEYCARD_VERIFY_CLIENT_ID` and
//! `KEYCARD_VERIFY_CLIENT_SECRET` (better than a flag, which other users see in `ps`).
//! Without them, tokens are verified statelessly. See the README's walk-through.

#![allow(clippy::print_stdout)]

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use keycard_verify::{ClientCredentials, Verified, Verifier, VerifierConfig, VerifyLayer};
use serde::Deserialize;
use serde_json::{Value, json};

/// A resource server that accepts Keycard access tokens.
#[derive(Debug, Parser)]
struct Args {
    /// The Keycard issuer URL (its `issuer` setting).
    #[arg(long)]
    issuer: String,
    /// An accepted audience (repeatable); default: the issuer, as Keycard's default.
    #[arg(long)]
    audience: Vec<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// A Keycard client with the `revocations` permission, to follow logouts.
    #[arg(long, env = "KEYCARD_VERIFY_CLIENT_ID", requires = "client_secret")]
    client_id: Option<String>,
    /// That client's secret.
    #[arg(
        long,
        env = "KEYCARD_VERIFY_CLIENT_SECRET",
        hide_env_values = true,
        requires = "client_id"
    )]
    client_secret: Option<String>,
}

#[derive(Deserialize)]
struct WhoAmI {
    sub: String,
    sid: String,
}

async fn whoami(Verified(me): Verified<WhoAmI>) -> Json<Value> {
    Json(json!({ "sub": me.sub, "sid": me.sid }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut config = VerifierConfig::new(&args.issuer);
    for audience in &args.audience {
        config = config.with_audience(audience);
    }
    if let (Some(id), Some(secret)) = (args.client_id, args.client_secret) {
        config = config.with_client_credentials(ClientCredentials::new(id, secret));
    }
    let verifier = Verifier::start(config).await?;
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(VerifyLayer::new(verifier))
        .route("/healthz", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("resource server on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
