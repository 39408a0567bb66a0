//! Differential: the codec's base64url decoder against the `base64` crate's URL-safe
//! engine configured as strictly (no padding, no trailing bits). Both must accept the same
//! inputs and decode them to the same bytes; what is accepted must encode back to itself.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use keycard_core::jose::base64url;

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

pub fn run(data: &[u8]) {
    let ours = base64url::decode(data);
    let theirs = STRICT.decode(data).ok();
    assert_eq!(
        ours,
        theirs,
        "decoders disagree on {:?}",
        String::from_utf8_lossy(data)
    );
    if let Some(bytes) = ours {
        assert_eq!(base64url::encode(&bytes).as_bytes(), data, "not canonical");
        let mut out = vec![0u8; bytes.len()];
        assert_eq!(
            base64url::decode_to_slice(data, &mut out),
            Some(bytes.len())
        );
        assert_eq!(out, bytes);
    }
}
