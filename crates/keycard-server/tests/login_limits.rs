//! The login limiter through the server's real layers: a route that does what the login
//! handler does with it (check, then forgive on success) answers 429 with `Retry-After` as
//! problem+json, the limits come from the settings, and `/metrics` counts the refusals.
//! The login route itself is tested in the flows; this pins the limiter's HTTP contract.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::routing::post;
use common::{Scratch, TestServer, args, client};
use keycard_core::user::Email;
use keycard_server::config::ServeArgs;
use keycard_server::security::TooManyRequests;
use keycard_server::{AppState, app};
use reqwest::StatusCode;
use serde_json::Value;

/// `POST /try/{outcome}`: a stand-in login for alice that succeeds when `outcome` is `ok`.
async fn try_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::extract::Path(outcome): axum::extract::Path<String>,
) -> Result<StatusCode, TooManyRequests> {
    let alice = Email::parse("alice@example.com").unwrap();
    let now = state.now();
    if let Err(retry) = state
        .login_limiter()
        .check(Some(peer.ip()), Some(&alice), now)
    {
        state.metrics().login_throttled();
        return Err(retry.into());
    }
    if outcome == "ok" {
        state
            .login_limiter()
            .record_success(Some(peer.ip()), &alice, now);
        state.metrics().login_ok();
        Ok(StatusCode::NO_CONTENT)
    } else {
        state.metrics().login_failed();
        Ok(StatusCode::UNAUTHORIZED)
    }
}

async fn start(dir: &Scratch) -> TestServer {
    let args = ServeArgs {
        login_limit_per_account: Some(2),
        login_limit_window: Some("10m".parse().unwrap()),
        ..args(dir.path())
    };
    let routes = app::routes().route("/try/{outcome}", post(try_login));
    TestServer::start_with(args, routes).await
}

#[tokio::test]
async fn past_the_limit_the_answer_is_429_with_retry_after() {
    let dir = Scratch::new("login-limits");
    let server = start(&dir).await;
    let http = client();
    let attempt = |outcome: &'static str| http.post(server.url(&format!("/try/{outcome}"))).send();

    assert_eq!(
        attempt("ok").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    for _ in 0..2 {
        assert_eq!(
            attempt("bad").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = attempt("ok").await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // Two per ten minutes: one attempt back every 300 s.
    assert!((299..=300).contains(&retry_after), "{retry_after}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["type"],
        "https://keycard.dev/problems/too-many-requests"
    );
    assert_eq!(body["status"], 429);

    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "keycard_logins_total{outcome=\"ok\"} 1",
        "keycard_logins_total{outcome=\"failed\"} 2",
        "keycard_logins_total{outcome=\"throttled\"} 1",
        "keycard_http_requests_total{route=\"/try/{outcome}\",status=\"2xx\"} 1",
        "keycard_http_requests_total{route=\"/try/{outcome}\",status=\"4xx\"} 3",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing from\n{metrics}"
        );
    }
    server.stop().await.unwrap();
}
