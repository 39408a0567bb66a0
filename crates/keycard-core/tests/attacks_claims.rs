//! Attack tests on the claims of a genuinely signed token: dates of the wrong type or
//! range, the time rules at the leeway boundary, issuer and audience, and token-type
//! confusion.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/attack_kit.rs"]
mod attack_kit;

use keycard_core::jwt;
use keycard_core::{Key, TokenError};
use serde_json::{Value, json};

use attack_kit::*;

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
