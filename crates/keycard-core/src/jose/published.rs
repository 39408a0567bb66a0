//! An issuer's published JWK Set, as a resource server imports it: public keys only, each
//! bound to one of the algorithms the verifier allows, and a member that cannot be used is
//! skipped rather than allowed to take the whole set down.
//!
//! [`KeySet::from_jwk_or_jwks`] is for key files an operator hands over, where any flaw is
//! an error. A JWKS fetched from an issuer is different: issuers publish encryption keys,
//! key types or algorithms a verifier does not use beside their signing keys (Google and
//! Auth0 do), and a verifier that refused the whole document would refuse every token. So
//! here each member is judged alone:
//! - HMAC secrets (`kty: oct`) are never taken from a published document: anyone who can
//!   read it could sign;
//! - private members of asymmetric keys are dropped;
//! - a key is bound to its own `alg`, which must be one of `allowed`; a key without `alg`
//!   is bound to the one allowed algorithm its key type fits, and skipped when none or
//!   several fit (a key is bound to exactly one algorithm, never to a token's choice);
//! - a key declared for another use, a weak key, a malformed key, or a repeated `kid`
//!   is skipped.
//!
//! Every skipped member is reported with the reason, for the caller to log.

use serde_json::Value;

use super::jwk::Jwk;
use super::{Algorithm, Family, Key, KeySet, strict_json};
use crate::KeyError;

/// A member of a published JWK Set that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedKey {
    /// The member's `kid`, if it had one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: KeyError,
}

impl KeySet {
    /// Imports an issuer's published JWK Set (`{"keys": [...]}`) as a verify-only set of
    /// public keys bound to algorithms in `allowed`: never an HMAC secret, private members
    /// dropped, a key's own `alg` must be allowed (a key without one binds to the one
    /// allowed algorithm its type fits), and a member that cannot be used is skipped.
    /// Only a document that is not a JWK Set at all is an error.
    pub fn from_published_jwks(
        text: &str,
        allowed: &[Algorithm],
    ) -> Result<(Self, Vec<SkippedKey>), KeyError> {
        let object = strict_json::parse_object(text.as_bytes())
            .map_err(|reason| KeyError::Malformed(format!("JWK Set: {reason}")))?;
        let Some(Value::Array(members)) = object.get("keys") else {
            return Err(KeyError::Malformed("JWK Set has no keys array".into()));
        };
        let mut keys: Vec<Key> = Vec::with_capacity(members.len());
        let mut skipped = Vec::new();
        for member in members {
            let kid = member.get("kid").and_then(Value::as_str).map(str::to_owned);
            match import(member, allowed) {
                Ok(key) if keys.iter().any(|k| k.kid() == key.kid()) => skipped.push(SkippedKey {
                    kid,
                    reason: KeyError::Malformed(format!("kid {:?} appears twice", key.kid())),
                }),
                Ok(key) => keys.push(key),
                Err(reason) => skipped.push(SkippedKey { kid, reason }),
            }
        }
        Ok((KeySet::verify_only(keys)?, skipped))
    }
}

/// One member, imported under the rules of the module.
fn import(member: &Value, allowed: &[Algorithm]) -> Result<Key, KeyError> {
    let Value::Object(object) = member else {
        return Err(KeyError::Malformed(
            "a key set member is not an object".into(),
        ));
    };
    let jwk = Jwk::from_object(object.clone())?;
    if jwk.kty == "oct" {
        return Err(KeyError::WrongUse(
            "a shared secret is never taken from a published key set".into(),
        ));
    }
    let alg = match jwk.alg.as_deref() {
        Some(name) => {
            let alg: Algorithm = name.parse()?;
            if !allowed.contains(&alg) {
                return Err(KeyError::AlgMismatch(format!("{alg} is not allowed")));
            }
            alg
        }
        None => only_fit(&jwk.kty, allowed)?,
    };
    Key::from_jwk(&jwk, Some(alg))?.to_public_only()
}

/// The one allowed algorithm a key of type `kty` fits.
fn only_fit(kty: &str, allowed: &[Algorithm]) -> Result<Algorithm, KeyError> {
    let family = match kty {
        "RSA" => Family::Rsa,
        "EC" => Family::Ecdsa,
        "OKP" => Family::EdDsa,
        _ => return Err(KeyError::Malformed(format!("unknown kty {kty:?}"))),
    };
    let mut fits = allowed.iter().filter(|alg| alg.family() == family);
    match (fits.next(), fits.next()) {
        (Some(alg), None) => Ok(*alg),
        _ => Err(KeyError::MissingAlg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenError;

    fn public(alg: Algorithm, kid: &str) -> Value {
        let key = Key::generate(alg).unwrap().with_kid(kid);
        key.public_jwk().unwrap()
    }

    fn without_alg(mut jwk: Value) -> Value {
        jwk.as_object_mut().unwrap().remove("alg");
        jwk
    }

    #[test]
    fn usable_keys_are_kept_and_the_rest_reported() {
        let private = Key::generate(Algorithm::ES256).unwrap().with_kid("priv");
        let private: Value = serde_json::from_str(&private.private_jwk().unwrap()).unwrap();
        let mut encryption = public(Algorithm::RS256, "enc");
        encryption["use"] = "enc".into();
        let text = serde_json::json!({ "keys": [
            public(Algorithm::EdDSA, "ed"),
            public(Algorithm::RS256, "rs"),
            private,
            public(Algorithm::PS256, "ps"),
            encryption,
            { "kty": "oct", "kid": "hmac", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA", "alg": "HS256" },
            { "kty": "XYZ", "kid": "odd" },
            public(Algorithm::EdDSA, "ed"),
        ]})
        .to_string();
        let allowed = [Algorithm::EdDSA, Algorithm::RS256, Algorithm::ES256];
        let (set, skipped) = KeySet::from_published_jwks(&text, &allowed).unwrap();
        let kept: Vec<&str> = set.iter().map(|(_, key)| key.kid()).collect();
        assert_eq!(kept, ["ed", "rs", "priv"]);
        assert!(
            set.iter().all(|(_, key)| !key.can_sign()),
            "public halves only"
        );
        let reasons: Vec<(Option<&str>, &str)> = skipped
            .iter()
            .map(|s| (s.kid.as_deref(), s.reason.rule()))
            .collect();
        assert_eq!(
            reasons,
            [
                (Some("ps"), "alg_mismatch"),
                (Some("enc"), "wrong_key_use"),
                (Some("hmac"), "wrong_key_use"),
                (Some("odd"), "malformed_key"),
                (Some("ed"), "malformed_key"),
            ]
        );
    }

    #[test]
    fn a_key_without_alg_binds_to_the_one_allowed_algorithm_it_fits() {
        let text =
            serde_json::json!({ "keys": [without_alg(public(Algorithm::RS256, "r"))] }).to_string();
        let (set, _) = KeySet::from_published_jwks(&text, &[Algorithm::RS256]).unwrap();
        assert_eq!(set.find(Some("r")).unwrap().alg(), Algorithm::RS256);
        let (set, skipped) =
            KeySet::from_published_jwks(&text, &[Algorithm::RS256, Algorithm::PS256]).unwrap();
        assert!(
            set.is_empty(),
            "RS256 or PS256: ambiguous, never the token's pick"
        );
        assert_eq!(skipped[0].reason, KeyError::MissingAlg);
        assert_eq!(
            set.find(Some("r")).unwrap_err(),
            TokenError::UnknownKid,
            "a skipped key is unknown"
        );
    }

    #[test]
    fn only_a_document_that_is_no_key_set_is_an_error() {
        for text in ["[]", "{}", r#"{"keys":{}}"#, r#"{"keys":[],"keys":[]}"#] {
            assert_eq!(
                KeySet::from_published_jwks(text, &Algorithm::ALL)
                    .unwrap_err()
                    .rule(),
                "malformed_key",
                "{text}"
            );
        }
        let (set, skipped) = KeySet::from_published_jwks(r#"{"keys":[]}"#, &[]).unwrap();
        assert!(set.is_empty() && skipped.is_empty());
    }
}
