//! The limits over real HTTP: failed logins per account, successful logins and
//! registrations per address, each answered 429 with `Retry-After` as problem+json once
//! past the configured limit, and counted by `/metrics`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Scratch, TestServer, args, client, scratch};
use keycard_server::config::ServeArgs;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

async fn start(dir: &Scratch, limits: ServeArgs) -> TestServer {
    let args = ServeArgs {
        login_limit_window: Some("10m".parse().unwrap()),
        ..limits.over(args(dir.path()))
    };
    TestServer::start(args).await
}

async fn register(server: &TestServer, email: &str) -> StatusCode {
    client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn login(server: &TestServer, email: &str, password: &str) -> reqwest::Response {
    client()
        .post(server.url("/v1/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

/// Asserts a 429 problem whose `Retry-After` is within `range`.
async fn assert_throttled(response: reqwest::Response, range: std::ops::RangeInclusive<u64>) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(range.contains(&retry_after), "{retry_after}");
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
}

#[tokio::test]
async fn past_the_limit_the_answer_is_429_with_retry_after() {
    let dir = scratch("login-limits");
    let limits = ServeArgs {
        login_limit_per_account: Some(2),
        ..ServeArgs::default()
    };
    let server = start(&dir, limits).await;
    let http = client();
    assert_eq!(register(&server, "alice@example.com").await, StatusCode::CREATED);

    let ok = login(&server, "alice@example.com", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::OK);
    for _ in 0..2 {
        let bad = login(&server, "alice@example.com", "wrong password here").await;
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    }
    // Two per ten minutes: one attempt back every 300 s. The right password is refused
    // too: the limit is checked before any password is.
    assert_throttled(login(&server, "alice@example.com", PASSWORD).await, 299..=300).await;

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
        "keycard_http_requests_total{route=\"/v1/login\",status=\"2xx\"} 1",
        "keycard_http_requests_total{route=\"/v1/login\",status=\"4xx\"} 3",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing from\n{metrics}"
        );
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn registrations_per_address_are_limited() {
    let dir = scratch("registration-limits");
    let limits = ServeArgs {
        registration_limit_per_ip: Some(3),
        ..ServeArgs::default()
    };
    let server = start(&dir, limits).await;
    for n in 0..3 {
        let email = format!("user{n}@example.com");
        assert_eq!(register(&server, &email).await, StatusCode::CREATED, "{n}");
    }
    let refused = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": "user9@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    // Three per ten minutes: one back every 200 s.
    assert_throttled(refused, 199..=200).await;
    // Nothing was created for the refused registration.
    let login = login(&server, "user9@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn successful_logins_per_address_are_limited_and_open_no_session() {
    let dir = scratch("success-limits");
    let limits = ServeArgs {
        login_success_limit_per_ip: Some(2),
        ..ServeArgs::default()
    };
    let server = start(&dir, limits).await;
    assert_eq!(register(&server, "bob@example.com").await, StatusCode::CREATED);
    for _ in 0..2 {
        let ok = login(&server, "bob@example.com", PASSWORD).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    assert_throttled(login(&server, "bob@example.com", PASSWORD).await, 299..=300).await;
    let user = server
        .state
        .auth()
        .stores()
        .users
        .load_user_by_email(&keycard_core::user::Email::parse("bob@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    let sessions = server
        .state
        .auth()
        .stores()
        .sessions
        .list_user_sessions(&user.id, server.state.auth().now())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2, "the refused login created no session");
    server.stop().await.unwrap();
}
