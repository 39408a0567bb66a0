//! The registered claims Keycard validates, read from the payload in one strict pass.
//!
//! Other claims are checked for repeated names and left in the payload, where
//! [`VerifiedJwt::claims_json`](super::VerifiedJwt::claims_json) or
//! [`VerifiedJwt::deserialize_claims`](super::VerifiedJwt::deserialize_claims) reads them
//! when asked: the hot path builds nothing it does not use.

use crate::jose::json_scan::Scanner;
use crate::{TokenError, UnixTime};

const NOT_OBJECT: &str = "claims are not a JSON object";
const NOT_NUMERIC_DATE: &str = "exp, nbf and iat must be JSON numbers of seconds that fit i64";
const NOT_STRING: &str = "iss, sub, jti and sid must be strings";
const BAD_AUDIENCE: &str = "aud must be a string or an array of strings";

/// The registered claims of a JWT (RFC 7519 section 4.1), plus `sid`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// Subject: for Keycard, the user id.
    pub sub: Option<String>,
    /// Audiences; a single string is read as a list of one.
    pub aud: Vec<String>,
    /// Expiry.
    pub exp: Option<UnixTime>,
    /// Not before.
    pub nbf: Option<UnixTime>,
    /// Issued at.
    pub iat: Option<UnixTime>,
    /// Token id.
    pub jti: Option<String>,
    /// Session id: the unit of revocation.
    pub sid: Option<String>,
}

impl Claims {
    /// Parses a decoded payload, refusing repeated member names at every depth, dates that
    /// are not JSON numbers, and registered claims of the wrong JSON type.
    pub fn parse(bytes: &[u8]) -> Result<Self, TokenError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| TokenError::Malformed("claims are not UTF-8"))?;
        let mut scanner = Scanner::new(text);
        if scanner.peek() != Some(b'{') {
            return Err(TokenError::Malformed(NOT_OBJECT));
        }
        let mut claims = Claims::default();
        let string = |scanner: &mut Scanner<'_>| {
            scanner
                .string()
                .map(|s| s.value().into_owned())
                .map_err(|_| NOT_STRING)
        };
        scanner
            .object(|scanner, name| {
                match name {
                    "exp" => claims.exp = Some(numeric_date(scanner)?),
                    "nbf" => claims.nbf = Some(numeric_date(scanner)?),
                    "iat" => claims.iat = Some(numeric_date(scanner)?),
                    "iss" => claims.iss = Some(string(scanner)?),
                    "sub" => claims.sub = Some(string(scanner)?),
                    "jti" => claims.jti = Some(string(scanner)?),
                    "sid" => claims.sid = Some(string(scanner)?),
                    "aud" => claims.aud = audience(scanner)?,
                    _ => scanner.skip_value()?,
                }
                Ok(())
            })
            .map_err(TokenError::Malformed)?;
        scanner.finish().map_err(TokenError::Malformed)?;
        Ok(claims)
    }
}

/// RFC 7519 NumericDate: a JSON number of seconds. A string, even of digits, is refused;
/// a fraction is rounded down; a value outside i64 is refused.
fn numeric_date(scanner: &mut Scanner<'_>) -> Result<UnixTime, &'static str> {
    if !matches!(scanner.peek(), Some(b'-' | b'0'..=b'9')) {
        return Err(NOT_NUMERIC_DATE);
    }
    let text = scanner.number()?;
    if !text.contains(['.', 'e', 'E']) {
        return text
            .parse::<i64>()
            .map(UnixTime::from_secs)
            .map_err(|_| NOT_NUMERIC_DATE);
    }
    // i64::MAX as f64 rounds up to 2^63, so the bound is exclusive.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let floor = text.parse::<f64>().map_err(|_| NOT_NUMERIC_DATE)?.floor();
    if floor.is_finite() && (-LIMIT..LIMIT).contains(&floor) {
        #[allow(clippy::cast_possible_truncation)]
        Ok(UnixTime::from_secs(floor as i64))
    } else {
        Err(NOT_NUMERIC_DATE)
    }
}

/// `aud`: one string, or an array of strings (RFC 7519 section 4.1.3).
fn audience(scanner: &mut Scanner<'_>) -> Result<Vec<String>, &'static str> {
    match scanner.peek() {
        Some(b'"') => Ok(vec![scanner.string()?.value().into_owned()]),
        Some(b'[') => {
            let mut audiences = Vec::new();
            scanner.array(|scanner| {
                if scanner.peek() != Some(b'"') {
                    return Err(BAD_AUDIENCE);
                }
                audiences.push(scanner.string()?.value().into_owned());
                Ok(())
            })?;
            Ok(audiences)
        }
        _ => Err(BAD_AUDIENCE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Claims, TokenError> {
        Claims::parse(text.as_bytes())
    }

    #[test]
    fn reads_registered_claims() {
        let claims = parse(r#"{"iss":"i","sub":"s","aud":"a","exp":10,"nbf":1,"iat":2,"jti":"j","sid":"x","roles":["admin"]}"#).unwrap();
        assert_eq!(claims.aud, vec!["a".to_owned()]);
        assert_eq!(claims.exp, Some(UnixTime::from_secs(10)));
        assert_eq!(claims.sid.as_deref(), Some("x"));
        let claims = parse(r#"{"aud":["a","b"]}"#).unwrap();
        assert_eq!(claims.aud.len(), 2);
    }

    #[test]
    fn dates_must_be_numbers_that_fit() {
        for text in [
            r#"{"exp":"1700000000"}"#,
            r#"{"exp":null}"#,
            r#"{"nbf":true}"#,
            r#"{"iat":[1]}"#,
            r#"{"exp":9223372036854775808}"#,
            r#"{"exp":1e300}"#,
            r#"{"exp":-1e300}"#,
            r#"{"exp":-9223372036854775809}"#,
        ] {
            assert_eq!(
                parse(text).unwrap_err(),
                TokenError::Malformed(NOT_NUMERIC_DATE),
                "{text}"
            );
        }
        assert_eq!(
            parse(r#"{"exp":1.9}"#).unwrap().exp,
            Some(UnixTime::from_secs(1))
        );
        assert_eq!(
            parse(r#"{"exp":9223372036854775807}"#).unwrap().exp,
            Some(UnixTime::from_secs(i64::MAX))
        );
    }

    #[test]
    fn wrong_json_types_are_malformed() {
        assert_eq!(
            parse(r#"{"iss":1}"#).unwrap_err(),
            TokenError::Malformed(NOT_STRING)
        );
        assert_eq!(
            parse(r#"{"aud":1}"#).unwrap_err(),
            TokenError::Malformed(BAD_AUDIENCE)
        );
        assert_eq!(
            parse(r#"{"aud":["a",1]}"#).unwrap_err(),
            TokenError::Malformed(BAD_AUDIENCE)
        );
        assert_eq!(parse("[]").unwrap_err(), TokenError::Malformed(NOT_OBJECT));
    }

    #[test]
    fn duplicates_are_refused_in_registered_and_other_claims() {
        for text in [
            r#"{"exp":1,"exp":2}"#,
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"x":1,"x":1}"#,
            r#"{"x":{"y":1,"y":2}}"#,
        ] {
            assert_eq!(
                parse(text).unwrap_err(),
                TokenError::Malformed(crate::jose::json_scan::DUPLICATE),
                "{text}"
            );
        }
    }
}
