//! A store that stops answering under a running server: every flow that needs it answers
//! 503 problem+json with `Retry-After` (never 500, never a hang), `/readyz` says 503, and
//! once the store is back the same server serves again without a restart. The outage is a
//! proxy cut in front of the real PostgreSQL or Redis (`common::tcp_proxy`), so the shared
//! servers other tests use keep running.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use common::backend::{Backend, postgres_url, redis_url, start_on};
use common::tcp_proxy::Proxy;
use common::{TestServer, args, client, scratch};
use keycard_core::SystemClock;
use keycard_server::config::{Mode, ServeArgs};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";
/// How long a request may take while its store is down: the store's own timeouts are a
/// few seconds; this is generous for a shared CI machine.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);
/// How long the server may take to serve again once the store is back.
const RECOVER_WITHIN: Duration = Duration::from_secs(60);

/// `host:port` of a store URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split('/').next().unwrap().to_owned()
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, proxy: &Proxy) -> String {
    url.replacen(&host_port(url), &format!("127.0.0.1:{}", proxy.port()), 1)
}

async fn register_and_login(server: &TestServer) -> Response {
    let created = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let login = login(server).await;
    assert_eq!(login.status(), StatusCode::OK);
    login
}

async fn login(server: &TestServer) -> Response {
    client()
        .post(server.url("/v1/login"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD, "refresh_token_transport": "body" }))
        .send()
        .await
        .unwrap()
}

/// Sends a request and asserts it is answered in time with 503 problem+json and
/// `Retry-After`, naming no backend.
async fn assert_unavailable(what: &str, request: reqwest::RequestBuilder) {
    let started = Instant::now();
    let response = tokio::time::timeout(ANSWER_WITHIN, request.send())
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {ANSWER_WITHIN:?}"))
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    assert!(response.headers().contains_key("retry-after"), "{what}");
    let text = response.text().await.unwrap();
    for leak in [
        "redis",
        "Redis",
        "PostgreSQL",
        "postgres",
        "connection",
        "127.0.0.1",
    ] {
        assert!(!text.contains(leak), "{what}: {text}");
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["type"], "https://keycard.dev/problems/unavailable",
        "{what}"
    );
    eprintln!("{what}: 503 after {:?}", started.elapsed());
}

/// Polls `probe` until it answers `expected`, within [`RECOVER_WITHIN`].
async fn wait_for(what: &str, expected: StatusCode, probe: impl Fn() -> reqwest::RequestBuilder) {
    let deadline = Instant::now() + RECOVER_WITHIN;
    loop {
        let status = probe().send().await.unwrap().status();
        if status == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still {status} after {RECOVER_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn redis_going_away_is_503_and_coming_back_needs_no_restart() {
    if !Backend::PostgresRedis.available("redis_going_away_is_503_and_coming_back_needs_no_restart")
    {
        return;
    }
    let redis = redis_url();
    for mode in [Mode::Session, Mode::Hybrid] {
        let mut proxy = Proxy::start(host_port(&redis).parse().unwrap());
        let dir = scratch("outage-redis");
        let args = ServeArgs {
            mode: Some(mode),
            session_store: Some(through(&redis, &proxy).parse().unwrap()),
            redis_prefix: Some(format!("kc_test_outage_{}_{}", std::process::id(), mode)),
            ..args(dir.path())
        };
        let server = TestServer::start(args).await;
        let login = register_and_login(&server).await;
        let cookie = login.headers().get("set-cookie").map(|value| {
            value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned()
        });
        let body: Value = login.json().await.unwrap();
        let access = body["access_token"].as_str().map(str::to_owned);
        let refresh = body["refresh_token"].as_str().map(str::to_owned);
        let me = || {
            let request = client().get(server.url("/v1/me"));
            match (&cookie, &access) {
                (_, Some(access)) => request.bearer_auth(access),
                (Some(cookie), None) => request.header("cookie", cookie),
                (None, None) => unreachable!("a login gives a credential"),
            }
        };
        assert_eq!(me().send().await.unwrap().status(), StatusCode::OK);

        proxy.stop();
        // A warm `/v1/me` is answered from the hot-path caches without the store (the
        // feed here is in-process, so it stays fresh); emptied, it must ask the store.
        server.state.auth().caches().sessions.clear();
        server.state.auth().caches().users.clear();
        let label = |what: &str| format!("{mode}: {what}");
        assert_unavailable(&label("GET /v1/me"), me()).await;
        assert_unavailable(
            &label("POST /v1/login"),
            client()
                .post(server.url("/v1/login"))
                .json(&json!({ "email": EMAIL, "password": PASSWORD })),
        )
        .await;
        if let Some(refresh) = &refresh {
            assert_unavailable(
                &label("POST /v1/token/refresh"),
                client()
                    .post(server.url("/v1/token/refresh"))
                    .json(&json!({ "refresh_token": refresh })),
            )
            .await;
        }
        assert_unavailable(&label("GET /readyz"), client().get(server.url("/readyz"))).await;

        proxy.restart();
        wait_for(&label("GET /v1/me"), StatusCode::OK, me).await;
        wait_for(&label("GET /readyz"), StatusCode::OK, || {
            client().get(server.url("/readyz"))
        })
        .await;
        let again = self::login(&server).await;
        assert_eq!(
            again.status(),
            StatusCode::OK,
            "{mode}: login after recovery"
        );
        server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn postgres_going_away_is_503_and_coming_back_needs_no_restart() {
    if !Backend::PostgresRedis
        .available("postgres_going_away_is_503_and_coming_back_needs_no_restart")
    {
        return;
    }
    let postgres = postgres_url();
    let mut proxy = Proxy::start(host_port(&postgres).parse().unwrap());
    let dir = scratch("outage-postgres");
    let server = start_on(
        &through(&postgres, &proxy),
        &redis_url(),
        args(dir.path()),
        Arc::new(SystemClock),
    )
    .await;
    register_and_login(&server).await;

    proxy.stop();
    assert_unavailable(
        "POST /v1/login",
        client()
            .post(server.url("/v1/login"))
            .json(&json!({ "email": EMAIL, "password": PASSWORD })),
    )
    .await;
    assert_unavailable(
        "POST /v1/users",
        client()
            .post(server.url("/v1/users"))
            .json(&json!({ "email": "bob@example.com", "password": PASSWORD })),
    )
    .await;
    assert_unavailable("GET /readyz", client().get(server.url("/readyz"))).await;

    proxy.restart();
    wait_for("POST /v1/login", StatusCode::OK, || {
        client()
            .post(server.url("/v1/login"))
            .json(&json!({ "email": EMAIL, "password": PASSWORD }))
    })
    .await;
    let created = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": "bob@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    server.stop().await.unwrap();
}

/// A refresh rotates the family in the session store before it checks the account in the
/// user store. With the user store down and the revocation feed (on Redis) fresh, the
/// fresh revocation memory vouches for the account, so the client gets the successor the
/// store now holds; refusing would leave it holding the predecessor, and its retries past
/// the grace window would read as reuse and sign it out.
#[tokio::test]
async fn the_users_store_going_away_does_not_burn_hybrid_refreshes() {
    if !Backend::PostgresRedis
        .available("the_users_store_going_away_does_not_burn_hybrid_refreshes")
    {
        return;
    }
    let postgres = postgres_url();
    let mut proxy = Proxy::start(host_port(&postgres).parse().unwrap());
    let dir = scratch("outage-users");
    let server = start_on(
        &through(&postgres, &proxy),
        &redis_url(),
        ServeArgs {
            mode: Some(Mode::Hybrid),
            ..args(dir.path())
        },
        Arc::new(SystemClock),
    )
    .await;
    let login: Value = register_and_login(&server).await.json().await.unwrap();
    let mut refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = |token: String| {
        let server = &server;
        async move {
            tokio::time::timeout(
                ANSWER_WITHIN,
                client()
                    .post(server.url("/v1/token/refresh"))
                    .json(&json!({ "refresh_token": token }))
                    .send(),
            )
            .await
            .expect("an answer in time")
            .unwrap()
        }
    };

    proxy.stop();
    // More refreshes than the replays a grace window allows: each must rotate.
    for attempt in 0..5 {
        let response = refreshed(refresh.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "refresh {attempt} with the users' PostgreSQL down"
        );
        let body: Value = response.json().await.unwrap();
        refresh = body["refresh_token"].as_str().unwrap().to_owned();
    }

    proxy.restart();
    let response = refreshed(refresh).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the chain continues after"
    );
    server.stop().await.unwrap();
}
