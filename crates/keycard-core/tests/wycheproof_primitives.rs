//! Project Wycheproof's primitive vectors, run through keycard-core's own `Key` (imported
//! from a JWK built from the vector's key, then `Key::verify`) for exactly the parameters
//! JWS uses:
//!
//! - ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, signatures in IEEE P1363 form
//!   (`r || s`) as in ES256/ES384/ES512;
//! - Ed25519 (EdDSA);
//! - RSASSA-PKCS1-v1_5 with SHA-256/384/512, 2048 to 8192-bit keys (RS256/384/512);
//! - RSASSA-PSS with SHA-256/384/512, MGF1 with the same hash, salt as long as the hash
//!   (PS256/384/512); groups with other parameters are skipped;
//! - HMAC-SHA256/384/512 with full-length tags (HS256/384/512); truncated-tag groups are
//!   skipped. Keys shorter than the hash output, which `Key` refuses by design (rule
//!   `weak_key`, asserted), are checked on the aws-lc-rs HMAC primitive instead.
//!
//! The data comes from the `wycheproof` crate (0.6, a dev-dependency), which bundles the
//! C2SP/wycheproof JSON test vectors. Every `valid` case must verify and every `invalid`
//! one must be rejected; `acceptable` cases are counted, not judged.

use aws_lc_rs::hmac;
use keycard_core::jose::base64url;
use keycard_core::{Algorithm, Key, KeyError};
use serde_json::json;
use wycheproof::{EdwardsCurve, EllipticCurve, HashFunction, Mgf, TestResult};

/// What came of one family's cases.
struct Tally {
    name: &'static str,
    checked: usize,
    via_primitive: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    groups_skipped: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            checked: 0,
            via_primitive: 0,
            acceptable_accepted: 0,
            acceptable_rejected: 0,
            groups_skipped: 0,
            disagreements: Vec::new(),
        }
    }

    fn record(&mut self, file: &str, tc_id: usize, comment: &str, expected: TestResult, ok: bool) {
        self.checked += 1;
        match (expected, ok) {
            (TestResult::Valid, true) | (TestResult::Invalid, false) => {}
            (TestResult::Acceptable, true) => self.acceptable_accepted += 1,
            (TestResult::Acceptable, false) => self.acceptable_rejected += 1,
            (_, accepted) => self.disagreements.push(format!(
                "{file} tcId {tc_id} ({comment}): expected {expected:?}, got {}",
                if accepted { "accepted" } else { "rejected" }
            )),
        }
    }

    /// Every case of a group whose key could not be imported counts as rejected.
    fn record_all_rejected<'a>(
        &mut self,
        file: &str,
        why: &KeyError,
        tests: impl IntoIterator<Item = (usize, &'a str, TestResult)>,
    ) {
        for (tc_id, comment, expected) in tests {
            let comment = format!("{comment}; key refused: {} ({why})", why.rule());
            self.record(file, tc_id, &comment, expected, false);
        }
    }

    fn finish(self) {
        println!(
            "{}: {} cases checked ({} on the aws-lc-rs primitive); acceptable: {} accepted, \
             {} rejected; {} groups skipped (parameters JWS does not use)",
            self.name,
            self.checked,
            self.via_primitive,
            self.acceptable_accepted,
            self.acceptable_rejected,
            self.groups_skipped,
        );
        assert!(self.checked > 0, "{}: no case checked", self.name);
        assert!(
            self.disagreements.is_empty(),
            "{}: {} disagreement(s):\n{}",
            self.name,
            self.disagreements.len(),
            self.disagreements.join("\n")
        );
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    &bytes[zeros..]
}

fn b64(bytes: &[u8]) -> String {
    base64url::encode(bytes)
}

fn hash_len(hash: HashFunction) -> Option<usize> {
    match hash {
        HashFunction::Sha2_256 => Some(32),
        HashFunction::Sha2_384 => Some(48),
        HashFunction::Sha2_512 => Some(64),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// ECDSA, P1363 form
// ---------------------------------------------------------------------------------------

/// A JWK from an uncompressed point `04 || x || y`, bound to `alg`.
fn ec_key(alg: Algorithm, crv: &str, size: usize, point: &[u8]) -> Result<Key, KeyError> {
    let coordinates = match point.split_first() {
        Some((0x04, xy)) if xy.len() == 2 * size => xy,
        _ => return Err(KeyError::Malformed("not an uncompressed point".into())),
    };
    let (x, y) = coordinates.split_at(size);
    let jwk = json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)});
    Key::from_jwk_json(&jwk.to_string(), Some(alg))
}

#[test]
fn wycheproof_ecdsa_p1363() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let mut tally = Tally::new("ECDSA (ES256/ES384/ES512)");
    let files = [
        (
            TestName::EcdsaSecp256r1Sha256P1363,
            Algorithm::ES256,
            EllipticCurve::Secp256r1,
            HashFunction::Sha2_256,
            "P-256",
            32,
        ),
        (
            TestName::EcdsaSecp384r1Sha384P1363,
            Algorithm::ES384,
            EllipticCurve::Secp384r1,
            HashFunction::Sha2_384,
            "P-384",
            48,
        ),
        (
            TestName::EcdsaSecp521r1Sha512P1363,
            Algorithm::ES512,
            EllipticCurve::Secp521r1,
            HashFunction::Sha2_512,
            "P-521",
            66,
        ),
    ];
    for (name, alg, curve, hash, crv, size) in files {
        let file = format!("{name:?}");
        let set = TestSet::load(name).expect("bundled test set");
        for group in set.test_groups {
            if group.key.curve != curve || group.hash != hash {
                tally.groups_skipped += 1;
                continue;
            }
            let key = match ec_key(alg, crv, size, &group.key.key) {
                Ok(key) => key,
                Err(why) => {
                    let tests = group.tests.iter();
                    let cases = tests.map(|t| (t.tc_id, t.comment.as_str(), t.result));
                    tally.record_all_rejected(&file, &why, cases);
                    continue;
                }
            };
            if let Some(jwk) = &group.jwk {
                // Wycheproof's own JWK for the group names the same point.
                let xy = &group.key.key[1..];
                assert_eq!(
                    strip_leading_zeros(&jwk.affine_x),
                    strip_leading_zeros(&xy[..size])
                );
                assert_eq!(
                    strip_leading_zeros(&jwk.affine_y),
                    strip_leading_zeros(&xy[size..])
                );
            }
            for test in &group.tests {
                let ok = key.verify(&test.msg, &test.sig);
                tally.record(&file, test.tc_id, &test.comment, test.result, ok);
            }
        }
    }
    tally.finish();
}

// ---------------------------------------------------------------------------------------
// Ed25519
// ---------------------------------------------------------------------------------------

#[test]
fn wycheproof_ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let mut tally = Tally::new("Ed25519 (EdDSA)");
    let file = "Ed25519";
    let set = TestSet::load(TestName::Ed25519).expect("bundled test set");
    for group in set.test_groups {
        if group.key.curve != EdwardsCurve::Ed25519 {
            tally.groups_skipped += 1;
            continue;
        }
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&group.key.pk)});
        let key = match Key::from_jwk_json(&jwk.to_string(), Some(Algorithm::EdDSA)) {
            Ok(key) => key,
            Err(why) => {
                let tests = group.tests.iter();
                let cases = tests.map(|t| (t.tc_id, t.comment.as_str(), t.result));
                tally.record_all_rejected(file, &why, cases);
                continue;
            }
        };
        for test in &group.tests {
            let ok = key.verify(&test.msg, &test.sig);
            tally.record(file, test.tc_id, &test.comment, test.result, ok);
        }
    }
    tally.finish();
}

// ---------------------------------------------------------------------------------------
// RSA: PKCS#1 v1.5 and PSS
// ---------------------------------------------------------------------------------------

fn rsa_key(alg: Algorithm, n: &[u8], e: &[u8]) -> Result<Key, KeyError> {
    let jwk = json!({
        "kty": "RSA",
        "n": b64(strip_leading_zeros(n)),
        "e": b64(strip_leading_zeros(e)),
    });
    Key::from_jwk_json(&jwk.to_string(), Some(alg))
}

#[test]
fn wycheproof_rsa_pkcs1_v1_5() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let mut tally = Tally::new("RSASSA-PKCS1-v1_5 (RS256/RS384/RS512)");
    let files = [
        (
            TestName::Rsa2048Sha256,
            Algorithm::RS256,
            HashFunction::Sha2_256,
        ),
        (
            TestName::Rsa3072Sha256,
            Algorithm::RS256,
            HashFunction::Sha2_256,
        ),
        (
            TestName::Rsa4096Sha256,
            Algorithm::RS256,
            HashFunction::Sha2_256,
        ),
        (
            TestName::Rsa8192Sha256,
            Algorithm::RS256,
            HashFunction::Sha2_256,
        ),
        (
            TestName::Rsa2048Sha384,
            Algorithm::RS384,
            HashFunction::Sha2_384,
        ),
        (
            TestName::Rsa3072Sha384,
            Algorithm::RS384,
            HashFunction::Sha2_384,
        ),
        (
            TestName::Rsa4096Sha384,
            Algorithm::RS384,
            HashFunction::Sha2_384,
        ),
        (
            TestName::Rsa8192Sha384,
            Algorithm::RS384,
            HashFunction::Sha2_384,
        ),
        (
            TestName::Rsa2048Sha512,
            Algorithm::RS512,
            HashFunction::Sha2_512,
        ),
        (
            TestName::Rsa3072Sha512,
            Algorithm::RS512,
            HashFunction::Sha2_512,
        ),
        (
            TestName::Rsa4096Sha512,
            Algorithm::RS512,
            HashFunction::Sha2_512,
        ),
        (
            TestName::Rsa8192Sha512,
            Algorithm::RS512,
            HashFunction::Sha2_512,
        ),
    ];
    for (name, alg, hash) in files {
        let file = format!("{name:?}");
        let set = TestSet::load(name).expect("bundled test set");
        for group in set.test_groups {
            if group.hash != hash {
                tally.groups_skipped += 1;
                continue;
            }
            let key = match rsa_key(alg, &group.key.n, &group.key.e) {
                Ok(key) => key,
                Err(why) => {
                    let tests = group.tests.iter();
                    let cases = tests.map(|t| (t.tc_id, t.comment.as_str(), t.result));
                    tally.record_all_rejected(&file, &why, cases);
                    continue;
                }
            };
            for test in &group.tests {
                let ok = key.verify(&test.msg, &test.sig);
                tally.record(&file, test.tc_id, &test.comment, test.result, ok);
            }
        }
    }
    tally.finish();
}

#[test]
fn wycheproof_rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let mut tally = Tally::new("RSASSA-PSS (PS256/PS384/PS512)");
    // The "_params" files differ only in how the public key is encoded (with PSS
    // parameters in its SPKI), which a JWK cannot express; "misc" mixes parameters and is
    // filtered group by group.
    let files = [
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha256Mgf1SaltLen32,
        TestName::RsaPss2048Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha512Mgf1SaltLen64,
        TestName::RsaPssmisc,
    ];
    for name in files {
        let file = format!("{name:?}");
        let set = TestSet::load(name).expect("bundled test set");
        for group in set.test_groups {
            // Exactly what RFC 7518 section 3.5 specifies: MGF1 with the message hash,
            // and a salt as long as the hash output.
            let alg = match group.hash {
                HashFunction::Sha2_256 => Algorithm::PS256,
                HashFunction::Sha2_384 => Algorithm::PS384,
                HashFunction::Sha2_512 => Algorithm::PS512,
                _ => {
                    tally.groups_skipped += 1;
                    continue;
                }
            };
            let jws_parameters = group.mgf == Mgf::Mgf1
                && group.mgf_hash == Some(group.hash)
                && Some(group.salt_size) == hash_len(group.hash);
            if !jws_parameters {
                tally.groups_skipped += 1;
                continue;
            }
            let key = match rsa_key(alg, &group.key.n, &group.key.e) {
                Ok(key) => key,
                Err(why) => {
                    let tests = group.tests.iter();
                    let cases = tests.map(|t| (t.tc_id, t.comment.as_str(), t.result));
                    tally.record_all_rejected(&file, &why, cases);
                    continue;
                }
            };
            for test in &group.tests {
                let ok = key.verify(&test.msg, &test.sig);
                tally.record(&file, test.tc_id, &test.comment, test.result, ok);
            }
        }
    }
    tally.finish();
}

// ---------------------------------------------------------------------------------------
// HMAC
// ---------------------------------------------------------------------------------------

#[test]
fn wycheproof_hmac_full_length_tags() {
    use wycheproof::mac::{TestName, TestSet};
    let mut tally = Tally::new("HMAC (HS256/HS384/HS512)");
    let files = [
        (
            TestName::HmacSha256,
            Algorithm::HS256,
            hmac::HMAC_SHA256,
            32,
        ),
        (
            TestName::HmacSha384,
            Algorithm::HS384,
            hmac::HMAC_SHA384,
            48,
        ),
        (
            TestName::HmacSha512,
            Algorithm::HS512,
            hmac::HMAC_SHA512,
            64,
        ),
    ];
    for (name, alg, primitive, tag_len) in files {
        let file = format!("{name:?}");
        let set = TestSet::load(name).expect("bundled test set");
        for group in set.test_groups {
            if group.tag_size != tag_len * 8 {
                tally.groups_skipped += 1;
                continue;
            }
            for test in &group.tests {
                let jwk = json!({"kty": "oct", "k": b64(&test.key)});
                let ok = match Key::from_jwk_json(&jwk.to_string(), Some(alg)) {
                    Ok(key) => key.verify(&test.msg, &test.tag),
                    Err(why) if test.key.len() < tag_len => {
                        // RFC 7518 section 3.2: a key shorter than the hash output is
                        // refused. The vector still checks the primitive Keycard uses.
                        assert_eq!(why.rule(), "weak_key", "{file} tcId {}", test.tc_id);
                        tally.via_primitive += 1;
                        let key = hmac::Key::new(primitive, &test.key);
                        hmac::verify(&key, &test.msg, &test.tag).is_ok()
                    }
                    Err(why) => panic!("{file} tcId {}: key refused: {why}", test.tc_id),
                };
                tally.record(&file, test.tc_id, &test.comment, test.result, ok);
            }
        }
    }
    tally.finish();
}
