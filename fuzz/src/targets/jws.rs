//! JWS/JWT verification, two ways, chosen by the first byte:
//! - even: the rest is a compact token as a client would present it, verified against a
//!   key set of one HMAC key; it must never panic;
//! - odd: the rest is a header and claims (split at the first `0xff` byte), base64url-encoded
//!   and signed with that key, so that the fuzzer reaches every header and claim rule. What
//!   verifies must have a header and claims that the serde-based strict parser accepts, the
//!   header must name the key's algorithm, and the claims read back must be those bytes'.

use std::sync::OnceLock;

use keycard_core::jose::{base64url, parse_object};
use keycard_core::jwt::Validation;
use keycard_core::{Algorithm, Key, KeySet, UnixTime};

/// The instant every token is judged at.
const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

fn hmac_key() -> Key {
    Key::hmac(Algorithm::HS256, &[0x5a; 32], Some("k1".into())).expect("an HMAC key")
}

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(hmac_key)
}

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::with_active(hmac_key()).expect("a key set"))
}

pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let validation = Validation::new().with_leeway_secs(30);
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            let _ = validation.verify(keys(), token, NOW);
        }
        return;
    }
    let split = rest.iter().position(|&b| b == 0xff).unwrap_or(rest.len());
    let (header, claims) = (&rest[..split], rest.get(split + 1..).unwrap_or_default());
    let mut token = base64url::encode(header);
    token.push('.');
    base64url::encode_into(claims, &mut token);
    let signature = key().sign(token.as_bytes()).expect("an HMAC tag");
    token.push('.');
    base64url::encode_into(signature, &mut token);
    let Ok(verified) = validation.verify(keys(), &token, NOW) else {
        return;
    };
    let parsed_header = parse_object(header).expect("a verified header is strict JSON");
    assert_eq!(
        parsed_header.get("alg").and_then(|alg| alg.as_str()),
        Some("HS256"),
        "verified with an algorithm other than the key's"
    );
    let parsed_claims = parse_object(claims).expect("verified claims are strict JSON");
    assert_eq!(
        verified.claims_json(),
        parsed_claims,
        "claims read back differ"
    );
    assert_eq!(verified.payload(), claims);
}
