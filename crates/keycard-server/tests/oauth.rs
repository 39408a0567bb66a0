//! Token introspection (RFC 7662) and revocation (RFC 7009) over real HTTP, on SQLite and
//! on PostgreSQL + Redis: client authentication by HTTP Basic, introspection of access and
//! refresh tokens in hybrid mode (live, logged out, rotated away, garbage), of access tokens
//! in jwt mode and of session tokens in session mode, and revocation that takes effect at
//! once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;

use common::backend::Backend;
use common::{Scratch, TestServer, args, client, scratch};
use keycard_core::SystemClock;
use keycard_core::UserId;
use keycard_core::audit::{AuditKind, AuditQuery};
use keycard_server::config::Mode;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const CLIENT_ID: &str = "resource-server";
const CLIENT_SECRET: &str = "client-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
/// A client configured without permissions: it may introspect, not revoke.
const READER: &str = "reader";
const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

on_every_backend!(
    introspection_tells_live_tokens_from_dead_ones,
    clients_must_authenticate,
    revoking_an_access_token_ends_its_session_at_once,
    revoking_a_refresh_token_ends_its_family_and_access_tokens,
    the_configuration_document_names_both_endpoints,
    jwt_and_session_mode_tokens_are_introspected_and_revoked,
);

async fn start(backend: Backend, name: &str, clients: Option<&str>) -> (Scratch, TestServer) {
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.clients = clients.map(|clients| clients.parse().unwrap());
    let server = backend.start(args, Arc::new(SystemClock)).await;
    (dir, server)
}

async fn start_with_client(backend: Backend, name: &str) -> (Scratch, TestServer) {
    start(
        backend,
        name,
        Some(&format!(
            "other:{CLIENT_SECRET}x,{CLIENT_ID}[introspect+revoke]:{CLIENT_SECRET},{READER}:{CLIENT_SECRET}"
        )),
    )
    .await
}

/// Registers the user and logs in; returns the user id, access and refresh tokens.
async fn user_with_tokens(server: &TestServer) -> (String, String, String) {
    let response = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    let response = client()
        .post(server.url("/v1/login"))
        .json(&json!({
            "email": EMAIL,
            "password": PASSWORD,
            "refresh_token_transport": "body",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    (
        user["id"].as_str().unwrap().to_owned(),
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// A form POST to `path` as the client with `secret`.
async fn call(server: &TestServer, path: &str, secret: &str, form: &[(&str, &str)]) -> Response {
    client()
        .post(server.url(path))
        .basic_auth(CLIENT_ID, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn introspect(server: &TestServer, token: &str) -> Value {
    let response = call(server, "/v1/introspect", CLIENT_SECRET, &[("token", token)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn revoke(server: &TestServer, token: &str) {
    let response = call(server, "/v1/revoke", CLIENT_SECRET, &[("token", token)]).await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn me(server: &TestServer, access: &str) -> StatusCode {
    let response = client()
        .get(server.url("/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    response.status()
}

async fn refresh(server: &TestServer, refresh: &str) -> Response {
    client()
        .post(server.url("/v1/token/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap()
}

async fn assert_invalid_client(response: Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Basic realm="keycard""#
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "https://keycard.dev/problems/invalid-client");
}

fn inactive() -> Value {
    json!({ "active": false })
}

async fn introspection_tells_live_tokens_from_dead_ones(backend: Backend) {
    let (_dir, server) = start_with_client(backend, "oauth-introspect").await;
    let (user, access, refresh_token) = user_with_tokens(&server).await;

    let answer = introspect(&server, &access).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["token_type"], "access_token");
    assert_eq!(answer["sub"], user.as_str());
    assert_eq!(answer["iss"], server.base.as_str());
    assert_eq!(answer["aud"], server.base.as_str());
    assert!(answer["sid"].is_string() && answer["jti"].is_string());
    let (iat, exp) = (
        answer["iat"].as_i64().unwrap(),
        answer["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 900);

    // The refresh token is active, and asking twice does not rotate it.
    for _ in 0..2 {
        let answer = introspect(&server, &refresh_token).await;
        assert_eq!(answer["active"], true);
        assert_eq!(answer["token_type"], "refresh_token");
        assert_eq!(answer["sub"], user.as_str());
        assert_eq!(answer["sid"], introspect(&server, &access).await["sid"]);
        assert!(answer["exp"].as_i64().unwrap() > exp);
    }
    let rotated = refresh(&server, &refresh_token).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    let next = rotated["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&server, next).await["active"], true);
    assert_eq!(
        introspect(&server, &refresh_token).await,
        inactive(),
        "a rotated-away token is no longer current"
    );

    for garbage in [
        "",
        "garbage",
        "kc_r_garbage",
        "a.b.c",
        &access[..access.len() - 2],
    ] {
        assert_eq!(introspect(&server, garbage).await, inactive(), "{garbage}");
    }

    // After logout neither the access token nor the refresh token is active.
    let response = client()
        .post(server.url("/v1/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(introspect(&server, &access).await, inactive());
    assert_eq!(introspect(&server, next).await, inactive());
}

async fn clients_must_authenticate(backend: Backend) {
    let (_dir, server) = start_with_client(backend, "oauth-clients").await;
    let (_, access, _) = user_with_tokens(&server).await;
    for path in ["/v1/introspect", "/v1/revoke"] {
        let wrong = format!("{CLIENT_SECRET}x");
        for secret in [wrong.as_str(), "", "short"] {
            let response = call(&server, path, secret, &[("token", &access)]).await;
            assert_invalid_client(response).await;
        }
        let response = client()
            .post(server.url(path))
            .form(&[("token", &access)])
            .send()
            .await
            .unwrap();
        assert_invalid_client(response).await;
        // Another client's secret is not this one's.
        let response = client()
            .post(server.url(path))
            .basic_auth("other", Some(CLIENT_SECRET))
            .form(&[("token", &access)])
            .send()
            .await
            .unwrap();
        assert_invalid_client(response).await;
        // A client that authenticates but sends no token: 400.
        let response = call(&server, path, CLIENT_SECRET, &[("token_type_hint", "x")]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    // A client allowed to introspect only may not revoke (another user's session
    // included): the same answer as an unknown client.
    let introspected = client()
        .post(server.url("/v1/introspect"))
        .basic_auth(READER, Some(CLIENT_SECRET))
        .form(&[("token", &access)])
        .send()
        .await
        .unwrap();
    assert_eq!(introspected.status(), StatusCode::OK);
    let body: Value = introspected.json().await.unwrap();
    assert_eq!(body["active"], true);
    let refused = client()
        .post(server.url("/v1/revoke"))
        .basic_auth(READER, Some(CLIENT_SECRET))
        .form(&[("token", &access)])
        .send()
        .await
        .unwrap();
    assert_invalid_client(refused).await;
    // The refused revocations revoked nothing.
    assert_eq!(me(&server, &access).await, StatusCode::OK);

    // Without any client configured, both routes refuse everyone.
    let (_dir, bare) = start(backend, "oauth-no-clients", None).await;
    for path in ["/v1/introspect", "/v1/revoke"] {
        let response = call(&bare, path, CLIENT_SECRET, &[("token", "x")]).await;
        assert_invalid_client(response).await;
    }
}

async fn revoking_an_access_token_ends_its_session_at_once(backend: Backend) {
    let (_dir, server) = start_with_client(backend, "oauth-revoke-access").await;
    let (user, access, refresh_token) = user_with_tokens(&server).await;
    assert_eq!(me(&server, &access).await, StatusCode::OK);
    revoke(&server, &access).await;
    assert_eq!(me(&server, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&server, &refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(introspect(&server, &access).await, inactive());
    // Revoking it again, or garbage, is still 200 (RFC 7009 section 2.2).
    revoke(&server, &access).await;
    for garbage in ["garbage", "kc_r_garbage", "kc_s_garbage", "a.b.c"] {
        revoke(&server, garbage).await;
    }
    let events = server
        .state
        .auth()
        .stores()
        .audit
        .query_audit(&AuditQuery {
            user_id: Some(UserId::new(user)),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(events[0].kind, AuditKind::SessionRevoked);
    assert_eq!(events[1].kind, AuditKind::LoginOk);
    assert_eq!(events[0].session_id, events[1].session_id);
}

async fn revoking_a_refresh_token_ends_its_family_and_access_tokens(backend: Backend) {
    let (_dir, server) = start_with_client(backend, "oauth-revoke-refresh").await;
    let (_, access, refresh_token) = user_with_tokens(&server).await;
    let response = call(
        &server,
        "/v1/revoke",
        CLIENT_SECRET,
        &[
            ("token", &refresh_token),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        refresh(&server, &refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(&server, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(&server, &refresh_token).await, inactive());
}

async fn the_configuration_document_names_both_endpoints(backend: Backend) {
    let (_dir, server) = start_with_client(backend, "oauth-discovery").await;
    let response = client()
        .get(server.url("/.well-known/keycard-configuration"))
        .send()
        .await
        .unwrap();
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["endpoints"]["introspect"], server.url("/v1/introspect"));
    assert_eq!(doc["endpoints"]["revoke"], server.url("/v1/revoke"));
}

async fn jwt_and_session_mode_tokens_are_introspected_and_revoked(backend: Backend) {
    let clients = format!("{CLIENT_ID}[introspect+revoke]:{CLIENT_SECRET}");
    for mode in [Mode::Jwt, Mode::Session] {
        let dir = scratch("oauth-modes");
        let mut args = args(dir.path());
        args.mode = Some(mode);
        args.clients = Some(clients.parse().unwrap());
        let server = backend.start(args, Arc::new(SystemClock)).await;
        let response = client()
            .post(server.url("/v1/users"))
            .json(&json!({ "email": EMAIL, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let response = client()
            .post(server.url("/v1/login"))
            .json(&json!({ "email": EMAIL, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let (token, token_type) = if mode == Mode::Jwt {
            let body: Value = response.json().await.unwrap();
            let access = body["access_token"].as_str().unwrap().to_owned();
            (access, "access_token")
        } else {
            let cookie = response.headers()["set-cookie"].to_str().unwrap();
            let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
            (value.to_owned(), "session_token")
        };
        let answer = introspect(&server, &token).await;
        assert_eq!(answer["active"], true, "{mode}");
        assert_eq!(answer["token_type"], token_type, "{mode}");
        revoke(&server, &token).await;
        assert_eq!(introspect(&server, &token).await, inactive(), "{mode}");
        let request = client().get(server.url("/v1/me"));
        let request = if mode == Mode::Jwt {
            request.bearer_auth(&token)
        } else {
            request.header("cookie", format!("__Host-keycard_session={token}"))
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{mode}");
    }
}
