//! The server's foundation over real HTTP: health, readiness, the JWKS and configuration
//! document, keys kept across restarts, problem+json errors, the body limit and graceful
//! shutdown. Each test starts its own server on 127.0.0.1:0 over SQLite in a scratch dir.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use common::{TestServer, args, assert_problem, client, header, scratch};
use keycard_server::app;
use keycard_server::config::{Seconds, ServeArgs};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn healthz_and_readyz_answer_on_a_fresh_data_dir() {
    let scratch = scratch("health");
    let dir = scratch.path().join("data");
    let server = TestServer::start(args(&dir)).await;
    let http = client();

    let response = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "status": "ok" }));

    let response = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");

    // First start made the data dir private, with the SQLite file (private too) and the
    // key files.
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("keycard.sqlite3")), 0o600);
    assert_eq!(std::fs::read_dir(dir.join("keys")).unwrap().count(), 2);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_data_dir_others_can_read_is_refused_at_start() {
    let scratch = scratch("open-data-dir");
    let dir = scratch.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let settings = keycard_server::Settings::resolve(args(&dir)).unwrap();
    let refused =
        keycard_server::bootstrap::bootstrap(settings, Arc::new(keycard_core::SystemClock))
            .await
            .unwrap_err()
            .to_string();
    assert!(refused.contains("chmod 700"), "{refused}");
    assert!(!dir.join("keycard.sqlite3").exists(), "nothing was written");
}

#[tokio::test]
async fn jwks_publishes_public_keys_only_with_a_bounded_cache_lifetime() {
    let dir = scratch("jwks");
    let server = TestServer::start(args(dir.path())).await;
    let response = client()
        .get(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // min(access token lifetime = 900 s by default, 1 h).
    assert_eq!(header(&response, "cache-control"), "public, max-age=900");
    assert!(header(&response, "content-type").starts_with("application/json"));
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(keys.len() >= 2, "active and next: {jwks}");
    for key in keys {
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "{key}");
        assert_eq!(key["alg"], "EdDSA");
        assert_eq!(key["use"], "sig");
        for private in ["d", "k", "p", "q", "dp", "dq", "qi", "oth"] {
            assert!(key.get(private).is_none(), "{private} in {key}");
        }
    }
    let state = &server.state;
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&state.auth().keys().active().unwrap().kid()));
    assert!(kids.contains(&state.auth().keys().next().unwrap().kid()));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn jwks_cache_lifetime_follows_the_access_token_lifetime() {
    let dir = scratch("jwks-age");
    let server = TestServer::start(ServeArgs {
        access_token_lifetime: Some(Seconds::new(120)),
        ..args(dir.path())
    })
    .await;
    let response = client()
        .get(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "cache-control"), "public, max-age=120");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn configuration_document_names_issuer_keys_mode_and_endpoints() {
    let dir = scratch("config-doc");
    let server = TestServer::start(args(dir.path())).await;
    let response = client()
        .get(server.url("/.well-known/keycard-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    // With no issuer configured, the issuer is the address actually bound.
    assert_eq!(doc["issuer"], server.base);
    assert_eq!(doc["audience"], server.base);
    assert_eq!(doc["jwks_uri"], server.url("/.well-known/jwks.json"));
    assert_eq!(doc["mode"], "hybrid");
    assert_eq!(doc["revocation"], "on");
    assert_eq!(
        doc["signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );
    assert_eq!(doc["endpoints"]["healthz"], server.url("/healthz"));
    assert_eq!(doc["endpoints"]["readyz"], server.url("/readyz"));
    assert_eq!(doc["endpoints"]["jwks"], doc["jwks_uri"]);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_second_start_on_the_same_data_dir_reuses_the_keys() {
    let dir = scratch("restart");
    let kids = |server: &TestServer| {
        let keys = server.state.auth().keys();
        (
            keys.active().unwrap().kid().to_owned(),
            keys.next().unwrap().kid().to_owned(),
            keys.len(),
        )
    };
    let first = TestServer::start(args(dir.path())).await;
    let before = kids(&first);
    let jwks_before: Value = client()
        .get(first.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    first.stop().await.unwrap();

    let second = TestServer::start(args(dir.path())).await;
    assert_eq!(kids(&second), before);
    let jwks_after: Value = client()
        .get(second.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks_after, jwks_before);
    second.stop().await.unwrap();
}

#[tokio::test]
async fn master_key_seals_keys_in_the_store_instead_of_files() {
    let dir = scratch("sealed");
    let master = keycard_core::jose::base64url::encode([7u8; 32]);
    let sealed = || ServeArgs {
        master_key: Some(master.parse().unwrap()),
        ..args(dir.path())
    };
    let first = TestServer::start(sealed()).await;
    let kid = first.state.auth().keys().active().unwrap().kid().to_owned();
    first.stop().await.unwrap();
    assert!(
        !dir.path().join("keys").exists(),
        "no key files when sealing"
    );
    let second = TestServer::start(sealed()).await;
    assert_eq!(second.state.auth().keys().active().unwrap().kid(), kid);
    second.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems() {
    let dir = scratch("404");
    let server = TestServer::start(args(dir.path())).await;
    let http = client();
    let response = http.get(server.url("/nope")).send().await.unwrap();
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

    let response = http.post(server.url("/healthz")).send().await.unwrap();
    assert!(header(&response, "allow").contains("GET"));
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversized_body_gets_413_as_a_problem() {
    // No POST route exists yet: a test-only one, under the server's own layers.
    let dir = scratch("413");
    let routes = |routes: axum::Router<_>| {
        routes.route(
            "/test/echo",
            post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        )
    };
    let server = TestServer::start_with(
        ServeArgs {
            body_limit: Some(1024),
            ..args(dir.path())
        },
        routes,
    )
    .await;
    let http = client();
    let small = http
        .post(server.url("/test/echo"))
        .body(vec![b'a'; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), StatusCode::OK);
    assert_eq!(small.text().await.unwrap(), "1000");

    let large = http
        .post(server.url("/test/echo"))
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(header(&large, "cache-control"), "no-store");
    assert_problem(large, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_drains_a_request_in_flight() {
    let dir = scratch("drain");
    let (started_tx, started_rx) = tokio::sync::mpsc::channel::<()>(1);
    let routes = move |routes: axum::Router<_>| {
        routes.route(
            "/test/slow",
            get(move || {
                let started = started_tx.clone();
                async move {
                    let _ = started.send(()).await;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    "done"
                }
            }),
        )
    };
    let mut server = TestServer::start_with(args(dir.path()), routes).await;
    let url = server.url("/test/slow");
    let in_flight = tokio::spawn(async move { client().get(url).send().await });
    let mut started_rx = started_rx;
    started_rx.recv().await.unwrap();

    server.signal_shutdown();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "done");
    let base = server.base.clone();
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("the server returns once drained")
        .unwrap();
    assert!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn run_serves_the_application_and_stops_on_signal() {
    // `app::run` is what `keycard serve` calls: the plain router, no test routes.
    let dir = scratch("run");
    let settings = keycard_server::Settings::resolve(args(dir.path())).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (state, _background) = keycard_server::bootstrap::bootstrap(
        settings.bound_to(addr),
        Arc::new(keycard_core::SystemClock),
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app::run(listener, state, async {
        let _ = stopped.await;
    }));
    let response = client()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
