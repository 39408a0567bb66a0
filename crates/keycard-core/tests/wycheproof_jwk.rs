//! Project Wycheproof's JWK vectors (`json_web_key_test.json`, C2SP/wycheproof
//! `testvectors_v1/`, see `../shared/conformance/README.md`): key sets and keys that must be
//! refused (mixed symmetric and asymmetric keys, duplicate kids, wrong use, ROCA moduli,
//! short RSA and HMAC keys, exponent 1, algorithms that do not fit the key), and the tokens
//! that must then fail.
//!
//! Each group's key document (`public` if given, else `private`) is loaded with
//! `KeySet::from_jwk_or_jwks`; a refused document makes every case of the group rejected.
//! Every case must agree with its `result`. The file is found as for the JWS vectors; a
//! missing file fails the test unless `KEYCARD_SKIP_CONFORMANCE=1`.

use std::path::PathBuf;

use keycard_core::KeySet;
use keycard_core::jose::jws::{self, DEFAULT_MAX_TOKEN_BYTES};
use serde_json::Value;

fn conformance_dir() -> PathBuf {
    match std::env::var_os("KEYCARD_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

#[test]
fn wycheproof_json_web_key() {
    let path = conformance_dir().join("wycheproof/json_web_key_test.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if std::env::var("KEYCARD_SKIP_CONFORMANCE").as_deref() == Ok("1") => {
            println!(
                "!! SKIPPED: Wycheproof JWK conformance, {}: {e} (KEYCARD_SKIP_CONFORMANCE=1). Nothing was checked.",
                path.display()
            );
            return;
        }
        Err(e) => panic!(
            "{}: {e}; set KEYCARD_CONFORMANCE_DIR, or KEYCARD_SKIP_CONFORMANCE=1 to skip",
            path.display()
        ),
    };
    let file: Value = serde_json::from_str(&text).expect("the vector file is JSON");
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for group in file["testGroups"].as_array().expect("testGroups") {
        let document = group.get("public").unwrap_or(&group["private"]);
        let keys = KeySet::from_jwk_or_jwks(&document.to_string(), None, false);
        for case in group["tests"].as_array().expect("tests") {
            let id = case["tcId"].as_u64().unwrap_or_default();
            let expected_valid = case["result"] == "valid";
            let outcome = match (&keys, case["jws"].as_str()) {
                (Err(e), _) => Err(format!("key:{}", e.rule())),
                (Ok(_), None) => Err("not compact".to_owned()),
                (Ok(keys), Some(token)) => jws::verify(keys, token, DEFAULT_MAX_TOKEN_BYTES)
                    .map(drop)
                    .map_err(|e| e.rule().to_owned()),
            };
            println!(
                "tcId {id:>3} {:<32} expected {:<7} got {outcome:?}",
                case["comment"].as_str().unwrap_or(""),
                case["result"].as_str().unwrap_or("")
            );
            checked += 1;
            if outcome.is_ok() != expected_valid {
                disagreements.push(format!(
                    "tcId {id}: expected {}, got {outcome:?}",
                    case["result"]
                ));
            }
        }
    }
    assert_eq!(checked, 26, "every case of the file was run");
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
}
