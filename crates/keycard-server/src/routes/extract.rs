//! What handlers take from a request beyond JSON: the client's metadata, the credential
//! of the server's mode, the CSRF headers; and the cookies they set.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use keycard_core::session::ClientMeta;

use crate::auth::client::client_meta;
use crate::auth::csrf;
use crate::auth::current::{self, Current};
use crate::config::Mode;
use crate::error::WebError;
use crate::state::AppState;

/// The session cookie (session mode). `__Host-`: Secure, no Domain, Path=/, so no other
/// host or path can set or shadow it.
pub const SESSION_COOKIE: &str = "__Host-keycard_session";
/// The refresh cookie (hybrid mode). `__Secure-`, scoped to the refresh path.
pub const REFRESH_COOKIE: &str = "__Secure-keycard_refresh";
/// The path the refresh cookie is sent to.
pub const REFRESH_PATH: &str = "/v1/token";
/// The CSRF header of cookie-authenticated unsafe requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The client's `User-Agent`, IP (of the connection) and label.
#[derive(Debug)]
pub struct Client(pub ClientMeta);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let user_agent = header_str(&parts.headers, header::USER_AGENT.as_str());
        Ok(Self(client_meta(user_agent, ip)))
    }
}

/// The request's credential, as the mode expects it: the session cookie in session mode,
/// `Authorization: Bearer` otherwise. Anything else is 401.
#[derive(Debug)]
pub struct Authenticated(pub Current);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let now = state.now();
        let current = match state.settings().mode {
            Mode::Session => {
                current::by_cookie(state, cookie(&parts.headers, SESSION_COOKIE), now).await?
            }
            Mode::Jwt | Mode::Hybrid => current::by_bearer(state, bearer(&parts.headers), now)?,
        };
        Ok(Self(current))
    }
}

/// The CSRF check for an unsafe request: required when it is cookie-authenticated, nothing
/// to do for a bearer token.
pub fn require_csrf(
    state: &AppState,
    headers: &HeaderMap,
    current: &Current,
) -> Result<(), WebError> {
    let Current::Cookie { token, .. } = current else {
        return Ok(());
    };
    csrf::check(
        &state.settings().issuer,
        header_str(headers, header::ORIGIN.as_str()),
        header_str(headers, "sec-fetch-site"),
        header_str(headers, CSRF_HEADER),
        token,
    )?;
    Ok(())
}

/// The origin check alone (the refresh cookie).
pub fn require_same_origin(state: &AppState, headers: &HeaderMap) -> Result<(), WebError> {
    csrf::check_origin(
        &state.settings().issuer,
        header_str(headers, header::ORIGIN.as_str()),
        header_str(headers, "sec-fetch-site"),
    )?;
    Ok(())
}

/// A header as text, if present and visible ASCII.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, header::AUTHORIZATION.as_str())?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// The first cookie named `name` in the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// `Set-Cookie` for the session cookie.
pub fn session_cookie(value: &str) -> HeaderValue {
    set_cookie(SESSION_COOKIE, value, "SameSite=Lax; Path=/", None)
}

/// `Set-Cookie` for the refresh cookie.
pub fn refresh_cookie(value: &str) -> HeaderValue {
    set_cookie(
        REFRESH_COOKIE,
        value,
        "SameSite=Strict; Path=/v1/token",
        None,
    )
}

/// `Set-Cookie` that removes the mode's cookie, if it has one.
pub fn expired_cookie(mode: Mode) -> Option<HeaderValue> {
    match mode {
        Mode::Session => Some(set_cookie(
            SESSION_COOKIE,
            "",
            "SameSite=Lax; Path=/",
            Some(0),
        )),
        Mode::Hybrid => Some(set_cookie(
            REFRESH_COOKIE,
            "",
            "SameSite=Strict; Path=/v1/token",
            Some(0),
        )),
        Mode::Jwt => None,
    }
}

fn set_cookie(name: &str, value: &str, scope: &str, max_age: Option<u64>) -> HeaderValue {
    let max_age = max_age.map_or_else(String::new, |age| format!("; Max-Age={age}"));
    let text = format!("{name}={value}; HttpOnly; Secure; {scope}{max_age}");
    // Opaque tokens are base64url behind a prefix: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies_and_bearer() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-keycard_session=kc_s_x"),
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("kc_s_x"));
        assert_eq!(cookie(&headers, "b"), None);
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn cookies_carry_every_attribute() {
        assert_eq!(
            session_cookie("kc_s_x"),
            "__Host-keycard_session=kc_s_x; HttpOnly; Secure; SameSite=Lax; Path=/"
        );
        assert_eq!(
            refresh_cookie("kc_r_x"),
            "__Secure-keycard_refresh=kc_r_x; HttpOnly; Secure; SameSite=Strict; Path=/v1/token"
        );
    }
}
