//! Public identifiers: random, unguessable, and safe to show (they are not credentials).

use std::fmt;

use crate::jose::base64url;

/// Draws 128 random bits as 22 characters of base64url.
fn random_id() -> Result<String, crate::KeyError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| crate::KeyError::Crypto("random source failed"))?;
    Ok(base64url::encode(bytes))
}

macro_rules! public_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id (128 bits).
            pub fn generate() -> Result<Self, crate::KeyError> {
                random_id().map(Self)
            }

            /// Wraps an id read back from a store or a request.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        // Lets maps keyed by id be searched with a `&str` from a token, without a copy.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

public_id!(
    /// A user's id: the `sub` of every token minted for them.
    UserId
);
public_id!(
    /// A session's public id: the `sid` of every access token minted from it, and the unit
    /// of revocation. Not the secret the client presents (that is an
    /// [`OpaqueToken`](crate::opaque::OpaqueToken), stored only as a digest).
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_128_bits() {
        let a = UserId::generate().unwrap();
        let b = UserId::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(base64url::decode(a.as_str()).unwrap().len(), 16);
        assert_eq!(SessionId::new("x").to_string(), "x");
    }
}
