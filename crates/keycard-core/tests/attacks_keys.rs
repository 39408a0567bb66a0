//! Attack tests on key import: keys declared for encryption, weak HMAC secrets and RSA
//! moduli, `alg: none` in a JWK, and EC points not on the curve.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/attack_kit.rs"]
mod attack_kit;

use keycard_core::{Algorithm, Key, KeyError};
use serde_json::json;

use attack_kit::*;

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

/// A modulus of no bytes, or of zero bytes only, is a weak key, public or private (afl
/// found that an empty one made the bit count underflow: a panic in a debug build, a
/// wrapped count that passed the size check in a release build).
#[test]
fn empty_and_zero_rsa_moduli_are_weak_keys() {
    for n in ["", "AAAA"] {
        let public = json!({"kty": "RSA", "alg": "RS256", "n": n, "e": "AQAB"});
        let err = Key::from_jwk_json(&public.to_string(), None).unwrap_err();
        assert_eq!(err.rule(), "weak_key", "public, n = {n:?}");
        let private = json!({"kty": "RSA", "alg": "RS256", "n": n, "e": "AQAB",
            "d": "AQAB", "p": "AQAB", "q": "AQAB", "dp": "AQAB", "dq": "AQAB", "qi": "AQAB"});
        let err = Key::from_jwk_json(&private.to_string(), None).unwrap_err();
        assert_eq!(err.rule(), "weak_key", "private, n = {n:?}");
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
