//! Against a running `keycard serve`: its access token is accepted by a layer-protected
//! app; after logout (or logout everywhere) at Keycard the app refuses it; the revocation
//! stream cut and restored misses no revocation made meanwhile (503 while cut past the
//! bound, never an acceptance); a key rotation at Keycard fails no request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::keycard::{CLIENT_ID, CLIENT_SECRET, Keycard};
use common::tcp_proxy::Proxy;
use common::{call, client, eventually, protected_app};
use keycard_verify::{ClientCredentials, Verifier, VerifierConfig};
use reqwest::StatusCode;
use serde_json::Value;

fn config(keycard: &Keycard) -> VerifierConfig {
    VerifierConfig::new(&keycard.base)
        .with_client_credentials(ClientCredentials::new(CLIENT_ID, CLIENT_SECRET))
}

#[tokio::test]
async fn a_token_is_accepted_and_refused_after_logout() {
    let keycard = Keycard::start().await;
    let verifier = Verifier::start(config(&keycard)).await.unwrap();
    assert!(
        verifier.is_ready(),
        "the first snapshot arrived during start"
    );
    let app = protected_app(verifier).await;
    keycard.register("ada@example.com").await;
    let access = keycard.login("ada@example.com").await;

    let me: Value = client()
        .get(format!("{app}/whoami"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!me["sub"].as_str().unwrap().is_empty(), "{me}");
    assert!(!me["sid"].as_str().unwrap().is_empty(), "{me}");

    keycard.logout(&access).await;
    eventually("the logout reaches the app", || async {
        call(&app, &access).await == StatusCode::UNAUTHORIZED
    })
    .await;

    // Logout everywhere: every session of the user, by its not_before.
    let first = keycard.login("ada@example.com").await;
    let second = keycard.login("ada@example.com").await;
    assert_eq!(call(&app, &first).await, StatusCode::OK);
    assert_eq!(call(&app, &second).await, StatusCode::OK);
    keycard.logout_all(&first).await;
    eventually("logout everywhere reaches the app", || async {
        call(&app, &first).await == StatusCode::UNAUTHORIZED
            && call(&app, &second).await == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test]
async fn a_stream_cut_and_restored_misses_no_revocation() {
    let keycard = Keycard::start().await;
    let target = keycard.base.trim_start_matches("http://").parse().unwrap();
    let mut proxy = Proxy::start(target);
    let verifier = Verifier::start(
        config(&keycard)
            .with_revocations_url(format!("http://127.0.0.1:{}/v1/revocations", proxy.port())),
    )
    .await
    .unwrap();
    let app = protected_app(verifier).await;
    keycard.register("bob@example.com").await;
    let leaving = keycard.login("bob@example.com").await;
    let staying = keycard.login("bob@example.com").await;
    assert_eq!(call(&app, &leaving).await, StatusCode::OK);
    assert_eq!(call(&app, &staying).await, StatusCode::OK);

    proxy.stop();
    keycard.logout(&leaving).await;
    // Cut: memory may miss the logout, so nothing is accepted once past the bound; the
    // logged-out token is never accepted meanwhile.
    eventually("stale while cut", || async {
        let left = call(&app, &leaving).await;
        assert_ne!(
            left,
            StatusCode::OK,
            "accepted a logged-out token while cut"
        );
        left == StatusCode::SERVICE_UNAVAILABLE
            && call(&app, &staying).await == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;

    proxy.restart();
    eventually("the stream resumes", || async {
        call(&app, &staying).await == StatusCode::OK
    })
    .await;
    assert_eq!(
        call(&app, &leaving).await,
        StatusCode::UNAUTHORIZED,
        "the logout made while cut was not missed"
    );
}

#[tokio::test]
async fn a_key_rotation_at_keycard_fails_no_request() {
    let keycard = Keycard::start().await;
    let verifier = Verifier::start(config(&keycard)).await.unwrap();
    let app = protected_app(verifier).await;
    keycard.register("cy@example.com").await;
    let before = keycard.login("cy@example.com").await;
    assert_eq!(call(&app, &before).await, StatusCode::OK);

    // Requests go on throughout the rotation; none may fail.
    let running = Arc::new(AtomicBool::new(true));
    let failures = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let background = {
        let (running, failures, calls) = (running.clone(), failures.clone(), calls.clone());
        let (app, token) = (app.clone(), before.clone());
        tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                if call(&app, &token).await != StatusCode::OK {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
                calls.fetch_add(1, Ordering::SeqCst);
            }
        })
    };

    // Twice: the second promotes a key made by the first, which the verifier never saw.
    let auth = keycard.state.auth();
    let first_kid = kid(&before);
    for _ in 0..2 {
        auth.rotate_keys_now(auth.now()).await.unwrap();
    }
    let after = keycard.login("cy@example.com").await;
    assert_ne!(kid(&after), first_kid, "signed by another key");
    assert_eq!(call(&app, &after).await, StatusCode::OK);
    assert_eq!(
        call(&app, &before).await,
        StatusCode::OK,
        "the retired key still verifies"
    );

    let seen = calls.load(Ordering::SeqCst);
    eventually("requests kept running", || async {
        calls.load(Ordering::SeqCst) > seen
    })
    .await;
    running.store(false, Ordering::SeqCst);
    background.await.unwrap();
    assert_eq!(failures.load(Ordering::SeqCst), 0);
}

fn kid(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header = keycard_core::jose::base64url::decode(header).unwrap();
    let header: Value = serde_json::from_slice(&header).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}
