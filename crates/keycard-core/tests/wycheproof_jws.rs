//! Project Wycheproof's JWS vectors (`json_web_signature_test.json`, C2SP/wycheproof
//! `testvectors_v1/`, see `../shared/conformance/README.md`) through `jose::jws::verify`.
//!
//! Each group's key (its `public` JWK, else its `private` one) is imported with
//! `Key::from_jwk`, bound to the JWK's own `alg` or, when it names none, to the `alg` of
//! the token under test; a case whose key is refused counts as rejected. The payloads are
//! not JWTs, so only the JWS rules apply. Every scored case must agree with its `result`;
//! nine cases the README lists are not scored.
//!
//! The file is read from `$KEYCARD_CONFORMANCE_DIR/wycheproof/`, or from
//! `../shared/conformance/wycheproof/` beside the checkout. A missing file fails the test
//! unless `KEYCARD_SKIP_CONFORMANCE=1`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use keycard_core::jose::jws::{self, DEFAULT_MAX_TOKEN_BYTES};
use keycard_core::jose::{Jwk, base64url};
use keycard_core::{Algorithm, Key, KeySet};
use serde_json::Value;

/// Not scored (README): 357, 367, 370, 372 and 373 carry contradictory labels upstream
/// (C2SP/wycheproof issue 236); 346, 347, 350 and 351 (RFC 7520 Figures 20 and 27) are
/// labelled valid although the token's `alg` is not the `alg` of the group's JWK.
const UNSCORED: [u64; 9] = [357, 367, 370, 372, 373, 346, 347, 350, 351];

/// The 401 cases of the file, less the nine unscored.
const SCORED_CASES: usize = 392;

fn conformance_dir() -> PathBuf {
    match std::env::var_os("KEYCARD_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        // <workspace>/crates/keycard-core -> <workspace>/../shared/conformance
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

/// The token's header `alg`, read only to bind a JWK that names no algorithm.
fn header_alg(token: &str) -> Option<Algorithm> {
    let header = base64url::decode(token.split('.').next()?)?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    Algorithm::from_name(header.get("alg")?.as_str()?)
}

/// The group's key for this token, or the rule that refused it.
fn import_key(jwk: &Value, token: &str) -> Result<Key, String> {
    let parsed = Jwk::parse(&jwk.to_string()).map_err(|e| format!("key:{}", e.rule()))?;
    // A JWK with its own `alg` is bound to it (`None` lets `from_jwk` use it).
    let alg = match jwk.get("alg") {
        Some(_) => None,
        None => header_alg(token),
    };
    Key::from_jwk(&parsed, alg).map_err(|e| format!("key:{}", e.rule()))
}

/// `Ok` if the token verifies under the group's key, else the rule that refused it.
fn run_case(jwk: &Value, token: &str) -> Result<(), String> {
    let key = import_key(jwk, token)?;
    let keys = KeySet::verify_only([key]).map_err(|e| format!("key_set:{}", e.rule()))?;
    jws::verify(&keys, token, DEFAULT_MAX_TOKEN_BYTES)
        .map(drop)
        .map_err(|e| e.rule().to_owned())
}

#[test]
fn wycheproof_json_web_signature() {
    let path = conformance_dir().join("wycheproof/json_web_signature_test.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if std::env::var("KEYCARD_SKIP_CONFORMANCE").as_deref() == Ok("1") => {
            println!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
            println!(
                "!! SKIPPED: Wycheproof JWS conformance, {}: {e}",
                path.display()
            );
            println!("!! (KEYCARD_SKIP_CONFORMANCE=1). Nothing was checked.");
            println!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
            return;
        }
        Err(e) => panic!(
            "cannot read {}: {e}\nSet KEYCARD_CONFORMANCE_DIR to the conformance data \
             (see ../shared/conformance/README.md), or KEYCARD_SKIP_CONFORMANCE=1 to skip.",
            path.display()
        ),
    };
    let vectors: Value = serde_json::from_str(&text).expect("the file is JSON");
    let groups = vectors["testGroups"].as_array().expect("testGroups");

    let mut scored = 0;
    let mut rejected_by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for group in groups {
        let jwk = group
            .get("public")
            .or_else(|| group.get("private"))
            .expect("every group has a key");
        for test in group["tests"].as_array().expect("tests") {
            let tc_id = test["tcId"].as_u64().expect("tcId");
            let comment = test["comment"].as_str().unwrap_or_default();
            let expected = test["result"].as_str().expect("result");
            let token = test["jws"].as_str().expect("jws");
            let outcome = run_case(jwk, token);
            let got = match &outcome {
                Ok(()) => "accepted".to_owned(),
                Err(rule) => format!("rejected ({rule})"),
            };
            if UNSCORED.contains(&tc_id) {
                println!("unscored tcId {tc_id} ({comment}): labelled {expected}, {got}");
                continue;
            }
            scored += 1;
            if let Err(rule) = &outcome {
                *rejected_by_rule.entry(rule.clone()).or_default() += 1;
            }
            let agrees = match expected {
                "valid" => outcome.is_ok(),
                "invalid" => outcome.is_err(),
                other => panic!("tcId {tc_id}: unexpected result {other:?}"),
            };
            if !agrees {
                let line = format!("tcId {tc_id} ({comment}): expected {expected}, {got}");
                println!("DISAGREEMENT {line}");
                disagreements.push(line);
            }
        }
    }

    println!("Wycheproof JWS: {scored} scored cases checked; rejected, by rule:");
    for (rule, count) in &rejected_by_rule {
        println!("  {rule:<24} {count}");
    }
    assert_eq!(scored, SCORED_CASES, "scored cases");
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
