//! `keycard audit`: the checklist's findings by severity, the exit status by the worst
//! one, and verification with `--key` naming the failed rule.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use aws_lc_rs::hmac;
use keycard_core::jose::base64url;
use keycard_core::{Clock as _, SystemClock};
use serde_json::{Value, json};

fn keycard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keycard"))
        .args(args)
        .output()
        .expect("keycard runs")
}

fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(claims.to_string().as_bytes())
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", base64url::encode(tag.as_ref()))
}

fn findings(output: &Output) -> Vec<String> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_token_signed_with_a_well_known_secret_is_critical() {
    let token = hs256(
        &json!({ "alg": "HS256", "kid": "' OR 1=1 --", "jku": "https://evil.example/keys" }),
        &json!({ "sub": "alice", "password": "hunter2" }),
        b"your-256-bit-secret",
    );
    let output = keycard(&["audit", "--json", &token]);
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let ids = findings(&output);
    assert_eq!(ids[0], "weak_secret", "{ids:?}");
    for id in [
        "kid_injection",
        "remote_key_header",
        "no_exp",
        "no_aud",
        "sensitive_claim",
        "not_verified",
    ] {
        assert!(ids.iter().any(|found| found == id), "{id}: {ids:?}");
    }
    let text = keycard(&["audit", &token]);
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("CRITICAL weak_secret"));
}

#[test]
fn the_worst_finding_decides_the_exit_status_and_a_key_verifies() {
    let now = SystemClock.now().as_secs();
    let secret = b"a secret long enough that nobody lists it anywhere at all";
    let claims = json!({ "sub": "a", "aud": "api", "iat": now, "exp": now + 600 });
    let token = hs256(&json!({ "alg": "HS256" }), &claims, secret);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("secret.txt");
    std::fs::write(&key, secret).unwrap();
    let output = keycard(&["audit", "--json", "--key", key.to_str().unwrap(), &token]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(findings(&output).is_empty());

    // A lifetime of two days is medium.
    let long = json!({ "sub": "a", "aud": "api", "iat": now, "exp": now + 172_800 });
    let token = hs256(&json!({ "alg": "HS256" }), &long, secret);
    let output = keycard(&["audit", "--json", "--key", key.to_str().unwrap(), &token]);
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    assert_eq!(findings(&output), ["long_lifetime"]);

    // The wrong key: verification fails, naming the rule.
    std::fs::write(&key, b"another secret long enough that nobody lists it").unwrap();
    let output = keycard(&["audit", "--json", "--key", key.to_str().unwrap(), &token]);
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report.to_string().contains("bad_signature"), "{report}");
}

#[test]
fn an_unsigned_token_is_critical_and_garbage_is_invalid() {
    let token = format!(
        "{}.{}.",
        base64url::encode(br#"{"alg":"none"}"#),
        base64url::encode(br#"{"sub":"a"}"#)
    );
    let output = keycard(&["audit", "--json", &token]);
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    assert_eq!(findings(&output)[0], "alg_none");
    assert_eq!(keycard(&["audit", "not-a-token"]).status.code(), Some(1));
}
