//! The user's own sessions, the password change and the gateway check, over real HTTP in
//! each mode: `GET /v1/sessions`, `DELETE /v1/sessions/{id}`, `POST /v1/password` and
//! `GET /v1/auth/check`. Each test runs on SQLite and on PostgreSQL + Redis (see
//! `common::backend`).
//!
//! A signed-in client is a [`Cred`]: the session cookie (with its CSRF token, sent as a
//! same-origin page sends it) in session mode, the access token in jwt and hybrid modes.
//! The cookies are `Secure` and the server speaks plain http, so the header is written by
//! hand, as `tests/flows.rs` does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;

use common::backend::Backend;
use common::{
    Scratch, TestServer, args, assert_problem, assert_unauthenticated, client, metric, scratch,
};
use keycard_core::audit::AuditQuery;
use keycard_core::{SessionId, SystemClock, UnixTime, UserId};
use keycard_server::config::Mode;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const OTHER_EMAIL: &str = "grace@example.com";
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a new and longer passphrase";
const SESSION_COOKIE: &str = "__Host-keycard_session";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CURL: &str = "curl/8.5.0";
const MODES: [Mode; 3] = [Mode::Session, Mode::Jwt, Mode::Hybrid];

on_every_backend!(
    list_shows_every_live_session_and_marks_the_current_one,
    deleting_a_session_ends_it_at_once_and_keeps_the_caller,
    deleting_the_current_session_is_a_logout,
    another_users_session_is_not_found_and_survives,
    cookie_authenticated_changes_need_csrf,
    password_change_checks_both_passwords_and_ends_other_sessions,
    auth_check_answers_204_with_headers_then_401_after_logout,
    auth_check_refuses_garbage_and_expired_tokens,
    auth_check_in_jwt_modes_asks_no_store,
);

/// A signed-in client's credential, as its mode hands it out.
#[derive(Clone, Debug)]
enum Cred {
    /// Session mode: the session cookie and its CSRF token.
    Cookie { token: String, csrf: String },
    /// Jwt and hybrid modes: the access token.
    Bearer(String),
}

impl Cred {
    /// Adds the credential, and for a cookie the same-origin CSRF headers a page sends.
    fn send(&self, server: &TestServer, request: RequestBuilder) -> RequestBuilder {
        match self {
            Self::Cookie { token, csrf } => request
                .header("cookie", format!("{SESSION_COOKIE}={token}"))
                .header("origin", &server.base)
                .header("x-csrf-token", csrf),
            Self::Bearer(token) => request.bearer_auth(token),
        }
    }
}

async fn start(backend: Backend, mode: Mode, name: &str) -> (Scratch, TestServer) {
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.mode = Some(mode);
    let server = backend.start(args, Arc::new(SystemClock)).await;
    (dir, server)
}

async fn register(server: &TestServer, email: &str) {
    let response = client()
        .post(server.url("/v1/users"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn try_login(server: &TestServer, email: &str, password: &str, agent: &str) -> Response {
    client()
        .post(server.url("/v1/login"))
        .header("user-agent", agent)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn login(server: &TestServer, email: &str, password: &str, agent: &str) -> Cred {
    let response = try_login(server, email, password, agent).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find_map(|text| {
            let (pair, _) = text.split_once(';')?;
            let value = pair.strip_prefix(&format!("{SESSION_COOKIE}="))?;
            Some(value.to_owned())
        });
    let body: Value = response.json().await.unwrap();
    match cookie {
        Some(token) => Cred::Cookie {
            token,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        },
        None => Cred::Bearer(body["access_token"].as_str().unwrap().to_owned()),
    }
}

async fn get(server: &TestServer, cred: &Cred, path: &str) -> Response {
    cred.send(server, client().get(server.url(path)))
        .send()
        .await
        .unwrap()
}

/// `GET /v1/me`, for its `{user, session}` ids; panics unless 200.
async fn me(server: &TestServer, cred: &Cred) -> (String, String) {
    let response = get(server, cred, "/v1/me").await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    (
        me["user"]["id"].as_str().unwrap().to_owned(),
        me["session"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn sessions(server: &TestServer, cred: &Cred) -> Vec<Value> {
    let response = get(server, cred, "/v1/sessions").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["sessions"].as_array().unwrap().clone()
}

async fn delete_session(server: &TestServer, cred: &Cred, id: &str) -> Response {
    cred.send(
        server,
        client().delete(server.url(&format!("/v1/sessions/{id}"))),
    )
    .send()
    .await
    .unwrap()
}

async fn change_password(server: &TestServer, cred: &Cred, current: &str, new: &str) -> Response {
    cred.send(server, client().post(server.url("/v1/password")))
        .json(&json!({ "current_password": current, "new_password": new }))
        .send()
        .await
        .unwrap()
}

/// The kinds of the user's audit events, oldest first.
async fn audit_kinds(server: &TestServer, user_id: &str) -> Vec<String> {
    let query = AuditQuery {
        user_id: Some(UserId::new(user_id)),
        ..AuditQuery::default()
    };
    let events = server
        .state
        .auth()
        .stores()
        .audit
        .query_audit(&query)
        .await
        .unwrap();
    events
        .iter()
        .rev()
        .map(|event| event.kind.as_str().to_owned())
        .collect()
}

async fn list_shows_every_live_session_and_marks_the_current_one(backend: Backend) {
    for mode in MODES {
        let (_dir, server) = start(backend, mode, "sessions-list").await;
        register(&server, EMAIL).await;
        let laptop = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let script = login(&server, EMAIL, PASSWORD, CURL).await;
        let (_, laptop_sid) = me(&server, &laptop).await;
        let (_, script_sid) = me(&server, &script).await;

        let listed = sessions(&server, &laptop).await;
        assert_eq!(listed.len(), 2, "{mode:?}: {listed:?}");
        let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1, "{mode:?}");
        assert_eq!(current[0]["id"], laptop_sid.as_str());
        assert_eq!(current[0]["label"], "Firefox on Linux");
        assert_eq!(current[0]["user_agent"], FIREFOX);
        assert_eq!(current[0]["ip"], "127.0.0.1");
        let other = listed.iter().find(|s| s["current"] == false).unwrap();
        assert_eq!(other["id"], script_sid.as_str());
        assert_eq!(other["label"], "curl");
        for session in &listed {
            let created = session["created_at"].as_i64().unwrap();
            assert!(session["last_seen_at"].as_i64().unwrap() >= created);
            assert!(session["expires_at"].as_i64().unwrap() > created);
        }

        // Seen from the other session, the other one is current.
        let listed = sessions(&server, &script).await;
        let current = listed.iter().find(|s| s["current"] == true).unwrap();
        assert_eq!(current["id"], script_sid.as_str());

        assert_unauthenticated(
            client()
                .get(server.url("/v1/sessions"))
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
}

async fn deleting_a_session_ends_it_at_once_and_keeps_the_caller(backend: Backend) {
    for mode in MODES {
        let (_dir, server) = start(backend, mode, "sessions-delete").await;
        register(&server, EMAIL).await;
        let keeper = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let lost = login(&server, EMAIL, PASSWORD, CURL).await;
        let (user_id, _) = me(&server, &keeper).await;
        let (_, lost_sid) = me(&server, &lost).await;

        let response = delete_session(&server, &keeper, &lost_sid).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{mode:?}");
        // Dead at once, for the API and for the gateway; the caller lives on.
        assert_unauthenticated(get(&server, &lost, "/v1/me").await).await;
        assert_unauthenticated(get(&server, &lost, "/v1/sessions").await).await;
        let check = get(&server, &lost, "/v1/auth/check").await;
        assert_eq!(check.status(), StatusCode::UNAUTHORIZED);
        me(&server, &keeper).await;
        let listed = sessions(&server, &keeper).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["current"], true);

        // Gone is gone: a second delete finds nothing.
        let again = delete_session(&server, &keeper, &lost_sid).await;
        assert_problem(again, StatusCode::NOT_FOUND, "not-found").await;
        let kinds = audit_kinds(&server, &user_id).await;
        assert_eq!(kinds.last().unwrap(), "session_revoked", "{mode:?}");
    }
}

async fn deleting_the_current_session_is_a_logout(backend: Backend) {
    for mode in MODES {
        let (_dir, server) = start(backend, mode, "sessions-delete-current").await;
        register(&server, EMAIL).await;
        let cred = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let (_, sid) = me(&server, &cred).await;
        let response = delete_session(&server, &cred, &sid).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{mode:?}");
        assert_eq!(response.headers()["clear-site-data"], "\"cookies\"");
        let expired = response
            .headers()
            .get("set-cookie")
            .map(|value| value.to_str().unwrap().to_owned());
        match mode {
            Mode::Session => {
                assert!(expired.unwrap().starts_with(&format!("{SESSION_COOKIE}=;")));
            }
            Mode::Hybrid => assert!(expired.unwrap().ends_with("Max-Age=0")),
            Mode::Jwt => assert!(expired.is_none()),
        }
        assert_unauthenticated(get(&server, &cred, "/v1/sessions").await).await;
        let check = get(&server, &cred, "/v1/auth/check").await;
        assert_eq!(check.status(), StatusCode::UNAUTHORIZED);
    }
}

async fn another_users_session_is_not_found_and_survives(backend: Backend) {
    for mode in MODES {
        let (_dir, server) = start(backend, mode, "sessions-other-user").await;
        register(&server, EMAIL).await;
        register(&server, OTHER_EMAIL).await;
        let owner = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let intruder = login(&server, OTHER_EMAIL, PASSWORD, CURL).await;
        let (_, owner_sid) = me(&server, &owner).await;

        let theirs = delete_session(&server, &intruder, &owner_sid).await;
        let theirs = assert_problem(theirs, StatusCode::NOT_FOUND, "not-found").await;
        // Word for word what an id that never existed gets.
        let unknown = delete_session(&server, &intruder, "no-such-session").await;
        let unknown = assert_problem(unknown, StatusCode::NOT_FOUND, "not-found").await;
        assert_eq!(theirs, unknown);

        me(&server, &owner).await;
        assert_eq!(
            get(&server, &owner, "/v1/auth/check").await.status(),
            StatusCode::NO_CONTENT
        );
        // The intruder's list shows their own session only.
        let listed = sessions(&server, &intruder).await;
        assert_eq!(listed.len(), 1, "{mode:?}");
        assert_ne!(listed[0]["id"], owner_sid.as_str());
    }
}

async fn cookie_authenticated_changes_need_csrf(backend: Backend) {
    let (_dir, server) = start(backend, Mode::Session, "sessions-csrf").await;
    register(&server, EMAIL).await;
    let caller = login(&server, EMAIL, PASSWORD, FIREFOX).await;
    let other = login(&server, EMAIL, PASSWORD, CURL).await;
    let (_, other_sid) = me(&server, &other).await;
    let Cred::Cookie { token, csrf } = &caller else {
        panic!("session mode hands out a cookie");
    };
    let cookie = format!("{SESSION_COOKIE}={token}");
    let delete = || client().delete(server.url(&format!("/v1/sessions/{other_sid}")));
    let password = || {
        client()
            .post(server.url("/v1/password"))
            .json(&json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }))
    };
    for request in [delete(), password()] {
        // No CSRF token.
        let response = request
            .header("cookie", &cookie)
            .header("origin", &server.base)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "csrf").await;
    }
    for request in [delete(), password()] {
        // The token, from another site.
        let response = request
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .header("x-csrf-token", csrf)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "csrf").await;
    }
    // Nothing happened: both sessions live, the password is the old one.
    me(&server, &other).await;
    assert_eq!(sessions(&server, &caller).await.len(), 2);
    login(&server, EMAIL, PASSWORD, CURL).await;
}

async fn password_change_checks_both_passwords_and_ends_other_sessions(backend: Backend) {
    for mode in MODES {
        let (_dir, server) = start(backend, mode, "sessions-password").await;
        register(&server, EMAIL).await;
        let changer = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let other = login(&server, EMAIL, PASSWORD, CURL).await;
        let (user_id, _) = me(&server, &changer).await;

        let wrong = change_password(&server, &changer, "not my password", NEW_PASSWORD).await;
        assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid-credentials").await;
        for (weak, rule) in [("short", "too_short"), (EMAIL, "equals_email")] {
            let response = change_password(&server, &changer, PASSWORD, weak).await;
            let body = assert_problem(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-password",
            )
            .await;
            assert_eq!(body["rule"], rule, "{mode:?}");
        }
        // Refused changes change nothing.
        me(&server, &other).await;

        let response = change_password(&server, &changer, PASSWORD, NEW_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{mode:?}");
        assert_unauthenticated(get(&server, &other, "/v1/me").await).await;
        assert_eq!(
            get(&server, &other, "/v1/auth/check").await.status(),
            StatusCode::UNAUTHORIZED
        );
        me(&server, &changer).await;
        let listed = sessions(&server, &changer).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["current"], true);

        let old = try_login(&server, EMAIL, PASSWORD, CURL).await;
        assert_problem(old, StatusCode::UNAUTHORIZED, "invalid-credentials").await;
        let fresh = login(&server, EMAIL, NEW_PASSWORD, CURL).await;
        me(&server, &fresh).await;
        let kinds = audit_kinds(&server, &user_id).await;
        assert!(kinds.contains(&"password_changed".to_owned()), "{kinds:?}");

        let unauthenticated = client()
            .post(server.url("/v1/password"))
            .json(&json!({ "current_password": NEW_PASSWORD, "new_password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_unauthenticated(unauthenticated).await;
    }
}

/// `keycard_auth_check_duration_seconds_count` on `/metrics`.
async fn auth_checks_timed(server: &TestServer) -> u64 {
    metric(server, "keycard_auth_check_duration_seconds_count").await
}

async fn auth_check_answers_204_with_headers_then_401_after_logout(backend: Backend) {
    for mode in MODES {
        let (_dir, server) = start(backend, mode, "sessions-auth-check").await;
        register(&server, EMAIL).await;
        let cred = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let (user_id, session_id) = me(&server, &cred).await;
        let timed = auth_checks_timed(&server).await;

        let response = get(&server, &cred, "/v1/auth/check").await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{mode:?}");
        assert_eq!(response.headers()["x-keycard-user"], user_id.as_str());
        assert_eq!(response.headers()["x-keycard-session"], session_id.as_str());
        assert!(response.bytes().await.unwrap().is_empty());
        assert_eq!(auth_checks_timed(&server).await, timed + 1);

        let response = cred
            .send(&server, client().post(server.url("/v1/logout")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let response = get(&server, &cred, "/v1/auth/check").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{mode:?}");
        assert!(response.headers().get("x-keycard-user").is_none());
        assert_eq!(auth_checks_timed(&server).await, timed + 2);
    }
}

async fn auth_check_refuses_garbage_and_expired_tokens(backend: Backend) {
    for mode in MODES {
        let (_dir, server) = start(backend, mode, "sessions-auth-check-garbage").await;
        register(&server, EMAIL).await;
        let cred = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let (user_id, session_id) = me(&server, &cred).await;
        let check = |request: RequestBuilder| async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{mode:?}");
            assert!(response.headers().get("x-keycard-session").is_none());
        };
        let url = server.url("/v1/auth/check");
        check(client().get(&url)).await;
        check(client().get(&url).bearer_auth("not.a.jwt")).await;
        check(
            client()
                .get(&url)
                .header("cookie", format!("{SESSION_COOKIE}=kc_s_forged")),
        )
        .await;
        // Signed by this server for a live session, but expired an hour ago (the leeway
        // is far shorter).
        let long_ago = UnixTime::from_secs(server.state.auth().now().as_secs() - 7200);
        let expired = mint(&server, &user_id, &session_id, long_ago);
        check(client().get(&url).bearer_auth(&expired)).await;
        // The mode decides the credential: a valid one of the other kind is not looked at.
        match &cred {
            Cred::Cookie { .. } => {
                let fresh = mint(&server, &user_id, &session_id, server.state.auth().now());
                check(client().get(&url).bearer_auth(&fresh)).await;
            }
            Cred::Bearer(_) => {}
        }
        // The real credential still passes.
        let response = get(&server, &cred, "/v1/auth/check").await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
}

/// An access token as the server mints them, signed with its active key, issued at `at`.
fn mint(server: &TestServer, user: &str, session: &str, at: UnixTime) -> String {
    let auth = server.state.auth();
    let settings = auth.settings();
    let claims = serde_json::json!({
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": user,
        "sid": session,
        "iat": at.as_secs(),
        "exp": at.as_secs() + 900,
        "jti": "test-minted",
    });
    let keys = auth.keys();
    keycard_core::jwt::sign(keys.active().unwrap(), Some("at+jwt"), &claims).unwrap()
}

/// In jwt and hybrid modes the check is the token and the revocation set alone: with the
/// session's record gone from the store behind the server's back (no revocation), the
/// store-backed `/v1/me` refuses while the check still passes. Logout, which revokes the
/// session's id, is what stops it (tested above).
async fn auth_check_in_jwt_modes_asks_no_store(backend: Backend) {
    for mode in [Mode::Jwt, Mode::Hybrid] {
        let (_dir, server) = start(backend, mode, "sessions-auth-check-no-store").await;
        register(&server, EMAIL).await;
        let cred = login(&server, EMAIL, PASSWORD, FIREFOX).await;
        let (_, session_id) = me(&server, &cred).await;
        let deleted = server
            .state
            .auth()
            .stores()
            .sessions
            .delete_session(&SessionId::new(&session_id))
            .await
            .unwrap();
        assert!(deleted);
        // Deleted behind the service's back (every real ending revokes the id through the
        // feed), so the session cache still holds it: emptied here, `/v1/me` asks the
        // store and finds nothing, while the check still asks nothing.
        server.state.auth().caches().sessions.clear();
        assert_unauthenticated(get(&server, &cred, "/v1/me").await).await;
        let response = get(&server, &cred, "/v1/auth/check").await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{mode:?}");
        assert_eq!(response.headers()["x-keycard-session"], session_id.as_str());
    }
}

/// A stolen session must not become a password oracle: wrong current passwords are
/// charged to the account's login limit, which login shares. In-memory limits, so SQLite
/// only.
#[tokio::test]
async fn password_guesses_count_against_the_login_limits() {
    let dir = scratch("sessions-password-limits");
    let mut args = args(dir.path());
    args.mode = Some(Mode::Jwt);
    args.login_limit_per_account = Some(2);
    args.login_limit_window = Some("10m".parse().unwrap());
    let server = Backend::Sqlite.start(args, Arc::new(SystemClock)).await;
    register(&server, EMAIL).await;
    let cred = login(&server, EMAIL, PASSWORD, CURL).await;
    for _ in 0..2 {
        let wrong = change_password(&server, &cred, "a wrong guess", NEW_PASSWORD).await;
        assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid-credentials").await;
    }
    let throttled = change_password(&server, &cred, "a third guess", NEW_PASSWORD).await;
    assert!(throttled.headers().contains_key("retry-after"));
    assert_problem(
        throttled,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
    )
    .await;
    // The same account limit holds at the login door.
    let door = try_login(&server, EMAIL, PASSWORD, CURL).await;
    assert_eq!(door.status(), StatusCode::TOO_MANY_REQUESTS);
}
