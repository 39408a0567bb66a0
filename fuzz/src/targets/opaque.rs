//! Opaque tokens (session ids, refresh tokens) as presented by a client: parsing never
//! panics, and what it accepts is exactly the presented text, of the asked-for kind.

use keycard_core::opaque::{OpaqueKind, OpaqueToken};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [OpaqueKind::Session, OpaqueKind::Refresh] {
        if let Ok(token) = OpaqueToken::parse(kind, text) {
            assert_eq!(token.expose_secret(), text);
            assert_eq!(token.kind(), kind);
            let other = match kind {
                OpaqueKind::Session => OpaqueKind::Refresh,
                OpaqueKind::Refresh => OpaqueKind::Session,
            };
            assert!(
                OpaqueToken::parse(other, text).is_err(),
                "{text:?} is both kinds"
            );
        }
    }
}
