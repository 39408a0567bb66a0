//! The in-process cost of one access-token verify, per algorithm: Keycard's full verify
//! (size cap, strict header, kid and algorithm binding, signature, `typ`, strict claims,
//! dates, issuer and audience) of a realistic access token, as the server does it on a
//! verified-token cache miss. `cargo bench -p keycard-core --bench verify` measures the
//! same with criterion and against the bare primitive; this is the quick look on the
//! user's machine.

use std::hint::black_box;
use std::time::Duration;

use keycard_core::jwt::{self, Validation};
use keycard_core::{Algorithm, Clock as _, Key, KeySet, SystemClock};
use serde_json::json;

use super::report::VerifyCost;
use super::stopwatch::{now, since};
use crate::failure::Failure;

const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "https://api.example.com";
/// Timed rounds per algorithm; the median is reported.
const ROUNDS: u32 = 5;

/// One verify of each algorithm in `algs`, each timed for about `budget`.
pub fn measure(algs: &[Algorithm], budget: Duration) -> Result<Vec<VerifyCost>, Failure> {
    let mut costs = Vec::with_capacity(algs.len());
    for &alg in algs {
        costs.push(one(alg, budget)?);
    }
    Ok(costs)
}

fn one(alg: Algorithm, budget: Duration) -> Result<VerifyCost, Failure> {
    let (signer, verifier) = keys(alg)?;
    let keys = KeySet::verify_only([verifier])?;
    let issued = SystemClock.now();
    let claims = json!({
        "iss": ISSUER,
        "sub": "user_8412",
        "aud": AUDIENCE,
        "exp": issued.as_secs() + 900,
        "iat": issued.as_secs(),
        "jti": "3f9c1a7e5b2d",
        "sid": "s_4c2e8b",
        "roles": ["reader", "billing"],
    });
    let token = jwt::sign(&signer, Some("at+jwt"), &claims)?;
    let validation = Validation::access_token(ISSUER, AUDIENCE);
    // The verifier must accept the token before its time means anything.
    validation.verify(&keys, &token, issued)?;
    let round = budget / ROUNDS;
    let mut per_verify = Vec::with_capacity(ROUNDS as usize);
    for _ in 0..ROUNDS {
        let started = now();
        let mut verifies: u32 = 0;
        while since(started) < round || verifies == 0 {
            for _ in 0..16 {
                let verified = validation.verify(black_box(&keys), black_box(&token), issued);
                black_box(verified.is_ok());
            }
            verifies += 16;
        }
        per_verify.push(since(started).as_secs_f64() * 1e9 / f64::from(verifies));
    }
    per_verify.sort_by(f64::total_cmp);
    Ok(VerifyCost {
        alg: alg.name().to_owned(),
        token_bytes: token.len(),
        ns: per_verify[per_verify.len() / 2],
    })
}

/// A signing key and the key that verifies with it (for HMAC, the same secret).
fn keys(alg: Algorithm) -> Result<(Key, Key), Failure> {
    if alg.name().starts_with("HS") {
        let mut secret = zeroize::Zeroizing::new([0_u8; 64]);
        aws_lc_rs::rand::fill(&mut secret[..])
            .map_err(|_| Failure::Input("the system random source failed".into()))?;
        let signer = Key::hmac(alg, &secret[..], Some("bench".into()))?;
        let verifier = Key::hmac(alg, &secret[..], Some("bench".into()))?;
        return Ok((signer, verifier));
    }
    let signer = Key::generate(alg)?.with_kid("bench");
    let verifier = signer.to_public_only()?;
    Ok((signer, verifier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_verifies_and_costs_something() {
        let costs = measure(
            &[Algorithm::HS256, Algorithm::EdDSA],
            Duration::from_millis(5),
        )
        .unwrap();
        assert_eq!(costs.len(), 2);
        assert_eq!(costs[0].alg, "HS256");
        assert!(
            costs
                .iter()
                .all(|cost| cost.ns > 0.0 && cost.token_bytes > 100)
        );
    }
}
