//! Signing keys as a store keeps them: public metadata in the clear, the private JWK
//! sealed with AES-256-GCM under a master key when one is configured.
//!
//! Without a master key, the store writes the private JWK to a file only its owner can
//! read, and the record carries no private material at all.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::jose::{Algorithm, KeyRole};
use crate::{KeyError, UnixTime};

/// A signing key's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key id.
    pub kid: String,
    /// The algorithm it is bound to.
    pub alg: Algorithm,
    /// Active, next or retired.
    pub role: KeyRole,
    /// When it was generated.
    pub created_at: UnixTime,
    /// For a retired key: when the last token it signed has expired and it may be deleted.
    pub retire_after: Option<UnixTime>,
    /// The public JWK (JSON), for the JWKS.
    pub public_jwk: String,
    /// The private JWK sealed under the master key, or `None` when it lives in a 0600 file.
    pub sealed_private: Option<Vec<u8>>,
}

/// The key that seals private keys at rest: 32 bytes, from configuration. Every instance
/// of a deployment holds the same one, so it also [derives](MasterKey::derive) the other
/// secrets they must share. `Debug` redacts.
pub struct MasterKey(LessSafeKey, hmac::Key);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A master key from exactly 32 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 32 {
            return Err(KeyError::WeakKey(format!(
                "a master key is 32 bytes, got {}",
                bytes.len()
            )));
        }
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| KeyError::Crypto("AES key rejected"))?;
        Ok(Self(
            LessSafeKey::new(key),
            hmac::Key::new(hmac::HMAC_SHA256, bytes),
        ))
    }

    /// A 32-byte secret for `purpose`, the same on every instance with this master key and
    /// unrelated to the sealing key or to any other purpose's secret (HMAC-SHA256 of the
    /// purpose under the master key, as HKDF-Expand's first block).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(hmac::sign(&self.1, purpose.as_bytes()).as_ref());
        out
    }

    /// Seals a private JWK, bound to its kid (a sealed key moved to another kid won't open).
    pub fn seal(&self, kid: &str, private_jwk: &str) -> Result<Vec<u8>, KeyError> {
        const FAILED: KeyError = KeyError::Crypto("sealing a key failed");
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| FAILED)?;
        let mut sealed = private_jwk.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| FAILED)?;
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        Ok(out)
    }

    /// Opens a sealed private JWK.
    pub fn open(&self, kid: &str, sealed: &[u8]) -> Result<Zeroizing<String>, KeyError> {
        const FAILED: KeyError =
            KeyError::Crypto("a sealed key did not open: wrong master key, or tampered");
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN).ok_or(FAILED)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| FAILED)?;
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buffer)
            .map_err(|_| FAILED)?;
        let text = std::str::from_utf8(plain).map_err(|_| FAILED)?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_kid() {
        let master = MasterKey::new(&[9u8; 32]).unwrap();
        let sealed = master.seal("k1", r#"{"d":"secret"}"#).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("secret"));
        assert_eq!(
            master.open("k1", &sealed).unwrap().as_str(),
            r#"{"d":"secret"}"#
        );
        assert!(master.open("k2", &sealed).is_err());
        assert!(
            MasterKey::new(&[8u8; 32])
                .unwrap()
                .open("k1", &sealed)
                .is_err()
        );
        assert!(MasterKey::new(&[1u8; 16]).is_err());
    }

    #[test]
    fn derived_secrets_depend_on_the_key_and_the_purpose() {
        let master = MasterKey::new(&[9u8; 32]).unwrap();
        let again = MasterKey::new(&[9u8; 32]).unwrap();
        let other = MasterKey::new(&[8u8; 32]).unwrap();
        assert_eq!(master.derive("limits"), again.derive("limits"));
        assert_ne!(master.derive("limits"), master.derive("other"));
        assert_ne!(master.derive("limits"), other.derive("limits"));
        assert!(!format!("{master:?}").contains("9"));
    }
}
