//! The JWS protected header: parsed strictly, and only the parameters Keycard acts on kept.
//!
//! `jwk`, `jku`, `x5u`, `x5c` and `x5t` are read past and dropped: a key never comes from
//! the token it is meant to check, and nothing in a header is ever fetched.

use std::borrow::Cow;
use std::sync::Arc;

use super::Algorithm;
use super::json_scan::{Scanner, Seen};
use crate::TokenError;

const NOT_OBJECT: &str = "header is not a JSON object";
const ALG_NOT_STRING: &str = "header alg is not a string";
const MEMBER_NOT_STRING: &str = "header kid, typ or cty is not a string";
const CRIT_NOT_LIST: &str = "header crit is not an array of strings";
const B64_NOT_BOOL: &str = "header b64 is not a boolean";

/// Header parameters Keycard understands when a token lists them in `crit`.
const UNDERSTOOD_CRIT: &[&str] = &["b64"];

/// A verified-to-be-well-formed JWS protected header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The signature algorithm; always one Keycard implements.
    pub alg: Algorithm,
    /// The key id, if any. Shared with the key it names once verified, so the verify path
    /// does not copy it.
    pub kid: Option<Arc<str>>,
    /// The media type of the whole token (`JWT`, `at+jwt`, ...), if any.
    pub typ: Option<Cow<'static, str>>,
    /// The media type of the payload, if any.
    pub cty: Option<String>,
}

/// `typ` values common enough to keep as constants rather than copies.
const KNOWN_TYPES: [&str; 5] = ["JWT", "jwt", "at+jwt", "application/at+jwt", "JOSE"];

/// A header as parsed, borrowing from the decoded bytes: the verify path looks the key up and
/// keeps `kid` and `typ` without copying them.
pub(crate) struct RawHeader<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) typ: Option<Cow<'a, str>>,
    pub(crate) cty: Option<Cow<'a, str>>,
}

impl<'a> RawHeader<'a> {
    /// Parses a decoded header, applying every header rule.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, TokenError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| TokenError::Malformed("header is not UTF-8"))?;
        let mut scanner = Scanner::new(text);
        if scanner.peek() != Some(b'{') {
            return Err(TokenError::Malformed(NOT_OBJECT));
        }
        let (mut alg, mut kid, mut typ, mut cty, mut crit, mut b64) =
            (None, None, None, None, None, None);
        let string = |scanner: &mut Scanner<'a>, reason| {
            if scanner.peek() != Some(b'"') {
                return Err(reason);
            }
            scanner.string().map(|s| s.value())
        };
        let mut seen = Seen::new();
        scanner
            .object_noting(&mut seen, |scanner, name| {
                match name {
                    "alg" => alg = Some(string(scanner, ALG_NOT_STRING)?),
                    "kid" => kid = Some(string(scanner, MEMBER_NOT_STRING)?),
                    "typ" => typ = Some(string(scanner, MEMBER_NOT_STRING)?),
                    "cty" => cty = Some(string(scanner, MEMBER_NOT_STRING)?),
                    "crit" => {
                        let mut names = Vec::new();
                        if scanner.peek() != Some(b'[') {
                            return Err(CRIT_NOT_LIST);
                        }
                        scanner.array(|scanner| {
                            names.push(string(scanner, CRIT_NOT_LIST)?);
                            Ok(())
                        })?;
                        crit = Some(names);
                    }
                    "b64" => b64 = Some(scanner.boolean().map_err(|_| B64_NOT_BOOL)?),
                    // Everything else, embedded keys and key URLs included, is checked
                    // and dropped.
                    _ => scanner.skip_value()?,
                }
                Ok(())
            })
            .map_err(TokenError::Malformed)?;
        scanner.finish().map_err(TokenError::Malformed)?;

        let alg = alg.ok_or(TokenError::Malformed("header has no alg"))?;
        let alg = Algorithm::from_name(&alg)
            .ok_or_else(|| TokenError::UnsupportedAlg(alg.into_owned()))?;
        if let Some(crit) = &crit {
            // RFC 7515 section 4.1.11: non-empty, every name understood and present.
            let understood = |name: &Cow<'_, str>| {
                UNDERSTOOD_CRIT.contains(&name.as_ref()) && seen.contains(name)
            };
            if crit.is_empty() || !crit.iter().all(understood) {
                return Err(TokenError::UnsupportedCrit);
            }
        }
        if b64 == Some(false) {
            return Err(TokenError::UnencodedPayload);
        }
        Ok(Self { alg, kid, typ, cty })
    }

    /// The owned header, with `kid` given by the caller (shared from the key it named).
    pub(crate) fn into_header(self, kid: Option<Arc<str>>) -> Header {
        let typ = self.typ.map(
            |typ| match KNOWN_TYPES.iter().find(|known| **known == typ) {
                Some(known) => Cow::Borrowed(*known),
                None => Cow::Owned(typ.into_owned()),
            },
        );
        Header {
            alg: self.alg,
            kid,
            typ,
            cty: self.cty.map(Cow::into_owned),
        }
    }
}

impl Header {
    /// A header for `alg` with no other parameters.
    pub fn new(alg: Algorithm) -> Self {
        Self {
            alg,
            kid: None,
            typ: None,
            cty: None,
        }
    }

    /// Parses a decoded header, applying every header rule.
    pub fn parse(bytes: &[u8]) -> Result<Self, TokenError> {
        let raw = RawHeader::parse(bytes)?;
        let kid = raw.kid.as_deref().map(Arc::from);
        Ok(raw.into_header(kid))
    }

    /// The header as compact JSON, members in a fixed order.
    pub fn to_json(&self) -> String {
        let mut object = serde_json::Map::new();
        object.insert("alg".into(), self.alg.name().into());
        if let Some(kid) = &self.kid {
            object.insert("kid".into(), kid.as_ref().into());
        }
        if let Some(typ) = &self.typ {
            object.insert("typ".into(), typ.as_ref().into());
        }
        if let Some(cty) = &self.cty {
            object.insert("cty".into(), cty.as_str().into());
        }
        serde_json::Value::Object(object).to_string()
    }

    /// Whether `typ` names the media type `expected`, as RFC 7515 section 4.1.9 compares
    /// them: case-insensitively, with an optional `application/` prefix.
    pub fn typ_is(&self, expected: &str) -> bool {
        self.typ
            .as_deref()
            .is_some_and(|typ| media_type_eq(typ, expected))
    }
}

fn media_type_eq(a: &str, b: &str) -> bool {
    fn short(t: &str) -> &str {
        match t.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &t[12..],
            _ => t,
        }
    }
    short(a).eq_ignore_ascii_case(short(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Header, TokenError> {
        Header::parse(text.as_bytes())
    }

    #[test]
    fn parses_the_members_it_keeps() {
        let header = parse(r#"{"alg":"ES256","kid":"k1","typ":"at+jwt","cty":"x"}"#).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some("k1"));
        assert!(header.typ_is("at+jwt"));
        assert!(header.typ_is("application/AT+JWT"));
        assert!(!header.typ_is("jwt"));
    }

    #[test]
    fn rejects_none_and_unknown_algs() {
        for alg in ["none", "None", "NONE", "nOnE", "HS1", ""] {
            let err = parse(&format!(r#"{{"alg":"{alg}"}}"#)).unwrap_err();
            assert_eq!(err.rule(), "unsupported_alg", "{alg}");
        }
        assert_eq!(parse(r#"{"alg":null}"#).unwrap_err().rule(), "malformed");
        assert_eq!(parse(r#"{"kid":"a"}"#).unwrap_err().rule(), "malformed");
    }

    #[test]
    fn rejects_duplicates() {
        let err = parse(r#"{"alg":"HS256","alg":"none"}"#).unwrap_err();
        assert_eq!(
            err,
            TokenError::Malformed(crate::jose::json_scan::DUPLICATE)
        );
        let err = parse(r#"{"alg":"HS256","jwk":{"kty":"oct","kty":"RSA"}}"#).unwrap_err();
        assert_eq!(
            err,
            TokenError::Malformed(crate::jose::json_scan::DUPLICATE)
        );
    }

    #[test]
    fn crit_rules() {
        for text in [
            r#"{"alg":"HS256","crit":[]}"#,
            r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
            r#"{"alg":"HS256","crit":["b64"]}"#,
        ] {
            assert_eq!(
                parse(text).unwrap_err(),
                TokenError::UnsupportedCrit,
                "{text}"
            );
        }
        assert_eq!(
            parse(r#"{"alg":"HS256","crit":"b64"}"#).unwrap_err().rule(),
            "malformed"
        );
        assert!(parse(r#"{"alg":"HS256","crit":["b64"],"b64":true}"#).is_ok());
    }

    #[test]
    fn b64_false_rejects() {
        let err = parse(r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#).unwrap_err();
        assert_eq!(err, TokenError::UnencodedPayload);
        let err = parse(r#"{"alg":"HS256","b64":false}"#).unwrap_err();
        assert_eq!(err, TokenError::UnencodedPayload);
    }

    #[test]
    fn embedded_keys_are_dropped() {
        let header = parse(r#"{"alg":"RS256","jwk":{"kty":"oct","k":"AAAA"},"jku":"http://127.0.0.1:1/","x5u":"x","x5c":["x"]}"#).unwrap();
        assert_eq!(header, Header::new(Algorithm::RS256));
    }

    #[test]
    fn kid_must_be_a_string() {
        assert_eq!(
            parse(r#"{"alg":"HS256","kid":1}"#).unwrap_err().rule(),
            "malformed"
        );
    }
}
