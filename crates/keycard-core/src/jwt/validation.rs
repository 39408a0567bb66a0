//! The rules a JWT's claims must pass, with one explicit leeway for clock skew.

use super::{Claims, VerifiedJwt};
use crate::jose::{self, KeySet, jws};
use crate::{TokenError, UnixTime};

/// The default allowance for clock skew between issuer and verifier, in seconds.
pub const DEFAULT_LEEWAY_SECS: i64 = 30;

/// What a JWT must satisfy beyond its signature. Built with `with_*` methods; the
/// defaults require `exp`, allow 30 s of leeway and cap tokens at 8 KiB.
#[derive(Clone, Debug)]
pub struct Validation {
    issuer: Option<String>,
    audiences: Vec<String>,
    typ: Option<String>,
    leeway_secs: i64,
    max_token_bytes: usize,
}

impl Default for Validation {
    fn default() -> Self {
        Self {
            issuer: None,
            audiences: Vec::new(),
            typ: None,
            leeway_secs: DEFAULT_LEEWAY_SECS,
            max_token_bytes: jws::DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

impl Validation {
    /// The defaults: `exp` required, 30 s leeway, 8 KiB cap, no issuer, audience or type.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rules for a Keycard access token (RFC 9068): `typ: at+jwt`, this issuer, and
    /// this audience.
    pub fn access_token(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self::new()
            .with_issuer(issuer)
            .with_audience(audience)
            .with_typ("at+jwt")
    }

    /// `iss` must equal `issuer` exactly.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// `aud` must be, or contain, `audience`. Given several times (or with
    /// [`with_audiences`](Self::with_audiences)), `aud` must contain one of them.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// `aud` must contain at least one of `audiences` (a resource server known by several
    /// names). An empty list checks no audience.
    pub fn with_audiences(
        mut self,
        audiences: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// The header's `typ` must name this media type (compared as RFC 7515 says:
    /// case-insensitively, `application/` optional).
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// The allowance for clock skew, in seconds (negative values count as zero).
    pub fn with_leeway_secs(mut self, leeway_secs: i64) -> Self {
        self.leeway_secs = leeway_secs.max(0);
        self
    }

    /// The cap on a token's length in bytes, checked before anything is decoded.
    pub fn with_max_token_bytes(mut self, max_token_bytes: usize) -> Self {
        self.max_token_bytes = max_token_bytes;
        self
    }

    /// The configured cap on a token's length.
    pub fn max_token_bytes(&self) -> usize {
        self.max_token_bytes
    }

    /// Verifies a compact JWT: the JWS rules and signature first (no claim is trusted
    /// before), then `typ`, then the claims, at time `now`.
    pub fn verify(
        &self,
        keys: &KeySet,
        token: &str,
        now: UnixTime,
    ) -> Result<VerifiedJwt, TokenError> {
        let parts = jws::split(token, self.max_token_bytes)?;
        let (header, key) = jws::decode_header(keys, parts.header)?;
        jws::check_signature(key, &header, &parts)?;
        if let Some(typ) = &self.typ
            && !header.typ_is(typ)
        {
            return Err(TokenError::WrongType);
        }
        let payload = jose::base64url::decode(parts.payload)
            .ok_or(TokenError::Malformed("payload is not canonical base64url"))?;
        let claims = Claims::from_payload(payload)?;
        self.check_claims(&claims, now)?;
        Ok(VerifiedJwt { header, claims })
    }

    /// Applies the claim rules to already-parsed claims at time `now`.
    pub fn check_claims(&self, claims: &Claims, now: UnixTime) -> Result<(), TokenError> {
        let leeway = self.leeway_secs;
        let now = now.as_secs();
        let exp = claims.exp().ok_or(TokenError::MissingClaim("exp"))?;
        // RFC 7519 4.1.4: the token must not be accepted on or after exp.
        if now >= exp.as_secs().saturating_add(leeway) {
            return Err(TokenError::Expired);
        }
        if let Some(nbf) = claims.nbf()
            && now.saturating_add(leeway) < nbf.as_secs()
        {
            return Err(TokenError::NotYetValid);
        }
        if let Some(iat) = claims.iat()
            && now.saturating_add(leeway) < iat.as_secs()
        {
            return Err(TokenError::IssuedInFuture);
        }
        if let Some(issuer) = &self.issuer {
            match claims.iss() {
                None => return Err(TokenError::MissingClaim("iss")),
                Some(iss) if iss != issuer => return Err(TokenError::WrongIssuer),
                Some(_) => {}
            }
        }
        if !self.audiences.is_empty() {
            if claims.aud().next().is_none() {
                return Err(TokenError::MissingClaim("aud"));
            }
            if !claims
                .aud()
                .any(|aud| self.audiences.iter().any(|accepted| aud == accepted))
            {
                return Err(TokenError::WrongAudience);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> Claims {
        Claims::parse(json.as_bytes()).unwrap()
    }

    fn at(exp: i64) -> Claims {
        claims(&format!(r#"{{"exp":{exp}}}"#))
    }

    #[test]
    fn expiry_honours_leeway_exactly() {
        let v = Validation::new().with_leeway_secs(30);
        let now = UnixTime::from_secs(1000);
        assert!(v.check_claims(&at(971), now).is_ok());
        assert_eq!(v.check_claims(&at(970), now), Err(TokenError::Expired));
        let strict = Validation::new().with_leeway_secs(0);
        assert!(strict.check_claims(&at(1001), now).is_ok());
        assert_eq!(
            strict.check_claims(&at(1000), now),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn exp_is_required() {
        let v = Validation::new();
        assert_eq!(
            v.check_claims(&claims("{}"), UnixTime::from_secs(0)),
            Err(TokenError::MissingClaim("exp"))
        );
    }

    #[test]
    fn nbf_and_iat_in_the_future() {
        let v = Validation::new().with_leeway_secs(10);
        let now = UnixTime::from_secs(1000);
        assert!(
            v.check_claims(&claims(r#"{"exp":2000,"nbf":1010}"#), now)
                .is_ok()
        );
        assert_eq!(
            v.check_claims(&claims(r#"{"exp":2000,"nbf":1011}"#), now),
            Err(TokenError::NotYetValid)
        );
        assert!(
            v.check_claims(&claims(r#"{"exp":2000,"iat":1010}"#), now)
                .is_ok()
        );
        assert_eq!(
            v.check_claims(&claims(r#"{"exp":2000,"iat":1011}"#), now),
            Err(TokenError::IssuedInFuture)
        );
    }

    #[test]
    fn issuer_and_audience() {
        let v = Validation::new()
            .with_issuer("https://a")
            .with_audience("api");
        let now = UnixTime::from_secs(0);
        let check = |json: &str| v.check_claims(&claims(json), now);
        assert_eq!(
            check(r#"{"exp":100}"#),
            Err(TokenError::MissingClaim("iss"))
        );
        assert_eq!(
            check(r#"{"exp":100,"iss":"https://a/","aud":"api"}"#),
            Err(TokenError::WrongIssuer)
        );
        assert_eq!(
            check(r#"{"exp":100,"iss":"https://a"}"#),
            Err(TokenError::MissingClaim("aud"))
        );
        assert_eq!(
            check(r#"{"exp":100,"iss":"https://a","aud":[]}"#),
            Err(TokenError::MissingClaim("aud"))
        );
        assert_eq!(
            check(r#"{"exp":100,"iss":"https://a","aud":["other","API"]}"#),
            Err(TokenError::WrongAudience)
        );
        assert!(check(r#"{"exp":100,"iss":"https://a","aud":["other","api"]}"#).is_ok());
        assert!(
            check(r#"{"exp":100,"iss":"https:\/\/a","aud":"\u0061pi"}"#).is_ok(),
            "escapes compare unescaped"
        );
    }

    #[test]
    fn any_of_several_audiences() {
        let v = Validation::new().with_audiences(["api", "https://api.example"]);
        let now = UnixTime::from_secs(0);
        let check = |json: &str| v.check_claims(&claims(json), now);
        assert!(check(r#"{"exp":100,"aud":"api"}"#).is_ok());
        assert!(check(r#"{"exp":100,"aud":["x","https://api.example"]}"#).is_ok());
        assert_eq!(
            check(r#"{"exp":100,"aud":["x","y"]}"#),
            Err(TokenError::WrongAudience)
        );
    }

    #[test]
    fn extreme_dates_do_not_overflow() {
        let v = Validation::new();
        assert!(
            v.check_claims(&at(i64::MAX), UnixTime::from_secs(i64::MAX - 1))
                .is_ok()
        );
        assert_eq!(
            v.check_claims(&at(i64::MIN), UnixTime::from_secs(0)),
            Err(TokenError::Expired)
        );
    }
}
