//! Property tests over every algorithm in `Algorithm::ALL`:
//!
//! - round trip: random claims (unicode `sub`, random extra claim names and JSON values)
//!   signed as an access token verify, and `claims_json` is exactly what was signed;
//! - tamper evidence: any single-byte change anywhere in a valid token (position and
//!   replacement byte drawn by proptest, replacement different from the original) is
//!   rejected, at the JWS layer and at the JWT layer, under whatever rule.
//!
//! Keys are generated once per algorithm (RSA once for all six RSA algorithms, re-bound
//! through its private JWK) in a `LazyLock`, outside the proptest loop. Case counts are
//! modest so the file stays fast in debug builds; failures are not persisted to disk.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use keycard_core::jose::jws;
use keycard_core::jwt::{self, Validation};
use keycard_core::{Algorithm, Key, KeySet, UnixTime};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

const NOW_SECS: i64 = 1_800_000_000;
const NOW: UnixTime = UnixTime::from_secs(NOW_SECS);
const ISS: &str = "https://auth.example";
const AUD: &str = "api";
/// Round-trip tokens may be larger than the default 8 KiB cap; the cap is not under test.
const ROUND_TRIP_MAX: usize = 64 * 1024;

/// A signing key and a verifier holding only what a resource server would hold.
struct Fixture {
    signer: Key,
    verifier: KeySet,
    /// One valid access token, signed once, for the tamper property.
    token: String,
}

static FIXTURES: LazyLock<Vec<(Algorithm, Fixture)>> = LazyLock::new(|| {
    // RSA generation is the slow part: one key pair, bound to each RSA algorithm in turn.
    let rsa: Value = serde_json::from_str(
        &Key::generate(Algorithm::RS256)
            .unwrap()
            .private_jwk()
            .unwrap(),
    )
    .unwrap();
    Algorithm::ALL
        .into_iter()
        .map(|alg| {
            let signer = if alg.name().starts_with("RS") || alg.name().starts_with("PS") {
                let mut jwk = rsa.clone();
                jwk["alg"] = alg.name().into();
                jwk["kid"] = format!("rsa-{alg}").into();
                Key::from_jwk_json(&jwk.to_string(), None).unwrap()
            } else {
                Key::generate(alg).unwrap()
            };
            assert_eq!(signer.alg(), alg);
            let public = if signer.is_symmetric() {
                Key::from_jwk_json(&signer.private_jwk().unwrap(), None).unwrap()
            } else {
                signer.to_public_only().unwrap()
            };
            let verifier = KeySet::verify_only([public]).unwrap();
            let claims = json!({
                "iss": ISS, "aud": AUD, "sub": "üser-1 ✓ \u{0} \u{1F600}", "sid": "s",
                "exp": NOW_SECS + 600, "iat": NOW_SECS, "roles": ["admin", "ops"],
            });
            let token = jwt::sign(&signer, Some("at+jwt"), &claims).unwrap();
            (
                alg,
                Fixture {
                    signer,
                    verifier,
                    token,
                },
            )
        })
        .collect()
});

fn fixture(alg: Algorithm) -> &'static Fixture {
    FIXTURES
        .iter()
        .find(|(a, _)| *a == alg)
        .map(|(_, fixture)| fixture)
        .unwrap()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Any unicode text, control characters and astral planes included, kept short.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..16).prop_map(String::from_iter)
}

/// A JSON value without floats (their text form is not the point here), nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Claim names Keycard reads with a fixed type; extra claims avoid them.
const REGISTERED: [&str; 8] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid"];

/// Valid access-token claims with a random `sub` and random extra claims.
fn claims() -> impl Strategy<Value = Map<String, Value>> {
    let extra_name = text().prop_filter("not a registered claim", |name| {
        !REGISTERED.contains(&name.as_str())
    });
    (
        text(),
        prop::option::of(text()),
        prop::collection::btree_map(extra_name, json_value(), 0..6),
    )
        .prop_map(|(sub, jti, extra)| {
            let mut claims: Map<String, Value> = extra.into_iter().collect();
            claims.insert("iss".into(), ISS.into());
            claims.insert("aud".into(), json!([AUD, "other"]));
            claims.insert("sub".into(), sub.into());
            if let Some(jti) = jti {
                claims.insert("jti".into(), jti.into());
            }
            claims.insert("exp".into(), (NOW_SECS + 600).into());
            claims.insert("iat".into(), (NOW_SECS - 5).into());
            claims
        })
}

/// Signs `claims` with `alg`'s key and checks the verified claims are exactly those.
fn round_trips(alg: Algorithm, claims: &Map<String, Value>) -> Result<(), TestCaseError> {
    let fixture = fixture(alg);
    let token = jwt::sign(&fixture.signer, Some("at+jwt"), claims).unwrap();
    let rules = Validation::access_token(ISS, AUD).with_max_token_bytes(ROUND_TRIP_MAX);
    let verified = rules
        .verify(&fixture.verifier, &token, NOW)
        .map_err(|e| TestCaseError::fail(format!("{alg}: {e} ({})", e.rule())))?;
    prop_assert_eq!(verified.header.alg, alg);
    prop_assert_eq!(verified.header.kid.as_deref(), Some(fixture.signer.kid()));
    prop_assert_eq!(&verified.claims_json(), claims);
    prop_assert_eq!(verified.claims.sub(), claims["sub"].as_str());
    let signed = serde_json::to_vec(claims).unwrap();
    prop_assert_eq!(verified.payload(), signed.as_slice());
    let jws = jws::verify(&fixture.verifier, &token, ROUND_TRIP_MAX)
        .map_err(|e| TestCaseError::fail(format!("{alg}: {e}")))?;
    prop_assert_eq!(jws.payload.as_slice(), verified.payload());
    Ok(())
}

/// Changes the byte at `at` of `alg`'s valid token to `byte` and checks both layers
/// reject the result. A change that makes the text invalid UTF-8 cannot be presented as a
/// `&str`; its lossy form (U+FFFD in place of the byte) is presented instead.
fn single_byte_change_is_rejected(
    alg: Algorithm,
    at: Index,
    byte: u8,
) -> Result<(), TestCaseError> {
    let fixture = fixture(alg);
    let mut bytes = fixture.token.clone().into_bytes();
    let at = at.index(bytes.len());
    prop_assume!(bytes[at] != byte);
    bytes[at] = byte;
    let tampered = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    prop_assert_ne!(&tampered, &fixture.token);
    let rules = Validation::access_token(ISS, AUD);
    let jwt = rules.verify(&fixture.verifier, &tampered, NOW);
    prop_assert!(
        jwt.is_err(),
        "{} accepted after byte {} -> {:#04x}",
        alg,
        at,
        byte
    );
    let jws = jws::verify(&fixture.verifier, &tampered, jws::DEFAULT_MAX_TOKEN_BYTES);
    prop_assert!(
        jws.is_err(),
        "{} accepted after byte {} -> {:#04x}",
        alg,
        at,
        byte
    );
    Ok(())
}

/// The untampered token is accepted: the control for the tamper property.
#[test]
fn every_fixture_token_verifies() {
    for (alg, fixture) in FIXTURES.iter() {
        let verified = Validation::access_token(ISS, AUD)
            .verify(&fixture.verifier, &fixture.token, NOW)
            .unwrap();
        assert_eq!(verified.header.alg, *alg);
    }
    assert_eq!(FIXTURES.len(), Algorithm::ALL.len());
}

/// One module per algorithm: `round_trip` signs random claims (so its case count follows
/// the cost of signing), `tamper` only verifies.
macro_rules! properties {
    ($($module:ident: $alg:expr, sign cases $sign:expr;)*) => {$(
        mod $module {
            use super::*;

            proptest! {
                #![proptest_config(config($sign))]
                #[test]
                fn round_trip(claims in claims()) {
                    round_trips($alg, &claims)?;
                }
            }

            proptest! {
                #![proptest_config(config(256))]
                #[test]
                fn tamper(at in any::<Index>(), byte in any::<u8>()) {
                    single_byte_change_is_rejected($alg, at, byte)?;
                }
            }
        }
    )*};
}

properties! {
    hs256: Algorithm::HS256, sign cases 64;
    hs384: Algorithm::HS384, sign cases 64;
    hs512: Algorithm::HS512, sign cases 64;
    rs256: Algorithm::RS256, sign cases 32;
    rs384: Algorithm::RS384, sign cases 32;
    rs512: Algorithm::RS512, sign cases 32;
    ps256: Algorithm::PS256, sign cases 32;
    ps384: Algorithm::PS384, sign cases 32;
    ps512: Algorithm::PS512, sign cases 32;
    es256: Algorithm::ES256, sign cases 64;
    es384: Algorithm::ES384, sign cases 48;
    es512: Algorithm::ES512, sign cases 32;
    eddsa: Algorithm::EdDSA, sign cases 64;
}
