//! HMAC shared secrets (HS256, HS384, HS512; RFC 7518 section 3.2): the length rule,
//! generation, the `oct` JWK, and tags compared in constant time.

use aws_lc_rs::hmac;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::KeyError;
use crate::jose::algorithm::Family;
use crate::jose::jwk::{Jwk, thumbprint};
use crate::jose::{Algorithm, base64url};

/// An HMAC key with its precomputed inner and outer states, and the secret it came from
/// (kept to write the private JWK).
pub(super) struct HmacSecret {
    key: hmac::Key,
    secret: Zeroizing<Vec<u8>>,
}

impl HmacSecret {
    /// A key from raw secret bytes for the HMAC algorithm `alg`; secrets shorter than the
    /// hash output are weak.
    pub(super) fn new(alg: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        if alg.family() != Family::Hmac {
            return Err(KeyError::AlgMismatch(format!(
                "{alg} is not an HMAC algorithm"
            )));
        }
        let min = alg.hmac_min_key_len();
        if secret.len() < min {
            return Err(KeyError::WeakKey(format!(
                "{alg} needs a secret of at least {min} bytes, got {}",
                secret.len()
            )));
        }
        let hmac_alg = match alg {
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        };
        Ok(Self {
            key: hmac::Key::new(hmac_alg, secret),
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    /// The secret of an `oct` JWK (`k`).
    pub(super) fn from_jwk(alg: Algorithm, jwk: &Jwk) -> Result<Self, KeyError> {
        let secret = Jwk::require_secret(&jwk.k, "k")?;
        Self::new(alg, &secret)
    }

    /// A random secret as long as the hash output.
    pub(super) fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let mut secret = Zeroizing::new(vec![0u8; alg.hmac_min_key_len()]);
        aws_lc_rs::rand::fill(&mut secret)
            .map_err(|_| KeyError::Crypto("key generation failed"))?;
        Self::new(alg, &secret)
    }

    /// The RFC 7638 thumbprint over `k` and `kty`.
    pub(super) fn thumbprint(&self) -> String {
        thumbprint(&[("k", &base64url::encode(&self.secret[..])), ("kty", "oct")])
    }

    /// `kty` and the secret `k`: the whole key, as there is no public half.
    pub(super) fn private_members(&self) -> Map<String, Value> {
        let mut members = Map::new();
        members.insert("kty".into(), "oct".into());
        members.insert("k".into(), base64url::encode(&self.secret[..]).into());
        members
    }

    pub(super) fn sign(&self, message: &[u8]) -> Vec<u8> {
        hmac::sign(&self.key, message).as_ref().to_vec()
    }

    /// Compares the tag in constant time.
    pub(super) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        hmac::verify(&self.key, message, tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use crate::jose::{Algorithm, Key};

    #[test]
    fn short_hmac_secrets_are_weak() {
        for (alg, min) in [
            (Algorithm::HS256, 32),
            (Algorithm::HS384, 48),
            (Algorithm::HS512, 64),
        ] {
            let err = Key::hmac(alg, &vec![7u8; min - 1], None).unwrap_err();
            assert_eq!(err.rule(), "weak_key");
            assert!(Key::hmac(alg, &vec![7u8; min], None).is_ok());
        }
    }

    #[test]
    fn only_hmac_algorithms_take_a_secret() {
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
            let err = Key::hmac(alg, &[7u8; 64], None).unwrap_err();
            assert_eq!(err.rule(), "alg_mismatch", "{alg}");
        }
    }
}
