//! Attack tests on the algorithm: `alg: none` in every spelling, HMAC/public-key confusion
//! (a public key used as an HMAC secret), and substitution of another algorithm for the
//! one the verifier's key is bound to. Each is refused under the exact rule it breaks.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/attack_kit.rs"]
mod attack_kit;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
use base64::Engine as _;
use keycard_core::jose::jws;
use keycard_core::jwt;
use keycard_core::{Algorithm, Key, KeySet};
use serde_json::{Value, json};

use attack_kit::*;

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
