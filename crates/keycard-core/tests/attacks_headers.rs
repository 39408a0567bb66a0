//! Attack tests on header members: keys the token tries to bring along (`jwk`, `jku`,
//! `x5u`, `x5c`), `kid` injection and key selection, and the `crit` and `b64` extensions.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/attack_kit.rs"]
mod attack_kit;

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use keycard_core::{Algorithm, Key, KeySet};
use serde_json::json;

use attack_kit::*;

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
