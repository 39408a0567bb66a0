//! What a benchmark needs from a Keycard server before it measures, over HTTP as any
//! client would: the server's mode, a user of its own, and the credential each route
//! sends (the session cookie in session mode, a bearer token otherwise; one refresh cookie
//! per connection for the refresh benchmark).

use std::net::SocketAddr;

use hyper::header::{self, HeaderName, HeaderValue};
use keycard_server::config::Mode;
use serde_json::{Value, json};

use super::load::set_cookie;
use super::route::{REFRESH_COOKIE, Recipe, Route};
use crate::failure::Failure;

/// The session cookie's name (session mode), as the server sets it.
const SESSION_COOKIE: &str = "__Host-keycard_session";
/// The benchmark user's password (long enough for the password policy).
const PASSWORD: &str = "correct horse battery staple";

/// A Keycard server ready to be measured: its mode, and a user logged in.
#[derive(Debug)]
pub struct Keycard {
    base: String,
    http: reqwest::Client,
    /// The server's mode, from its configuration document.
    pub mode: Mode,
    email: String,
    credential: (HeaderName, HeaderValue),
}

impl Keycard {
    /// Reads the mode of the server at `base`, registers `email` there and logs in.
    pub async fn prepare(base: &str, email: &str) -> Result<Self, Failure> {
        let http = reqwest::Client::new();
        let configuration: Value = answer(
            http.get(format!("{base}/.well-known/keycard-configuration")),
            "GET /.well-known/keycard-configuration",
        )
        .await?;
        let mode = configuration["mode"]
            .as_str()
            .unwrap_or_default()
            .parse::<Mode>()
            .map_err(|e| Failure::Input(format!("{base} is not a Keycard server: {e}")))?;
        let _: Value = answer(
            http.post(format!("{base}/v1/users"))
                .json(&json!({ "email": email, "password": PASSWORD })),
            "POST /v1/users",
        )
        .await?;
        let mut keycard = Self {
            base: base.to_owned(),
            http,
            mode,
            email: email.to_owned(),
            credential: (header::COOKIE, HeaderValue::from_static("")),
        };
        let (headers, body) = keycard.login().await?;
        keycard.credential = match mode {
            Mode::Session => {
                let session = set_cookie(&headers, SESSION_COOKIE)
                    .ok_or_else(|| Failure::Input("POST /v1/login set no session cookie".into()))?;
                (
                    header::COOKIE,
                    header_value(&format!("{SESSION_COOKIE}={session}"))?,
                )
            }
            Mode::Jwt | Mode::Hybrid => {
                let token = body["access_token"].as_str().ok_or_else(|| {
                    Failure::Input("POST /v1/login returned no access_token".into())
                })?;
                (
                    header::AUTHORIZATION,
                    header_value(&format!("Bearer {token}"))?,
                )
            }
        };
        Ok(keycard)
    }

    /// The routes that exist in this server's mode.
    pub fn has(&self, route: &Route) -> bool {
        !matches!(route, Route::Refresh) || self.mode == Mode::Hybrid
    }

    /// The request of `route`, authenticated as the benchmark user where it needs to be.
    pub fn recipe(&self, route: &Route) -> Recipe {
        let authenticated = || vec![self.credential.clone()];
        match route {
            Route::Healthz => Recipe::get("/healthz", Vec::new()),
            Route::AuthCheck => Recipe::get("/v1/auth/check", authenticated()),
            Route::Me | Route::MeDuringLogins => Recipe::get("/v1/me", authenticated()),
            Route::Login => Recipe::post_json("/v1/login", &self.login_body()),
            Route::Refresh => Recipe::refresh(),
            Route::Get(path) => Recipe::get(path, Vec::new()),
        }
    }

    /// `n` refresh cookies, one per connection, each of its own login (hybrid mode).
    pub async fn refresh_cookies(&self, n: usize) -> Result<Vec<String>, Failure> {
        let mut cookies = Vec::with_capacity(n);
        for _ in 0..n {
            let (headers, _) = self.login().await?;
            cookies
                .push(set_cookie(&headers, REFRESH_COOKIE).ok_or_else(|| {
                    Failure::Input("POST /v1/login set no refresh cookie".into())
                })?);
        }
        Ok(cookies)
    }

    fn login_body(&self) -> Value {
        json!({ "email": self.email, "password": PASSWORD })
    }

    async fn login(&self) -> Result<(hyper::HeaderMap, Value), Failure> {
        let response = self
            .http
            .post(format!("{}/v1/login", self.base))
            .json(&self.login_body())
            .send()
            .await
            .map_err(|e| Failure::Input(format!("POST /v1/login: {e}")))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(Failure::Input(format!(
                "POST /v1/login answered {status}: {body} (are the login limits off on the target?)"
            )));
        }
        Ok((headers, body))
    }
}

/// The JSON answer of a request that must succeed.
async fn answer(request: reqwest::RequestBuilder, what: &str) -> Result<Value, Failure> {
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Input(format!("{what}: {e}")))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        Err(Failure::Input(format!("{what} answered {status}: {body}")))
    }
}

fn header_value(text: &str) -> Result<HeaderValue, Failure> {
    HeaderValue::from_str(text).map_err(|e| Failure::Input(format!("a credential header: {e}")))
}

/// The socket and `Host` header of an `http://` URL (`--target`).
pub async fn resolve(url: &str) -> Result<(SocketAddr, HeaderValue), Failure> {
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| Failure::Input(format!("--target {url:?}: only http:// URLs")))?
        .split('/')
        .next()
        .unwrap_or_default();
    let with_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = tokio::net::lookup_host(&with_port)
        .await
        .map_err(|e| Failure::Input(format!("--target {url:?}: {e}")))?
        .next()
        .ok_or_else(|| Failure::Input(format!("--target {url:?}: no address")))?;
    Ok((addr, host_header(authority)?))
}

/// `authority` as a `Host` header.
pub fn host_header(authority: &str) -> Result<HeaderValue, Failure> {
    HeaderValue::from_str(authority).map_err(|e| Failure::Input(format!("host {authority:?}: {e}")))
}
