//! Attack tests on encoding and shape: duplicate member names, non-canonical base64url,
//! the wrong number of parts, oversize tokens, and header or claims that are not a single
//! strict JSON object.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/attack_kit.rs"]
mod attack_kit;

use keycard_core::jose::jws;
use keycard_core::{Key, TokenError};

use attack_kit::*;

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
