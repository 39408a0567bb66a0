//! Canonical unpadded base64url (RFC 7515 section 2), the only encoding a token may use.
//!
//! Decoding refuses padding, the standard alphabet's `+` and `/`, whitespace and non-zero
//! trailing bits, so every byte string has exactly one accepted encoding and a token cannot
//! be altered without changing its signing input.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    STRICT.encode(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
pub fn encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    STRICT.encode_string(bytes, out);
}

/// Decodes canonical unpadded base64url; anything else is `None`.
pub fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    STRICT.decode(text).ok()
}

/// Decodes canonical unpadded base64url into `out` (cleared first); `false` if not canonical.
pub fn decode_into(text: impl AsRef<[u8]>, out: &mut Vec<u8>) -> bool {
    out.clear();
    STRICT.decode_vec(text, out).is_ok()
}

/// Decodes canonical unpadded base64url into `out`, returning the length; `None` if not
/// canonical or if `out` is too small.
pub fn decode_to_slice(text: impl AsRef<[u8]>, out: &mut [u8]) -> Option<usize> {
    let text = text.as_ref();
    // The exact decoded length, so the engine never needs room beyond it.
    let needed = text.len() / 4 * 3 + (text.len() % 4).saturating_sub(1);
    if needed > out.len() {
        return None;
    }
    STRICT.decode_slice(text, out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn rejects_padding() {
        assert_eq!(decode("Zm8"), Some(b"fo".to_vec()));
        assert_eq!(decode("Zm8="), None);
        assert_eq!(decode("Zg=="), None);
    }

    #[test]
    fn rejects_standard_alphabet() {
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("+/8"), None);
    }

    #[test]
    fn rejects_whitespace() {
        for text in [" Zm8", "Zm8 ", "Zm\n8", "Zm\t8", "Zm8\r\n"] {
            assert_eq!(decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn rejects_stray_bits() {
        // "Zm8" is canonical for "fo"; "Zm9" sets a bit beyond the last byte.
        assert_eq!(decode("Zm9"), None);
        assert_eq!(decode("AB"), None);
        assert_eq!(decode("AA"), Some(vec![0]));
    }

    #[test]
    fn rejects_impossible_lengths() {
        assert_eq!(decode("A"), None);
        assert_eq!(decode("AAAAA"), None);
    }
}
