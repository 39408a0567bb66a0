//! A key bound to one algorithm: import from JWK, generation, export, sign and verify.
//!
//! Public keys are parsed once at import (`ParsedPublicKey`), so a verify pays for the
//! signature check only. Each variant of [`Material`] can only do its own family's
//! algorithms, and the header's `alg` is compared with the key's before any of them runs.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _, ParsedPublicKey};
use aws_lc_rs::{hmac, rsa};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use super::algorithm::Family;
use super::jwk::{Jwk, thumbprint};
use super::{Algorithm, base64url, der};
use crate::KeyError;

/// A signing or verifying key, bound to exactly one [`Algorithm`] and named by a `kid`.
///
/// `Debug` shows the algorithm, the kid and whether private material is held; never the
/// material itself.
pub struct Key {
    alg: Algorithm,
    kid: Arc<str>,
    material: Material,
}

// The HMAC key (with its precomputed inner and outer states) stays inline: keys are few,
// and HS256 verification is the path where one pointer chase shows.
#[allow(clippy::large_enum_variant)]
enum Material {
    Hmac {
        key: hmac::Key,
        secret: Zeroizing<Vec<u8>>,
    },
    Rsa {
        public: ParsedPublicKey,
        n: Vec<u8>,
        e: Vec<u8>,
        private: Option<Box<RsaPrivate>>,
    },
    Ec {
        public: ParsedPublicKey,
        x: Vec<u8>,
        y: Vec<u8>,
        private: Option<Box<sig::EcdsaKeyPair>>,
    },
    Ed25519 {
        public: ParsedPublicKey,
        x: Vec<u8>,
        private: Option<Box<sig::Ed25519KeyPair>>,
    },
}

struct RsaPrivate {
    pair: rsa::KeyPair,
    d: Zeroizing<Vec<u8>>,
    p: Zeroizing<Vec<u8>>,
    q: Zeroizing<Vec<u8>>,
    dp: Zeroizing<Vec<u8>>,
    dq: Zeroizing<Vec<u8>>,
    qi: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("can_sign", &self.can_sign())
            .finish_non_exhaustive()
    }
}

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

impl Key {
    /// The algorithm this key is bound to.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key id: the JWK's `kid`, or its RFC 7638 thumbprint when it had none.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key id, shared: a verified header carries it without a copy.
    pub(crate) fn shared_kid(&self) -> Arc<str> {
        Arc::clone(&self.kid)
    }

    /// Whether this key holds private material and may sign.
    pub fn can_sign(&self) -> bool {
        match &self.material {
            Material::Hmac { .. } => true,
            Material::Rsa { private, .. } => private.is_some(),
            Material::Ec { private, .. } => private.is_some(),
            Material::Ed25519 { private, .. } => private.is_some(),
        }
    }

    /// Whether this is a shared secret (HMAC) rather than a key pair.
    pub fn is_symmetric(&self) -> bool {
        matches!(self.material, Material::Hmac { .. })
    }

    /// Replaces the key id.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Arc::from(kid.into());
        self
    }

    /// An HMAC key from raw secret bytes; secrets shorter than the hash output are refused.
    pub fn hmac(alg: Algorithm, secret: &[u8], kid: Option<String>) -> Result<Self, KeyError> {
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
        let kid =
            kid.unwrap_or_else(|| thumbprint(&[("k", &base64url::encode(secret)), ("kty", "oct")]));
        let hmac_alg = match alg {
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        };
        Ok(Self {
            alg,
            kid: Arc::from(kid),
            material: Material::Hmac {
                key: hmac::Key::new(hmac_alg, secret),
                secret: Zeroizing::new(secret.to_vec()),
            },
        })
    }

    /// Parses a JWK from JSON text and imports it; see [`Key::from_jwk`].
    pub fn from_jwk_json(text: &str, alg: Option<Algorithm>) -> Result<Self, KeyError> {
        Self::from_jwk(&Jwk::parse(text)?, alg)
    }

    /// Imports a JWK, public or private, bound to its own `alg` or to `alg` when it has
    /// none (both given must agree). Refuses keys declared for other uses, weak keys, and
    /// key types that do not fit the algorithm.
    pub fn from_jwk(jwk: &Jwk, alg: Option<Algorithm>) -> Result<Self, KeyError> {
        let alg = jwk.algorithm(alg)?;
        let may_sign = jwk.check_signature_use()?;
        let key = match (alg.family(), jwk.kty.as_str()) {
            (Family::Hmac, "oct") => {
                let secret = Jwk::require_secret(&jwk.k, "k")?;
                Self::hmac(alg, &secret, jwk.kid.clone())?
            }
            (Family::Rsa, "RSA") => Self::rsa_from_jwk(alg, jwk)?,
            (Family::Ecdsa, "EC") => Self::ec_from_jwk(alg, jwk)?,
            (Family::EdDsa, "OKP") => Self::ed25519_from_jwk(jwk)?,
            (_, kty) => {
                return Err(KeyError::AlgMismatch(format!(
                    "kty {kty:?} cannot be used with {alg}"
                )));
            }
        };
        let key = if may_sign { key } else { key.to_public_only()? };
        Ok(match &jwk.kid {
            Some(kid) => key.with_kid(kid.clone()),
            None => key,
        })
    }

    fn rsa_from_jwk(alg: Algorithm, jwk: &Jwk) -> Result<Self, KeyError> {
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
        Self::rsa(alg, n, e, private)
    }

    fn rsa(
        alg: Algorithm,
        n: Vec<u8>,
        e: Vec<u8>,
        private: Option<RsaPrivateParts>,
    ) -> Result<Self, KeyError> {
        let n = strip_zeros(n);
        let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
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
        if super::roca::has_roca_fingerprint(&n) {
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
                Some(Box::new(RsaPrivate {
                    pair,
                    d: parts.d,
                    p: parts.p,
                    q: parts.q,
                    dp: parts.dp,
                    dq: parts.dq,
                    qi: parts.qi,
                }))
            }
        };
        let kid = thumbprint(&[
            ("e", &base64url::encode(&e)),
            ("kty", "RSA"),
            ("n", &base64url::encode(&n)),
        ]);
        Ok(Self {
            alg,
            kid: Arc::from(kid),
            material: Material::Rsa {
                public,
                n,
                e,
                private,
            },
        })
    }

    fn ec_from_jwk(alg: Algorithm, jwk: &Jwk) -> Result<Self, KeyError> {
        let Some((crv, size)) = alg.ec_curve() else {
            return Err(KeyError::AlgMismatch(format!("{alg} is not ECDSA")));
        };
        if jwk.crv.as_deref() != Some(crv) {
            return Err(KeyError::AlgMismatch(format!(
                "{alg} needs crv {crv}, got {:?}",
                jwk.crv
            )));
        }
        let x = Jwk::require(&jwk.x, "x")?;
        let y = Jwk::require(&jwk.y, "y")?;
        if x.len() != size || y.len() != size {
            return Err(KeyError::Malformed(format!(
                "{crv} coordinates must be {size} bytes"
            )));
        }
        let d = jwk
            .d
            .as_ref()
            .map(|_| Jwk::require_secret(&jwk.d, "d"))
            .transpose()?;
        Self::ec(alg, x, y, d.as_deref().map(Vec::as_slice))
    }

    fn ec(alg: Algorithm, x: Vec<u8>, y: Vec<u8>, d: Option<&[u8]>) -> Result<Self, KeyError> {
        let (verify, signing): (
            &'static sig::EcdsaVerificationAlgorithm,
            &'static sig::EcdsaSigningAlgorithm,
        ) = match alg {
            Algorithm::ES256 => (
                &sig::ECDSA_P256_SHA256_FIXED,
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            ),
            Algorithm::ES384 => (
                &sig::ECDSA_P384_SHA384_FIXED,
                &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
            ),
            _ => (
                &sig::ECDSA_P521_SHA512_FIXED,
                &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
            ),
        };
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        let public = ParsedPublicKey::new(verify, &point)
            .map_err(|_| KeyError::Malformed("EC point is not on the curve".into()))?;
        let private = d
            .map(|d| sig::EcdsaKeyPair::from_private_key_and_public_key(signing, d, &point))
            .transpose()
            .map_err(|_| {
                KeyError::Malformed("EC private key does not match its public key".into())
            })?;
        let crv = alg.ec_curve().map_or("", |(crv, _)| crv);
        let kid = thumbprint(&[
            ("crv", crv),
            ("kty", "EC"),
            ("x", &base64url::encode(&x)),
            ("y", &base64url::encode(&y)),
        ]);
        Ok(Self {
            alg,
            kid: Arc::from(kid),
            material: Material::Ec {
                public,
                x,
                y,
                private: private.map(Box::new),
            },
        })
    }

    fn ed25519_from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if jwk.crv.as_deref() != Some("Ed25519") {
            return Err(KeyError::AlgMismatch(format!(
                "EdDSA keys must have crv Ed25519, got {:?}",
                jwk.crv
            )));
        }
        let x = Jwk::require(&jwk.x, "x")?;
        let d = jwk
            .d
            .as_ref()
            .map(|_| Jwk::require_secret(&jwk.d, "d"))
            .transpose()?;
        Self::ed25519(x, d.as_deref().map(Vec::as_slice))
    }

    fn ed25519(x: Vec<u8>, d: Option<&[u8]>) -> Result<Self, KeyError> {
        if x.len() != 32 {
            return Err(KeyError::Malformed(
                "Ed25519 public keys are 32 bytes".into(),
            ));
        }
        let public = ParsedPublicKey::new(&sig::ED25519, &x)
            .map_err(|_| KeyError::Malformed("Ed25519 public key rejected".into()))?;
        let private = d
            .map(|d| sig::Ed25519KeyPair::from_seed_and_public_key(d, &x))
            .transpose()
            .map_err(|_| {
                KeyError::Malformed("Ed25519 private key does not match its public key".into())
            })?;
        let kid = thumbprint(&[
            ("crv", "Ed25519"),
            ("kty", "OKP"),
            ("x", &base64url::encode(&x)),
        ]);
        Ok(Self {
            alg: Algorithm::EdDSA,
            kid: Arc::from(kid),
            material: Material::Ed25519 {
                public,
                x,
                private: private.map(Box::new),
            },
        })
    }

    /// Generates a fresh key for `alg`: a random secret of the hash length for HMAC, RSA of
    /// 2048 bits, the algorithm's curve for ECDSA, Ed25519 for EdDSA.
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        const FAILED: KeyError = KeyError::Crypto("key generation failed");
        match alg.family() {
            Family::Hmac => {
                let mut secret = Zeroizing::new(vec![0u8; alg.hmac_min_key_len()]);
                aws_lc_rs::rand::fill(&mut secret).map_err(|_| FAILED)?;
                Self::hmac(alg, &secret, None)
            }
            Family::Rsa => {
                use aws_lc_rs::encoding::AsDer as _;
                let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).map_err(|_| FAILED)?;
                let pkcs8: aws_lc_rs::encoding::Pkcs8V1Der<'_> =
                    pair.as_der().map_err(|_| FAILED)?;
                let c = der::rsa_components_from_pkcs8(pkcs8.as_ref()).ok_or(FAILED)?;
                let parts = RsaPrivateParts {
                    d: Zeroizing::new(c.d),
                    p: Zeroizing::new(c.p),
                    q: Zeroizing::new(c.q),
                    dp: Zeroizing::new(c.dp),
                    dq: Zeroizing::new(c.dq),
                    qi: Zeroizing::new(c.qi),
                };
                Self::rsa(alg, c.n, c.e, Some(parts))
            }
            Family::Ecdsa => {
                use aws_lc_rs::encoding::AsBigEndian as _;
                let (_, size) = alg.ec_curve().ok_or(FAILED)?;
                let signing = match alg {
                    Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                    _ => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
                };
                let pair = sig::EcdsaKeyPair::generate(signing).map_err(|_| FAILED)?;
                let point = pair.public_key().as_ref();
                let (x, y) = point.get(1..).ok_or(FAILED)?.split_at(size);
                let d: aws_lc_rs::encoding::EcPrivateKeyBin<'_> =
                    pair.private_key().as_be_bytes().map_err(|_| FAILED)?;
                Self::ec(alg, x.to_vec(), y.to_vec(), Some(d.as_ref()))
            }
            Family::EdDsa => {
                use aws_lc_rs::encoding::AsBigEndian as _;
                let pair = sig::Ed25519KeyPair::generate().map_err(|_| FAILED)?;
                let seed: aws_lc_rs::encoding::Curve25519SeedBin<'_> = pair
                    .seed()
                    .and_then(|s| s.as_be_bytes())
                    .map_err(|_| FAILED)?;
                Self::ed25519(pair.public_key().as_ref().to_vec(), Some(seed.as_ref()))
            }
        }
    }

    /// A copy with the private material dropped. HMAC keys have no public half: error.
    pub fn to_public_only(&self) -> Result<Self, KeyError> {
        let material = match &self.material {
            Material::Hmac { key, secret } => Material::Hmac {
                key: key.clone(),
                secret: secret.clone(),
            },
            Material::Rsa { public, n, e, .. } => Material::Rsa {
                public: public.clone(),
                n: n.clone(),
                e: e.clone(),
                private: None,
            },
            Material::Ec { public, x, y, .. } => Material::Ec {
                public: public.clone(),
                x: x.clone(),
                y: y.clone(),
                private: None,
            },
            Material::Ed25519 { public, x, .. } => Material::Ed25519 {
                public: public.clone(),
                x: x.clone(),
                private: None,
            },
        };
        if matches!(material, Material::Hmac { .. }) {
            return Err(KeyError::WrongUse(
                "an HMAC secret has no public part".into(),
            ));
        }
        Ok(Self {
            alg: self.alg,
            kid: self.kid.clone(),
            material,
        })
    }

    /// The public JWK: `kty`, the public members, `kid`, `alg` and `use: sig`. Never any
    /// private member. `None` for HMAC secrets, which have no public form.
    pub fn public_jwk(&self) -> Option<Value> {
        let b64 = |bytes: &[u8]| base64url::encode(bytes);
        let mut jwk = match &self.material {
            Material::Hmac { .. } => return None,
            Material::Rsa { n, e, .. } => json!({"kty": "RSA", "n": b64(n), "e": b64(e)}),
            Material::Ec { x, y, .. } => {
                let crv = self.alg.ec_curve().map_or("", |(crv, _)| crv);
                json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)})
            }
            Material::Ed25519 { x, .. } => json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)}),
        };
        if let Value::Object(members) = &mut jwk {
            self.add_common_members(members);
        }
        Some(jwk)
    }

    /// The private JWK, for `keycard keygen` and key storage. `None` for a public-only key.
    /// The caller owns a secret: never log it.
    pub fn private_jwk(&self) -> Option<Zeroizing<String>> {
        let b64 = |bytes: &[u8]| base64url::encode(bytes);
        let mut jwk = match &self.material {
            Material::Hmac { secret, .. } => json!({"kty": "oct", "k": b64(&secret[..])}),
            Material::Rsa {
                private: Some(p), ..
            } => {
                let mut jwk = self.public_jwk()?;
                if let Value::Object(m) = &mut jwk {
                    for (name, value) in [
                        ("d", &p.d),
                        ("p", &p.p),
                        ("q", &p.q),
                        ("dp", &p.dp),
                        ("dq", &p.dq),
                        ("qi", &p.qi),
                    ] {
                        m.insert(name.into(), b64(&value[..]).into());
                    }
                }
                jwk
            }
            Material::Ec {
                private: Some(pair),
                ..
            } => {
                use aws_lc_rs::encoding::AsBigEndian as _;
                let d: aws_lc_rs::encoding::EcPrivateKeyBin<'_> =
                    pair.private_key().as_be_bytes().ok()?;
                let mut jwk = self.public_jwk()?;
                if let Value::Object(m) = &mut jwk {
                    m.insert("d".into(), b64(d.as_ref()).into());
                }
                jwk
            }
            Material::Ed25519 {
                private: Some(pair),
                ..
            } => {
                use aws_lc_rs::encoding::AsBigEndian as _;
                let seed: aws_lc_rs::encoding::Curve25519SeedBin<'_> =
                    pair.seed().ok()?.as_be_bytes().ok()?;
                let mut jwk = self.public_jwk()?;
                if let Value::Object(m) = &mut jwk {
                    m.insert("d".into(), b64(seed.as_ref()).into());
                }
                jwk
            }
            _ => return None,
        };
        if let Value::Object(members) = &mut jwk {
            self.add_common_members(members);
        }
        Some(Zeroizing::new(serde_json::to_string_pretty(&jwk).ok()?))
    }

    fn add_common_members(&self, members: &mut Map<String, Value>) {
        members.insert("kid".into(), self.kid.as_ref().into());
        members.insert("alg".into(), self.alg.name().into());
        members.insert("use".into(), "sig".into());
    }

    /// Signs `message` (a JWS signing input) with this key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let not_private = || KeyError::NotASigningKey {
            kid: self.kid.to_string(),
        };
        const FAILED: KeyError = KeyError::Crypto("signing failed");
        match &self.material {
            Material::Hmac { key, .. } => Ok(hmac::sign(key, message).as_ref().to_vec()),
            Material::Rsa { private, .. } => {
                let private = private.as_ref().ok_or_else(not_private)?;
                let padding: &'static dyn sig::RsaEncoding = match self.alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    _ => &sig::RSA_PSS_SHA512,
                };
                let mut out = vec![0u8; private.pair.public_modulus_len()];
                private
                    .pair
                    .sign(padding, &SystemRandom::new(), message, &mut out)
                    .map_err(|_| FAILED)?;
                Ok(out)
            }
            Material::Ec { private, .. } => {
                let pair = private.as_ref().ok_or_else(not_private)?;
                Ok(pair
                    .sign(&SystemRandom::new(), message)
                    .map_err(|_| FAILED)?
                    .as_ref()
                    .to_vec())
            }
            Material::Ed25519 { private, .. } => {
                let pair = private.as_ref().ok_or_else(not_private)?;
                Ok(pair.sign(message).as_ref().to_vec())
            }
        }
    }

    /// Whether `signature` is this key's valid signature over `message`. HMAC tags are
    /// compared in constant time; ECDSA signatures must be exactly `r || s`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Hmac { key, .. } => hmac::verify(key, message, signature).is_ok(),
            Material::Rsa { public, .. }
            | Material::Ec { public, .. }
            | Material::Ed25519 { public, .. } => public.verify_sig(message, signature).is_ok(),
        }
    }
}

struct RsaPrivateParts {
    d: Zeroizing<Vec<u8>>,
    p: Zeroizing<Vec<u8>>,
    q: Zeroizing<Vec<u8>>,
    dp: Zeroizing<Vec<u8>>,
    dq: Zeroizing<Vec<u8>>,
    qi: Zeroizing<Vec<u8>>,
}

fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.drain(..zeros);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_verify_and_round_trip_through_jwk() {
        for alg in Algorithm::ALL {
            let key = Key::generate(alg).unwrap();
            assert_eq!(key.alg(), alg);
            let signature = key.sign(b"message").unwrap();
            assert!(key.verify(b"message", &signature), "{alg}");
            assert!(!key.verify(b"messagf", &signature), "{alg}");

            let private = key.private_jwk().unwrap();
            let again = Key::from_jwk_json(&private, None).unwrap();
            assert_eq!(again.kid(), key.kid());
            assert!(again.verify(b"message", &signature), "{alg}");
            assert!(
                key.verify(b"message", &again.sign(b"message").unwrap()),
                "{alg}"
            );

            if let Some(public) = key.public_jwk() {
                let text = public.to_string();
                for private_member in [
                    "\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"", "\"k\"",
                ] {
                    assert!(!text.contains(private_member), "{alg}: {text}");
                }
                let public = Key::from_jwk_json(&text, None).unwrap();
                assert!(!public.can_sign());
                assert!(public.verify(b"message", &signature), "{alg}");
                assert!(public.sign(b"message").is_err());
            } else {
                assert!(key.is_symmetric());
            }
        }
    }

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
    fn debug_shows_no_secret() {
        let key = Key::hmac(Algorithm::HS256, &[0x41; 32], Some("k".into())).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("AAAA") && !shown.contains("65"), "{shown}");
        let key = Key::generate(Algorithm::EdDSA).unwrap();
        let d = Jwk::parse(&key.private_jwk().unwrap()).unwrap().d.unwrap();
        assert!(!format!("{key:?}").contains(d.as_str()));
    }

    #[test]
    fn kty_must_fit_alg() {
        let ec = Key::generate(Algorithm::ES256)
            .unwrap()
            .public_jwk()
            .unwrap()
            .to_string();
        let err = Key::from_jwk_json(&ec.replace("ES256", "RS256"), None).unwrap_err();
        assert_eq!(err.rule(), "alg_mismatch");
        let err = Key::from_jwk_json(&ec.replace("ES256", "ES384"), None).unwrap_err();
        assert_eq!(err.rule(), "alg_mismatch");
        let err = Key::from_jwk_json(&ec, Some(Algorithm::ES384)).unwrap_err();
        assert_eq!(err.rule(), "alg_mismatch");
    }
}
