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
    assert_eq!(
        register(&server, "alice@example.com").await,
        StatusCode::CREATED
    );

    let ok = login(&server, "alice@example.com", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::OK);
    for _ in 0..2 {
        let bad = login(&server, "alice@example.com", "wrong password here").await;
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    }
    // Two per ten minutes: one attempt back every 300 s. The right password is refused
    // too: the limit is checked before any password is.
    assert_throttled(
        login(&server, "alice@example.com", PASSWORD).await,
        299..=300,
    )
    .await;

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
    assert_eq!(
        register(&server, "bob@example.com").await,
        StatusCode::CREATED
    );
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

#[tokio::test]
async fn a_users_live_sessions_are_capped_oldest_first() {
    use keycard_core::{Clock as _, ManualClock, SystemClock};
    let dir = scratch("session-cap");
    let args = ServeArgs {
        max_sessions_per_user: Some(3),
        ..args(dir.path())
    };
    // A second between logins, so "oldest" is well defined at the stores' resolution.
    let clock = std::sync::Arc::new(ManualClock::new(SystemClock.now()));
    let server = TestServer::start_with_clock(args, |routes| routes, clock.clone()).await;
    assert_eq!(
        register(&server, "carol@example.com").await,
        StatusCode::CREATED
    );
    let mut tokens = Vec::new();
    for _ in 0..5 {
        clock.advance(1);
        let response = login(&server, "carol@example.com", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
    }
    let me = |token: &str| client().get(server.url("/v1/me")).bearer_auth(token).send();
    // The two oldest ended, at once for their access tokens too; the newest three live.
    for (n, token) in tokens.iter().enumerate() {
        let expected = if n < 2 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        assert_eq!(me(token).await.unwrap().status(), expected, "session {n}");
    }
    let listed: Value = client()
        .get(server.url("/v1/sessions"))
        .bearer_auth(&tokens[4])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 3);
    let auth = server.state.auth();
    let capped = auth
        .stores()
        .audit
        .query_audit(&keycard_core::audit::AuditQuery::default())
        .await
        .unwrap()
        .iter()
        .filter(|event| event.kind == keycard_core::audit::AuditKind::SessionCapped)
        .count();
    assert_eq!(capped, 2, "each ended session is audited");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_flood_past_the_hash_queue_is_503_not_a_long_wait() {
    let dir = scratch("hash-queue");
    let limits = ServeArgs {
        registration_limit_per_ip: Some(0),
        hash_queue: Some(1),
        hash_deadline: Some("1s".parse().unwrap()),
        ..ServeArgs::default()
    };
    let server = std::sync::Arc::new(start(&dir, limits).await);
    let flood: Vec<_> = (0..24)
        .map(|n| {
            let server = server.clone();
            tokio::spawn(async move {
                client()
                    .post(server.url("/v1/users"))
                    .json(&json!({ "email": format!("f{n}@example.com"), "password": PASSWORD }))
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut busy = 0;
    for request in flood {
        let response = request.await.unwrap();
        match response.status() {
            StatusCode::CREATED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(response.headers().contains_key("retry-after"));
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["type"], "https://keycard.dev/problems/unavailable");
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(busy > 0, "24 registrations at once overflow a queue of one");
}
