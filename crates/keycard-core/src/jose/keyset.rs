//! The keys an issuer signs and verifies with, and the rotation schedule between them.
//!
//! At most one key signs (active). The next key is published ahead of use so verifiers have
//! it cached before the first token it signs; retired keys only verify, until the longest
//! token they signed has expired and the caller removes them.

use serde_json::{Value, json};

use super::Key;
use super::jwk::Jwk;
use super::strict_json;
use crate::{Algorithm, KeyError, TokenError};

/// What a key in a [`KeySet`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRole {
    /// Signs new tokens; verifies.
    Active,
    /// Published, not yet signing; verifies (another instance may have rotated first).
    Next,
    /// No longer signs; verifies until its tokens have expired.
    Retired,
}

/// A set of keys, looked up by `kid`. Kids are unique within a set.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<(KeyRole, Key)>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set that signs with `active`.
    pub fn with_active(active: Key) -> Result<Self, KeyError> {
        Self::new().with(KeyRole::Active, active)
    }

    /// A verify-only set, for a resource server holding an issuer's public keys.
    pub fn verify_only(keys: impl IntoIterator<Item = Key>) -> Result<Self, KeyError> {
        keys.into_iter()
            .try_fold(Self::new(), |set, key| set.with(KeyRole::Retired, key))
    }

    /// Adds `key` in `role`. A second active or next key, or a repeated kid, is refused.
    pub fn with(mut self, role: KeyRole, key: Key) -> Result<Self, KeyError> {
        if self.keys.iter().any(|(_, k)| k.kid() == key.kid()) {
            return Err(KeyError::Malformed(format!(
                "kid {:?} appears twice",
                key.kid()
            )));
        }
        if role != KeyRole::Retired && self.keys.iter().any(|(r, _)| *r == role) {
            return Err(KeyError::Malformed(format!(
                "a key set has one {role:?} key at most"
            )));
        }
        if role == KeyRole::Active && !key.can_sign() {
            return Err(KeyError::NotASigningKey {
                kid: key.kid().to_owned(),
            });
        }
        self.keys.push((role, key));
        Ok(self)
    }

    /// Parses a JWK Set (`{"keys": [...]}`) or a single JWK into a verify-only set. With
    /// `public_only`, private members of asymmetric keys are dropped on import. `alg` binds
    /// keys that name no algorithm of their own.
    pub fn from_jwk_or_jwks(
        text: &str,
        alg: Option<Algorithm>,
        public_only: bool,
    ) -> Result<Self, KeyError> {
        let object = strict_json::parse_object(text.as_bytes())
            .map_err(|reason| KeyError::Malformed(format!("key file: {reason}")))?;
        let members = match object.get("keys") {
            Some(Value::Array(keys)) => keys.clone(),
            Some(_) => return Err(KeyError::Malformed("keys is not an array".into())),
            None => vec![Value::Object(object)],
        };
        let mut keys = Vec::with_capacity(members.len());
        for member in members {
            let Value::Object(member) = member else {
                return Err(KeyError::Malformed(
                    "a key set member is not an object".into(),
                ));
            };
            let key = Key::from_jwk(&Jwk::from_object(member)?, alg)?;
            keys.push(if public_only && !key.is_symmetric() {
                key.to_public_only()?
            } else {
                key
            });
        }
        // A document holding both shared secrets and public keys is a leaked secret or a
        // confused configuration; either way, refuse it (Wycheproof's mixed-symmetry case).
        if keys.iter().any(Key::is_symmetric) && keys.iter().any(|k| !k.is_symmetric()) {
            return Err(KeyError::Malformed(
                "a key set mixes HMAC secrets with public keys".into(),
            ));
        }
        Self::verify_only(keys)
    }

    /// The signing key, if the set has one.
    pub fn active(&self) -> Option<&Key> {
        self.role(KeyRole::Active)
    }

    /// The key published for the next rotation, if any.
    pub fn next(&self) -> Option<&Key> {
        self.role(KeyRole::Next)
    }

    fn role(&self, role: KeyRole) -> Option<&Key> {
        self.keys.iter().find(|(r, _)| *r == role).map(|(_, k)| k)
    }

    /// Every key with its role.
    pub fn iter(&self) -> impl Iterator<Item = (KeyRole, &Key)> {
        self.keys.iter().map(|(role, key)| (*role, key))
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Rotates: the next key becomes active and the active one retired. Without a next
    /// key, nothing changes and `false` is returned.
    pub fn rotate(&mut self) -> bool {
        if self.next().is_none() {
            return false;
        }
        for (role, _) in &mut self.keys {
            *role = match role {
                KeyRole::Active | KeyRole::Retired => KeyRole::Retired,
                KeyRole::Next => KeyRole::Active,
            };
        }
        true
    }

    /// Removes the key with this kid, returning it. The active key cannot be removed.
    pub fn remove(&mut self, kid: &str) -> Option<Key> {
        let index = self
            .keys
            .iter()
            .position(|(role, key)| key.kid() == kid && *role != KeyRole::Active)?;
        Some(self.keys.remove(index).1)
    }

    /// Finds the key a token names. With no `kid`, only a set of exactly one key answers:
    /// trying every key would let a token pick among them.
    pub fn find(&self, kid: Option<&str>) -> Result<&Key, TokenError> {
        match kid {
            Some(kid) => self.keys.iter().find(|(_, k)| k.kid() == kid),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
        .map(|(_, key)| key)
        .ok_or(TokenError::UnknownKid)
    }

    /// The public JWK Set of every asymmetric key (active, next and retired). HMAC
    /// secrets are never published.
    pub fn public_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter_map(|(_, key)| key.public_jwk())
            .collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(alg: Algorithm, kid: &str) -> Key {
        Key::generate(alg).unwrap().with_kid(kid)
    }

    #[test]
    fn rotation_moves_next_to_active() {
        let mut set = KeySet::with_active(key(Algorithm::EdDSA, "a"))
            .unwrap()
            .with(KeyRole::Next, key(Algorithm::EdDSA, "b"))
            .unwrap();
        assert_eq!(set.active().unwrap().kid(), "a");
        assert!(set.rotate());
        assert_eq!(set.active().unwrap().kid(), "b");
        assert!(set.next().is_none());
        assert!(set.find(Some("a")).is_ok(), "retired keys still verify");
        assert!(!set.rotate());
        assert!(set.remove("b").is_none(), "the active key stays");
        assert!(set.remove("a").is_some());
        assert_eq!(set.find(Some("a")).unwrap_err(), TokenError::UnknownKid);
    }

    #[test]
    fn kids_are_unique_and_roles_single() {
        let set = KeySet::with_active(key(Algorithm::ES256, "a")).unwrap();
        let err = set
            .with(KeyRole::Retired, key(Algorithm::ES256, "a"))
            .unwrap_err();
        assert_eq!(err.rule(), "malformed_key");
        let set = KeySet::with_active(key(Algorithm::ES256, "a")).unwrap();
        let err = set
            .with(KeyRole::Active, key(Algorithm::ES256, "b"))
            .unwrap_err();
        assert_eq!(err.rule(), "malformed_key");
    }

    #[test]
    fn missing_kid_only_resolves_in_a_set_of_one() {
        let one = KeySet::verify_only([key(Algorithm::HS256, "a")]).unwrap();
        assert!(one.find(None).is_ok());
        let two =
            KeySet::verify_only([key(Algorithm::HS256, "a"), key(Algorithm::HS256, "b")]).unwrap();
        assert_eq!(two.find(None).unwrap_err(), TokenError::UnknownKid);
    }

    #[test]
    fn kid_is_compared_never_interpreted() {
        let set = KeySet::verify_only([key(Algorithm::HS256, "a")]).unwrap();
        for kid in [
            "../../../../etc/passwd",
            "a/../a",
            "a\0",
            "A",
            "' OR '1'='1",
            "/dev/null",
        ] {
            assert_eq!(
                set.find(Some(kid)).unwrap_err(),
                TokenError::UnknownKid,
                "{kid}"
            );
        }
    }

    #[test]
    fn public_jwks_has_no_secrets() {
        let set = KeySet::with_active(key(Algorithm::RS256, "a"))
            .unwrap()
            .with(KeyRole::Retired, key(Algorithm::HS256, "h"))
            .unwrap()
            .with(KeyRole::Next, key(Algorithm::EdDSA, "b"))
            .unwrap();
        let jwks = set.public_jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        let text = jwks.to_string();
        for member in ["\"d\"", "\"k\"", "\"p\"", "\"qi\""] {
            assert!(!text.contains(member), "{text}");
        }
    }

    #[test]
    fn reads_a_jwks_and_drops_private_members() {
        let private = key(Algorithm::ES256, "e").private_jwk().unwrap();
        let text = format!(r#"{{"keys":[{}]}}"#, private.as_str());
        let set = KeySet::from_jwk_or_jwks(&text, None, true).unwrap();
        assert!(!set.find(Some("e")).unwrap().can_sign());
        let set = KeySet::from_jwk_or_jwks(&private, None, false).unwrap();
        assert!(set.find(Some("e")).unwrap().can_sign());
    }
}
