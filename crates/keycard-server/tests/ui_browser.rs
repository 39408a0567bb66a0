//! The pages under `/ui/`, driven by Debian's Chromium through playwright-core
//! (`tests/browser/ui_account.mjs`, `ui_inspect.mjs`), against the real server in each
//! mode on http://127.0.0.1 (Chromium takes the `Secure` cookies there: a loopback origin
//! is trustworthy). Without a browser: `/` redirects to the issuer's pages, every page and
//! asset carries its security and cache headers, and `POST /v1/token/status` answers only
//! `active`.
//!
//! `KEYCARD_SKIP_BROWSER=1` skips the browser tests loudly when Chromium, node or
//! `tests/browser/node_modules` are missing; `KEYCARD_UPDATE_SCREENSHOTS=1` writes the
//! screenshots of `docs/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, args, browser, client, scratch};
use keycard_server::config::Mode;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const EMAIL: &str = "grace@example.com";
const PASSWORD: &str = "correct horse battery staple";

async fn start(mode: Mode, name: &str) -> (common::Scratch, TestServer) {
    let dir = scratch(name);
    let mut serve = args(dir.path());
    serve.mode = Some(mode);
    let server = TestServer::start(serve).await;
    (dir, server)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn assert_served_safely(headers: &HeaderMap, what: &str) {
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
    assert_eq!(headers["cache-control"], "no-cache", "{what}");
    assert!(headers.contains_key("etag"), "{what}");
}

#[tokio::test]
async fn pages_are_served_safely_in_every_mode() {
    for mode in [Mode::Session, Mode::Jwt, Mode::Hybrid] {
        let (_dir, server) = start(mode, "ui-headers").await;
        let root = no_redirects().get(server.url("/")).send().await.unwrap();
        assert!(
            root.status().is_redirection(),
            "{mode:?}: {}",
            root.status()
        );
        assert_eq!(root.headers()["location"], server.url("/ui/"), "{mode:?}");

        for (path, kind) in [
            ("/ui/", "text/html"),
            ("/ui/account", "text/html"),
            ("/ui/inspect", "text/html"),
            ("/ui/app.css", "text/css"),
            ("/ui/js/app.js", "text/javascript"),
            ("/ui/checklist.json", "application/json"),
        ] {
            let response = client().get(server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let headers = response.headers().clone();
            assert!(
                headers["content-type"].to_str().unwrap().starts_with(kind),
                "{path}"
            );
            assert_served_safely(&headers, path);
            let again = client()
                .get(server.url(path))
                .header("if-none-match", headers["etag"].clone())
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            let body = response.text().await.unwrap();
            assert!(
                !body.contains("https://cdn") && !body.contains("<script>"),
                "{path}"
            );
        }
        let missing = client()
            .get(server.url("/ui/nope.js"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            missing.headers()["content-type"],
            "application/problem+json"
        );
        server.stop().await.unwrap();
    }
}

/// Signs up and logs in through the API; the login answer.
async fn login(server: &TestServer) -> Value {
    let http = client();
    let created = http
        .post(server.url("/v1/users"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let answer = http
        .post(server.url("/v1/login"))
        .json(&json!({ "email": EMAIL, "password": PASSWORD, "refresh_token_transport": "body" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

async fn status(server: &TestServer, token: &str) -> Value {
    let response = client()
        .post(server.url("/v1/token/status"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn token_status_answers_active_and_nothing_else() {
    let (_dir, server) = start(Mode::Hybrid, "ui-status").await;
    let tokens = login(&server).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(status(&server, access).await, json!({ "active": true }));
    // A refresh token is never answered for: it cannot be probed without being used.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(status(&server, refresh).await, json!({ "active": false }));
    assert_eq!(
        status(&server, "not.a.token").await,
        json!({ "active": false })
    );
    let out = client()
        .post(server.url("/v1/logout"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(&server, access).await, json!({ "active": false }));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn sign_up_sign_in_and_sign_out_in_each_mode() {
    if !browser::runs("ui_browser::sign_up_sign_in_and_sign_out_in_each_mode") {
        return;
    }
    for (mode, name) in [
        (Mode::Session, "session"),
        (Mode::Hybrid, "hybrid"),
        (Mode::Jwt, "jwt"),
    ] {
        let (dir, server) = start(mode, "ui-account").await;
        let env = [("KEYCARD_EMAIL", EMAIL), ("KEYCARD_PASSWORD", PASSWORD)];
        let seen = browser::run(dir.path(), "ui_account.mjs", &[&server.base, name], &env).await;
        let context = format!("{name}: {seen:#}");

        assert_eq!(seen["redirected_to"], "/ui/", "{context}");
        assert!(
            seen["pattern"].as_str().unwrap().starts_with(match mode {
                Mode::Session => "Session mode",
                Mode::Hybrid => "Hybrid mode",
                Mode::Jwt => "JWT mode",
            }),
            "{context}"
        );
        assert_eq!(seen["after_create"]["view"], "account", "{context}");
        assert_eq!(seen["after_create"]["path"], "/ui/account", "{context}");
        assert_eq!(seen["after_create"]["email"], EMAIL, "{context}");
        // The mode's cookie, as the server set it, taken by Chromium on http://127.0.0.1.
        let cookies = seen["cookies_a"].as_array().unwrap();
        let expected = match mode {
            Mode::Session => Some(("__Host-keycard_session", "/")),
            Mode::Hybrid => Some(("__Secure-keycard_refresh", "/v1/token")),
            Mode::Jwt => None,
        };
        match expected {
            Some((name, path)) => {
                assert_eq!(cookies.len(), 1, "{context}");
                assert_eq!(cookies[0]["name"], name, "{context}");
                assert_eq!(cookies[0]["path"], path, "{context}");
                assert_eq!(cookies[0]["secure"], true, "{context}");
                assert_eq!(cookies[0]["httpOnly"], true, "{context}");
            }
            None => assert!(cookies.is_empty(), "{context}"),
        }
        // Nothing in web storage, ever.
        for storage in seen["storage"].as_array().unwrap() {
            assert_eq!(storage, &json!({ "local": 0, "session": 0 }), "{context}");
        }
        // A reload keeps session and hybrid signed in; jwt asks again, and says why.
        let reloaded = if mode == Mode::Jwt {
            "signin"
        } else {
            "account"
        };
        assert_eq!(seen["after_reload"], reloaded, "{context}");
        if mode == Mode::Jwt {
            assert!(
                seen["reload_message"]
                    .as_str()
                    .unwrap()
                    .contains("sign in again"),
                "{context}"
            );
        }
        // Keyboard only: Tab reaches Email, typing and Enter sign in.
        assert_eq!(seen["keyboard"]["view"], "account", "{context}");
        assert_eq!(
            seen["keyboard"]["focus_order"]
                .as_array()
                .unwrap()
                .last()
                .unwrap(),
            "email",
            "{context}"
        );
        // A sees B's session, marks only its own, signs B out; B's next action lands on
        // sign-in.
        assert!(seen["sessions_seen"].as_u64().unwrap() >= 2, "{context}");
        assert_eq!(seen["current_rows"], 1, "{context}");
        assert_eq!(seen["b_after"]["view"], "signin", "{context}");
        assert!(
            seen["b_after"]["message"]
                .as_str()
                .unwrap()
                .contains("ended"),
            "{context}"
        );
        if mode == Mode::Hybrid {
            assert_eq!(seen["two_tabs"], json!(["account", "account"]), "{context}");
            assert_eq!(
                seen["two_tabs_again"],
                json!(["account", "account"]),
                "{context}"
            );
        }
        assert_eq!(seen["after_everywhere"], "signin", "{context}");
        assert_eq!(seen["violations"], json!([]), "{context}");
        assert_eq!(seen["page_errors"], json!([]), "{context}");
        server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn the_inspector_decodes_warns_and_verifies_without_sending_the_token() {
    if !browser::runs(
        "ui_browser::the_inspector_decodes_warns_and_verifies_without_sending_the_token",
    ) {
        return;
    }
    let (dir, server) = start(Mode::Hybrid, "ui-inspect").await;
    let tokens = login(&server).await;
    let access = tokens["access_token"].as_str().unwrap();
    let seen = browser::run(
        dir.path(),
        "ui_inspect.mjs",
        &[&server.base],
        &[("KEYCARD_TOKEN", access)],
    )
    .await;
    let context = format!("{seen:#}");

    let live = &seen["live"];
    assert_eq!(live["mark"], "NOT VERIFIED", "{context}");
    assert_eq!(live["claims"]["iss"], server.base, "{context}");
    assert!(
        live["dates"].to_string().contains("expires in"),
        "{context}"
    );
    assert_eq!(live["requests_decoding"], json!([]), "{context}");
    assert_eq!(live["verify"]["mark"], "VERIFIED", "{context}");
    assert_eq!(
        live["requests_verifying"],
        json!(["GET /.well-known/jwks.json"]),
        "{context}"
    );
    assert_eq!(
        seen["tampered"]["verify"]["rule"], "bad_signature",
        "{context}"
    );

    let bad = &seen["bad"];
    for finding in [
        "weak_secret",
        "no_exp",
        "no_aud",
        "kid_injection",
        "remote_key_header",
        "sensitive_claim",
    ] {
        assert!(
            bad["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == finding),
            "{finding}: {context}"
        );
    }
    // The right secret: the signature matches, and the missing exp is the rule that fails.
    assert_eq!(bad["verify_right"]["rule"], "missing_claim", "{context}");
    assert_eq!(bad["verify_wrong"]["rule"], "bad_signature", "{context}");
    assert_eq!(bad["verify_wrong"]["mark"], "NOT VERIFIED", "{context}");
    assert_eq!(bad["requests"], json!([]), "{context}");

    let expired = &seen["expired"];
    assert!(
        expired["dates"].to_string().contains("expired 2 h ago"),
        "{context}"
    );
    assert!(
        expired["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f != "no_exp"),
        "{context}"
    );
    assert_eq!(expired["verify"]["rule"], "expired", "{context}");
    assert_eq!(expired["requests"], json!([]), "{context}");

    assert_eq!(seen["revocation"]["active"], "true", "{context}");
    assert_eq!(
        seen["revocation"]["requests"],
        json!([{ "request": "POST /v1/token/status", "carries_token": true }]),
        "{context}"
    );
    assert_eq!(seen["violations"], json!([]), "{context}");
    server.stop().await.unwrap();
}
