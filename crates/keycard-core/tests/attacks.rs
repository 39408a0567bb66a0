//! Attack tests: malicious tokens and keys, crafted by hand, each refused under the exact
//! rule it breaks.
//!
//! Every token here is built byte by byte (header JSON and payload JSON written out, encoded
//! with `base64url::encode`, signed over the signing input with whatever key the attacker
//! would hold), so nothing relies on Keycard's own signer producing the bad input. Each test
//! first checks its control (the honest token is accepted), then asserts `err.rule()`.
//!
//! Header- and signature-level attacks are checked at both layers: `jose::jws::verify` and
//! `jwt::Validation::verify` with the access-token rules must refuse under the same rule.
//! Claim-level attacks carry a valid signature, so only the JWT layer applies.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
use aws_lc_rs::{hmac, rsa};
use base64::Engine as _;
use keycard_core::jose::{base64url, jws};
use keycard_core::jwt::{self, Validation};
use keycard_core::opaque::{NotAnOpaqueToken, OpaqueKind, OpaqueToken};
use keycard_core::{Algorithm, Key, KeyError, KeySet, TokenError, UnixTime};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// The instant every token is verified at.
const NOW_SECS: i64 = 1_800_000_000;
const NOW: UnixTime = UnixTime::from_secs(NOW_SECS);
const ISS: &str = "https://auth.example";
const AUD: &str = "api";
const MAX: usize = jws::DEFAULT_MAX_TOKEN_BYTES;

/// The victim's HMAC secret (fixed, so tokens signed with it are deterministic).
const HS_SECRET: [u8; 32] = [0x5a; 32];
const HS_KID: &str = "hs-1";
const RSA_KID: &str = "rsa-1";
const EC_KID: &str = "ec-1";

/// The victim's RSA key: generated once, RSA generation is slow.
static RSA_VICTIM: LazyLock<Key> =
    LazyLock::new(|| Key::generate(Algorithm::RS256).unwrap().with_kid(RSA_KID));

/// Claims an honest access token would carry; valid at `NOW`.
fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "user-1", "sid": "s-1", "jti": "j-1",
        "exp": NOW_SECS + 600, "iat": NOW_SECS - 10,
    })
}

fn payload() -> String {
    claims().to_string()
}

/// A header with `alg`, an optional `kid` and `typ: at+jwt`.
fn header(alg: &str, kid: Option<&str>) -> String {
    match kid {
        Some(kid) => json!({"alg": alg, "kid": kid, "typ": "at+jwt"}),
        None => json!({"alg": alg, "typ": "at+jwt"}),
    }
    .to_string()
}

/// The access-token rules a resource server applies.
fn rules() -> Validation {
    Validation::access_token(ISS, AUD)
}

/// The victim's HS256 signer and a verifier holding the same secret.
fn hs_victim() -> (Key, KeySet) {
    let signer = Key::hmac(Algorithm::HS256, &HS_SECRET, Some(HS_KID.into())).unwrap();
    let verifier = Key::hmac(Algorithm::HS256, &HS_SECRET, Some(HS_KID.into())).unwrap();
    (signer, KeySet::verify_only([verifier]).unwrap())
}

/// A verify-only set holding the public half of the RSA victim.
fn rsa_verifier() -> KeySet {
    KeySet::verify_only([RSA_VICTIM.to_public_only().unwrap()]).unwrap()
}

/// A fresh ES256 victim and a verify-only set holding its public half.
fn ec_victim() -> (Key, KeySet) {
    let key = Key::generate(Algorithm::ES256).unwrap().with_kid(EC_KID);
    let set = KeySet::verify_only([key.to_public_only().unwrap()]).unwrap();
    (key, set)
}

/// A member of a key's JWK (private or public), base64url-decoded.
fn jwk_member(jwk: &Value, name: &str) -> Vec<u8> {
    base64url::decode(jwk[name].as_str().unwrap()).unwrap()
}

fn private_jwk(key: &Key) -> Value {
    serde_json::from_str(&key.private_jwk().unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Token builders
// ---------------------------------------------------------------------------------------

fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64url::encode(bytes)
}

/// `b64(header) . b64(payload)`: the bytes a JWS signature covers.
fn signing_input(header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
    format!("{}.{}", b64(header), b64(payload))
}

/// A compact token with exactly `signature` as its signature.
fn with_signature(header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>, signature: &[u8]) -> String {
    format!("{}.{}", signing_input(header, payload), b64(signature))
}

/// A compact token over hand-written header and payload bytes, signed by `key`.
fn signed_by(key: &Key, header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
    let input = signing_input(header, payload);
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

/// Signs an already-encoded signing input (which may be non-canonical) with `key`.
fn sign_raw_input(key: &Key, input: &str) -> String {
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

/// A token tagged with raw HMAC over any secret of any length: what an attacker computes
/// with a secret they believe the verifier will use.
fn hmac_signed(alg: Algorithm, secret: &[u8], header: &str, payload: &str) -> String {
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
fn parts(token: &str) -> [&str; 3] {
    let mut it = token.split('.');
    let parts = [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()];
    assert!(it.next().is_none(), "{token}");
    parts
}

/// Sets a trailing bit in the last character of an unpadded base64url part whose length is
/// not a multiple of 4: a lenient decoder yields the same bytes, a canonical one refuses.
fn with_stray_bits(part: &str) -> String {
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
fn ragged(json: &str) -> String {
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
fn assert_accepted(keys: &KeySet, token: &str) {
    jws::verify(keys, token, MAX).unwrap();
    rules().verify(keys, token, NOW).unwrap();
}

/// Both layers refuse `token` under `rule`.
#[track_caller]
fn assert_rejected(keys: &KeySet, token: &str, rule: &str) {
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
fn assert_claims_rejected(keys: &KeySet, token: &str, rule: &str) {
    assert_jwt_rejected(&rules(), keys, token, rule);
}

#[track_caller]
fn assert_jwt_rejected(rules: &Validation, keys: &KeySet, token: &str, rule: &str) {
    let err = rules.verify(keys, token, NOW).expect_err(token);
    assert_eq!(err.rule(), rule, "{err:?}, token {token}");
}

// ---------------------------------------------------------------------------------------
// alg: none
// ---------------------------------------------------------------------------------------

/// Simulates the classic `alg: none` bypass (CVE-2015-9235 and kin): the token claims to
/// need no signature, in any spelling, with or without a kid, with an empty signature or
/// even with a real signature by the victim's key over the same input.
#[test]
fn alg_none_in_every_spelling_is_unsupported() {
    let (signer, keys) = hs_victim();
    assert_accepted(&keys, &signed_by(&signer, header("HS256", None), payload()));
    for alg in ["none", "None", "NONE", "nOnE"] {
        for kid in [None, Some(HS_KID)] {
            let header = header(alg, kid);
            let unsigned = with_signature(&header, payload(), b"");
            assert_rejected(&keys, &unsigned, "unsupported_alg");
            let junk = with_signature(&header, payload(), b"signature");
            assert_rejected(&keys, &junk, "unsupported_alg");
            let real = signed_by(&signer, &header, payload());
            assert_rejected(&keys, &real, "unsupported_alg");
        }
    }
}

/// Simulates parsers that trim or stop at NUL: `"none "` and `"HS256\u0000"` must not be
/// read as `none` or `HS256`.
#[test]
fn alg_with_trailing_space_or_nul_is_unsupported() {
    let (signer, keys) = hs_victim();
    for alg in ["none ", " none", "HS256\u{0}", "HS256 ", "hs256"] {
        let header = header(alg, Some(HS_KID));
        assert_rejected(
            &keys,
            &with_signature(&header, payload(), b""),
            "unsupported_alg",
        );
        assert_rejected(
            &keys,
            &signed_by(&signer, &header, payload()),
            "unsupported_alg",
        );
    }
}

/// `decode_unverified` shows an `alg: none` token for inspection, but that path decides
/// nothing; the verifying path refuses the same token.
#[test]
fn decode_unverified_shows_none_but_verify_refuses_it() {
    let (_, keys) = hs_victim();
    let token = with_signature(header("none", None), payload(), b"");
    let shown = jws::decode_unverified(&token, MAX).unwrap();
    assert_eq!(shown.header["alg"], "none");
    assert_eq!(shown.signature_len, 0);
    assert_rejected(&keys, &token, "unsupported_alg");
}

// ---------------------------------------------------------------------------------------
// HMAC key confusion
// ---------------------------------------------------------------------------------------

/// PEM text of a SubjectPublicKeyInfo, as an attacker would download it.
fn pem(der: &[u8], trailing_newline: bool) -> Vec<u8> {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----");
    if trailing_newline {
        pem.push('\n');
    }
    pem.into_bytes()
}

/// Every public form of a key an attacker might feed to HMAC as the "secret".
fn public_forms(der: &[u8], jwk: &Value, raw: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("pem", pem(der, true)),
        ("pem without final newline", pem(der, false)),
        ("der", der.to_vec()),
        ("jwk json", jwk.to_string().into_bytes()),
        (
            "jwk pretty json",
            serde_json::to_string_pretty(jwk).unwrap().into_bytes(),
        ),
        ("raw", raw.to_vec()),
    ]
}

/// Asserts every HS* token keyed with any public form of the victim's key is refused as an
/// algorithm mismatch, with the victim's kid and without one.
#[track_caller]
fn assert_hmac_confusion_refused(keys: &KeySet, kid: &str, forms: &[(&str, Vec<u8>)]) {
    for (form, secret) in forms {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            for kid in [Some(kid), None] {
                let token = hmac_signed(alg, secret, &header(alg.name(), kid), &payload());
                let err = jws::verify(keys, &token, MAX).unwrap_err();
                assert_eq!(err.rule(), "alg_mismatch", "{form} {alg} {kid:?}");
                assert_rejected(keys, &token, "alg_mismatch");
            }
        }
    }
}

/// Simulates RSA/HMAC key confusion (CVE-2016-10555 and kin): the verifier holds an RS256
/// public key; the attacker signs HS256/384/512 with that public key, in PEM, DER, JWK JSON
/// and raw-modulus form, as the HMAC secret.
#[test]
fn hmac_signed_with_rsa_public_key_is_alg_mismatch() {
    let keys = rsa_verifier();
    assert_accepted(
        &keys,
        &jwt::sign(&RSA_VICTIM, Some("at+jwt"), &claims()).unwrap(),
    );
    let jwk = RSA_VICTIM.public_jwk().unwrap();
    let (n, e) = (jwk_member(&jwk, "n"), jwk_member(&jwk, "e"));
    let der = rsa::PublicKeyComponents {
        n: &n[..],
        e: &e[..],
    }
    .as_der()
    .unwrap();
    assert_hmac_confusion_refused(&keys, RSA_KID, &public_forms(der.as_ref(), &jwk, &n));
}

/// The same confusion against an ES256 verifier: PEM, DER, JWK JSON and the raw
/// uncompressed point as the HMAC secret.
#[test]
fn hmac_signed_with_ec_public_key_is_alg_mismatch() {
    let (victim, keys) = ec_victim();
    assert_accepted(
        &keys,
        &jwt::sign(&victim, Some("at+jwt"), &claims()).unwrap(),
    );
    let jwk = victim.public_jwk().unwrap();
    let mut point = vec![0x04];
    point.extend(jwk_member(&jwk, "x"));
    point.extend(jwk_member(&jwk, "y"));
    let der = ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, &point)
        .unwrap()
        .as_der()
        .unwrap();
    assert_hmac_confusion_refused(&keys, EC_KID, &public_forms(der.as_ref(), &jwk, &point));
}

/// The confusion cannot be set up on the key side either: a public RSA JWK cannot be
/// imported as an HMAC key (whatever `alg` is asked for or written into it), and an HMAC
/// key built from the public key's bytes cannot sit beside the RSA key under its kid.
#[test]
fn public_key_cannot_become_an_hmac_key_under_its_kid() {
    let public = RSA_VICTIM.to_public_only().unwrap();
    assert_eq!(public.alg(), Algorithm::RS256);
    assert!(!public.is_symmetric());
    let jwk = public.public_jwk().unwrap();

    // Asked for HS256 while the JWK says RS256.
    let err = Key::from_jwk_json(&jwk.to_string(), Some(Algorithm::HS256)).unwrap_err();
    assert_eq!(err.rule(), "alg_mismatch");
    // The JWK rewritten to say HS256: kty RSA does not fit an HMAC algorithm.
    let mut relabelled = jwk.clone();
    relabelled["alg"] = "HS256".into();
    let err = Key::from_jwk_json(&relabelled.to_string(), None).unwrap_err();
    assert_eq!(err.rule(), "alg_mismatch");
    // No alg in the JWK, HS256 as the hint.
    let mut bare = jwk.clone();
    bare.as_object_mut().unwrap().remove("alg");
    let err = Key::from_jwk_json(&bare.to_string(), Some(Algorithm::HS256)).unwrap_err();
    assert_eq!(err.rule(), "alg_mismatch");
    // kty relabelled to oct: there is no k, so there is no secret.
    let mut oct = relabelled.clone();
    oct["kty"] = "oct".into();
    let err = Key::from_jwk_json(&oct.to_string(), None).unwrap_err();
    assert_eq!(err.rule(), "malformed_key");

    // An HMAC key from the PEM bytes is just another key; it cannot share the RSA kid.
    let der = rsa::PublicKeyComponents {
        n: &jwk_member(&jwk, "n")[..],
        e: &jwk_member(&jwk, "e")[..],
    }
    .as_der()
    .unwrap();
    let impostor = Key::hmac(
        Algorithm::HS256,
        &pem(der.as_ref(), true),
        Some(RSA_KID.into()),
    )
    .unwrap();
    let err = KeySet::verify_only([public, impostor]).unwrap_err();
    assert_eq!(err.rule(), "malformed_key");
    // Same through a JWKS document.
    let jwks = json!({"keys": [jwk, {"kty": "oct", "alg": "HS256", "kid": RSA_KID,
        "k": b64(pem(der.as_ref(), true))}]});
    let err = KeySet::from_jwk_or_jwks(&jwks.to_string(), None, true).unwrap_err();
    assert_eq!(err.rule(), "malformed_key");
    // And an HMAC key has no public half to publish or hand out.
    let err = Key::generate(Algorithm::HS256)
        .unwrap()
        .to_public_only()
        .unwrap_err();
    assert_eq!(err.rule(), "wrong_key_use");
}

// ---------------------------------------------------------------------------------------
// Algorithm substitution among asymmetric algorithms
// ---------------------------------------------------------------------------------------

/// The same key pair re-bound to another algorithm (via its private JWK).
fn rebound(key: &Key, alg: Algorithm) -> Key {
    let mut jwk = private_jwk(key);
    jwk["alg"] = alg.name().into();
    Key::from_jwk_json(&jwk.to_string(), None).unwrap()
}

/// Simulates algorithm substitution: the verifier's key is bound to RS256; a token says
/// PS256, RS384 or RS512 and carries a *genuine* signature by the same RSA key pair under
/// that algorithm. The binding alone refuses it.
#[test]
fn rsa_key_refuses_other_rsa_algorithms() {
    let keys = rsa_verifier();
    for alg in [
        Algorithm::PS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS512,
    ] {
        let other = rebound(&RSA_VICTIM, alg);
        assert_eq!(other.kid(), RSA_KID);
        let token = jwt::sign(&other, Some("at+jwt"), &claims()).unwrap();
        assert_rejected(&keys, &token, "alg_mismatch");
        // Hand-built, without a kid (the set has one key, so it is selected).
        let token = signed_by(&other, header(alg.name(), None), payload());
        assert_rejected(&keys, &token, "alg_mismatch");
    }
}

/// ES256 key; tokens say ES384 / ES512 (signed by keys on those curves) or another family,
/// all under the victim's kid.
#[test]
fn ec_key_refuses_other_algorithms() {
    let (victim, keys) = ec_victim();
    assert_accepted(
        &keys,
        &signed_by(&victim, header("ES256", Some(EC_KID)), payload()),
    );
    for alg in [
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
        Algorithm::HS256,
    ] {
        let attacker = Key::generate(alg).unwrap();
        let token = signed_by(&attacker, header(alg.name(), Some(EC_KID)), payload());
        assert_rejected(&keys, &token, "alg_mismatch");
    }
    // A genuine RS256 signature under the EC kid is refused the same way.
    let token = signed_by(&RSA_VICTIM, header("RS256", Some(EC_KID)), payload());
    assert_rejected(&keys, &token, "alg_mismatch");
}

// ---------------------------------------------------------------------------------------
// ECDSA signature forms
// ---------------------------------------------------------------------------------------

/// The order n of P-256.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Simulates "psychic signatures" (CVE-2022-21449): r = s = 0 verifies against anything in
/// a broken verifier. Also r = 0, s = 1, and r = s = n (zero modulo the order).
#[test]
fn ecdsa_zero_signatures_are_bad() {
    let (_, keys) = ec_victim();
    let header = header("ES256", Some(EC_KID));
    let mut zero_one = [0u8; 64];
    zero_one[63] = 1;
    let mut one_zero = [0u8; 64];
    one_zero[31] = 1;
    let order_twice = [P256_ORDER, P256_ORDER].concat();
    for signature in [&[0u8; 64][..], &zero_one, &one_zero, &order_twice] {
        let token = with_signature(&header, payload(), signature);
        assert_rejected(&keys, &token, "bad_signature");
    }
}

/// Simulates a verifier that accepts ASN.1 DER signatures where JWS requires fixed
/// `r || s`: a genuine DER signature by the victim's own key is refused.
#[test]
fn ecdsa_der_signature_is_refused() {
    let (victim, keys) = ec_victim();
    let jwk = private_jwk(&victim);
    let mut point = vec![0x04];
    point.extend(jwk_member(&jwk, "x"));
    point.extend(jwk_member(&jwk, "y"));
    let pair = sig::EcdsaKeyPair::from_private_key_and_public_key(
        &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
        &jwk_member(&jwk, "d"),
        &point,
    )
    .unwrap();
    let header = header("ES256", Some(EC_KID));
    let input = signing_input(&header, payload());
    let der = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    assert_eq!(der.as_ref()[0], 0x30, "a DER SEQUENCE");
    // The same key in fixed form is accepted: only the encoding is wrong.
    assert_accepted(&keys, &signed_by(&victim, &header, payload()));
    let token = format!("{input}.{}", b64(der.as_ref()));
    assert_rejected(&keys, &token, "bad_signature");
}

/// ES256 signatures must be exactly 64 bytes: a valid one with a byte appended, with its
/// last byte cut, doubled, or r alone is refused; an empty one is malformed.
#[test]
fn ecdsa_signature_of_wrong_length_is_bad() {
    let (victim, keys) = ec_victim();
    let header = header("ES256", Some(EC_KID));
    let input = signing_input(&header, payload());
    let good = victim.sign(input.as_bytes()).unwrap();
    assert_eq!(good.len(), 64);
    assert_accepted(&keys, &format!("{input}.{}", b64(&good)));
    let appended = [&good[..], &[0]].concat();
    let prepended = [&[0], &good[..]].concat();
    let doubled = [&good[..], &good[..]].concat();
    for signature in [
        &appended[..],
        &prepended,
        &good[..63],
        &good[..32],
        &doubled,
    ] {
        let token = format!("{input}.{}", b64(signature));
        assert_rejected(&keys, &token, "bad_signature");
    }
    assert_rejected(&keys, &format!("{input}."), "malformed");
}

// ---------------------------------------------------------------------------------------
// Keys the token tries to bring along
// ---------------------------------------------------------------------------------------

/// Simulates CVE-2018-0114-style embedded keys: the header carries the attacker's own
/// public key in `jwk` and the token is signed by the attacker. The embedded key is never
/// used: under the victim's kid (or none, in a one-key set) the victim's key checks the
/// signature and refuses it; under the attacker's own kid there is no such key.
#[test]
fn embedded_jwk_is_never_used() {
    let (victim, keys) = ec_victim();
    let attacker = Key::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("attacker");
    let embedded = attacker.public_jwk().unwrap();
    for kid in [Some(EC_KID), None] {
        let mut header = json!({"alg": "ES256", "typ": "at+jwt", "jwk": embedded});
        if let Some(kid) = kid {
            header["kid"] = kid.into();
        }
        let token = signed_by(&attacker, header.to_string(), payload());
        assert_rejected(&keys, &token, "bad_signature");
    }
    let header = json!({"alg": "ES256", "kid": "attacker", "typ": "at+jwt", "jwk": embedded});
    let token = signed_by(&attacker, header.to_string(), payload());
    assert_rejected(&keys, &token, "unknown_kid");

    // With two keys in the set, a kid-less token selects none of them.
    let other = Key::generate(Algorithm::ES256).unwrap().with_kid("ec-2");
    let two = KeySet::verify_only([
        victim.to_public_only().unwrap(),
        other.to_public_only().unwrap(),
    ])
    .unwrap();
    let header = json!({"alg": "ES256", "typ": "at+jwt", "jwk": embedded});
    let token = signed_by(&attacker, header.to_string(), payload());
    assert_rejected(&two, &token, "unknown_kid");

    // An embedded symmetric key (`kty: oct`) with an HS256 tag under it fares no better.
    let secret = [0x41u8; 32];
    let header = json!({"alg": "HS256", "kid": EC_KID, "typ": "at+jwt",
        "jwk": {"kty": "oct", "k": b64(secret)}});
    let token = hmac_signed(Algorithm::HS256, &secret, &header.to_string(), &payload());
    assert_rejected(&keys, &token, "alg_mismatch");
}

/// A listener on a loopback port that counts every connection made to it.
struct Tripwire {
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Tripwire {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (hits, stop) = (Arc::clone(&hits), Arc::clone(&stop));
            thread::spawn(move || {
                loop {
                    // Read the flag before accepting, so the last accept runs after it was
                    // raised and sees every connection made before.
                    let stopping = stop.load(Ordering::SeqCst);
                    match listener.accept() {
                        Ok(_) => {
                            hits.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            if stopping {
                                break;
                            }
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(e) => panic!("tripwire accept failed: {e}"),
                    }
                }
            })
        };
        Self {
            port,
            hits,
            stop,
            thread,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// Stops the listener and returns how many connections it saw.
    fn finish(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        self.hits.load(Ordering::SeqCst)
    }
}

/// Simulates key-URL injection (`jku`, `x5u`) and a junk certificate chain (`x5c`): the
/// header points at an attacker-controlled JWKS on a loopback server. Verification refuses
/// the token, and the server never sees a connection: nothing in a header is fetched.
#[test]
fn jku_x5u_and_x5c_are_never_fetched_or_trusted() {
    let wire = Tripwire::start();
    let (victim, keys) = ec_victim();
    let attacker = Key::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("attacker");
    let other = Key::generate(Algorithm::ES256).unwrap().with_kid("ec-2");
    let two = KeySet::verify_only([
        victim.to_public_only().unwrap(),
        other.to_public_only().unwrap(),
    ])
    .unwrap();

    let jwks_url = wire.url("jwks.json");
    let cert_url = wire.url("cert.pem");
    let variants = [
        json!({"jku": jwks_url}),
        json!({"x5u": cert_url}),
        json!({"jku": jwks_url, "x5u": cert_url}),
        json!({"x5c": ["not a certificate", "!!!"]}),
        json!({"x5c": "junk"}),
        json!({"x5c": [b64(b"\x30\x82\xff\xff junk der")], "x5t": "junk", "x5t#S256": 7}),
        json!({"jku": jwks_url, "jwk": attacker.public_jwk().unwrap()}),
    ];
    for extra in &variants {
        let mut header = json!({"alg": "ES256", "typ": "at+jwt"});
        for (name, value) in extra.as_object().unwrap() {
            header[name] = value.clone();
        }
        // No kid, one-key set: the victim's key checks (and refuses) the signature.
        let token = signed_by(&attacker, header.to_string(), payload());
        assert_rejected(&keys, &token, "bad_signature");
        // No kid, two-key set: no key is selected.
        assert_rejected(&two, &token, "unknown_kid");
        // The victim's kid: refused by the victim's key.
        header["kid"] = EC_KID.into();
        let token = signed_by(&attacker, header.to_string(), payload());
        assert_rejected(&keys, &token, "bad_signature");
        // The kid the attacker's JWKS would serve: no such key here.
        header["kid"] = "attacker".into();
        let token = signed_by(&attacker, header.to_string(), payload());
        assert_rejected(&keys, &token, "unknown_kid");
    }

    thread::sleep(Duration::from_millis(200));
    assert_eq!(
        wire.hits.load(Ordering::SeqCst),
        0,
        "a header URL was fetched"
    );
    // Control: the tripwire was live and would have counted a fetch.
    drop(TcpStream::connect(("127.0.0.1", wire.port)).unwrap());
    assert_eq!(wire.finish(), 1);
}

// ---------------------------------------------------------------------------------------
// kid injection
// ---------------------------------------------------------------------------------------

/// Simulates kid path traversal and injection: a verifier that opens `kid` as a file
/// (`/dev/null` gives an empty HMAC secret) or puts it in SQL. Keycard only compares the
/// kid with its own, so each is simply unknown, whatever the token is signed with.
#[test]
fn kid_traversal_and_injection_are_unknown_kids() {
    let (signer, keys) = hs_victim();
    for kid in [
        "../../../../dev/null",
        "/dev/null",
        "/etc/passwd",
        "../../../../etc/passwd",
        "' OR 1=1 --",
        "hs-1' --",
        "hs-1\u{0}",
        "hs-1\u{0}../../dev/null",
        "\u{0}",
        "",
        "HS-1",
        "hs-1 ",
        "hs–1",
    ] {
        let header = header("HS256", Some(kid));
        for secret in [&b""[..], &[0u8; 32], &HS_SECRET] {
            let token = hmac_signed(Algorithm::HS256, secret, &header, &payload());
            assert_rejected(&keys, &token, "unknown_kid");
        }
        // Even a genuine signature by the victim's key does not make the kid known.
        assert_rejected(
            &keys,
            &signed_by(&signer, &header, payload()),
            "unknown_kid",
        );
    }
}

/// A 4 KiB kid is just an unknown kid; a kid that pushes the token over the 8 KiB cap is
/// refused before anything is decoded.
#[test]
fn huge_kid_is_unknown_or_too_large() {
    let (_, keys) = hs_victim();
    let kid = "k".repeat(4096);
    let token = hmac_signed(
        Algorithm::HS256,
        &[1; 32],
        &header("HS256", Some(&kid)),
        &payload(),
    );
    assert!(token.len() <= MAX);
    assert_rejected(&keys, &token, "unknown_kid");
    let kid = "k".repeat(7 * 1024);
    let token = hmac_signed(
        Algorithm::HS256,
        &[1; 32],
        &header("HS256", Some(&kid)),
        &payload(),
    );
    assert!(token.len() > MAX);
    assert_rejected(&keys, &token, "too_large");
}

// ---------------------------------------------------------------------------------------
// Duplicate member names
// ---------------------------------------------------------------------------------------

/// Simulates parser differentials on repeated header members (first-wins vs last-wins):
/// `{"alg":"HS256","alg":"none"}` and the reverse, genuinely signed by the victim's key.
#[test]
fn duplicate_header_members_are_malformed() {
    let (signer, keys) = hs_victim();
    for header in [
        r#"{"alg":"HS256","alg":"none"}"#,
        r#"{"alg":"none","alg":"HS256"}"#,
        r#"{"alg":"HS256","kid":"hs-1","alg":"HS256","typ":"at+jwt"}"#,
        r#"{"alg":"HS256","kid":"other","kid":"hs-1","typ":"at+jwt"}"#,
        r#"{"alg":"HS256","kid":"hs-1","typ":"JWT","typ":"at+jwt"}"#,
        r#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","crit":["b64"],"b64":true,"b64":false}"#,
        // Nested: inside an ignored member, at any depth.
        r#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","jwk":{"kty":"oct","kty":"RSA"}}"#,
        r#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","x":[{"a":{"b":1,"b":2}}]}"#,
        // Escaped names that decode to the same member.
        r#"{"alg":"HS256","\u0061lg":"none"}"#,
        r#"{"\u0061\u006c\u0067":"none","alg":"HS256"}"#,
        r#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","\u006bid":"x"}"#,
    ] {
        assert_rejected(&keys, &signed_by(&signer, header, payload()), "malformed");
        assert_rejected(&keys, &with_signature(header, payload(), b""), "malformed");
    }
}

/// Repeated claims under a valid signature: `exp` twice (one past, one future, in both
/// orders), `aud`/`iss`/`sub` twice, nested duplicates, and `exp` with `\u0065xp`.
#[test]
fn duplicate_claims_are_malformed() {
    let (signer, keys) = hs_victim();
    let header = header("HS256", Some(HS_KID));
    let past = NOW_SECS - 3600;
    let future = NOW_SECS + 3600;
    let common = format!(r#""iss":"{ISS}","aud":"{AUD}","sub":"u""#);
    for claims in [
        format!(r#"{{{common},"exp":{past},"exp":{future}}}"#),
        format!(r#"{{{common},"exp":{future},"exp":{past}}}"#),
        format!(r#"{{{common},"exp":{future},"\u0065xp":{past}}}"#),
        format!(r#"{{{common},"\u0065\u0078\u0070":{past},"exp":{future}}}"#),
        format!(r#"{{{common},"exp":{future},"aud":"other"}}"#),
        format!(r#"{{{common},"exp":{future},"iss":"https://evil.example"}}"#),
        format!(r#"{{{common},"exp":{future},"sub":"admin"}}"#),
        format!(r#"{{{common},"exp":{future},"roles":["user"],"roles":["admin"]}}"#),
        format!(r#"{{{common},"exp":{future},"ctx":{{"role":"user","role":"admin"}}}}"#),
        format!(r#"{{{common},"exp":{future},"ctx":[{{"a":[{{"b":1,"\u0062":2}}]}}]}}"#),
    ] {
        let token = signed_by(&signer, &header, &claims);
        // The JWS layer does not read claims; the signature is genuine.
        jws::verify(&keys, &token, MAX).unwrap();
        assert_claims_rejected(&keys, &token, "malformed");
    }
}

// ---------------------------------------------------------------------------------------
// Encoding and shape
// ---------------------------------------------------------------------------------------

/// A victim-signed token whose header, payload and signature each contain `-` or `_`, so
/// each can be rewritten in the standard alphabet.
fn token_with_url_safe_chars(signer: &Key) -> (String, String, String) {
    // "??????" encodes to "Pz8_Pz8_" whatever its alignment within a 3-byte group.
    let header = r#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","pad":"??????"}"#.to_owned();
    for nonce in 0u32.. {
        let mut claims = claims();
        claims["pad"] = "??????".into();
        claims["nonce"] = nonce.into();
        let claims = claims.to_string();
        let token = signed_by(signer, &header, &claims);
        if parts(&token).iter().all(|p| p.contains(['-', '_'])) {
            return (token, header, claims);
        }
    }
    unreachable!()
}

/// Simulates lenient base64 decoders: padding, the standard alphabet, embedded white space
/// and non-zero trailing bits, in each part. Header and signature are refused as malformed
/// outright; in the payload, the signature covers the exact text, so the victim's own
/// signature over the non-canonical text is needed to reach the decoder, which refuses it.
#[test]
fn non_canonical_base64url_in_any_part_is_malformed() {
    let (signer, keys) = hs_victim();
    let (token, header, claims) = token_with_url_safe_chars(&signer);
    assert_accepted(&keys, &token);
    let [h, p, s] = parts(&token);
    assert_ne!(h.len() % 4, 0, "header needs a partial final group");

    let std_alphabet = |part: &str| part.replace('-', "+").replace('_', "/");
    let rewrites: [fn(&str) -> String; 6] = [
        |part| format!("{part}="),                        // padding
        |part| format!("{part}=="),                       // double padding
        |part| format!("{} {}", &part[..4], &part[4..]),  // a space inside
        |part| format!("{}\n{}", &part[..4], &part[4..]), // a newline inside
        |part| format!("{part}\r\n"),                     // CRLF at the end
        |part| format!("\t{part}"),                       // a tab at the start
    ];
    for rewrite in rewrites {
        // Header: refused before any key is looked up.
        assert_rejected(&keys, &format!("{}.{p}.{s}", rewrite(h)), "malformed");
        // Signature: refused before it is checked.
        assert_rejected(&keys, &format!("{h}.{p}.{}", rewrite(s)), "malformed");
        // Payload, not re-signed: the signing input changed.
        assert_rejected(&keys, &format!("{h}.{}.{s}", rewrite(p)), "bad_signature");
        // Payload, re-signed by the victim over the altered text: the decoder refuses it.
        let resigned = sign_raw_input(&signer, &format!("{h}.{}", rewrite(p)));
        assert_rejected(&keys, &resigned, "malformed");
    }
    // The standard alphabet ('+' and '/').
    assert_rejected(&keys, &format!("{}.{p}.{s}", std_alphabet(h)), "malformed");
    assert_rejected(&keys, &format!("{h}.{p}.{}", std_alphabet(s)), "malformed");
    let resigned = sign_raw_input(&signer, &format!("{h}.{}", std_alphabet(p)));
    assert_rejected(&keys, &resigned, "malformed");

    // Stray trailing bits: every part ends in a partial group here.
    let header = ragged(&header);
    let claims = ragged(&claims);
    let token = signed_by(&signer, &header, &claims);
    assert_accepted(&keys, &token);
    let [h, p, s] = parts(&token);
    assert_eq!(s.len(), 43, "an HS256 tag has 2 trailing bits");
    assert_rejected(
        &keys,
        &format!("{}.{p}.{s}", with_stray_bits(h)),
        "malformed",
    );
    assert_rejected(
        &keys,
        &format!("{h}.{p}.{}", with_stray_bits(s)),
        "malformed",
    );
    assert_rejected(
        &keys,
        &format!("{h}.{}.{s}", with_stray_bits(p)),
        "bad_signature",
    );
    let resigned = sign_raw_input(&signer, &format!("{h}.{}", with_stray_bits(p)));
    assert_rejected(&keys, &resigned, "malformed");
}

/// Anything but exactly three parts: extra parts (JWE-like five), missing parts, empty
/// parts, the empty string.
#[test]
fn wrong_number_of_parts_is_malformed() {
    let (signer, keys) = hs_victim();
    let token = signed_by(&signer, header("HS256", Some(HS_KID)), payload());
    assert_accepted(&keys, &token);
    let [h, p, s] = parts(&token);
    for bad in [
        format!("{token}."),
        format!(".{token}"),
        format!("{token}.{s}"),
        format!("{h}.{p}.{p}.{s}"),
        format!("{h}.{p}.{s}.{s}.{s}"),
        format!("{h}..{p}.{s}"),
        format!("{h}.{p}"),
        format!("{h}.{p}."),
        format!(".{p}.{s}"),
        h.to_owned(),
        format!("{h}{p}{s}"),
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        "....".into(),
    ] {
        assert_rejected(&keys, &bad, "malformed");
    }
    // An empty payload is three parts (the detached-content shape): the signature no longer
    // covers the input; re-signed by the victim, the JWS layer allows an empty payload but
    // it is no JWT.
    assert_rejected(&keys, &format!("{h}..{s}"), "bad_signature");
    let empty = sign_raw_input(&signer, &format!("{h}."));
    assert!(jws::verify(&keys, &empty, MAX).unwrap().payload.is_empty());
    assert_claims_rejected(&keys, &empty, "malformed");
}

/// Simulates resource exhaustion: a token one byte over the cap is refused before any
/// decoding, whatever it contains; the cap is configurable.
#[test]
fn oversize_tokens_are_too_large() {
    let (signer, keys) = hs_victim();
    for junk in [
        "a".repeat(MAX + 1),
        ".".repeat(MAX + 1),
        "\u{0}".repeat(MAX + 1),
    ] {
        assert_rejected(&keys, &junk, "too_large");
    }
    assert_rejected(&keys, &"a".repeat(MAX), "malformed");

    // A genuine token padded to exactly the cap is accepted; one byte more is refused.
    // Base64 lengths skip every value 1 mod 4, so the header is padded too until some
    // combination lands exactly on the cap.
    let fill = |header_pad: usize, extra: usize| {
        let mut claims = claims();
        claims["pad"] = "x".repeat(extra).into();
        let header = format!(
            r#"{{"alg":"HS256","kid":"hs-1","typ":"at+jwt"{}}}"#,
            " ".repeat(header_pad)
        );
        signed_by(&signer, header, claims.to_string())
    };
    let at_cap = (0..3)
        .find_map(|header_pad| {
            let start = (MAX - fill(header_pad, 0).len()) * 3 / 4 - 4;
            (start..)
                .map(|extra| fill(header_pad, extra))
                .find(|token| token.len() >= MAX)
                .filter(|token| token.len() == MAX)
        })
        .unwrap();
    assert_accepted(&keys, &at_cap);
    let [h, p, s] = parts(&at_cap);
    let over = format!("{h}.{p}.{s}A");
    assert_eq!(over.len(), MAX + 1);
    assert_rejected(&keys, &over, "too_large");

    // The configured cap, at both layers.
    let token = signed_by(&signer, header("HS256", Some(HS_KID)), payload());
    let small = rules().with_max_token_bytes(token.len() - 1);
    assert_eq!(small.max_token_bytes(), token.len() - 1);
    assert_jwt_rejected(&small, &keys, &token, "too_large");
    rules()
        .with_max_token_bytes(token.len())
        .verify(&keys, &token, NOW)
        .unwrap();
    let err = jws::verify(&keys, &token, token.len() - 1).unwrap_err();
    assert_eq!(
        err,
        TokenError::TooLarge {
            size: token.len(),
            limit: token.len() - 1
        }
    );
    let err = jws::decode_unverified(&token, 16).unwrap_err();
    assert_eq!(err.rule(), "too_large");
}

// ---------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------

/// Simulates type confusion in NumericDate claims: a string of digits, null, an array, an
/// object, a boolean, numbers beyond i64 or beyond f64. Each is malformed (never "absent",
/// never read as a number), for `exp`, `nbf` and `iat`, under a genuine signature.
#[test]
fn dates_of_the_wrong_type_or_range_are_malformed() {
    let (signer, keys) = hs_victim();
    let header = header("HS256", Some(HS_KID));
    for value in [
        r#""9999999999""#,
        "null",
        "[9999999999]",
        "[]",
        r#"{"$date":9999999999}"#,
        "{}",
        "true",
        "1e400",
        "-1e400",
        "1e300",
        "9223372036854775808",
        "18446744073709551616",
        "99999999999999999999999999999",
    ] {
        for name in ["exp", "nbf", "iat"] {
            let exp = if name == "exp" {
                String::new()
            } else {
                format!(r#","exp":{}"#, NOW_SECS + 600)
            };
            let claims = format!(r#"{{"iss":"{ISS}","aud":"{AUD}"{exp},"{name}":{value}}}"#);
            let token = signed_by(&signer, &header, &claims);
            assert_claims_rejected(&keys, &token, "malformed");
        }
    }
    // Missing exp is its own rule.
    let claims = json!({"iss": ISS, "aud": AUD, "sub": "u"}).to_string();
    let token = signed_by(&signer, &header, &claims);
    let err = rules().verify(&keys, &token, NOW).unwrap_err();
    assert_eq!(err, TokenError::MissingClaim("exp"));
    assert_eq!(err.rule(), "missing_claim");
}

/// A token signed by the victim with these date claims (plus iss and aud).
fn dated(signer: &Key, dates: &Value) -> String {
    let mut claims = json!({"iss": ISS, "aud": AUD, "sub": "u"});
    for (name, value) in dates.as_object().unwrap() {
        claims[name] = value.clone();
    }
    signed_by(signer, header("HS256", Some(HS_KID)), claims.to_string())
}

/// Simulates replay after expiry and use before validity, at a fixed instant, on both
/// sides of the leeway boundary, with 30 s (the default) and 0 s of leeway.
#[test]
fn time_rules_hold_exactly_at_the_leeway_boundary() {
    let (signer, keys) = hs_victim();
    let far = NOW_SECS + 3600;
    for (leeway, validation) in [
        (30, rules()),
        (30, rules().with_leeway_secs(30)),
        (0, rules().with_leeway_secs(0)),
        (0, rules().with_leeway_secs(-100)),
    ] {
        let ok = |dates: Value| {
            validation
                .verify(&keys, &dated(&signer, &dates), NOW)
                .unwrap();
        };
        let err = |dates: Value, rule: &str| {
            assert_jwt_rejected(&validation, &keys, &dated(&signer, &dates), rule);
        };
        // exp: accepted strictly before exp + leeway.
        ok(json!({"exp": NOW_SECS - leeway + 1}));
        err(json!({"exp": NOW_SECS - leeway}), "expired");
        err(json!({"exp": NOW_SECS - leeway - 1}), "expired");
        err(json!({"exp": 0}), "expired");
        err(json!({"exp": i64::MIN}), "expired");
        // nbf: accepted up to now + leeway.
        ok(json!({"exp": far, "nbf": NOW_SECS + leeway}));
        err(
            json!({"exp": far, "nbf": NOW_SECS + leeway + 1}),
            "not_yet_valid",
        );
        err(json!({"exp": far, "nbf": i64::MAX}), "not_yet_valid");
        // iat: accepted up to now + leeway.
        ok(json!({"exp": far, "iat": NOW_SECS + leeway}));
        err(
            json!({"exp": far, "iat": NOW_SECS + leeway + 1}),
            "issued_in_future",
        );
        err(json!({"exp": far, "iat": i64::MAX}), "issued_in_future");
    }
}

// ---------------------------------------------------------------------------------------
// Issuer, audience, type
// ---------------------------------------------------------------------------------------

/// Simulates tokens minted by another issuer or for another service, presented here.
#[test]
fn issuer_and_audience_must_match_exactly() {
    let (signer, keys) = hs_victim();
    let header = header("HS256", Some(HS_KID));
    let token = |change: Value| {
        let mut claims = claims();
        for (name, value) in change.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        signed_by(&signer, &header, claims.to_string())
    };
    assert_accepted(&keys, &token(json!({})));
    assert_accepted(&keys, &token(json!({"aud": ["other", AUD]})));
    for (change, rule) in [
        (json!({"iss": "https://evil.example"}), "wrong_issuer"),
        (json!({"iss": "https://auth.example/"}), "wrong_issuer"),
        (json!({"iss": "HTTPS://AUTH.EXAMPLE"}), "wrong_issuer"),
        (json!({"iss": ""}), "wrong_issuer"),
        (json!({"iss": null}), "missing_claim"),
        (json!({"aud": "other"}), "wrong_audience"),
        (json!({"aud": "API"}), "wrong_audience"),
        (json!({"aud": "api "}), "wrong_audience"),
        (json!({"aud": ["other", "API", "apii"]}), "wrong_audience"),
        (json!({"aud": [""]}), "wrong_audience"),
        (json!({"aud": []}), "missing_claim"),
        (json!({"aud": null}), "missing_claim"),
        (json!({"aud": [AUD, 1]}), "malformed"),
        (json!({"aud": {"0": AUD}}), "malformed"),
        (json!({"iss": [ISS]}), "malformed"),
    ] {
        assert_claims_rejected(&keys, &token(change), rule);
    }
    let err = rules().verify(&keys, &token(json!({"iss": null})), NOW);
    assert_eq!(err.unwrap_err(), TokenError::MissingClaim("iss"));
    let err = rules().verify(&keys, &token(json!({"aud": null})), NOW);
    assert_eq!(err.unwrap_err(), TokenError::MissingClaim("aud"));
}

/// Simulates token-type confusion: an ID token (`JWT`), a refresh token or an untyped
/// token, genuinely signed by the issuer, presented as an access token (`at+jwt`).
#[test]
fn typ_confusion_is_wrong_type() {
    let (signer, keys) = hs_victim();
    let typed = |typ: Option<&str>| {
        let mut header = json!({"alg": "HS256", "kid": HS_KID});
        if let Some(typ) = typ {
            header["typ"] = typ.into();
        }
        signed_by(&signer, header.to_string(), payload())
    };
    assert_accepted(&keys, &typed(Some("at+jwt")));
    assert_accepted(&keys, &typed(Some("application/at+jwt")));
    for typ in [
        None,
        Some("JWT"),
        Some("jwt"),
        Some("refresh+jwt"),
        Some("id_token+jwt"),
        Some("at+jwt "),
        Some("at+jwt\u{0}"),
        Some("application/jwt"),
        Some("application/"),
        Some(""),
    ] {
        assert_claims_rejected(&keys, &typed(typ), "wrong_type");
    }
    // Not a string at all.
    let header = format!(r#"{{"alg":"HS256","kid":"{HS_KID}","typ":["at+jwt"]}}"#);
    assert_rejected(&keys, &signed_by(&signer, header, payload()), "malformed");
    // The right type and key, but minted for another audience.
    let mut claims = claims();
    claims["aud"] = "billing".into();
    let token = jwt::sign(&signer, Some("at+jwt"), &claims).unwrap();
    assert_claims_rejected(&keys, &token, "wrong_audience");
}

// ---------------------------------------------------------------------------------------
// crit and b64
// ---------------------------------------------------------------------------------------

/// Simulates extensions a verifier must understand (RFC 7515 section 4.1.11): empty
/// `crit`, unknown names, names absent from the header, and a `crit` of the wrong type.
#[test]
fn crit_rules() {
    let (signer, keys) = hs_victim();
    let base = r#""alg":"HS256","kid":"hs-1","typ":"at+jwt""#;
    let accepted = format!(r#"{{{base},"crit":["b64"],"b64":true}}"#);
    assert_accepted(&keys, &signed_by(&signer, accepted, payload()));
    for (extra, rule) in [
        (r#""crit":[]"#, "unsupported_crit"),
        (r#""crit":["exp"],"exp":1"#, "unsupported_crit"),
        (r#""crit":["urn:example:unknown"]"#, "unsupported_crit"),
        (r#""crit":["b64"]"#, "unsupported_crit"),
        (r#""crit":["b64","x"],"b64":true,"x":1"#, "unsupported_crit"),
        (r#""crit":["alg"]"#, "unsupported_crit"),
        (r#""crit":"b64","b64":true"#, "malformed"),
        (r#""crit":[1]"#, "malformed"),
        (r#""crit":null"#, "malformed"),
        (r#""crit":{"b64":true}"#, "malformed"),
        (r#""crit":["b64"],"b64":"false""#, "malformed"),
    ] {
        let header = format!("{{{base},{extra}}}");
        assert_rejected(&keys, &signed_by(&signer, &header, payload()), rule);
    }
}

/// Simulates RFC 7797 unencoded payloads, where the payload is signed as raw bytes: never
/// accepted, with or without `crit`, even when the signature is computed that way.
#[test]
fn b64_false_is_unencoded_payload() {
    let (signer, keys) = hs_victim();
    for header in [
        r#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","b64":false,"crit":["b64"]}"#,
        r#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","b64":false}"#,
    ] {
        assert_rejected(
            &keys,
            &signed_by(&signer, header, payload()),
            "unencoded_payload",
        );
        // The RFC 7797 form: signature over `b64(header).payload`, payload detached.
        let input = format!("{}.{}", b64(header), payload());
        let signature = signer.sign(input.as_bytes()).unwrap();
        let detached = format!("{}..{}", b64(header), b64(signature));
        assert_rejected(&keys, &detached, "unencoded_payload");
    }
}

// ---------------------------------------------------------------------------------------
// Header and claims that are not JSON objects
// ---------------------------------------------------------------------------------------

/// Header and claims that are not a single UTF-8 JSON object: arrays, strings, numbers,
/// invalid UTF-8 inside a string, a byte-order mark, trailing garbage, a second object.
#[test]
fn non_object_or_invalid_json_is_malformed() {
    let (signer, keys) = hs_victim();
    let good_header = header("HS256", Some(HS_KID));
    // An object with a member `x` whose string value holds these raw bytes.
    let with_string = |raw: &[u8]| {
        [
            &br#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt","x":""#[..],
            raw,
            b"\"}",
        ]
        .concat()
    };
    let object = br#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt"}"#;
    let bad_json: Vec<Vec<u8>> = vec![
        b"[]".to_vec(),
        br#"["alg","HS256"]"#.to_vec(),
        br#""HS256""#.to_vec(),
        b"1".to_vec(),
        b"null".to_vec(),
        b"".to_vec(),
        b" ".to_vec(),
        // Invalid UTF-8 inside a string: a lone continuation byte, an overlong '/', a
        // surrogate encoded as UTF-8, a truncated sequence.
        with_string(b"\xff"),
        with_string(b"\xc0\xaf"),
        with_string(b"\xed\xa0\x80"),
        with_string(b"\xe2\x82"),
        // A raw control character inside a string.
        with_string(b"\x00"),
        // A UTF-8 byte-order mark before the object.
        [&b"\xef\xbb\xbf"[..], object].concat(),
        // Trailing garbage, a second object, a trailing comma or NUL, a missing brace.
        [&object[..], b" x"].concat(),
        [&object[..], b"{}"].concat(),
        [&object[..], b","].concat(),
        [&object[..], b"\x00"].concat(),
        br#"{"alg":"HS256","kid":"hs-1","typ":"at+jwt",}"#.to_vec(),
        br#"{'alg':'HS256'}"#.to_vec(),
        object[..object.len() - 1].to_vec(),
    ];
    for json in &bad_json {
        // As the header.
        assert_rejected(&keys, &signed_by(&signer, json, payload()), "malformed");
        // As the claims, under a genuine signature and a good header.
        let token = signed_by(&signer, &good_header, json);
        assert_claims_rejected(&keys, &token, "malformed");
    }
    // The same faults around otherwise valid claims.
    let claims = payload().into_bytes();
    let open = &claims[..claims.len() - 1];
    for json in [
        [open, b",\"x\":\"\xff\"}"].concat(),
        [open, b",\"x\":\"\x00\"}"].concat(),
        [&claims[..], b" trailing"].concat(),
        [&b"\xef\xbb\xbf"[..], &claims].concat(),
    ] {
        let token = signed_by(&signer, &good_header, &json);
        assert_claims_rejected(&keys, &token, "malformed");
    }
}

// ---------------------------------------------------------------------------------------
// Key selection
// ---------------------------------------------------------------------------------------

/// Simulates key-selection games in a set of several keys: an unknown kid, and no kid (so
/// the verifier would have to try every key, letting the token pick) are both refused.
#[test]
fn kid_must_select_exactly_one_key() {
    let a = Key::generate(Algorithm::EdDSA).unwrap().with_kid("a");
    let b = Key::generate(Algorithm::ES256).unwrap().with_kid("b");
    let keys = KeySet::verify_only([
        a.to_public_only().unwrap(),
        b.to_public_only().unwrap(),
        Key::hmac(Algorithm::HS256, &HS_SECRET, Some("c".into())).unwrap(),
    ])
    .unwrap();
    assert_accepted(&keys, &signed_by(&a, header("EdDSA", Some("a")), payload()));
    assert_accepted(&keys, &signed_by(&b, header("ES256", Some("b")), payload()));
    for (signer, alg) in [(&a, "EdDSA"), (&b, "ES256")] {
        assert_rejected(
            &keys,
            &signed_by(signer, header(alg, None), payload()),
            "unknown_kid",
        );
        for kid in ["d", "A", "a ", "ab", "*", ""] {
            let token = signed_by(signer, header(alg, Some(kid)), payload());
            assert_rejected(&keys, &token, "unknown_kid");
        }
    }
    // The right kid with another key's algorithm.
    let token = signed_by(&a, header("EdDSA", Some("b")), payload());
    assert_rejected(&keys, &token, "alg_mismatch");
    // The kid must be a string.
    for kid in ["1", "null", "[\"a\"]", "{\"a\":1}"] {
        let header = format!(r#"{{"alg":"EdDSA","kid":{kid},"typ":"at+jwt"}}"#);
        assert_rejected(&keys, &signed_by(&a, header, payload()), "malformed");
    }
}

// ---------------------------------------------------------------------------------------
// Key import
// ---------------------------------------------------------------------------------------

/// Imports must refuse keys declared for encryption (`use: enc`, `key_ops` without
/// `verify`).
#[test]
fn jwk_for_encryption_is_wrong_key_use() {
    let k = b64([7u8; 32]);
    for extra in [
        json!({"use": "enc"}),
        json!({"use": "SIG"}),
        json!({"use": ""}),
        json!({"key_ops": ["encrypt"]}),
        json!({"key_ops": ["encrypt", "decrypt"]}),
        json!({"key_ops": ["sign"]}),
        json!({"key_ops": []}),
        json!({"key_ops": ["wrapKey", "unwrapKey"]}),
        json!({"use": "enc", "key_ops": ["sign", "verify"]}),
    ] {
        let mut jwk = json!({"kty": "oct", "alg": "HS256", "k": k});
        for (name, value) in extra.as_object().unwrap() {
            jwk[name] = value.clone();
        }
        let err = Key::from_jwk_json(&jwk.to_string(), None).unwrap_err();
        assert_eq!(err.rule(), "wrong_key_use", "{jwk}");
    }
    // Same for an asymmetric public key.
    let mut public = RSA_VICTIM.public_jwk().unwrap();
    public["use"] = "enc".into();
    let err = Key::from_jwk_json(&public.to_string(), None).unwrap_err();
    assert_eq!(err.rule(), "wrong_key_use");
}

/// HMAC secrets shorter than the hash output are weak: 31/47/63 bytes, directly and as JWK.
#[test]
fn short_hmac_secrets_are_weak_keys() {
    for (alg, min) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        for len in [0, 1, 16, min - 1] {
            let secret = vec![0x33u8; len];
            let err = Key::hmac(alg, &secret, None).unwrap_err();
            assert_eq!(err.rule(), "weak_key", "{alg} {len}");
            let jwk = json!({"kty": "oct", "alg": alg.name(), "k": b64(&secret)});
            let err = Key::from_jwk_json(&jwk.to_string(), None).unwrap_err();
            assert_eq!(err.rule(), "weak_key", "{alg} {len}");
        }
        assert!(Key::hmac(alg, &vec![0x33u8; min], None).is_ok());
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// RSA moduli under 2048 bits are weak: the 1024- and 1536-bit keys from Wycheproof's
/// published vectors, plain and with the 1024-bit modulus zero-padded to 256 bytes (so its
/// byte length looks like 2048 bits).
#[test]
fn small_rsa_moduli_are_weak_keys() {
    use wycheproof::rsa_oaep::{TestName, TestSet};
    let set = TestSet::load(TestName::RsaMisc).unwrap();
    for bits in [1024, 1536] {
        let group = set
            .test_groups
            .iter()
            .find(|group| group.key_size == bits)
            .unwrap();
        let n = strip_leading_zeros(&group.key.n);
        let e = strip_leading_zeros(&group.key.e);
        assert_eq!(n.len() * 8, bits);
        for alg in ["RS256", "PS256", "RS512"] {
            let jwk = json!({"kty": "RSA", "alg": alg, "use": "sig", "n": b64(n), "e": b64(e)});
            let err = Key::from_jwk_json(&jwk.to_string(), None).unwrap_err();
            assert_eq!(err.rule(), "weak_key", "{bits} {alg}");
        }
        let padded = [&vec![0u8; 256 - n.len()][..], n].concat();
        let jwk = json!({"kty": "RSA", "alg": "RS256", "n": b64(&padded), "e": b64(e)});
        let err = Key::from_jwk_json(&jwk.to_string(), None).unwrap_err();
        assert_eq!(err.rule(), "weak_key", "zero-padded {bits}");
        // Private form (Wycheproof's own JWK members) as well.
        let private = &group.key;
        let jwk = json!({"kty": "RSA", "alg": "RS256", "n": b64(n), "e": b64(e),
            "d": b64(strip_leading_zeros(&private.d)),
            "p": b64(strip_leading_zeros(&private.p)),
            "q": b64(strip_leading_zeros(&private.q)),
            "dp": b64(strip_leading_zeros(&private.d1)),
            "dq": b64(strip_leading_zeros(&private.d2)),
            "qi": b64(strip_leading_zeros(&private.c))});
        let err = Key::from_jwk_json(&jwk.to_string(), None).unwrap_err();
        assert_eq!(err.rule(), "weak_key", "private {bits}");
    }
}

/// A JWK naming `none` (in any spelling) or an algorithm Keycard does not implement.
#[test]
fn jwk_with_alg_none_is_unsupported() {
    for alg in [
        "none", "None", "NONE", "nOnE", "", "HS1", "RS1", "ES256K", "A256GCM",
    ] {
        let jwk = json!({"kty": "oct", "alg": alg, "k": b64([7u8; 32])});
        let err = Key::from_jwk_json(&jwk.to_string(), None).unwrap_err();
        assert_eq!(err.rule(), "unsupported_alg", "{alg:?}");
        assert!(matches!(err, KeyError::UnsupportedAlg(_)));
    }
}

/// Simulates invalid-curve attacks: an EC public key whose point is not on the curve
/// (the origin, and a real point with y altered) is refused at import.
#[test]
fn ec_point_not_on_curve_is_malformed_key() {
    let (victim, _) = ec_victim();
    let jwk = victim.public_jwk().unwrap();
    let mut y = jwk_member(&jwk, "y");
    y[31] ^= 1;
    let x = jwk_member(&jwk, "x");
    for (x, y) in [
        (vec![0u8; 32], vec![0u8; 32]),
        (x.clone(), y),
        (x.clone(), x.clone()),
        (vec![0xffu8; 32], vec![0xffu8; 32]),
    ] {
        let mut bad = jwk.clone();
        bad["x"] = b64(&x).into();
        bad["y"] = b64(&y).into();
        let err = Key::from_jwk_json(&bad.to_string(), None).unwrap_err();
        assert_eq!(err.rule(), "malformed_key", "{bad}");
    }
    // Coordinates of the wrong size for the curve are malformed as well.
    let mut short = jwk.clone();
    short["x"] = b64(&x[1..]).into();
    let err = Key::from_jwk_json(&short.to_string(), None).unwrap_err();
    assert_eq!(err.rule(), "malformed_key");
}

// ---------------------------------------------------------------------------------------
// Opaque tokens
// ---------------------------------------------------------------------------------------

/// Opaque tokens: a wrong prefix, a wrong length, padding, the standard alphabet, stray
/// bits or white space is refused before any lookup; a session token is never a refresh
/// token, and relabelling its prefix changes its digest, so no stored token matches.
#[test]
fn opaque_tokens_refuse_junk_and_kind_confusion() {
    let session = OpaqueToken::generate(OpaqueKind::Session).unwrap();
    let text = session.expose_secret();
    let body = &text[5..];
    let refused = |kind: OpaqueKind, presented: &str| {
        let err = OpaqueToken::parse(kind, presented).unwrap_err();
        assert_eq!(err, NotAnOpaqueToken(kind), "{presented:?}");
    };
    // Control.
    assert_eq!(
        OpaqueToken::parse(OpaqueKind::Session, text)
            .unwrap()
            .digest(),
        session.digest()
    );
    // Kind confusion.
    refused(OpaqueKind::Refresh, text);
    let relabelled = format!("kc_r_{body}");
    let as_refresh = OpaqueToken::parse(OpaqueKind::Refresh, &relabelled).unwrap();
    assert_ne!(as_refresh.digest(), session.digest());
    // Prefixes.
    for bad in [
        body.to_owned(),
        format!("KC_S_{body}"),
        format!("kc_s{body}"),
        format!("kc_x_{body}"),
        format!("kc_s__{body}"),
        format!(" kc_s_{body}"),
    ] {
        refused(OpaqueKind::Session, &bad);
    }
    // Length, padding, white space.
    for bad in [
        String::new(),
        "kc_s_".to_owned(),
        format!("kc_s_{}", &body[..42]),
        format!("kc_s_{body}A"),
        format!("kc_s_{body}AAAA"),
        format!("kc_s_{body}="),
        format!("kc_s_{}=", &body[..42]),
        format!("kc_s_{body}\n"),
        format!("kc_s_{} ", &body[..42]),
        format!("kc_s_{}", "A".repeat(44)),
    ] {
        refused(OpaqueKind::Session, &bad);
    }
    // The standard alphabet and stray trailing bits, on a body that has '-' and '_'.
    let body = b64([0xfb; 32]);
    assert!(body.contains('-') && body.contains('_'));
    OpaqueToken::parse(OpaqueKind::Session, &format!("kc_s_{body}")).unwrap();
    refused(
        OpaqueKind::Session,
        &format!("kc_s_{}", body.replace('-', "+")),
    );
    refused(
        OpaqueKind::Session,
        &format!("kc_s_{}", body.replace('_', "/")),
    );
    let zeros = b64([0u8; 32]);
    OpaqueToken::parse(OpaqueKind::Session, &format!("kc_s_{zeros}")).unwrap();
    refused(
        OpaqueKind::Session,
        &format!("kc_s_{}", with_stray_bits(&zeros)),
    );
}
