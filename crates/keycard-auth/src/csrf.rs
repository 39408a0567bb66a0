//! CSRF defence for cookie-authenticated unsafe requests (session mode's logout routes, and
//! the refresh endpoint when its token comes from the cookie).
//!
//! Two checks, both needed for the session cookie (`SameSite=Lax` still sends it on
//! top-level navigations from other sites):
//! - **origin**: `Origin` must be this server's origin (the issuer's). Without `Origin`,
//!   `Sec-Fetch-Site` must be `same-origin`. A request with neither is refused: every
//!   browser in use sends one of them on a POST, and a non-browser client can set `Origin`.
//! - **token**: `X-CSRF-Token` must equal the token bound to the session.
//!
//! The refresh endpoint needs the origin check only: its cookie is `SameSite=Strict` and
//! scoped to `/v1/token`, and a reloaded page has no CSRF token yet. Bearer-authenticated
//! requests need neither: a browser never attaches a bearer token by itself.
//!
//! ## The token
//! `base64url(SHA-256("keycard csrf v1" || 0 || session token))`. It is bound to the
//! session (a new login gives a new one), needs no storage and no server key (so it
//! survives restarts and works across instances), and reveals nothing of the session token
//! (SHA-256 is one-way, and the context differs from the store's digest, so it is not the
//! stored digest either). Only a holder of the session token can compute it.

use aws_lc_rs::{constant_time, digest};
use keycard_core::jose::base64url;
use keycard_core::opaque::OpaqueToken;

use crate::error::AuthError;
use crate::service::Auth;

const CONTEXT: &[u8] = b"keycard csrf v1\0";

/// The CSRF token of a session, from its (secret) session token.
pub fn csrf_token(session_token: &OpaqueToken) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(CONTEXT);
    context.update(session_token.expose_secret().as_bytes());
    base64url::encode(context.finish().as_ref())
}

/// Whether `origin` (an `Origin` header) is the origin of `url` (the issuer), compared as
/// RFC 6454 origins: scheme and host case-insensitively, default ports made explicit, so
/// `https://Auth.Example:443` is `https://auth.example`. `null` and anything that is not
/// an absolute URL match nothing.
pub fn same_origin(url: &str, origin: &str) -> bool {
    match (url::Url::parse(url), url::Url::parse(origin)) {
        (Ok(url), Ok(origin)) => {
            let ours = url.origin();
            ours.is_tuple() && ours == origin.origin()
        }
        _ => false,
    }
}

/// The origin check: `origin` and `sec_fetch_site` are the request's headers, if any.
pub fn check_origin(
    allowed_origin: &str,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
) -> Result<(), AuthError> {
    let same = match (origin, sec_fetch_site) {
        (Some(origin), _) => same_origin(allowed_origin, origin),
        (None, Some(site)) => site == "same-origin",
        (None, None) => false,
    };
    if same {
        Ok(())
    } else {
        Err(AuthError::Csrf("origin"))
    }
}

/// Both checks, for a request authenticated by `session_token`.
pub fn check(
    allowed_origin: &str,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    presented_token: Option<&str>,
    session_token: &OpaqueToken,
) -> Result<(), AuthError> {
    check_origin(allowed_origin, origin, sec_fetch_site)?;
    let expected = csrf_token(session_token);
    match presented_token {
        Some(presented)
            if constant_time::verify_slices_are_equal(
                presented.as_bytes(),
                expected.as_bytes(),
            )
            .is_ok() =>
        {
            Ok(())
        }
        _ => Err(AuthError::Csrf("csrf_token")),
    }
}

impl Auth {
    /// The CSRF check of an unsafe request authenticated by a session cookie: the origin,
    /// then the session-bound token.
    pub fn check_csrf(
        &self,
        session_token: &OpaqueToken,
        origin: Option<&str>,
        sec_fetch_site: Option<&str>,
        presented_token: Option<&str>,
    ) -> Result<(), AuthError> {
        check(
            &self.settings().issuer,
            origin,
            sec_fetch_site,
            presented_token,
            session_token,
        )
    }

    /// The origin check alone (the refresh cookie).
    pub fn check_same_origin(
        &self,
        origin: Option<&str>,
        sec_fetch_site: Option<&str>,
    ) -> Result<(), AuthError> {
        check_origin(&self.settings().issuer, origin, sec_fetch_site)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keycard_core::opaque::OpaqueKind;

    const ISSUER: &str = "https://auth.example.com";

    #[test]
    fn origin_must_be_the_issuers() {
        assert!(check_origin(ISSUER, Some("https://auth.example.com"), None).is_ok());
        assert!(check_origin(ISSUER, Some("https://evil.example"), Some("same-origin")).is_err());
        assert!(check_origin(ISSUER, Some("null"), None).is_err());
        assert!(check_origin(ISSUER, None, Some("same-origin")).is_ok());
        assert!(check_origin(ISSUER, None, Some("cross-site")).is_err());
        assert!(check_origin(ISSUER, None, None).is_err());
        assert!(same_origin(
            "http://127.0.0.1:8080/base",
            "http://127.0.0.1:8080"
        ));
    }

    #[test]
    fn origins_compare_with_default_ports_and_case_normalised() {
        assert!(same_origin("https://h:443", "https://h"));
        assert!(same_origin("https://h", "https://h:443"));
        assert!(same_origin(
            "https://Auth.Example.COM/x",
            "https://auth.example.com"
        ));
        assert!(same_origin("http://h:80", "http://h"));
        assert!(!same_origin("https://h", "http://h"));
        assert!(!same_origin("https://h", "https://h:8443"));
        assert!(!same_origin("https://h", "https://h.evil"));
        assert!(!same_origin("https://h", "null"));
        assert!(!same_origin("https://h", ""));
    }

    #[test]
    fn token_is_bound_to_the_session() {
        let one = OpaqueToken::generate(OpaqueKind::Session).unwrap();
        let two = OpaqueToken::generate(OpaqueKind::Session).unwrap();
        let token = csrf_token(&one);
        assert_ne!(token, csrf_token(&two));
        assert!(!token.contains(one.expose_secret()));
        assert!(check(ISSUER, Some(ISSUER), None, Some(&token), &one).is_ok());
        assert!(check(ISSUER, Some(ISSUER), None, Some(&token), &two).is_err());
        assert!(check(ISSUER, Some(ISSUER), None, None, &one).is_err());
    }
}
