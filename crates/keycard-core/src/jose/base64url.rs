//! Canonical unpadded base64url (RFC 7515 section 2), the only encoding a token may use.
//!
//! Decoding refuses padding, the standard alphabet's `+` and `/`, white space, a length
//! that leaves one character over, and non-zero trailing bits, so every byte string has
//! exactly one accepted encoding and a token cannot be altered without changing its signing
//! input.
//!
//! Encoding uses the `base64` crate. Decoding is written by hand because it is the product:
//! which encodings a token may use is Keycard's own rule, applied to every part of every
//! token; it runs three times in every verify, and a table lookup per character with the
//! canonical checks folded in is several times faster than the general-purpose engine. A
//! property test holds it to that engine.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};

const ENCODER: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false),
);

/// Not a base64url character.
const BAD: u8 = 0xff;

/// Each byte's 6-bit value in the base64url alphabet, or [`BAD`].
const DECODE: [u8; 256] = {
    let mut table = [BAD; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    ENCODER.encode(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
pub fn encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    ENCODER.encode_string(bytes, out);
}

/// The length `text` decodes to, if its length is possible for unpadded base64url.
fn decoded_len(text: &[u8]) -> Option<usize> {
    let tail = match text.len() % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return None,
    };
    Some(text.len() / 4 * 3 + tail)
}

/// Decodes canonical unpadded base64url; anything else is `None`.
pub fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    let text = text.as_ref();
    let mut out = vec![0u8; decoded_len(text)?];
    decode_to_slice(text, &mut out)?;
    Some(out)
}

/// Decodes canonical unpadded base64url into `out`, returning the length; `None` if not
/// canonical or if `out` is too small.
pub fn decode_to_slice(text: impl AsRef<[u8]>, out: &mut [u8]) -> Option<usize> {
    let text = text.as_ref();
    let len = decoded_len(text)?;
    let out = out.get_mut(..len)?;
    let mut chunks = text.chunks_exact(4);
    let mut written = out.chunks_exact_mut(3);
    // Invalid characters decode to 0xff: collect their high bit and check once at the end.
    let mut invalid = 0u8;
    for (chunk, bytes) in chunks.by_ref().zip(written.by_ref()) {
        let a = DECODE[usize::from(chunk[0])];
        let b = DECODE[usize::from(chunk[1])];
        let c = DECODE[usize::from(chunk[2])];
        let d = DECODE[usize::from(chunk[3])];
        invalid |= a | b | c | d;
        bytes[0] = a << 2 | b >> 4;
        bytes[1] = b << 4 | c >> 2;
        bytes[2] = c << 6 | d;
    }
    if invalid & 0x80 != 0 {
        return None;
    }
    let tail = written.into_remainder();
    match *chunks.remainder() {
        [] => {}
        [a, b] => {
            let [a, b] = [a, b].map(|ch| DECODE[usize::from(ch)]);
            // Two characters carry 12 bits for one byte: the last 4 must be zero.
            if (a | b) & 0x80 != 0 || b & 0x0f != 0 {
                return None;
            }
            tail[0] = a << 2 | b >> 4;
        }
        [a, b, c] => {
            let [a, b, c] = [a, b, c].map(|ch| DECODE[usize::from(ch)]);
            // Three characters carry 18 bits for two bytes: the last 2 must be zero.
            if (a | b | c) & 0x80 != 0 || c & 0x03 != 0 {
                return None;
            }
            let word = u32::from(a) << 10 | u32::from(b) << 4 | u32::from(c) >> 2;
            tail.copy_from_slice(&word.to_be_bytes()[2..]);
        }
        _ => return None,
    }
    Some(len)
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

    mod against_the_base64_crate {
        use super::super::*;
        use base64::engine::DecodePaddingMode;
        use proptest::prelude::*;

        const STRICT: GeneralPurpose = GeneralPurpose::new(
            &URL_SAFE,
            GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::RequireNone)
                .with_decode_allow_trailing_bits(false),
        );

        proptest! {
            #[test]
            fn same_verdict_and_bytes(text in "[A-Za-z0-9_=+/ -]{0,40}") {
                prop_assert_eq!(decode(&text), STRICT.decode(&text).ok(), "{:?}", text);
            }

            #[test]
            fn same_verdict_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
                prop_assert_eq!(decode(&bytes), STRICT.decode(&bytes).ok());
            }

            #[test]
            fn round_trip(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
                prop_assert_eq!(decode(encode(&bytes)), Some(bytes));
            }
        }
    }
}
