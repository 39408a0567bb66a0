//! The measured routes, and what one request of each is: method, path, headers, body, and
//! the cookie a connection rotates. Success is any 2xx answer; anything else is a failure,
//! so a run of fast 401s or 429s shows up as failures and never as throughput.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use hyper::Method;
use hyper::header::{HeaderName, HeaderValue};

/// The refresh cookie's name (hybrid mode), as the server sets it.
pub const REFRESH_COOKIE: &str = "__Secure-keycard_refresh";

/// A route `keycard bench` knows how to drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /healthz`: the unauthenticated baseline of the same server.
    Healthz,
    /// `GET /v1/auth/check` with the mode's credential (nginx `auth_request`).
    AuthCheck,
    /// `GET /v1/me` with the mode's credential.
    Me,
    /// `POST /v1/login`: a password hash per request.
    Login,
    /// `POST /v1/token/refresh` with each connection's own refresh cookie (hybrid mode).
    Refresh,
    /// `GET /v1/me` while more connections log in (`--storm-logins`): the login storm.
    MeDuringLogins,
    /// Any `GET` path of any server, with the headers given (`--get`).
    Get(String),
}

/// Every Keycard route, in report order.
pub const KEYCARD_ROUTES: [Route; 6] = [
    Route::Healthz,
    Route::AuthCheck,
    Route::Me,
    Route::Login,
    Route::Refresh,
    Route::MeDuringLogins,
];

impl Route {
    /// The short name used on the command line and in the JSON.
    pub fn name(&self) -> &str {
        match self {
            Self::Healthz => "healthz",
            Self::AuthCheck => "auth-check",
            Self::Me => "me",
            Self::Login => "login",
            Self::Refresh => "refresh",
            Self::MeDuringLogins => "me-during-logins",
            Self::Get(path) => path,
        }
    }

    /// What the table shows.
    pub fn label(&self) -> String {
        match self {
            Self::Healthz => "GET /healthz".into(),
            Self::AuthCheck => "GET /v1/auth/check".into(),
            Self::Me => "GET /v1/me".into(),
            Self::Login => "POST /v1/login".into(),
            Self::Refresh => "POST /v1/token/refresh".into(),
            Self::MeDuringLogins => "GET /v1/me during logins".into(),
            Self::Get(path) => format!("GET {path}"),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Route {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        KEYCARD_ROUTES
            .iter()
            .find(|route| route.name() == name)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "unknown route {name:?}: use {}",
                    KEYCARD_ROUTES
                        .map(|route| route.name().to_owned())
                        .join(", ")
                )
            })
    }
}

/// One request, as every connection of a run sends it, over and over.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// The method.
    pub method: Method,
    /// The path (and query).
    pub path: String,
    /// Headers besides `Host` and the rotating cookie.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body (empty for a `GET`).
    pub body: Bytes,
    /// A cookie each connection carries and replaces with the one each answer sets (the
    /// refresh token rotating).
    pub rotating_cookie: Option<&'static str>,
}

impl Recipe {
    /// A `GET` of `path` with `headers`.
    pub fn get(path: &str, headers: Vec<(HeaderName, HeaderValue)>) -> Self {
        Self {
            method: Method::GET,
            path: path.to_owned(),
            headers,
            body: Bytes::new(),
            rotating_cookie: None,
        }
    }

    /// A `POST` of a JSON body.
    pub fn post_json(path: &str, body: &serde_json::Value) -> Self {
        Self {
            method: Method::POST,
            path: path.to_owned(),
            headers: vec![(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: Bytes::from(body.to_string()),
            rotating_cookie: None,
        }
    }

    /// The refresh of hybrid mode as a browser sends it: the refresh cookie, from the
    /// issuer's own origin (`Sec-Fetch-Site: same-origin`), no body.
    pub fn refresh() -> Self {
        Self {
            method: Method::POST,
            path: "/v1/token/refresh".into(),
            headers: vec![(
                HeaderName::from_static("sec-fetch-site"),
                HeaderValue::from_static("same-origin"),
            )],
            body: Bytes::new(),
            rotating_cookie: Some(REFRESH_COOKIE),
        }
    }
}

/// A `Name: value` header from the command line.
pub fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("header {text:?} is not `Name: value`"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|e| format!("header name {:?}: {e}", name.trim()))?;
    let value =
        HeaderValue::from_str(value.trim()).map_err(|e| format!("header value of {name}: {e}"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for route in KEYCARD_ROUTES {
            assert_eq!(route.name().parse::<Route>(), Ok(route.clone()));
        }
        assert!("nope".parse::<Route>().unwrap_err().contains("healthz"));
    }

    #[test]
    fn headers_parse_as_name_colon_value() {
        let (name, value) = parse_header("Cookie: id=abc; other=1").unwrap();
        assert_eq!(name, hyper::header::COOKIE);
        assert_eq!(value, "id=abc; other=1");
        assert!(parse_header("no colon").is_err());
    }
}
