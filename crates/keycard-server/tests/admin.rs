//! The admin routes over real HTTP, on SQLite and on PostgreSQL + Redis: the admin token (absent: 404; missing or
//! wrong: 401), disabling a user (everything it holds stops at once, its login fails like a
//! wrong password) and enabling it again, listing and revoking a user's sessions, and the
//! audit log by user, newest first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;

use common::backend::Backend;
use common::{Scratch, TestServer, args, client, scratch};
use keycard_core::SystemClock;
use keycard_server::config::Mode;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "admin-token-0123456789-abcdefghijklmnopqrstuvwxyz";
const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

on_every_backend!(
    without_an_admin_token_the_admin_routes_do_not_exist,
    admin_routes_need_the_configured_token,
    disabling_stops_everything_at_once_and_enabling_restores_login,
    an_admin_lists_and_revokes_a_users_sessions,
    the_audit_log_by_user_is_newest_first,
    disabling_is_instant_in_jwt_and_session_modes_too,
);

async fn start(backend: Backend, name: &str, admin_token: Option<&str>) -> (Scratch, TestServer) {
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.admin_token = admin_token.map(|token| token.parse().unwrap());
    let server = backend.start(args, Arc::new(SystemClock)).await;
    (dir, server)
}

/// Registers `email`; returns the user's id.
async fn register(server: &TestServer, email: &str) -> String {
    let response = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn login(server: &TestServer, email: &str, password: &str) -> Response {
    client()
        .post(server.url("/v1/login"))
        .json(&json!({
            "email": email,
            "password": password,
            "refresh_token_transport": "body",
        }))
        .send()
        .await
        .unwrap()
}

/// Logs in; returns the access and refresh tokens.
async fn tokens(server: &TestServer, email: &str) -> (String, String) {
    let response = login(server, email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
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

async fn refresh(server: &TestServer, refresh: &str) -> StatusCode {
    let response = client()
        .post(server.url("/v1/token/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap();
    response.status()
}

/// An admin request with `token` as the bearer, if any.
async fn admin(server: &TestServer, method: Method, path: &str, token: Option<&str>) -> Response {
    let mut request = client().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn admin_json(server: &TestServer, method: Method, path: &str) -> Value {
    let response = admin(server, method, path, Some(ADMIN_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn problem_type(response: Response) -> String {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    body["type"].as_str().unwrap().to_owned()
}

async fn without_an_admin_token_the_admin_routes_do_not_exist(backend: Backend) {
    let (_dir, server) = start(backend, "admin-absent", None).await;
    let id = register(&server, EMAIL).await;
    for (method, path) in [
        (Method::GET, "/v1/admin/audit".to_owned()),
        (Method::POST, format!("/v1/admin/users/{id}/disable")),
        (Method::POST, format!("/v1/admin/users/{id}/enable")),
        (Method::GET, format!("/v1/admin/users/{id}/sessions")),
        (Method::DELETE, format!("/v1/admin/users/{id}/sessions")),
    ] {
        let response = admin(&server, method, &path, Some(ADMIN_TOKEN)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            problem_type(response).await,
            "https://keycard.dev/problems/not-found"
        );
    }
    // The rest of the server is there.
    assert_eq!(
        login(&server, EMAIL, PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn admin_routes_need_the_configured_token(backend: Backend) {
    let (_dir, server) = start(backend, "admin-token", Some(ADMIN_TOKEN)).await;
    let id = register(&server, EMAIL).await;
    let wrong = format!("{ADMIN_TOKEN}x");
    for token in [None, Some(wrong.as_str()), Some("short")] {
        for (method, path) in [
            (Method::GET, "/v1/admin/audit".to_owned()),
            (Method::POST, format!("/v1/admin/users/{id}/disable")),
            (Method::DELETE, format!("/v1/admin/users/{id}/sessions")),
        ] {
            let response = admin(&server, method, &path, token).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(
                response.headers()["www-authenticate"],
                r#"Bearer error="invalid_token""#
            );
            assert_eq!(
                problem_type(response).await,
                "https://keycard.dev/problems/invalid-token"
            );
        }
    }
    // A user's own access token is no admin token.
    let (access, _) = tokens(&server, EMAIL).await;
    let response = admin(&server, Method::GET, "/v1/admin/audit", Some(&access)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Nothing was disabled by the refused calls.
    assert_eq!(me(&server, &access).await, StatusCode::OK);
    let body = admin_json(&server, Method::GET, "/v1/admin/audit").await;
    assert!(body["events"].is_array());
}

async fn disabling_stops_everything_at_once_and_enabling_restores_login(backend: Backend) {
    let (_dir, server) = start(backend, "admin-disable", Some(ADMIN_TOKEN)).await;
    let id = register(&server, EMAIL).await;
    let (access, refresh_token) = tokens(&server, EMAIL).await;
    assert_eq!(me(&server, &access).await, StatusCode::OK);

    let body = admin_json(
        &server,
        Method::POST,
        &format!("/v1/admin/users/{id}/disable"),
    )
    .await;
    assert_eq!(
        body,
        json!({ "id": id, "disabled": true, "sessions_revoked": 1 })
    );
    assert_eq!(me(&server, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&server, &refresh_token).await,
        StatusCode::UNAUTHORIZED
    );

    // A disabled account's login fails exactly as a wrong password does.
    let disabled = login(&server, EMAIL, PASSWORD).await;
    let wrong = login(&server, EMAIL, "not the password at all").await;
    assert_eq!(disabled.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        disabled.headers()["content-type"],
        wrong.headers()["content-type"]
    );
    assert_eq!(
        disabled.bytes().await.unwrap(),
        wrong.bytes().await.unwrap()
    );

    let body = admin_json(
        &server,
        Method::POST,
        &format!("/v1/admin/users/{id}/enable"),
    )
    .await;
    assert_eq!(body, json!({ "id": id, "disabled": false }));
    let (access, refresh_token) = tokens(&server, EMAIL).await;
    assert_eq!(me(&server, &access).await, StatusCode::OK);
    assert_eq!(refresh(&server, &refresh_token).await, StatusCode::OK);

    for action in ["disable", "enable"] {
        let path = format!("/v1/admin/users/nobody/{action}");
        let response = admin(&server, Method::POST, &path, Some(ADMIN_TOKEN)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

async fn an_admin_lists_and_revokes_a_users_sessions(backend: Backend) {
    let (_dir, server) = start(backend, "admin-sessions", Some(ADMIN_TOKEN)).await;
    let id = register(&server, EMAIL).await;
    let other = register(&server, "bob@example.com").await;
    let (first, _) = tokens(&server, EMAIL).await;
    let (second, second_refresh) = tokens(&server, EMAIL).await;
    let (bobs, _) = tokens(&server, "bob@example.com").await;

    let path = format!("/v1/admin/users/{id}/sessions");
    let body = admin_json(&server, Method::GET, &path).await;
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    for session in sessions {
        assert_eq!(session["kind"], "refresh");
        assert!(session["id"].is_string() && session["expires_at"].is_i64());
    }

    let body = admin_json(&server, Method::DELETE, &path).await;
    assert_eq!(body, json!({ "sessions_revoked": 2 }));
    assert_eq!(me(&server, &first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&server, &second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&server, &second_refresh).await,
        StatusCode::UNAUTHORIZED
    );
    let body = admin_json(&server, Method::GET, &path).await;
    assert_eq!(body, json!({ "sessions": [] }));

    // Another user is untouched, and the revoked one can log in again (not disabled).
    assert_eq!(me(&server, &bobs).await, StatusCode::OK);
    let body = admin_json(
        &server,
        Method::GET,
        &format!("/v1/admin/users/{other}/sessions"),
    )
    .await;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    let (again, _) = tokens(&server, EMAIL).await;
    assert_eq!(me(&server, &again).await, StatusCode::OK);

    for method in [Method::GET, Method::DELETE] {
        let path = "/v1/admin/users/nobody/sessions";
        let response = admin(&server, method, path, Some(ADMIN_TOKEN)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}

async fn the_audit_log_by_user_is_newest_first(backend: Backend) {
    let (_dir, server) = start(backend, "admin-audit", Some(ADMIN_TOKEN)).await;
    let id = register(&server, EMAIL).await;
    register(&server, "bob@example.com").await;
    tokens(&server, "bob@example.com").await;
    tokens(&server, EMAIL).await;
    admin_json(
        &server,
        Method::POST,
        &format!("/v1/admin/users/{id}/disable"),
    )
    .await;
    admin_json(
        &server,
        Method::POST,
        &format!("/v1/admin/users/{id}/enable"),
    )
    .await;

    let kinds = |body: &Value| -> Vec<String> {
        body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let body = admin_json(&server, Method::GET, &format!("/v1/admin/audit?user={id}")).await;
    assert_eq!(
        kinds(&body),
        ["user_enabled", "user_disabled", "login_ok", "user_created"]
    );
    let events = body["events"].as_array().unwrap();
    assert!(events.iter().all(|event| event["user_id"] == id));
    let login_ok = &events[2];
    assert!(login_ok["session_id"].is_string() && login_ok["at"].is_i64());
    assert_eq!(login_ok["ip"], "127.0.0.1");

    let body = admin_json(
        &server,
        Method::GET,
        &format!("/v1/admin/audit?user={id}&limit=2"),
    )
    .await;
    assert_eq!(kinds(&body), ["user_enabled", "user_disabled"]);

    let session = login_ok["session_id"].as_str().unwrap();
    let body = admin_json(
        &server,
        Method::GET,
        &format!("/v1/admin/audit?session={session}"),
    )
    .await;
    assert_eq!(kinds(&body), ["login_ok"]);

    let at = login_ok["at"].as_i64().unwrap();
    let body = admin_json(
        &server,
        Method::GET,
        &format!("/v1/admin/audit?user={id}&since={}", at + 3600),
    )
    .await;
    assert_eq!(body, json!({ "events": [] }));
    let body = admin_json(
        &server,
        Method::GET,
        &format!("/v1/admin/audit?user={id}&until={at}"),
    )
    .await;
    assert!(kinds(&body).iter().all(|kind| kind == "user_created"));

    // Every user's events without a filter; a bad parameter is a 400 problem.
    let body = admin_json(&server, Method::GET, "/v1/admin/audit").await;
    assert_eq!(body["events"].as_array().unwrap().len(), 6);
    let response = admin(
        &server,
        Method::GET,
        "/v1/admin/audit?since=yesterday",
        Some(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn disabling_is_instant_in_jwt_and_session_modes_too(backend: Backend) {
    for mode in [Mode::Jwt, Mode::Session] {
        let dir = scratch("admin-modes");
        let mut args = args(dir.path());
        args.mode = Some(mode);
        args.admin_token = Some(ADMIN_TOKEN.parse().unwrap());
        let server = backend.start(args, Arc::new(SystemClock)).await;
        let id = register(&server, EMAIL).await;
        let response = login(&server, EMAIL, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        let request = if mode == Mode::Jwt {
            let body: Value = response.json().await.unwrap();
            let access = body["access_token"].as_str().unwrap().to_owned();
            client().get(server.url("/v1/me")).bearer_auth(access)
        } else {
            let cookie = response.headers()["set-cookie"].to_str().unwrap();
            let pair = cookie.split(';').next().unwrap().to_owned();
            client().get(server.url("/v1/me")).header("cookie", pair)
        };
        let again = request.try_clone().unwrap();
        assert_eq!(request.send().await.unwrap().status(), StatusCode::OK);
        admin_json(
            &server,
            Method::POST,
            &format!("/v1/admin/users/{id}/disable"),
        )
        .await;
        let status = again.send().await.unwrap().status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{mode}");
        let status = login(&server, EMAIL, PASSWORD).await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{mode}");
    }
}
