//! The registered claims Keycard validates, read from the payload in one strict pass.
//!
//! [`Claims`] owns the payload text and records where each registered string claim stands
//! in it, so parsing allocates nothing for them (only a claim written with escapes gets a
//! copy of its own). Other claims are checked for repeated names and left in the text, where
//! [`Claims::json`] and [`VerifiedJwt::deserialize_claims`](super::VerifiedJwt::deserialize_claims)
//! read them when asked.

use crate::jose::json_scan::{JsonStr, Scanner};
use crate::{TokenError, UnixTime};

const NOT_OBJECT: &str = "claims are not a JSON object";
const NOT_NUMERIC_DATE: &str = "exp, nbf and iat must be JSON numbers of seconds that fit i64";
const NOT_STRING: &str = "iss, sub, jti and sid must be strings";
const BAD_AUDIENCE: &str = "aud must be a string or an array of strings";

/// A string claim: where it stands in the payload, or its own copy if it had escapes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Text {
    Span(usize, usize),
    Owned(Box<str>),
}

impl Text {
    #[inline]
    fn of(text: &str, value: JsonStr<'_>) -> Self {
        match value.span_in(text) {
            Some((start, end)) => Text::Span(start, end),
            None => Text::Owned(value.value().into()),
        }
    }

    fn get<'a>(&'a self, json: &'a str) -> &'a str {
        match self {
            Text::Span(start, end) => json.get(*start..*end).unwrap_or_default(),
            Text::Owned(owned) => owned,
        }
    }
}

/// `aud` as written: absent, one string, or an array (the common single audience needs no
/// list of its own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Audience {
    #[default]
    None,
    One(Text),
    Many(Vec<Text>),
}

impl Audience {
    fn texts(&self) -> &[Text] {
        match self {
            Audience::None => &[],
            Audience::One(text) => std::slice::from_ref(text),
            Audience::Many(texts) => texts,
        }
    }
}

/// The registered claims of a JWT (RFC 7519 section 4.1) plus `sid`, and the payload they
/// were read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    json: String,
    iss: Option<Text>,
    sub: Option<Text>,
    aud: Audience,
    exp: Option<UnixTime>,
    nbf: Option<UnixTime>,
    iat: Option<UnixTime>,
    jti: Option<Text>,
    sid: Option<Text>,
}

impl Claims {
    /// Parses a decoded payload, refusing repeated member names at every depth, dates that
    /// are not JSON numbers, and registered claims of the wrong JSON type.
    pub fn parse(bytes: &[u8]) -> Result<Self, TokenError> {
        Self::from_payload(bytes.to_vec())
    }

    /// [`Claims::parse`], taking ownership of the payload (the verify path: no copy).
    pub fn from_payload(payload: Vec<u8>) -> Result<Self, TokenError> {
        let json = String::from_utf8(payload)
            .map_err(|_| TokenError::Malformed("claims are not UTF-8"))?;
        let mut claims = Claims::default();
        let mut scanner = Scanner::new(&json);
        if scanner.peek() != Some(b'{') {
            return Err(TokenError::Malformed(NOT_OBJECT));
        }
        let text = |scanner: &mut Scanner<'_>| {
            if scanner.peek() != Some(b'"') {
                return Err(NOT_STRING);
            }
            scanner.string().map(|value| Text::of(&json, value))
        };
        scanner
            .object(|scanner, name| {
                match name {
                    "exp" => claims.exp = Some(numeric_date(scanner)?),
                    "nbf" => claims.nbf = Some(numeric_date(scanner)?),
                    "iat" => claims.iat = Some(numeric_date(scanner)?),
                    "iss" => claims.iss = Some(text(scanner)?),
                    "sub" => claims.sub = Some(text(scanner)?),
                    "jti" => claims.jti = Some(text(scanner)?),
                    "sid" => claims.sid = Some(text(scanner)?),
                    "aud" => claims.aud = audience(scanner, &json)?,
                    _ => scanner.skip_value()?,
                }
                Ok(())
            })
            .map_err(TokenError::Malformed)?;
        scanner.finish().map_err(TokenError::Malformed)?;
        claims.json = json;
        Ok(claims)
    }

    /// The whole payload, as JSON text.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// Issuer.
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_ref().map(|t| t.get(&self.json))
    }

    /// Subject: for Keycard, the user id.
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_ref().map(|t| t.get(&self.json))
    }

    /// Audiences; a single string reads as a list of one.
    pub fn aud(&self) -> impl Iterator<Item = &str> {
        self.aud.texts().iter().map(|t| t.get(&self.json))
    }

    /// Expiry.
    pub fn exp(&self) -> Option<UnixTime> {
        self.exp
    }

    /// Not before.
    pub fn nbf(&self) -> Option<UnixTime> {
        self.nbf
    }

    /// Issued at.
    pub fn iat(&self) -> Option<UnixTime> {
        self.iat
    }

    /// Token id.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_ref().map(|t| t.get(&self.json))
    }

    /// Session id: the unit of revocation.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_ref().map(|t| t.get(&self.json))
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
fn audience(scanner: &mut Scanner<'_>, json: &str) -> Result<Audience, &'static str> {
    match scanner.peek() {
        Some(b'"') => Ok(Audience::One(Text::of(json, scanner.string()?))),
        Some(b'[') => {
            let mut audiences = Vec::new();
            scanner.array(|scanner| {
                if scanner.peek() != Some(b'"') {
                    return Err(BAD_AUDIENCE);
                }
                audiences.push(Text::of(json, scanner.string()?));
                Ok(())
            })?;
            Ok(Audience::Many(audiences))
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
        assert_eq!(claims.aud().collect::<Vec<_>>(), ["a"]);
        assert_eq!(claims.exp(), Some(UnixTime::from_secs(10)));
        assert_eq!(
            (claims.iss(), claims.sub(), claims.jti(), claims.sid()),
            (Some("i"), Some("s"), Some("j"), Some("x"))
        );
        assert_eq!(
            (claims.nbf(), claims.iat()),
            (Some(UnixTime::from_secs(1)), Some(UnixTime::from_secs(2)))
        );
        let claims = parse(r#"{"aud":["a","b"]}"#).unwrap();
        assert_eq!(claims.aud().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn escaped_claims_are_unescaped() {
        let claims = parse(r#"{"sub":"a\"b\u00e9","aud":["x\/y","z"],"iss":"plain"}"#).unwrap();
        assert_eq!(claims.sub(), Some("a\"bé"));
        assert_eq!(claims.aud().collect::<Vec<_>>(), ["x/y", "z"]);
        assert_eq!(claims.iss(), Some("plain"));
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
            parse(r#"{"exp":1.9}"#).unwrap().exp(),
            Some(UnixTime::from_secs(1))
        );
        assert_eq!(
            parse(r#"{"exp":9223372036854775807}"#).unwrap().exp(),
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
