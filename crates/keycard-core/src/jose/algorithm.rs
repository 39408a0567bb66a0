//! The JWS algorithms Keycard signs and verifies, and nothing else.
//!
//! `none` has no variant: there is no value of [`Algorithm`] that skips the signature, so
//! no configuration or header can ask for one.

use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm (RFC 7518 section 3, RFC 8037 for EdDSA).
///
/// Every key is bound to exactly one of these; a token whose header names another is
/// rejected before any cryptography runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1-SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1-SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256, signature as `r || s`.
    ES256,
    /// ECDSA on P-384 with SHA-384, signature as `r || s`.
    ES384,
    /// ECDSA on P-521 with SHA-512, signature as `r || s`.
    ES512,
    /// EdDSA on Ed25519.
    EdDSA,
}

/// The family an algorithm belongs to: decides which kind of key material it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// HMAC: a shared secret (`kty: oct`).
    Hmac,
    /// RSA PKCS#1 v1.5 or PSS (`kty: RSA`).
    Rsa,
    /// ECDSA on a NIST curve (`kty: EC`).
    Ecdsa,
    /// Ed25519 (`kty: OKP`).
    EdDsa,
}

impl Algorithm {
    /// Every algorithm, in a stable order.
    pub const ALL: [Algorithm; 13] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::ES512,
        Self::EdDSA,
    ];

    /// The registered name, exactly as it appears in a JWS header.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Looks an algorithm up by its exact, case-sensitive name. `none` and every other
    /// name not in [`Algorithm::ALL`] give `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> Family {
        match self {
            Self::HS256 | Self::HS384 | Self::HS512 => Family::Hmac,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                Family::Rsa
            }
            Self::ES256 | Self::ES384 | Self::ES512 => Family::Ecdsa,
            Self::EdDSA => Family::EdDsa,
        }
    }

    /// For HMAC, the hash output length in bytes, which is also the shortest key allowed
    /// (RFC 7518 section 3.2).
    pub(crate) const fn hmac_min_key_len(self) -> usize {
        match self {
            Self::HS384 => 48,
            Self::HS512 => 64,
            _ => 32,
        }
    }

    /// For ECDSA, the JWK curve name and the byte length of one coordinate or scalar.
    pub(crate) const fn ec_curve(self) -> Option<(&'static str, usize)> {
        match self {
            Self::ES256 => Some(("P-256", 32)),
            Self::ES384 => Some(("P-384", 48)),
            Self::ES512 => Some(("P-521", 66)),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an algorithm name that Keycard does not implement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported algorithm {0:?}; supported: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA"
)]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
        }
    }

    #[test]
    fn none_is_never_an_algorithm() {
        for name in ["none", "None", "NONE", "nOnE", "", " none", "none "] {
            assert_eq!(Algorithm::from_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn names_are_case_sensitive() {
        assert_eq!(Algorithm::from_name("hs256"), None);
        assert_eq!(Algorithm::from_name("EDDSA"), None);
    }
}
