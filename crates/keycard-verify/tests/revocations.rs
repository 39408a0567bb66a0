//! The revocation stream as the verifier follows it, against a stream whose every byte the
//! test writes: a revoked session and a user's `not_before` refuse their tokens, silence
//! past the staleness bound answers 503 and the stream's return recovers, a reconnection
//! resumes with `Last-Event-ID`, an event that does not parse makes a fresh start, and a
//! verifier without credentials says it is stateless and checks nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::issuer::{STREAM_CLIENT, TestIssuer, key};
use common::{call, eventually, now, protected_app};
use keycard_core::{Algorithm, Key};
use keycard_verify::{ClientCredentials, Verifier, VerifierConfig};
use reqwest::StatusCode;
use serde_json::json;

const BOUND: Duration = Duration::from_millis(800);

fn snapshot(id: &str, revocations: serde_json::Value) -> String {
    format!(
        "event: snapshot\nid: {id}\ndata: {}\n\n",
        json!({ "revocations": revocations })
    )
}

fn heartbeat(id: &str) -> String {
    format!(
        "event: heartbeat\nid: {id}\ndata: {{\"now\":{}}}\n\n",
        now()
    )
}

/// A verifier following the test issuer's stream, started once the first snapshot (with
/// `revocations`) is sent.
async fn following(issuer: &TestIssuer, revocations: serde_json::Value) -> Verifier {
    let config = VerifierConfig::new(issuer.url())
        .with_audience("api")
        .with_algorithms([Algorithm::EdDSA])
        .with_staleness(BOUND)
        .with_client_credentials(ClientCredentials::new(STREAM_CLIENT.0, STREAM_CLIENT.1));
    let starting = tokio::spawn(Verifier::start(config));
    eventually("the stream is opened", || async {
        issuer.open_streams() == 1
    })
    .await;
    issuer.send(&snapshot("run-0", revocations)).await;
    starting.await.unwrap().unwrap()
}

fn setup_key(issuer: &TestIssuer) -> Key {
    let signing = key(Algorithm::EdDSA, "k1");
    issuer.publish_keys(&[&signing]);
    signing
}

#[tokio::test]
async fn revoked_sessions_and_users_are_refused() {
    let issuer = TestIssuer::start().await;
    let signing = setup_key(&issuer);
    let t = now();
    let verifier = following(
        &issuer,
        json!([{ "kind": "session", "sid": "session-9", "at": t, "forget_after": t + 900 }]),
    )
    .await;
    assert!(verifier.follows_revocations());
    let claims = issuer.claims(t);
    let mine = TestIssuer::sign(&signing, &claims);
    let mut revoked_claims = claims.clone();
    revoked_claims["sid"] = "session-9".into();
    let revoked = TestIssuer::sign(&signing, &revoked_claims);
    assert!(verifier.verify(&mine).await.is_ok());
    assert_eq!(
        verifier.verify(&revoked).await.unwrap_err().rule(),
        "revoked"
    );

    // A session revoked while following; then everything user-1 was issued before t + 1.
    issuer
        .send(&format!(
            "event: revocation\nid: run-1\ndata: {}\n\n",
            json!({ "kind": "session", "sid": "session-1", "at": t, "forget_after": t + 900 })
        ))
        .await;
    eventually("the session revocation applies", || async {
        verifier.verify(&mine).await.is_err()
    })
    .await;
    assert_eq!(
        verifier.verify(&mine).await.unwrap_err().rule(),
        "revoked",
        "from the cache too"
    );

    let mut other = claims.clone();
    other["sid"] = "session-2".into();
    let older = TestIssuer::sign(&signing, &other);
    other["iat"] = (t + 5).into();
    let newer = TestIssuer::sign(&signing, &other);
    assert!(verifier.verify(&older).await.is_ok());
    issuer
        .send(&format!(
            "event: revocation\nid: run-2\ndata: {}\n\n",
            json!({ "kind": "user", "sub": "user-1", "not_before": t + 1, "at": t + 1, "forget_after": t + 900 })
        ))
        .await;
    eventually("not_before applies", || async {
        verifier.verify(&older).await.is_err()
    })
    .await;
    assert_eq!(verifier.verify(&older).await.unwrap_err().rule(), "revoked");
    assert!(
        verifier.verify(&newer).await.is_ok(),
        "issued after not_before"
    );
}

#[tokio::test]
async fn silence_past_the_bound_answers_503_and_the_stream_back_recovers() {
    let issuer = TestIssuer::start().await;
    let signing = setup_key(&issuer);
    let verifier = following(&issuer, json!([])).await;
    let app = protected_app(verifier.clone()).await;
    let token = TestIssuer::sign(&signing, &issuer.claims(now()));
    assert_eq!(call(&app, &token).await, StatusCode::OK);

    // No heartbeat: past the bound, 503 with Retry-After (bad tokens are still 401).
    eventually("stale", || async {
        call(&app, &token).await == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert!(!verifier.is_ready());
    let response = common::client()
        .get(format!("{app}/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(call(&app, "garbage").await, StatusCode::UNAUTHORIZED);

    // The silent connection was dropped and another opened, resuming from the last id.
    eventually("a second connection", || async {
        issuer.last_event_ids().len() >= 2
    })
    .await;
    assert_eq!(issuer.last_event_ids()[1].as_deref(), Some("run-0"));
    // The stream speaks again: accepted again.
    let beating = {
        let issuer = issuer.clone();
        tokio::spawn(async move {
            loop {
                issuer.send(&heartbeat("run-0")).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    eventually("fresh again", || async {
        call(&app, &token).await == StatusCode::OK
    })
    .await;
    assert!(verifier.is_ready());
    beating.abort();
}

#[tokio::test]
async fn an_event_that_does_not_parse_starts_over_from_a_snapshot() {
    let issuer = TestIssuer::start().await;
    setup_key(&issuer);
    let _verifier = following(&issuer, json!([])).await;
    issuer
        .send("event: revocation\nid: run-1\ndata: {\"kind\":\"session\"}\n\n")
        .await;
    eventually("a second connection", || async {
        issuer.last_event_ids().len() >= 2
    })
    .await;
    assert_eq!(
        issuer.last_event_ids(),
        [None, None],
        "no id: a fresh snapshot"
    );
}

#[tokio::test]
async fn without_credentials_nothing_is_followed() {
    let issuer = TestIssuer::start().await;
    let signing = setup_key(&issuer);
    let config = VerifierConfig::new(issuer.url())
        .with_audience("api")
        .with_algorithms([Algorithm::EdDSA]);
    let verifier = Verifier::start(config).await.unwrap();
    assert!(!verifier.follows_revocations());
    assert!(verifier.is_ready());
    assert_eq!(issuer.open_streams(), 0);
    let token = TestIssuer::sign(&signing, &issuer.claims(now()));
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn refused_credentials_leave_the_verifier_stale() {
    let issuer = TestIssuer::start().await;
    let signing = setup_key(&issuer);
    let config = VerifierConfig::new(issuer.url())
        .with_audience("api")
        .with_algorithms([Algorithm::EdDSA])
        .with_client_credentials(ClientCredentials::new(STREAM_CLIENT.0, "wrong-secret"));
    let verifier = tokio::time::timeout(Duration::from_secs(30), Verifier::start(config))
        .await
        .unwrap()
        .unwrap();
    let token = TestIssuer::sign(&signing, &issuer.claims(now()));
    assert_eq!(
        verifier.verify(&token).await.unwrap_err().rule(),
        "revocations_stale"
    );
}
