//! Strict JSON for token headers and claims, on top of `serde_json`.
//!
//! `serde_json` keeps the last of two members with the same name; a JOSE parser must not
//! (RFC 7515 section 5.2: reject, or take the last, and two parsers that choose differently
//! disagree about what a signed token says). This module adds the one thing missing: every
//! object, at every depth, is checked for repeated member names. It walks values without
//! building them, so the hot path allocates nothing for members it does not use.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The message of the error raised for a repeated member name.
pub(crate) const DUPLICATE: &str = "duplicate member name";

/// A member name, borrowed from the input when it holds no escapes.
#[derive(Debug)]
pub(crate) enum Name<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Name<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Name::Borrowed(s) => s,
            Name::Owned(s) => s,
        }
    }

    pub(crate) fn into_string(self) -> String {
        match self {
            Name::Borrowed(s) => s.to_owned(),
            Name::Owned(s) => s,
        }
    }
}

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Name::Owned(v))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// The member names seen so far in one object. Objects in tokens are small, so a linear
/// scan beats hashing.
#[derive(Debug, Default)]
pub(crate) struct SeenNames<'de>(Vec<Name<'de>>);

impl<'de> SeenNames<'de> {
    /// Records `name`, or fails if the object already had it.
    pub(crate) fn insert<E: de::Error>(&mut self, name: Name<'de>) -> Result<&str, E> {
        if self.0.iter().any(|seen| seen.as_str() == name.as_str()) {
            return Err(E::custom(DUPLICATE));
        }
        self.0.push(name);
        Ok(self.0.last().map(Name::as_str).unwrap_or_default())
    }

    /// Whether the object had a member of this name.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|seen| seen.as_str() == name)
    }
}

/// Any JSON value, checked for repeated member names at every depth, then discarded.
#[derive(Debug)]
pub(crate) struct Checked;

impl<'de> de::Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut seen = SeenNames::default();
        while let Some(name) = map.next_key::<Name<'de>>()? {
            seen.insert(name)?;
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

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

/// Parses `bytes` as one JSON object with no repeated member names at any depth.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(object))) => Ok(object),
        Ok(_) => Err("not a JSON object"),
        Err(e) => Err(reason(&e, "not UTF-8 JSON")),
    }
}

/// A `seed` that runs an object visitor; lets callers parse straight from a slice.
pub(crate) fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Maps a `serde_json` error back to the static rule text it was raised with, if it was one
/// of ours, else to `fallback`.
pub(crate) fn reason(error: &serde_json::Error, fallback: &'static str) -> &'static str {
    let text = error.to_string();
    super::header::REASONS
        .iter()
        .chain(crate::jwt::REASONS)
        .chain(&[DUPLICATE])
        .find(|r| text.contains(**r))
        .copied()
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn checked_walk_rejects_duplicates_too() {
        assert!(serde_json::from_str::<Checked>(r#"{"a":{"b":1,"b":2}}"#).is_err());
        assert!(serde_json::from_str::<Checked>(r#"{"a":{"b":1,"c":2}}"#).is_ok());
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
