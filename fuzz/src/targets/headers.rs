//! The request headers Keycard reads credentials from: `Cookie` (the session and refresh
//! cookies), `Authorization: Bearer` and `Authorization: Basic` (OAuth clients). The input
//! is lines of `name: value`; any value bytes a client could send are tried. Never a panic,
//! and a bearer token read is always text the client sent (cookie values are
//! percent-decoded, so they are only required not to panic).

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use keycard_server::routes::extract::{REFRESH_COOKIE, SESSION_COOKIE, bearer, cookie};
use keycard_server::routes::oauth::basic_credentials;

pub fn run(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        else {
            continue;
        };
        headers.append(name, value);
    }
    let sent = |found: &str| {
        headers.iter().any(|(_, value)| {
            value
                .as_bytes()
                .windows(found.len().max(1))
                .any(|w| w == found.as_bytes())
        })
    };
    for name in [SESSION_COOKIE, REFRESH_COOKIE] {
        let _ = cookie(&headers, name);
    }
    if let Some(token) = bearer(&headers) {
        assert!(
            token.is_empty() || sent(&token),
            "bearer {token:?} was not sent"
        );
    }
    let _ = basic_credentials(&headers);
}
