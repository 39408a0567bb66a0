//! What the server must never say and how it refuses what it cannot read:
//!
//! - no password, token, cookie value, CSRF token or password hash in any log line, with
//!   every `tracing` event and span field of a full flow captured at TRACE;
//! - an oversized body (413), a wrong content type (415), malformed JSON (400) and a body
//!   missing fields (422) are each answered `application/problem+json` with `type`,
//!   `title` and `status`;
//! - responses carrying tokens are `Cache-Control: no-store`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use common::{Scratch, TestServer, args, client, header, scratch};
use keycard_core::user::Email;
use keycard_server::config::Mode;
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";
const WRONG_PASSWORD: &str = "incorrect horse battery staple";
const SESSION_COOKIE: &str = "__Host-keycard_session";
const REFRESH_COOKIE: &str = "__Secure-keycard_refresh";

/// A subscriber that writes every span (with its fields and later records) and every event,
/// at every level and from every crate (the server, axum, tower-http's request traces,
/// sqlx), as text into a buffer shared by the tests of this binary.
struct Capture {
    out: Arc<Mutex<String>>,
    next_id: AtomicU64,
}

/// Writes fields as ` name=value`; strings unquoted, as a log formatter would.
struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl Capture {
    fn append(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str(line);
        out.push('\n');
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let meta = span.metadata();
        let mut line = format!("SPAN#{id} {} {}:", meta.target(), meta.name());
        span.record(&mut Fields(&mut line));
        self.append(&line);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut line = format!("RECORD#{}:", span.into_u64());
        values.record(&mut Fields(&mut line));
        self.append(&line);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let mut line = format!("{} {}:", meta.level(), meta.target());
        event.record(&mut Fields(&mut line));
        self.append(&line);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// The log of this test binary so far; installs the capturing subscriber the first time.
fn log() -> Arc<Mutex<String>> {
    static LOG: OnceLock<Arc<Mutex<String>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let out = Arc::new(Mutex::new(String::new()));
        let capture = Capture {
            out: out.clone(),
            next_id: AtomicU64::new(1),
        };
        tracing::subscriber::set_global_default(capture).expect("the only global subscriber");
        out
    })
    .clone()
}

/// The value of cookie `name` in the response's `Set-Cookie`.
fn set_cookie(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().unwrap().split(';').next())
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"))
        .to_owned()
}

async fn start(mode: Mode, name: &str) -> (Scratch, TestServer) {
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.mode = Some(mode);
    (dir, TestServer::start(args).await)
}

async fn post_json(server: &TestServer, path: &str, body: Value) -> Response {
    client()
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Asserts a 200 carrying tokens, not to be cached; returns its headers and body.
async fn token_response(response: Response) -> (HeaderMap, Value) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let headers = response.headers().clone();
    (headers, response.json().await.unwrap())
}

/// The stored hash of `email`'s password.
async fn stored_hash(server: &TestServer, email: &str) -> String {
    let user = server
        .state
        .auth()
        .stores()
        .users
        .load_user_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    user.password_hash.as_str().to_owned()
}

/// Asserts that `log` holds none of `secrets` (each also by its random part: a token
/// without its `kc_x_` prefix, a JWT's signature, a hash's salt and digest).
fn assert_no_secret_in(log: &str, secrets: &[(&str, String)]) {
    for (what, secret) in secrets {
        assert!(
            secret.len() >= 16,
            "{what} is suspiciously short: {secret:?}"
        );
        let mut needles = vec![secret.clone()];
        if let Some(random) = ["kc_s_", "kc_r_"]
            .iter()
            .find_map(|prefix| secret.strip_prefix(prefix))
        {
            needles.push(random.to_owned());
        }
        if secret.starts_with("ey") {
            needles.push(secret.rsplit('.').next().unwrap().to_owned());
        }
        if secret.starts_with("$argon2") {
            needles.extend(secret.rsplit('$').take(2).map(str::to_owned));
        }
        for needle in needles {
            assert!(
                !log.contains(&needle),
                "the log holds the {what} ({needle:?})"
            );
        }
    }
}

#[tokio::test]
async fn no_secret_reaches_the_log_during_a_full_flow() {
    let log = log();
    let mut secrets: Vec<(&str, String)> = vec![
        ("password", PASSWORD.to_owned()),
        ("wrong password", WRONG_PASSWORD.to_owned()),
    ];

    // Hybrid mode: register, a failed and two good logins (refresh token in the cookie,
    // then in the body), me, both kinds of refresh, logout.
    let (_dir, server) = start(Mode::Hybrid, "hygiene-hybrid").await;
    let response = post_json(
        &server,
        "/v1/users",
        json!({ "email": EMAIL, "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = post_json(
        &server,
        "/v1/login",
        json!({ "email": EMAIL, "password": WRONG_PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response = post_json(
        &server,
        "/v1/login",
        json!({ "email": EMAIL, "password": PASSWORD }),
    )
    .await;
    let (headers, body) = token_response(response).await;
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = set_cookie(&headers, REFRESH_COOKIE);
    let response = client()
        .get(server.url("/v1/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client()
        .post(server.url("/v1/token/refresh"))
        .header("cookie", format!("{REFRESH_COOKIE}={refresh}"))
        .header("origin", &server.base)
        .send()
        .await
        .unwrap();
    let (headers, body) = token_response(response).await;
    let refreshed_access = body["access_token"].as_str().unwrap().to_owned();
    let rotated = set_cookie(&headers, REFRESH_COOKIE);

    let response = post_json(
        &server,
        "/v1/login",
        json!({ "email": EMAIL, "password": PASSWORD, "refresh_token_transport": "body" }),
    )
    .await;
    let (_, body) = token_response(response).await;
    let native_access = body["access_token"].as_str().unwrap().to_owned();
    let native_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let response = post_json(
        &server,
        "/v1/token/refresh",
        json!({ "refresh_token": native_refresh }),
    )
    .await;
    let (_, body) = token_response(response).await;
    let native_refreshed_access = body["access_token"].as_str().unwrap().to_owned();
    let native_rotated = body["refresh_token"].as_str().unwrap().to_owned();

    for token in [&refreshed_access, &native_refreshed_access] {
        let response = client()
            .post(server.url("/v1/logout"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    // A revoked token presented again is refused, and logged as refused.
    let response = client()
        .get(server.url("/v1/me"))
        .bearer_auth(&refreshed_access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    secrets.extend([
        ("access token", access),
        ("refresh token", refresh),
        ("refreshed access token", refreshed_access),
        ("rotated refresh token", rotated),
        ("native access token", native_access),
        ("native refresh token", native_refresh),
        ("native refreshed access token", native_refreshed_access),
        ("native rotated refresh token", native_rotated),
        ("password hash", stored_hash(&server, EMAIL).await),
    ]);

    // Session mode: the cookie and the CSRF token.
    let (_dir, server) = start(Mode::Session, "hygiene-session").await;
    post_json(
        &server,
        "/v1/users",
        json!({ "email": EMAIL, "password": PASSWORD }),
    )
    .await;
    let response = post_json(
        &server,
        "/v1/login",
        json!({ "email": EMAIL, "password": PASSWORD }),
    )
    .await;
    let (headers, body) = token_response(response).await;
    let cookie = set_cookie(&headers, SESSION_COOKIE);
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let response = client()
        .get(server.url("/v1/me"))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client()
        .post(server.url("/v1/logout"))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .header("origin", &server.base)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    secrets.extend([
        ("session cookie", cookie),
        ("CSRF token", csrf),
        ("password hash", stored_hash(&server, EMAIL).await),
    ]);

    let log = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
    // The capture works: the request traces of this flow are in it.
    for path in [
        "/v1/users",
        "/v1/login",
        "/v1/me",
        "/v1/token/refresh",
        "/v1/logout",
    ] {
        assert!(log.contains(path), "no request trace of {path} in the log");
    }
    assert!(!log.contains("$argon2"), "the log holds a password hash");
    assert_no_secret_in(&log, &secrets);
}

/// Asserts an RFC 9457 problem with `status`; returns its body.
async fn assert_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        header(&response, "content-type"),
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    let kind = body["type"].as_str().unwrap();
    assert!(
        kind.starts_with("https://keycard.dev/problems/"),
        "type {kind}"
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert_eq!(body["status"], status.as_u16());
    body
}

#[tokio::test]
async fn unreadable_requests_are_refused_with_problems() {
    let _log = log();
    let dir = scratch("hygiene-requests");
    let mut args = args(dir.path());
    args.mode = Some(Mode::Jwt);
    // The smallest limit allowed: the oversized body below is then small enough to be
    // sent whole before the server answers (a large one could meet a closed connection).
    args.body_limit = Some(1024);
    let server = TestServer::start(args).await;
    let login = server.url("/v1/login");

    // Over the limit, declared by Content-Length.
    let big = json!({ "email": EMAIL, "password": "x".repeat(4000) }).to_string();
    for path in ["/v1/login", "/v1/users"] {
        let response = client()
            .post(server.url(path))
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
        assert_eq!(
            body["type"],
            "https://keycard.dev/problems/payload-too-large"
        );
    }

    // The right JSON as the wrong type.
    let credentials = json!({ "email": EMAIL, "password": PASSWORD }).to_string();
    let response = client()
        .post(&login)
        .header("content-type", "text/plain")
        .body(credentials.clone())
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(
        body["type"],
        "https://keycard.dev/problems/unsupported-media-type"
    );
    // No content type at all.
    let response = client()
        .post(&login)
        .body(credentials)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    // Not JSON.
    for malformed in [r#"{"email": "ada@example.com", "password": "#, "{{", ""] {
        let response = client()
            .post(&login)
            .header("content-type", "application/json")
            .body(malformed)
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["type"], "https://keycard.dev/problems/bad-request");
    }

    // JSON, not the shape of the route.
    for shapeless in [
        json!({ "email": EMAIL }),
        json!({ "password": PASSWORD }),
        json!({ "email": EMAIL, "password": 12_345_678 }),
        json!("ada@example.com"),
    ] {
        let response = client().post(&login).json(&shapeless).send().await.unwrap();
        let status = response.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{shapeless} answered {status}"
        );
        assert_problem(response, status).await;
    }
}
