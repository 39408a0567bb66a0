//! Opaque tokens: session ids and refresh tokens.
//!
//! 256 random bits, base64url, behind a readable prefix (`kc_s_`, `kc_r_`) so secret
//! scanners can spot a leaked one. The server keeps only the SHA-256 digest, so a read of the
//! store yields nothing a client could present; digests are compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::jose::base64url;

/// The number of random bytes in an opaque token.
pub const RANDOM_BYTES: usize = 32;
const ENCODED_LEN: usize = 43;

/// What an opaque token is for; each kind has its own prefix, so one is never accepted as
/// the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpaqueKind {
    /// A session id in a cookie.
    Session,
    /// A refresh token.
    Refresh,
}

impl OpaqueKind {
    /// The readable prefix.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Session => "kc_s_",
            Self::Refresh => "kc_r_",
        }
    }
}

/// A token as handed to a client. The text is a secret: `Debug` redacts it and the memory
/// is wiped on drop. Keep only its [`TokenDigest`].
pub struct OpaqueToken {
    kind: OpaqueKind,
    text: Zeroizing<String>,
}

impl fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpaqueToken({}<redacted>)", self.kind.prefix())
    }
}

/// Why a presented opaque token was refused before any lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a {0:?} token")]
pub struct NotAnOpaqueToken(pub OpaqueKind);

impl OpaqueToken {
    /// Draws a new token of `kind` from the operating system's random source.
    pub fn generate(kind: OpaqueKind) -> Result<Self, crate::KeyError> {
        let mut bytes = Zeroizing::new([0u8; RANDOM_BYTES]);
        aws_lc_rs::rand::fill(&mut bytes[..])
            .map_err(|_| crate::KeyError::Crypto("random source failed"))?;
        let mut text = Zeroizing::new(String::with_capacity(kind.prefix().len() + ENCODED_LEN));
        text.push_str(kind.prefix());
        base64url::encode_into(&bytes[..], &mut text);
        Ok(Self { kind, text })
    }

    /// Accepts a presented token: the right prefix, then exactly 43 characters of canonical
    /// base64url (256 bits). Anything else is refused without a store lookup.
    pub fn parse(kind: OpaqueKind, presented: &str) -> Result<Self, NotAnOpaqueToken> {
        let body = presented
            .strip_prefix(kind.prefix())
            .ok_or(NotAnOpaqueToken(kind))?;
        let mut bytes = Zeroizing::new([0u8; RANDOM_BYTES]);
        if body.len() != ENCODED_LEN
            || base64url::decode_to_slice(body, &mut bytes[..]) != Some(RANDOM_BYTES)
        {
            return Err(NotAnOpaqueToken(kind));
        }
        Ok(Self {
            kind,
            text: Zeroizing::new(presented.to_owned()),
        })
    }

    /// The kind of token.
    pub fn kind(&self) -> OpaqueKind {
        self.kind
    }

    /// The secret text, to send to the client once. Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }

    /// The SHA-256 digest of the whole text: what the store keeps and looks up.
    pub fn digest(&self) -> TokenDigest {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.text.as_bytes());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        TokenDigest(bytes)
    }
}

/// The SHA-256 digest of an opaque token. Equality is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// Wraps digest bytes read back from a store.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest bytes, for storing.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short, non-secret handle for logs and the API (the first 16 base64url characters
    /// of the digest): identifies a session without letting anyone present it.
    pub fn public_id(&self) -> String {
        let mut id = base64url::encode(self.0);
        id.truncate(16);
        id
    }
}

impl std::hash::Hash for TokenDigest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for TokenDigest {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({}…)", self.public_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_have_prefix_and_256_bits() {
        for kind in [OpaqueKind::Session, OpaqueKind::Refresh] {
            let token = OpaqueToken::generate(kind).unwrap();
            let text = token.expose_secret();
            assert!(text.starts_with(kind.prefix()));
            assert_eq!(text.len(), 5 + 43);
            let body = text.strip_prefix(kind.prefix()).unwrap();
            assert_eq!(base64url::decode(body).unwrap().len(), 32);
            assert_eq!(
                OpaqueToken::parse(kind, text).unwrap().digest(),
                token.digest()
            );
        }
    }

    #[test]
    fn tokens_are_distinct() {
        let a = OpaqueToken::generate(OpaqueKind::Session).unwrap();
        let b = OpaqueToken::generate(OpaqueKind::Session).unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn kinds_do_not_mix_and_junk_is_refused() {
        let session = OpaqueToken::generate(OpaqueKind::Session).unwrap();
        assert!(OpaqueToken::parse(OpaqueKind::Refresh, session.expose_secret()).is_err());
        let body = &session.expose_secret()[5..];
        for bad in [
            String::new(),
            "kc_s_".into(),
            format!("kc_s_{body}="),
            format!("kc_s_{}", &body[1..]),
            format!("kc_s_{body}A"),
            format!("kc_s_{}", body.replace(['-', '_'], "+")),
            format!("KC_S_{body}"),
        ] {
            if bad != session.expose_secret() {
                assert!(
                    OpaqueToken::parse(OpaqueKind::Session, &bad).is_err(),
                    "{bad}"
                );
            }
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = OpaqueToken::generate(OpaqueKind::Refresh).unwrap();
        let shown = format!("{token:?} {:?}", token.digest());
        assert!(!shown.contains(&token.expose_secret()[5..]), "{shown}");
        assert!(!shown.contains(&token.expose_secret()[5..15]), "{shown}");
    }
}
