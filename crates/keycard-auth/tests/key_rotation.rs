//! Signing-key rotation on a manual clock: the schedule step by step, two instances racing
//! to promote over one store, the operator's emergency retire, and verifiers that cache the
//! JWKS for its max-age never failing a token that is still valid.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use keycard_auth::keys::{KeyChange, KeySchedule};
use keycard_auth::settings::Seconds;
use keycard_auth::{Auth, AuthError, AuthSettings};
use keycard_core::audit::{AuditKind, AuditQuery};
use keycard_core::jose::KeyRole;
use keycard_core::jwt::{self, Validation};
use keycard_core::key_record::MasterKey;
use keycard_core::{Clock as _, KeySet, ManualClock, UnixTime};
use keycard_store::key_vault::KeyVault;
use keycard_store::open::Stores;
use serde_json::json;

const ISSUER: &str = "https://auth.example";
const START: i64 = 1_800_000_000;

fn settings() -> AuthSettings {
    let mut settings = AuthSettings::new(ISSUER);
    settings.tokens.signing_key_rotation = Seconds::new(2 * 3600);
    settings
}

async fn stores() -> Stores {
    keycard_store::open::open(&"memory:".parse().unwrap(), None, "keys")
        .await
        .unwrap()
}

/// An instance over `stores`; private keys are sealed in the store, so no files are made.
fn instance(stores: &Stores, clock: &Arc<ManualClock>) -> Auth {
    let vault = KeyVault::new(
        stores.keys.clone(),
        Some(MasterKey::new(&[7u8; 32]).unwrap()),
        Path::new("/nonexistent-keycard-test"),
    );
    Auth::with_key_vault(
        settings(),
        stores.clone(),
        KeySet::new(),
        vault,
        clock.clone(),
    )
    .unwrap()
}

/// An access token signed by `auth`'s active key, as `mint` makes them.
fn token(auth: &Auth, now: UnixTime) -> String {
    let lifetime = auth.settings().tokens.access_token_lifetime.as_i64();
    let claims = json!({
        "iss": ISSUER, "sub": "u1", "aud": auth.settings().audience, "sid": "s1",
        "iat": now.as_secs(), "exp": now.plus_secs(lifetime).as_secs(), "jti": now.as_secs().to_string(),
    });
    jwt::sign(auth.keys().active().unwrap(), Some("at+jwt"), &claims).unwrap()
}

fn jwks_kids(auth: &Auth) -> Vec<String> {
    let jwks = auth.keys().public_jwks();
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    kids.sort();
    kids
}

fn sorted(kids: &[&str]) -> Vec<String> {
    let mut kids: Vec<String> = kids.iter().map(|&k| k.to_owned()).collect();
    kids.sort();
    kids
}

async fn audits(stores: &Stores, kind: AuditKind) -> usize {
    let events = stores
        .audit
        .query_audit(&AuditQuery::default())
        .await
        .unwrap();
    events.iter().filter(|e| e.kind == kind).count()
}

#[tokio::test]
async fn a_full_schedule_promotes_retires_and_deletes() {
    let clock = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let stores = stores().await;
    let auth = instance(&stores, &clock);
    let schedule = auth.key_schedule();
    assert_eq!(
        schedule,
        KeySchedule {
            rotation_secs: 7200,
            publish_secs: 900 + 60,
            retire_secs: 900 + 30 + 60
        }
    );

    // First start: an active and a next key.
    let changes = auth.rotate_keys_if_due(clock.now()).await.unwrap();
    assert!(
        matches!(
            changes.as_slice(),
            [
                KeyChange::Created {
                    role: KeyRole::Active,
                    ..
                },
                KeyChange::Created {
                    role: KeyRole::Next,
                    ..
                },
            ]
        ),
        "{changes:?}"
    );
    let first = auth.keys().active().unwrap().kid().to_owned();
    let second = auth.keys().next().unwrap().kid().to_owned();
    assert_eq!(jwks_kids(&auth), sorted(&[&first, &second]));

    // Before it is due: nothing.
    clock.set(UnixTime::from_secs(START + 7200 - 1));
    let old_token = token(&auth, clock.now());
    assert!(
        auth.rotate_keys_if_due(clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(auth.keys().active().unwrap().kid(), first);

    // Due: promoted, a new next key, the old key retired and still published.
    clock.set(UnixTime::from_secs(START + 7200));
    let promoted_at = clock.now();
    let changes = auth.rotate_keys_if_due(promoted_at).await.unwrap();
    let retire_after = promoted_at.plus_secs(990);
    assert_eq!(
        changes[0],
        KeyChange::Promoted {
            kid: second.clone(),
            retired: Some(first.clone()),
            retire_after
        }
    );
    assert!(matches!(
        &changes[1],
        KeyChange::Created {
            role: KeyRole::Next,
            ..
        }
    ));
    assert_eq!(changes.len(), 2);
    let third = auth.keys().next().unwrap().kid().to_owned();
    assert_eq!(auth.keys().active().unwrap().kid(), second);
    assert_eq!(jwks_kids(&auth), sorted(&[&first, &second, &third]));
    let records = auth.key_records().await.unwrap();
    let old = records.iter().find(|r| r.kid == first).unwrap();
    assert_eq!(
        (old.role, old.retire_after),
        (KeyRole::Retired, Some(retire_after))
    );
    assert!(
        auth.verify_bearer(&old_token, promoted_at).is_ok(),
        "the old key still verifies"
    );
    assert!(
        auth.verify_bearer(&token(&auth, promoted_at), promoted_at)
            .is_ok()
    );
    assert_eq!(audits(&stores, AuditKind::KeyRotated).await, 1);

    // Until its date the retired key stays; then it is deleted and leaves the JWKS.
    clock.set(retire_after.plus_secs(-1));
    assert!(
        auth.rotate_keys_if_due(clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(jwks_kids(&auth).contains(&first));
    clock.set(retire_after);
    let changes = auth.rotate_keys_if_due(clock.now()).await.unwrap();
    assert_eq!(changes, vec![KeyChange::Deleted { kid: first.clone() }]);
    assert_eq!(jwks_kids(&auth), sorted(&[&second, &third]));
    assert!(
        auth.key_records()
            .await
            .unwrap()
            .iter()
            .all(|r| r.kid != first)
    );
}

#[tokio::test]
async fn instances_sharing_a_store_promote_once_and_follow_each_other() {
    let clock = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let stores = stores().await;
    let (a, b) = (instance(&stores, &clock), instance(&stores, &clock));
    a.rotate_keys_if_due(clock.now()).await.unwrap();
    b.rotate_keys_if_due(clock.now()).await.unwrap();
    assert_eq!(
        a.keys().active().unwrap().kid(),
        b.keys().active().unwrap().kid()
    );

    for round in 1..=5 {
        clock.advance(7200);
        let now = clock.now();
        let (from_a, from_b) = tokio::join!(a.rotate_keys_if_due(now), b.rotate_keys_if_due(now));
        let promotions = [from_a.unwrap(), from_b.unwrap()]
            .iter()
            .flatten()
            .filter(|c| matches!(c, KeyChange::Promoted { .. }))
            .count();
        assert_eq!(promotions, 1, "round {round}");
        let records = a.key_records().await.unwrap();
        let count = |role| records.iter().filter(|r| r.role == role).count();
        assert_eq!(
            (count(KeyRole::Active), count(KeyRole::Next)),
            (1, 1),
            "round {round}"
        );
        a.reload_keys(now).await.unwrap();
        b.reload_keys(now).await.unwrap();
        assert_eq!(jwks_kids(&a), jwks_kids(&b));
        assert_eq!(
            a.keys().active().unwrap().kid(),
            b.keys().active().unwrap().kid()
        );
    }
    assert_eq!(audits(&stores, AuditKind::KeyRotated).await, 5);
}

#[tokio::test]
async fn an_emergency_retire_withdraws_the_key_at_once() {
    let clock = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let stores = stores().await;
    let (a, b) = (instance(&stores, &clock), instance(&stores, &clock));
    a.rotate_keys_if_due(clock.now()).await.unwrap();
    b.reload_keys(clock.now()).await.unwrap();
    let compromised = a.keys().active().unwrap().kid().to_owned();
    let next = a.keys().next().unwrap().kid().to_owned();
    let signed = token(&a, clock.now());

    clock.advance(60);
    let now = clock.now();
    let changes = a.retire_key(&compromised, now).await.unwrap();
    assert_eq!(
        changes[0],
        KeyChange::Promoted {
            kid: next.clone(),
            retired: None,
            retire_after: now
        }
    );
    assert_eq!(
        changes[1],
        KeyChange::Deleted {
            kid: compromised.clone()
        }
    );
    assert!(matches!(
        &changes[2],
        KeyChange::Created {
            role: KeyRole::Next,
            ..
        }
    ));
    assert_eq!(a.keys().active().unwrap().kid(), next);
    assert!(!jwks_kids(&a).contains(&compromised));
    assert!(matches!(
        a.verify_bearer(&signed, now),
        Err(AuthError::InvalidToken("unknown_kid"))
    ));

    // Another instance refuses it from its next reload.
    assert!(b.verify_bearer(&signed, now).is_ok(), "not reloaded yet");
    b.reload_keys(now).await.unwrap();
    assert!(matches!(
        b.verify_bearer(&signed, now),
        Err(AuthError::InvalidToken("unknown_kid"))
    ));
    assert_eq!(audits(&stores, AuditKind::KeyRetired).await, 1);

    // Retiring the next key replaces it; an unknown kid is not found.
    // The kid is copied out first: a key guard held across the call would block its reload.
    let next_kid = a.keys().next().unwrap().kid().to_owned();
    let changes = a.retire_key(&next_kid, now).await.unwrap();
    assert!(matches!(
        changes.as_slice(),
        [
            KeyChange::Deleted { .. },
            KeyChange::Created {
                role: KeyRole::Next,
                ..
            }
        ]
    ));
    assert!(matches!(
        a.retire_key("no-such-kid", now).await,
        Err(AuthError::NotFound)
    ));
}

#[tokio::test]
async fn without_a_vault_keys_cannot_rotate() {
    let clock = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let keys =
        KeySet::with_active(keycard_core::Key::generate(keycard_core::Algorithm::EdDSA).unwrap())
            .unwrap();
    let auth = Auth::new(settings(), stores().await, keys, clock.clone()).unwrap();
    let error = auth.rotate_keys_if_due(clock.now()).await.unwrap_err();
    assert!(matches!(error, AuthError::Internal(_)));
    assert!(
        std::error::Error::source(&error)
            .unwrap()
            .to_string()
            .contains("no key vault")
    );
}

/// Two instances over one store run the schedule every check interval for three rotation
/// periods; one reloads a step behind the other, as instances do. Every minute each
/// publishes a JWKS snapshot and signs a token. A verifier may hold any snapshot taken at
/// most max-age before it checks a token; for every token and every such snapshot, at a
/// moment the token is valid, the verification must pass.
#[tokio::test]
async fn verifiers_caching_the_jwks_for_max_age_never_fail_a_valid_token() {
    let clock = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let stores = stores().await;
    let (a, b) = (instance(&stores, &clock), instance(&stores, &clock));
    a.rotate_keys_if_due(clock.now()).await.unwrap();
    b.rotate_keys_if_due(clock.now()).await.unwrap();
    let max_age = i64::try_from(a.settings().jwks_max_age_secs()).unwrap();
    let lifetime = a.settings().tokens.access_token_lifetime.as_i64();
    let step = 60;

    let mut snapshots: Vec<(i64, KeySet)> = Vec::new();
    let mut tokens: Vec<(i64, String)> = Vec::new();
    let mut promotions = 0;
    for _ in 0..(3 * 7200 + 3600) / step {
        clock.advance(step);
        let now = clock.now();
        let changes = a.rotate_keys_if_due(now).await.unwrap();
        promotions += changes
            .iter()
            .filter(|c| matches!(c, KeyChange::Promoted { .. }))
            .count();
        // `b` is one check behind: it publishes and signs with what it loaded last time.
        for instance in [&a, &b] {
            let jwks = instance.keys().public_jwks().to_string();
            snapshots.push((
                now.as_secs(),
                KeySet::from_jwk_or_jwks(&jwks, None, true).unwrap(),
            ));
            tokens.push((now.as_secs(), token(instance, now)));
        }
        b.rotate_keys_if_due(now).await.unwrap();
    }
    assert_eq!(promotions, 3);

    let validation = Validation::access_token(ISSUER, a.settings().audience.clone())
        .with_leeway_secs(a.settings().tokens.leeway.as_i64());
    let (mut checked, mut stale_failures) = (0, 0);
    for (minted, token) in &tokens {
        let expires = minted + lifetime;
        for (taken, keys) in &snapshots {
            // A verifier checking at `at` holds a copy taken within max-age before.
            let at = (*taken).max(*minted);
            if at <= expires && at - taken <= max_age {
                let verified = validation.verify(keys, token, UnixTime::from_secs(at));
                assert!(
                    verified.is_ok(),
                    "token of {minted}, JWKS of {taken}: {verified:?}"
                );
                checked += 1;
            } else if *taken + 2 * 7200 < *minted
                && validation
                    .verify(keys, token, UnixTime::from_secs(*minted))
                    .is_err()
            {
                stale_failures += 1;
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
    // The instrument sees rotation: a copy far older than max-age lacks the keys.
    assert!(stale_failures > 0);
}
