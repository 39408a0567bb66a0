//! The errors of the domain. Each rejection names the rule that failed, so the server can log
//! it, the CLI can print it and a test can assert it; none carries secret material.

/// Why a token was rejected. [`TokenError::rule`] gives the stable, snake_case rule name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the configured cap; nothing of it was decoded.
    #[error("token is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// The token's length in bytes.
        size: usize,
        /// The configured cap.
        limit: usize,
    },
    /// The token is not a well-formed JWS compact serialization or JWT.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header names an algorithm Keycard never accepts (`none` in any spelling, or one it
    /// does not implement).
    #[error("algorithm {0:?} is not accepted")]
    UnsupportedAlg(String),
    /// The header's `alg` differs from the algorithm the selected key is bound to.
    #[error("header alg {header} does not match the key's algorithm {key}")]
    AlgMismatch {
        /// What the header said.
        header: String,
        /// What the key is bound to.
        key: &'static str,
    },
    /// No key in the key set has the header's `kid` (or the header has none and the set has
    /// several keys).
    #[error("no key for this kid")]
    UnknownKid,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// `crit` is empty, or names a header parameter Keycard does not understand.
    #[error("crit header lists a parameter that is not understood")]
    UnsupportedCrit,
    /// `b64: false` (RFC 7797 unencoded payload) is never accepted.
    #[error("unencoded payloads (b64: false) are not accepted")]
    UnencodedPayload,
    /// `exp` is in the past, beyond the leeway.
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future, beyond the leeway.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future, beyond the leeway.
    #[error("token issued in the future")]
    IssuedInFuture,
    /// A claim the validation requires is absent.
    #[error("required claim {0} is missing")]
    MissingClaim(&'static str),
    /// `iss` is not the expected issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain the expected audience.
    #[error("wrong audience")]
    WrongAudience,
    /// `typ` is not the required type (for example a refresh token presented as `at+jwt`).
    #[error("wrong token type")]
    WrongType,
    /// The token's session was revoked, or its user's `not_before` is after its `iat`.
    #[error("token revoked")]
    Revoked,
}

impl TokenError {
    /// The stable name of the rule that failed, for logs, metrics and tests.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlg(_) => "unsupported_alg",
            Self::AlgMismatch { .. } => "alg_mismatch",
            Self::UnknownKid => "unknown_kid",
            Self::BadSignature => "bad_signature",
            Self::UnsupportedCrit => "unsupported_crit",
            Self::UnencodedPayload => "unencoded_payload",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::MissingClaim(_) => "missing_claim",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::WrongType => "wrong_type",
            Self::Revoked => "revoked",
        }
    }
}

/// Why a key could not be imported, generated or used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is too weak for its algorithm (short HMAC secret, RSA under 2048 bits).
    #[error("weak key: {0}")]
    WeakKey(String),
    /// The JWK is not well formed (missing or badly encoded member, wrong curve, ...).
    #[error("malformed key: {0}")]
    Malformed(String),
    /// The key declares a use other than signatures (`use` not `sig`, or `key_ops`
    /// without `verify`/`sign`).
    #[error("key is not for signatures: {0}")]
    WrongUse(String),
    /// The key names no algorithm and none was given.
    #[error("key has no alg; give one explicitly")]
    MissingAlg,
    /// The key's own `alg` and the one asked for differ, or the key type does not fit it.
    #[error("key does not fit algorithm: {0}")]
    AlgMismatch(String),
    /// The key's `alg` is not one Keycard implements.
    #[error(transparent)]
    UnsupportedAlg(#[from] crate::jose::UnknownAlgorithm),
    /// The operation needs a private key and this one is public only.
    #[error("key {kid:?} is public only and cannot sign")]
    NotASigningKey {
        /// The key's id.
        kid: String,
    },
    /// The cryptographic library refused the operation.
    #[error("crypto failure: {0}")]
    Crypto(&'static str),
}

impl KeyError {
    /// The stable name of the rule that failed.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::WeakKey(_) => "weak_key",
            Self::Malformed(_) => "malformed_key",
            Self::WrongUse(_) => "wrong_key_use",
            Self::MissingAlg => "missing_alg",
            Self::AlgMismatch(_) => "alg_mismatch",
            Self::UnsupportedAlg(_) => "unsupported_alg",
            Self::NotASigningKey { .. } => "not_a_signing_key",
            Self::Crypto(_) => "crypto",
        }
    }
}
