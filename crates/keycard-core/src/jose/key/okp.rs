//! Ed25519 key pairs (EdDSA; RFC 8037): import of the `OKP` JWK with `crv: Ed25519`,
//! generation, the JWK members, and signing.

use aws_lc_rs::signature::{self as sig, KeyPair as _, ParsedPublicKey};
use serde_json::{Map, Value};

use crate::KeyError;
use crate::jose::base64url;
use crate::jose::jwk::{Jwk, thumbprint};

/// The length of an Ed25519 public key and of its private seed.
const KEY_LEN: usize = 32;

/// An Ed25519 public key, parsed once for verifying, with its private half when held.
pub(super) struct Ed25519Key {
    pub(super) public: ParsedPublicKey,
    x: Vec<u8>,
    private: Option<Box<sig::Ed25519KeyPair>>,
}

impl Ed25519Key {
    /// The members of an `OKP` JWK: `crv: Ed25519`, `x`, and `d` (the seed) for a private
    /// key.
    pub(super) fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
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
        Self::new(x, d.as_deref().map(Vec::as_slice))
    }

    /// A fresh key pair.
    pub(super) fn generate() -> Result<Self, KeyError> {
        use aws_lc_rs::encoding::AsBigEndian as _;
        const FAILED: KeyError = KeyError::Crypto("key generation failed");
        let pair = sig::Ed25519KeyPair::generate().map_err(|_| FAILED)?;
        let seed: aws_lc_rs::encoding::Curve25519SeedBin<'_> = pair
            .seed()
            .and_then(|s| s.as_be_bytes())
            .map_err(|_| FAILED)?;
        Self::new(pair.public_key().as_ref().to_vec(), Some(seed.as_ref()))
    }

    /// Parses the 32-byte public key and checks that the seed `d` belongs to it.
    fn new(x: Vec<u8>, d: Option<&[u8]>) -> Result<Self, KeyError> {
        if x.len() != KEY_LEN {
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
        Ok(Self {
            public,
            x,
            private: private.map(Box::new),
        })
    }

    pub(super) fn can_sign(&self) -> bool {
        self.private.is_some()
    }

    /// The RFC 7638 thumbprint over `crv`, `kty` and `x`.
    pub(super) fn thumbprint(&self) -> String {
        thumbprint(&[
            ("crv", "Ed25519"),
            ("kty", "OKP"),
            ("x", &base64url::encode(&self.x)),
        ])
    }

    pub(super) fn public_only(&self) -> Self {
        Self {
            public: self.public.clone(),
            x: self.x.clone(),
            private: None,
        }
    }

    /// `kty`, `crv` and `x`.
    pub(super) fn public_members(&self) -> Map<String, Value> {
        let mut members = Map::new();
        members.insert("kty".into(), "OKP".into());
        members.insert("crv".into(), "Ed25519".into());
        members.insert("x".into(), base64url::encode(&self.x).into());
        members
    }

    /// The private seed `d`; `None` for a public key.
    pub(super) fn private_members(&self) -> Option<Map<String, Value>> {
        use aws_lc_rs::encoding::AsBigEndian as _;
        let pair = self.private.as_ref()?;
        let seed: aws_lc_rs::encoding::Curve25519SeedBin<'_> =
            pair.seed().ok()?.as_be_bytes().ok()?;
        let mut members = Map::new();
        members.insert("d".into(), base64url::encode(seed.as_ref()).into());
        Some(members)
    }

    /// `None` for a public key; Ed25519 signing itself cannot fail.
    pub(super) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let pair = self.private.as_ref()?;
        Some(pair.sign(message).as_ref().to_vec())
    }
}
