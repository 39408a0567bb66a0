//! Strict JSON values (JWKs, the CLI, `VerifiedJwt::claims_json`), on top of `serde_json`.
//!
//! `serde_json` keeps the last of two members with the same name; a JOSE parser must not
//! (RFC 7515 section 5.2: reject, or take the last, and two parsers that choose differently
//! disagree about what a signed token says). This module adds the one thing missing: every
//! object, at every depth, is checked for repeated member names. It builds whole values; the
//! verify hot path uses the allocation-free `json_scan` instead, and a property test holds
//! the two to the same verdicts.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::json_scan::{MAX_DEPTH, TOO_DEEP};

/// The message of the error raised for a repeated member name.
pub(crate) const DUPLICATE: &str = "duplicate member name";

/// A whole JSON value, built like `serde_json::Value` but refusing repeated member names.
#[derive(Debug)]
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> de::Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(StrictValueVisitor)
            .map(StrictValue)
    }
}

struct StrictValueVisitor;

impl<'de> Visitor<'de> for StrictValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let StrictValue(value) = map.next_value()?;
            if object.insert(name, value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(object))
    }
}

/// Parses `bytes` as one JSON object with no repeated member names at any depth, nested no
/// deeper than the verify path's scanner allows (64 objects and arrays, the outer one
/// included), so that the two agree on every input.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(object))) => {
            if 1 + object.values().map(nesting).max().unwrap_or(0) > MAX_DEPTH {
                return Err(TOO_DEEP);
            }
            Ok(object)
        }
        Ok(_) => Err("not a JSON object"),
        Err(e) => Err(reason(&e, "not UTF-8 JSON")),
    }
}

/// How many objects and arrays deep `value` goes (0 for a scalar).
fn nesting(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// The rule a `serde_json` error stands for: ours for a repeated name, else `fallback`.
fn reason(error: &serde_json::Error, fallback: &'static str) -> &'static str {
    if error.to_string().contains(DUPLICATE) {
        DUPLICATE
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_bounded_as_the_scanner_bounds_it() {
        let nested =
            |arrays: usize| format!("{{\"a\":{}{}}}", "[".repeat(arrays), "]".repeat(arrays));
        assert!(parse_object(nested(63).as_bytes()).is_ok());
        assert_eq!(parse_object(nested(64).as_bytes()), Err(TOO_DEEP));
        let walk =
            |text: &str| crate::jose::json_scan::Scanner::new(text).object(|s, _| s.skip_value());
        assert!(walk(&nested(63)).is_ok());
        assert!(walk(&nested(64)).is_err());
    }

    #[test]
    fn accepts_plain_objects() {
        let object = parse_object(br#"{"a":1,"b":{"c":[1,{"d":null}]}}"#).unwrap();
        assert_eq!(object.len(), 2);
    }

    #[test]
    fn rejects_duplicates_at_every_depth() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"b":{"c":1,"c":1}}"#,
            r#"{"a":[{"x":1,"x":2}]}"#,
            r#"{"a":1,"\u0061":2}"#,
        ] {
            assert_eq!(parse_object(text.as_bytes()), Err(DUPLICATE), "{text}");
        }
    }

    #[test]
    fn rejects_non_objects_and_bad_text() {
        assert!(parse_object(b"[1]").is_err());
        assert!(parse_object(b"\"x\"").is_err());
        assert!(parse_object(b"{} x").is_err());
        assert!(parse_object(b"{\"a\":\"\xff\"}").is_err());
        assert!(parse_object(b"\xef\xbb\xbf{}").is_err());
    }
}
