//! ECDSA key pairs on the NIST curves (ES256 on P-256, ES384 on P-384, ES512 on P-521;
//! RFC 7518 section 3.4): import with the curve, coordinate-size and on-curve checks,
//! generation, the `EC` JWK members, and fixed-width `r || s` signatures.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _, ParsedPublicKey};
use serde_json::{Map, Value};

use crate::KeyError;
use crate::jose::jwk::{Jwk, thumbprint};
use crate::jose::{Algorithm, base64url};

/// An EC public key, parsed once for verifying, with its private half when held.
pub(super) struct EcKey {
    pub(super) public: ParsedPublicKey,
    x: Vec<u8>,
    y: Vec<u8>,
    private: Option<Box<sig::EcdsaKeyPair>>,
}

impl EcKey {
    /// The members of an `EC` JWK: `crv` naming `alg`'s curve, `x` and `y` of its size, and
    /// `d` for a private key.
    pub(super) fn from_jwk(alg: Algorithm, jwk: &Jwk) -> Result<Self, KeyError> {
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
        Self::new(alg, x, y, d.as_deref().map(Vec::as_slice))
    }

    /// A fresh key pair on `alg`'s curve.
    pub(super) fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        use aws_lc_rs::encoding::AsBigEndian as _;
        const FAILED: KeyError = KeyError::Crypto("key generation failed");
        let (_, size) = alg.ec_curve().ok_or(FAILED)?;
        let pair = sig::EcdsaKeyPair::generate(algorithms(alg).1).map_err(|_| FAILED)?;
        let point = pair.public_key().as_ref();
        let (x, y) = point.get(1..).ok_or(FAILED)?.split_at(size);
        let d: aws_lc_rs::encoding::EcPrivateKeyBin<'_> =
            pair.private_key().as_be_bytes().map_err(|_| FAILED)?;
        Self::new(alg, x.to_vec(), y.to_vec(), Some(d.as_ref()))
    }

    /// Parses the uncompressed point `04 || x || y`, which must lie on the curve, and checks
    /// that `d` belongs to it.
    fn new(alg: Algorithm, x: Vec<u8>, y: Vec<u8>, d: Option<&[u8]>) -> Result<Self, KeyError> {
        let (verify, signing) = algorithms(alg);
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
        Ok(Self {
            public,
            x,
            y,
            private: private.map(Box::new),
        })
    }

    pub(super) fn can_sign(&self) -> bool {
        self.private.is_some()
    }

    /// The RFC 7638 thumbprint over `crv`, `kty`, `x` and `y`.
    pub(super) fn thumbprint(&self, alg: Algorithm) -> String {
        thumbprint(&[
            ("crv", curve_name(alg)),
            ("kty", "EC"),
            ("x", &base64url::encode(&self.x)),
            ("y", &base64url::encode(&self.y)),
        ])
    }

    pub(super) fn public_only(&self) -> Self {
        Self {
            public: self.public.clone(),
            x: self.x.clone(),
            y: self.y.clone(),
            private: None,
        }
    }

    /// `kty`, `crv`, `x` and `y`.
    pub(super) fn public_members(&self, alg: Algorithm) -> Map<String, Value> {
        let mut members = Map::new();
        members.insert("kty".into(), "EC".into());
        members.insert("crv".into(), curve_name(alg).into());
        members.insert("x".into(), base64url::encode(&self.x).into());
        members.insert("y".into(), base64url::encode(&self.y).into());
        members
    }

    /// The private scalar `d`; `None` for a public key.
    pub(super) fn private_members(&self) -> Option<Map<String, Value>> {
        use aws_lc_rs::encoding::AsBigEndian as _;
        let pair = self.private.as_ref()?;
        let d: aws_lc_rs::encoding::EcPrivateKeyBin<'_> = pair.private_key().as_be_bytes().ok()?;
        let mut members = Map::new();
        members.insert("d".into(), base64url::encode(d.as_ref()).into());
        Some(members)
    }

    /// Signs in the fixed `r || s` form JWS requires; `None` for a public key.
    pub(super) fn sign(&self, message: &[u8]) -> Option<Result<Vec<u8>, KeyError>> {
        let pair = self.private.as_ref()?;
        let signed = pair
            .sign(&SystemRandom::new(), message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| KeyError::Crypto("signing failed"));
        Some(signed)
    }
}

/// The verifying and signing algorithms of `alg`, fixed-width signatures.
fn algorithms(
    alg: Algorithm,
) -> (
    &'static sig::EcdsaVerificationAlgorithm,
    &'static sig::EcdsaSigningAlgorithm,
) {
    match alg {
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
    }
}

/// The JWK `crv` of `alg`.
fn curve_name(alg: Algorithm) -> &'static str {
    alg.ec_curve().map_or("", |(crv, _)| crv)
}
