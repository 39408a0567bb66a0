//! Access tokens: minted at login and refresh, verified on every bearer request.
//!
//! An access token is a JWT with `typ: at+jwt` (RFC 9068) and the claims
//! `iss sub aud exp iat jti sid`, signed with the active key. Verifying it costs a signature
//! check and, unless `revocation = "off"`, two hash lookups in the in-memory
//! [`RevocationSet`](keycard_core::revocation_set::RevocationSet): no store is asked.

use keycard_core::jwt::{self, Validation};
use keycard_core::{SessionId, TokenError, UnixTime, UserId};
use serde::Serialize;

use super::AuthError;
use crate::config::Revocation;
use crate::state::AppState;

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

/// Mints an access token for `user` in session `sid`, signed with the active key.
pub fn mint(
    state: &AppState,
    user: &UserId,
    sid: &SessionId,
    now: UnixTime,
) -> Result<AccessToken, AuthError> {
    let settings = state.settings();
    let lifetime = settings.access_token_lifetime;
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
    let keys = state.keys();
    let key = keys
        .active()
        .ok_or_else(|| AuthError::Internal("no active signing key".into()))?;
    let token = jwt::sign(key, Some(ACCESS_TOKEN_TYP), &claims)?;
    Ok(AccessToken {
        token,
        expires_in: lifetime.get(),
    })
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

/// Verifies a bearer token: size cap, signature, `typ`, `iss`, `aud`, `exp` with the
/// configured leeway, `sub` and `sid` present; then the revocation set, unless revocation
/// is off. The error's rule says which check failed.
pub fn verify_bearer(state: &AppState, token: &str, now: UnixTime) -> Result<Bearer, AuthError> {
    let settings = state.settings();
    let validation = Validation::access_token(&settings.issuer, &settings.audience)
        .with_leeway_secs(settings.leeway.as_i64())
        .with_max_token_bytes(settings.max_token_bytes);
    let verified = validation
        .verify(&state.keys(), token, now)
        .map_err(|error| AuthError::InvalidToken(error.rule()))?;
    let claims = &verified.claims;
    let missing = |claim| AuthError::InvalidToken(TokenError::MissingClaim(claim).rule());
    let sub = claims.sub().ok_or_else(|| missing("sub"))?;
    let sid = claims.sid().ok_or_else(|| missing("sid"))?;
    let iat = claims.iat().ok_or_else(|| missing("iat"))?;
    let exp = claims.exp().ok_or_else(|| missing("exp"))?;
    if settings.revocation == Revocation::On {
        state
            .revocations()
            .check(Some(sid), Some(sub), Some(iat))
            .map_err(|error| AuthError::InvalidToken(error.rule()))?;
    }
    Ok(Bearer {
        user_id: UserId::new(sub),
        session_id: SessionId::new(sid),
        issued_at: iat,
        expires_at: exp,
    })
}
