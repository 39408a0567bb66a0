//! JSON Web Tokens (RFC 7519) on top of [`crate::jose`]: sign claims, verify a token and its
//! claims with a [`Validation`].

mod claims;
mod validation;

pub use claims::Claims;
pub use validation::{DEFAULT_LEEWAY_SECS, Validation};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::KeyError;
use crate::jose::{self, Header, Key};

/// A JWT whose signature, header rules and claim rules all passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedJwt {
    /// The protected header.
    pub header: Header,
    /// The registered claims, and the payload they came from.
    pub claims: Claims,
}

impl VerifiedJwt {
    /// Every claim, registered or not, as a JSON object.
    pub fn claims_json(&self) -> Map<String, Value> {
        // The payload already passed the strict parser, so this cannot fail.
        jose::strict_json::parse_object(self.claims.json().as_bytes()).unwrap_or_default()
    }

    /// Reads the claims into an application's own type (for extra claims such as roles).
    pub fn deserialize_claims<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.claims.json())
    }

    /// The raw payload bytes.
    pub fn payload(&self) -> &[u8] {
        self.claims.json().as_bytes()
    }
}

/// Signs `claims` as a JWT with `key`, with `typ` in the header when given.
pub fn sign(key: &Key, typ: Option<&str>, claims: &impl Serialize) -> Result<String, KeyError> {
    let payload =
        serde_json::to_vec(claims).map_err(|e| KeyError::Malformed(format!("claims: {e}")))?;
    let mut header = Header::new(key.alg());
    header.typ = typ.map(|typ| typ.to_owned().into());
    jose::jws::sign(key, &header, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, KeySet, TokenError, UnixTime};
    use serde_json::json;

    fn keys() -> (Key, KeySet) {
        let key = Key::generate(Algorithm::EdDSA).unwrap();
        let public = key.to_public_only().unwrap();
        (key, KeySet::verify_only([public]).unwrap())
    }

    #[test]
    fn access_token_round_trip() {
        let (key, set) = keys();
        let claims = json!({"iss":"i","aud":"a","sub":"u","exp":2000,"iat":1000,"jti":"j","sid":"s","roles":["admin"]});
        let token = sign(&key, Some("at+jwt"), &claims).unwrap();
        let verified = Validation::access_token("i", "a")
            .verify(&set, &token, UnixTime::from_secs(1500))
            .unwrap();
        assert_eq!(verified.claims.sub(), Some("u"));
        assert_eq!(verified.claims_json()["roles"], json!(["admin"]));
        assert_eq!(Value::Object(verified.claims_json()), claims);
    }

    #[test]
    fn typ_confusion_is_refused() {
        let (key, set) = keys();
        let claims = json!({"iss":"i","aud":"a","exp":2000});
        let v = Validation::access_token("i", "a");
        let now = UnixTime::from_secs(1500);
        for typ in [None, Some("JWT"), Some("refresh+jwt"), Some("at+jwt2")] {
            let token = sign(&key, typ, &claims).unwrap();
            assert_eq!(
                v.verify(&set, &token, now).unwrap_err(),
                TokenError::WrongType,
                "{typ:?}"
            );
        }
        let token = sign(&key, Some("application/AT+JWT"), &claims).unwrap();
        assert!(v.verify(&set, &token, now).is_ok());
    }

    #[test]
    fn signature_is_checked_before_claims() {
        let (key, set) = keys();
        let token = sign(&key, None, &json!({"exp": 1})).unwrap();
        // Change a character in the middle of the signature (the last one also carries
        // padding bits, which would make the token malformed rather than forged).
        let at = token.len() - 10;
        let replacement = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{replacement}{}", &token[..at], &token[at + 1..]);
        let err = Validation::new()
            .verify(&set, &forged, UnixTime::from_secs(100))
            .unwrap_err();
        assert_eq!(err, TokenError::BadSignature);
    }
}
