//! Live responses against the document: each answer of a flow through every route, in
//! every mode, is validated against the schema the document gives its operation, status
//! and media type (`openapi/schemas.rs`). A handler and its documented schema cannot drift
//! apart unnoticed.

use std::cell::RefCell;

use keycard_server::config::Mode;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::json;

use super::common::{TestServer, client};
use super::routes::documented_for;
use super::schemas::Checker;
use super::{document, start};

const ADMIN_TOKEN: &str = "admin-token-0123456789-abcdefghijklmnopqrstuvwxyz";
const CLIENT_ID: &str = "resource-server";
const CLIENT_SECRET: &str = "client-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// The request's credential: the session cookie with the CSRF headers a same-origin page
/// sends, or the access token.
#[derive(Clone)]
enum Credential {
    Cookie { cookie: String, csrf: String },
    Bearer(String),
}

impl Credential {
    fn on(&self, server: &TestServer, request: RequestBuilder) -> RequestBuilder {
        match self {
            Self::Cookie { cookie, csrf } => request
                .header("cookie", cookie)
                .header("origin", &server.base)
                .header("x-csrf-token", csrf),
            Self::Bearer(token) => request.bearer_auth(token),
        }
    }

    /// What introspection is given for this credential.
    fn token(&self) -> String {
        match self {
            Self::Cookie { cookie, .. } => cookie.split_once('=').unwrap().1.to_owned(),
            Self::Bearer(token) => token.clone(),
        }
    }
}

/// A flow through every documented route of `mode`, each answer checked.
async fn flow(mode: Mode) {
    let (_dir, server) = start(mode, "openapi-live", |args| {
        args.admin_token = Some(ADMIN_TOKEN.parse().unwrap());
        args.clients = Some(
            format!("{CLIENT_ID}[introspect+revoke]:{CLIENT_SECRET}")
                .parse()
                .unwrap(),
        );
    })
    .await;
    let doc = &Checker {
        document: document(&server).await,
        checked: RefCell::default(),
    };
    let http = client();
    let url = |path: &str| server.url(path);
    let credentials = json!({ "email": EMAIL, "password": PASSWORD });

    // Accounts: created, taken, refused by a rule, unreadable, of the wrong media type.
    let response = http
        .post(url("/v1/users"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let user = doc.check("post", "/v1/users", response).await;
    let user_id = user["id"].as_str().unwrap().to_owned();
    for (body, status) in [
        (credentials.clone(), StatusCode::CONFLICT),
        (
            json!({ "email": "bob@example.com", "password": "short" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "email": "bob@example.com" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let response = http
            .post(url("/v1/users"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        doc.check("post", "/v1/users", response).await;
    }
    let response = http
        .post(url("/v1/users"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    doc.check("post", "/v1/users", response).await;

    // Logins: a wrong password, then the mode's credential.
    let wrong = json!({ "email": EMAIL, "password": "not the password at all" });
    let response = http
        .post(url("/v1/login"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    doc.check("post", "/v1/login", response).await;
    let response = http
        .post(url("/v1/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let login = doc.check("post", "/v1/login", response).await;
    let who = match mode {
        Mode::Session => Credential::Cookie {
            cookie: cookie.unwrap(),
            csrf: login["csrf_token"].as_str().unwrap().to_owned(),
        },
        _ => Credential::Bearer(login["access_token"].as_str().unwrap().to_owned()),
    };

    // Hybrid: a native client's login and refresh, the tokens in the body.
    if mode == Mode::Hybrid {
        let native =
            json!({ "email": EMAIL, "password": PASSWORD, "refresh_token_transport": "body" });
        let response = http
            .post(url("/v1/login"))
            .json(&native)
            .send()
            .await
            .unwrap();
        let native = doc.check("post", "/v1/login", response).await;
        let refresh = json!({ "refresh_token": native["refresh_token"] });
        let response = http
            .post(url("/v1/token/refresh"))
            .json(&refresh)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        doc.check("post", "/v1/token/refresh", response).await;
        let response = http
            .post(url("/v1/token/refresh"))
            .json(&json!({ "refresh_token": "not-a-token" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "an unknown refresh token"
        );
        doc.check("post", "/v1/token/refresh", response).await;
    }

    // The caller's own routes, with and without the credential.
    for path in ["/v1/me", "/v1/sessions", "/v1/auth/check"] {
        let response = who.on(&server, http.get(url(path))).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        doc.check("get", path, response).await;
        let response = http.get(url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        doc.check("get", path, response).await;
    }
    let response = who
        .on(&server, http.delete(url("/v1/sessions/no-such-session")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    doc.check("delete", "/v1/sessions/{id}", response).await;
    let change = json!({ "current_password": PASSWORD, "new_password": "short" });
    let response = who
        .on(&server, http.post(url("/v1/password")))
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    doc.check("post", "/v1/password", response).await;

    // The token inspector's question: is this token live? Only `active`, for any token.
    for token in [who.token(), "not-a-token".to_owned()] {
        let response = http
            .post(url("/v1/token/status"))
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        doc.check("post", "/v1/token/status", response).await;
    }

    // Clients: introspection of a live and of a meaningless token, revocation, no client.
    for token in [who.token(), "not-a-token".to_owned()] {
        let response = http
            .post(url("/v1/introspect"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        doc.check("post", "/v1/introspect", response).await;
    }
    let response = http
        .post(url("/v1/revoke"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    doc.check("post", "/v1/revoke", response).await;
    let response = http
        .post(url("/v1/revoke"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    doc.check("post", "/v1/revoke", response).await;

    // Logging out: without a credential, then of every session.
    let response = http.post(url("/v1/logout")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    doc.check("post", "/v1/logout", response).await;
    let response = who
        .on(&server, http.post(url("/v1/logout/all")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    doc.check("post", "/v1/logout/all", response).await;

    // The admin API.
    let admin = |request: RequestBuilder| request.bearer_auth(ADMIN_TOKEN);
    let sessions = format!("/v1/admin/users/{user_id}/sessions");
    let response = admin(http.get(url(&sessions))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    doc.check("get", "/v1/admin/users/{id}/sessions", response)
        .await;
    let response = admin(http.get(url("/v1/admin/audit?limit=5")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    doc.check("get", "/v1/admin/audit", response).await;
    let response = admin(http.get(url("/v1/admin/audit?limit=many")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    doc.check("get", "/v1/admin/audit", response).await;
    for (action, template) in [
        ("disable", "/v1/admin/users/{id}/disable"),
        ("enable", "/v1/admin/users/{id}/enable"),
    ] {
        let path = format!("/v1/admin/users/{user_id}/{action}");
        let response = admin(http.post(url(&path))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{action}");
        doc.check("post", template, response).await;
    }
    let response = admin(http.delete(url(&sessions))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    doc.check("delete", "/v1/admin/users/{id}/sessions", response)
        .await;
    let response = admin(http.post(url("/v1/admin/users/nobody/disable")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    doc.check("post", "/v1/admin/users/{id}/disable", response)
        .await;
    let response = http
        .get(url("/v1/admin/audit"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    doc.check("get", "/v1/admin/audit", response).await;

    // What operators and verifiers read.
    // The revocation stream never ends, so its documented error answer is what is checked
    // here; the stream itself is tested in tests/revocation_stream.rs.
    let response = http.get(url("/v1/revocations")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    doc.check("get", "/v1/revocations", response).await;
    for path in [
        "/healthz",
        "/readyz",
        "/.well-known/jwks.json",
        "/.well-known/keycard-configuration",
        "/metrics",
        "/openapi.json",
    ] {
        let response = http.get(url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        doc.check("get", path, response).await;
    }

    // Every operation of the mode was checked, so none of them can drift unnoticed.
    let operations = documented_for(&doc.document, mode);
    let unchecked: Vec<String> = operations
        .iter()
        .flat_map(|(template, methods)| {
            methods
                .iter()
                .map(move |method| format!("{} {template}", method.to_ascii_uppercase()))
        })
        .filter(|operation| {
            !doc.checked
                .borrow()
                .contains(&operation.replace("{}", "{id}"))
        })
        .collect();
    assert!(
        unchecked.is_empty(),
        "{mode:?}: no live answer checked for {unchecked:?}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn live_responses_match_their_documented_schemas_in_session_mode() {
    flow(Mode::Session).await;
}

#[tokio::test]
async fn live_responses_match_their_documented_schemas_in_jwt_mode() {
    flow(Mode::Jwt).await;
}

#[tokio::test]
async fn live_responses_match_their_documented_schemas_in_hybrid_mode() {
    flow(Mode::Hybrid).await;
}
