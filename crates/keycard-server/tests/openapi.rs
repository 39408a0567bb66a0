//! `GET /openapi.json`: the document is OpenAPI 3.1, its references resolve, its errors are
//! problems, and every route the running server answers is in it.
//!
//! Which routes are wired is asked of the server itself, not of a list kept by hand: the
//! test starts it with a fallback that answers 418, then requests every candidate path
//! with every method. A path whose every method answers 418 is not routed; a method that
//! answers neither 418 nor 405 is wired and must be documented under that path. The
//! candidates are the paths the document lists, the routes of issue 4, and every
//! `.route("/...")` literal in `src/app.rs`, so a route added there with a new path is
//! probed even if nobody lists it here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode as AxumStatus;
use common::{Scratch, TestServer, args, client, scratch};
use keycard_server::config::Mode;
use reqwest::{Method, StatusCode};
use serde_json::Value;

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

/// The v1 surface of issue 4, as path templates: probed whether or not the document
/// lists them.
const ISSUE_4_PATHS: &[&str] = &[
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
    let source = include_str!("../src/app.rs");
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

async fn document(server: &TestServer) -> Value {
    let response = client()
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    response.json().await.expect("/openapi.json is JSON")
}

async fn start(mode: Mode, name: &str) -> (Scratch, TestServer) {
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.mode = Some(mode);
    // The server's own routes, with a fallback no real route answers.
    let routes = |routes: axum::Router<_>| {
        routes.fallback(|| async { (AxumStatus::IM_A_TEAPOT, "unrouted") })
    };
    let server = TestServer::start_with(args, routes).await;
    (dir, server)
}

/// The documented operations, by path shape: the lower-case methods under each path.
fn documented(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let paths = document["paths"].as_object().expect("paths is an object");
    paths
        .iter()
        .map(|(template, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|key| {
                    [
                        "get", "put", "post", "delete", "options", "head", "patch", "trace",
                    ]
                    .contains(&key.as_str())
                })
                .cloned()
                .collect();
            (shape(template), methods)
        })
        .collect()
}

/// Asks the server which of `templates` it routes, and with which methods.
async fn wired(server: &TestServer, templates: &BTreeSet<String>) -> BTreeMap<String, Vec<String>> {
    let http = client();
    let mut wired = BTreeMap::new();
    for template in templates {
        let mut answered = Vec::new();
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
                answered.push(method.as_str().to_ascii_lowercase());
            }
        }
        if routed {
            wired.insert(template.clone(), answered);
        }
    }
    wired
}

/// Every `$ref` in `value` that does not resolve in `document`.
fn dangling_refs(document: &Value, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                if name == "$ref" {
                    let target = member.as_str().unwrap_or("");
                    let resolves = target
                        .strip_prefix('#')
                        .and_then(|pointer| document.pointer(pointer))
                        .is_some();
                    if !resolves {
                        out.push(target.to_owned());
                    }
                } else {
                    dangling_refs(document, member, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                dangling_refs(document, item, out);
            }
        }
        _ => {}
    }
}

/// Follows one local `$ref`, if `value` is one.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => document.pointer(pointer).unwrap(),
        None => value,
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_self_consistent() {
    let (_dir, server) = start(Mode::Hybrid, "openapi-doc").await;
    let document = document(&server).await;

    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());

    let mut dangling = Vec::new();
    dangling_refs(&document, &document, &mut dangling);
    assert!(dangling.is_empty(), "unresolved $ref: {dangling:?}");

    // The problem schema is RFC 9457's members, and every error response is one.
    let problem = &document["components"]["schemas"]["Problem"];
    let required: Vec<&str> = problem["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["type", "title", "status", "detail"]);
    let mut operation_ids = BTreeSet::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        assert!(template.starts_with('/'), "{template}");
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let id = operation["operationId"].as_str().unwrap();
            assert!(operation_ids.insert(id.to_owned()), "duplicate {id}");
            for (status, response) in operation["responses"].as_object().unwrap() {
                let response = resolve(&document, response);
                assert!(
                    response["description"].is_string(),
                    "{method} {template} {status}"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/problem+json"]["schema"];
                    assert_eq!(
                        schema["$ref"], "#/components/schemas/Problem",
                        "{method} {template} {status} is not a problem"
                    );
                }
            }
            // Path parameters are declared.
            for name in template
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            {
                let declared = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| resolve(&document, p))
                    .any(|p| p["in"] == "path" && p["name"] == name);
                assert!(declared, "{method} {template}: path parameter {name}");
            }
        }
    }
    server.stop().await.unwrap();
}

/// The core of the test: a route the server answers and the document does not list fails.
async fn every_wired_route_is_documented(mode: Mode, name: &str) {
    let (_dir, server) = start(mode, name).await;
    let document = document(&server).await;
    let documented = documented(&document);

    let mut candidates: BTreeSet<String> = documented.keys().cloned().collect();
    candidates.extend(ISSUE_4_PATHS.iter().map(|p| shape(p)));
    candidates.extend(route_literals_in_app_rs().iter().map(|p| shape(p)));
    // The fallback must answer what no route has, or nothing below means anything.
    let nowhere = client()
        .get(server.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), UNROUTED);

    let wired = wired(&server, &candidates).await;
    let mut missing = Vec::new();
    for (template, methods) in &wired {
        for method in methods {
            let listed = documented
                .get(template)
                .is_some_and(|methods| methods.contains(method));
            if !listed {
                missing.push(format!("{} {template}", method.to_ascii_uppercase()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{mode:?} mode answers routes /openapi.json does not document: {missing:?}"
    );
    // The routes that exist today are among the wired ones (a sanity check on the probe).
    for template in [
        "/v1/users",
        "/v1/login",
        "/v1/me",
        "/healthz",
        "/openapi.json",
    ] {
        assert!(wired.contains_key(template), "{template} not wired?");
    }
    let pending: Vec<&String> = documented
        .keys()
        .filter(|t| !wired.contains_key(*t))
        .collect();
    if !pending.is_empty() {
        eprintln!("documented, not wired yet in {mode:?} mode: {pending:?}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn every_wired_route_is_documented_in_session_mode() {
    every_wired_route_is_documented(Mode::Session, "openapi-session").await;
}

#[tokio::test]
async fn every_wired_route_is_documented_in_jwt_mode() {
    every_wired_route_is_documented(Mode::Jwt, "openapi-jwt").await;
}

#[tokio::test]
async fn every_wired_route_is_documented_in_hybrid_mode() {
    every_wired_route_is_documented(Mode::Hybrid, "openapi-hybrid").await;
}

/// Where `value` breaks `schema` (a subset of JSON Schema: `$ref`, `oneOf`, `type`,
/// `required`, `properties`, `items`, `const`, `enum`), as `at: what` lines.
fn violations(document: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(document, schema);
    if let Some(branches) = schema["oneOf"].as_array() {
        let fits = branches.iter().any(|branch| {
            let mut inner = Vec::new();
            violations(document, branch, value, at, &mut inner);
            inner.is_empty()
        });
        if !fits {
            out.push(format!("{at}: matches no oneOf branch"));
        }
        return;
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        out.push(format!("{at}: {value} is not {expected}"));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_fits = |name: &str| match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|name| type_fits(name)) {
        out.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let Some(members) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !members.contains_key(name) {
                out.push(format!("{at}: no `{name}`"));
            }
        }
        for (name, member) in members {
            if let Some(member_schema) = schema["properties"].get(name) {
                violations(
                    document,
                    member_schema,
                    member,
                    &format!("{at}.{name}"),
                    out,
                );
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            violations(document, schema, item, &format!("{at}[{i}]"), out);
        }
    }
}

/// Checks a live response against what the document says `method path` answers with its
/// status; returns the body.
async fn assert_documented(
    document: &Value,
    method: &str,
    template: &str,
    response: reqwest::Response,
) -> Value {
    let status = response.status().as_u16().to_string();
    let media = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    let operation = &document["paths"][template][method];
    let documented = resolve(document, &operation["responses"][&status]);
    assert!(
        documented.is_object(),
        "{method} {template} answered {status}, which is not documented"
    );
    let schema = &documented["content"][&media]["schema"];
    assert!(
        schema.is_object(),
        "{method} {template} {status}: no schema for {media}"
    );
    let mut out = Vec::new();
    violations(document, schema, &body, "body", &mut out);
    assert!(
        out.is_empty(),
        "{method} {template} {status} does not match the document: {out:?}\n{body}"
    );
    body
}

/// The live responses of the main flow have the documented shapes: a drifting handler or
/// document fails here.
#[tokio::test]
async fn live_responses_match_their_documented_schemas() {
    use serde_json::json;
    for mode in [Mode::Session, Mode::Hybrid] {
        let (_dir, server) = start(mode, "openapi-live").await;
        let document = document(&server).await;
        let http = client();
        let credentials =
            json!({ "email": "ada@example.com", "password": "correct horse battery staple" });
        let response = http
            .post(server.url("/v1/users"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        assert_documented(&document, "post", "/v1/users", response).await;
        let response = http
            .post(server.url("/v1/users"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        assert_documented(&document, "post", "/v1/users", response).await;
        let weak = json!({ "email": "bob@example.com", "password": "short" });
        let response = http
            .post(server.url("/v1/users"))
            .json(&weak)
            .send()
            .await
            .unwrap();
        assert_documented(&document, "post", "/v1/users", response).await;

        let response = http
            .post(server.url("/v1/login"))
            .json(&credentials)
            .send()
            .await
            .unwrap();
        let cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        let login = assert_documented(&document, "post", "/v1/login", response).await;
        let authenticate = |request: reqwest::RequestBuilder| match mode {
            Mode::Session => request.header("cookie", cookie.clone().unwrap()),
            _ => request.bearer_auth(login["access_token"].as_str().unwrap()),
        };
        for path in ["/v1/me", "/v1/sessions"] {
            let response = authenticate(http.get(server.url(path)))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_documented(&document, "get", path, response).await;
        }
        let response = http.get(server.url("/v1/me")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_documented(&document, "get", "/v1/me", response).await;
        for path in [
            "/healthz",
            "/readyz",
            "/.well-known/jwks.json",
            "/.well-known/keycard-configuration",
        ] {
            let response = http.get(server.url(path)).send().await.unwrap();
            assert_documented(&document, "get", path, response).await;
        }
        server.stop().await.unwrap();
    }
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
