//! The document against the router of each mode: every route a server answers is
//! documented, and every documented operation is answered in the modes it exists in
//! (`x-keycard-modes`, all of them when absent) and nowhere else.
//!
//! Which routes are wired is asked of the server itself, not of a list kept by hand: the
//! test starts it with a fallback that answers 418, then requests every candidate path
//! with every method. A path whose every method answers 418 is not routed; a method that
//! answers neither 418 nor 405 is wired. The candidates are the paths the document lists,
//! the paths of the v1 design ([`KNOWN_PATHS`]), and every `.route("/...")` literal in
//! `src/app.rs`, so a route added there with a new path is probed even if nobody lists it
//! here.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode as AxumStatus;
use keycard_server::config::Mode;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::common::{TestServer, client};
use super::{document, operations, start};

/// What the test's fallback answers: no route has this path.
const UNROUTED: StatusCode = StatusCode::IM_A_TEAPOT;

/// The methods probed on every path.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// The keys of a path item that are operations.
pub const METHODS_DOCUMENTED: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The v1 surface of the design, as path templates, probed whether or not the document
/// lists them: a route that is not wired must not be documented, and the other way round.
///
/// Deliberately left out: `/` and the pages under `/ui/`. They are HTML for people, not
/// API operations, so the document does not list them; `src/app.rs` merges them as
/// `ui::routes()` (no `.route("/...")` literal there), and `tests/ui_browser.rs` checks
/// what they serve.
const KNOWN_PATHS: &[&str] = &[
    "/v1/users",
    "/v1/login",
    "/v1/me",
    "/v1/token/refresh",
    "/v1/logout",
    "/v1/logout/all",
    "/v1/sessions",
    "/v1/sessions/{id}",
    "/v1/password",
    "/v1/auth/check",
    "/v1/introspect",
    "/v1/revoke",
    "/v1/revocations",
    "/v1/admin/users/{id}/disable",
    "/v1/admin/users/{id}/enable",
    "/v1/admin/users/{id}/sessions",
    "/v1/admin/audit",
    "/.well-known/jwks.json",
    "/.well-known/keycard-configuration",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
];

/// The server's own routes, with a fallback no real route answers.
pub fn with_teapot_fallback(
    routes: axum::Router<keycard_server::AppState>,
) -> axum::Router<keycard_server::AppState> {
    routes.fallback(|| async { (AxumStatus::IM_A_TEAPOT, "unrouted") })
}

/// `{id}`, `{user_id}`, ... all become `{}`, so templates compare whatever the parameter
/// is called.
fn shape(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A concrete path for a template: each parameter becomes an id no record has.
fn concrete(template: &str) -> String {
    shape(template).replace("{}", "openapi-probe")
}

/// The string literals that start with `/` in `.route(` calls of `src/app.rs`.
fn route_literals_in_app_rs() -> Vec<String> {
    let source = include_str!("../../src/app.rs");
    let mut found = Vec::new();
    for (at, _) in source.match_indices(".route(") {
        let rest = source[at + ".route(".len()..].trim_start();
        if let Some(literal) = rest.strip_prefix('"')
            && let Some(end) = literal.find('"')
            && literal.starts_with('/')
        {
            found.push(literal[..end].to_owned());
        }
    }
    found
}

/// The operations the document says a server in `mode` has, by path shape: the
/// lower-case methods under each path.
pub fn documented_for(document: &Value, mode: Mode) -> BTreeMap<String, BTreeSet<String>> {
    let mode = format!("{mode:?}").to_ascii_lowercase();
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (template, method, operation) in operations(document) {
        let exists = match operation["x-keycard-modes"].as_array() {
            Some(modes) => modes.iter().any(|m| m.as_str() == Some(mode.as_str())),
            None => true,
        };
        if exists {
            documented
                .entry(shape(template))
                .or_default()
                .insert(method.to_owned());
        }
    }
    documented
}

/// Asks the server which of `templates` it routes, and with which methods.
async fn wired(
    server: &TestServer,
    templates: &BTreeSet<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let http = client();
    let mut wired = BTreeMap::new();
    for template in templates {
        let mut answered = BTreeSet::new();
        let mut routed = false;
        for method in METHODS {
            let response = http
                .request(method.clone(), server.url(&concrete(template)))
                .send()
                .await
                .unwrap();
            let status = response.status();
            if status != UNROUTED {
                routed = true;
            }
            if status != UNROUTED && status != StatusCode::METHOD_NOT_ALLOWED {
                answered.insert(method.as_str().to_ascii_lowercase());
            }
        }
        if routed {
            wired.insert(template.clone(), answered);
        }
    }
    wired
}

/// The core of the test: the routes a server in `mode` answers are exactly the operations
/// the document gives that mode.
async fn wired_routes_are_the_documented_ones(mode: Mode, name: &str) {
    let (_dir, server) = start(mode, name, |_| {}).await;
    let document = document(&server).await;
    let documented = documented_for(&document, mode);

    let mut candidates: BTreeSet<String> = operations(&document)
        .into_iter()
        .map(|(template, _, _)| shape(template))
        .collect();
    candidates.extend(KNOWN_PATHS.iter().map(|p| shape(p)));
    candidates.extend(route_literals_in_app_rs().iter().map(|p| shape(p)));
    // The fallback must answer what no route has, or nothing below means anything.
    let nowhere = client()
        .get(server.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), UNROUTED);

    let wired = wired(&server, &candidates).await;
    let flatten = |routes: &BTreeMap<String, BTreeSet<String>>| -> BTreeSet<String> {
        routes
            .iter()
            .flat_map(|(template, methods)| {
                methods
                    .iter()
                    .map(move |method| format!("{} {template}", method.to_ascii_uppercase()))
            })
            .collect()
    };
    let (wired_ops, documented_ops) = (flatten(&wired), flatten(&documented));
    let undocumented: Vec<_> = wired_ops.difference(&documented_ops).collect();
    assert!(
        undocumented.is_empty(),
        "{mode:?} mode answers routes /openapi.json does not document: {undocumented:?}"
    );
    let unanswered: Vec<_> = documented_ops.difference(&wired_ops).collect();
    assert!(
        unanswered.is_empty(),
        "/openapi.json documents routes {mode:?} mode does not answer: {unanswered:?}"
    );
    // The routes every mode has are among the wired ones (a sanity check on the probe).
    for template in [
        "/v1/users",
        "/v1/login",
        "/v1/me",
        "/healthz",
        "/openapi.json",
    ] {
        assert!(wired.contains_key(template), "{template} not wired?");
    }
    assert_eq!(
        wired.contains_key("/v1/token/refresh"),
        mode == Mode::Hybrid,
        "the refresh route exists in hybrid mode only"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn wired_routes_are_the_documented_ones_in_session_mode() {
    wired_routes_are_the_documented_ones(Mode::Session, "openapi-session").await;
}

#[tokio::test]
async fn wired_routes_are_the_documented_ones_in_jwt_mode() {
    wired_routes_are_the_documented_ones(Mode::Jwt, "openapi-jwt").await;
}

#[tokio::test]
async fn wired_routes_are_the_documented_ones_in_hybrid_mode() {
    wired_routes_are_the_documented_ones(Mode::Hybrid, "openapi-hybrid").await;
}

#[test]
fn templates_compare_by_shape() {
    assert_eq!(shape("/v1/sessions/{id}"), "/v1/sessions/{}");
    assert_eq!(shape("/v1/sessions/{session_id}"), "/v1/sessions/{}");
    assert_eq!(
        concrete("/v1/admin/users/{id}/sessions"),
        "/v1/admin/users/openapi-probe/sessions"
    );
    assert!(route_literals_in_app_rs().contains(&"/v1/me".to_owned()));
}
