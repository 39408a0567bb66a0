//! A key bound to one algorithm: import from JWK, generation, export, sign and verify.
//!
//! Public keys are parsed once at import (`ParsedPublicKey`), so a verify pays for the
//! signature check only. Each variant of [`Material`] can only do its own family's
//! algorithms, and the header's `alg` is compared with the key's before any of them runs.
//!
//! This file holds the [`Key`] type, its public API and the binding of a key to its
//! algorithm; each key family lives in its own module:
//!
//! - `hmac`: shared secrets (HS256/384/512);
//! - `rsa`: RSA key pairs (RS* with PKCS#1 v1.5, PS* with PSS), with the modulus,
//!   exponent and ROCA checks;
//! - `ec`: ECDSA key pairs on P-256, P-384 and P-521 (ES256/384/512);
//! - `okp`: Ed25519 key pairs (EdDSA, RFC 8037).

mod ec;
mod hmac;
mod okp;
mod rsa;

use std::sync::Arc;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::Algorithm;
use super::algorithm::Family;
use super::jwk::Jwk;
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

/// The key material of one family. Each variant can only do its own family's algorithms.
// The HMAC key (with its precomputed inner and outer states) stays inline: keys are few,
// and HS256 verification is the path where one pointer chase shows.
#[allow(clippy::large_enum_variant)]
enum Material {
    Hmac(hmac::HmacSecret),
    Rsa(rsa::RsaKey),
    Ec(ec::EcKey),
    Ed25519(okp::Ed25519Key),
}

impl Material {
    /// The RFC 7638 thumbprint: the key id when none is given.
    fn thumbprint(&self, alg: Algorithm) -> String {
        match self {
            Self::Hmac(secret) => secret.thumbprint(),
            Self::Rsa(key) => key.thumbprint(),
            Self::Ec(key) => key.thumbprint(alg),
            Self::Ed25519(key) => key.thumbprint(),
        }
    }
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
    /// Binds `material` to `alg`, named by `kid` or, without one, by its thumbprint.
    fn bind(alg: Algorithm, material: Material, kid: Option<String>) -> Self {
        let kid = kid.unwrap_or_else(|| material.thumbprint(alg));
        Self {
            alg,
            kid: Arc::from(kid),
            material,
        }
    }

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
            Material::Hmac(_) => true,
            Material::Rsa(key) => key.can_sign(),
            Material::Ec(key) => key.can_sign(),
            Material::Ed25519(key) => key.can_sign(),
        }
    }

    /// Whether this is a shared secret (HMAC) rather than a key pair.
    pub fn is_symmetric(&self) -> bool {
        matches!(self.material, Material::Hmac(_))
    }

    /// Replaces the key id.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Arc::from(kid.into());
        self
    }

    /// An HMAC key from raw secret bytes; secrets shorter than the hash output are refused.
    pub fn hmac(alg: Algorithm, secret: &[u8], kid: Option<String>) -> Result<Self, KeyError> {
        let secret = hmac::HmacSecret::new(alg, secret)?;
        Ok(Self::bind(alg, Material::Hmac(secret), kid))
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
        let material = match (alg.family(), jwk.kty.as_str()) {
            (Family::Hmac, "oct") => Material::Hmac(hmac::HmacSecret::from_jwk(alg, jwk)?),
            (Family::Rsa, "RSA") => Material::Rsa(rsa::RsaKey::from_jwk(alg, jwk)?),
            (Family::Ecdsa, "EC") => Material::Ec(ec::EcKey::from_jwk(alg, jwk)?),
            (Family::EdDsa, "OKP") => Material::Ed25519(okp::Ed25519Key::from_jwk(jwk)?),
            (_, kty) => {
                return Err(KeyError::AlgMismatch(format!(
                    "kty {kty:?} cannot be used with {alg}"
                )));
            }
        };
        let key = Self::bind(alg, material, jwk.kid.clone());
        if may_sign {
            Ok(key)
        } else {
            key.to_public_only()
        }
    }

    /// Generates a fresh key for `alg`: a random secret of the hash length for HMAC, RSA of
    /// 2048 bits, the algorithm's curve for ECDSA, Ed25519 for EdDSA.
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let material = match alg.family() {
            Family::Hmac => Material::Hmac(hmac::HmacSecret::generate(alg)?),
            Family::Rsa => Material::Rsa(rsa::RsaKey::generate(alg)?),
            Family::Ecdsa => Material::Ec(ec::EcKey::generate(alg)?),
            Family::EdDsa => Material::Ed25519(okp::Ed25519Key::generate()?),
        };
        Ok(Self::bind(alg, material, None))
    }

    /// A copy with the private material dropped. HMAC keys have no public half: error.
    pub fn to_public_only(&self) -> Result<Self, KeyError> {
        let material = match &self.material {
            Material::Hmac(_) => {
                return Err(KeyError::WrongUse(
                    "an HMAC secret has no public part".into(),
                ));
            }
            Material::Rsa(key) => Material::Rsa(key.public_only()),
            Material::Ec(key) => Material::Ec(key.public_only()),
            Material::Ed25519(key) => Material::Ed25519(key.public_only()),
        };
        Ok(Self {
            alg: self.alg,
            kid: self.kid.clone(),
            material,
        })
    }

    /// The public JWK: `kty`, the public members, `kid`, `alg` and `use: sig`. Never any
    /// private member. `None` for HMAC secrets, which have no public form.
    pub fn public_jwk(&self) -> Option<Value> {
        let mut members = match &self.material {
            Material::Hmac(_) => return None,
            Material::Rsa(key) => key.public_members(),
            Material::Ec(key) => key.public_members(self.alg),
            Material::Ed25519(key) => key.public_members(),
        };
        self.add_common_members(&mut members);
        Some(Value::Object(members))
    }

    /// The private JWK, for `keycard keygen` and key storage. `None` for a public-only key.
    /// The caller owns a secret: never log it.
    pub fn private_jwk(&self) -> Option<Zeroizing<String>> {
        let members = match &self.material {
            Material::Hmac(secret) => {
                let mut members = secret.private_members();
                self.add_common_members(&mut members);
                members
            }
            Material::Rsa(key) => {
                let private = key.private_members()?;
                self.with_public_members(private)?
            }
            Material::Ec(key) => {
                let private = key.private_members()?;
                self.with_public_members(private)?
            }
            Material::Ed25519(key) => {
                let private = key.private_members()?;
                self.with_public_members(private)?
            }
        };
        Some(Zeroizing::new(
            serde_json::to_string_pretty(&Value::Object(members)).ok()?,
        ))
    }

    /// The public JWK's members followed by `private`.
    fn with_public_members(&self, private: Map<String, Value>) -> Option<Map<String, Value>> {
        let Value::Object(mut members) = self.public_jwk()? else {
            return None;
        };
        members.extend(private);
        Some(members)
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
        match &self.material {
            Material::Hmac(secret) => Ok(secret.sign(message)),
            Material::Rsa(key) => key.sign(self.alg, message).ok_or_else(not_private)?,
            Material::Ec(key) => key.sign(message).ok_or_else(not_private)?,
            Material::Ed25519(key) => key.sign(message).ok_or_else(not_private),
        }
    }

    /// Whether `signature` is this key's valid signature over `message`. HMAC tags are
    /// compared in constant time; ECDSA signatures must be exactly `r || s`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Hmac(secret) => secret.verify(message, signature),
            Material::Rsa(rsa::RsaKey { public, .. })
            | Material::Ec(ec::EcKey { public, .. })
            | Material::Ed25519(okp::Ed25519Key { public, .. }) => {
                public.verify_sig(message, signature).is_ok()
            }
        }
    }
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
                let err = public.sign(b"message").unwrap_err();
                assert_eq!(err.rule(), "not_a_signing_key", "{alg}");
            } else {
                assert!(key.is_symmetric());
            }
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
