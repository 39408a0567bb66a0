//! The verifier's errors. [`VerifyError`] is why one request's token was refused, and names
//! the rule that failed; [`FetchError`] is why the issuer's documents could not be fetched
//! (at start-up, or on a refresh, which keeps the last good keys). Neither carries a
//! token, a secret or a response body. Which HTTP status each gets is decided in one place,
//! [`crate::response`].

use keycard_core::{KeyError, TokenError};

/// Why a request's bearer token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization` header.
    #[error("no bearer token")]
    MissingToken,
    /// An `Authorization` header that is not `Bearer <token>`.
    #[error("the Authorization header is not a bearer token")]
    NotBearer,
    /// The token failed a rule of the codec or of the claims (signature, `alg`, `kid`,
    /// `exp`, `aud`, `iss`, `typ`, ...) or is revoked.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The claims lack what the route asked for (`Verified<C>` could not be read).
    #[error("the token's claims do not have the expected shape")]
    UnexpectedClaims,
    /// The revocation stream has been silent past the staleness bound: memory may miss a
    /// revocation, so nothing is accepted until it is heard again.
    #[error("the revocation stream is stale")]
    Stale,
}

impl VerifyError {
    /// The stable name of the rule that failed, for logs, metrics and tests.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::NotBearer => "not_bearer",
            Self::Token(error) => error.rule(),
            Self::UnexpectedClaims => "unexpected_claims",
            Self::Stale => "revocations_stale",
        }
    }
}

/// Why a document of the issuer could not be fetched or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL does not parse.
    #[error("bad URL {url:?}")]
    BadUrl {
        /// The URL as given.
        url: String,
    },
    /// Plain HTTP to a host that is not loopback, without `with_insecure_http`.
    #[error("{url} is plain HTTP to a host that is not loopback")]
    InsecureUrl {
        /// The URL.
        url: String,
    },
    /// The request failed (connection, TLS, timeout).
    #[error("{url}: {source}")]
    Http {
        /// The URL.
        url: String,
        /// What reqwest said.
        source: reqwest::Error,
    },
    /// No answer within the fetch deadline.
    #[error("{url}: no answer in time")]
    Timeout {
        /// The URL.
        url: String,
    },
    /// The issuer answered with a status other than 200.
    #[error("{url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// The body is larger than the verifier reads.
    #[error("{url}: the body is over {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// The body is not the document expected.
    #[error("{url}: {reason}")]
    BadDocument {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The discovery document names another issuer than the one configured.
    #[error("the discovery document names issuer {found:?}, not {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The document's.
        found: String,
    },
    /// The key set could not be read.
    #[error("key set: {0}")]
    Keys(#[from] KeyError),
}

impl FetchError {
    /// The stable name of what failed.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::BadUrl { .. } => "bad_url",
            Self::InsecureUrl { .. } => "insecure_url",
            Self::Http { .. } => "fetch_failed",
            Self::Timeout { .. } => "timeout",
            Self::Status { .. } => "bad_status",
            Self::TooLarge { .. } => "too_large",
            Self::BadDocument { .. } => "bad_document",
            Self::IssuerMismatch { .. } => "issuer_mismatch",
            Self::Keys(_) => "bad_key_set",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rules_pass_through() {
        assert_eq!(VerifyError::from(TokenError::Expired).rule(), "expired");
        assert_eq!(VerifyError::from(TokenError::Revoked).rule(), "revoked");
        assert_eq!(VerifyError::Stale.rule(), "revocations_stale");
        assert_eq!(VerifyError::MissingToken.rule(), "missing_token");
    }
}
