//! JWK and JWK Set import, as `keycard verify --jwks` and the key files read them: never
//! a panic; the JWKS an imported set publishes (its public keys; secret keys are never
//! published) imports again and publishes the same JWKS.

use keycard_core::KeySet;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for public_only in [true, false] {
        let Ok(keys) = KeySet::from_jwk_or_jwks(text, None, public_only) else {
            continue;
        };
        let published = keys.public_jwks().to_string();
        let again = KeySet::from_jwk_or_jwks(&published, None, true).unwrap_or_else(|error| {
            panic!("a published JWKS does not import: {error}: {published}")
        });
        assert_eq!(
            again.public_jwks().to_string(),
            published,
            "a round trip changed the JWKS"
        );
    }
}
