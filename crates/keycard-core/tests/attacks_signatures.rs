//! Attack tests on ECDSA signature forms: "psychic" zero signatures, ASN.1 DER where JWS
//! requires fixed `r || s`, and signatures of the wrong length.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/attack_kit.rs"]
mod attack_kit;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature as sig;

use attack_kit::*;

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
