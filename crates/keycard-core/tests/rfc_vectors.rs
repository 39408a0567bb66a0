//! Known-answer tests from the JOSE RFCs, run through keycard-core's own `Key`, `KeySet`
//! and `jose::jws::verify`:
//!
//! - RFC 7515 Appendix A: A.1 (HS256), A.2 (RS256), A.3 (ES256), and A.4 (ES512);
//! - RFC 7520 section 4: 4.1 (RS256), 4.2 (PS384), 4.3 (ES512), 4.4 (HS256), with the keys
//!   of its section 3;
//! - RFC 8037 Appendix A: the Ed25519 key of A.1, its thumbprint (A.3), the signature (A.4).
//!
//! Every vector is copied verbatim from the RFC text; long values are split over lines
//! joined with `concat!` (for RFC 7520, at the RFC's own line breaks). Each token must
//! verify, and must fail with rule `bad_signature` once one signature byte is flipped.
//! Where the algorithm is deterministic (HMAC, RSA PKCS#1 v1.5, Ed25519), signing the
//! published signing input must reproduce the published signature exactly. ECDSA and
//! RSA-PSS use random numbers, so those vectors are only verified.
//!
//! The RFC 7515 tokens are JWTs whose `exp` passed in 2011. The signature tests use
//! `jose::jws::verify` (signature and header rules only); the claim tests use
//! `jwt::Validation` at a fixed `UnixTime` before that `exp`.

use keycard_core::jose::jws::{self, DEFAULT_MAX_TOKEN_BYTES};
use keycard_core::jose::{Jwk, base64url};
use keycard_core::jwt::Validation;
use keycard_core::{Algorithm, Key, KeySet, TokenError, UnixTime};
use serde_json::json;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Imports a JWK, binding it to `alg` when the JWK names none.
fn import(jwk: &str, alg: Option<Algorithm>) -> Key {
    Key::from_jwk_json(jwk, alg)
        .unwrap_or_else(|e| panic!("JWK does not import ({}): {e}\n{jwk}", e.rule()))
}

/// A verify-only set holding `key` alone.
fn set_of(key: Key) -> KeySet {
    KeySet::verify_only([key]).unwrap_or_else(|e| panic!("key set: {e}"))
}

/// The signing input and the signature of a compact JWS.
fn split_signature(token: &str) -> (&str, &str) {
    token
        .rsplit_once('.')
        .unwrap_or_else(|| panic!("not a compact JWS: {token}"))
}

/// The rule a rejected result names; an accepted one fails the test.
fn rule_of<T>(name: &str, result: Result<T, TokenError>) -> &'static str {
    match result {
        Ok(_) => panic!("{name}: accepted, but a rejection was expected"),
        Err(e) => e.rule(),
    }
}

/// `token` with one bit of its signature flipped, still canonical base64url.
fn with_flipped_signature_byte(token: &str) -> String {
    let (signing_input, signature) = split_signature(token);
    let mut signature = base64url::decode(signature)
        .unwrap_or_else(|| panic!("signature is not canonical base64url: {token}"));
    let middle = signature.len() / 2;
    signature[middle] ^= 0x01;
    format!("{signing_input}.{}", base64url::encode(signature))
}

/// The token verifies under `key` (JWS rules and signature only) with exactly `payload`,
/// and the same token with one signature byte flipped fails with `bad_signature`.
fn assert_verifies(name: &str, key: Key, token: &str, payload: &[u8]) {
    let keys = set_of(key);
    let verified = jws::verify(&keys, token, DEFAULT_MAX_TOKEN_BYTES)
        .unwrap_or_else(|e| panic!("{name}: does not verify ({}): {e}", e.rule()));
    assert_eq!(verified.payload, payload, "{name}: payload");

    let forged = with_flipped_signature_byte(token);
    let rule = rule_of(name, jws::verify(&keys, &forged, DEFAULT_MAX_TOKEN_BYTES));
    assert_eq!(rule, "bad_signature", "{name}: flipped signature byte");
}

/// Signing the token's signing input with `key` gives the token's signature byte for byte
/// (for deterministic algorithms only).
fn assert_signs_exactly(name: &str, key: &Key, token: &str) {
    let (signing_input, signature) = split_signature(token);
    let ours = key
        .sign(signing_input.as_bytes())
        .unwrap_or_else(|e| panic!("{name}: cannot sign: {e}"));
    assert_eq!(base64url::encode(ours), signature, "{name}: signature");
}

/// For randomized algorithms: the private key matches its public key (import checks it),
/// and a fresh signature verifies under the public key alone.
fn assert_private_key_signs(name: &str, private: &Key, public: &Key) {
    assert!(private.can_sign(), "{name}: private key cannot sign");
    let message = b"eyJhbGciOiJub25lIn0.a-fresh-signing-input";
    let signature = private
        .sign(message)
        .unwrap_or_else(|e| panic!("{name}: cannot sign: {e}"));
    assert!(
        public.verify(message, &signature),
        "{name}: fresh signature"
    );
}

fn compact(header: &str, payload: &str, signature: &str) -> String {
    format!("{header}.{payload}.{signature}")
}

// ---------------------------------------------------------------------------------------
// RFC 7515 Appendix A
// ---------------------------------------------------------------------------------------

/// RFC 7515 A.1.1, A.2.1, A.3.1: the JWS Payload (with its CR LF line breaks).
const RFC7515_PAYLOAD: &[u8] =
    b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

/// RFC 7515 A.1.1, A.2.1, A.3.1: BASE64URL(JWS Payload).
const RFC7515_PAYLOAD_B64: &str = concat!(
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt",
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
);

/// RFC 7515 A.1.1: the HMAC key, as a JWK (no `alg`).
const RFC7515_A1_JWK: &str = concat!(
    r#"{"kty":"oct","#,
    r#""k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow""#,
    r#"}"#,
);

/// RFC 7515 A.1.1: the complete JWS, header `{"typ":"JWT",\r\n "alg":"HS256"}`.
fn rfc7515_a1_token() -> String {
    compact(
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
        RFC7515_PAYLOAD_B64,
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    )
}

/// RFC 7515 A.2.1: the RSA private key, as a JWK (no `alg`).
fn rfc7515_a2_private_jwk() -> String {
    json!({
        "kty": "RSA",
        "n": concat!(
            "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx",
            "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs",
            "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH",
            "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV",
            "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8",
            "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
        ),
        "e": "AQAB",
        "d": concat!(
            "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97I",
            "jlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0",
            "BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn",
            "439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYT",
            "CBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLh",
            "BOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
        ),
        "p": concat!(
            "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdi",
            "YrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPG",
            "BY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
        ),
        "q": concat!(
            "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxa",
            "ewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA",
            "-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
        ),
        "dp": concat!(
            "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3Q",
            "CLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb",
            "34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
        ),
        "dq": concat!(
            "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7",
            "I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyN",
            "lxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
        ),
        "qi": concat!(
            "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy",
            "26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW",
            "0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U",
        ),
    })
    .to_string()
}

/// RFC 7515 A.2.1: the complete JWS, header `{"alg":"RS256"}`.
fn rfc7515_a2_token() -> String {
    compact(
        "eyJhbGciOiJSUzI1NiJ9",
        RFC7515_PAYLOAD_B64,
        concat!(
            "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7",
            "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4",
            "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K",
            "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv",
            "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB",
            "p0igcN_IoypGlUPQGe77Rw",
        ),
    )
}

/// RFC 7515 A.3.1: the P-256 key, as JWKs (no `alg`).
const RFC7515_A3_PUBLIC_JWK: &str = concat!(
    r#"{"kty":"EC","crv":"P-256","#,
    r#""x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","#,
    r#""y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#,
    r#"}"#,
);
const RFC7515_A3_PRIVATE_JWK: &str = concat!(
    r#"{"kty":"EC","crv":"P-256","#,
    r#""x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","#,
    r#""y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","#,
    r#""d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI""#,
    r#"}"#,
);

/// RFC 7515 A.3.1: the complete JWS, header `{"alg":"ES256"}`.
fn rfc7515_a3_token() -> String {
    compact(
        "eyJhbGciOiJFUzI1NiJ9",
        RFC7515_PAYLOAD_B64,
        concat!(
            "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8I",
            "SlSApmWQxfKTUJqPP3-Kg6NU1Q",
        ),
    )
}

/// RFC 7515 A.4.1: the P-521 key, as JWKs (no `alg`).
const RFC7515_A4_PUBLIC_JWK: &str = concat!(
    r#"{"kty":"EC","crv":"P-521","#,
    r#""x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","#,
    r#""y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2""#,
    r#"}"#,
);
const RFC7515_A4_PRIVATE_JWK: &str = concat!(
    r#"{"kty":"EC","crv":"P-521","#,
    r#""x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","#,
    r#""y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2","#,
    r#""d":"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C""#,
    r#"}"#,
);

/// RFC 7515 A.4.1: the complete JWS, header `{"alg":"ES512"}`, payload "Payload".
fn rfc7515_a4_token() -> String {
    compact(
        "eyJhbGciOiJFUzUxMiJ9",
        "UGF5bG9hZA",
        concat!(
            "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZq",
            "wqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8Kp",
            "EHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn",
        ),
    )
}

/// The RFC 7515 A.1 to A.3 tokens are JWTs: their claims pass `Validation` before `exp`
/// (1300819380) and fail with `expired` after it and the default leeway.
fn assert_rfc7515_claims(name: &str, key: Key, token: &str) {
    let keys = set_of(key);
    let rules = Validation::new();
    let before_exp = UnixTime::from_secs(1_300_819_000);
    let verified = rules
        .verify(&keys, token, before_exp)
        .unwrap_or_else(|e| panic!("{name}: claims ({}): {e}", e.rule()));
    assert_eq!(verified.claims.iss(), Some("joe"), "{name}");
    assert_eq!(
        verified.claims.exp(),
        Some(UnixTime::from_secs(1_300_819_380)),
        "{name}"
    );
    assert_eq!(
        verified.claims_json()["http://example.com/is_root"],
        json!(true),
        "{name}"
    );
    let after_exp = UnixTime::from_secs(1_300_819_380 + 3600);
    let rule = rule_of(name, rules.verify(&keys, token, after_exp));
    assert_eq!(rule, "expired", "{name}");
}

#[test]
fn rfc7515_a1_hs256() {
    let token = rfc7515_a1_token();
    let key = || import(RFC7515_A1_JWK, Some(Algorithm::HS256));
    assert_verifies("RFC 7515 A.1", key(), &token, RFC7515_PAYLOAD);
    assert_signs_exactly("RFC 7515 A.1", &key(), &token);
    assert_rfc7515_claims("RFC 7515 A.1", key(), &token);
}

#[test]
fn rfc7515_a2_rs256() {
    let token = rfc7515_a2_token();
    let private = import(&rfc7515_a2_private_jwk(), Some(Algorithm::RS256));
    let public = || private.to_public_only().expect("RSA has a public half");
    assert_verifies("RFC 7515 A.2", public(), &token, RFC7515_PAYLOAD);
    // RSASSA-PKCS1-v1_5 is deterministic: the private key must give the same signature.
    assert_signs_exactly("RFC 7515 A.2", &private, &token);
    assert_rfc7515_claims("RFC 7515 A.2", public(), &token);
}

#[test]
fn rfc7515_a3_es256() {
    let token = rfc7515_a3_token();
    let public = || import(RFC7515_A3_PUBLIC_JWK, Some(Algorithm::ES256));
    assert_verifies("RFC 7515 A.3", public(), &token, RFC7515_PAYLOAD);
    assert_rfc7515_claims("RFC 7515 A.3", public(), &token);
    let private = import(RFC7515_A3_PRIVATE_JWK, Some(Algorithm::ES256));
    assert_private_key_signs("RFC 7515 A.3", &private, &public());
}

#[test]
fn rfc7515_a4_es512() {
    let token = rfc7515_a4_token();
    let public = || import(RFC7515_A4_PUBLIC_JWK, Some(Algorithm::ES512));
    assert_verifies("RFC 7515 A.4", public(), &token, b"Payload");
    let private = import(RFC7515_A4_PRIVATE_JWK, Some(Algorithm::ES512));
    assert_private_key_signs("RFC 7515 A.4", &private, &public());
}

// ---------------------------------------------------------------------------------------
// RFC 7520 sections 3 and 4
// ---------------------------------------------------------------------------------------

/// RFC 7520 section 4, Figure 7: the payload content ("\xe2\x80\x99" is U+2019).
const RFC7520_PAYLOAD: &str = concat!(
    "It\u{2019}s a dangerous business, Frodo, going out your ",
    "door. You step onto the road, and if you don't keep your feet, ",
    "there\u{2019}s no knowing where you might be swept off ",
    "to.",
);

/// RFC 7520 section 4, Figure 8: the payload content, base64url-encoded.
const RFC7520_PAYLOAD_B64: &str = concat!(
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH",
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk",
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm",
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
);

const RFC7520_KID: &str = "bilbo.baggins@hobbiton.example";

/// RFC 7520 section 3.1 / 3.2, Figures 1 and 2: the P-521 key. It has no `alg`.
const RFC7520_EC_X: &str = concat!(
    "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9",
    "A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",
);
const RFC7520_EC_Y: &str = concat!(
    "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVy",
    "SsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1",
);
const RFC7520_EC_D: &str = concat!(
    "AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zb",
    "KipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt",
);

/// RFC 7520 section 3.3 / 3.4, Figures 3 and 4: the RSA 2048-bit key. It has no `alg`.
const RFC7520_RSA_N: &str = concat!(
    "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT",
    "-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV",
    "wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-",
    "oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde",
    "3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuC",
    "LqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g",
    "HdrNP5zw",
);
const RFC7520_RSA_D: &str = concat!(
    "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78e",
    "iZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRld",
    "Y7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-b",
    "MwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU",
    "6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDj",
    "d18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOc",
    "OpBrQzwQ",
);
const RFC7520_RSA_P: &str = concat!(
    "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nR",
    "aO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmG",
    "peNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8",
    "bUq0k",
);
const RFC7520_RSA_Q: &str = concat!(
    "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT",
    "8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7an",
    "V5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0",
    "s7pFc",
);
const RFC7520_RSA_DP: &str = concat!(
    "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q",
    "1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn",
    "-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX",
    "59ehik",
);
const RFC7520_RSA_DQ: &str = concat!(
    "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pEr",
    "AMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJK",
    "bi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdK",
    "T1cYF8",
);
const RFC7520_RSA_QI: &str = concat!(
    "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-N",
    "ZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDh",
    "jJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpP",
    "z8aaI4",
);

/// RFC 7520 section 3.5, Figure 5: the HMAC SHA-256 key. This one does say `"alg": "HS256"`.
const RFC7520_HMAC_JWK: &str = concat!(
    r#"{"kty":"oct","#,
    r#""kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","#,
    r#""use":"sig","#,
    r#""alg":"HS256","#,
    r#""k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg""#,
    r#"}"#,
);

/// Figure 1 (`private` false) or Figure 2 (`private` true).
fn rfc7520_ec_jwk(private: bool) -> String {
    let mut jwk = json!({
        "kty": "EC", "kid": RFC7520_KID, "use": "sig", "crv": "P-521",
        "x": RFC7520_EC_X, "y": RFC7520_EC_Y,
    });
    if private {
        jwk["d"] = json!(RFC7520_EC_D);
    }
    jwk.to_string()
}

/// Figure 3 (`private` false) or Figure 4 (`private` true).
fn rfc7520_rsa_jwk(private: bool) -> String {
    let mut jwk = json!({
        "kty": "RSA", "kid": RFC7520_KID, "use": "sig", "n": RFC7520_RSA_N, "e": "AQAB",
    });
    if private {
        for (name, value) in [
            ("d", RFC7520_RSA_D),
            ("p", RFC7520_RSA_P),
            ("q", RFC7520_RSA_Q),
            ("dp", RFC7520_RSA_DP),
            ("dq", RFC7520_RSA_DQ),
            ("qi", RFC7520_RSA_QI),
        ] {
            jwk[name] = json!(value);
        }
    }
    jwk.to_string()
}

/// RFC 7520 section 4.1.3, Figure 13 (header Figure 10, signature Figure 12).
fn rfc7520_4_1_token() -> String {
    compact(
        concat!(
            "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX",
            "hhbXBsZSJ9",
        ),
        RFC7520_PAYLOAD_B64,
        concat!(
            "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK",
            "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J",
            "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w",
            "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP",
            "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f",
            "cIe8u9ipH84ogoree7vjbU5y18kDquDg",
        ),
    )
}

/// RFC 7520 section 4.2.3, Figure 20 (header Figure 17, signature Figure 19).
fn rfc7520_4_2_token() -> String {
    compact(
        concat!(
            "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX",
            "hhbXBsZSJ9",
        ),
        RFC7520_PAYLOAD_B64,
        concat!(
            "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I",
            "pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU",
            "vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX",
            "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT",
            "0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a",
            "6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw",
        ),
    )
}

/// RFC 7520 section 4.3.3, Figure 27 (header Figure 24, signature Figure 26).
fn rfc7520_4_3_token() -> String {
    compact(
        concat!(
            "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX",
            "hhbXBsZSJ9",
        ),
        RFC7520_PAYLOAD_B64,
        concat!(
            "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvb",
            "u9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kv",
            "AD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2",
        ),
    )
}

/// RFC 7520 section 4.4.3, Figure 34 (header Figure 31, signature Figure 33).
fn rfc7520_4_4_token() -> String {
    compact(
        concat!(
            "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LW",
            "VlZjMxNGJjNzAzNyJ9",
        ),
        RFC7520_PAYLOAD_B64,
        "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0",
    )
}

// Not covered, on purpose: RFC 7520 4.5 (detached content: the compact form leaves the
// payload out, and Keycard verifies attached payloads only; re-attaching it gives exactly
// the 4.4 token), and 4.6, 4.7 and 4.8 (unprotected headers and multiple signatures exist
// only in the JWS JSON serializations, which Keycard does not read).

#[test]
fn rfc7520_keys_name_no_alg_so_it_must_be_given() {
    for jwk in [rfc7520_rsa_jwk(false), rfc7520_ec_jwk(false)] {
        let err = Key::from_jwk_json(&jwk, None).unwrap_err();
        assert_eq!(err.rule(), "missing_alg", "{jwk}");
    }
    // The HMAC key names HS256 itself, and cannot be bound to anything else.
    let err = Key::from_jwk_json(RFC7520_HMAC_JWK, Some(Algorithm::HS384)).unwrap_err();
    assert_eq!(err.rule(), "alg_mismatch");
    // The JWKs parse as such, kid and all.
    assert!(Jwk::parse(&rfc7520_rsa_jwk(true)).unwrap().has_private());
    let key = import(&rfc7520_rsa_jwk(false), Some(Algorithm::RS256));
    assert_eq!(key.kid(), RFC7520_KID);
}

#[test]
fn rfc7520_4_1_rs256() {
    let token = rfc7520_4_1_token();
    let public = import(&rfc7520_rsa_jwk(false), Some(Algorithm::RS256));
    assert_verifies("RFC 7520 4.1", public, &token, RFC7520_PAYLOAD.as_bytes());
    // RSASSA-PKCS1-v1_5 is deterministic: Figure 4's private key gives Figure 12.
    let private = import(&rfc7520_rsa_jwk(true), Some(Algorithm::RS256));
    assert_signs_exactly("RFC 7520 4.1", &private, &token);
}

#[test]
fn rfc7520_4_2_ps384() {
    let token = rfc7520_4_2_token();
    let public = import(&rfc7520_rsa_jwk(false), Some(Algorithm::PS384));
    assert_verifies("RFC 7520 4.2", public, &token, RFC7520_PAYLOAD.as_bytes());
    // The same RSA key bound to RS256 refuses the PS384 token before any cryptography.
    let rs256 = set_of(import(&rfc7520_rsa_jwk(false), Some(Algorithm::RS256)));
    let err = jws::verify(&rs256, &token, DEFAULT_MAX_TOKEN_BYTES).unwrap_err();
    assert_eq!(err.rule(), "alg_mismatch");
    // PSS is randomized: check Figure 4's private key against Figure 3 instead.
    let private = import(&rfc7520_rsa_jwk(true), Some(Algorithm::PS384));
    let public = import(&rfc7520_rsa_jwk(false), Some(Algorithm::PS384));
    assert_private_key_signs("RFC 7520 4.2", &private, &public);
}

#[test]
fn rfc7520_4_3_es512() {
    let token = rfc7520_4_3_token();
    let public = || import(&rfc7520_ec_jwk(false), Some(Algorithm::ES512));
    assert_verifies("RFC 7520 4.3", public(), &token, RFC7520_PAYLOAD.as_bytes());
    let private = import(&rfc7520_ec_jwk(true), Some(Algorithm::ES512));
    assert_private_key_signs("RFC 7520 4.3", &private, &public());
}

#[test]
fn rfc7520_4_4_hs256() {
    let token = rfc7520_4_4_token();
    let key = || import(RFC7520_HMAC_JWK, Some(Algorithm::HS256));
    assert_verifies("RFC 7520 4.4", key(), &token, RFC7520_PAYLOAD.as_bytes());
    assert_signs_exactly("RFC 7520 4.4", &key(), &token);
}

// ---------------------------------------------------------------------------------------
// RFC 8037 Appendix A
// ---------------------------------------------------------------------------------------

/// RFC 8037 A.1: the Ed25519 private key (no `alg`).
const RFC8037_PRIVATE_JWK: &str = concat!(
    r#"{"kty":"OKP","crv":"Ed25519","#,
    r#""d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","#,
    r#""x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
);

/// RFC 8037 A.2: the public key.
const RFC8037_PUBLIC_JWK: &str = concat!(
    r#"{"kty":"OKP","crv":"Ed25519","#,
    r#""x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
);

/// RFC 8037 A.3: the key's RFC 7638 thumbprint, which Keycard uses as its default kid.
const RFC8037_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

/// RFC 8037 A.4: header `{"alg":"EdDSA"}`, payload "Example of Ed25519 signing".
const RFC8037_A4_TOKEN: &str = concat!(
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-",
    "09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
);

#[test]
fn rfc8037_a4_ed25519() {
    let private = import(RFC8037_PRIVATE_JWK, Some(Algorithm::EdDSA));
    let public = import(RFC8037_PUBLIC_JWK, Some(Algorithm::EdDSA));
    assert_eq!(public.kid(), RFC8037_THUMBPRINT, "RFC 8037 A.3");
    assert_eq!(private.kid(), RFC8037_THUMBPRINT, "RFC 8037 A.3");
    // Ed25519 is deterministic: the private key must give the published signature.
    assert_signs_exactly("RFC 8037 A.4", &private, RFC8037_A4_TOKEN);
    assert_verifies(
        "RFC 8037 A.4",
        public,
        RFC8037_A4_TOKEN,
        b"Example of Ed25519 signing",
    );
}
