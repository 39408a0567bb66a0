//! Access tokens: minted at login and refresh, verified on every bearer request.
//!
//! An access token is a JWT with `typ: at+jwt` (RFC 9068) and the claims
//! `iss sub aud exp iat jti sid`, signed with the active key. Verifying it costs a signature
//! check and, unless `revocation = "off"`, two hash lookups in the in-memory
//! [`RevocationSet`](keycard_core::revocation_set::RevocationSet): no store is asked. A
//! token verified before is found in the verified-token cache
//! ([`cache::tokens`](crate::cache::tokens)) by its SHA-256 instead: no signature either,
//! while expiry and the revocation set are still checked on every request.

use keycard_core::jwt::{self, Validation};
use keycard_core::{SessionId, TokenError, UnixTime, UserId};
use serde::Serialize;

use crate::cache::tokens::token_hash;
use crate::error::AuthError;
use crate::events::CacheName;
use crate::service::Auth;
use crate::settings::Revocation;

/// The media type in the header of every access token.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// A freshly minted access token.
pub struct AccessToken {
    /// The compact JWS. A secret: never logged.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    sid: &'a str,
}

impl Auth {
    /// Mints an access token for `user` in session `sid`, signed with the active key.
    pub(crate) fn mint(
        &self,
        user: &UserId,
        sid: &SessionId,
        now: UnixTime,
    ) -> Result<AccessToken, AuthError> {
        let settings = self.settings();
        let lifetime = settings.tokens.access_token_lifetime;
        let claims = AccessClaims {
            iss: &settings.issuer,
            sub: user.as_str(),
            aud: &settings.audience,
            exp: now.plus_secs(lifetime.as_i64()).as_secs(),
            iat: now.as_secs(),
            // 128 random bits, from the same generator as every public id.
            jti: SessionId::generate()?.as_str().to_owned(),
            sid: sid.as_str(),
        };
        let keys = self.keys();
        let key = keys
            .active()
            .ok_or_else(|| AuthError::internal("no active signing key"))?;
        let token = jwt::sign(key, Some(ACCESS_TOKEN_TYP), &claims)?;
        Ok(AccessToken {
            token,
            expires_in: lifetime.get(),
        })
    }
}

/// Who a verified access token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bearer {
    /// `sub`.
    pub user_id: UserId,
    /// `sid`.
    pub session_id: SessionId,
    /// `iat`.
    pub issued_at: UnixTime,
    /// `exp`.
    pub expires_at: UnixTime,
}

impl Auth {
    /// Verifies a bearer token: size cap, signature, `typ`, `iss`, `aud`, `exp` with the
    /// configured leeway, `sub` and `sid` present; then the revocation set, unless revocation
    /// is off. The error's rule says which check failed.
    pub fn verify_bearer(&self, token: &str, now: UnixTime) -> Result<Bearer, AuthError> {
        let settings = self.settings();
        let bearer = self.verified_claims(token, now)?;
        if settings.tokens.revocation == Revocation::On {
            self.revocations()
                .check(
                    Some(bearer.session_id.as_str()),
                    Some(bearer.user_id.as_str()),
                    Some(bearer.issued_at),
                )
                .map_err(|error| AuthError::InvalidToken(error.rule()))?;
        }
        Ok(bearer)
    }

    /// The token's claims: from the verified-token cache when it holds the token's exact
    /// bytes, verified under the current keys and not expired at `now` (leeway included);
    /// else from a full verification, remembered when it passes.
    fn verified_claims(&self, token: &str, now: UnixTime) -> Result<Bearer, AuthError> {
        let settings = self.settings();
        let cache = &self.caches().tokens;
        // Larger tokens are refused by the full verification before any work; not hashed.
        let hash = (token.len() <= settings.tokens.max_token_bytes).then(|| token_hash(token));
        if let Some(bearer) = hash.as_ref().and_then(|hash| cache.get(hash, now)) {
            self.events().cache_lookup(CacheName::Tokens, true);
            return Ok(bearer);
        }
        self.events().cache_lookup(CacheName::Tokens, false);
        let leeway = settings.tokens.leeway.as_i64();
        let validation = Validation::access_token(&settings.issuer, &settings.audience)
            .with_leeway_secs(leeway)
            .with_max_token_bytes(settings.tokens.max_token_bytes);
        let (verified, generation) = {
            // The generation is read under the same guard as the keys it names.
            let keys = self.keys();
            self.events().signature_checked();
            (validation.verify(&keys, token, now), cache.generation())
        };
        let verified = verified.map_err(|error| AuthError::InvalidToken(error.rule()))?;
        let claims = &verified.claims;
        let missing = |claim| AuthError::InvalidToken(TokenError::MissingClaim(claim).rule());
        let bearer = Bearer {
            user_id: UserId::new(claims.sub().ok_or_else(|| missing("sub"))?),
            session_id: SessionId::new(claims.sid().ok_or_else(|| missing("sid"))?),
            issued_at: claims.iat().ok_or_else(|| missing("iat"))?,
            expires_at: claims.exp().ok_or_else(|| missing("exp"))?,
        };
        if let Some(hash) = hash {
            let expires_at = bearer.expires_at;
            cache.insert(hash, bearer.clone(), expires_at, leeway, generation, now);
        }
        Ok(bearer)
    }
}
