//! A token that passed: its header and claims, as every route behind the layer sees it.

use keycard_core::jwt::{Claims, VerifiedJwt};
use keycard_core::{Header, UnixTime};
use serde::de::DeserializeOwned;

/// An access token whose signature, header rules, claims and revocation check passed. Put
/// in each request's extensions by the layer (as `Arc<VerifiedToken>`); read it with the
/// [`Verified`](crate::Verified) extractor. It holds no copy of the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    jwt: VerifiedJwt,
}

impl VerifiedToken {
    pub(crate) fn new(jwt: VerifiedJwt) -> Self {
        Self { jwt }
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.jwt.header
    }

    /// The registered claims (`iss`, `sub`, `aud`, `exp`, `iat`, `sid`, ...).
    pub fn claims(&self) -> &Claims {
        &self.jwt.claims
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.jwt.claims.sub()
    }

    /// `sid`: the Keycard session the token belongs to.
    pub fn session_id(&self) -> Option<&str> {
        self.jwt.claims.sid()
    }

    /// `exp`. Every verified token has one.
    pub fn expires_at(&self) -> UnixTime {
        self.jwt.claims.exp().unwrap_or(UnixTime::from_secs(0))
    }

    /// Reads every claim into the application's own type (extra claims such as roles).
    pub fn deserialize<C: DeserializeOwned>(&self) -> Result<C, serde_json::Error> {
        self.jwt.deserialize_claims()
    }
}
