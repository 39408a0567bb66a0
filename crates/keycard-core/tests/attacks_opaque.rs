//! Attack tests on opaque tokens: junk and non-canonical encodings refused before any
//! lookup, and kind confusion between session and refresh tokens.

// Helpers outside `#[test]` bodies panic on failure by design; clippy's
// `allow-unwrap-in-tests` only covers the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/attack_kit.rs"]
mod attack_kit;

use keycard_core::opaque::{NotAnOpaqueToken, OpaqueKind, OpaqueToken};

use attack_kit::*;

// ---------------------------------------------------------------------------------------
// Opaque tokens
// ---------------------------------------------------------------------------------------

/// Opaque tokens: a wrong prefix, a wrong length, padding, the standard alphabet, stray
/// bits or white space is refused before any lookup; a session token is never a refresh
/// token, and relabelling its prefix changes its digest, so no stored token matches.
#[test]
fn opaque_tokens_refuse_junk_and_kind_confusion() {
    let session = OpaqueToken::generate(OpaqueKind::Session).unwrap();
    let text = session.expose_secret();
    let body = &text[5..];
    let refused = |kind: OpaqueKind, presented: &str| {
        let err = OpaqueToken::parse(kind, presented).unwrap_err();
        assert_eq!(err, NotAnOpaqueToken(kind), "{presented:?}");
    };
    // Control.
    assert_eq!(
        OpaqueToken::parse(OpaqueKind::Session, text)
            .unwrap()
            .digest(),
        session.digest()
    );
    // Kind confusion.
    refused(OpaqueKind::Refresh, text);
    let relabelled = format!("kc_r_{body}");
    let as_refresh = OpaqueToken::parse(OpaqueKind::Refresh, &relabelled).unwrap();
    assert_ne!(as_refresh.digest(), session.digest());
    // Prefixes.
    for bad in [
        body.to_owned(),
        format!("KC_S_{body}"),
        format!("kc_s{body}"),
        format!("kc_x_{body}"),
        format!("kc_s__{body}"),
        format!(" kc_s_{body}"),
    ] {
        refused(OpaqueKind::Session, &bad);
    }
    // Length, padding, white space.
    for bad in [
        String::new(),
        "kc_s_".to_owned(),
        format!("kc_s_{}", &body[..42]),
        format!("kc_s_{body}A"),
        format!("kc_s_{body}AAAA"),
        format!("kc_s_{body}="),
        format!("kc_s_{}=", &body[..42]),
        format!("kc_s_{body}\n"),
        format!("kc_s_{} ", &body[..42]),
        format!("kc_s_{}", "A".repeat(44)),
    ] {
        refused(OpaqueKind::Session, &bad);
    }
    // The standard alphabet and stray trailing bits, on a body that has '-' and '_'.
    let body = b64([0xfb; 32]);
    assert!(body.contains('-') && body.contains('_'));
    OpaqueToken::parse(OpaqueKind::Session, &format!("kc_s_{body}")).unwrap();
    refused(
        OpaqueKind::Session,
        &format!("kc_s_{}", body.replace('-', "+")),
    );
    refused(
        OpaqueKind::Session,
        &format!("kc_s_{}", body.replace('_', "/")),
    );
    let zeros = b64([0u8; 32]);
    OpaqueToken::parse(OpaqueKind::Session, &format!("kc_s_{zeros}")).unwrap();
    refused(
        OpaqueKind::Session,
        &format!("kc_s_{}", with_stray_bits(&zeros)),
    );
}
