//! The issuer's keys as the verifier holds them: a rotation needs no failed request, a
//! flood of unknown kids makes at most one refetch per cooldown, an unknown kid after the
//! cooldown is refetched once and refused, the JWKS is refetched per its `Cache-Control`
//! within the bounds, and the last good keys are kept while the JWKS fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::issuer::{TestIssuer, key};
use common::{eventually, now};
use keycard_core::Algorithm;
use keycard_verify::{Verifier, VerifierConfig};

fn config(issuer: &TestIssuer) -> VerifierConfig {
    VerifierConfig::new(issuer.url())
        .with_audience("api")
        .with_algorithms([Algorithm::EdDSA])
}

#[tokio::test]
async fn a_rotation_at_the_issuer_fails_no_request() {
    let issuer = TestIssuer::start().await;
    let old = key(Algorithm::EdDSA, "old");
    issuer.publish_keys(&[&old]);
    let verifier = Verifier::start(config(&issuer)).await.unwrap();
    let claims = issuer.claims(now());
    assert!(
        verifier
            .verify(&TestIssuer::sign(&old, &claims))
            .await
            .is_ok()
    );
    assert_eq!(issuer.jwks_fetches(), 1);

    // The issuer rotates without publishing ahead: the first token of the new key finds
    // its kid unknown, and the refetch brings it.
    let new = key(Algorithm::EdDSA, "new");
    issuer.publish_keys(&[&old, &new]);
    let fresh = TestIssuer::sign(&new, &claims);
    assert!(verifier.verify(&fresh).await.is_ok());
    assert_eq!(issuer.jwks_fetches(), 2);
    assert!(
        verifier
            .verify(&TestIssuer::sign(&old, &claims))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_flood_of_unknown_kids_costs_one_fetch_per_cooldown() {
    let issuer = TestIssuer::start().await;
    let signing = key(Algorithm::EdDSA, "k1");
    issuer.publish_keys(&[&signing]);
    let cooldown = Duration::from_millis(500);
    let verifier = Verifier::start(config(&issuer).with_kid_cooldown(cooldown))
        .await
        .unwrap();
    let claims = issuer.claims(now());
    let mut flood = tokio::task::JoinSet::new();
    for n in 0..200 {
        let verifier = verifier.clone();
        let token = TestIssuer::sign(&key(Algorithm::EdDSA, &format!("random-{n}")), &claims);
        flood.spawn(async move { verifier.verify(&token).await });
    }
    while let Some(result) = flood.join_next().await {
        assert_eq!(result.unwrap().unwrap_err().rule(), "unknown_kid");
    }
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "the start, then one refetch for 200 kids"
    );
    // Valid tokens still pass meanwhile, from the keys held.
    assert!(
        verifier
            .verify(&TestIssuer::sign(&signing, &claims))
            .await
            .is_ok()
    );

    // After the cooldown, an unknown kid is refetched once more, and still refused.
    tokio::time::sleep(cooldown).await;
    let stranger = TestIssuer::sign(&key(Algorithm::EdDSA, "stranger"), &claims);
    assert_eq!(
        verifier.verify(&stranger).await.unwrap_err().rule(),
        "unknown_kid"
    );
    assert_eq!(
        verifier.verify(&stranger).await.unwrap_err().rule(),
        "unknown_kid"
    );
    assert_eq!(issuer.jwks_fetches(), 3);
}

#[tokio::test]
async fn the_default_cooldown_holds_for_ten_seconds() {
    let issuer = TestIssuer::start().await;
    issuer.publish_keys(&[&key(Algorithm::EdDSA, "k1")]);
    let verifier = Verifier::start(config(&issuer)).await.unwrap();
    let claims = issuer.claims(now());
    for n in 0..20 {
        let token = TestIssuer::sign(&key(Algorithm::EdDSA, &format!("r{n}")), &claims);
        assert_eq!(
            verifier.verify(&token).await.unwrap_err().rule(),
            "unknown_kid"
        );
    }
    assert_eq!(issuer.jwks_fetches(), 2);
}

#[tokio::test]
async fn the_jwks_is_refetched_per_cache_control_and_the_last_good_set_kept() {
    let issuer = TestIssuer::start().await;
    let signing = key(Algorithm::EdDSA, "k1");
    issuer.publish_keys(&[&signing]);
    issuer.set_cache_control("max-age=0");
    let bounds = config(&issuer)
        .with_jwks_max_age_bounds(Duration::from_millis(200), Duration::from_secs(3600));
    let verifier = Verifier::start(bounds).await.unwrap();
    let token = TestIssuer::sign(&signing, &issuer.claims(now()));
    // max-age=0 is raised to the lower bound: fetched again, but not in a loop.
    eventually("two refreshes", || async { issuer.jwks_fetches() >= 3 }).await;

    // The JWKS fails from now on: the keys held keep verifying, and refreshes go on.
    issuer.fail_jwks(true);
    let failed_from = issuer.jwks_fetches();
    eventually("refreshes that fail", || async {
        issuer.jwks_fetches() >= failed_from + 2
    })
    .await;
    assert!(verifier.verify(&token).await.is_ok());
    issuer.fail_jwks(false);
}
