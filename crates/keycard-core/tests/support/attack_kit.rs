//! The attacker's kit shared by the `attacks_*` test files: the victim's keys and claims,
//! builders that write tokens byte by byte, and the assertions every attack test makes.
//!
//! Every token is built by hand (header JSON and payload JSON written out, encoded with
//! `base64url::encode`, signed over the signing input with whatever key the attacker would
//! hold), so nothing relies on Keycard's own signer producing the bad input. Each test
//! first checks its control (the honest token is accepted), then asserts `err.rule()`.
//!
//! Header- and signature-level attacks are checked at both layers: `jose::jws::verify` and
//! `jwt::Validation::verify` with the access-token rules must refuse under the same rule
//! ([`assert_rejected`]). Claim-level attacks carry a valid signature, so only the JWT
//! layer applies ([`assert_claims_rejected`]).
//!
//! Included by each test file with `#[path = "support/attack_kit.rs"] mod attack_kit;`;
//! not every file uses every helper.

#![allow(dead_code)]
// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use aws_lc_rs::hmac;
use keycard_core::jose::{base64url, jws};
use keycard_core::jwt::Validation;
use keycard_core::{Algorithm, Key, KeySet, UnixTime};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// The instant every token is verified at.
pub const NOW_SECS: i64 = 1_800_000_000;
pub const NOW: UnixTime = UnixTime::from_secs(NOW_SECS);
pub const ISS: &str = "https://auth.example";
pub const AUD: &str = "api";
pub const MAX: usize = jws::DEFAULT_MAX_TOKEN_BYTES;

/// The victim's HMAC secret (fixed, so tokens signed with it are deterministic).
pub const HS_SECRET: [u8; 32] = [0x5a; 32];
pub const HS_KID: &str = "hs-1";
pub const RSA_KID: &str = "rsa-1";
pub const EC_KID: &str = "ec-1";

/// The victim's RSA key: generated once, RSA generation is slow.
pub static RSA_VICTIM: LazyLock<Key> =
    LazyLock::new(|| Key::generate(Algorithm::RS256).unwrap().with_kid(RSA_KID));

/// Claims an honest access token would carry; valid at `NOW`.
pub fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "user-1", "sid": "s-1", "jti": "j-1",
        "exp": NOW_SECS + 600, "iat": NOW_SECS - 10,
    })
}

pub fn payload() -> String {
    claims().to_string()
}

/// A header with `alg`, an optional `kid` and `typ: at+jwt`.
pub fn header(alg: &str, kid: Option<&str>) -> String {
    match kid {
        Some(kid) => json!({"alg": alg, "kid": kid, "typ": "at+jwt"}),
        None => json!({"alg": alg, "typ": "at+jwt"}),
    }
    .to_string()
}

/// The access-token rules a resource server applies.
pub fn rules() -> Validation {
    Validation::access_token(ISS, AUD)
}

/// The victim's HS256 signer and a verifier holding the same secret.
pub fn hs_victim() -> (Key, KeySet) {
    let signer = Key::hmac(Algorithm::HS256, &HS_SECRET, Some(HS_KID.into())).unwrap();
    let verifier = Key::hmac(Algorithm::HS256, &HS_SECRET, Some(HS_KID.into())).unwrap();
    (signer, KeySet::verify_only([verifier]).unwrap())
}

/// A verify-only set holding the public half of the RSA victim.
pub fn rsa_verifier() -> KeySet {
    KeySet::verify_only([RSA_VICTIM.to_public_only().unwrap()]).unwrap()
}

/// A fresh ES256 victim and a verify-only set holding its public half.
pub fn ec_victim() -> (Key, KeySet) {
    let key = Key::generate(Algorithm::ES256).unwrap().with_kid(EC_KID);
    let set = KeySet::verify_only([key.to_public_only().unwrap()]).unwrap();
    (key, set)
}

/// A member of a key's JWK (private or public), base64url-decoded.
pub fn jwk_member(jwk: &Value, name: &str) -> Vec<u8> {
    base64url::decode(jwk[name].as_str().unwrap()).unwrap()
}

pub fn private_jwk(key: &Key) -> Value {
    serde_json::from_str(&key.private_jwk().unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Token builders
// ---------------------------------------------------------------------------------------

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64url::encode(bytes)
}

/// `b64(header) . b64(payload)`: the bytes a JWS signature covers.
pub fn signing_input(header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
    format!("{}.{}", b64(header), b64(payload))
}

/// A compact token with exactly `signature` as its signature.
pub fn with_signature(
    header: impl AsRef<[u8]>,
    payload: impl AsRef<[u8]>,
    signature: &[u8],
) -> String {
    format!("{}.{}", signing_input(header, payload), b64(signature))
}

/// A compact token over hand-written header and payload bytes, signed by `key`.
pub fn signed_by(key: &Key, header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
    let input = signing_input(header, payload);
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

/// Signs an already-encoded signing input (which may be non-canonical) with `key`.
pub fn sign_raw_input(key: &Key, input: &str) -> String {
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

/// A token tagged with raw HMAC over any secret of any length: what an attacker computes
/// with a secret they believe the verifier will use.
pub fn hmac_signed(alg: Algorithm, secret: &[u8], header: &str, payload: &str) -> String {
    let hmac_alg = match alg {
        Algorithm::HS256 => hmac::HMAC_SHA256,
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        other => panic!("{other} is not HMAC"),
    };
    let input = signing_input(header, payload);
    let tag = hmac::sign(&hmac::Key::new(hmac_alg, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// Splits a compact token into its three encoded parts.
pub fn parts(token: &str) -> [&str; 3] {
    let mut it = token.split('.');
    let parts = [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()];
    assert!(it.next().is_none(), "{token}");
    parts
}

/// Sets a trailing bit in the last character of an unpadded base64url part whose length is
/// not a multiple of 4: a lenient decoder yields the same bytes, a canonical one refuses.
pub fn with_stray_bits(part: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_ne!(part.len() % 4, 0, "{part} has no trailing bits");
    let (head, last) = part.split_at(part.len() - 1);
    let index = ALPHABET
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .unwrap();
    assert_eq!(index & 1, 0, "{part} already has a stray bit");
    format!("{head}{}", char::from(ALPHABET[index | 1]))
}

/// JSON text padded with white space before its closing brace until its length is not a
/// multiple of 3, so its encoding ends in a character with trailing bits.
pub fn ragged(json: &str) -> String {
    let mut json = json.to_owned();
    while json.len().is_multiple_of(3) {
        json.insert(json.len() - 1, ' ');
    }
    json
}

// ---------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------

/// Both layers accept `token`: the control for every attack.
#[track_caller]
pub fn assert_accepted(keys: &KeySet, token: &str) {
    jws::verify(keys, token, MAX).unwrap();
    rules().verify(keys, token, NOW).unwrap();
}

/// Both layers refuse `token` under `rule`.
#[track_caller]
pub fn assert_rejected(keys: &KeySet, token: &str, rule: &str) {
    let jws_err = jws::verify(keys, token, MAX).expect_err(token);
    assert_eq!(
        jws_err.rule(),
        rule,
        "jws layer, {jws_err:?}, token {token}"
    );
    let jwt_err = rules().verify(keys, token, NOW).expect_err(token);
    assert_eq!(
        jwt_err.rule(),
        rule,
        "jwt layer, {jwt_err:?}, token {token}"
    );
}

/// The JWT layer (access-token rules) refuses `token` under `rule`.
#[track_caller]
pub fn assert_claims_rejected(keys: &KeySet, token: &str, rule: &str) {
    assert_jwt_rejected(&rules(), keys, token, rule);
}

#[track_caller]
pub fn assert_jwt_rejected(rules: &Validation, keys: &KeySet, token: &str, rule: &str) {
    let err = rules.verify(keys, token, NOW).expect_err(token);
    assert_eq!(err.rule(), rule, "{err:?}, token {token}");
}
