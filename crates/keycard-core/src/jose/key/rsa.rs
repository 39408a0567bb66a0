//! RSA key pairs (RS256/384/512 with PKCS#1 v1.5, PS256/384/512 with PSS; RFC 7518
//! sections 3.3 and 3.5): import with the modulus size, public exponent and ROCA checks,
//! generation, the `RSA` JWK members, and signing.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::MIN_RSA_BITS;
use crate::KeyError;
use crate::jose::jwk::{Jwk, thumbprint};
use crate::jose::{Algorithm, base64url, roca};

/// An RSA public key, parsed once for verifying, with its private half when held.
pub(super) struct RsaKey {
    pub(super) public: ParsedPublicKey,
    n: Vec<u8>,
    e: Vec<u8>,
    private: Option<Box<RsaPrivate>>,
}

/// The private half: the key pair that signs, and its components (RFC 7518 section
/// 6.3.2) kept to write the private JWK.
struct RsaPrivate {
    pair: rsa::KeyPair,
    parts: RsaPrivateParts,
}

/// The private components of a two-prime RSA key, big-endian.
struct RsaPrivateParts {
    d: Zeroizing<Vec<u8>>,
    p: Zeroizing<Vec<u8>>,
    q: Zeroizing<Vec<u8>>,
    dp: Zeroizing<Vec<u8>>,
    dq: Zeroizing<Vec<u8>>,
    qi: Zeroizing<Vec<u8>>,
}

impl RsaKey {
    /// The members of an `RSA` JWK: `n` and `e`, and all six private members or none.
    /// Multi-prime keys (`oth`) are refused.
    pub(super) fn from_jwk(alg: Algorithm, jwk: &Jwk) -> Result<Self, KeyError> {
        let n = Jwk::require(&jwk.n, "n")?;
        let e = Jwk::require(&jwk.e, "e")?;
        if jwk.oth.is_some() {
            return Err(KeyError::Malformed(
                "multi-prime RSA keys (oth) are not supported".into(),
            ));
        }
        let private = match &jwk.d {
            None => None,
            Some(_) => Some(RsaPrivateParts {
                d: Jwk::require_secret(&jwk.d, "d")?,
                p: Jwk::require_secret(&jwk.p, "p")?,
                q: Jwk::require_secret(&jwk.q, "q")?,
                dp: Jwk::require_secret(&jwk.dp, "dp")?,
                dq: Jwk::require_secret(&jwk.dq, "dq")?,
                qi: Jwk::require_secret(&jwk.qi, "qi")?,
            }),
        };
        Self::new(alg, n, e, private)
    }

    /// A fresh 2048-bit key pair.
    pub(super) fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        use aws_lc_rs::encoding::AsDer as _;
        const FAILED: KeyError = KeyError::Crypto("key generation failed");
        let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).map_err(|_| FAILED)?;
        let pkcs8: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair.as_der().map_err(|_| FAILED)?;
        let (n, e, parts) = components_from_pkcs8(pkcs8.as_ref()).ok_or(FAILED)?;
        Self::new(alg, n, e, Some(parts))
    }

    /// Checks the public key (at least [`MIN_RSA_BITS`], an odd exponent of at least 3, no
    /// ROCA fingerprint), parses it for `alg`, and checks the private half against it.
    fn new(
        alg: Algorithm,
        n: Vec<u8>,
        e: Vec<u8>,
        private: Option<RsaPrivateParts>,
    ) -> Result<Self, KeyError> {
        let n = strip_zeros(n);
        // An empty (or all-zero) modulus has no bits; `len * 8 - 8` would underflow.
        let bits = n
            .first()
            .map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize);
        if bits < MIN_RSA_BITS {
            return Err(KeyError::WeakKey(format!(
                "RSA modulus of {bits} bits; at least {MIN_RSA_BITS} required"
            )));
        }
        // RFC 8017 section 3.1: 3 <= e < n, and e odd. An exponent of 1 makes every
        // "signature" equal to its own padded message.
        let e = strip_zeros(e);
        if e.last().is_none_or(|low| low % 2 == 0) || e == [1] {
            return Err(KeyError::WeakKey(
                "RSA public exponent must be odd and at least 3".into(),
            ));
        }
        if roca::has_roca_fingerprint(&n) {
            return Err(KeyError::WeakKey(
                "RSA modulus has the ROCA fingerprint (CVE-2017-15361): its primes can be recovered".into(),
            ));
        }
        let params: &'static sig::RsaParameters = match alg {
            Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
            _ => &sig::RSA_PSS_2048_8192_SHA512,
        };
        let public = rsa::PublicKeyComponents {
            n: &n[..],
            e: &e[..],
        }
        .to_parsed_public_key(params)
        .map_err(|_| KeyError::Malformed("RSA public key rejected".into()))?;
        let private = match private {
            None => None,
            Some(parts) => {
                let pair = rsa::KeyPair::from_components(&rsa::KeyPairComponents {
                    public_key: rsa::PublicKeyComponents {
                        n: &n[..],
                        e: &e[..],
                    },
                    d: &parts.d[..],
                    p: &parts.p[..],
                    q: &parts.q[..],
                    dP: &parts.dp[..],
                    dQ: &parts.dq[..],
                    qInv: &parts.qi[..],
                })
                .map_err(|_| KeyError::Malformed("RSA private key rejected".into()))?;
                Some(Box::new(RsaPrivate { pair, parts }))
            }
        };
        Ok(Self {
            public,
            n,
            e,
            private,
        })
    }

    pub(super) fn can_sign(&self) -> bool {
        self.private.is_some()
    }

    /// The RFC 7638 thumbprint over `e`, `kty` and `n`.
    pub(super) fn thumbprint(&self) -> String {
        thumbprint(&[
            ("e", &base64url::encode(&self.e)),
            ("kty", "RSA"),
            ("n", &base64url::encode(&self.n)),
        ])
    }

    pub(super) fn public_only(&self) -> Self {
        Self {
            public: self.public.clone(),
            n: self.n.clone(),
            e: self.e.clone(),
            private: None,
        }
    }

    /// `kty`, `n` and `e`.
    pub(super) fn public_members(&self) -> Map<String, Value> {
        let mut members = Map::new();
        members.insert("kty".into(), "RSA".into());
        members.insert("n".into(), base64url::encode(&self.n).into());
        members.insert("e".into(), base64url::encode(&self.e).into());
        members
    }

    /// `d`, `p`, `q`, `dp`, `dq` and `qi`; `None` for a public key.
    pub(super) fn private_members(&self) -> Option<Map<String, Value>> {
        let parts = &self.private.as_ref()?.parts;
        let mut members = Map::new();
        for (name, value) in [
            ("d", &parts.d),
            ("p", &parts.p),
            ("q", &parts.q),
            ("dp", &parts.dp),
            ("dq", &parts.dq),
            ("qi", &parts.qi),
        ] {
            members.insert(name.into(), base64url::encode(&value[..]).into());
        }
        Some(members)
    }

    /// Signs with the padding `alg` names; `None` for a public key.
    pub(super) fn sign(&self, alg: Algorithm, message: &[u8]) -> Option<Result<Vec<u8>, KeyError>> {
        let private = self.private.as_ref()?;
        let padding: &'static dyn sig::RsaEncoding = match alg {
            Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
            Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
            Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
            Algorithm::PS256 => &sig::RSA_PSS_SHA256,
            Algorithm::PS384 => &sig::RSA_PSS_SHA384,
            _ => &sig::RSA_PSS_SHA512,
        };
        let mut out = vec![0u8; private.pair.public_modulus_len()];
        let signed = private
            .pair
            .sign(padding, &SystemRandom::new(), message, &mut out)
            .map(|()| out)
            .map_err(|_| KeyError::Crypto("signing failed"));
        Some(signed)
    }
}

/// The modulus, public exponent and private components of the RSAPrivateKey (RFC 8017
/// appendix A.1.2) inside a PKCS#8 PrivateKeyInfo (RFC 5208), as `aws-lc-rs` writes a
/// generated key: the only way to read its components out to write a JWK.
fn components_from_pkcs8(document: &[u8]) -> Option<(Vec<u8>, Vec<u8>, RsaPrivateParts)> {
    let info = pkcs8::PrivateKeyInfo::try_from(document).ok()?;
    info.algorithm
        .assert_algorithm_oid(pkcs1::ALGORITHM_OID)
        .ok()?;
    let key = pkcs1::RsaPrivateKey::try_from(info.private_key).ok()?;
    if key.other_prime_infos.is_some() {
        return None;
    }
    let secret = |value: pkcs1::UintRef<'_>| Zeroizing::new(value.as_bytes().to_vec());
    let parts = RsaPrivateParts {
        d: secret(key.private_exponent),
        p: secret(key.prime1),
        q: secret(key.prime2),
        dp: secret(key.exponent1),
        dq: secret(key.exponent2),
        qi: secret(key.coefficient),
    };
    Some((
        key.modulus.as_bytes().to_vec(),
        key.public_exponent.as_bytes().to_vec(),
        parts,
    ))
}

fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.drain(..zeros);
    bytes
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::signature::Ed25519KeyPair;

    use super::*;
    use crate::jose::Key;

    #[test]
    fn reads_the_components_of_a_generated_key() {
        let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = pair.as_der().unwrap();
        let (n, e, parts) = components_from_pkcs8(pkcs8.as_ref()).unwrap();
        assert_eq!(n.len(), 256);
        assert_eq!(e, [1, 0, 1]);
        assert_eq!(parts.p.len() + parts.q.len(), 256);
        assert!(n[0] != 0 && parts.d[0] != 0, "leading zeros are stripped");
        let key = RsaKey::new(Algorithm::RS256, n, e, Some(parts)).unwrap();
        assert!(key.can_sign());
    }

    #[test]
    fn refuses_truncated_and_non_rsa_documents() {
        let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = pair.as_der().unwrap();
        let document = pkcs8.as_ref();
        assert!(components_from_pkcs8(&document[..document.len() - 1]).is_none());
        assert!(components_from_pkcs8(&[document, &[0][..]].concat()).is_none());
        assert!(components_from_pkcs8(&[]).is_none());
        let ed25519 = Ed25519KeyPair::generate().unwrap().to_pkcs8v1().unwrap();
        assert!(components_from_pkcs8(ed25519.as_ref()).is_none());
    }

    #[test]
    fn public_exponent_must_be_odd_and_at_least_3() {
        let key = Key::generate(Algorithm::RS256).unwrap();
        let mut jwk = key.public_jwk().unwrap();
        Key::from_jwk_json(&jwk.to_string(), None).unwrap();
        for e in ["AQ", "AAE", "Ag", "AAEAAA", ""] {
            jwk["e"] = e.into();
            let err = Key::from_jwk_json(&jwk.to_string(), None).unwrap_err();
            assert_eq!(err.rule(), "weak_key", "e = {e:?}");
        }
    }
}
