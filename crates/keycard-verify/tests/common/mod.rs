//! What the verifier's tests share: a protected app on an ephemeral port, a local issuer
//! that is not Keycard, a running Keycard, and polling with a generous bound.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod issuer;
pub mod keycard;
/// The TCP proxy the store and server tests cut and restore.
#[path = "../../../keycard-store/tests/tcp_proxy/mod.rs"]
pub mod tcp_proxy;

use std::future::Future;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use keycard_verify::{Verified, Verifier, VerifyLayer};
use serde::Deserialize;
use serde_json::{Value, json};

/// Generous for a shared 2-core CI machine; conditions are polled, not slept on.
pub const WITHIN: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
struct WhoAmI {
    sub: String,
    sid: String,
}

async fn whoami(Verified(me): Verified<WhoAmI>) -> Json<Value> {
    Json(json!({ "sub": me.sub, "sid": me.sid }))
}

async fn maybe(me: Option<Verified<WhoAmI>>) -> Json<Value> {
    Json(json!({ "sub": me.map(|Verified(me)| me.sub) }))
}

/// A resource server: `GET /whoami` behind the layer, `GET /maybe` behind the optional
/// layer, `GET /open` unprotected. Returns its base URL.
pub async fn protected_app(verifier: Verifier) -> String {
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(VerifyLayer::new(verifier.clone()))
        .merge(
            Router::new()
                .route("/maybe", get(maybe))
                .layer(VerifyLayer::optional(verifier)),
        )
        .route("/open", get(|| async { "open" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// `GET {base}/whoami` with this bearer token: the status.
pub async fn call(base: &str, token: &str) -> reqwest::StatusCode {
    client()
        .get(format!("{base}/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// A fresh client.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// Polls `check` every 10 ms until it holds, failing after [`WITHIN`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WITHIN;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {WITHIN:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    use keycard_core::Clock as _;
    keycard_core::SystemClock.now().as_secs()
}
