//! JWS compact serialization (RFC 7515 section 7.1): sign, and verify in a fixed order of
//! checks, cheapest first, so that nothing of an oversized or malformed token is decoded and
//! no cryptography runs for a token whose header already disqualifies it.
//!
//! Written by hand rather than taken from a JOSE crate because these few checks are the
//! product: which inputs are refused, in which order, and under which rule name.

use super::header::RawHeader;
use super::{Header, Key, KeySet, base64url};
use crate::{KeyError, TokenError};

/// The default cap on a token's length, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A JWS whose signature and header rules have been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedJws {
    /// The protected header.
    pub header: Header,
    /// The decoded payload.
    pub payload: Vec<u8>,
}

/// Signs `payload` under `header` with `key`. The header's `alg` must be the key's; a header
/// without `kid` gets the key's.
pub fn sign(key: &Key, header: &Header, payload: &[u8]) -> Result<String, KeyError> {
    if header.alg != key.alg() {
        return Err(KeyError::AlgMismatch(format!(
            "header says {}, key {:?} is bound to {}",
            header.alg,
            key.kid(),
            key.alg()
        )));
    }
    let mut header = header.clone();
    if header.kid.is_none() {
        header.kid = Some(key.shared_kid());
    }
    let mut token = base64url::encode(header.to_json());
    token.push('.');
    base64url::encode_into(payload, &mut token);
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    base64url::encode_into(signature, &mut token);
    Ok(token)
}

/// The three parts of a compact JWS, split but not decoded.
pub(crate) struct Parts<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a str,
}

/// Checks the size cap and splits a token into exactly three parts.
pub(crate) fn split(token: &str, max_bytes: usize) -> Result<Parts<'_>, TokenError> {
    if token.len() > max_bytes {
        return Err(TokenError::TooLarge {
            size: token.len(),
            limit: max_bytes,
        });
    }
    let (signing_input, signature) = token
        .rsplit_once('.')
        .ok_or(TokenError::Malformed("not three dot-separated parts"))?;
    let (header, payload) = signing_input
        .split_once('.')
        .ok_or(TokenError::Malformed("not three dot-separated parts"))?;
    if payload.contains('.') {
        return Err(TokenError::Malformed("not three dot-separated parts"));
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Verifies a compact JWS against `keys`: size cap, shape, canonical base64url, header
/// rules, key by `kid`, `alg` equal to the key's, signature. The payload may be anything;
/// for JWT claims use [`crate::jwt::Validation::verify`].
pub fn verify(keys: &KeySet, token: &str, max_bytes: usize) -> Result<VerifiedJws, TokenError> {
    let parts = split(token, max_bytes)?;
    let (header, key) = decode_header(keys, parts.header)?;
    check_signature(key, &header, &parts)?;
    let payload = base64url::decode(parts.payload)
        .ok_or(TokenError::Malformed("payload is not canonical base64url"))?;
    Ok(VerifiedJws { header, payload })
}

/// A token's parts decoded without any check of its signature or rules: for showing what a
/// token says (`keycard decode`), never for deciding anything.
#[derive(Clone, Debug, PartialEq)]
pub struct Unverified {
    /// The header as JSON, whatever it says (even `alg: none`).
    pub header: serde_json::Map<String, serde_json::Value>,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The signature's length in bytes.
    pub signature_len: usize,
}

/// Decodes a compact JWS for display only. Shape, size cap, canonical base64url and strict
/// JSON of the header still apply; the signature is not checked.
pub fn decode_unverified(token: &str, max_bytes: usize) -> Result<Unverified, TokenError> {
    let parts = split(token, max_bytes)?;
    let header = base64url::decode(parts.header)
        .ok_or(TokenError::Malformed("header is not canonical base64url"))?;
    let header = super::strict_json::parse_object(&header).map_err(TokenError::Malformed)?;
    let payload = base64url::decode(parts.payload)
        .ok_or(TokenError::Malformed("payload is not canonical base64url"))?;
    let signature = base64url::decode(parts.signature).ok_or(TokenError::Malformed(
        "signature is not canonical base64url",
    ))?;
    Ok(Unverified {
        header,
        payload,
        signature_len: signature.len(),
    })
}

/// Decodes and parses the header and finds the key it names, copying nothing of the header
/// but what the verified result keeps.
pub(crate) fn decode_header<'k>(
    keys: &'k KeySet,
    encoded: &str,
) -> Result<(Header, &'k Key), TokenError> {
    const NOT_BASE64: TokenError = TokenError::Malformed("header is not canonical base64url");
    let find = |bytes: &[u8]| {
        let raw = RawHeader::parse(bytes)?;
        let key = keys.find(raw.kid.as_deref())?;
        let kid = raw.kid.is_some().then(|| key.shared_kid());
        Ok((raw.into_header(kid), key))
    };
    // A usual header fits on the stack; a larger one is decoded onto the heap.
    let mut buffer = [0u8; 384];
    match base64url::decode_to_slice(encoded, &mut buffer) {
        Some(len) => find(&buffer[..len]),
        None if encoded.len() > 512 => find(&base64url::decode(encoded).ok_or(NOT_BASE64)?),
        None => Err(NOT_BASE64),
    }
}

/// The key's algorithm must be the header's, and the signature must verify.
pub(crate) fn check_signature(
    key: &Key,
    header: &Header,
    parts: &Parts<'_>,
) -> Result<(), TokenError> {
    if header.alg != key.alg() {
        return Err(TokenError::AlgMismatch {
            header: header.alg.name().to_owned(),
            key: key.alg().name(),
        });
    }
    // A signature is at most 1024 bytes (RSA-8192, the largest modulus a Key accepts):
    // decode it onto the stack.
    let mut signature = [0u8; 1024];
    let len = base64url::decode_to_slice(parts.signature, &mut signature).ok_or(
        TokenError::Malformed("signature is not canonical base64url, or too long"),
    )?;
    if len == 0 {
        return Err(TokenError::Malformed("signature is empty"));
    }
    if key.verify(parts.signing_input.as_bytes(), &signature[..len]) {
        Ok(())
    } else {
        Err(TokenError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;

    fn hs256() -> (Key, KeySet) {
        let key = Key::hmac(Algorithm::HS256, &[7u8; 32], Some("k".into())).unwrap();
        let set = KeySet::verify_only([
            Key::hmac(Algorithm::HS256, &[7u8; 32], Some("k".into())).unwrap()
        ])
        .unwrap();
        (key, set)
    }

    #[test]
    fn sign_then_verify() {
        let (key, set) = hs256();
        let token = sign(&key, &Header::new(Algorithm::HS256), b"hello").unwrap();
        let verified = verify(&set, &token, DEFAULT_MAX_TOKEN_BYTES).unwrap();
        assert_eq!(verified.payload, b"hello");
        assert_eq!(verified.header.kid.as_deref(), Some("k"));
    }

    #[test]
    fn size_cap_comes_first() {
        let (_, set) = hs256();
        let token = "!".repeat(100);
        assert_eq!(
            verify(&set, &token, 99).unwrap_err(),
            TokenError::TooLarge {
                size: 100,
                limit: 99
            }
        );
        assert_eq!(verify(&set, &token, 100).unwrap_err().rule(), "malformed");
    }

    #[test]
    fn shape_is_exactly_three_parts() {
        let (key, set) = hs256();
        let token = sign(&key, &Header::new(Algorithm::HS256), b"x").unwrap();
        for bad in [
            format!("{token}."),
            format!(".{token}"),
            token.replacen('.', "", 1),
            format!("{token}.x"),
        ] {
            assert_eq!(
                verify(&set, &bad, 8192).unwrap_err().rule(),
                "malformed",
                "{bad}"
            );
        }
    }

    #[test]
    fn signing_with_another_alg_is_refused() {
        let (key, _) = hs256();
        let err = sign(&key, &Header::new(Algorithm::HS384), b"x").unwrap_err();
        assert_eq!(err.rule(), "alg_mismatch");
    }
}
