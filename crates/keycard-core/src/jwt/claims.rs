//! The registered claims Keycard validates, read from the payload in one strict pass.
//!
//! Other claims are checked for repeated names and left in the payload, where
//! [`VerifiedJwt::claims`](super::VerifiedJwt::claims) or
//! [`VerifiedJwt::deserialize_claims`](super::VerifiedJwt::deserialize_claims) reads them
//! when asked: the hot path builds nothing it does not use.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::jose::strict_json::{self, Checked, Name, SeenNames};
use crate::{TokenError, UnixTime};

const NOT_OBJECT: &str = "claims are not a JSON object";
const NOT_NUMERIC_DATE: &str = "exp, nbf and iat must be JSON numbers of seconds that fit i64";
const NOT_STRING: &str = "iss, sub, jti and sid must be strings";
const BAD_AUDIENCE: &str = "aud must be a string or an array of strings";

/// The rule texts this module raises inside `serde_json`, so errors map back to them.
pub(crate) const REASONS: &[&str] = &[NOT_OBJECT, NOT_NUMERIC_DATE, NOT_STRING, BAD_AUDIENCE];

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
        strict_json::from_slice_seed(bytes, ClaimsSeed).map_err(|e| {
            TokenError::Malformed(strict_json::reason(&e, "claims are not UTF-8 JSON"))
        })
    }
}

struct ClaimsSeed;

impl<'de> DeserializeSeed<'de> for ClaimsSeed {
    type Value = Claims;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Claims, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Claims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NOT_OBJECT)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
        let mut claims = Claims::default();
        let mut seen = SeenNames::default();
        while let Some(name) = map.next_key::<Name<'de>>()? {
            match seen.insert::<A::Error>(name)? {
                "exp" => claims.exp = Some(map.next_value::<NumericDate>()?.0),
                "nbf" => claims.nbf = Some(map.next_value::<NumericDate>()?.0),
                "iat" => claims.iat = Some(map.next_value::<NumericDate>()?.0),
                "aud" => claims.aud = map.next_value::<Audience>()?.0,
                field @ ("iss" | "sub" | "jti" | "sid") => {
                    let value = map
                        .next_value::<String>()
                        .map_err(|_| de::Error::custom(NOT_STRING))?;
                    match field {
                        "iss" => claims.iss = Some(value),
                        "sub" => claims.sub = Some(value),
                        "jti" => claims.jti = Some(value),
                        _ => claims.sid = Some(value),
                    }
                }
                _ => {
                    map.next_value::<Checked>()?;
                }
            }
        }
        Ok(claims)
    }
}

/// RFC 7519 NumericDate: a JSON number of seconds. A string, even of digits, is refused;
/// a fraction is rounded down; a value outside i64 is refused.
struct NumericDate(UnixTime);

impl<'de> de::Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(NOT_NUMERIC_DATE)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                Ok(NumericDate(UnixTime::from_secs(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                i64::try_from(v)
                    .map(|v| NumericDate(UnixTime::from_secs(v)))
                    .map_err(|_| E::custom(NOT_NUMERIC_DATE))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                // i64::MAX as f64 rounds up to 2^63, so the bound is exclusive.
                const LIMIT: f64 = 9_223_372_036_854_775_808.0;
                let floor = v.floor();
                if floor.is_finite() && (-LIMIT..LIMIT).contains(&floor) {
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(NumericDate(UnixTime::from_secs(floor as i64)))
                } else {
                    Err(E::custom(NOT_NUMERIC_DATE))
                }
            }
        }
        deserializer
            .deserialize_any(DateVisitor)
            .map_err(|_| de::Error::custom(NOT_NUMERIC_DATE))
    }
}

/// `aud`: one string, or an array of strings (RFC 7519 section 4.1.3).
struct Audience(Vec<String>);

impl<'de> de::Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;
        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = Audience;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(BAD_AUDIENCE)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut audiences = Vec::new();
                while let Some(audience) = seq.next_element::<String>()? {
                    audiences.push(audience);
                }
                Ok(Audience(audiences))
            }
        }
        deserializer
            .deserialize_any(AudienceVisitor)
            .map_err(|_| de::Error::custom(BAD_AUDIENCE))
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
                TokenError::Malformed(strict_json::DUPLICATE),
                "{text}"
            );
        }
    }
}
