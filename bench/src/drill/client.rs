//! The drills' HTTP client: what a browser or a native app does with Keycard in each mode,
//! one call per method, each returning what the server answered (or that it did not).

use std::time::Duration;

use keycard_server::config::Mode;
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

/// The session cookie's name (session mode).
const SESSION_COOKIE: &str = "__Host-keycard_session";
/// Every drill user's password.
pub const PASSWORD: &str = "correct horse battery staple";
/// How long one request may take before the drill calls it a hang.
pub const REQUEST_LIMIT: Duration = Duration::from_secs(30);

/// What a client holds after a login: the cookie and CSRF token (session mode) or the
/// access token and, in hybrid mode, the current refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// Session mode.
    Cookie {
        /// The session cookie's value.
        session: String,
        /// Sent as `X-CSRF-Token` on logout.
        csrf: String,
    },
    /// Jwt and hybrid modes.
    Bearer {
        /// The access token.
        access: String,
        /// Hybrid mode: the refresh token the client was last given.
        refresh: Option<String>,
    },
}

/// What the server answered: its status, whether a 503 said when to come back, and the
/// error when there was no answer (refused, reset, timed out).
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status, or `None` when no response came.
    pub status: Option<u16>,
    /// Whether the response had a `Retry-After` header.
    pub retry_after: bool,
    /// Why no response came.
    pub error: Option<String>,
}

impl Answer {
    /// A 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Exactly `status`.
    pub fn is(&self, status: u16) -> bool {
        self.status == Some(status)
    }

    fn of(response: &reqwest::Response) -> Self {
        Self {
            status: Some(response.status().as_u16()),
            retry_after: response.headers().contains_key(header::RETRY_AFTER),
            error: None,
        }
    }

    fn failed(error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "connection refused"
        } else {
            "no response"
        };
        // reqwest's message names only the request; the causes say what happened.
        let mut text = format!("{kind}: {error}");
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Self {
            status: None,
            retry_after: false,
            error: Some(text),
        }
    }
}

/// A client of one Keycard server in one mode.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    mode: Mode,
}

impl Client {
    /// A client of the server at `base`, in `mode`, keeping its connections alive.
    pub fn new(base: &str, mode: Mode) -> Self {
        Self::with_idle_connections(base, mode, 4)
    }

    /// A client that opens a new connection for every request (as many distinct clients
    /// would), so it must win a connection slot each time.
    pub fn one_connection_per_request(base: &str, mode: Mode) -> Self {
        Self::with_idle_connections(base, mode, 0)
    }

    fn with_idle_connections(base: &str, mode: Mode, idle: usize) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_LIMIT)
            .pool_max_idle_per_host(idle)
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: base.to_owned(),
            mode,
        }
    }

    /// The server's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// `POST /v1/users`.
    pub async fn register(&self, email: &str) -> Answer {
        let request = self
            .http
            .post(self.url("/v1/users"))
            .json(&json!({ "email": email, "password": PASSWORD }));
        match request.send().await {
            Ok(response) => Answer::of(&response),
            Err(error) => Answer::failed(&error),
        }
    }

    /// `POST /v1/login`; the credential when it succeeded (hybrid: refresh token in the
    /// body, as a native client asks).
    pub async fn login(&self, email: &str) -> (Answer, Option<Credential>) {
        let request = self.http.post(self.url("/v1/login")).json(&json!({
            "email": email,
            "password": PASSWORD,
            "refresh_token_transport": "body",
        }));
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return (Answer::failed(&error), None),
        };
        let answer = Answer::of(&response);
        if !answer.ok() {
            return (answer, None);
        }
        let cookie = session_cookie(response.headers());
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(error) => return (Answer::failed(&error), None),
        };
        let credential = match self.mode {
            Mode::Session => cookie
                .zip(body["csrf_token"].as_str())
                .map(|(session, csrf)| Credential::Cookie {
                    session,
                    csrf: csrf.to_owned(),
                }),
            Mode::Jwt | Mode::Hybrid => {
                body["access_token"]
                    .as_str()
                    .map(|access| Credential::Bearer {
                        access: access.to_owned(),
                        refresh: body["refresh_token"].as_str().map(str::to_owned),
                    })
            }
        };
        (answer, credential)
    }

    /// `GET /v1/me`.
    pub async fn me(&self, credential: &Credential) -> Answer {
        let request = authenticated(self.http.get(self.url("/v1/me")), credential);
        match request.send().await {
            Ok(response) => Answer::of(&response),
            Err(error) => Answer::failed(&error),
        }
    }

    /// `GET /v1/sessions`, and whether the list holds the caller's own session.
    pub async fn own_session_listed(&self, credential: &Credential) -> (Answer, bool) {
        let request = authenticated(self.http.get(self.url("/v1/sessions")), credential);
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return (Answer::failed(&error), false),
        };
        let answer = Answer::of(&response);
        if !answer.ok() {
            return (answer, false);
        }
        match response.json::<Value>().await {
            Ok(body) => {
                let current = body["sessions"]
                    .as_array()
                    .is_some_and(|all| all.iter().any(|s| s["current"] == true));
                (answer, current)
            }
            Err(error) => (Answer::failed(&error), false),
        }
    }

    /// `POST /v1/token/refresh` with the credential's refresh token (hybrid mode); on
    /// success the credential holds the new access and refresh tokens.
    pub async fn refresh(&self, credential: &mut Credential) -> Answer {
        let Credential::Bearer {
            access,
            refresh: Some(refresh),
        } = credential
        else {
            return Answer {
                status: None,
                retry_after: false,
                error: Some("no refresh token to present".into()),
            };
        };
        let request = self
            .http
            .post(self.url("/v1/token/refresh"))
            .json(&json!({ "refresh_token": refresh }));
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Answer::failed(&error),
        };
        let answer = Answer::of(&response);
        if !answer.ok() {
            return answer;
        }
        match response.json::<Value>().await {
            Ok(body) => match (
                body["access_token"].as_str(),
                body["refresh_token"].as_str(),
            ) {
                (Some(new_access), Some(new_refresh)) => {
                    new_access.clone_into(access);
                    new_refresh.clone_into(refresh);
                    answer
                }
                _ => Answer {
                    status: None,
                    retry_after: false,
                    error: Some(format!(
                        "a refresh answered 2xx without both tokens: {body}"
                    )),
                },
            },
            Err(error) => Answer::failed(&error),
        }
    }

    /// `POST /v1/logout` (session mode: with the origin and CSRF token a page sends).
    pub async fn logout(&self, credential: &Credential) -> Answer {
        let mut request = authenticated(self.http.post(self.url("/v1/logout")), credential);
        if let Credential::Cookie { csrf, .. } = credential {
            request = request
                .header(header::ORIGIN, &self.base)
                .header("x-csrf-token", csrf);
        }
        match request.send().await {
            Ok(response) => Answer::of(&response),
            Err(error) => Answer::failed(&error),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn authenticated(
    request: reqwest::RequestBuilder,
    credential: &Credential,
) -> reqwest::RequestBuilder {
    match credential {
        Credential::Cookie { session, .. } => {
            request.header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
        }
        Credential::Bearer { access, .. } => request.bearer_auth(access),
    }
}

/// The session cookie's value from a login's `Set-Cookie`.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| {
            value
                .split(';')
                .next()?
                .trim()
                .strip_prefix(SESSION_COOKIE)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
}
