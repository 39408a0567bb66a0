//! JSON Web Keys (RFC 7517, 7518 section 6, 8037): the members Keycard reads, the usage
//! rules it enforces, and the RFC 7638 thumbprint that names a key by default.

use serde::Deserialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{Algorithm, base64url, strict_json};
use crate::KeyError;

/// A parsed JWK, before it becomes a [`Key`](super::Key). Private members are wiped from
/// memory when it is dropped and never shown by `Debug`.
#[derive(Deserialize, Default)]
pub struct Jwk {
    pub(crate) kty: String,
    pub(crate) alg: Option<String>,
    pub(crate) kid: Option<String>,
    #[serde(rename = "use")]
    pub(crate) use_: Option<String>,
    pub(crate) key_ops: Option<Vec<String>>,
    pub(crate) crv: Option<String>,
    pub(crate) x: Option<String>,
    pub(crate) y: Option<String>,
    pub(crate) n: Option<String>,
    pub(crate) e: Option<String>,
    pub(crate) d: Option<Zeroizing<String>>,
    pub(crate) p: Option<Zeroizing<String>>,
    pub(crate) q: Option<Zeroizing<String>>,
    pub(crate) dp: Option<Zeroizing<String>>,
    pub(crate) dq: Option<Zeroizing<String>>,
    pub(crate) qi: Option<Zeroizing<String>>,
    pub(crate) k: Option<Zeroizing<String>>,
    pub(crate) oth: Option<Value>,
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("has_private", &self.has_private())
            .finish_non_exhaustive()
    }
}

impl Jwk {
    /// Parses one JWK from JSON text; repeated member names are refused.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let object = strict_json::parse_object(text.as_bytes())
            .map_err(|reason| KeyError::Malformed(format!("JWK: {reason}")))?;
        Self::from_object(object)
    }

    pub(crate) fn from_object(object: Map<String, Value>) -> Result<Self, KeyError> {
        serde_json::from_value(Value::Object(object))
            .map_err(|e| KeyError::Malformed(format!("JWK: {e}")))
    }

    /// Whether any private member is present.
    pub fn has_private(&self) -> bool {
        self.d.is_some() || self.k.is_some()
    }

    /// The algorithm the key is bound to: its own `alg`, or `hint` when it has none. Both
    /// given and different is an error, and so is neither.
    pub(crate) fn algorithm(&self, hint: Option<Algorithm>) -> Result<Algorithm, KeyError> {
        let own = self
            .alg
            .as_deref()
            .map(str::parse::<Algorithm>)
            .transpose()?;
        match (own, hint) {
            (Some(own), Some(hint)) if own != hint => Err(KeyError::AlgMismatch(format!(
                "the key says {own}, {hint} was asked for"
            ))),
            (Some(alg), _) | (None, Some(alg)) => Ok(alg),
            (None, None) => Err(KeyError::MissingAlg),
        }
    }

    /// Enforces `use` and `key_ops` (RFC 7517 sections 4.2 and 4.3): a key declared for
    /// anything but signatures cannot verify. Returns whether it may also sign.
    pub(crate) fn check_signature_use(&self) -> Result<bool, KeyError> {
        if let Some(use_) = &self.use_
            && use_ != "sig"
        {
            return Err(KeyError::WrongUse(format!("use is {use_:?}")));
        }
        let Some(ops) = &self.key_ops else {
            return Ok(true);
        };
        // Some producers write ["sign, verify"] as one string (RFC 7520's published keys
        // do, and Wycheproof's JWS vectors label such a key valid). Splitting each entry on
        // commas reads that as intended; it cannot turn "encrypt" into "verify".
        let has = |wanted: &str| {
            ops.iter()
                .flat_map(|op| op.split(','))
                .any(|op| op.trim() == wanted)
        };
        if !has("verify") {
            return Err(KeyError::WrongUse(format!("key_ops {ops:?} lacks verify")));
        }
        Ok(has("sign"))
    }

    pub(crate) fn require(member: &Option<String>, name: &str) -> Result<Vec<u8>, KeyError> {
        let text = member
            .as_deref()
            .ok_or_else(|| KeyError::Malformed(format!("missing {name}")))?;
        base64url::decode(text)
            .ok_or_else(|| KeyError::Malformed(format!("{name} is not base64url")))
    }

    pub(crate) fn require_secret(
        member: &Option<Zeroizing<String>>,
        name: &str,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let text = member
            .as_deref()
            .ok_or_else(|| KeyError::Malformed(format!("missing {name}")))?;
        base64url::decode(text)
            .map(Zeroizing::new)
            .ok_or_else(|| KeyError::Malformed(format!("{name} is not base64url")))
    }
}

/// The RFC 7638 thumbprint of a key from its required public members, which must be given
/// in lexicographic order of name.
pub(crate) fn thumbprint(members: &[(&str, &str)]) -> String {
    let mut canonical = Map::new();
    for (name, value) in members {
        canonical.insert((*name).to_owned(), Value::String((*value).to_owned()));
    }
    // serde_json's Map is a BTreeMap: keys come out sorted and with no white space.
    let json = Zeroizing::new(Value::Object(canonical).to_string());
    base64url::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        json.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let print = thumbprint(&[("e", "AQAB"), ("kty", "RSA"), ("n", n)]);
        assert_eq!(print, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn use_and_key_ops_rules() {
        let jwk = |json: &str| Jwk::parse(json).unwrap();
        assert!(
            jwk(r#"{"kty":"oct","use":"sig"}"#)
                .check_signature_use()
                .unwrap()
        );
        assert_eq!(
            jwk(r#"{"kty":"oct","use":"enc"}"#)
                .check_signature_use()
                .map_err(|e| e.rule()),
            Err("wrong_key_use")
        );
        assert_eq!(
            jwk(r#"{"kty":"oct","key_ops":["encrypt","decrypt"]}"#)
                .check_signature_use()
                .map_err(|e| e.rule()),
            Err("wrong_key_use")
        );
        assert_eq!(
            jwk(r#"{"kty":"oct","key_ops":["sign"]}"#)
                .check_signature_use()
                .map_err(|e| e.rule()),
            Err("wrong_key_use")
        );
        assert!(
            !jwk(r#"{"kty":"oct","key_ops":["verify"]}"#)
                .check_signature_use()
                .unwrap()
        );
        assert!(
            jwk(r#"{"kty":"oct","key_ops":["sign, verify"]}"#)
                .check_signature_use()
                .unwrap()
        );
        assert_eq!(
            jwk(r#"{"kty":"oct","key_ops":["encrypt, unverify"]}"#)
                .check_signature_use()
                .map_err(|e| e.rule()),
            Err("wrong_key_use")
        );
    }

    #[test]
    fn duplicate_members_are_refused() {
        let err = Jwk::parse(r#"{"kty":"oct","kty":"RSA"}"#).unwrap_err();
        assert_eq!(err.rule(), "malformed_key");
    }

    #[test]
    fn debug_hides_private_members() {
        let jwk = Jwk::parse(r#"{"kty":"oct","k":"c2VjcmV0LXNlY3JldA"}"#).unwrap();
        let shown = format!("{jwk:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }
}
