//! What handlers take from a request beyond JSON and the client (`client.rs`): the
//! credential of the server's mode and the CSRF headers; and the cookies they set. Cookies
//! are read and written with the `cookie` crate, `Authorization` with `headers`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use credentials::{bearer_token, cookie_value};
use keycard_auth::Mode;
use keycard_auth::current::Current;

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
        Ok(Self(authenticate(state, &parts.headers).await?))
    }
}

/// Who the request's credential says it is, by the server's mode.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Current, WebError> {
    let auth = state.auth();
    let now = auth.now();
    Ok(match auth.settings().mode {
        Mode::Session => {
            auth.authenticate_cookie(cookie(headers, SESSION_COOKIE).as_deref(), now)
                .await?
        }
        Mode::Jwt | Mode::Hybrid => {
            auth.authenticate_bearer(bearer(headers).as_deref(), now)
                .await?
        }
    })
}

/// The CSRF check for an unsafe request: required when it is cookie-authenticated, nothing
/// to do for a bearer token (a browser never attaches one by itself).
pub fn require_csrf(
    state: &AppState,
    headers: &HeaderMap,
    current: &Current,
) -> Result<(), WebError> {
    let Current::Cookie { token, .. } = current else {
        return Ok(());
    };
    state.auth().check_csrf(
        token,
        header_str(headers, header::ORIGIN.as_str()),
        header_str(headers, "sec-fetch-site"),
        header_str(headers, CSRF_HEADER),
    )?;
    Ok(())
}

/// The origin check alone (the refresh cookie).
pub fn require_same_origin(state: &AppState, headers: &HeaderMap) -> Result<(), WebError> {
    state.auth().check_same_origin(
        header_str(headers, header::ORIGIN.as_str()),
        header_str(headers, "sec-fetch-site"),
    )?;
    Ok(())
}

/// A header as text, if present once and visible ASCII.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The token of `Authorization: Bearer <token>`. A request with several `Authorization`
/// headers has none: which one a proxy or a framework would pick is anyone's guess.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    bearer_token(headers)
}

/// The value of the cookie `name` in the `Cookie` headers. A request that carries the
/// same cookie name twice (cookie tossing from a sibling host or path) has none.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    cookie_value(headers, name)
}

/// `Set-Cookie` for the session cookie.
pub fn session_cookie(value: &str) -> HeaderValue {
    set_cookie(SESSION_COOKIE, value, SameSite::Lax, "/", None)
}

/// `Set-Cookie` for the refresh cookie.
pub fn refresh_cookie(value: &str) -> HeaderValue {
    set_cookie(REFRESH_COOKIE, value, SameSite::Strict, REFRESH_PATH, None)
}

/// `Set-Cookie` that removes the mode's cookie, if it has one.
pub fn expired_cookie(mode: Mode) -> Option<HeaderValue> {
    match mode {
        Mode::Session => Some(set_cookie(SESSION_COOKIE, "", SameSite::Lax, "/", Some(0))),
        Mode::Hybrid => Some(set_cookie(
            REFRESH_COOKIE,
            "",
            SameSite::Strict,
            REFRESH_PATH,
            Some(0),
        )),
        Mode::Jwt => None,
    }
}

fn set_cookie(
    name: &'static str,
    value: &str,
    same_site: SameSite,
    path: &'static str,
    max_age_secs: Option<i64>,
) -> HeaderValue {
    let mut cookie = Cookie::build((name, value.to_owned()))
        .http_only(true)
        .secure(true)
        .same_site(same_site)
        .path(path);
    if let Some(secs) = max_age_secs {
        cookie = cookie.max_age(cookie::time::Duration::seconds(secs));
    }
    // Opaque tokens are base64url behind a prefix: always a valid header value.
    HeaderValue::from_str(&cookie.build().encoded().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Reading the two credentials a request can carry.
mod credentials {
    use axum::http::{HeaderMap, header};
    use headers::authorization::Bearer;
    use headers::{Authorization, HeaderMapExt as _};

    pub(super) fn bearer_token(headers: &HeaderMap) -> Option<String> {
        if headers.get_all(header::AUTHORIZATION).iter().count() != 1 {
            return None;
        }
        let Authorization(bearer) = headers.typed_get::<Authorization<Bearer>>()?;
        let token = bearer.token().trim();
        (!token.is_empty()).then(|| token.to_owned())
    }

    pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
        let mut found = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(cookie::Cookie::split_parse_encoded)
            .filter_map(Result::ok)
            .filter(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned());
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }
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
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("kc_s_x"));
        assert_eq!(cookie(&headers, "b"), None);
        assert_eq!(bearer(&headers).as_deref(), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn a_repeated_cookie_or_authorization_is_no_credential() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-keycard_session=kc_s_a"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-keycard_session=kc_s_b"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
        let mut headers = HeaderMap::new();
        headers.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        headers.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn cookies_carry_every_attribute() {
        let session = session_cookie("kc_s_x");
        let session = session.to_str().unwrap();
        for part in [
            "__Host-keycard_session=kc_s_x",
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
        ] {
            assert!(session.contains(part), "{session}");
        }
        let refresh = refresh_cookie("kc_r_x");
        let refresh = refresh.to_str().unwrap();
        for part in [
            "__Secure-keycard_refresh=kc_r_x",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/v1/token",
        ] {
            assert!(refresh.contains(part), "{refresh}");
        }
        let gone = expired_cookie(Mode::Session).unwrap();
        assert!(gone.to_str().unwrap().contains("Max-Age=0"), "{gone:?}");
        assert!(expired_cookie(Mode::Jwt).is_none());
    }
}
