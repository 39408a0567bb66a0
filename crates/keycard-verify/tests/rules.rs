//! Every rule a token can break, each shown refusing a token with the rule's name; and the
//! layer's answers over HTTP: 401 with the RFC 6750 challenge and a problem body that does
//! not name the rule, the optional layer, and tokens that pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::issuer::{TestIssuer, key};
use common::{call, client, now, protected_app};
use keycard_core::Algorithm;
use keycard_core::jose::base64url;
use keycard_verify::{KeySource, Verifier, VerifierConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn setup() -> (TestIssuer, keycard_core::Key, Verifier) {
    let issuer = TestIssuer::start().await;
    let signing = key(Algorithm::EdDSA, "k1");
    let other_alg = key(Algorithm::RS256, "r1");
    issuer.publish_keys(&[&signing, &other_alg]);
    let config = VerifierConfig::new(issuer.url())
        .with_audience("api")
        .with_audience("https://api.example")
        .with_algorithms([Algorithm::EdDSA, Algorithm::ES256]);
    let verifier = Verifier::start(config).await.unwrap();
    (issuer, signing, verifier)
}

fn with(claims: &Value, changes: Value) -> Value {
    let mut claims = claims.clone();
    for (name, value) in changes.as_object().unwrap() {
        claims[name] = value.clone();
    }
    claims
}

/// `header.payload.signature` with the header replaced by `header`, the rest kept.
fn with_header(token: &str, header: &Value) -> String {
    let (_, rest) = token.split_once('.').unwrap();
    format!("{}.{rest}", base64url::encode(header.to_string()))
}

#[tokio::test]
async fn each_rule_refuses_with_its_name() {
    let (issuer, signing, verifier) = setup().await;
    let claims = issuer.claims(now());
    let good = TestIssuer::sign(&signing, &claims);
    let verified = verifier.verify(&good).await.unwrap();
    assert_eq!(verified.subject(), Some("user-1"));
    let second_audience = TestIssuer::sign(
        &signing,
        &with(&claims, json!({ "aud": ["other", "https://api.example"] })),
    );
    assert!(verifier.verify(&second_audience).await.is_ok());

    // The same kid, another algorithm: the key is bound to EdDSA.
    let es256 = key(Algorithm::ES256, "k1");
    // An algorithm the issuer publishes but the verifier does not allow: its key is not
    // loaded, so its kid is unknown.
    let rs256 = key(Algorithm::RS256, "r1");
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        parts[1] = base64url::encode(with(&claims, json!({ "sub": "admin" })).to_string());
        parts.join(".")
    };
    let alg_none = {
        let token = with_header(
            &good,
            &json!({ "alg": "none", "kid": "k1", "typ": "at+jwt" }),
        );
        let (signing_input, _) = token.rsplit_once('.').unwrap();
        format!("{signing_input}.")
    };
    let cases: Vec<(&str, String)> = vec![
        ("alg_mismatch", TestIssuer::sign(&es256, &claims)),
        ("unknown_kid", TestIssuer::sign(&rs256, &claims)),
        (
            "wrong_audience",
            TestIssuer::sign(&signing, &with(&claims, json!({ "aud": "other" }))),
        ),
        (
            "wrong_issuer",
            TestIssuer::sign(
                &signing,
                &with(&claims, json!({ "iss": "https://evil.example" })),
            ),
        ),
        (
            "expired",
            TestIssuer::sign(&signing, &with(&claims, json!({ "exp": now() - 31 }))),
        ),
        (
            "not_yet_valid",
            TestIssuer::sign(&signing, &with(&claims, json!({ "nbf": now() + 120 }))),
        ),
        (
            "wrong_type",
            keycard_core::jwt::sign(&signing, Some("JWT"), &claims).unwrap(),
        ),
        (
            "wrong_type",
            keycard_core::jwt::sign(&signing, None, &claims).unwrap(),
        ),
        (
            "missing_claim",
            TestIssuer::sign(&signing, &json!({ "iss": issuer.url(), "aud": "api" })),
        ),
        ("unsupported_alg", alg_none),
        ("bad_signature", tampered),
        ("malformed", "not.a.token".to_owned()),
        ("too_large", "a".repeat(9000)),
    ];
    for (rule, token) in cases {
        let error = verifier.verify(&token).await.unwrap_err();
        assert_eq!(error.rule(), rule, "{token}");
    }
}

#[tokio::test]
async fn the_layer_answers_401_with_the_challenge_and_no_rule() {
    let (issuer, signing, verifier) = setup().await;
    let app = protected_app(verifier).await;
    let claims = issuer.claims(now());
    let good = TestIssuer::sign(&signing, &claims);
    let expired = TestIssuer::sign(&signing, &with(&claims, json!({ "exp": now() - 60 })));

    let response = client()
        .get(format!("{app}/whoami"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "sub": "user-1", "sid": "session-1" }));

    let requests = [
        client().get(format!("{app}/whoami")),
        client().get(format!("{app}/whoami")).bearer_auth(&expired),
        client()
            .get(format!("{app}/whoami"))
            .basic_auth("user", Some("pass")),
        client().get(format!("{app}/maybe")).bearer_auth("garbage"),
    ];
    let mut bodies = Vec::new();
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "https://keycard.dev/problems/invalid-token");
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "the same body whatever the rule (missing, expired, not bearer, malformed): {bodies:?}"
    );

    // The optional layer: no token passes as nobody; a good one as its user.
    let anonymous: Value = client()
        .get(format!("{app}/maybe"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous, json!({ "sub": null }));
    let known: Value = client()
        .get(format!("{app}/maybe"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(known, json!({ "sub": "user-1" }));
    assert_eq!(
        call(&app, &good).await,
        StatusCode::OK,
        "repeated: from the cache"
    );
}

#[tokio::test]
async fn a_token_whose_claims_lack_what_the_route_reads_is_refused() {
    let (issuer, signing, verifier) = setup().await;
    let app = protected_app(verifier).await;
    let mut claims = issuer.claims(now());
    claims.as_object_mut().unwrap().remove("sid");
    assert_eq!(
        call(&app, &TestIssuer::sign(&signing, &claims)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn insecure_or_foreign_key_sources_are_refused_at_start() {
    let issuer = TestIssuer::start().await;
    let plain = VerifierConfig::new("http://auth.example").with_audience("api");
    assert_eq!(
        Verifier::start(plain).await.unwrap_err().rule(),
        "insecure_url"
    );
    // The discovery document names another issuer (without the trailing slash).
    let elsewhere = VerifierConfig::new(format!("{}/", issuer.url()));
    let error = Verifier::start(elsewhere).await.unwrap_err();
    assert_eq!(error.rule(), "issuer_mismatch", "{error}");
    let wrong = VerifierConfig::new("http://localhost:1")
        .with_keys(KeySource::Jwks(format!("{}/jwks.json", issuer.url())));
    assert!(
        Verifier::start(wrong).await.is_ok(),
        "a JWKS URL needs no discovery"
    );
}
