//! `GET /openapi.json`, the document generated from the handlers: it is OpenAPI 3.1, its
//! references resolve, its schemas are valid JSON Schema, its errors are problems
//! (here); every route a server of each mode answers is documented, and every documented
//! route is answered in the modes it names (`openapi/routes.rs`); live responses match
//! their documented schemas (`openapi/live.rs`, with the validator of
//! `openapi/schemas.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "openapi/live.rs"]
mod live;
#[path = "openapi/routes.rs"]
mod routes;
#[path = "openapi/schemas.rs"]
mod schemas;

use std::collections::BTreeSet;

use common::{Scratch, TestServer, args, client, scratch};
use keycard_server::config::{Mode, ServeArgs};
use reqwest::StatusCode;
use serde_json::Value;

/// The document as a running server serves it.
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

/// A server in `mode` over a scratch directory, with `configure` applied to its settings.
async fn start(
    mode: Mode,
    name: &str,
    configure: impl FnOnce(&mut ServeArgs),
) -> (Scratch, TestServer) {
    let dir = scratch(name);
    let mut args = args(dir.path());
    args.mode = Some(mode);
    configure(&mut args);
    let server = TestServer::start_with(args, routes::with_teapot_fallback).await;
    (dir, server)
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

/// The operations of the document: `(path template, lower-case method, operation)`.
fn operations(document: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if routes::METHODS_DOCUMENTED.contains(&method.as_str()) {
                out.push((template.as_str(), method.as_str(), operation));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_self_consistent() {
    let (_dir, server) = start(Mode::Hybrid, "openapi-doc", |_| {}).await;
    let document = document(&server).await;

    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());

    let mut dangling = Vec::new();
    dangling_refs(&document, &document, &mut dangling);
    assert!(dangling.is_empty(), "unresolved $ref: {dangling:?}");

    // Every component schema is a JSON Schema (2020-12, OpenAPI 3.1's dialect) a validator
    // accepts, its references resolved within the document.
    for name in document["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        schemas::validator(&document, &schemas::component(name))
            .unwrap_or_else(|error| panic!("schema {name}: {error}"));
    }

    // The problem schema is RFC 9457's members, and every error response is one.
    let problem = &document["components"]["schemas"]["Problem"];
    let required: Vec<&str> = problem["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["type", "title", "status", "detail"]);

    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .unwrap();
    for name in [
        "sessionCookie",
        "bearerAuth",
        "refreshCookie",
        "adminToken",
        "clientSecretBasic",
    ] {
        assert!(schemes.contains_key(name), "security scheme {name}");
    }

    let mut operation_ids = BTreeSet::new();
    for (template, method, operation) in operations(&document) {
        assert!(template.starts_with('/'), "{template}");
        let id = operation["operationId"].as_str().unwrap();
        assert!(operation_ids.insert(id.to_owned()), "duplicate {id}");
        assert!(operation["tags"].is_array(), "{method} {template}: no tag");
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
            if status == "429" || status == "503" {
                assert!(
                    response["headers"]["Retry-After"].is_object(),
                    "{method} {template} {status} without Retry-After"
                );
            }
        }
        // Every security requirement names a declared scheme.
        for requirement in operation["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(
                    schemes.contains_key(scheme),
                    "{method} {template}: {scheme}"
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
    // The refresh route exists in hybrid mode only, and says so.
    let refresh = &document["paths"]["/v1/token/refresh"]["post"];
    assert_eq!(refresh["x-keycard-modes"], serde_json::json!(["hybrid"]));
    server.stop().await.unwrap();
}
